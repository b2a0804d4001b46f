//! Microformats2 (being built: this stub is replaced by the real one).
#![allow(missing_docs, dead_code)]
#[derive(Debug)]
pub struct Source {
    pub links_to_target: bool,
    pub entry: Option<Entry>,
}
#[derive(Debug)]
pub struct Entry {
    pub kind: Kind,
    pub author: Author,
    pub name: Option<String>,
    pub content_html: Option<String>,
    pub content_text: Option<String>,
    pub summary: Option<String>,
    pub published: Option<String>,
    pub url: Option<String>,
    pub in_reply_to: Vec<String>,
    pub like_of: Vec<String>,
    pub repost_of: Vec<String>,
    pub bookmark_of: Vec<String>,
}
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Reply,
    Like,
    Repost,
    Bookmark,
    Mention,
}
impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Reply => "reply",
            Kind::Like => "like",
            Kind::Repost => "repost",
            Kind::Bookmark => "bookmark",
            Kind::Mention => "mention",
        }
    }
}
#[derive(Debug)]
pub struct Author {
    pub name: Option<String>,
    pub url: Option<String>,
    pub photo: Option<String>,
}
pub fn read(_html: &str, _base: &url::Url, _target: &url::Url) -> Source {
    Source {
        links_to_target: false,
        entry: None,
    }
}
