//! Everything the database holds, every row of every table as text: erase tests check all
//! of it, so a table that a later migration adds can't keep a person's data unnoticed.

use crate::testdb::{params, TestDb};

/// Every row of every table (the engine's own excepted), as `(table, row text)`; tables in
/// the order they were made, rows as the table gives them.
pub fn dump(db: &TestDb) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    for table in db.tables() {
        for row in db.query(&format!("SELECT * FROM \"{table}\""), params![]) {
            let text: Vec<String> = row.0.iter().map(|v| v.to_text()).collect();
            rows.push((table.clone(), text.join(" | ")));
        }
    }
    rows
}

/// The rows, in any table, that contain one of `needles` (in any case).
pub fn rows_holding(db: &TestDb, needles: &[&str]) -> Vec<(String, String)> {
    dump(db)
        .into_iter()
        .filter(|(_, row)| {
            let row = row.to_lowercase();
            needles.iter().any(|n| row.contains(&n.to_lowercase()))
        })
        .collect()
}

/// Asserts that no table holds any of `needles` (an address, a name, a comment's text).
pub fn assert_forgotten(db: &TestDb, needles: &[&str]) {
    let left = rows_holding(db, needles);
    assert!(left.is_empty(), "still stored: {left:#?}");
}
