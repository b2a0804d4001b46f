//! Tests of the thread list query and its normal form.

use super::*;
use crate::domain::thread;

fn parse(raw: &str) -> ThreadQuery {
    ThreadQuery::parse(raw, |_| Ok(())).unwrap()
}

/// The normal form is what a cache lookup compares unparsed: it must read back as the
/// very same list, and be its own normal form.
fn assert_normal_form_reads_back(raw: &str) -> String {
    let list = parse(raw);
    let key = list.cache_key();
    assert_eq!(parse(&key), list, "{raw} -> {key}");
    assert_eq!(parse(&key).cache_key(), key, "{raw}");
    key
}

#[test]
fn every_spelling_of_a_list_has_one_normal_form_which_reads_back_as_the_list() {
    let cursor = |sort, key| {
        Cursor::after(
            &thread::Node {
                id: key,
                parent: None,
                created_at: 7,
                score: -2,
                visible: true,
            },
            sort,
        )
        .encode()
    };
    let key = assert_normal_form_reads_back("site=blog&page=/posts/a b%2Bc/");
    assert_eq!(key, "site=blog&page=%2Fposts%2Fa+b%2Bc%2F");
    for same in [
        "page=%2Fposts%2Fa%20b%2Bc%2F&site=blog&x=1",
        "site=blog&page=%2fposts%2fa+b%2bc/&sort=oldest&limit=50&after=",
        "site=blog&page=/posts/a b%2Bc/&page=/other/&_=17",
    ] {
        assert_eq!(assert_normal_form_reads_back(same), key, "{same}");
    }
    for raw in [
        "site=blog&page=%E2%9C%93%20%26%3D%3F%23&sort=top&limit=7".to_string(),
        format!(
            "site=blog&page=/a&sort=newest&after={}",
            cursor(Sort::Newest, 9)
        ),
        format!(
            "after={}&site=b-2&page=/a&sort=top&limit=200",
            cursor(Sort::Top, 3)
        ),
        format!(
            "site=blog&page=*-._~&limit=1&after={}",
            cursor(Sort::Oldest, 5)
        ),
    ] {
        assert_normal_form_reads_back(&raw);
    }
}

#[test]
fn the_widget_s_requests_are_in_normal_form() {
    // What embed.js sends (URLSearchParams of site, page, then sort and after when set).
    for raw in [
        "site=blog&page=%2Fposts%2Fhello%2F",
        "site=blog&page=%2Fposts%2Fhello%2F&sort=newest",
        "site=blog&page=%2Fposts%2Fh%C3%A9llo+world%2F&sort=top",
    ] {
        assert_eq!(parse(raw).cache_key(), raw);
    }
}
