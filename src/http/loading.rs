//! One database read per list at a time: requests that miss the thread cache for the same
//! list while it is being loaded wait for that load, then find its answer in the cache,
//! instead of each reading the database (after a commit on a busy thread, every reader
//! misses at once; on PostgreSQL each miss would hold one of the pool's connections).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// The lists being loaded now.
#[derive(Default)]
pub struct Loading {
    map: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
}

/// Held while one list is loaded; the next waiter goes on when it is dropped.
pub struct LoadGuard<'a> {
    loading: &'a Loading,
    key: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl Loading {
    /// Waits until no other request is loading `key`, and holds it.
    pub async fn lock(&self, key: &str) -> LoadGuard<'_> {
        let lock = self
            .map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.to_string())
            .or_default()
            .clone();
        let guard = lock.lock_owned().await;
        LoadGuard {
            loading: self,
            key: key.to_string(),
            guard: Some(guard),
        }
    }

    /// Lists with a load under way or waited for (tests).
    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no load is under way.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for LoadGuard<'_> {
    fn drop(&mut self) {
        let mut map = self.loading.map.lock().unwrap_or_else(|p| p.into_inner());
        // The map's handle and this guard's are the only ones: nobody waits, so the entry
        // goes (waiters take their handle under this same lock, so none can come between).
        if map
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) <= 2)
        {
            map.remove(&self.key);
        }
        drop(self.guard.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_load_of_the_same_list_waits_for_the_first_and_nothing_is_kept() {
        let loading = Arc::new(Loading::default());
        let first = loading.lock("a").await;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let (l2, tx2) = (loading.clone(), tx.clone());
        let waiter = tokio::spawn(async move {
            let _g = l2.lock("a").await;
            tx2.send("second").unwrap();
        });
        // Another list does not wait.
        drop(loading.lock("b").await);
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(rx.try_recv().is_err(), "the second load waited");
        tx.send("first done").unwrap();
        drop(first);
        waiter.await.unwrap();
        assert_eq!(rx.recv().await, Some("first done"));
        assert_eq!(rx.recv().await, Some("second"));
        assert!(loading.is_empty(), "no entry outlives its loads");
    }
}
