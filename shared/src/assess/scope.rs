//! Which buckets and keys are artifact stores (the default `artifact-stores` scope).

use std::collections::HashSet;

use foldhash::fast::RandomState;

use crate::facts::{BucketFacts, Fact, KeyFacts, KeyRef, PipelineFacts, ResourceFacts};

use super::Inventory;

/// What the scope decision needs to know about the account as a whole: the buckets pipelines
/// name as stores, and the keys that in-scope buckets and pipelines use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeIndex {
    store_buckets: HashSet<Box<str>, RandomState>,
    referenced_keys: HashSet<Box<str>, RandomState>,
}

impl ScopeIndex {
    /// Builds the index from explicit lists (the live functions cache these between runs).
    pub fn new(
        store_buckets: impl IntoIterator<Item = Box<str>>,
        referenced_keys: impl IntoIterator<Item = Box<str>>,
    ) -> Self {
        Self {
            store_buckets: store_buckets.into_iter().collect(),
            referenced_keys: referenced_keys.into_iter().collect(),
        }
    }

    /// Builds the index from every pipeline and bucket in the inventory.
    pub fn from_inventory(inventory: &Inventory) -> Self {
        let mut index = Self::default();
        for entry in inventory.entries() {
            if let ResourceFacts::Pipeline(Fact::Known(p)) = &entry.facts {
                index.note_pipeline(p, inventory);
            }
        }
        for entry in inventory.entries() {
            if let ResourceFacts::Bucket(Fact::Known(b)) = &entry.facts {
                if index.bucket_in_scope(b) {
                    index.note_bucket_key(b, inventory);
                }
            }
        }
        index
    }

    /// Notes a pipeline's stores and their keys (`inventory` resolves aliases).
    pub(crate) fn note_pipeline(&mut self, pipeline: &PipelineFacts, inventory: &Inventory) {
        for store in &pipeline.stores {
            if !self.store_buckets.contains(&store.location) {
                self.store_buckets.insert(store.location.clone());
            }
            if let Some(key) = &store.encryption_key {
                self.note_key(&key.key, inventory);
            }
        }
    }

    /// Notes the key of an in-scope bucket.
    pub(crate) fn note_bucket_key(&mut self, bucket: &BucketFacts, inventory: &Inventory) {
        let key = bucket
            .encryption
            .known()
            .and_then(|e| e.as_ref())
            .and_then(|e| e.key.as_ref());
        if let Some(key) = key {
            self.note_key(key, inventory);
        }
    }

    fn note_key(&mut self, key: &KeyRef, inventory: &Inventory) {
        if let Some(id) = key.key_id().or_else(|| inventory.resolve_key_id(key)) {
            if !self.referenced_keys.contains(id) {
                self.referenced_keys.insert(id.into());
            }
        }
    }

    /// In scope whatever the pipelines name: the console's default name, or the tag.
    pub(crate) fn in_scope_by_itself(bucket: &BucketFacts) -> bool {
        is_console_default_name(&bucket.name) || bucket.tagged_artifact_store
    }

    /// A bucket is an artifact store when a pipeline names it, when its name is the console
    /// wizard's default (`codepipeline-<region>-…`), or when it carries the artifact-store tag.
    pub fn bucket_in_scope(&self, bucket: &BucketFacts) -> bool {
        self.store_buckets.contains(&bucket.name) || Self::in_scope_by_itself(bucket)
    }

    /// A key is in scope when an in-scope bucket or a pipeline uses it, or it is tagged.
    pub fn key_in_scope(&self, key: &KeyFacts) -> bool {
        self.referenced_keys.contains(&key.key_id) || key.tagged_artifact_store
    }
}

/// `codepipeline-<region>-…`, e.g. `codepipeline-us-east-1-123456789012`.
pub(crate) fn is_console_default_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("codepipeline-") else {
        return false;
    };
    // A region is letters-dash-…-digits: `us-east-1`, `us-gov-west-1`, `ap-southeast-2`.
    // (On a stack array: this runs for every bucket of a snapshot.)
    let mut parts = [""; 5];
    let mut count = 0;
    for (slot, part) in parts.iter_mut().zip(rest.splitn(5, '-')) {
        *slot = part;
        count += 1;
    }
    let parts = &parts[..count];
    (2..parts.len()).any(|n| {
        let (region, after) = (&parts[..=n], parts.get(n + 1));
        region[0].len() == 2
            && region[..n]
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
            && !region[n].is_empty()
            && region[n].chars().all(|c| c.is_ascii_digit())
            && after.is_some_and(|a| !a.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::is_console_default_name;

    #[test]
    fn console_default_names() {
        assert!(is_console_default_name(
            "codepipeline-us-east-1-123456789012"
        ));
        assert!(is_console_default_name("codepipeline-us-gov-west-1-abc"));
        assert!(is_console_default_name("codepipeline-ap-southeast-2-x"));
        assert!(!is_console_default_name("codepipeline-artifacts"));
        assert!(!is_console_default_name("codepipeline-us-east-1"));
        assert!(!is_console_default_name("my-codepipeline-us-east-1-1"));
    }
}
