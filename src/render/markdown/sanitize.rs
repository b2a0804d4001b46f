//! The last stage and the only security boundary: ammonia's allow-list, with every one of
//! its default lists replaced, and URLs re-serialized so what was checked is what is emitted.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use ammonia::{Builder, Url, UrlRelative};

pub(super) const ALLOWED_TAGS: &[&str] = &[
    "p",
    "br",
    "a",
    "em",
    "strong",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
];

pub(super) const LINK_REL: &str = "nofollow ugc noopener noreferrer";

static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| sanitizer(false));
static SANITIZER_WITH_IMAGES: LazyLock<Builder<'static>> = LazyLock::new(|| sanitizer(true));

fn sanitizer(images: bool) -> Builder<'static> {
    let mut tags: HashSet<&'static str> = ALLOWED_TAGS.iter().copied().collect();
    let mut tag_attributes = HashMap::from([("a", HashSet::from(["href", "title"]))]);
    if images {
        tags.insert("img");
        tag_attributes.insert("img", HashSet::from(["src", "alt", "title"]));
    }
    // `Builder::empty()` only empties the tag list: it still carries ammonia's default
    // attribute lists (`lang`/`title` everywhere, `hreflang`, `colspan`, `start`, …) and
    // about 40 URL schemes, so every list is replaced explicitly here.
    let mut builder = Builder::empty();
    builder
        .tags(tags)
        .clean_content_tags(HashSet::from(["script", "style"]))
        .generic_attributes(HashSet::new())
        .generic_attribute_prefixes(HashSet::new())
        .tag_attributes(tag_attributes)
        .tag_attribute_values(HashMap::new())
        .set_tag_attribute_values(HashMap::new())
        .allowed_classes(HashMap::new())
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(UrlRelative::Deny)
        .link_rel(Some(LINK_REL))
        .strip_comments(true)
        .id_prefix(None)
        .attribute_filter(filter_attribute);
    builder
}

/// Re-serializes URLs through the URL parser.
///
/// ammonia checks the scheme of the *parsed* URL but emits the *original* attribute text
/// (`" HTTPS:evil"`, `"ht\ttp://x"`); emitting the canonical form means what was checked
/// is exactly what browsers get. It also gives `img src` its narrower scheme list.
fn filter_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    match (element, attribute) {
        ("a", "href") => canonical_url(value, &["http", "https", "mailto"]),
        ("img", "src") => canonical_url(value, &["http", "https"]),
        _ => Some(Cow::Borrowed(value)),
    }
}

/// Whether `url`, as the `href` of a link, passes the sanitizer's URL check (it parses,
/// with an allowed scheme).
pub(super) fn is_allowed_link(url: &str) -> bool {
    filter_attribute("a", "href", url).is_some()
}

fn canonical_url<'u>(value: &str, schemes: &[&str]) -> Option<Cow<'u, str>> {
    let url = Url::parse(value).ok()?;
    schemes
        .contains(&url.scheme())
        .then(|| Cow::Owned(url.into()))
}

/// Sanitizes prepared HTML with the policy for a site with or without images.
pub(super) fn clean(html: &str, images: bool) -> String {
    let sanitizer = if images {
        &*SANITIZER_WITH_IMAGES
    } else {
        &*SANITIZER
    };
    sanitizer.clean(html).to_string()
}
