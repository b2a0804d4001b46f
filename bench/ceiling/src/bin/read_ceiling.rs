//! READ CEILING: the least work actix-web can do to answer a thread read. Serves the very
//! bytes Natter answered for the thread (loaded once from a file) with the same headers,
//! through the same `Compress` middleware, so gzip is done per request exactly as Natter
//! does it. `/pre/…` serves the gzip bytes Natter produced, precompressed (what a
//! response cache in front of the compressor could reach).
//!
//! `read-ceiling --bind 127.0.0.1:PORT --body FILE --gzip FILE --etag '"…"' [--nodelay]`

use actix_web::http::header;
use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

struct Bytes {
    body: web::Bytes,
    gzip: web::Bytes,
    etag: String,
}

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

fn arg(name: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| panic!("{name} is required"))
}

fn base(b: &Bytes) -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::Ok();
    res.insert_header((header::ETAG, b.etag.clone()))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .insert_header((header::VARY, "Origin"));
    res
}

async fn thread(b: web::Data<Bytes>) -> HttpResponse {
    base(&b).body(b.body.clone())
}

async fn precompressed(b: web::Data<Bytes>, req: HttpRequest) -> HttpResponse {
    let gzip = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    let mut res = base(&b);
    res.append_header((header::VARY, "Accept-Encoding"));
    if gzip {
        res.insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(b.gzip.clone())
    } else {
        res.body(b.body.clone())
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let data = web::Data::new(Bytes {
        body: std::fs::read(arg("--body"))?.into(),
        gzip: std::fs::read(arg("--gzip"))?.into(),
        etag: arg("--etag"),
    });
    let nodelay = flag("--nodelay");
    HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/api/comments", web::get().to(thread))
            .route("/pre/api/comments", web::get().to(precompressed))
            .wrap(Compress::default())
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "strict-origin-when-cross-origin")),
            )
    })
    // With `--nodelay`, TCP_NODELAY on every accepted socket: the compressed response goes
    // out in several writes, and without it Nagle's algorithm holds the last one until the
    // client's delayed ACK (~40 ms on Linux).
    .on_connect(move |conn, _| {
        if nodelay {
            if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
                let _ = tcp.set_nodelay(true);
            }
        }
    })
    .keep_alive(std::time::Duration::from_secs(30))
    .bind(arg("--bind"))?
    .run()
    .await
}
