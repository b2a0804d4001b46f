//! Minifies the widget: `widget/embed.js` is the readable source, `$OUT_DIR/embed.min.js` what
//! `GET /embed.js` serves (src/routes/meta.rs). The served bytes must stay within 12 KB gzipped
//! (tests/api/meta.rs checks them). Any failure here fails the build: the server never falls
//! back to serving something else.

use std::path::Path;
use std::{env, fs, process};

const SOURCE: &str = "widget/embed.js";
/// Opens a template literal holding CSS, which is compacted before the JavaScript is minified.
const CSS_TEMPLATE: &str = "/* css */ `";

fn main() {
    println!("cargo:rerun-if-changed={SOURCE}");
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|e| fail(&e.to_string()));
    let out_dir = env::var("OUT_DIR").unwrap_or_else(|e| fail(&e.to_string()));
    let source = fs::read_to_string(Path::new(&manifest_dir).join(SOURCE))
        .unwrap_or_else(|e| fail(&format!("cannot read {SOURCE}: {e}")));
    let compacted = compact_css_templates(&source).unwrap_or_else(|e| fail(&e));
    let minified = minifier::js::minify(&compacted)
        .unwrap_or_else(|e| fail(&format!("minifying {SOURCE} failed: {e}")))
        .to_string();
    // A minifier that returned nothing, or more than it was given, did not do its work.
    if minified.trim().is_empty() || minified.len() >= source.len() {
        fail(&format!(
            "minifying {SOURCE} gave {} bytes from {}",
            minified.len(),
            source.len()
        ));
    }
    let out = Path::new(&out_dir).join("embed.min.js");
    fs::write(&out, minified).unwrap_or_else(|e| fail(&format!("cannot write {out:?}: {e}")));
}

fn fail(message: &str) -> ! {
    eprintln!("error: natter's build script: {message}");
    process::exit(1);
}

/// Replaces each `/* css */ `…`` template with its CSS compacted (see `compact_css`).
fn compact_css_templates(source: &str) -> Result<String, String> {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(at) = rest.find(CSS_TEMPLATE) {
        out.push_str(&rest[..at]);
        let start = at + CSS_TEMPLATE.len();
        let len = rest[start..]
            .find('`')
            .ok_or_else(|| format!("{SOURCE}: a /* css */ template is never closed"))?;
        out.push('`');
        out.push_str(&compact_css(&rest[start..start + len]));
        out.push('`');
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Trims every line and joins them, then drops the spaces CSS does not need around `:;,{}`.
/// So each line of such a template must end where CSS needs no space (after `{`, `;`, `}` or
/// `,`), and a `: ` may only stand in a declaration or a media query, never in a selector.
fn compact_css(css: &str) -> String {
    let mut out: String = css.lines().map(str::trim).collect();
    for (from, to) in [
        (": ", ":"),
        ("; ", ";"),
        (", ", ","),
        (" {", "{"),
        ("{ ", "{"),
        (" }", "}"),
        ("} ", "}"),
        (";}", "}"),
    ] {
        out = out.replace(from, to);
    }
    out
}
