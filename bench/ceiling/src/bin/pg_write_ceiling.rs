//! PG WRITE CEILING: one comment-sized row per transaction against a PostgreSQL server,
//! as fast as a plain commit loop goes: each commit is one `INSERT` in autocommit (a
//! prepared statement, one round trip, one WAL flush the client waits for at
//! `synchronous_commit = on`). What a server that commits each create on its own could
//! reach at best against that PostgreSQL.
//!
//! With `--clients N` (default 1), N connections run the same loop side by side on
//! threads of their own; PostgreSQL may then flush several of their commits at once (its
//! own group commit), so the 8-client figure is not a per-commit cost.
//!
//! `pg-write-ceiling --url postgres://… [--seconds 10] [--clients 1] [--table NAME]`
//! prints `key=value` lines: commits, seconds, rps, p50_us, p99_us (each commit's
//! latency as its client saw it, over all clients). The table is made afresh and
//! dropped at the end.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

fn arg(name: &str, default: Option<&str>) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .or(default.map(str::to_string))
        .unwrap_or_else(|| panic!("{name} is required"))
}

fn main() -> Result<(), postgres::Error> {
    let url = arg("--url", None);
    let seconds: f64 = arg("--seconds", Some("10")).parse().expect("--seconds");
    let clients: usize = arg("--clients", Some("1")).parse().expect("--clients");
    let table = arg("--table", Some("bench_write_ceiling"));
    assert!(clients >= 1, "--clients must be at least 1");
    assert!(
        table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "--table must be a plain name"
    );

    let mut admin = Client::connect(&url, NoTls)?;
    admin.batch_execute(&format!(
        "DROP TABLE IF EXISTS {table};
         CREATE TABLE {table} (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
           page BIGINT NOT NULL, text TEXT NOT NULL, html TEXT NOT NULL,
           created_at BIGINT NOT NULL)"
    ))?;
    let sync: String = admin.query_one("SHOW synchronous_commit", &[])?.get(0);

    let text = "A comment of ordinary length, about the size the seeding client writes. ".repeat(4);
    let html = format!("<p>{text}</p>");
    let limit = Duration::from_secs_f64(seconds);
    // Every client connects and prepares first; the clock starts when all are ready.
    let ready = Arc::new(Barrier::new(clients + 1));
    let mut threads = Vec::new();
    for c in 0..clients {
        let (url, table, text, html, ready) = (
            url.clone(),
            table.clone(),
            text.clone(),
            html.clone(),
            ready.clone(),
        );
        threads.push(std::thread::spawn(
            move || -> Result<Vec<u64>, postgres::Error> {
                let prepared = Client::connect(&url, NoTls).and_then(|mut conn| {
                    let insert = conn.prepare(&format!(
                        "INSERT INTO {table} (page, text, html, created_at) \
                         VALUES ($1, $2, $3, $4)"
                    ))?;
                    Ok((conn, insert))
                });
                ready.wait();
                let (mut conn, insert) = prepared?;
                let start = Instant::now();
                let mut lat = Vec::new();
                let mut n: i64 = 0;
                while start.elapsed() < limit {
                    let t = Instant::now();
                    let k = n * clients as i64 + c as i64;
                    conn.execute(&insert, &[&k, &format!("{k} {text}"), &html, &k])?;
                    lat.push(t.elapsed().as_micros() as u64);
                    n += 1;
                }
                Ok(lat)
            },
        ));
    }
    ready.wait();
    let start = Instant::now();
    let mut lat = Vec::new();
    for t in threads {
        lat.extend(t.join().expect("a client panicked")?);
    }
    let secs = start.elapsed().as_secs_f64();
    let n = lat.len();
    let stored: i64 = admin
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])?
        .get(0);
    assert_eq!(
        stored, n as i64,
        "every acknowledged commit is in the table"
    );
    admin.batch_execute(&format!("DROP TABLE {table}"))?;
    lat.sort_unstable();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len().max(1) - 1)];
    println!("clients={clients}");
    println!("synchronous_commit={sync}");
    println!("commits={n}");
    println!("seconds={secs:.3}");
    println!("rps={:.1}", n as f64 / secs);
    if n > 0 {
        println!("p50_us={}", pct(0.50));
        println!("p99_us={}", pct(0.99));
    }
    Ok(())
}
