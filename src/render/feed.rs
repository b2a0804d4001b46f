//! Atom 1.0 feeds of the newest approved comments of a site or a page.

use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
use chrono::{DateTime, FixedOffset};

use crate::domain::comment::FeedItem;
use crate::domain::crypto::ServerKey;

fn time(ts: i64) -> DateTime<FixedOffset> {
    DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .fixed_offset()
}

/// Renders the feed; every reader-supplied string is escaped by the XML writer.
pub fn atom(
    public_url: &str,
    site: &str,
    page: Option<&str>,
    rows: &[FeedItem],
    key: &ServerKey,
) -> String {
    let self_url = match page {
        Some(p) => format!(
            "{public_url}/feed/{site}.atom?page={}",
            percent_encoding::utf8_percent_encode(p, percent_encoding::NON_ALPHANUMERIC)
        ),
        None => format!("{public_url}/feed/{site}.atom"),
    };
    // A stable feed id that doesn't reveal the page key's raw bytes in odd encodings.
    let feed_id = format!(
        "urn:natter:{site}:{}",
        key.mac_hex("feed", page.unwrap_or("").as_bytes())
    );
    let entries: Vec<Entry> = rows
        .iter()
        .map(
            |FeedItem {
                 comment: c,
                 title,
                 url,
             }| {
                let author = c.author.clone().unwrap_or_else(|| "Anonymous".into());
                let on = title.clone().unwrap_or_else(|| c.page.clone());
                let link = match url {
                    Some(u) => format!("{u}#natter-{}", c.id),
                    None => format!("{public_url}/api/comments/{}", c.id),
                };
                let mut content = Content::default();
                content.set_content_type("html".to_string());
                content.set_value(c.html.clone());
                let mut entry = Entry::default();
                entry.set_id(format!("urn:natter:{site}:comment:{}", c.id));
                entry.set_title(Text::plain(format!("{author} on {on}")));
                entry.set_updated(time(c.edited_at.unwrap_or(c.created_at)));
                entry.set_published(Some(time(c.created_at)));
                entry.set_authors(vec![Person {
                    name: author,
                    ..Default::default()
                }]);
                entry.set_links(vec![Link {
                    href: link,
                    rel: "alternate".into(),
                    ..Default::default()
                }]);
                entry.set_content(Some(content));
                entry
            },
        )
        .collect();
    let updated = rows
        .iter()
        .map(|i| i.comment.edited_at.unwrap_or(i.comment.created_at))
        .max()
        .unwrap_or(0);
    let mut feed = Feed::default();
    feed.set_id(feed_id);
    feed.set_title(Text::plain(match page {
        Some(p) => format!("Comments on {p}"),
        None => format!("Comments on {site}"),
    }));
    feed.set_updated(time(updated));
    feed.set_links(vec![Link {
        href: self_url,
        rel: "self".into(),
        ..Default::default()
    }]);
    feed.set_entries(entries);
    feed.to_string()
}
