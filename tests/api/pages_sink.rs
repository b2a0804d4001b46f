//! A page server on loopback for the Webmention tests: the other blogs whose pages send
//! and reply. Each path answers what the test set (status, type, body), changeable while
//! it runs; every request is counted, so a test can prove a refused source was never
//! contacted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

/// One page's answer.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

#[derive(Default)]
struct Shared {
    pages: Mutex<HashMap<String, Page>>,
    hits: AtomicUsize,
    seen: Mutex<Vec<String>>,
}

/// A running page server.
pub struct PageServer {
    /// `http://127.0.0.1:PORT`
    pub origin: String,
    pub port: u16,
    shared: Arc<Shared>,
}

impl PageServer {
    /// Listens on `host` (an address to bind, e.g. `127.0.0.1` or `::1`).
    pub async fn start_on(host: &str) -> std::io::Result<PageServer> {
        let shared: Arc<Shared> = Arc::default();
        let data = web::Data::new(shared.clone());
        let listener = std::net::TcpListener::bind((host, 0))?;
        let port = listener.local_addr()?.port();
        let server = HttpServer::new(move || {
            App::new().app_data(data.clone()).default_service(web::to(
                |req: HttpRequest, s: web::Data<Arc<Shared>>| async move {
                    s.hits.fetch_add(1, Ordering::SeqCst);
                    let path = req.uri().path().to_string();
                    s.seen.lock().unwrap().push(path.clone());
                    let page = s.pages.lock().unwrap().get(&path).cloned();
                    match page {
                        Some(p) => HttpResponse::build(
                            actix_web::http::StatusCode::from_u16(p.status).unwrap(),
                        )
                        .content_type(p.content_type)
                        .body(p.body),
                        None => HttpResponse::NotFound().body("no such page"),
                    }
                },
            ))
        })
        .workers(1)
        .listen(listener)?
        .run();
        tokio::spawn(server);
        let origin = if host.contains(':') {
            format!("http://[{host}]:{port}")
        } else {
            format!("http://{host}:{port}")
        };
        Ok(PageServer {
            origin,
            port,
            shared,
        })
    }

    pub async fn start() -> PageServer {
        Self::start_on("127.0.0.1").await.unwrap()
    }

    /// Serves `body` as HTML at `path`.
    pub fn html(&self, path: &str, body: &str) {
        self.set(path, 200, "text/html; charset=utf-8", body);
    }

    pub fn set(&self, path: &str, status: u16, content_type: &str, body: &str) {
        self.shared.pages.lock().unwrap().insert(
            path.to_string(),
            Page {
                status,
                content_type: content_type.to_string(),
                body: body.to_string(),
            },
        );
    }

    /// `origin` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// Requests answered so far.
    pub fn hits(&self) -> usize {
        self.shared.hits.load(Ordering::SeqCst)
    }

    /// Paths requested so far, in order.
    pub fn seen(&self) -> Vec<String> {
        self.shared.seen.lock().unwrap().clone()
    }
}
