//! The layout's rules (README, "Architecture"), read from the source: which folder may use
//! which, where SQL and the web live, and how long a file may grow. Each rule fails on the
//! first file that breaks it, naming the file and the line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// A test-only file: `*_tests.rs` or `tests.rs`, included under `#[cfg(test)]`.
fn is_test_file(p: &Path) -> bool {
    let name = p.file_name().unwrap().to_string_lossy();
    name == "tests.rs" || name.ends_with("_tests.rs")
}

/// The part a file belongs to: its folder under `src/`, or its own name for a root file.
fn part(p: &Path) -> String {
    let rel = p.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The code lines of a file: comments dropped, and nothing after its first
/// `#[cfg(test)]` (tests may set up what the code may not).
fn code_lines(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(n, l)| (n + 1, l))
        .collect()
}

/// The parts below `crate::` that a file names.
fn uses(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (_, line) in code_lines(text) {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + 7..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
            rest = after;
        }
    }
    out
}

/// Which parts each part may use (besides itself). The arrows point one way:
/// cli → routes → http → actions → notify / import → store → render → domain, with config,
/// error and metrics as leaves below them. `None`: cli, lib.rs and main.rs, which assemble
/// everything.
fn allowed(part: &str) -> Option<&'static [&'static str]> {
    Some(match part {
        "domain" | "metrics" | "mf2" => &[],
        "fediverse" => &["domain"],
        "fetch" => &["config"],
        "signin" => &["fetch", "domain", "config"],
        "config" | "error" => &["domain"],
        "render" => &["domain", "config"],
        "store" => &["domain", "config", "error"],
        "import" => &["store", "render", "domain", "config", "error"],
        "notify" => &[
            "store", "render", "domain", "config", "error", "metrics", "fediverse",
        ],
        "actions" => &[
            "notify", "store", "render", "domain", "config", "error", "metrics", "fetch", "mf2",
            "fediverse", "signin",
        ],
        "http" => &["actions", "store", "domain", "config", "error", "metrics"],
        "routes" => &[
            "http", "actions", "render", "domain", "config", "error", "metrics", "fediverse",
        ],
        "cli" | "lib" | "main" => return None,
        other => panic!(
            "src/{other} is a part the layout does not know: add it to README's Architecture and here"
        ),
    })
}

#[test]
fn each_part_uses_only_the_parts_below_it() {
    let mut broken = Vec::new();
    for f in rust_files(&src()) {
        if is_test_file(&f) {
            continue;
        }
        let me = part(&f);
        let Some(ok) = allowed(&me) else { continue };
        for used in uses(&std::fs::read_to_string(&f).unwrap()) {
            if used != me && !ok.contains(&used.as_str()) {
                broken.push(format!("{} uses crate::{used}", f.display()));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "arrows the layout forbids:\n{}",
        broken.join("\n")
    );
}

/// Lines of a file that name `needle` in code (not in comments, not in its tests).
fn naming(dir: &str, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    for f in rust_files(&src().join(dir)) {
        if is_test_file(&f) {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in code_lines(&text) {
            if line.contains(needle) {
                hits.push(format!("{}:{n}: {}", f.display(), line.trim()));
            }
        }
    }
    hits
}

#[test]
fn the_use_cases_the_store_rendering_and_notifications_know_no_web() {
    for dir in ["actions", "domain", "store", "render", "notify", "import"] {
        let hits = naming(dir, "actix");
        assert!(
            hits.is_empty(),
            "src/{dir} must not use actix:\n{}",
            hits.join("\n")
        );
    }
}

#[test]
fn only_the_store_sees_a_connection() {
    for dir in ["actions", "domain", "render", "notify", "routes"] {
        let hits = naming(dir, "rusqlite");
        assert!(
            hits.is_empty(),
            "src/{dir} must not use rusqlite:\n{}",
            hits.join("\n")
        );
    }
}

#[test]
fn no_sql_outside_the_store() {
    // A string literal that starts like a statement.
    let starts = [
        "\"SELECT ",
        "\"INSERT ",
        "\"UPDATE ",
        "\"DELETE ",
        "\"WITH ",
        "\"CREATE ",
        "\"PRAGMA ",
        "\"BEGIN",
        "\"COMMIT",
        "\"VACUUM",
        "\"ATTACH ",
    ];
    let mut hits = Vec::new();
    for f in rust_files(&src()) {
        if is_test_file(&f) || part(&f) == "store" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in code_lines(&text) {
            if starts.iter().any(|s| line.contains(s)) {
                hits.push(format!("{}:{n}: {}", f.display(), line.trim()));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "SQL outside src/store:\n{}",
        hits.join("\n")
    );
}

#[test]
fn no_source_file_is_over_400_lines() {
    let long: Vec<String> = rust_files(&src())
        .into_iter()
        .filter(|f| !is_test_file(f))
        .filter_map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            // Lines up to the file's own test module, which may stay beside the code.
            let n = text
                .lines()
                .take_while(|l| l.trim() != "#[cfg(test)]")
                .count();
            (n > 400).then(|| format!("{}: {n} lines", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these:\n{}", long.join("\n"));
}

#[test]
fn the_rules_see_what_they_check() {
    // The checks above read real files: the parts they know are there, the SQL and the
    // imports they look for are found where they are allowed, so an empty result means
    // clean and not "read nothing".
    let parts: BTreeSet<String> = rust_files(&src()).iter().map(|f| part(f)).collect();
    for p in [
        "actions", "domain", "http", "render", "routes", "store", "notify", "import", "cli",
    ] {
        assert!(parts.contains(p), "no src/{p}");
    }
    assert!(!naming("store", "rusqlite").is_empty());
    assert!(!naming("http", "actix").is_empty());
    assert!(
        uses(&std::fs::read_to_string(src().join("actions/comments.rs")).unwrap())
            .contains("store")
    );
    let tx = std::fs::read_to_string(src().join("store/comments.rs")).unwrap();
    assert!(code_lines(&tx)
        .iter()
        .any(|(_, l)| l.contains("\"SELECT ") || l.contains("SELECT ")));
}
