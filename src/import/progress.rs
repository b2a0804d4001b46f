//! Progress of an import: an indicatif bar on a terminal, a log line every few seconds
//! otherwise (so a piped or cron-run import is not a wall of redraws).

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

/// What the progress total counts.
#[derive(Debug, Clone, Copy)]
pub enum Unit {
    /// Bytes of the input file.
    Bytes,
    /// Rows of a source table.
    Rows,
}

/// A progress bar on a terminal; a log line every few seconds otherwise.
pub(super) struct Progress {
    label: &'static str,
    bar: Option<indicatif::ProgressBar>,
    total: u64,
    last_log: Instant,
}

impl Progress {
    pub(super) fn new(label: &'static str) -> Progress {
        Progress {
            label,
            bar: None,
            total: 0,
            last_log: Instant::now(),
        }
    }

    pub(super) fn start(&mut self, total: u64, unit: Unit) {
        self.total = total;
        if !std::io::stderr().is_terminal() {
            return;
        }
        let template = match unit {
            Unit::Bytes => "{prefix} [{bar:40}] {bytes}/{total_bytes} {msg} ({eta})",
            Unit::Rows => "{prefix} [{bar:40}] {pos}/{len} {msg} ({eta})",
        };
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(self.label);
        self.bar = Some(bar);
    }

    pub(super) fn set(&mut self, pos: u64, imported: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(pos);
            bar.set_message(format!("{imported} comments"));
        } else if self.last_log.elapsed() >= Duration::from_secs(5) {
            self.last_log = Instant::now();
            let percent = (pos * 100).checked_div(self.total).unwrap_or(0);
            tracing::info!(source = self.label, percent, imported, "import in progress");
        }
    }

    pub(super) fn done(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
