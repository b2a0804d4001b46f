//! The summary of an import: what was written, what was already there, what was skipped
//! and why (with a few examples of each reason), printed to standard output at the end.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::domain::comment::Status;

/// Examples kept per skip reason; the count is always complete.
const EXAMPLES: usize = 10;

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// `disqus`, `wordpress`, `isso` or `json`.
    pub source: String,
    /// Site imported into (or `*` for every site of a JSON file).
    pub site: String,
    /// Comments written by this run.
    pub imported: u64,
    /// Of those: approved, pending, rejected, deleted.
    pub by_status: [u64; 4],
    /// Comments found already imported (by source id).
    pub already: u64,
    /// Pages the imported comments are on.
    pub pages: u64,
    /// Of those, pages this run created.
    pub pages_created: u64,
    /// Pages closed for comments in the source (locked here too).
    pub pages_locked: u64,
    /// Replies kept as top-level comments because their parent is missing.
    pub orphans: u64,
    orphan_examples: Vec<String>,
    /// Skips by reason: count and examples.
    pub skipped: BTreeMap<String, (u64, Vec<String>)>,
    /// Things read leniently or worth knowing (the first [`EXAMPLES`] × 2).
    pub notes: Vec<String>,
    /// Notes beyond those kept.
    pub more_notes: u64,
}

impl Report {
    /// An empty report.
    pub fn new(source: &str, site: &str) -> Report {
        Report {
            source: source.to_string(),
            site: site.to_string(),
            ..Report::default()
        }
    }

    /// Counts a written comment.
    pub fn count(&mut self, status: Status) {
        self.imported += 1;
        let i = match status {
            Status::Approved => 0,
            Status::Pending => 1,
            Status::Rejected | Status::Spam => 2,
            Status::Deleted => 3,
        };
        self.by_status[i] += 1;
    }

    /// Records a skipped comment: `reason` groups, `example` says which one.
    pub fn skip(&mut self, reason: &str, example: String) {
        let e = self.skipped.entry(reason.to_string()).or_default();
        e.0 += 1;
        if e.1.len() < EXAMPLES {
            e.1.push(example);
        }
    }

    /// Records a note; past a few dozen only the count grows (a million posts without
    /// ids must not mean a million lines in memory).
    pub fn note(&mut self, note: String) {
        if self.notes.len() < EXAMPLES * 2 {
            self.notes.push(note);
        } else {
            self.more_notes += 1;
        }
    }

    /// Records a reply kept top-level.
    pub fn orphan(&mut self, example: String) {
        self.orphans += 1;
        if self.orphan_examples.len() < EXAMPLES {
            self.orphan_examples.push(example);
        }
    }

    /// Comments skipped in all.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().map(|(n, _)| n).sum()
    }

    /// The human summary.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let [a, p, r, d] = self.by_status;
        let _ = writeln!(
            s,
            "import {} into site {:?}: {} comments imported ({a} approved, {p} pending, {r} rejected, {d} deleted)",
            self.source, self.site, self.imported
        );
        let _ = writeln!(
            s,
            "  already imported before (left alone): {}",
            self.already
        );
        let _ = writeln!(
            s,
            "  pages: {} ({} new, {} locked because the source closed them)",
            self.pages, self.pages_created, self.pages_locked
        );
        let _ = writeln!(
            s,
            "  replies kept as top-level comments (parent missing): {}",
            self.orphans
        );
        for e in &self.orphan_examples {
            let _ = writeln!(s, "    - {e}");
        }
        let _ = writeln!(s, "  skipped: {}", self.skipped_total());
        for (reason, (n, examples)) in &self.skipped {
            let _ = writeln!(s, "    {n} × {reason}");
            for e in examples {
                let _ = writeln!(s, "      - {e}");
            }
            if *n as usize > examples.len() {
                let _ = writeln!(s, "      - … and {} more", *n as usize - examples.len());
            }
        }
        if !self.notes.is_empty() {
            let _ = writeln!(s, "  notes:");
            for n in &self.notes {
                let _ = writeln!(s, "    - {n}");
            }
            if self.more_notes > 0 {
                let _ = writeln!(s, "    - … and {} more", self.more_notes);
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_and_keeps_a_few_examples_per_reason() {
        let mut r = Report::new("disqus", "blog");
        r.count(Status::Approved);
        r.count(Status::Deleted);
        for i in 0..12 {
            r.skip("bad date", format!("post {i}"));
        }
        for i in 0..25 {
            r.note(format!("note {i}"));
        }
        let text = r.render();
        assert_eq!(r.notes.len(), 20);
        assert!(text.contains("… and 5 more"), "{text}");
        assert!(text.contains("2 comments imported (1 approved, 0 pending, 0 rejected, 1 deleted)"));
        assert!(text.contains("12 × bad date"), "{text}");
        assert!(text.contains("… and 2 more"), "{text}");
        assert_eq!(r.skipped_total(), 12);
    }
}
