//! The Fediverse's rows as the use cases see them: other servers' actors, followers,
//! announced posts, the notes that became comments, reactions, and deliveries.

use url::Url;

use super::Timestamp;

/// Another server's actor, as its document said when it was last fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteActor {
    /// Its id.
    pub id: String,
    /// Its inbox.
    pub inbox: Option<String>,
    /// Its server's shared inbox.
    pub shared_inbox: Option<String>,
    /// Its display name (one line, cut), if any.
    pub name: Option<String>,
    /// `preferredUsername`, if any.
    pub username: Option<String>,
    /// Its profile page (http(s)), if any.
    pub url: Option<String>,
    /// The key's id, when the document carries one.
    pub key_id: Option<String>,
    /// The key's PEM.
    pub public_pem: Option<String>,
}

impl RemoteActor {
    /// `@user@host` (the host of its id, with its port when it is not the default), when it
    /// has a user name.
    pub fn handle(&self) -> Option<String> {
        let url = Url::parse(&self.id).ok()?;
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str()?),
            None => url.host_str()?.to_string(),
        };
        let user = self.username.as_deref()?;
        Some(format!("@{user}@{host}"))
    }

    /// The name to show: its name, else its user name, else its id's host.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .filter(|n| !n.is_empty())
            .or_else(|| self.username.clone())
            .unwrap_or_else(|| {
                Url::parse(&self.id)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string))
                    .unwrap_or_default()
            })
    }

    /// Where deliveries to it go: its server's shared inbox, else its own.
    pub fn delivery_inbox(&self) -> Option<&str> {
        self.shared_inbox.as_deref().or(self.inbox.as_deref())
    }
}

/// A follower of a site's actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follower {
    /// Its actor id.
    pub actor: String,
    /// Its inbox.
    pub inbox: String,
    /// Its server's shared inbox, if it has one.
    pub shared_inbox: Option<String>,
}

impl Follower {
    /// Where deliveries to it go: its server's shared inbox, else its own.
    pub fn delivery_inbox(&self) -> &str {
        self.shared_inbox.as_deref().unwrap_or(&self.inbox)
    }
}

/// An announced post as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// Row id (the object URL's last part).
    pub id: i64,
    /// Site id.
    pub site: String,
    /// Page key.
    pub page: String,
    /// The blog post's URL.
    pub url: String,
    /// Its title.
    pub title: String,
    /// A summary, if given.
    pub summary: Option<String>,
    /// When it was first announced.
    pub created_at: Timestamp,
    /// When it was last announced again, if ever.
    pub updated_at: Option<Timestamp>,
}

/// A post to announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPost {
    /// Site id.
    pub site: String,
    /// Page key.
    pub page: String,
    /// The blog post's URL.
    pub url: String,
    /// Its title.
    pub title: String,
    /// A summary, if given.
    pub summary: Option<String>,
}

/// Which comment a federated note became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteLink {
    /// The note's id.
    pub note_id: String,
    /// The comment.
    pub comment_id: i64,
    /// Its site.
    pub site: String,
    /// The note's author (only they update or delete it).
    pub actor: String,
}

/// A like or boost of an announced post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReaction {
    /// The post.
    pub post_id: i64,
    /// `like` or `repost`.
    pub kind: &'static str,
    /// Who.
    pub actor: String,
    /// The `Like` or `Announce` activity's id (an `Undo` names it).
    pub activity_id: String,
    /// The post's site.
    pub site: String,
    /// The post's page.
    pub page: String,
    /// The name shown.
    pub name: String,
    /// Their profile page.
    pub url: String,
}

/// One signed delivery, as the worker claims it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Row id.
    pub id: i64,
    /// The site whose actor signs it.
    pub site: String,
    /// Where it goes.
    pub inbox: String,
    /// The activity, JSON.
    pub body: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
}
