//! A streaming XML reader for the Disqus and WordPress importers: quick-xml events turned
//! into owned open/close/text nodes, with line numbers, the path of open elements for error
//! messages, and leniency for the two flaws real exports have (junk before `<?xml`, and
//! unquoted attribute values).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use quick_xml::events::Event;
use quick_xml::Reader;

mod element;
mod record;

use element::{element, local};
pub use record::Record;

#[cfg(test)]
mod tests;

/// A `BufRead` that counts the newlines it has handed out, so events know their line.
pub struct LineCounter<R> {
    inner: R,
    newlines: u64,
    bytes: u64,
}

impl<R: BufRead> Read for LineCounter<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = {
            let buf = self.inner.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineCounter<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let amt = amt.min(buf.len());
            self.newlines += buf[..amt].iter().filter(|&&b| b == b'\n').count() as u64;
            self.bytes += amt as u64;
            self.inner.consume(amt);
        }
    }
}

/// One step of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A start tag (also the start of an empty element, which is followed by its `Close`).
    Open {
        /// Local name (namespace prefix dropped).
        name: String,
        /// Attributes by local name, values unescaped.
        attrs: Vec<(String, String)>,
    },
    /// An end tag.
    Close {
        /// Local name.
        name: String,
    },
    /// Character data (text, CDATA or a resolved entity); consecutive pieces belong together.
    Text(String),
    /// End of the document.
    Eof,
}

/// The reader: pulls [`Node`]s off a file without holding more than one event in memory.
pub struct XmlStream {
    reader: Reader<LineCounter<BufReader<File>>>,
    buf: Vec<u8>,
    path: PathBuf,
    stack: Vec<String>,
    pending_close: Option<String>,
    size: u64,
    /// Things read leniently, for the summary.
    pub notes: Vec<String>,
}

impl XmlStream {
    /// Opens an export; junk before the first `<` (a stray backtick seen in real Disqus
    /// exports) is skipped and noted.
    pub fn open(path: &Path) -> anyhow::Result<XmlStream> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut inner = BufReader::with_capacity(256 * 1024, file);
        let mut counter = LineCounter {
            inner: &mut inner,
            newlines: 0,
            bytes: 0,
        };
        let mut skipped = Vec::new();
        loop {
            let buf = counter
                .fill_buf()
                .with_context(|| format!("cannot read {}", path.display()))?;
            if buf.is_empty() {
                break;
            }
            match buf.iter().position(|&b| b == b'<') {
                Some(i) => {
                    skipped.extend_from_slice(&buf[..i]);
                    counter.consume(i);
                    break;
                }
                None => {
                    let n = buf.len();
                    skipped.extend_from_slice(buf);
                    counter.consume(n);
                    if skipped.len() > 4096 {
                        bail!(
                            "{} is not an XML file: no `<` in its first {} bytes",
                            path.display(),
                            skipped.len()
                        );
                    }
                }
            }
        }
        let (newlines, bytes) = (counter.newlines, counter.bytes);
        let junk = String::from_utf8_lossy(&skipped);
        let junk = junk.trim_start_matches('\u{feff}').trim();
        let mut notes = Vec::new();
        if !junk.is_empty() {
            notes.push(format!(
                "ignored {:?} before the start of the XML on line 1",
                junk.chars().take(40).collect::<String>()
            ));
        }
        let mut reader = Reader::from_reader(LineCounter {
            inner,
            newlines,
            bytes,
        });
        let config = reader.config_mut();
        config.check_end_names = true;
        config.check_comments = false;
        config.expand_empty_elements = false;
        Ok(XmlStream {
            reader,
            buf: Vec::with_capacity(64 * 1024),
            path: path.to_path_buf(),
            stack: Vec::new(),
            pending_close: None,
            size,
            notes,
        })
    }

    fn note(&mut self, n: String) {
        // Kept short: the summary shows a few, and a broken attribute on every post of a
        // huge file must not fill memory.
        if self.notes.len() < 20 {
            self.notes.push(format!("line {}: {n}", self.line()));
        }
    }

    /// The file's size in bytes (for progress).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Bytes read so far.
    pub fn position(&self) -> u64 {
        self.reader.get_ref().bytes
    }

    /// Line of the last event read (1-based).
    pub fn line(&self) -> u64 {
        self.reader.get_ref().newlines + 1
    }

    /// Refuses a document whose root element is not `root`: `node` is the one just read,
    /// `what` names the expected kind of file ("a Disqus export").
    pub fn expect_root(&self, node: &Node, root: &str, what: &str) -> anyhow::Result<()> {
        match node {
            Node::Open { name, .. } if self.depth() == 1 && name != root => bail!(
                "{} is not {what}: its root element is <{name}>, not <{root}>",
                self.path.display()
            ),
            _ => Ok(()),
        }
    }

    /// Elements open right now (the root is depth 1 once opened).
    pub fn depth(&self) -> usize {
        self.stack.len()
    }

    /// The next node; a document that is not well-formed is an error naming the line and
    /// the open elements.
    pub fn next_node(&mut self) -> anyhow::Result<Node> {
        if let Some(name) = self.pending_close.take() {
            self.stack.pop();
            return Ok(Node::Close { name });
        }
        loop {
            self.buf.clear();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(e) => e,
                Err(e) => {
                    let pos = self.reader.error_position();
                    return Err(self.malformed(pos, &e.to_string()));
                }
            };
            match event {
                Event::Start(e) => {
                    let (name, attrs, note) = element(&e);
                    if let Some(n) = note {
                        self.note(n);
                    }
                    self.stack.push(name.clone());
                    return Ok(Node::Open { name, attrs });
                }
                Event::Empty(e) => {
                    let (name, attrs, note) = element(&e);
                    if let Some(n) = note {
                        self.note(n);
                    }
                    self.stack.push(name.clone());
                    self.pending_close = Some(name.clone());
                    return Ok(Node::Open { name, attrs });
                }
                Event::End(e) => {
                    let name = local(e.name().as_ref());
                    self.stack.pop();
                    return Ok(Node::Close { name });
                }
                Event::Text(t) => {
                    let text = t.xml10_content().map(|c| c.into_owned());
                    let pos = self.reader.buffer_position();
                    let s = text.map_err(|e| self.malformed(pos, &e.to_string()))?;
                    if self.stack.is_empty() {
                        if s.trim().is_empty() {
                            continue;
                        }
                        return Err(self.malformed(pos, "text outside the root element"));
                    }
                    return Ok(Node::Text(s));
                }
                Event::CData(t) => {
                    let text = t.xml10_content().map(|c| c.into_owned());
                    let pos = self.reader.buffer_position();
                    let s = text.map_err(|e| self.malformed(pos, &e.to_string()))?;
                    return Ok(Node::Text(s));
                }
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => Ok(c.to_string()),
                        Ok(None) => match r.decode() {
                            Ok(name) => {
                                Ok(match quick_xml::escape::resolve_predefined_entity(&name) {
                                    Some(v) => v.to_string(),
                                    // An HTML entity in a body: left for the HTML sanitizer.
                                    None => format!("&{name};"),
                                })
                            }
                            Err(e) => Err(e.to_string()),
                        },
                        Err(e) => Err(e.to_string()),
                    };
                    let pos = self.reader.buffer_position();
                    let s = resolved.map_err(|e| self.malformed(pos, &e))?;
                    return Ok(Node::Text(s));
                }
                Event::Eof => {
                    if let Some(open) = self.stack.last() {
                        let msg = format!("the file ends before </{open}>");
                        let pos = self.reader.buffer_position();
                        return Err(self.malformed(pos, &msg));
                    }
                    return Ok(Node::Eof);
                }
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => continue,
            }
        }
    }

    /// Skips everything up to and including the end of the element just opened.
    pub fn skip_element(&mut self) -> anyhow::Result<()> {
        let depth = self.depth();
        while self.depth() >= depth {
            if self.next_node()? == Node::Eof {
                break;
            }
        }
        Ok(())
    }

    fn malformed(&self, pos: u64, why: &str) -> anyhow::Error {
        let (line, column) = line_of(&self.path, pos).unwrap_or((self.line(), 0));
        let inside = if self.stack.is_empty() {
            String::from("the document")
        } else {
            self.stack
                .iter()
                .map(|s| format!("<{s}>"))
                .collect::<Vec<_>>()
                .join(" > ")
        };
        anyhow::anyhow!(
            "{} is not well-formed XML: line {line}, column {column}, inside {inside}: {why}",
            self.path.display()
        )
    }
}

/// Line and column of a byte offset (only on the error path: it reads the file again).
fn line_of(path: &Path, pos: u64) -> Option<(u64, u64)> {
    let mut file = BufReader::new(File::open(path).ok()?).take(pos);
    let (mut line, mut col) = (1u64, 1u64);
    let mut chunk = [0u8; 64 * 1024];
    loop {
        let n = file.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        for &b in &chunk[..n] {
            if b == b'\n' {
                line += 1;
                col = 1;
            } else if b & 0xC0 != 0x80 {
                col += 1;
            }
        }
    }
    Some((line, col))
}
