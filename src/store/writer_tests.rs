//! Tests of the single writer: group commit, savepoints, close.

use super::*;

fn open(dir: &std::path::Path) -> (Connection, PathBuf) {
    let path = dir.join("w.db");
    let conn = crate::store::open(&path, crate::config::Durability::Full).unwrap();
    conn.execute_batch("CREATE TABLE t (x INTEGER)").unwrap();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    (conn, PathBuf::from(wal))
}

fn insert(n: i64) -> impl FnOnce(&Connection) -> ApiResult<i64> + Send + 'static {
    move |c: &Connection| {
        c.execute("INSERT INTO t VALUES (?1)", [n])?;
        Ok(n)
    }
}

#[tokio::test]
async fn answers_wait_for_the_wal_fsync_and_carry_its_failure() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, wal) = open(dir.path());
    let synced = Writer::start(conn, Some(wal), None, Arc::default()).unwrap();
    assert_eq!(synced.write(insert(1)).await.unwrap(), 1);

    // A WAL file that cannot be opened for the fsync: the commit happened, but nobody is
    // told it succeeded.
    let dir2 = tempfile::tempdir().unwrap();
    let (conn, _) = open(dir2.path());
    let broken = Writer::start(
        conn,
        Some(dir2.path().join("missing/w.db-wal")),
        None,
        Arc::default(),
    )
    .unwrap();
    match broken.write(insert(2)).await {
        Err(ApiError::Unavailable(m)) => assert!(m.contains("fsync"), "{m}"),
        other => panic!("expected the fsync failure, got {other:?}"),
    }
}

#[tokio::test]
async fn each_commit_is_counted_before_its_writes_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, wal) = open(dir.path());
    let commits = Arc::new(AtomicU64::new(0));
    let w = Writer::start(conn, Some(wal), None, commits.clone()).unwrap();
    for i in 1..=3 {
        w.write(insert(i)).await.unwrap();
        assert_eq!(commits.load(Ordering::Acquire), i as u64);
    }
    // A write that fails alone still commits an (empty) transaction: counted too, harmless.
    let _ = w
        .write(|_: &Connection| Err::<(), _>(ApiError::invalid("x", "no")))
        .await;
    assert_eq!(commits.load(Ordering::Acquire), 4);
}

#[tokio::test]
async fn close_answers_what_was_queued_then_empties_the_wal_and_refuses_more() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, wal) = open(dir.path());
    let path = dir.path().join("w.db");
    let checkpointer = crate::store::open(&path, crate::config::Durability::Full).unwrap();
    let w = Writer::start(conn, Some(wal.clone()), Some(checkpointer), Arc::default()).unwrap();
    let queued: Vec<_> = (0..50)
        .map(|i| {
            let w = w.clone();
            tokio::spawn(async move { w.write(insert(i)).await })
        })
        .collect();
    tokio::task::yield_now().await;
    // Another connection stays open (as the outbox worker's may): closing the writer's
    // is then not what removes the WAL; the checkpoint has to empty it.
    let other = Connection::open(&path).unwrap();
    other
        .query_row("SELECT count(*) FROM t", [], |_| Ok(()))
        .unwrap();
    let closer = w.clone();
    let closed = tokio::task::spawn_blocking(move || closer.close())
        .await
        .unwrap();
    assert_eq!(closed, Ok(()));
    let mut answered = 0;
    for q in queued {
        if q.await.unwrap().is_ok() {
            answered += 1;
        }
    }
    assert_eq!(
        answered, 50,
        "the writes sent before the close are all answered"
    );
    assert_eq!(std::fs::metadata(&wal).map_or(0, |m| m.len()), 0);
    match w.write(insert(99)).await {
        Err(ApiError::Unavailable(m)) => assert!(m.contains("stopped"), "{m}"),
        other => panic!("a write after the close: {other:?}"),
    }
    assert_eq!(w.close(), Ok(()), "closing twice is harmless");
    let n: i64 = other
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 50);
}

#[tokio::test]
async fn one_failing_write_leaves_its_batch_neighbours_committed() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, wal) = open(dir.path());
    let path = dir.path().join("w.db");
    let w = Writer::start(conn, Some(wal), None, Arc::default()).unwrap();
    let writes = (0..20).map(|i| {
        let w = w.clone();
        async move {
            if i % 5 == 0 {
                w.write(move |c: &Connection| {
                    c.execute("INSERT INTO t VALUES (?1)", [1000 + i])?;
                    Err::<i64, _>(ApiError::invalid("x", "refused after writing"))
                })
                .await
            } else {
                w.write(insert(i)).await
            }
        }
    });
    let results = futures_util::future::join_all(writes).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 16);
    let check = Connection::open(path).unwrap();
    let (n, big): (i64, i64) = check
        .query_row(
            "SELECT count(*), count(*) FILTER (WHERE x >= 1000) FROM t",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((n, big), (16, 0));
}
