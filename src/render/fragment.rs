//! The approved thread as a sanitized HTML fragment (no script), `GET /api/comments.html`,
//! for static-site builds, crawlers and readers without JavaScript. Built with maud, which
//! escapes every inserted value; only a comment's HTML, already sanitized by
//! [`markdown::render`](super::markdown::render), is inserted as it is.

use std::collections::HashMap;

use maud::{html, Markup, PreEscaped, Render};

use crate::domain::comment::{Comment, Status};
use crate::domain::thread::{self, Sort};
use crate::domain::{rfc3339, validate};

/// A placed comment and the replies nested under it.
struct Item<'a> {
    comment: &'a Comment,
    tombstone: bool,
    replies: Vec<Item<'a>>,
}

/// The fragment of the thread made of `rows` (a page's stored comments, in any order), its
/// replies nested at most `max_depth` deep as in the widget; avatars are served under
/// `base` (the public URL without its trailing `/`).
pub fn thread(site: &str, page: &str, base: &str, max_depth: usize, rows: &[Comment]) -> String {
    let total = rows.iter().filter(|c| c.status == Status::Approved).count();
    let items = nest(rows, max_depth);
    html! {
        div class="natter-static" data-natter-site=(site) data-natter-page=(page) data-natter-total=(total) {
            "\n"
            ol class="natter-thread" {
                "\n"
                @for item in &items { (Shown { item, base }) }
            }
            "\n"
        }
        "\n"
    }
    .into_string()
}

/// Nests the ordered thread by depth. A loop, not recursion over parents: reply chains are
/// user-controlled, but their depth is capped at `max_depth` (at most 100, config.rs), which
/// bounds the nesting, and so the recursion in [`Shown`], whatever the chain.
fn nest(rows: &[Comment], max_depth: usize) -> Vec<Item<'_>> {
    let ordered = thread::order_comments(rows, Sort::Oldest, None, usize::MAX);
    let mut depth_of = HashMap::new();
    let mut roots = Vec::new();
    // The items still open, one a depth: open[d] is the last item placed at depth d.
    let mut open: Vec<Item<'_>> = Vec::new();
    for placed in &ordered.items {
        let c = &rows[placed.index];
        let depth = c
            .parent
            .and_then(|p| depth_of.get(&p))
            .map_or(0, |d: &usize| (d + 1).min(max_depth));
        depth_of.insert(c.id, depth);
        // Close the items at or below this depth (thread order is depth-first, so the
        // parent is open; if it ever were not, the item nests under the deepest open one).
        while open.len() > depth {
            close(&mut open, &mut roots);
        }
        open.push(Item {
            comment: c,
            tombstone: placed.tombstone,
            replies: Vec::new(),
        });
    }
    while !open.is_empty() {
        close(&mut open, &mut roots);
    }
    roots
}

/// Closes the innermost open item: it becomes the last reply of the one it is nested in.
fn close<'a>(open: &mut Vec<Item<'a>>, roots: &mut Vec<Item<'a>>) {
    if let Some(item) = open.pop() {
        match open.last_mut() {
            Some(parent) => parent.replies.push(item),
            None => roots.push(item),
        }
    }
}

/// One item as a list element, with its replies.
struct Shown<'a, 'b> {
    item: &'b Item<'a>,
    base: &'b str,
}

impl Render for Shown<'_, '_> {
    fn render(&self) -> Markup {
        let Item {
            comment: c,
            tombstone,
            ref replies,
        } = *self.item;
        html! {
            li class={ "natter-comment" @if tombstone { " natter-deleted" } }
                id={ "natter-" (c.id) } data-natter-id=(c.id) {
                @if tombstone {
                    p class="natter-tombstone" { "[deleted]" }
                } @else {
                    article {
                        header {
                            (author(c, self.base)) " " time datetime=(rfc3339(c.created_at)) { (rfc3339(c.created_at)) }
                            // Where it came from (a Webmention's source, a Fediverse post: by its
                            // author's handle), when it is an http(s) page.
                            @if let Some(v) = c.via.as_ref().filter(|v| validate::origin_of(&v.url).is_some()) {
                                " " a class="natter-via" href=(v.url) rel="nofollow ugc noopener noreferrer" { "via " (v.handle.as_deref().unwrap_or(&v.kind)) }
                            }
                        }
                        "\n"
                        // Sanitized when it was stored (markdown::render): inserted as it is.
                        div class="natter-body" { (PreEscaped(&c.html)) }
                    }
                }
                @if !replies.is_empty() {
                    ol class="natter-replies" {
                        "\n"
                        @for item in replies { (Shown { item, base: self.base }) }
                    }
                    "\n"
                }
            }
            "\n"
        }
    }
}

/// Avatar and name, the name a link when the author gave a usable website.
fn author(c: &Comment, base: &str) -> Markup {
    let name = c.author.as_deref().unwrap_or("Anonymous");
    html! {
        @if let Some(a) = &c.avatar {
            img class="natter-avatar" src={ (base) "/api/avatar/" (a) ".svg" } alt="" width="32" height="32" loading="lazy";
            " "
        }
        @match &c.website {
            Some(w) if validate::origin_of(w).is_some() => {
                a class="natter-author" href=(w) rel="nofollow ugc noopener noreferrer" { (name) }
            }
            _ => { span class="natter-author" { (name) } }
        }
    }
}
