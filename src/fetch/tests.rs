//! The address rules and `fetch_allow` matching, as pure checks (no traffic).

use std::net::IpAddr;

use super::limit::{HostLimiter, SWEEP_EVERY};
use super::refusal;
use super::rules::{Allow, Rules, Unusable};
use crate::config::Settings;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn refused(s: &str) -> bool {
    refusal(ip(s)).is_some()
}

#[test]
fn every_refused_range_is_refused() {
    for a in [
        // loopback, both families
        "127.0.0.1",
        "127.255.255.254",
        "::1",
        // private
        "10.0.0.0",
        "10.255.255.255",
        "172.16.0.0",
        "172.31.255.255",
        "192.168.0.1",
        "192.168.255.255",
        // link-local (cloud metadata)
        "169.254.169.254",
        // carrier-grade NAT
        "100.64.0.0",
        "100.127.255.255",
        // "this network" and unspecified
        "0.0.0.0",
        "0.1.2.3",
        // multicast, reserved, broadcast
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        // protocol assignments, documentation, benchmarking
        "192.0.0.8",
        "192.0.2.1",
        "198.18.0.1",
        "198.19.255.255",
        "198.51.100.7",
        "203.0.113.9",
        // IPv6
        "::",
        "fd00::1",
        "fc00::1",
        "fe80::1",
        "fec0::1",
        "ff02::1",
        "2001:db8::1",
        "100::1",
        // IPv4 in IPv6 clothing
        "::ffff:127.0.0.1",
        "::ffff:10.1.2.3",
        "::ffff:169.254.169.254",
        "::ffff:0.0.0.0",
        "::127.0.0.1",
        "::8.8.8.8",
        "64:ff9b::7f00:1",
        "64:ff9b::a00:1",
        "64:ff9b:1::1",
        "2002:7f00:1::1",
        "2002:c0a8:101::1",
    ] {
        assert!(refused(a), "{a} should be refused");
    }
}

#[test]
fn public_addresses_and_the_edges_next_to_refused_ranges_pass() {
    for a in [
        "93.184.215.14",
        "1.1.1.1",
        "8.8.8.8",
        "9.255.255.255",
        "11.0.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "100.63.255.255",
        "100.128.0.0",
        "126.255.255.255",
        "128.0.0.0",
        "169.253.255.255",
        "169.255.0.0",
        "192.167.255.255",
        "192.169.0.0",
        "198.17.255.255",
        "198.20.0.0",
        "223.255.255.255",
        "2606:4700::1111",
        "2a00:1450:4001:80b::200e",
        "::ffff:93.184.215.14",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ] {
        assert_eq!(refusal(ip(a)), None, "{a} should pass");
    }
}

#[test]
fn a_refusal_says_why() {
    assert_eq!(refusal(ip("127.0.0.1")), Some("a loopback address"));
    assert_eq!(refusal(ip("::1")), Some("a loopback address"));
    assert_eq!(refusal(ip("::ffff:127.0.0.1")), Some("a loopback address"));
    assert_eq!(refusal(ip("10.0.0.1")), Some("a private address"));
    assert_eq!(refusal(ip("169.254.169.254")), Some("a link-local address"));
    assert_eq!(
        refusal(ip("fd00::1")),
        Some("a unique-local (private) address")
    );
}

fn rules(allow: &[&str], hosts: &[(&str, &str)]) -> Rules {
    Rules::new(&Settings {
        fetch_allow: allow.iter().map(|s| s.to_string()).collect(),
        fetch_hosts: hosts
            .iter()
            .map(|(n, a)| (n.to_string(), a.to_string()))
            .collect(),
        ..Settings::default()
    })
}

#[test]
fn allow_entries_are_names_addresses_or_ranges() {
    assert_eq!(Allow::parse(" 127.0.0.1 "), Allow::Addr(ip("127.0.0.1")));
    assert_eq!(Allow::parse("::1"), Allow::Addr(ip("::1")));
    assert_eq!(
        Allow::parse("10.0.0.0/8"),
        Allow::Net("10.0.0.0/8".parse().unwrap())
    );
    assert_eq!(
        Allow::parse("Blog.Example"),
        Allow::Name("blog.example".into())
    );
}

#[test]
fn an_allowed_address_is_exactly_that_address() {
    let r = rules(&["127.0.0.1"], &[]);
    assert_eq!(r.refused(ip("127.0.0.1")), None);
    for other in ["::1", "127.0.0.2", "::ffff:127.0.0.1", "10.0.0.1"] {
        assert!(r.refused(ip(other)).is_some(), "{other}");
    }
    assert!(!r.allows_name("127.0.0.2"));
}

#[test]
fn an_allowed_range_holds_its_addresses_and_no_others() {
    let r = rules(&["10.1.0.0/16", "fd00::/64"], &[]);
    assert_eq!(r.refused(ip("10.1.0.0")), None);
    assert_eq!(r.refused(ip("10.1.255.255")), None);
    assert_eq!(r.refused(ip("fd00::5")), None);
    assert!(r.refused(ip("10.2.0.0")).is_some());
    assert!(r.refused(ip("fd00:0:0:1::5")).is_some());
    assert!(r.refused(ip("::ffff:10.1.0.1")).is_some());
    // Public addresses pass without any entry.
    assert_eq!(r.refused(ip("93.184.215.14")), None);
}

#[test]
fn an_allowed_name_matches_the_host_exactly_in_any_case() {
    let r = rules(&["Intranet.Example"], &[]);
    assert!(r.allows_name("intranet.example"));
    assert!(r.allows_name("INTRANET.example"));
    for other in [
        "example",
        "a.intranet.example",
        "intranet.example.org",
        "intranet.example.",
    ] {
        assert!(!r.allows_name(other), "{other}");
    }
    // A name opens nothing by address.
    assert!(r.refused(ip("10.0.0.1")).is_some());
}

#[test]
fn one_refused_address_refuses_the_host_unless_allowed() {
    let r = rules(&["10.0.0.5"], &[]);
    let mixed = vec![ip("93.184.215.14"), ip("127.0.0.1")];
    match r.checked("evil.example", mixed.clone()) {
        Err(Unusable::Refused(why)) => {
            assert_eq!(
                why,
                "evil.example resolves to 127.0.0.1, a loopback address"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        r.checked("evil.example", vec![]),
        Err(Unusable::Unresolved)
    ));
    let ok = vec![ip("93.184.215.14"), ip("10.0.0.5")];
    assert_eq!(r.checked("intranet.example", ok.clone()).unwrap(), ok);
    let named = rules(&["evil.example"], &[]);
    assert_eq!(named.checked("evil.example", mixed.clone()).unwrap(), mixed);
}

#[test]
fn pinned_names_are_read_case_insensitively_and_bad_entries_dropped() {
    let r = rules(
        &[],
        &[("Evil.Example", "127.0.0.1"), ("bad.example", "nope")],
    );
    assert!(format!("{r:?}").contains("\"evil.example\": 127.0.0.1"));
    assert!(!format!("{r:?}").contains("bad.example"));
}

#[test]
fn the_host_limiter_counts_per_host() {
    let l = HostLimiter::new(3);
    for _ in 0..3 {
        assert!(l.admit("a.example".into()));
    }
    assert!(!l.admit("a.example".into()));
    assert!(l.admit("b.example".into()));
    assert_eq!(l.len(), 2);
    // Zero still lets one through rather than panicking.
    let z = HostLimiter::new(0);
    assert!(z.admit("a.example".into()));
    assert!(!z.admit("a.example".into()));
}

#[test]
fn the_host_limiter_forgets_hosts_whose_quota_is_full_again() {
    // 60 000 a minute: a host's one request is forgiven after 1 ms.
    let l = HostLimiter::new(60_000);
    for i in 0..SWEEP_EVERY - 1 {
        assert!(l.admit(format!("h{i}.example")));
    }
    assert_eq!(l.len(), SWEEP_EVERY as usize - 1);
    std::thread::sleep(std::time::Duration::from_millis(20));
    // The next check sweeps first.
    assert!(l.admit("last.example".into()));
    assert_eq!(l.len(), 1);
}
