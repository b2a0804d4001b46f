//! `natter db copy`: the copy itself is `store::copy`; here the locks, the progress bars
//! (one per table on a terminal's standard error, none otherwise) and the summary.

use std::io::IsTerminal as _;

use crate::config::Settings;
use crate::store::copy::{self, Db, Progress};
use crate::store::lock;

/// One bar per table, left on the screen when the table is done.
struct Bars {
    on: bool,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress for Bars {
    fn table(&mut self, table: &str, rows: u64) {
        if !self.on {
            return;
        }
        let bar = indicatif::ProgressBar::new(rows);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{prefix:>16} [{bar:40}] {pos}/{len} rows ({eta})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(table.to_string());
        self.bar = Some(bar);
    }

    fn advance(&mut self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    fn done(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish();
        }
    }
}

/// `natter db copy [--from DB] --to DB` (`--from` defaults to the configured database):
/// prints one summary line to standard output.
pub fn copy(settings: &Settings, from: Option<&str>, to: &str) -> anyhow::Result<()> {
    let from = match from {
        Some(from) => Db::parse(from),
        None => match settings.postgres_url() {
            Some(url) => Db::Postgres(url.to_string()),
            None => Db::Sqlite(settings.database.clone()),
        },
    };
    let to = Db::parse(to);
    // A SQLite end is held as every natter command holds its database, so that no
    // `natter restore` replaces the file during the copy.
    let mut locks = Vec::new();
    for db in [&from, &to] {
        if let Db::Sqlite(path) = db {
            locks.push(lock::shared(path)?);
        }
    }
    let mut bars = Bars {
        on: std::io::stderr().is_terminal(),
        bar: None,
    };
    let summary = copy::copy(&from, &to, &mut bars)?;
    let counts: Vec<String> = summary.iter().map(|(t, n)| format!("{t} {n}")).collect();
    let total: u64 = summary.iter().map(|(_, n)| n).sum();
    println!(
        "copied {} to {}: {total} rows ({})",
        from.describe(),
        to.describe(),
        counts.join(", ")
    );
    drop(locks);
    Ok(())
}
