//! Reading what peers send: an activity, an actor document (with its key), a `Note`.
//! Everything here is hostile until proven otherwise: ids must be http(s) URLs of bounded
//! length, strings are cut, and nothing is followed (fetching is the caller's, through the
//! safe fetcher).

use serde_json::Value;
use url::Url;

use super::PUBLIC;
pub use crate::domain::fediverse::RemoteActor;
use crate::domain::one_line;

/// The longest id or URL taken from a peer.
pub const MAX_ID: usize = 2048;

/// The id a value names: itself when it is a string, else its `id` (or `href`).
pub fn id_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s.as_str()),
        Value::Object(o) => o
            .get("id")
            .or_else(|| o.get("href"))
            .and_then(Value::as_str),
        _ => None,
    }
    .filter(|s| is_url(s))
}

/// Whether `s` is an http(s) URL of bounded length (ids of ActivityPub objects).
pub fn is_url(s: &str) -> bool {
    s.len() <= MAX_ID
        && (s.starts_with("https://") || s.starts_with("http://"))
        && Url::parse(s).is_ok_and(|u| u.host_str().is_some())
}

/// Every id a field lists (one value or an array of them), at most 100.
pub fn ids(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .take(100)
            .filter_map(|x| x.as_str().or_else(|| id_of(x)))
            .map(str::to_string)
            .collect(),
        Some(x) => x
            .as_str()
            .or_else(|| id_of(x))
            .map(|s| vec![s.to_string()])
            .unwrap_or_default(),
        None => Vec::new(),
    }
}

/// Whether an audience names everyone (`as:Public` in any of its spellings): public and
/// unlisted posts do; followers-only and direct ones don't.
pub fn is_public(to: &[String], cc: &[String]) -> bool {
    to.iter()
        .chain(cc)
        .any(|a| a == PUBLIC || a == "as:Public" || a == "Public")
}

/// An incoming activity, as far as Natter reads it.
#[derive(Debug, Clone)]
pub struct Activity {
    /// Its id (required: it is what makes a second delivery a duplicate).
    pub id: String,
    /// `Create`, `Follow`, … as given.
    pub kind: String,
    /// The actor's id.
    pub actor: String,
    /// The object, as given (a string id or an embedded object).
    pub object: Value,
    /// The activity's audience.
    pub to: Vec<String>,
    /// The activity's other audience.
    pub cc: Vec<String>,
}

impl Activity {
    /// Reads an activity; `Err` says what is missing (a 400 for the peer).
    pub fn read(v: &Value) -> Result<Activity, &'static str> {
        let o = v.as_object().ok_or("the body is not a JSON object")?;
        let kind = o
            .get("type")
            .and_then(Value::as_str)
            .filter(|t| t.len() <= 64)
            .ok_or("the activity has no type")?;
        let id = o
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| is_url(s))
            .ok_or("the activity has no id")?;
        let actor = o
            .get("actor")
            .and_then(id_of)
            .ok_or("the activity has no actor")?;
        Ok(Activity {
            id: id.to_string(),
            kind: kind.to_string(),
            actor: actor.to_string(),
            object: o.get("object").cloned().unwrap_or(Value::Null),
            to: ids(o.get("to")),
            cc: ids(o.get("cc")),
        })
    }

    /// The object's type, when it is embedded.
    pub fn object_type(&self) -> Option<&str> {
        self.object.get("type").and_then(Value::as_str)
    }

    /// The object's id.
    pub fn object_id(&self) -> Option<&str> {
        id_of(&self.object)
    }
}

/// A key as found in a document fetched for `key_id`: the document itself is the key
/// (`owner`, `publicKeyPem`) or an actor whose `publicKey` (one or a list) has that id.
/// Returns the owner and the PEM.
pub fn key_in(doc: &Value, key_id: &str) -> Option<(String, String)> {
    let key_of = |k: &Value, owner: Option<&str>| -> Option<(String, String)> {
        let pem = k.get("publicKeyPem")?.as_str()?;
        let owner = k.get("owner").and_then(Value::as_str).or(owner)?;
        (is_url(owner) && pem.len() <= 16_384).then(|| (owner.to_string(), pem.to_string()))
    };
    if doc.get("publicKeyPem").is_some() {
        return key_of(doc, None);
    }
    let own_id = doc.get("id").and_then(Value::as_str);
    let keys = match doc.get("publicKey")? {
        Value::Array(a) => a.iter().collect::<Vec<_>>(),
        k => vec![k],
    };
    let bare = key_id.split('#').next().unwrap_or(key_id);
    keys.iter()
        .find(|k| k.get("id").and_then(Value::as_str) == Some(key_id))
        .or_else(|| (keys.len() == 1 && own_id == Some(bare)).then(|| &keys[0]))
        .and_then(|k| key_of(k, own_id))
}

/// An actor document (`Person`, `Service`, `Application`, `Group`, `Organization`).
pub fn actor(doc: &Value) -> Option<RemoteActor> {
    let id = doc
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| is_url(s))?;
    let url_field = |v: Option<&Value>| -> Option<String> {
        let v = v?;
        let s = match v {
            Value::Array(a) => a.iter().find_map(|x| x.as_str().or_else(|| id_of(x))),
            x => x.as_str().or_else(|| id_of(x)),
        }?;
        is_url(s).then(|| s.to_string())
    };
    let key = doc.get("publicKey").and_then(|k| match k {
        Value::Array(a) => a.first(),
        k => Some(k),
    });
    Some(RemoteActor {
        id: id.to_string(),
        inbox: url_field(doc.get("inbox")),
        shared_inbox: url_field(doc.get("endpoints").and_then(|e| e.get("sharedInbox"))),
        name: doc
            .get("name")
            .and_then(Value::as_str)
            .map(|n| one_line(n, 100))
            .filter(|n| !n.is_empty()),
        username: doc
            .get("preferredUsername")
            .and_then(Value::as_str)
            .map(|n| one_line(n, 100))
            .filter(|n| !n.is_empty() && !n.contains(['@', ' ', '/'])),
        url: url_field(doc.get("url")).filter(|u| u.len() <= 500),
        key_id: key
            .and_then(|k| k.get("id"))
            .and_then(Value::as_str)
            .filter(|s| is_url(s))
            .map(str::to_string),
        public_pem: key
            .and_then(|k| k.get("publicKeyPem"))
            .and_then(Value::as_str)
            .filter(|p| p.len() <= 16_384)
            .map(str::to_string),
    })
}

/// A `Note` as a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Its id.
    pub id: String,
    /// Who wrote it.
    pub attributed_to: Option<String>,
    /// What it answers.
    pub in_reply_to: Option<String>,
    /// Its HTML (unsanitized: hostile).
    pub content: String,
    /// Its page for people (else its id).
    pub url: String,
    /// Whether its audience includes everyone.
    pub public: bool,
}

/// The largest `content` taken (before sanitizing), in characters: what a Webmention's
/// HTML may have too (four times a comment's text).
pub const MAX_CONTENT: usize = 40_000;

/// Reads an embedded `Note` (or `Tombstone`-free object of a text kind).
pub fn note(v: &Value) -> Option<Note> {
    let kind = v.get("type").and_then(Value::as_str)?;
    if !matches!(kind, "Note" | "Article" | "Page") {
        return None;
    }
    let id = v.get("id").and_then(Value::as_str).filter(|s| is_url(s))?;
    let content = v
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or("")
        .chars()
        .take(MAX_CONTENT)
        .collect();
    let url = match v.get("url") {
        Some(Value::Array(a)) => a.iter().find_map(|x| x.as_str().or_else(|| id_of(x))),
        Some(x) => x.as_str().or_else(|| id_of(x)),
        None => None,
    }
    .filter(|u| is_url(u) && u.len() <= 500)
    .unwrap_or(id);
    Some(Note {
        id: id.to_string(),
        attributed_to: v.get("attributedTo").and_then(id_of).map(str::to_string),
        in_reply_to: v.get("inReplyTo").and_then(id_of).map(str::to_string),
        content,
        url: url.to_string(),
        public: is_public(&ids(v.get("to")), &ids(v.get("cc"))),
    })
}

/// The text of (sanitized) HTML: paragraphs and line breaks as new lines, at most `max`
/// characters.
pub fn plain_text(html: &str, max: usize) -> String {
    let spaced = html
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n")
        .replace("</p>", "</p>\n\n");
    let doc = scraper::Html::parse_fragment(&spaced);
    let text: String = doc.root_element().text().collect();
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_activity_needs_an_id_a_type_and_an_actor() {
        let a = Activity::read(&json!({
            "id": "https://m.example/a/1", "type": "Like",
            "actor": {"id": "https://m.example/u/ann"}, "object": "https://c.example/x"
        }))
        .unwrap();
        assert_eq!(a.actor, "https://m.example/u/ann");
        assert_eq!(a.object_id(), Some("https://c.example/x"));
        assert!(Activity::read(&json!({"type": "Like"})).is_err());
        assert!(Activity::read(&json!([1])).is_err());
        assert!(Activity::read(
            &json!({"id": "javascript:x", "type": "Like", "actor": "https://a.example/"})
        )
        .is_err());
    }

    #[test]
    fn audiences() {
        let p = |to: &[&str], cc: &[&str]| {
            let s = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            is_public(&s(to), &s(cc))
        };
        assert!(p(&[PUBLIC], &[]));
        assert!(p(&["https://m.example/u/ann/followers"], &["as:Public"]));
        assert!(!p(&["https://m.example/u/ann/followers"], &[]));
        assert!(!p(&["https://c.example/ap/sites/blog"], &[]));
    }

    #[test]
    fn keys_are_found_in_actors_and_key_documents() {
        let actor = json!({
            "id": "https://m.example/u/ann", "type": "Person", "preferredUsername": "ann",
            "name": "Ann\nLee", "inbox": "https://m.example/u/ann/inbox",
            "endpoints": {"sharedInbox": "https://m.example/inbox"},
            "url": "https://m.example/@ann",
            "publicKey": {"id": "https://m.example/u/ann#main-key",
                          "owner": "https://m.example/u/ann", "publicKeyPem": "PEM"}
        });
        assert_eq!(
            key_in(&actor, "https://m.example/u/ann#main-key"),
            Some(("https://m.example/u/ann".into(), "PEM".into()))
        );
        assert_eq!(key_in(&actor, "https://m.example/u/bob#main-key"), None);
        let key = json!({"id": "https://m.example/k/1", "owner": "https://m.example/u/ann", "publicKeyPem": "P2"});
        assert_eq!(
            key_in(&key, "https://m.example/k/1"),
            Some(("https://m.example/u/ann".into(), "P2".into()))
        );
        let a = super::actor(&actor).unwrap();
        assert_eq!(a.handle().as_deref(), Some("@ann@m.example"));
        assert_eq!(a.display_name(), "Ann Lee");
        assert_eq!(a.shared_inbox.as_deref(), Some("https://m.example/inbox"));
    }

    #[test]
    fn a_note_reads_its_reply_and_audience() {
        let n = note(&json!({
            "id": "https://m.example/n/1", "type": "Note", "attributedTo": "https://m.example/u/ann",
            "inReplyTo": "https://c.example/ap/sites/blog/posts/1", "content": "<p>hi</p>",
            "url": "https://m.example/@ann/1", "to": [PUBLIC]
        }))
        .unwrap();
        assert!(n.public);
        assert_eq!(n.url, "https://m.example/@ann/1");
        assert!(note(&json!({"id": "https://m.example/n/1", "type": "Tombstone"})).is_none());
    }

    #[test]
    fn plain_text_keeps_paragraphs() {
        assert_eq!(
            plain_text("<p>Hi <b>there</b></p><p>a &amp; b<br>c</p>", 100),
            "Hi there\n\na & b\nc"
        );
        assert_eq!(plain_text("<p>abcdef</p>", 4), "abc…");
    }
}
