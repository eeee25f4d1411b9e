//! The facts of a set of resources, indexed for the lookups that controls make across
//! resources (a bucket's key, a pipeline's buckets and keys).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::facts::{BucketFacts, Fact, KeyFacts, KeyRef, ResourceFacts, ResourceKind, Subject};

/// One resource and its facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Which resource.
    pub subject: Subject,
    /// What is known about it.
    pub facts: ResourceFacts,
}

/// Resources by kind and id, in the order they were first added.
#[derive(Debug, Default, Clone)]
pub struct Inventory {
    entries: Vec<Entry>,
    /// Entry positions by id, one map per kind (so lookups borrow a `&str`).
    index: [HashMap<Arc<str>, usize>; 3],
    /// One copy of each account id, region and capture time.
    interned: HashSet<Arc<str>>,
    aliases: HashMap<Box<str>, Box<str>>,
}

/// What a key reference resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLookup<'a> {
    /// `alias/aws/s3`: the AWS managed S3 key, usable by CodePipeline and rotated by AWS.
    AwsManagedS3,
    /// A key whose facts are known.
    Found(&'a KeyFacts),
    /// A key that was deleted or is no longer recorded.
    Gone(Cow<'a, str>),
    /// A key that cannot be read or resolved; the text says why.
    Unknown(Cow<'a, str>),
}

impl Inventory {
    /// An empty inventory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a resource, replacing an earlier entry for the same kind and id.
    pub fn insert(&mut self, mut subject: Subject, facts: ResourceFacts) {
        for field in [
            &mut subject.account_id,
            &mut subject.region,
            &mut subject.captured_at,
        ] {
            if let Some(value) = field.take() {
                *field = Some(self.intern(value));
            }
        }
        let index = &mut self.index[subject.kind as usize];
        match index.get(&subject.id) {
            Some(&i) => self.entries[i] = Entry { subject, facts },
            None => {
                index.insert(subject.id.clone(), self.entries.len());
                self.entries.push(Entry { subject, facts });
            }
        }
    }

    fn intern(&mut self, value: Arc<str>) -> Arc<str> {
        if let Some(existing) = self.interned.get(&value) {
            return existing.clone();
        }
        self.interned.insert(value.clone());
        value
    }

    /// Records that `alias` (`alias/name`) points at `key_id`.
    pub fn insert_alias(&mut self, alias: &str, key_id: &str) {
        self.aliases.insert(alias.into(), key_id.into());
    }

    /// Every resource, in insertion order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Number of resources.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry for `kind` and `id`.
    pub fn entry(&self, kind: ResourceKind, id: &str) -> Option<&Entry> {
        self.get(kind, id)
    }

    fn get(&self, kind: ResourceKind, id: &str) -> Option<&Entry> {
        self.index[kind as usize].get(id).map(|&i| &self.entries[i])
    }

    /// The facts of bucket `name`, if it is in the inventory.
    pub fn bucket(&self, name: &str) -> Option<&ResourceFacts> {
        self.get(ResourceKind::Bucket, name).map(|e| &e.facts)
    }

    /// The known facts of bucket `name`, or why they are not known.
    pub fn bucket_facts(&self, name: &str) -> Fact<&BucketFacts> {
        match self.bucket(name) {
            Some(ResourceFacts::Bucket(Fact::Known(b))) => Fact::Known(b),
            Some(ResourceFacts::Bucket(Fact::Unknown(r))) => Fact::Unknown(r.clone()),
            Some(ResourceFacts::Gone(r)) => Fact::unknown(format!("bucket {name}: {r}")),
            _ => Fact::unknown(format!("bucket {name} is not among the recorded resources")),
        }
    }

    /// Resolves a key reference.
    pub fn key(&self, key: &KeyRef) -> KeyLookup<'_> {
        if key.is_aws_managed_s3_alias() {
            return KeyLookup::AwsManagedS3;
        }
        let id: &str = match (key.key_id(), key.alias_name()) {
            (Some(id), _) => id,
            (None, name) => match name.and_then(|n| self.aliases.get(n)) {
                Some(id) => id,
                None => {
                    return KeyLookup::Unknown(Cow::Owned(format!(
                        "{key} cannot be resolved to a key; reference the key by its ARN"
                    )))
                }
            },
        };
        match self.get(ResourceKind::Key, id).map(|e| &e.facts) {
            Some(ResourceFacts::Key(Fact::Known(k))) => KeyLookup::Found(k),
            Some(ResourceFacts::Key(Fact::Unknown(r))) => {
                KeyLookup::Unknown(Cow::Owned(format!("key {id} cannot be read: {r}")))
            }
            Some(ResourceFacts::Gone(r)) => KeyLookup::Gone(Cow::Owned(format!("key {id}: {r}"))),
            _ => KeyLookup::Unknown(Cow::Owned(format!(
                "key {id} is not among the recorded resources"
            ))),
        }
    }

    /// The key id a reference resolves to, if it resolves to a recorded key.
    pub fn resolve_key_id(&self, key: &KeyRef) -> Option<&str> {
        let id: &str = match key.key_id() {
            Some(id) => id,
            None => self.aliases.get(key.alias_name()?)?,
        };
        self.index[ResourceKind::Key as usize]
            .get_key_value(id)
            .map(|(id, _)| &**id)
    }
}
