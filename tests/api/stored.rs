//! Everything the database file holds, every row of every table as text: erase tests check
//! all of it, so a table that a later migration adds can't keep a person's data unnoticed.

use std::path::Path;

use rusqlite::types::ValueRef;

/// Every row of every table (SQLite's own excepted), as `(table, row text)`.
pub fn dump(db: impl AsRef<Path>) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut rows = Vec::new();
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let n = stmt.column_count();
        let mut q = stmt.query([]).unwrap();
        while let Some(r) = q.next().unwrap() {
            let text: Vec<String> = (0..n)
                .map(|i| match r.get_ref(i).unwrap() {
                    ValueRef::Null => String::new(),
                    ValueRef::Integer(v) => v.to_string(),
                    ValueRef::Real(v) => v.to_string(),
                    ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into(),
                })
                .collect();
            rows.push((table.clone(), text.join(" | ")));
        }
    }
    rows
}

/// The rows, in any table, that contain one of `needles` (in any case).
pub fn rows_holding(db: impl AsRef<Path>, needles: &[&str]) -> Vec<(String, String)> {
    dump(db)
        .into_iter()
        .filter(|(_, row)| {
            let row = row.to_lowercase();
            needles.iter().any(|n| row.contains(&n.to_lowercase()))
        })
        .collect()
}

/// Asserts that no table holds any of `needles` (an address, a name, a comment's text).
pub fn assert_forgotten(db: impl AsRef<Path>, needles: &[&str]) {
    let left = rows_holding(db, needles);
    assert!(left.is_empty(), "still stored: {left:#?}");
}
