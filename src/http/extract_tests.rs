//! Tests of the extractors: JSON bodies, queries, form encoding.

use super::*;

#[test]
fn queries_decode_and_keep_repeats() {
    let q = Query::parse("site=a&page=%2Fx%2F&page=%2Fy+z").unwrap();
    assert_eq!(q.get("site"), Some("a"));
    assert_eq!(q.all("page"), vec!["/x/", "/y z"]);
}

#[test]
fn form_encoding_is_the_browsers_and_reads_back() {
    let mut out = String::new();
    form_encode_into(&mut out, "/posts/hé llo?a=1&b=*-._~+");
    // What `new URLSearchParams({page: …}).toString()` gives.
    assert_eq!(out, "%2Fposts%2Fh%C3%A9+llo%3Fa%3D1%26b%3D*-._%7E%2B");
    let q = Query::parse(&format!("page={out}")).unwrap();
    assert_eq!(q.get("page"), Some("/posts/hé llo?a=1&b=*-._~+"));
}

#[test]
fn broken_queries_are_rejected() {
    assert!(Query::parse("page=%ZZ").is_err());
    assert!(Query::parse("page=%C3%28").is_err());
    assert!(Query::parse("page=%4").is_err());
}

#[test]
fn repeated_keys_are_found_with_their_path() {
    let found = |s: &str| duplicate_key(s.as_bytes());
    assert_eq!(
        found(r#"{"text": "one", "text": "two"}"#).as_deref(),
        Some("text")
    );
    assert_eq!(
        found(r#"{"text": "one", "t\u0065xt": "two"}"#).as_deref(),
        Some("text")
    );
    assert_eq!(
        found(r#"{"a": {"b": 1, "c": [{"d": 1}, {"e": 1, "e": 2}]}}"#).as_deref(),
        Some("a.c[1].e")
    );
    assert_eq!(found(r#"[{"x": 1}, {"x": 2}]"#), None);
    assert_eq!(found(r#"{"a": {"x": 1}, "b": {"x": 2}, "x": 3}"#), None);
    assert_eq!(found(r#"{"Text": 1, "text": 2}"#), None);
}

#[test]
fn json_content_types() {
    assert!(is_json("application/json"));
    assert!(is_json("Application/JSON; charset=utf-8"));
    assert!(!is_json("text/plain"));
    assert!(!is_json("application/jsonx"));
}
