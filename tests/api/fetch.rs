//! The outbound fetcher end to end, against page servers on loopback started here (raw
//! HTTP over `TcpListener`). Each server counts the connections it accepted, so a refused
//! fetch is shown to have reached nothing. No traffic leaves loopback: host names are
//! pinned with `fetch_hosts`, and `localhost` is answered by the system's hosts file.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use natter::config::Settings;
use natter::fetch::{FetchError, Fetcher, MAX_BYTES};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What a page server answers to one request path.
enum Reply {
    /// These bytes, then close.
    Raw(Vec<u8>),
    /// A 200 promising 100 bytes, sent one a second.
    Trickle,
    /// Nothing at all: the connection stays open and silent.
    Silence,
}

/// A page server: its address, the connections it accepted and the request heads it read.
struct Page {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Page {
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn port(&self) -> u16 {
        self.addr.port()
    }
}

/// A page server on `bind` (port 0), or `None` when that address cannot be bound here
/// (no IPv6 loopback, say).
async fn serve_on(bind: &str, reply: fn(&str) -> Reply) -> Option<Page> {
    let listener = TcpListener::bind(bind).await.ok()?;
    let page = Page {
        addr: listener.local_addr().unwrap(),
        hits: Arc::default(),
        heads: Arc::default(),
    };
    let (hits, heads) = (page.hits.clone(), page.heads.clone());
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            hits.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(answer(sock, reply, heads.clone()));
        }
    });
    Some(page)
}

async fn serve(reply: fn(&str) -> Reply) -> Page {
    serve_on("127.0.0.1:0", reply).await.unwrap()
}

async fn answer(mut sock: TcpStream, reply: fn(&str) -> Reply, heads: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16_384 {
        match sock.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let path = head.split(' ').nth(1).unwrap_or("/").to_string();
    heads.lock().unwrap().push(head);
    match reply(&path) {
        Reply::Raw(bytes) => {
            let _ = sock.write_all(&bytes).await;
        }
        Reply::Trickle => {
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
                .await;
            for _ in 0..100 {
                if sock.write_all(b"x").await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        Reply::Silence => tokio::time::sleep(Duration::from_secs(30)).await,
    }
    let _ = sock.shutdown().await;
}

fn respond(status: &str, headers: &str, body: &[u8]) -> Reply {
    let mut out = format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    Reply::Raw(out)
}

fn html(body: &str) -> Reply {
    respond(
        "200 OK",
        "Content-Type: text/html; charset=utf-8\r\n",
        body.as_bytes(),
    )
}

fn redirect(status: &str, to: &str) -> Reply {
    respond(status, &format!("Location: {to}\r\n"), b"")
}

/// A body of `n` bytes sent chunked, without a `Content-Length`.
fn chunked(n: usize) -> Reply {
    let mut out =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    let mut left = n;
    while left > 0 {
        let size = left.min(65_536);
        out.extend_from_slice(format!("{size:x}\r\n").as_bytes());
        out.extend(std::iter::repeat_n(b'a', size));
        out.extend_from_slice(b"\r\n");
        left -= size;
    }
    out.extend_from_slice(b"0\r\n\r\n");
    Reply::Raw(out)
}

fn fetcher(allow: &[&str], hosts: &[(&str, &str)]) -> Fetcher {
    Fetcher::new(&Settings {
        public_url: "https://comments.blog.example".into(),
        fetch_allow: allow.iter().map(|s| s.to_string()).collect(),
        fetch_hosts: hosts
            .iter()
            .map(|(n, a)| (n.to_string(), a.to_string()))
            .collect(),
        ..Settings::default()
    })
}

fn refused(r: Result<natter::fetch::Fetched, FetchError>) -> String {
    match r {
        Err(FetchError::Refused(why)) => why,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

const ACCEPT: &str = "text/html";

#[test]
fn a_fetcher_is_cheap_to_share() {
    fn shared<T: Clone + Send + Sync + 'static>() {}
    shared::<Fetcher>();
}

#[tokio::test]
async fn loopback_in_every_spelling_is_refused_and_never_contacted() {
    let page = serve(|_| html("secret")).await;
    let v6 = serve_on("[::1]:0", |_| html("secret")).await;
    let f = fetcher(&[], &[]);
    let p = page.port();
    for (url, why) in [
        (
            format!("http://127.0.0.1:{p}/"),
            "127.0.0.1 is a loopback address",
        ),
        (
            format!("http://[::ffff:127.0.0.1]:{p}/"),
            "::ffff:127.0.0.1 is a loopback address",
        ),
        (
            format!("http://0.0.0.0:{p}/"),
            "0.0.0.0 is an unspecified (\"this network\") address",
        ),
        (
            format!("http://2130706433:{p}/"),
            "127.0.0.1 is a loopback address",
        ),
        (
            format!("http://0x7f.1:{p}/"),
            "127.0.0.1 is a loopback address",
        ),
        (format!("http://localhost:{p}/"), "localhost resolves to "),
        (format!("http://LocalHost:{p}/"), "localhost resolves to "),
    ] {
        let got = refused(f.get(&url, ACCEPT).await);
        assert!(got.starts_with(why), "{url}: {got}");
    }
    let v6_port = v6.as_ref().map_or(1, Page::port);
    let got = refused(f.get(&format!("http://[::1]:{v6_port}/"), ACCEPT).await);
    assert_eq!(got, "::1 is a loopback address");
    assert_eq!(page.hits(), 0);
    assert_eq!(v6.map_or(0, |v| v.hits()), 0);
}

#[tokio::test]
async fn an_allowed_address_is_fetched_politely() {
    let page = serve(|path| match path {
        "/post" => html("<p>hello</p>"),
        _ => respond("500 Oops", "", b""),
    })
    .await;
    let f = fetcher(&["127.0.0.1"], &[]);
    let got = f
        .get(&page.url("/post"), "text/html, application/xhtml+xml")
        .await
        .unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(got.body, b"<p>hello</p>");
    assert_eq!(got.url.as_str(), page.url("/post"));
    assert_eq!(
        got.content_type.as_deref(),
        Some("text/html; charset=utf-8")
    );
    let head = page.heads.lock().unwrap()[0].to_ascii_lowercase();
    let ua = format!(
        "user-agent: natter/{} (comment server; +https://comments.blog.example)\r\n",
        env!("CARGO_PKG_VERSION")
    );
    assert!(head.contains(&ua), "{head}");
    assert!(
        head.contains("accept: text/html, application/xhtml+xml\r\n"),
        "{head}"
    );
    assert!(head.contains("accept-encoding: identity\r\n"), "{head}");
    for never in ["cookie", "referer", "authorization", "proxy-"] {
        assert!(!head.contains(never), "{never} in {head}");
    }
}

#[tokio::test]
async fn an_error_status_is_an_answer_not_an_error() {
    let page = serve(|path| match path {
        "/gone" => respond("410 Gone", "Content-Type: text/plain\r\n", b"deleted"),
        _ => respond("404 Not Found", "", b"no such page"),
    })
    .await;
    let f = fetcher(&["127.0.0.1"], &[]);
    let got = f.get(&page.url("/missing"), ACCEPT).await.unwrap();
    assert_eq!(
        (got.status, got.body.as_slice()),
        (404, &b"no such page"[..])
    );
    let got = f.get(&page.url("/gone"), ACCEPT).await.unwrap();
    assert_eq!((got.status, got.body.as_slice()), (410, &b"deleted"[..]));
}

#[tokio::test]
async fn a_redirect_to_another_loopback_address_is_refused_before_connecting() {
    let other = serve_on("127.0.0.2:0", |_| html("other")).await;
    let v6 = serve_on("[::1]:0", |_| html("other")).await;
    let p2 = other.as_ref().map_or(1, Page::port);
    let p6 = v6.as_ref().map_or(1, Page::port);
    let page = serve(|path| {
        let to = path
            .trim_start_matches("/to/")
            .replace("%5B", "[")
            .replace("%5D", "]");
        redirect("302 Found", &format!("http://{to}/"))
    })
    .await;
    let f = fetcher(&["127.0.0.1"], &[("evil.example", "127.0.0.2")]);
    let cases = [
        (
            format!("127.0.0.2:{p2}"),
            "127.0.0.2 is a loopback address".to_string(),
        ),
        (format!("[::1]:{p6}"), "::1 is a loopback address".into()),
        (
            format!("[::ffff:127.0.0.1]:{}", page.port()),
            "::ffff:127.0.0.1 is a loopback address".into(),
        ),
        (
            format!("evil.example:{p2}"),
            "evil.example resolves to 127.0.0.2, a loopback address".into(),
        ),
    ];
    for (i, (to, why)) in cases.iter().enumerate() {
        let got = f.get(&page.url(&format!("/to/{to}")), ACCEPT).await;
        assert_eq!(
            got.unwrap_err(),
            FetchError::Refused(why.clone()),
            "to {to}"
        );
        // Only the first hop reached the allowed server.
        assert_eq!(page.hits(), i + 1);
    }
    assert_eq!(other.map_or(0, |o| o.hits()), 0);
    assert_eq!(v6.map_or(0, |v| v.hits()), 0);
}

#[tokio::test]
async fn three_redirects_are_followed_and_a_fourth_is_not() {
    // /hop/N redirects to /hop/N-1 (relative, and each kind in turn); /hop/0 is the page.
    let page = serve(|path| {
        let n: usize = path.trim_start_matches("/hop/").parse().unwrap_or(0);
        let kinds = [
            "301 Moved",
            "302 Found",
            "303 See Other",
            "307 Temporary",
            "308 Permanent",
        ];
        match n {
            0 => html("landed"),
            n => redirect(kinds[n % kinds.len()], &format!("{}", n - 1)),
        }
    })
    .await;
    let f = fetcher(&["127.0.0.1"], &[]);
    let got = f.get(&page.url("/hop/3"), ACCEPT).await.unwrap();
    assert_eq!((got.status, got.body.as_slice()), (200, &b"landed"[..]));
    assert_eq!(got.url.as_str(), page.url("/hop/0"));
    assert_eq!(page.hits(), 4);
    let got = f.get(&page.url("/hop/4"), ACCEPT).await;
    assert!(matches!(got, Err(FetchError::TooManyRedirects)), "{got:?}");
    assert_eq!(page.hits(), 8, "the fourth redirect is not followed");
}

#[tokio::test]
async fn a_redirect_loop_ends() {
    let page = serve(|_| redirect("307 Temporary Redirect", "/loop")).await;
    let f = fetcher(&["127.0.0.1"], &[]);
    let got = f.get(&page.url("/loop"), ACCEPT).await;
    assert!(matches!(got, Err(FetchError::TooManyRedirects)), "{got:?}");
    assert_eq!(page.hits(), 4);
}

#[tokio::test]
async fn urls_that_are_not_plain_http_are_refused_at_any_hop() {
    let page = serve(|path| match path {
        "/to-file" => redirect("302 Found", "file:///etc/passwd"),
        "/to-creds" => redirect("302 Found", "http://user:pw@127.0.0.1/"),
        _ => redirect("302 Found", "gopher://127.0.0.1:70/"),
    })
    .await;
    let f = fetcher(&["127.0.0.1"], &[]);
    let p = page.port();
    for url in [
        "file:///etc/passwd".to_string(),
        "gopher://127.0.0.1:70/".into(),
        "ftp://127.0.0.1/".into(),
        "data:text/html,<p>hi</p>".into(),
        "javascript:alert(1)".into(),
        format!("http://user:pw@127.0.0.1:{p}/"),
        format!("http://user@127.0.0.1:{p}/"),
        format!("http://:pw@127.0.0.1:{p}/"),
        "not a url".into(),
        "/relative".into(),
    ] {
        let got = f.get(&url, ACCEPT).await;
        assert!(matches!(got, Err(FetchError::BadUrl)), "{url}: {got:?}");
    }
    assert_eq!(page.hits(), 0);
    for path in ["/to-file", "/to-creds", "/to-gopher"] {
        let got = f.get(&page.url(path), ACCEPT).await;
        assert!(matches!(got, Err(FetchError::BadUrl)), "{path}: {got:?}");
    }
    assert_eq!(page.hits(), 3);
}

#[tokio::test]
async fn bodies_over_a_mebibyte_are_refused_and_a_mebibyte_is_read() {
    let page = serve(|path| match path {
        "/long" => respond("200 OK", "", &vec![b'a'; MAX_BYTES + 1]),
        "/exact" => respond("200 OK", "", &vec![b'a'; MAX_BYTES]),
        "/long-chunked" => chunked(MAX_BYTES + 1),
        "/exact-chunked" => chunked(MAX_BYTES),
        _ => respond("404 Not Found", "", &vec![b'a'; MAX_BYTES + 1]),
    })
    .await;
    let f = fetcher(&["127.0.0.1"], &[]);
    for path in ["/long", "/long-chunked", "/long-404"] {
        let got = f.get(&page.url(path), ACCEPT).await;
        assert!(matches!(got, Err(FetchError::TooLarge)), "{path}: {got:?}");
    }
    for path in ["/exact", "/exact-chunked"] {
        let got = f.get(&page.url(path), ACCEPT).await.unwrap();
        assert_eq!(got.body.len(), MAX_BYTES, "{path}");
    }
}

#[tokio::test]
async fn a_trickling_server_is_cut_off_at_the_deadline() {
    let page = serve(|_| Reply::Trickle).await;
    let f = fetcher(&["127.0.0.1"], &[]);
    let start = Instant::now();
    let got = f.get(&page.url("/slow"), ACCEPT).await;
    let took = start.elapsed();
    assert!(matches!(got, Err(FetchError::Timeout)), "{got:?}");
    assert!(took >= Duration::from_millis(4900), "{took:?}");
    assert!(took < Duration::from_secs(8), "{took:?}");
}

#[tokio::test]
async fn a_silent_server_is_cut_off_at_a_shorter_deadline() {
    let page = serve(|_| Reply::Silence).await;
    let f = fetcher(&["127.0.0.1"], &[]).with_limits(Duration::from_millis(300), MAX_BYTES);
    let start = Instant::now();
    let got = f.get(&page.url("/"), ACCEPT).await;
    assert!(matches!(got, Err(FetchError::Timeout)), "{got:?}");
    assert!(start.elapsed() < Duration::from_secs(3));
    assert_eq!(page.hits(), 1);
}

#[tokio::test]
async fn a_name_that_resolves_to_loopback_is_refused_unless_allowed_by_name() {
    let page = serve(|_| html("pinned")).await;
    let url = format!("http://evil.example:{}/post", page.port());
    let pinned = [("evil.example", "127.0.0.1")];
    let got = refused(fetcher(&[], &pinned).get(&url, ACCEPT).await);
    assert_eq!(
        got,
        "evil.example resolves to 127.0.0.1, a loopback address"
    );
    // Allowing another address, or another name, changes nothing.
    let got = refused(
        fetcher(&["127.0.0.2", "good.example"], &pinned)
            .get(&url, ACCEPT)
            .await,
    );
    assert_eq!(
        got,
        "evil.example resolves to 127.0.0.1, a loopback address"
    );
    assert_eq!(page.hits(), 0);
    // The name, in any case, or the address it resolves to, opens it.
    for allow in ["evil.example", "EVIL.Example", "127.0.0.1", "127.0.0.0/8"] {
        let got = fetcher(&[allow], &pinned).get(&url, ACCEPT).await.unwrap();
        assert_eq!(
            (got.status, got.body.as_slice()),
            (200, &b"pinned"[..]),
            "{allow}"
        );
        assert_eq!(got.url.as_str(), url);
    }
    assert_eq!(page.hits(), 4);
}

#[tokio::test]
async fn the_sender_hears_a_sentence_and_no_internals() {
    // A port nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let f = fetcher(&["127.0.0.1"], &[]);
    let got = f.get(&format!("http://127.0.0.1:{port}/"), ACCEPT).await;
    match got {
        Err(e @ FetchError::Network(_)) => {
            assert_eq!(e.to_string(), "could not connect to 127.0.0.1")
        }
        other => panic!("{other:?}"),
    }
    let got = f.get("http://[::1", ACCEPT).await.unwrap_err();
    assert_eq!(
        got.to_string(),
        "the address is not a usable http or https URL"
    );
    let got = fetcher(&[], &[])
        .get("http://127.0.0.1/", ACCEPT)
        .await
        .unwrap_err();
    assert_eq!(
        got.to_string(),
        "refused to fetch: 127.0.0.1 is a loopback address"
    );
}

#[tokio::test]
async fn the_thirty_first_fetch_to_a_host_in_a_minute_is_refused() {
    let page = serve(|_| html("ok")).await;
    let f = fetcher(
        &["127.0.0.1", "evil.example"],
        &[("evil.example", "127.0.0.1")],
    );
    for i in 0..30 {
        let got = f.get(&page.url(&format!("/{i}")), ACCEPT).await;
        assert!(got.is_ok(), "fetch {i}: {got:?}");
    }
    let got = f.get(&page.url("/31"), ACCEPT).await;
    assert!(matches!(got, Err(FetchError::RateLimited)), "{got:?}");
    assert_eq!(page.hits(), 30);
    // Another host has its own quota, and a clone shares the limiter.
    let other = format!("http://evil.example:{}/", page.port());
    assert!(f.clone().get(&other, ACCEPT).await.is_ok());
    // A smaller quota, for callers that want one.
    let small = fetcher(&["127.0.0.1"], &[]).with_rate(2);
    assert!(small.get(&page.url("/a"), ACCEPT).await.is_ok());
    assert!(small.get(&page.url("/b"), ACCEPT).await.is_ok());
    let got = small.get(&page.url("/c"), ACCEPT).await;
    assert!(matches!(got, Err(FetchError::RateLimited)), "{got:?}");
}

#[test]
fn one_fetcher_serves_several_current_thread_runtimes() {
    // actix runs a current-thread runtime on each worker thread, all sharing one fetcher.
    let servers = tokio::runtime::Runtime::new().unwrap();
    let page = servers.block_on(serve(|_| html("ok")));
    let f = fetcher(&["127.0.0.1"], &[]);
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (f, url) = (f.clone(), page.url("/"));
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async { f.get(&url, ACCEPT).await.unwrap().body })
            })
        })
        .collect();
    for w in workers {
        assert_eq!(w.join().unwrap(), b"ok");
    }
    assert_eq!(page.hits(), 2);
}
