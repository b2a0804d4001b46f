//! The JSON Natter serves and sends: WebFinger's answer, a site's actor, collections, an
//! announced post (`Article`), a local reply (`Note`), and the activities around them.
//! Every value that came from someone else is put in as a JSON string (serde escapes it);
//! HTML made here escapes what it inserts.

use serde_json::{json, Value};

use super::{Urls, AS_CONTEXT, PUBLIC, SECURITY_CONTEXT};
pub use crate::domain::fediverse::Post;
use crate::domain::{escape_html as escape, rfc3339, Timestamp};

/// WebFinger's JRD for a site's actor.
pub fn webfinger(urls: &Urls, site: &str, handle: &str) -> Value {
    let actor = urls.actor(site);
    json!({
        "subject": format!("acct:{handle}@{}", urls.domain()),
        "aliases": [actor],
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": actor},
        ],
    })
}

/// What the actor document says about its site.
#[derive(Debug, Clone)]
pub struct ActorInfo<'a> {
    /// Site id.
    pub site: &'a str,
    /// `fediverse_handle`.
    pub handle: &'a str,
    /// The name shown: the handle (a site has no display name of its own).
    pub name: &'a str,
    /// The site's first origin (its home page), if it has one.
    pub url: Option<&'a str>,
    /// The public key, PEM.
    pub public_pem: &'a str,
}

/// A site's actor: a `Service` (an automated account that speaks for the blog).
pub fn actor(urls: &Urls, a: &ActorInfo<'_>) -> Value {
    let id = urls.actor(a.site);
    let mut doc = json!({
        "@context": [AS_CONTEXT, SECURITY_CONTEXT],
        "id": id,
        "type": "Service",
        "preferredUsername": a.handle,
        "name": a.name,
        "summary": "<p>Comments of this blog. Reply to its posts to comment.</p>",
        "inbox": urls.inbox(a.site),
        "outbox": urls.outbox(a.site),
        "followers": urls.followers(a.site),
        "manuallyApprovesFollowers": false,
        "discoverable": true,
        "endpoints": {"sharedInbox": urls.shared_inbox()},
        "publicKey": {
            "id": urls.key_id(a.site),
            "owner": id,
            "publicKeyPem": a.public_pem,
        },
    });
    if let Some(url) = a.url {
        doc["url"] = json!(url);
    }
    doc
}

/// An `OrderedCollection` of `total` items, listing `items` (none for followers).
pub fn collection(id: &str, total: i64, items: Option<Vec<Value>>) -> Value {
    let mut c = json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
    });
    if let Some(items) = items {
        c["orderedItems"] = Value::Array(items);
    }
    c
}

/// An announced post: an `Article` with the title, a summary and a link to the post.
pub fn article(urls: &Urls, p: &Post) -> Value {
    let link = format!("<a href=\"{}\">{}</a>", escape(&p.url), escape(&p.url));
    let content = match &p.summary {
        Some(s) => format!("<p>{}</p><p>{link}</p>", escape(s)),
        None => format!("<p>{link}</p>"),
    };
    let mut a = json!({
        "@context": AS_CONTEXT,
        "id": urls.post(&p.site, p.id),
        "type": "Article",
        "attributedTo": urls.actor(&p.site),
        "name": p.title,
        "url": p.url,
        "content": content,
        "published": rfc3339(p.created_at),
        "to": [PUBLIC],
        "cc": [urls.followers(&p.site)],
    });
    if let Some(s) = &p.summary {
        a["summary"] = json!(s);
    }
    if let Some(at) = p.updated_at {
        a["updated"] = json!(rfc3339(at));
    }
    a
}

/// An activity of the site's actor about `object` (`Create`, `Update`), addressed as the
/// object is; `id` is the activity's own id.
pub fn wrap(kind: &str, id: &str, actor: &str, object: Value) -> Value {
    let to = object.get("to").cloned().unwrap_or(json!([PUBLIC]));
    let cc = object.get("cc").cloned().unwrap_or(json!([]));
    let mut object = object;
    if let Some(o) = object.as_object_mut() {
        o.remove("@context");
    }
    json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": kind,
        "actor": actor,
        "published": rfc3339(crate::domain::now()),
        "to": to,
        "cc": cc,
        "object": object,
    })
}

/// `Delete` (activity `id`) of one of the actor's objects, with a `Tombstone` in its place.
pub fn delete(id: &str, actor: &str, object_id: &str, to: Value, cc: Value) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": "Delete",
        "actor": actor,
        "to": to,
        "cc": cc,
        "object": {"id": object_id, "type": "Tombstone"},
    })
}

/// `Accept` of a `Follow` (the follow as it came, reduced to its four fields).
pub fn accept(actor: &str, id: &str, follow_id: &str, follower: &str) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": "Accept",
        "actor": actor,
        "to": [follower],
        "object": {"id": follow_id, "type": "Follow", "actor": follower, "object": actor},
    })
}

/// The federated author a local reply answers.
#[derive(Debug, Clone)]
pub struct Replied<'a> {
    /// Their actor id.
    pub actor: &'a str,
    /// `@user@host`.
    pub handle: &'a str,
    /// Their profile page (else the actor id).
    pub profile: &'a str,
}

/// A local comment as a `Note` of its site's actor.
#[derive(Debug, Clone)]
pub struct LocalNote<'a> {
    /// Site id.
    pub site: &'a str,
    /// Comment id.
    pub id: i64,
    /// The commenter's name.
    pub author: Option<&'a str>,
    /// The comment's sanitized HTML.
    pub html: &'a str,
    /// The page's URL, if known.
    pub page_url: Option<&'a str>,
    /// When it was written.
    pub created_at: Timestamp,
    /// What it answers: a federated note's id or another local comment's Note.
    pub in_reply_to: Option<&'a str>,
    /// The federated author it answers, mentioned (and addressed).
    pub mention: Option<Replied<'a>>,
}

/// A local comment (approved) as a `Note` of the site's actor, public; a reply to a
/// federated comment mentions its author.
pub fn local_note(urls: &Urls, n: &LocalNote<'_>) -> Value {
    let who = n.author.map_or_else(|| "Someone".to_string(), escape);
    let (content, to, tag) = match &n.mention {
        Some(m) => {
            let mention = format!(
                "<span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">{}</a></span>",
                escape(m.profile),
                escape(m.handle)
            );
            (
                format!("<p>{mention} {who} replied:</p>{}", n.html),
                json!([PUBLIC, m.actor]),
                json!([{"type": "Mention", "href": m.actor, "name": m.handle}]),
            )
        }
        None => (
            format!("<p>{who} wrote:</p>{}", n.html),
            json!([PUBLIC]),
            json!([]),
        ),
    };
    let mut note = json!({
        "@context": AS_CONTEXT,
        "id": urls.comment(n.id),
        "type": "Note",
        "attributedTo": urls.actor(n.site),
        "inReplyTo": n.in_reply_to,
        "content": content,
        "published": rfc3339(n.created_at),
        "to": to,
        "cc": [urls.followers(n.site)],
        "tag": tag,
    });
    if let Some(u) = n.page_url {
        note["url"] = json!(format!("{u}#natter-{}", n.id));
    }
    note
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_article_escapes_what_it_inserts() {
        let urls = Urls::new("https://c.example");
        let p = Post {
            id: 3,
            site: "blog".into(),
            page: "/p/".into(),
            url: "https://b.example/p/?a=1&b=\"2\"".into(),
            title: "<b>T</b>".into(),
            summary: Some("x < y".into()),
            created_at: 0,
            updated_at: None,
        };
        let a = article(&urls, &p);
        assert_eq!(a["id"], "https://c.example/ap/sites/blog/posts/3");
        assert_eq!(a["name"], "<b>T</b>");
        let content = a["content"].as_str().unwrap();
        assert!(content.contains("x &lt; y"), "{content}");
        assert!(content.contains("href=\"https://b.example/p/?a=1&amp;b=&quot;2&quot;\""));
        assert_eq!(a["to"], json!([PUBLIC]));
        let create = wrap("Create", "x#create", &urls.actor("blog"), a);
        assert_eq!(
            create["cc"],
            json!(["https://c.example/ap/sites/blog/followers"])
        );
        assert!(create["object"].get("@context").is_none());
    }
}
