//! `natter restore FILE`: replaces the configured SQLite database with a backup, safely.
//!
//! It stops nothing itself. In order:
//!
//! 1. It takes the database's lock file exclusively and asks SQLite's own locks whether any
//!    other process has the database open (see [`crate::store::lock`]); either one refuses.
//!    Holding the lock until the end also keeps every natter command from starting meanwhile.
//!    A server that was SIGKILLed holds nothing: the kernel dropped its locks.
//! 2. It checks the backup: a regular file, not empty, a SQLite file, no un-checkpointed
//!    `-wal` beside it. Then it copies it to a temporary file in the database's directory,
//!    syncs it and checks the copy: `PRAGMA integrity_check`, a Natter schema, not newer than
//!    this binary. A refusal removes the copy: the database was not touched.
//! 3. It sets the database aside: a WAL left by a server that was killed is checkpointed
//!    into it first (or, if the file is too damaged for that, moved along with it), then the
//!    database is hard-linked as `DATABASE.before-restore` (costing no copy), and the stale
//!    `-wal`, `-journal` and `-shm` files are moved or removed, so none can be replayed onto
//!    the backup.
//! 4. It renames the copy over the database and syncs the directory.
//!
//! A crash at any point leaves either the old database (with its WAL folded in) or the new
//! one, never a mix: the only step that changes what `DATABASE` is, is one `rename`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use rusqlite::{Connection, OpenFlags};

use crate::config::Settings;
use crate::store::lock;
use crate::store::migrate::{self, MigrateError};

/// What a restore did.
#[derive(Debug, Clone)]
pub struct RestoreSummary {
    /// The database that was replaced.
    pub database: PathBuf,
    /// Its size now, in bytes.
    pub bytes: u64,
    /// Comments in it.
    pub comments: i64,
    /// Its newest migration.
    pub schema: String,
    /// Where the previous database was kept, if there was one.
    pub kept: Option<PathBuf>,
}

/// The first 16 bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// Removes a file that may not exist.
fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Removes a database file with the files SQLite keeps beside it, ignoring errors.
fn remove_with_sidecars(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = remove_if_present(&with_suffix(path, suffix));
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Replaces the configured database with the backup at `backup` (see the module docs).
pub fn restore(settings: &Settings, backup: &Path) -> anyhow::Result<RestoreSummary> {
    let database = settings.database.as_path();
    let dir = match database.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        bail!(
            "the directory {} for the database {} does not exist",
            dir.display(),
            database.display()
        );
    }
    let _lock = lock::exclusive(database)?;
    match lock::sqlite_holder(database)
        .with_context(|| format!("cannot check whether {} is in use", database.display()))?
    {
        None => {}
        Some(pid) => {
            let who = if pid > 0 {
                format!("process {pid}")
            } else {
                "another process".to_string()
            };
            bail!(
                "{who} has the database {} open (a natter server, or a tool such as sqlite3); \
                 stop it first, then run the restore again",
                database.display()
            );
        }
    }
    check_backup_file(backup, database)?;

    let name = database
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "natter.db".into());
    let tmp = dir.join(format!(".{name}.restoring"));
    // A restore that crashed may have left its copy; this one holds the lock, so it's stale.
    remove_with_sidecars(&tmp);
    let checked = copy_and_check(backup, &tmp, database);
    let (comments, schema) = match checked {
        Ok(c) => c,
        Err(e) => {
            remove_with_sidecars(&tmp);
            return Err(e);
        }
    };
    let kept = match set_aside(database) {
        Ok(kept) => kept,
        Err(e) => {
            remove_with_sidecars(&tmp);
            return Err(e);
        }
    };
    if let Err(e) = fs::rename(&tmp, database) {
        remove_with_sidecars(&tmp);
        return Err(e).with_context(|| {
            format!(
                "cannot move the checked copy {} into place as {}",
                tmp.display(),
                database.display()
            )
        });
    }
    sync_dir(&dir).with_context(|| format!("cannot sync the directory {}", dir.display()))?;
    let bytes = fs::metadata(database).map(|m| m.len()).unwrap_or(0);
    Ok(RestoreSummary {
        database: database.to_path_buf(),
        bytes,
        comments,
        schema,
        kept,
    })
}

/// The checks that need no copy: a non-empty regular file that starts like a SQLite
/// database, not the database itself, with no WAL of its own holding part of it.
fn check_backup_file(backup: &Path, database: &Path) -> anyhow::Result<()> {
    let meta = fs::metadata(backup)
        .with_context(|| format!("cannot read the backup {}", backup.display()))?;
    if !meta.is_file() {
        bail!("the backup {} is not a regular file", backup.display());
    }
    if let (Ok(a), Ok(b)) = (backup.canonicalize(), database.canonicalize()) {
        if a == b {
            bail!("{} is the database itself", backup.display());
        }
    }
    if meta.len() == 0 {
        bail!(
            "the backup {} is empty (0 bytes): it is not a database",
            backup.display()
        );
    }
    let mut head = [0u8; 16];
    let read = File::open(backup)
        .and_then(|mut f| f.read(&mut head))
        .with_context(|| format!("cannot read the backup {}", backup.display()))?;
    if read < head.len() || &head != SQLITE_MAGIC {
        bail!(
            "the backup {} is not a SQLite database (a file made by `natter backup` is)",
            backup.display()
        );
    }
    let wal = with_suffix(backup, "-wal");
    if fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        bail!(
            "{} lies beside the backup: part of the backup may be in it. Make a self-contained \
             copy first (`natter backup`, or `sqlite3 {} \".backup copy.db\"`), and restore that",
            wal.display(),
            backup.display()
        );
    }
    Ok(())
}

/// Copies the backup to `tmp`, syncs it and checks the copy; `(comments, schema)`.
fn copy_and_check(backup: &Path, tmp: &Path, database: &Path) -> anyhow::Result<(i64, String)> {
    let old = fs::metadata(database).ok();
    {
        let mut from = File::open(backup)
            .with_context(|| format!("cannot read the backup {}", backup.display()))?;
        let mut to = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644) // as SQLite creates a database (less the umask)
            .open(tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        io::copy(&mut from, &mut to)
            .with_context(|| format!("cannot copy {} to {}", backup.display(), tmp.display()))?;
        to.sync_all()
            .with_context(|| format!("cannot sync {}", tmp.display()))?;
    }
    let refused = |what: String| anyhow::anyhow!("the backup {} {what}", backup.display());
    let conn = Connection::open_with_flags(
        tmp,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| refused(format!("cannot be opened: {e}")))?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let problems: Vec<String> = conn
        .prepare("PRAGMA integrity_check(20)")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<_, _>>()
        })
        .map_err(|e| refused(format!("is damaged: {e}")))?;
    if problems != ["ok"] {
        return Err(refused(format!(
            "is damaged; PRAGMA integrity_check says: {}",
            problems.join("; ")
        )));
    }
    let schema = match migrate::check(&conn) {
        Ok(Some(v)) => v,
        Ok(None) => {
            return Err(refused(
                "is a SQLite database but not a Natter one (it has no schema_migrations)".into(),
            ))
        }
        Err(MigrateError::Sql(e)) => return Err(refused(format!("cannot be read: {e}"))),
        Err(newer) => return Err(refused(format!("cannot be used: {newer}"))),
    };
    let comments: i64 = conn
        .query_row("SELECT count(*) FROM comments", [], |r| r.get(0))
        .map_err(|e| refused(format!("is not a complete Natter database: {e}")))?;
    conn.close()
        .map_err(|(_, e)| refused(format!("cannot be closed after the check: {e}")))?;
    let copy = File::open(tmp).with_context(|| format!("cannot open {}", tmp.display()))?;
    if let Some(m) = &old {
        // The server's user must own the new database as it owned the old one (a restore run
        // as root); where that is not allowed, the copy stays this user's, as any file would.
        let _ = std::os::unix::fs::fchown(&copy, Some(m.uid()), Some(m.gid()));
        let _ = copy.set_permissions(fs::Permissions::from_mode(m.mode() & 0o7777));
    }
    // A WAL-mode backup opened read-write may have had its header rewritten: sync again.
    copy.sync_all()
        .with_context(|| format!("cannot sync {}", tmp.display()))?;
    Ok((comments, schema))
}

/// Keeps the current database as `DATABASE.before-restore` and clears the way: afterwards no
/// `-wal`, `-journal` or `-shm` file of the old database is left beside `DATABASE`.
fn set_aside(database: &Path) -> anyhow::Result<Option<PathBuf>> {
    let wal = with_suffix(database, "-wal");
    let journal = with_suffix(database, "-journal");
    let shm = with_suffix(database, "-shm");
    if !database.exists() {
        // No database, but maybe its leftovers: they must not meet the backup.
        for f in [&wal, &journal, &shm] {
            remove_if_present(f).with_context(|| format!("cannot remove {}", f.display()))?;
        }
        return Ok(None);
    }
    fold_wal(database);
    let kept = with_suffix(database, ".before-restore");
    for suffix in ["", "-wal", "-journal", "-shm"] {
        let f = with_suffix(&kept, suffix);
        remove_if_present(&f).with_context(|| format!("cannot remove {}", f.display()))?;
    }
    fs::hard_link(database, &kept)
        .with_context(|| format!("cannot keep the current database as {}", kept.display()))?;
    // Whatever the fold left (a damaged database's WAL or hot journal) goes with the old
    // file, where SQLite would look for it if that file is opened again.
    for (from, suffix) in [(&wal, "-wal"), (&journal, "-journal")] {
        match fs::metadata(from) {
            Ok(m) if m.len() > 0 => {
                let to = with_suffix(&kept, suffix);
                fs::rename(from, &to).with_context(|| {
                    format!("cannot move {} to {}", from.display(), to.display())
                })?;
            }
            Ok(_) => remove_if_present(from)
                .with_context(|| format!("cannot remove {}", from.display()))?,
            Err(_) => {}
        }
    }
    remove_if_present(&shm).with_context(|| format!("cannot remove {}", shm.display()))?;
    Ok(Some(kept))
}

/// Checkpoints a WAL (or rolls back a hot journal) that a killed process left beside the
/// current database, so the database file is whole by itself. Best effort: a database too
/// damaged to open keeps its WAL, which [`set_aside`] moves along with it.
fn fold_wal(database: &Path) {
    let leftover = ["-wal", "-journal"]
        .iter()
        .any(|s| fs::metadata(with_suffix(database, s)).is_ok_and(|m| m.len() > 0));
    if !leftover {
        return;
    }
    let folded = Connection::open_with_flags(
        database,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .and_then(|c| {
        c.busy_timeout(Duration::from_secs(2))?;
        // Reading runs the recovery (a hot journal is rolled back here).
        c.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
        crate::store::checkpoint::truncate(&c)?;
        c.close().map_err(|(_, e)| e)
    });
    if let Err(e) = folded {
        tracing::warn!(
            error = %e,
            "the current database's WAL could not be checkpointed; it is kept beside the old file"
        );
    }
}
