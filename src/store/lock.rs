//! Who is using the database file: `natter restore` must not replace it under anyone.
//!
//! Two signals, because each misses something the other sees:
//!
//! - **The lock file** `DATABASE.lock` beside the database. Every natter command that opens
//!   the database (`serve`, `import`, `export`, `backup`, `admin`) holds a shared `flock` on
//!   it for as long as it runs; `natter restore` takes it exclusively for the whole
//!   replacement, so no natter process can open the database halfway through, and none can
//!   start while a restore runs (it is refused with a message). The kernel drops a `flock`
//!   when its process ends, however it ends (a SIGKILL or a crash included), so a stale lock
//!   can't exist: the empty file stays, and means nothing while no process holds it.
//! - **SQLite's own locks.** A connection to a WAL database holds a POSIX read lock on the
//!   database file's SHARED byte range, and on the `-shm` file's "dead man switch" byte, for
//!   as long as it is open. `F_GETLK` asks the kernel whether any other process holds one
//!   (without taking anything, so it works on a damaged file too): that catches the programs
//!   that don't know the lock file, such as the `sqlite3` shell or a natter from before it.
//!   These locks vanish with their process as well.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// A held lock on the database's lock file; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct DbLock {
    _file: File,
}

/// Why the lock was not had.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// A restore holds it (asked for shared) or a natter process uses the database (asked
    /// for exclusive).
    #[error("{0}")]
    Held(String),
    /// The lock file could not be opened or locked.
    #[error("cannot lock {}: {}", .0.display(), .1)]
    Io(PathBuf, io::Error),
}

/// `DATABASE.lock`, beside the database.
pub fn lock_path(database: &Path) -> PathBuf {
    let mut p = database.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

fn open_lock_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        // Made by another user, or on a read-only disk: a read-only descriptor locks as well.
        .or_else(|e| File::open(path).map_err(|_| e))
}

/// `flock` without waiting: `Ok(false)` when another process holds a conflicting lock.
fn try_flock(file: &File, op: libc::c_int) -> io::Result<bool> {
    loop {
        // SAFETY: flock on a descriptor this function borrows; no memory is passed.
        if unsafe { libc::flock(file.as_raw_fd(), op | libc::LOCK_NB) } == 0 {
            return Ok(true);
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) => return Ok(false),
            _ => return Err(e),
        }
    }
}

/// The shared lock of a command that uses the database. `Ok(None)` when there is no lock
/// file and none can be made (the directory is missing or read-only): then the command goes
/// on and opening the database says what is wrong, or works read-only as before.
pub fn shared(database: &Path) -> Result<Option<DbLock>, LockError> {
    let path = lock_path(database);
    let Ok(file) = open_lock_file(&path) else {
        return Ok(None);
    };
    match try_flock(&file, libc::LOCK_SH) {
        Ok(true) => Ok(Some(DbLock { _file: file })),
        Ok(false) => Err(LockError::Held(format!(
            "`natter restore` is replacing the database {} right now; try again when it has \
             finished",
            database.display()
        ))),
        Err(e) => Err(LockError::Io(path, e)),
    }
}

/// The exclusive lock of `natter restore`: refused while any natter process uses the database.
pub fn exclusive(database: &Path) -> Result<DbLock, LockError> {
    let path = lock_path(database);
    let file = open_lock_file(&path).map_err(|e| LockError::Io(path.clone(), e))?;
    match try_flock(&file, libc::LOCK_EX) {
        Ok(true) => Ok(DbLock { _file: file }),
        Ok(false) => Err(LockError::Held(format!(
            "a natter process (a running server, an import or a backup) is using the database \
             {}; stop it first (for example `docker compose stop natter` or `systemctl stop \
             natter`), then run the restore again",
            database.display()
        ))),
        Err(e) => Err(LockError::Io(path, e)),
    }
}

/// SQLite's lock bytes in the database file (`os_unix.c`): the pending byte at 1 GiB, then
/// the reserved byte, then the 510 bytes of the SHARED range.
const PENDING_BYTE: libc::off_t = 0x4000_0000;
const LOCK_BYTES: libc::off_t = 512;
/// The `-shm` file's locks: the WAL's write, checkpoint, recover and read-mark slots (120..128)
/// and the dead man switch (128) that every open connection holds.
const SHM_LOCKS: libc::off_t = 120;
const SHM_LOCK_BYTES: libc::off_t = 9;

/// The id of another process that holds one of SQLite's locks on `file` in `start..start+len`
/// (0 when the kernel can't tell, e.g. for an open-file-description lock).
fn lock_holder(file: &Path, start: libc::off_t, len: libc::off_t) -> io::Result<Option<i32>> {
    let f = match File::open(file) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    // SAFETY: a zeroed `flock` is a valid value of this plain C struct.
    let mut probe: libc::flock = unsafe { std::mem::zeroed() };
    probe.l_type = libc::F_WRLCK as libc::c_short;
    probe.l_whence = libc::SEEK_SET as libc::c_short;
    probe.l_start = start;
    probe.l_len = len;
    // SAFETY: F_GETLK reads and writes the `flock` struct passed by pointer, which lives here.
    if unsafe { libc::fcntl(f.as_raw_fd(), libc::F_GETLK, &mut probe) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // Closing `f` drops no lock: this process holds none on these files (a POSIX lock is
    // dropped by any close of its file in its process, so this must run before the
    // process opens the database with SQLite).
    Ok((probe.l_type != libc::F_UNLCK as libc::c_short).then_some(probe.l_pid))
}

/// Another process that has the SQLite database open, as SQLite's own locks show: its id
/// (0 when unknown), or `None`. Must run before this process opens the database itself.
pub fn sqlite_holder(database: &Path) -> io::Result<Option<i32>> {
    if let Some(pid) = lock_holder(database, PENDING_BYTE, LOCK_BYTES)? {
        return Ok(Some(pid));
    }
    let mut shm = database.as_os_str().to_owned();
    shm.push("-shm");
    lock_holder(Path::new(&shm), SHM_LOCKS, SHM_LOCK_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_connection_in_another_process_is_seen_and_a_closed_one_is_not() {
        // Within one process F_GETLK sees no conflict with the process's own locks, so the
        // positive case is tested across processes (tests/api/restore.rs); here: nothing
        // held, nothing seen, also on a file that does not exist.
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        assert_eq!(sqlite_holder(&db).unwrap(), None);
        let c = crate::store::open(&db, crate::config::Durability::Normal).unwrap();
        c.execute_batch("CREATE TABLE t (x)").unwrap();
        drop(c);
        assert_eq!(sqlite_holder(&db).unwrap(), None);
    }

    #[test]
    fn shared_locks_coexist_and_exclude_the_exclusive_one() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        // flock locks belong to open file descriptions, so two in one process conflict as
        // two processes would.
        let a = shared(&db).unwrap().unwrap();
        let b = shared(&db).unwrap().unwrap();
        assert!(matches!(exclusive(&db), Err(LockError::Held(_))));
        drop((a, b));
        let ex = exclusive(&db).unwrap();
        assert!(matches!(shared(&db), Err(LockError::Held(_))));
        drop(ex);
        assert!(shared(&db).unwrap().is_some());
        // No directory: no lock, and no error (opening the database will say what is wrong).
        assert!(shared(&dir.path().join("missing/x.db")).unwrap().is_none());
    }
}
