//! Builds the application: database, migrations, sites, secrets, then the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_http::{error::DispatchError, HttpService};
use actix_service::{fn_service, map_config, IntoServiceFactory, ServiceFactoryExt};
use actix_web::dev::{AppConfig, Server};
use actix_web::middleware::{from_fn, Compress, DefaultHeaders};
use actix_web::{web, App};

use crate::config::Settings;
use crate::fediverse::keys::KeyPair;
use crate::http::state::AppState;
use crate::store;

/// Read connections in the pool (and blocking threads per worker).
const POOL_SIZE: u32 = 8;

/// Why the service could not start; the message is meant for a person.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

/// How long the shutdown waits for the last users of the state (the outbox worker finishing a
/// delivery) before the final checkpoint goes ahead anyway.
const RELEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// How long closing the database may take after the HTTP server has stopped: with the 5 s
/// for requests in flight, within the 10 s `docker stop` waits. A disk that doesn't answer
/// can't keep the process from exiting; SQLite recovers from an unfinished close as from a
/// crash.
const CLOSE_BUDGET: std::time::Duration = std::time::Duration::from_secs(4);

/// A built, bound server ready to run.
pub struct Application {
    port: u16,
    server: Server,
    state: Arc<AppState>,
}

impl Application {
    /// Opens the database (applying migrations), syncs sites and binds the listener.
    /// Binding `127.0.0.1:0` picks a free port (tests).
    pub fn build(settings: Settings) -> Result<Application, StartError> {
        let state = Arc::new(prepare(settings)?);
        spawn_pruner(Arc::downgrade(&state));
        crate::notify::worker::spawn(state.settings.clone(), Arc::downgrade(&state) as _);
        crate::actions::verify::spawn(Arc::downgrade(&state.core));
        crate::actions::fediverse::deliver::spawn(Arc::downgrade(&state.core));
        let listener = TcpListener::bind(&state.settings.bind)
            .map_err(|e| StartError(format!("cannot listen on {}: {e}", state.settings.bind)))?;
        let port = listener
            .local_addr()
            .map_err(|e| StartError(format!("cannot read the bound address: {e}")))?
            .port();
        let addr = listener
            .local_addr()
            .map_err(|e| StartError(format!("cannot read the bound address: {e}")))?;
        let data = web::Data::new(state.clone());
        let counts = Arc::new(crate::http::conn::Counts::default());
        let builder = actix_server::Server::build();
        let shutdown = builder.graceful_shutdown_signal();
        let server = builder
            // Reads hold a pooled connection for their whole blocking task, so blocking
            // threads beyond the pool's size only wait (and cost memory: bench/ saw ~50).
            .worker_max_blocking_threads(POOL_SIZE as usize)
            .max_concurrent_connections(10_000)
            // In-flight requests get 5 s to finish on SIGTERM, so the database is closed well
            // within the 10 s `docker stop` allows before its SIGKILL.
            .shutdown_timeout(5)
            .listen("natter", listener, move || {
                let (data, counts, shutdown) = (data.clone(), counts.clone(), shutdown.clone());
                let app = App::new()
                    .app_data(data.clone())
                    .configure(crate::routes::configure)
                    .wrap(from_fn(crate::http::middleware::api_rules))
                    .wrap(from_fn(crate::http::middleware::mark_small))
                    .wrap(Compress::default())
                    .wrap(from_fn(crate::http::middleware::unmark_small))
                    .wrap(
                        DefaultHeaders::new()
                            .add(("X-Content-Type-Options", "nosniff"))
                            .add(("Referrer-Policy", "strict-origin-when-cross-origin")),
                    )
                    .wrap(from_fn(crate::http::telemetry::observe))
                    .into_factory()
                    .map_err(|e: actix_web::Error| e.error_response());
                let http = HttpService::build()
                    .graceful_shutdown_signal(move || {
                        let signal = shutdown.clone();
                        async move { signal.notified().await }
                    })
                    // Slow or idle clients can't hold workers or sockets forever.
                    .keep_alive(std::time::Duration::from_secs(30))
                    .client_request_timeout(std::time::Duration::from_secs(5))
                    .client_disconnect_timeout(std::time::Duration::from_secs(2))
                    .local_addr(addr)
                    .h1(map_config(app, |_| AppConfig::default()));
                // Each connection is admitted (at most `conn::PER_CLIENT` per client
                // network) and guarded (no reading while its answers wait) before HTTP.
                fn_service(move |io: actix_web::rt::net::TcpStream| {
                    let peer = io.peer_addr().ok();
                    // Answers are written whole; without TCP_NODELAY, Nagle plus delayed ACKs
                    // adds ~40 ms to every keep-alive response (measured in bench/).
                    let _ = io.set_nodelay(true);
                    let admitted = counts.admit(peer, &data.trusted_proxies);
                    async move {
                        match admitted {
                            Some(slot) => Ok((crate::http::conn::Guarded::new(io, slot), peer)),
                            None => Err(DispatchError::Io(std::io::Error::other(
                                "too many connections from one client network",
                            ))),
                        }
                    }
                })
                .and_then(http)
            })
            .map_err(|e| StartError(format!("cannot start the HTTP server: {e}")))?
            .run();
        Ok(Application {
            port,
            server,
            state,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server (as SIGTERM does) from elsewhere: tests stop theirs
    /// when they are done, so [`Application::run_until_stopped`] closes the database.
    pub fn stop_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGINT/SIGTERM, finishing in-flight requests, then closes the database
    /// (see [`close`]).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Application { server, state, .. } = self;
        let served = server.await;
        let (closed, done) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("natter-close".into())
            .spawn(move || {
                close(state);
                let _ = closed.send(());
            })?;
        let in_time =
            actix_web::rt::task::spawn_blocking(move || done.recv_timeout(CLOSE_BUDGET).is_ok())
                .await
                .unwrap_or(false);
        if !in_time {
            tracing::error!(
                "the database did not close within {} s (is the disk answering?); exiting \
                 anyway: SQLite recovers at the next start",
                CLOSE_BUDGET.as_secs()
            );
        }
        served
    }
}

/// Closes the database once the HTTP server has stopped: the writer commits and answers
/// what is queued, then checkpoints and closes (with its syncer and checkpoint threads);
/// the state is let go, which closes the read pool and ends the outbox worker (it works only
/// while the state lives); and a last `wal_checkpoint(TRUNCATE)` folds whatever the outbox
/// worker wrote meanwhile. The `-wal` file is then gone, or empty if a connection is still
/// open (the outbox worker's, until its next poll), so a backup put in place of the database
/// file later never meets a stale WAL.
pub fn close(state: Arc<AppState>) {
    let path = state.settings.database.clone();
    let sqlite = !state.store.shared();
    if let Err(e) = state.store.close() {
        tracing::warn!(error = %e, "closing the database writer");
    }
    let users = Arc::downgrade(&state);
    drop(state);
    let deadline = std::time::Instant::now() + RELEASE_WAIT;
    while users.strong_count() > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    if !sqlite {
        tracing::info!("database closed");
        return;
    }
    if users.strong_count() > 0 {
        tracing::warn!("the database is still in use (an outbox delivery?); checkpointing anyway");
    }
    match final_checkpoint(&path) {
        Ok(()) => tracing::info!("database closed"),
        Err(e) => tracing::warn!(error = %e, "the final checkpoint did not complete"),
    }
}

/// One more `wal_checkpoint(TRUNCATE)` on a connection of its own; when it is the last
/// connection, closing it also removes the `-wal` and `-shm` files.
fn final_checkpoint(path: &std::path::Path) -> Result<(), String> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| e.to_string())?;
    conn.busy_timeout(std::time::Duration::from_secs(2))
        .map_err(|e| e.to_string())?;
    let complete = store::checkpoint::truncate(&conn).map_err(|e| e.to_string())?;
    conn.close().map_err(|(_, e)| e.to_string())?;
    if complete {
        Ok(())
    } else {
        Err("another connection kept the WAL busy".into())
    }
}

/// Everything before the listener: usable by CLI commands that need the database.
pub fn prepare(settings: Settings) -> Result<AppState, StartError> {
    if let Some(url) = settings.postgres_url() {
        let url = url.to_string();
        // The `postgres` client runs a runtime of its own, which may not start on a thread
        // that is already running one (the server's, a test's).
        return std::thread::scope(|s| {
            s.spawn(move || prepare_postgres(settings, &url))
                .join()
                .unwrap_or_else(|_| Err(StartError("the database start-up panicked".into())))
        });
    }
    let path = settings.database.clone();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            return Err(StartError(format!(
                "the directory {} for the database {} does not exist",
                dir.display(),
                path.display()
            )));
        }
    }
    let open_err = |e: rusqlite::Error| {
        StartError(format!("cannot open the database {}: {e}", path.display()))
    };
    let (conn, applied) =
        store::open_migrated(&path, settings.durability).map_err(|e| StartError(e.to_string()))?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    let health = Arc::new(store::check::Health::default());
    if store::check::size(&path) <= store::check::BEFORE_START {
        if let Some(problem) = store::check::quick_check(&conn).map_err(open_err)? {
            return Err(StartError(format!(
                "the database {} is damaged ({problem}); restore a backup",
                path.display()
            )));
        }
    } else {
        store::check::spawn_background(path.clone(), health.clone());
    }
    let ids: Vec<String> = settings.effective_sites().keys().cloned().collect();
    store::comments::sync_sites(&conn, &ids, crate::domain::now()).map_err(open_err)?;
    let key = store::comments::server_key(&conn).map_err(open_err)?;
    crate::store::admin_tokens::bootstrap_token(&conn).map_err(open_err)?;
    let pairs = crate::cli::fediverse::sqlite_actor_keys(&conn, &settings)?;
    let sync_wal = (settings.durability == crate::config::Durability::Full).then(|| {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        std::path::PathBuf::from(wal)
    });
    let checkpointer = store::open(&path, settings.durability).map_err(open_err)?;
    let threads = crate::http::cache::ThreadCache::open(&path, crate::http::cache::DEFAULT_BUDGET);
    let pool = store::pool(&path, settings.durability, POOL_SIZE)
        .map_err(|e| StartError(format!("cannot open the database {}: {e}", path.display())))?;
    let writer = store::Writer::start(conn, sync_wal, Some(checkpointer), threads.commits())
        .map_err(|e| StartError(format!("cannot start the database writer: {e}")))?;
    let store = store::Store::new(pool, writer);
    Ok(assemble(settings, store, key, pairs, threads, health))
}

/// How long a node waits at start for PostgreSQL to answer before it gives up.
pub const POSTGRES_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// [`prepare`] on PostgreSQL: connect (patiently), migrate under the advisory lock, sync
/// sites and read the shared secret, then the pool, the writer and the commit listener.
fn prepare_postgres(settings: Settings, url: &str) -> Result<AppState, StartError> {
    use store::pg;
    // Who this node is in the commit notices of its writes (see `store/pg/watch.rs`).
    let node = format!("{:016x}", rand::random::<u64>());
    let config = pg::config(url)
        .map_err(StartError)?
        .for_node(&node)
        .durability(settings.durability);
    let patience = std::env::var("NATTER_DATABASE_WAIT")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(POSTGRES_PATIENCE, std::time::Duration::from_secs);
    let mut client = pg::connect_patiently(&config, patience).map_err(StartError)?;
    let place = config.describe();
    let applied = pg::migrate::run(&mut client)
        .map_err(|e| StartError(format!("cannot use the database {place}: {e}")))?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    let sites = settings.effective_sites();
    let ids: Vec<String> = sites.keys().cloned().collect();
    let actors = crate::actions::fediverse::fediverse_sites(&sites);
    let (key, stored) = pg::startup::prepare(
        &mut client,
        &ids,
        crate::domain::now(),
        &actors,
        &crate::cli::fediverse::make_pair,
    )
    .map_err(|e| StartError(format!("cannot prepare the database {place}: {e}")))?;
    let pairs = crate::cli::fediverse::pairs_of(stored, &actors);
    let listener = pg::watch::Listener::start(config.clone(), node);
    let threads = crate::http::cache::ThreadCache::over(
        store::watch::Watch::Listen(listener),
        crate::http::cache::DEFAULT_BUDGET,
    );
    let pool = pg::pool(&config, POOL_SIZE);
    let writer = pg::writer::Writer::start(client, config, threads.commits())
        .map_err(|e| StartError(format!("cannot start the database writer: {e}")))?;
    let store = store::Store::postgres(pool, writer);
    let health = Arc::new(store::check::Health::default());
    Ok(assemble(settings, store, key, pairs, threads, health))
}

/// The state both engines end in.
fn assemble(
    settings: Settings,
    store: store::Store,
    key: crate::domain::crypto::ServerKey,
    pairs: Vec<(String, KeyPair)>,
    threads: crate::http::cache::ThreadCache,
    health: Arc<store::check::Health>,
) -> AppState {
    if settings.sites.is_empty() {
        tracing::warn!(
            "no site is declared in the config: serving the site `default` open to every origin"
        );
    }
    let sites = settings.effective_sites();
    // Checked when the settings were loaded; an entry that fails here was never valid.
    let trusted_proxies =
        crate::domain::ip::TrustedProxies::parse(&settings.trusted_proxies).unwrap_or_default();
    let public_origin =
        crate::domain::validate::origin_of(&settings.public_url).unwrap_or_default();
    let admin_env_hash = std::env::var("NATTER_ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .map(|t| crate::domain::crypto::token_hash(t.trim()));
    let limits = crate::http::limits::Limiters::new(&settings.limits);
    let fedi = crate::actions::fediverse::Federation::new(&settings, pairs);
    let signin = crate::signin::SignIn::new(&settings, fedi.fetcher.clone());
    AppState {
        core: Arc::new(crate::actions::Core {
            fedi,
            signin,
            settings,
            sites,
            store,
            key,
            metrics: crate::metrics::Metrics::default(),
        }),
        admin_env_hash,
        limits,
        threads,
        public_origin,
        trusted_proxies,
        health,
    }
}

/// Prunes idle rate-limit keys every minute, until the app is gone.
fn spawn_pruner(state: std::sync::Weak<AppState>) {
    let _ = std::thread::Builder::new()
        .name("natter-prune".into())
        .spawn(move || loop {
            std::thread::sleep(crate::http::limits::PRUNE_EVERY);
            match state.upgrade() {
                Some(s) => s.limits.prune(),
                None => break,
            }
        });
}
