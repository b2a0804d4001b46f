//! The microformats2 parse: root elements (`h-*`) become items, the property classes inside
//! them (`p-*`, `u-*`, `dt-*`, `e-*`) their properties, a nested root a child item or, when it
//! is also a property, that property's value.

use std::rc::Rc;

use scraper::ElementRef;
use url::Url;

use super::dom::{self, Budget, Prefix};
use super::implied::{self, Implied};
use super::links::{self, Target};

/// Nested roots deeper than this are left out, with everything inside them.
pub(super) const MAX_DEPTH: usize = 64;

/// One microformat on the page.
#[derive(Debug)]
pub(super) struct Item<'a> {
    /// Its root element.
    pub el: ElementRef<'a>,
    /// Its root classes, `h-entry` and the like.
    pub types: Vec<String>,
    /// Its properties, in document order.
    pub props: Vec<Prop<'a>>,
    /// The microformats nested in it that are not property values.
    pub children: Vec<Rc<Item<'a>>>,
    /// Its place in document order among all items.
    pub seq: usize,
    /// Whether it holds (or is) a link to the target.
    pub links_to_target: bool,
    /// The values microformats2 implies when they are not written.
    pub implied: Implied,
}

/// One property value.
#[derive(Debug)]
pub(super) struct Prop<'a> {
    /// The name after the prefix: `in-reply-to` for `u-in-reply-to`.
    pub name: String,
    /// How the value was read.
    pub prefix: Prefix,
    /// The value: text, an absolute URL (`u-*`, when it resolves), a date as written, or an
    /// `e-*`'s text.
    pub text: String,
    /// An `e-*`'s inner HTML.
    pub html: Option<String>,
    /// The microformat the property's element also is, if any (`p-author h-card`).
    pub item: Option<Rc<Item<'a>>>,
}

impl<'a> Item<'a> {
    /// Whether the item is of type `t` (`h-entry`).
    pub fn is(&self, t: &str) -> bool {
        self.types.iter().any(|x| x == t)
    }

    /// The values of property `name`, in document order.
    pub fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Prop<'a>> + 's {
        self.props.iter().filter(move |p| p.name == name)
    }

    /// The first value of property `name`.
    pub fn first(&self, name: &str) -> Option<&Prop<'a>> {
        self.props.iter().find(|p| p.name == name)
    }

    /// The item's URL: its first `url` value, else the implied one.
    pub fn url(&self) -> Option<&str> {
        match self.first("url") {
            Some(p) => Some(p.text.as_str()),
            None => self.implied.url.as_deref(),
        }
    }

    /// The item's name: its first `name` value, else the implied one.
    pub fn name(&self) -> Option<&str> {
        match self.first("name") {
            Some(p) => Some(p.text.as_str()),
            None => self.implied.name.as_deref(),
        }
    }
}

/// The parse of one page.
pub(super) struct Parser<'t> {
    base: &'t Url,
    target: &'t Target,
    budget: Budget,
    seq: usize,
}

impl<'t> Parser<'t> {
    /// A parser resolving URLs against `base` and noting links to `target`.
    pub fn new(base: &'t Url, target: &'t Target) -> Self {
        Parser {
            base,
            target,
            budget: Budget::new(),
            seq: 0,
        }
    }

    /// The top-level microformats under `root`, in document order.
    pub fn parse<'a>(&mut self, root: ElementRef<'a>) -> Vec<Rc<Item<'a>>> {
        let mut items = Vec::new();
        let mut stack = vec![root];
        while let Some(el) = stack.pop() {
            if el.value().name() == "template" {
                continue;
            }
            let (roots, _) = dom::classes(el.value());
            if roots.is_empty() {
                stack.extend(el.children().rev().filter_map(ElementRef::wrap));
            } else {
                items.push(Rc::new(self.item(el, roots, 1)));
            }
        }
        items
    }

    /// The item rooted at `el`, at nesting `depth` (1 for a top-level one).
    fn item<'a>(&mut self, el: ElementRef<'a>, types: Vec<String>, depth: usize) -> Item<'a> {
        self.seq += 1;
        let mut item = Item {
            el,
            types,
            props: Vec::new(),
            children: Vec::new(),
            seq: self.seq,
            links_to_target: links::points_to(el.value(), self.base, self.target),
            implied: Implied::default(),
        };
        let mut stack: Vec<_> = el.children().rev().filter_map(ElementRef::wrap).collect();
        while let Some(child) = stack.pop() {
            if child.value().name() == "template" {
                continue;
            }
            let (roots, props) = dom::classes(child.value());
            if !roots.is_empty() {
                if depth >= MAX_DEPTH {
                    continue;
                }
                let nested = Rc::new(self.item(child, roots, depth + 1));
                item.links_to_target |= nested.links_to_target;
                for (prefix, name) in &props {
                    let (text, html) = self.nested_value(*prefix, child, &nested);
                    let (name, prefix) = (name.clone(), *prefix);
                    let item_ref = Some(Rc::clone(&nested));
                    item.props.push(Prop {
                        name,
                        prefix,
                        text,
                        html,
                        item: item_ref,
                    });
                }
                if props.is_empty() {
                    item.children.push(nested);
                }
                continue;
            }
            item.links_to_target |= links::points_to(child.value(), self.base, self.target);
            for (prefix, name) in props {
                let (text, html) = self.value(prefix, child);
                item.props.push(Prop {
                    name,
                    prefix,
                    text,
                    html,
                    item: None,
                });
            }
            stack.extend(child.children().rev().filter_map(ElementRef::wrap));
        }
        item.implied = implied::imply(&item, self.base, &mut self.budget);
        item
    }

    /// The value of a property whose element is also the root of `nested`: for `p-*` the
    /// nested item's name, for `u-*` its URL, when it has them; else the element's own value.
    fn nested_value(
        &mut self,
        prefix: Prefix,
        el: ElementRef,
        nested: &Item,
    ) -> (String, Option<String>) {
        let own = match prefix {
            Prefix::P => nested.first("name"),
            Prefix::U => nested.first("url"),
            Prefix::Dt | Prefix::E => None,
        };
        match own {
            Some(p) => (p.text.clone(), None),
            None => self.value(prefix, el),
        }
    }

    /// The value of the property element `el` read as `prefix` says: the text, and for `e-*`
    /// the inner HTML.
    fn value(&mut self, prefix: Prefix, el: ElementRef) -> (String, Option<String>) {
        let e = el.value();
        let name = e.name();
        let attr =
            |names: &[&str], attr: &str| names.contains(&name).then(|| e.attr(attr)).flatten();
        match prefix {
            Prefix::P => {
                let written = attr(&["abbr", "link"], "title")
                    .or_else(|| attr(&["data", "input"], "value"))
                    .or_else(|| attr(&["img", "area"], "alt"));
                let text = match written {
                    Some(v) => dom::collapse(v),
                    None => dom::text(el, &mut self.budget),
                };
                (text, None)
            }
            Prefix::U => {
                let link = attr(&["a", "area", "link"], "href")
                    .or_else(|| attr(&["img", "audio", "video", "source", "iframe"], "src"))
                    .or_else(|| attr(&["video"], "poster"))
                    .or_else(|| attr(&["object"], "data"));
                if let Some(v) = link {
                    // An empty link is the page itself, as in a browser.
                    let url = self.base.join(v.trim()).map(String::from);
                    return (url.unwrap_or_else(|_| v.trim().to_string()), None);
                }
                let written =
                    match attr(&["abbr"], "title").or_else(|| attr(&["data", "input"], "value")) {
                        Some(v) => v.trim().to_string(),
                        None => dom::text(el, &mut self.budget),
                    };
                (resolve(self.base, &written), None)
            }
            Prefix::Dt => {
                let written = attr(&["time", "ins", "del"], "datetime")
                    .or_else(|| attr(&["abbr"], "title"))
                    .or_else(|| attr(&["data", "input"], "value"));
                let text = match written {
                    Some(v) => v.trim().to_string(),
                    None => dom::text(el, &mut self.budget),
                };
                (text, None)
            }
            Prefix::E => {
                let html = dom::inner_html(el, self.base, &mut self.budget);
                (dom::text(el, &mut self.budget), html)
            }
        }
    }
}

/// `written` made absolute against `base`; as written when it does not resolve (or is empty).
pub(super) fn resolve(base: &Url, written: &str) -> String {
    if written.is_empty() {
        return String::new();
    }
    base.join(written)
        .map(String::from)
        .unwrap_or_else(|_| written.to_string())
}
