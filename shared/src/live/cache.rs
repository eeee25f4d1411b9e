//! The scope index (which buckets pipelines use as stores, which keys they use), kept across
//! warm invocations for a short time so that a change notification for one bucket does not
//! re-list every pipeline.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::assess::ScopeIndex;

/// How long a scope index is reused: a pipeline that starts using a new bucket is seen as
/// "named by a pipeline" at most this late (the periodic sweep does not use the cache).
pub const SCOPE_CACHE_TTL: Duration = Duration::from_secs(300);

/// A scope index and when it was built.
#[derive(Debug)]
pub struct ScopeCache {
    ttl: Duration,
    slot: Mutex<Option<(Instant, ScopeIndex)>>,
}

impl Default for ScopeCache {
    fn default() -> Self {
        Self::new(SCOPE_CACHE_TTL)
    }
}

impl ScopeCache {
    /// A cache whose entries live for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            slot: Mutex::new(None),
        }
    }

    /// The cached index, if it is younger than the TTL.
    pub fn get(&self, now: Instant) -> Option<ScopeIndex> {
        let slot = self.slot.lock().ok()?;
        slot.as_ref()
            .filter(|(built, _)| now.saturating_duration_since(*built) < self.ttl)
            .map(|(_, index)| index.clone())
    }

    /// Stores a freshly built index.
    pub fn put(&self, now: Instant, index: ScopeIndex) {
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some((now, index));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_after_the_ttl() {
        let cache = ScopeCache::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(cache.get(t0), None);
        cache.put(t0, ScopeIndex::new(["b".into()], []));
        assert!(cache.get(t0 + Duration::from_secs(9)).is_some());
        assert_eq!(cache.get(t0 + Duration::from_secs(10)), None);
    }
}
