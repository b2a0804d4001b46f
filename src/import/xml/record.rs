//! [`Record`]: a small element (one post, one comment) read whole.

use super::{Node, XmlStream};

/// One element read whole: its attributes and the text of every descendant by path
/// (`author/name`; its own text under the empty path), attributes of descendants as
/// `path@name` (`thread@id`). Only used for
/// small elements (one post, one comment).
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// The element's own attributes.
    pub attrs: Vec<(String, String)>,
    /// Descendant texts (trimmed) and attributes by path.
    pub fields: Vec<(String, String)>,
    /// Line of its start tag.
    pub line: u64,
}

impl Record {
    /// A descendant's text or attribute by path; empty values count as absent.
    pub fn get(&self, path: &str) -> Option<&str> {
        attr(&self.fields, path).filter(|v| !v.is_empty())
    }

    /// The element's own text (trimmed), if any.
    pub fn text(&self) -> Option<&str> {
        self.get("")
    }

    /// The element's own attribute.
    pub fn attr(&self, name: &str) -> Option<&str> {
        attr(&self.attrs, name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

impl XmlStream {
    /// Reads the element just opened (with `attrs`) up to its end into a [`Record`].
    pub fn read_record(&mut self, attrs: Vec<(String, String)>) -> anyhow::Result<Record> {
        let mut rec = Record {
            attrs,
            fields: Vec::new(),
            line: self.line(),
        };
        let base = self.depth();
        let mut path: Vec<String> = Vec::new();
        let mut texts: Vec<String> = vec![String::new()];
        loop {
            match self.next_node()? {
                Node::Open { name, attrs } => {
                    path.push(name);
                    texts.push(String::new());
                    let p = path.join("/");
                    for (k, v) in attrs {
                        rec.fields.push((format!("{p}@{k}"), v));
                    }
                }
                Node::Text(t) => {
                    if let Some(cur) = texts.last_mut() {
                        cur.push_str(&t);
                    }
                }
                Node::Close { .. } => {
                    if self.depth() < base {
                        let own = texts.pop().unwrap_or_default();
                        rec.fields.push((String::new(), own.trim().to_string()));
                        return Ok(rec);
                    }
                    let p = path.join("/");
                    path.pop();
                    let text = texts.pop().unwrap_or_default();
                    rec.fields.push((p, text.trim().to_string()));
                }
                Node::Eof => return Ok(rec),
            }
        }
    }
}

/// The value of an attribute by local name.
pub fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
