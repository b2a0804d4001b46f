//! WRITE CEILING: one comment-sized row per transaction, SQLite in WAL mode with
//! `synchronous = FULL`, so every commit is one fsync of the WAL — what a server that
//! commits each create on its own could reach at best on this disk.
//!
//! `write-ceiling --db FILE [--seconds 10] [--max 1000000]` prints `key=value` lines.

use std::time::{Duration, Instant};

use rusqlite::{params, Connection};

fn arg(name: &str, default: Option<&str>) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .or(default.map(str::to_string))
        .unwrap_or_else(|| panic!("{name} is required"))
}

fn main() -> rusqlite::Result<()> {
    let path = arg("--db", None);
    let seconds: f64 = arg("--seconds", Some("10")).parse().expect("--seconds");
    let max: u64 = arg("--max", Some("1000000")).parse().expect("--max");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    let conn = Connection::open(&path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE comments (id INTEGER PRIMARY KEY AUTOINCREMENT, page INTEGER NOT NULL,
         text TEXT NOT NULL, html TEXT NOT NULL, created_at INTEGER NOT NULL)",
    )?;
    let text = "A comment of ordinary length, about the size the seeding client writes. ".repeat(4);
    let html = format!("<p>{text}</p>");
    let mut lat = Vec::new();
    let start = Instant::now();
    let limit = Duration::from_secs_f64(seconds);
    let mut n: u64 = 0;
    while start.elapsed() < limit && n < max {
        let t = Instant::now();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        conn.prepare_cached(
            "INSERT INTO comments (page, text, html, created_at) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![n as i64, format!("{n} {text}"), html, n as i64])?;
        conn.execute_batch("COMMIT")?;
        lat.push(t.elapsed().as_micros() as u64);
        n += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    lat.sort_unstable();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    println!("commits={n}");
    println!("seconds={secs:.3}");
    println!("rps={:.1}", n as f64 / secs);
    println!("p50_us={}", pct(0.50));
    println!("p99_us={}", pct(0.99));
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    Ok(())
}
