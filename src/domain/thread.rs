//! Thread order: top-level comments by the chosen sort, each followed by its replies
//! depth-first (siblings oldest first), with tombstones for hidden comments that have
//! visible replies. Iterative throughout: reply chains are user-controlled depth.

use std::collections::HashMap;

use base64::Engine as _;

/// How top-level comments are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Sort {
    /// Oldest first (the default).
    Oldest,
    /// Newest first.
    Newest,
    /// Likes minus dislikes, ties oldest first.
    Top,
}

impl Sort {
    /// Parses the `sort` query value.
    pub fn parse(s: &str) -> Option<Sort> {
        match s {
            "oldest" => Some(Sort::Oldest),
            "newest" => Some(Sort::Newest),
            "top" => Some(Sort::Top),
            _ => None,
        }
    }

    fn tag(self) -> char {
        match self {
            Sort::Oldest => 'o',
            Sort::Newest => 'n',
            Sort::Top => 't',
        }
    }
}

/// What ordering needs to know of one comment.
#[derive(Debug, Clone)]
pub struct Node {
    /// Comment id.
    pub id: i64,
    /// Parent id, if a reply.
    pub parent: Option<i64>,
    /// Creation time.
    pub created_at: i64,
    /// Likes minus dislikes.
    pub score: i64,
    /// Approved (shown in full); otherwise at most a tombstone.
    pub visible: bool,
}

impl Node {
    /// What ordering needs of a stored comment: approved ones are shown, others at most as
    /// tombstones.
    pub fn of(c: &super::comment::Comment) -> Node {
        Node {
            id: c.id,
            parent: c.parent,
            created_at: c.created_at,
            score: c.likes - c.dislikes,
            visible: c.status == super::comment::Status::Approved,
        }
    }
}

/// Where the next page of top-level comments starts: the sort key of the last one sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    sort: Sort,
    key: (i64, i64, i64),
}

impl Cursor {
    /// The opaque form handed to clients.
    pub fn encode(&self) -> String {
        let raw = format!(
            "{}.{}.{}.{}",
            self.sort.tag(),
            self.key.0,
            self.key.1,
            self.key.2
        );
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    /// Reads a client's cursor; `None` when it is not one of ours for this sort.
    pub fn decode(s: &str, sort: Sort) -> Option<Cursor> {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .ok()?;
        let raw = String::from_utf8(raw).ok()?;
        let mut parts = raw.split('.');
        let tag = parts.next()?;
        if tag.len() != 1 || !tag.starts_with(sort.tag()) {
            return None;
        }
        let a = parts.next()?.parse().ok()?;
        let b = parts.next()?.parse().ok()?;
        let c = parts.next()?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some(Cursor {
            sort,
            key: (a, b, c),
        })
    }

    /// The cursor that continues after this top-level comment.
    pub fn after(n: &Node, sort: Sort) -> Cursor {
        Cursor {
            sort,
            key: root_key(n, sort),
        }
    }

    /// The sort key of the top-level comment the next page starts after (see [`root_key`]).
    pub fn key(&self) -> (i64, i64, i64) {
        self.key
    }
}

/// Where a top-level comment sorts: pages list top-level comments by this key, ascending,
/// and a cursor keeps those above its own key.
pub fn root_key(n: &Node, sort: Sort) -> (i64, i64, i64) {
    match sort {
        Sort::Oldest => (n.created_at, n.id, 0),
        Sort::Newest => (n.created_at.saturating_neg(), n.id.saturating_neg(), 0),
        Sort::Top => (n.score.saturating_neg(), n.created_at, n.id),
    }
}

/// One entry of the ordered thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// Index into the input slice.
    pub index: usize,
    /// Whether it is shown as a tombstone.
    pub tombstone: bool,
}

/// The ordered page: indices into the input, and the cursor for more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordered {
    /// Comments in thread order.
    pub items: Vec<Placed>,
    /// Continuation, when more top-level comments exist.
    pub next: Option<Cursor>,
}

/// Orders stored comments: approved ones are shown, others at most as tombstones.
pub fn order_comments(
    rows: &[super::comment::Comment],
    sort: Sort,
    after: Option<Cursor>,
    limit: usize,
) -> Ordered {
    let nodes: Vec<Node> = rows.iter().map(Node::of).collect();
    order(&nodes, sort, after, limit)
}

/// Orders a page's comments. `limit` counts top-level comments.
pub fn order(nodes: &[Node], sort: Sort, after: Option<Cursor>, limit: usize) -> Ordered {
    let by_id: HashMap<i64, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        match n.parent.and_then(|p| by_id.get(&p)) {
            Some(&p) if p != i => children.entry(p).or_default().push(i),
            // A reply whose parent is gone is shown at the top level rather than lost.
            _ => roots.push(i),
        }
    }
    for list in children.values_mut() {
        list.sort_by_key(|&i| (nodes[i].created_at, nodes[i].id));
    }

    // Pre-order over everything reachable; reversed, it visits children before parents,
    // which is all "has a visible descendant" needs.
    let mut seen = vec![false; nodes.len()];
    let mut preorder = Vec::with_capacity(nodes.len());
    let mut stack: Vec<usize> = roots.clone();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        preorder.push(i);
        if let Some(kids) = children.get(&i) {
            stack.extend(kids.iter().copied());
        }
    }
    let mut shown: Vec<bool> = nodes.iter().map(|n| n.visible).collect();
    let mut parent_of = vec![usize::MAX; nodes.len()];
    for (&p, kids) in &children {
        for &k in kids {
            parent_of[k] = p;
        }
    }
    for &i in preorder.iter().rev() {
        if shown[i] && parent_of[i] != usize::MAX {
            shown[parent_of[i]] = true;
        }
    }

    let mut roots: Vec<usize> = roots.into_iter().filter(|&i| shown[i]).collect();
    roots.sort_by_key(|&i| root_key(&nodes[i], sort));
    if let Some(c) = after {
        roots.retain(|&i| root_key(&nodes[i], sort) > c.key);
    }
    let more = roots.len() > limit;
    roots.truncate(limit);
    let next = if more {
        roots.last().map(|&i| Cursor {
            sort,
            key: root_key(&nodes[i], sort),
        })
    } else {
        None
    };

    let mut items = Vec::new();
    let mut emitted = vec![false; nodes.len()];
    for &root in &roots {
        let mut stack = vec![root];
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut emitted[i], true) {
                continue;
            }
            items.push(Placed {
                index: i,
                tombstone: !nodes[i].visible,
            });
            if let Some(kids) = children.get(&i) {
                stack.extend(kids.iter().rev().copied().filter(|&k| shown[k]));
            }
        }
    }
    Ordered { items, next }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(id: i64, parent: Option<i64>, t: i64, score: i64, visible: bool) -> Node {
        Node {
            id,
            parent,
            created_at: t,
            score,
            visible,
        }
    }

    fn ids(nodes: &[Node], o: &Ordered) -> Vec<i64> {
        o.items.iter().map(|p| nodes[p.index].id).collect()
    }

    #[test]
    fn replies_follow_their_parent_depth_first() {
        let nodes = vec![
            n(1, None, 10, 0, true),
            n(2, None, 20, 0, true),
            n(3, Some(1), 30, 0, true),
            n(4, Some(3), 40, 0, true),
            n(5, Some(1), 35, 0, true),
        ];
        let o = order(&nodes, Sort::Oldest, None, 50);
        assert_eq!(ids(&nodes, &o), vec![1, 3, 4, 5, 2]);
        let o = order(&nodes, Sort::Newest, None, 50);
        assert_eq!(ids(&nodes, &o), vec![2, 1, 3, 4, 5]);
    }

    #[test]
    fn top_sorts_by_score_then_oldest() {
        let nodes = vec![
            n(1, None, 10, 1, true),
            n(2, None, 20, 5, true),
            n(3, None, 5, 1, true),
        ];
        let o = order(&nodes, Sort::Top, None, 50);
        assert_eq!(ids(&nodes, &o), vec![2, 3, 1]);
    }

    #[test]
    fn hidden_parents_with_visible_replies_become_tombstones() {
        let nodes = vec![
            n(1, None, 10, 0, false),
            n(2, Some(1), 20, 0, true),
            n(3, None, 30, 0, false),
            n(4, Some(3), 40, 0, false),
        ];
        let o = order(&nodes, Sort::Oldest, None, 50);
        assert_eq!(ids(&nodes, &o), vec![1, 2]);
        assert!(o.items[0].tombstone);
        assert!(!o.items[1].tombstone);
    }

    #[test]
    fn cursor_pages_through_top_level_comments() {
        let nodes: Vec<Node> = (1..=5).map(|i| n(i, None, 100, 0, true)).collect();
        let first = order(&nodes, Sort::Oldest, None, 2);
        assert_eq!(ids(&nodes, &first), vec![1, 2]);
        let c = Cursor::decode(&first.next.unwrap().encode(), Sort::Oldest).unwrap();
        let second = order(&nodes, Sort::Oldest, Some(c), 2);
        assert_eq!(ids(&nodes, &second), vec![3, 4]);
        let third = order(&nodes, Sort::Oldest, second.next, 2);
        assert_eq!(ids(&nodes, &third), vec![5]);
        assert!(third.next.is_none());
    }

    #[test]
    fn cursor_of_another_sort_is_refused() {
        let c = Cursor {
            sort: Sort::Top,
            key: (1, 2, 3),
        };
        assert!(Cursor::decode(&c.encode(), Sort::Oldest).is_none());
        assert!(Cursor::decode("garbage!", Sort::Oldest).is_none());
    }

    #[test]
    fn a_very_deep_chain_orders_without_recursion() {
        let depth = 200_000;
        let nodes: Vec<Node> = (1..=depth)
            .map(|i| n(i, if i == 1 { None } else { Some(i - 1) }, i, 0, i == depth))
            .collect();
        let o = order(&nodes, Sort::Oldest, None, 50);
        assert_eq!(o.items.len(), depth as usize);
        assert!(o.items[0].tombstone);
        assert!(!o.items[depth as usize - 1].tombstone);
    }

    #[test]
    fn cycles_do_not_loop_forever() {
        let nodes = vec![
            n(1, Some(2), 1, 0, true),
            n(2, Some(1), 2, 0, true),
            n(3, None, 3, 0, true),
        ];
        let o = order(&nodes, Sort::Oldest, None, 50);
        assert_eq!(ids(&nodes, &o), vec![3]);
    }
}
