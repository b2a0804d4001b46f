//! Natter is MIT OR Apache-2.0: every dependency in the lock file must allow that.

use serde_json::Value;

/// Licences that can be combined into an MIT OR Apache-2.0 binary.
const ALLOWED: &[&str] = &[
    "MIT",
    "Apache-2.0",
    "Apache-2.0 WITH LLVM-exception",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "Zlib",
    "0BSD",
    "CC0-1.0",
    "Unlicense",
    "BSL-1.0",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "MPL-2.0",
    // webpki-roots: Mozilla's CA list as data, permissive.
    "CDLA-Permissive-2.0",
];

/// Whether an SPDX expression lets us use the crate (`OR`: either side will do; `AND`: both
/// must be allowed). The legacy `A/B` form means `A OR B`.
fn acceptable(expr: &str) -> bool {
    let spaced = expr
        .replace('(', " ( ")
        .replace(')', " ) ")
        .replace('/', " OR ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut pos = 0;
    let ok = or_expr(&tokens, &mut pos);
    ok && pos == tokens.len()
}

fn or_expr(t: &[&str], pos: &mut usize) -> bool {
    let mut ok = and_expr(t, pos);
    while t.get(*pos) == Some(&"OR") {
        *pos += 1;
        ok |= and_expr(t, pos);
    }
    ok
}

fn and_expr(t: &[&str], pos: &mut usize) -> bool {
    let mut ok = atom(t, pos);
    while t.get(*pos) == Some(&"AND") {
        *pos += 1;
        ok &= atom(t, pos);
    }
    ok
}

fn atom(t: &[&str], pos: &mut usize) -> bool {
    match t.get(*pos) {
        Some(&"(") => {
            *pos += 1;
            let ok = or_expr(t, pos);
            if t.get(*pos) == Some(&")") {
                *pos += 1;
                ok
            } else {
                false
            }
        }
        Some(id) => {
            *pos += 1;
            let mut name = id.to_string();
            if t.get(*pos) == Some(&"WITH") {
                name = format!("{name} WITH {}", t.get(*pos + 1).unwrap_or(&""));
                *pos += 2;
            }
            ALLOWED.contains(&name.as_str())
        }
        None => false,
    }
}

#[test]
fn every_dependency_has_a_compatible_licence() {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut bad = Vec::new();
    let packages = meta["packages"].as_array().unwrap();
    assert!(packages.len() > 50, "the whole graph is checked");
    for p in packages {
        let name = p["name"].as_str().unwrap();
        match p["license"].as_str() {
            Some(l) if acceptable(l) => {}
            other => bad.push(format!("{name} {}: {other:?}", p["version"])),
        }
    }
    assert!(bad.is_empty(), "incompatible or unknown licences: {bad:#?}");
}

#[test]
fn the_licence_rule_itself() {
    assert!(acceptable("MIT OR Apache-2.0"));
    assert!(acceptable("(MIT OR Apache-2.0) AND Unicode-3.0"));
    assert!(acceptable("Apache-2.0/MIT"));
    assert!(!acceptable("GPL-3.0"));
    assert!(!acceptable("MIT AND GPL-3.0-only"));
    assert!(acceptable("GPL-3.0 OR MIT"));
    assert!(!acceptable("(MIT OR Apache-2.0) AND GPL-3.0"));
    assert!(acceptable("Apache-2.0 WITH LLVM-exception OR MIT"));
}
