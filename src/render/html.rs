//! Escaping plain text for HTML, wherever a reader's string is shown outside the sanitizer.

/// Escapes text for use in HTML content and quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Security headers of every server-rendered page: nothing runs, nothing frames it,
/// forms post only back here, and the URL (which may hold a signature) is never sent on.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A small self-contained HTML page; `body` must already be safe HTML.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"referrer\" content=\"no-referrer\"><title>{title}</title>\
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}}\
.comment{{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}}\
.meta{{color:#555;font-size:.9rem}}button{{font-size:1rem;padding:.5rem 1.5rem;cursor:pointer}}\
@media (prefers-color-scheme:dark){{body{{background:#111;color:#eee}}.meta{{color:#aaa}}}}</style>\
</head><body><h1>{title}</h1>{body}</body></html>",
        title = escape(title)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            super::escape(r#"<a href="x">'&"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;"
        );
    }
}
