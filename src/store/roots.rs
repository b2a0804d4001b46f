//! Which top-level comments one page of a thread shows, the same on both engines: the
//! regular ones come in batches in the sort's order (from the roots index), the orphans
//! (replies whose parent is not on the page) all at once; the two are merged in that order,
//! hidden ones without a visible reply are passed over, and one more than the page holds
//! says whether there is a next page. Only the queries differ between engines.

use std::collections::VecDeque;
use std::iter::Peekable;
use std::vec::IntoIter;

use crate::domain::thread::{self, Cursor, Node, Sort};

/// The fewest top-level comments read at once (a page asks for `limit + 1`, when more): a
/// few spare ones save another query when some turn out hidden.
pub(super) const ROOTS_BATCH_MIN: usize = 16;

/// The key top-level comments are ordered by.
type Key = (i64, i64, i64);

/// The merge of one thread page's top-level comments.
pub(super) struct Picker {
    sort: Sort,
    limit: usize,
    after: Option<Key>,
    batch: VecDeque<Node>,
    batch_from: Option<Key>,
    batches_done: bool,
    batches: u32,
    orphans: Option<Peekable<IntoIter<Node>>>,
    picked: Vec<Node>,
    more: bool,
}

impl Picker {
    /// A page of at most `limit` top-level comments after `after`, in `sort`'s order.
    pub(super) fn new(sort: Sort, after: Option<Cursor>, limit: usize) -> Picker {
        let after = after.map(|c| c.key());
        Picker {
            sort,
            limit,
            after,
            batch: VecDeque::new(),
            batch_from: after,
            batches_done: false,
            batches: 0,
            orphans: None,
            picked: Vec::new(),
            more: false,
        }
    }

    /// When the next batch of regular top-level comments is due: after which key, and how
    /// many to ask for (twice as many each time: many hidden ones in a row cost few queries).
    pub(super) fn wants(&mut self) -> Option<(Option<Key>, usize)> {
        if !self.batch.is_empty() || self.batches_done {
            return None;
        }
        let want =
            (self.limit.saturating_add(1) - self.picked.len()).max(ROOTS_BATCH_MIN) << self.batches;
        self.batches = (self.batches + 1).min(16);
        Some((self.batch_from, want))
    }

    /// The batch asked for with `want`, in the sort's order.
    pub(super) fn add_batch(&mut self, got: Vec<Node>, want: usize) {
        self.batches_done = got.len() < want;
        if let Some(last) = got.last() {
            self.batch_from = Some(thread::root_key(last, self.sort));
        }
        self.batch.extend(got);
    }

    /// Whether the orphans are still to be given.
    pub(super) fn needs_orphans(&self) -> bool {
        self.orphans.is_none()
    }

    /// The page's orphans, in any order.
    pub(super) fn set_orphans(&mut self, found: Vec<Node>) {
        let (sort, after) = (self.sort, self.after);
        let mut found: Vec<Node> = found
            .into_iter()
            .filter(|n| after.is_none_or(|k| thread::root_key(n, sort) > k))
            .collect();
        found.sort_by_key(|n| thread::root_key(n, sort));
        self.orphans = Some(found.into_iter().peekable());
    }

    /// The next top-level comment in the sort's order, regular or orphan; `None` when both
    /// are exhausted.
    pub(super) fn next_candidate(&mut self) -> Option<Node> {
        let sort = self.sort;
        let orphans = self
            .orphans
            .get_or_insert_with(|| Vec::new().into_iter().peekable());
        let orphan_first = match (self.batch.front(), orphans.peek()) {
            (None, None) => return None,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (Some(r), Some(o)) => thread::root_key(o, sort) < thread::root_key(r, sort),
        };
        if orphan_first {
            orphans.next()
        } else {
            self.batch.pop_front()
        }
    }

    /// Takes a shown top-level comment; `false` when the page is full (there is more).
    pub(super) fn keep(&mut self, root: Node) -> bool {
        if self.picked.len() == self.limit {
            self.more = true;
            return false;
        }
        self.picked.push(root);
        true
    }

    /// The picked top-level comments and the cursor for the next page, if there is one.
    pub(super) fn finish(self) -> (Vec<Node>, Option<Cursor>) {
        let next = match (self.more, self.picked.last()) {
            (true, Some(last)) => Some(Cursor::after(last, self.sort)),
            _ => None,
        };
        (self.picked, next)
    }
}
