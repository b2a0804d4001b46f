//! A test's own connection to the database under a server, on either engine: the tests
//! poke and read rows through it as another process would. SQL is written once, with
//! SQLite's `?1` placeholders (turned into `$1` for PostgreSQL), in a dialect both engines
//! accept; values travel as [`Value`]s.
//!
//! On PostgreSQL the blocking `postgres` client runs a runtime of its own, which may not be
//! entered from a thread that runs one (every `#[tokio::test]`): the connection lives on a
//! thread of its own, and each call is sent there and waited for.

use std::path::Path;
use std::sync::{mpsc, Mutex};

/// One SQL value, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<&i64> for Value {
    fn from(v: &i64) -> Self {
        Value::Int(*v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(v.into())
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Int(v.into())
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(v.into())
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.into())
    }
}

impl From<&&str> for Value {
    fn from(v: &&str) -> Self {
        Value::Text((*v).into())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Blob(v)
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Blob(v.to_vec())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

impl Value {
    /// The value as text, as the erase tests search rows: NULL is empty, a blob is read
    /// as UTF-8 (lossily).
    pub fn to_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Int(v) => v.to_string(),
            Value::Real(v) => v.to_string(),
            Value::Text(t) => t.clone(),
            Value::Blob(b) => String::from_utf8_lossy(b).into(),
        }
    }
}

/// The parameters of a statement: `params![a, b]` is `&[Value::from(a), Value::from(b)]`.
macro_rules! params {
    () => {
        &[] as &[$crate::testdb::Value]
    };
    ($($x:expr),+ $(,)?) => {
        &[$($crate::testdb::Value::from($x)),+] as &[$crate::testdb::Value]
    };
}
pub(crate) use params;

/// What a [`Value`] read from a row can be turned into.
pub trait FromValue: Sized {
    fn from_value(v: &Value) -> Option<Self>;
}

impl FromValue for Value {
    fn from_value(v: &Value) -> Option<Self> {
        Some(v.clone())
    }
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}

/// SQLite's truth values are integers, PostgreSQL's booleans; both arrive as 0 or 1.
impl FromValue for bool {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(*i != 0),
            _ => None,
        }
    }
}

impl FromValue for f64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Real(r) => Some(*r),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
}

impl FromValue for String {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Text(t) => Some(t.clone()),
            _ => None,
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Blob(b) => Some(b.clone()),
            _ => None,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// One result row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    /// Column `i` as a `T`; a value of another type (or a missing column) fails the test.
    pub fn get<T: FromValue>(&self, i: usize) -> T {
        let v = self
            .0
            .get(i)
            .unwrap_or_else(|| panic!("no column {i} in {:?}", self.0));
        T::from_value(v).unwrap_or_else(|| {
            panic!(
                "column {i} holds {v:?}, not a {}",
                std::any::type_name::<T>()
            )
        })
    }
}

/// A connection to a test database: a SQLite file or a PostgreSQL database.
pub struct TestDb {
    engine: Engine,
}

enum Engine {
    Sqlite(Mutex<rusqlite::Connection>),
    Postgres(Pg),
}

/// Whether a `database` setting names PostgreSQL.
pub fn is_postgres_url(database: &Path) -> bool {
    database
        .to_str()
        .is_some_and(|d| d.starts_with("postgres://") || d.starts_with("postgresql://"))
}

impl TestDb {
    /// Connects to the database a `database` setting names (a SQLite file is created if
    /// missing, as `rusqlite::Connection::open` does).
    pub fn open(database: &Path) -> TestDb {
        let engine = if is_postgres_url(database) {
            Engine::Postgres(Pg::connect(database.to_str().unwrap()))
        } else {
            Engine::Sqlite(Mutex::new(
                rusqlite::Connection::open(database)
                    .unwrap_or_else(|e| panic!("open {}: {e}", database.display())),
            ))
        };
        TestDb { engine }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.engine, Engine::Postgres(_))
    }

    /// Runs one statement; the number of rows it changed.
    pub fn execute(&self, sql: &str, params: &[Value]) -> usize {
        self.try_execute(sql, params)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub fn try_execute(&self, sql: &str, params: &[Value]) -> Result<usize, String> {
        match &self.engine {
            Engine::Sqlite(c) => {
                let c = c.lock().unwrap();
                c.execute(
                    sql,
                    rusqlite::params_from_iter(params.iter().map(to_sqlite)),
                )
                .map_err(|e| e.to_string())
            }
            Engine::Postgres(pg) => {
                let (sql, params) = (to_dollars(sql), params.to_vec());
                pg.run(move |c| pg_execute(c, &sql, &params))
            }
        }
    }

    /// Runs statements separated by `;`, without parameters (`BEGIN`, DDL, …).
    pub fn batch(&self, sql: &str) {
        self.try_batch(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub fn try_batch(&self, sql: &str) -> Result<(), String> {
        match &self.engine {
            Engine::Sqlite(c) => c
                .lock()
                .unwrap()
                .execute_batch(sql)
                .map_err(|e| e.to_string()),
            Engine::Postgres(pg) => {
                let sql = sql.to_string();
                pg.run(move |c| c.batch_execute(&sql).map_err(|e| pg_error(&e)))
            }
        }
    }

    /// Every row a query answers.
    pub fn query(&self, sql: &str, params: &[Value]) -> Vec<Row> {
        self.try_query(sql, params)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub fn try_query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, String> {
        match &self.engine {
            Engine::Sqlite(c) => sqlite_query(&c.lock().unwrap(), sql, params),
            Engine::Postgres(pg) => {
                let (sql, params) = (to_dollars(sql), params.to_vec());
                pg.run(move |c| pg_query(c, &sql, &params))
            }
        }
    }

    /// `f` of the first row; a query that answers no row fails the test.
    pub fn query_row<T>(&self, sql: &str, params: &[Value], f: impl FnOnce(&Row) -> T) -> T {
        let rows = self.query(sql, params);
        f(rows
            .first()
            .unwrap_or_else(|| panic!("no row for {sql} {params:?}")))
    }

    /// The first column of the first row, or `None` when there is no row.
    pub fn query_opt<T: FromValue>(&self, sql: &str, params: &[Value]) -> Option<T> {
        self.query(sql, params).first().map(|r| r.get(0))
    }

    /// The first column of the first row (a count, an id).
    pub fn query_i64(&self, sql: &str, params: &[Value]) -> i64 {
        self.query_row(sql, params, |r| r.get(0))
    }

    /// The first column of the first row, as text.
    pub fn query_string(&self, sql: &str, params: &[Value]) -> String {
        self.query_row(sql, params, |r| r.get(0))
    }

    /// The first column of the first row, text or NULL, or `None` when there is no row.
    pub fn query_opt_string(&self, sql: &str, params: &[Value]) -> Option<String> {
        self.query_opt::<Option<String>>(sql, params).flatten()
    }

    /// The first column of every row.
    pub fn query_col<T: FromValue>(&self, sql: &str, params: &[Value]) -> Vec<T> {
        self.query(sql, params).iter().map(|r| r.get(0)).collect()
    }

    /// Turns this connection's foreign-key checks off or on again, for a hand edit that
    /// leaves rows pointing at nothing (as the `sqlite3` shell runs, without them).
    /// PostgreSQL has no such switch but the replication role, which skips every trigger of
    /// the session, the schema's notifications of changed threads included: turning the
    /// checks back on sends that notification once, as the skipped statements would have.
    /// (Setting the replication role takes a superuser, as scripts/pg.sh's `natter` is.)
    pub fn foreign_keys(&self, on: bool) {
        match (&self.engine, on) {
            (Engine::Sqlite(_), true) => self.batch("PRAGMA foreign_keys = ON"),
            (Engine::Sqlite(_), false) => self.batch("PRAGMA foreign_keys = OFF"),
            (Engine::Postgres(_), true) => self.batch(
                "SET session_replication_role = DEFAULT; SELECT pg_notify('natter_threads', '')",
            ),
            (Engine::Postgres(_), false) => self.batch("SET session_replication_role = replica"),
        }
    }

    /// The database's own tables (not the engine's), in the order they were created.
    pub fn tables(&self) -> Vec<String> {
        let sql = if self.is_postgres() {
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r' AND n.nspname = current_schema() ORDER BY c.oid"
        } else {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY rowid"
        };
        self.query_col(sql, params![])
    }
}

fn to_sqlite(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as S;
    match v {
        Value::Null => S::Null,
        Value::Int(i) => S::Integer(*i),
        Value::Real(r) => S::Real(*r),
        Value::Text(t) => S::Text(t.clone()),
        Value::Blob(b) => S::Blob(b.clone()),
    }
}

fn sqlite_query(c: &rusqlite::Connection, sql: &str, params: &[Value]) -> Result<Vec<Row>, String> {
    use rusqlite::types::ValueRef;
    let mut stmt = c.prepare(sql).map_err(|e| e.to_string())?;
    let n = stmt.column_count();
    let mut q = stmt
        .query(rusqlite::params_from_iter(params.iter().map(to_sqlite)))
        .map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    while let Some(r) = q.next().map_err(|e| e.to_string())? {
        let row = (0..n)
            .map(|i| match r.get_ref(i).unwrap() {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(v) => Value::Int(v),
                ValueRef::Real(v) => Value::Real(v),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into()),
                ValueRef::Blob(b) => Value::Blob(b.to_vec()),
            })
            .collect();
        rows.push(Row(row));
    }
    Ok(rows)
}

/// SQLite's placeholders (`?1`, or a bare `?` for the next one) as PostgreSQL's (`$1`);
/// quoted strings and names are left alone.
pub fn to_dollars(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut next = 0;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                if digits.is_empty() {
                    next += 1;
                    digits = next.to_string();
                } else {
                    next = digits.parse().unwrap();
                }
                out.push('$');
                out.push_str(&digits);
            }
            c => out.push(c),
        }
    }
    out
}

/// The connection's thread and the way to it.
struct Pg {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

type Job = Box<dyn FnOnce(&mut postgres::Client) + Send>;

impl Pg {
    fn connect(url: &str) -> Pg {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready, connected) = mpsc::channel();
        let url = url.to_string();
        let thread = std::thread::Builder::new()
            .name("testdb-pg".into())
            .spawn(move || {
                let mut client = match postgres::Client::connect(&url, postgres::NoTls) {
                    Ok(c) => {
                        let _ = ready.send(Ok(()));
                        c
                    }
                    Err(e) => {
                        let _ = ready.send(Err(format!("connect to {url}: {e}")));
                        return;
                    }
                };
                for job in inbox {
                    job(&mut client);
                }
            })
            .unwrap();
        connected
            .recv()
            .unwrap()
            .unwrap_or_else(|e| panic!("test PostgreSQL: {e}"));
        Pg {
            jobs: Some(jobs),
            thread: Some(thread),
        }
    }

    /// Runs `f` on the connection's thread and waits for its answer.
    fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> T + Send + 'static,
    ) -> T {
        let (tx, rx) = mpsc::channel();
        self.jobs
            .as_ref()
            .unwrap()
            .send(Box::new(move |c| {
                let _ = tx.send(f(c));
            }))
            .expect("the test's PostgreSQL connection thread ended");
        rx.recv()
            .expect("the test's PostgreSQL connection thread ended")
    }
}

impl Drop for Pg {
    /// Closes the connection (on its own thread) before the handle is gone, so a test
    /// leaves no connection behind.
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn pg_error(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

/// Each value as the Rust type PostgreSQL's inferred parameter type takes.
fn pg_params(
    types: &[postgres::types::Type],
    params: &[Value],
) -> Result<Vec<Box<dyn postgres::types::ToSql + Sync>>, String> {
    use postgres::types::Type;
    if types.len() != params.len() {
        return Err(format!(
            "{} parameters given, the statement has {}",
            params.len(),
            types.len()
        ));
    }
    let mut out: Vec<Box<dyn postgres::types::ToSql + Sync>> = Vec::new();
    for (ty, v) in types.iter().zip(params) {
        let text = [
            Type::TEXT,
            Type::VARCHAR,
            Type::BPCHAR,
            Type::NAME,
            Type::UNKNOWN,
        ];
        let boxed: Box<dyn postgres::types::ToSql + Sync> = match (v, ty) {
            (Value::Null, t) if *t == Type::INT8 => Box::new(None::<i64>),
            (Value::Null, t) if *t == Type::INT4 => Box::new(None::<i32>),
            (Value::Null, t) if *t == Type::INT2 => Box::new(None::<i16>),
            (Value::Null, t) if *t == Type::BOOL => Box::new(None::<bool>),
            (Value::Null, t) if *t == Type::FLOAT8 => Box::new(None::<f64>),
            (Value::Null, t) if *t == Type::BYTEA => Box::new(None::<Vec<u8>>),
            (Value::Null, t) if text.contains(t) => Box::new(None::<String>),
            (Value::Int(i), t) if *t == Type::INT8 => Box::new(*i),
            (Value::Int(i), t) if *t == Type::INT4 => Box::new(i32::try_from(*i).unwrap()),
            (Value::Int(i), t) if *t == Type::INT2 => Box::new(i16::try_from(*i).unwrap()),
            (Value::Int(i), t) if *t == Type::BOOL => Box::new(*i != 0),
            (Value::Int(i), t) if *t == Type::FLOAT8 => Box::new(*i as f64),
            (Value::Real(r), t) if *t == Type::FLOAT8 => Box::new(*r),
            (Value::Text(s), t) if text.contains(t) => Box::new(s.clone()),
            (Value::Blob(b), t) if *t == Type::BYTEA => Box::new(b.clone()),
            (v, t) => return Err(format!("{v:?} for a parameter of type {t}")),
        };
        out.push(boxed);
    }
    Ok(out)
}

fn pg_execute(c: &mut postgres::Client, sql: &str, params: &[Value]) -> Result<usize, String> {
    let stmt = c.prepare(sql).map_err(|e| pg_error(&e))?;
    let values = pg_params(stmt.params(), params)?;
    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = values.iter().map(|b| &**b).collect();
    c.execute(&stmt, &refs)
        .map(|n| n as usize)
        .map_err(|e| pg_error(&e))
}

fn pg_query(c: &mut postgres::Client, sql: &str, params: &[Value]) -> Result<Vec<Row>, String> {
    use postgres::types::Type;
    let stmt = c.prepare(sql).map_err(|e| pg_error(&e))?;
    let values = pg_params(stmt.params(), params)?;
    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = values.iter().map(|b| &**b).collect();
    let rows = c.query(&stmt, &refs).map_err(|e| pg_error(&e))?;
    let text = [
        Type::TEXT,
        Type::VARCHAR,
        Type::BPCHAR,
        Type::NAME,
        Type::UNKNOWN,
    ];
    rows.iter()
        .map(|r| {
            let row = r
                .columns()
                .iter()
                .enumerate()
                .map(|(i, col)| {
                    let t = col.type_();
                    let v = if *t == Type::INT8 {
                        r.get::<_, Option<i64>>(i).map(Value::Int)
                    } else if *t == Type::INT4 {
                        r.get::<_, Option<i32>>(i).map(|v| Value::Int(v.into()))
                    } else if *t == Type::INT2 {
                        r.get::<_, Option<i16>>(i).map(|v| Value::Int(v.into()))
                    } else if *t == Type::BOOL {
                        r.get::<_, Option<bool>>(i).map(|v| Value::Int(v.into()))
                    } else if *t == Type::FLOAT8 {
                        r.get::<_, Option<f64>>(i).map(Value::Real)
                    } else if *t == Type::FLOAT4 {
                        r.get::<_, Option<f32>>(i).map(|v| Value::Real(v.into()))
                    } else if *t == Type::BYTEA {
                        r.get::<_, Option<Vec<u8>>>(i).map(Value::Blob)
                    } else if text.contains(t) {
                        r.get::<_, Option<String>>(i).map(Value::Text)
                    } else {
                        return Err(format!(
                            "column {} is of type {t}: cast it (CAST(… AS BIGINT), or AS TEXT)",
                            col.name()
                        ));
                    };
                    Ok(v.unwrap_or(Value::Null))
                })
                .collect::<Result<Vec<_>, String>>()?;
            Ok(Row(row))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helpers::TestApp;

    #[test]
    fn placeholders_become_dollars_outside_quotes() {
        assert_eq!(
            to_dollars("SELECT ?2, ?1, ?10 FROM t WHERE a = ?1 AND b = '?1' AND \"c?\" = ?"),
            "SELECT $2, $1, $10 FROM t WHERE a = $1 AND b = '?1' AND \"c?\" = $2"
        );
        assert_eq!(
            to_dollars("VALUES (?, ?, 'it''s ?')"),
            "VALUES ($1, $2, 'it''s ?')"
        );
    }

    /// A database the app made and migrated, written and read through the test's handle:
    /// every kind of value both ways, placeholders in any order, row counts, no row, an
    /// error, a transaction, a hand edit without foreign keys.
    #[tokio::test]
    async fn a_migrated_database_is_written_and_read_through_the_handle() {
        let app = TestApp::spawn().await;
        let db = app.db();
        assert_eq!(db.is_postgres(), crate::helpers::on_postgres());
        let tables = db.tables();
        for t in ["schema_migrations", "sites", "pages", "comments", "outbox"] {
            assert!(tables.iter().any(|x| x == t), "{t}: {tables:?}");
        }
        let page = db.query_i64(
            "INSERT INTO pages (site, key, title, url, created_at) VALUES (?2, ?1, ?3, NULL, ?4)
             RETURNING id",
            params!["/k", "blog", Some("T"), 5],
        );
        let id = db.query_i64(
            "INSERT INTO comments (page_id, text, html, status, created_at, email)
             VALUES (?1, 'it''s ?1', ?2, 'approved', ?3, ?4) RETURNING id",
            params![page, "<p>x</p>", i64::MAX, None::<String>],
        );
        let row = db.query_row(
            "SELECT text, html, created_at, email, parent IS NULL, likes - 3 FROM comments
             WHERE id = ?1",
            params![id],
            Row::clone,
        );
        assert_eq!(
            row.0,
            [
                Value::Text("it's ?1".into()),
                Value::Text("<p>x</p>".into()),
                Value::Int(i64::MAX),
                Value::Null,
                Value::Int(1),
                Value::Int(-3),
            ]
        );
        assert!(row.get::<bool>(4));
        assert_eq!(row.get::<Option<String>>(3), None);
        let bytes = vec![0u8, 255, 7, b'?'];
        db.execute(
            "INSERT INTO secrets (name, value) VALUES (?1, ?2)",
            params!["t", bytes.clone()],
        );
        let back: Vec<u8> = db.query_row(
            "SELECT value FROM secrets WHERE name = ?1",
            params!["t"],
            |r| r.get(0),
        );
        assert_eq!(back, bytes);
        assert_eq!(
            db.execute(
                "UPDATE comments SET likes = likes + ?1 WHERE page_id = ?2",
                params![2, page]
            ),
            1
        );
        assert_eq!(
            db.query_string("SELECT key FROM pages WHERE id = ?1", params![page]),
            "/k"
        );
        assert_eq!(
            db.query_opt_string("SELECT url FROM pages WHERE id = ?1", params![page]),
            None
        );
        assert_eq!(
            db.query_opt::<i64>("SELECT id FROM comments WHERE id = ?1", params![id + 1]),
            None
        );
        assert_eq!(
            db.query_col::<String>("SELECT key FROM pages ORDER BY key", params![]),
            ["/k"]
        );
        assert!(db
            .try_query("SELECT * FROM no_such_table", params![])
            .is_err());
        assert!(db
            .try_execute("DELETE FROM no_such_table", params![])
            .is_err());
        // A transaction rolled back leaves nothing.
        db.batch("BEGIN");
        db.execute("DELETE FROM comments", params![]);
        db.batch("ROLLBACK");
        assert_eq!(db.query_i64("SELECT count(*) FROM comments", params![]), 1);
        // Without foreign keys a reply may point at nothing; with them, it may not.
        let orphan = "INSERT INTO comments (page_id, parent, text, html, status, created_at)
                      VALUES (?1, 424242, 'x', 'x', 'approved', 0)";
        db.foreign_keys(false);
        assert_eq!(db.execute(orphan, params![page]), 1);
        db.foreign_keys(true);
        assert!(db.try_execute(orphan, params![page]).is_err());
    }

    /// A test's server ends with its `TestApp`: it stops listening and closes its database,
    /// so a run of the whole suite never piles up servers (on PostgreSQL, each holds a
    /// pool, a writer and a listener connection).
    #[tokio::test]
    async fn a_dropped_test_app_stops_its_server_and_closes_its_database() {
        let app = TestApp::spawn().await;
        // A keep-alive connection open at the stop, and the test's own database connection.
        let _ = app.get("/").await;
        app.db()
            .query_i64("SELECT count(*) FROM comments", params![]);
        let port = app.address.rsplit(':').next().unwrap().to_string();
        let database = app.db_path.clone();
        let connections = || match crate::helpers::test_pg() {
            // Every connection to the app's database, its own and the test's.
            Some(admin) => TestDb::open(Path::new(&admin)).query_i64(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = ?1",
                params![database.to_str().unwrap().rsplit('/').next().unwrap()],
            ),
            // The database's directory is removed once the server has closed it.
            None => i64::from(database.exists()),
        };
        assert!(connections() > 0);
        drop(app);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while connections() > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the database is still open 10 s after the test app was dropped"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(
            std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_err(),
            "the server still listens"
        );
    }
}
