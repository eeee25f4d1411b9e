//! The facts of a set of resources, indexed for the lookups that controls make across
//! resources (a bucket's key, a pipeline's buckets and keys). It sits with the facts, below the
//! controls that look things up in it and the assessment that drives them: facts → controls →
//! assessment → reports, never back.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use foldhash::fast::RandomState;

use super::{BucketFacts, Fact, KeyFacts, KeyRef, ResourceFacts, ResourceKind, Subject};

/// One resource and its facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Which resource.
    pub subject: Subject,
    /// What is known about it.
    pub facts: ResourceFacts,
}

/// Resources by kind and id, in the order they were first added, from one account or many.
///
/// A bucket is one resource whatever account recorded it (bucket names are global). A key or a
/// pipeline is identified by account, region and id: pipeline names repeat across accounts, and
/// a multi-Region key keeps its id in every region. Lookups are made from a [`Place`], so that a
/// bare key id is resolved in the referring resource's own account and region, never another's.
#[derive(Debug, Default, Clone)]
pub struct Inventory {
    entries: Vec<Entry>,
    /// The first entry of each id, one map per kind (so lookups borrow a `&str`).
    index: [HashMap<Arc<str>, usize, RandomState>; 4],
    /// For each entry, the next entry of the same kind and id (another account or region), or
    /// `NONE`. Almost always `NONE`: four bytes an entry rather than a list per id.
    same_id: Vec<u32>,
    /// One copy of each account id, region and capture time.
    interned: HashSet<Arc<str>>,
    aliases: HashMap<Box<str>, Box<str>, RandomState>,
}

const NONE: u32 = u32::MAX;

/// Was capture time `a` strictly later than `b`? RFC 3339 times in UTC, as Config writes them,
/// order as text; an unknown time is never later.
pub(crate) fn later(a: Option<&str>, b: Option<&str>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a > b)
}

/// Are `a` and `b` the same resource? A bucket by its name (bucket names are global); a key or
/// a pipeline by its id in its account and region.
pub(crate) fn same_resource(a: &Subject, b: &Subject) -> bool {
    a.kind == b.kind && a.id == b.id && (a.kind == ResourceKind::Bucket || Place::of(a).same(b))
}

/// The account and region a lookup is made from. A field that is unknown matches any.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Place<'a> {
    /// Account id.
    pub account: Option<&'a str>,
    /// Region.
    pub region: Option<&'a str>,
}

impl<'a> Place<'a> {
    /// Anywhere: the first resource of the id (inventories of one account and region).
    pub const ANY: Place<'static> = Place {
        account: None,
        region: None,
    };

    /// Where `subject` lives.
    pub fn of(subject: &'a Subject) -> Self {
        Self {
            account: subject.account_id.as_deref(),
            region: subject.region.as_deref(),
        }
    }

    /// Where a key reference points: an ARN names its own account and region; a bare id or
    /// alias is in the referring resource's.
    fn of_key(key: &'a KeyRef, from: Place<'a>) -> Self {
        match key.account() {
            Some(account) => Self {
                account: Some(account),
                region: key.region(),
            },
            None => from,
        }
    }

    fn admits(&self, subject: &Subject) -> bool {
        // Both sides are usually the inventory's one interned copy: compare addresses first.
        let fits = |want: Option<&str>, have: &Option<Arc<str>>| match (want, have) {
            (Some(want), Some(have)) => std::ptr::eq(want, &**have) || want == &**have,
            _ => true,
        };
        fits(self.account, &subject.account_id) && fits(self.region, &subject.region)
    }

    fn same(&self, subject: &Subject) -> bool {
        self.account == subject.account_id.as_deref() && self.region == subject.region.as_deref()
    }
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

    /// Adds a resource. An entry for the same resource (bucket name; or key or pipeline id in
    /// the same account and region) is replaced, unless it was captured later than this one:
    /// snapshots and configuration history files may be read in any order. An account's
    /// pieces are joined instead ([`AccountFacts::absorb`](super::AccountFacts::absorb)).
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
        let kind = subject.kind;
        let head = self.index[kind as usize].get(&subject.id).copied();
        let mut at = head;
        while let Some(i) = at {
            if same_resource(&self.entries[i].subject, &subject) {
                // An account's facts arrive in pieces (its trails, endpoints, projects): join.
                let facts = match (&mut self.entries[i].facts, facts) {
                    (
                        ResourceFacts::Account(Fact::Known(held)),
                        ResourceFacts::Account(Fact::Known(piece)),
                    ) => {
                        held.absorb(*piece);
                        None
                    }
                    (_, facts) => Some(facts),
                };
                let Some(facts) = facts else {
                    if later(
                        subject.captured_at.as_deref(),
                        self.entries[i].subject.captured_at.as_deref(),
                    ) {
                        self.entries[i].subject.captured_at = subject.captured_at;
                    }
                    return;
                };
                if !later(
                    self.entries[i].subject.captured_at.as_deref(),
                    subject.captured_at.as_deref(),
                ) {
                    self.entries[i] = Entry { subject, facts };
                }
                return;
            }
            at = self.next(i);
        }
        let position = self.entries.len();
        self.same_id
            .push(head.map_or(NONE, |h| u32::try_from(h).unwrap_or(NONE)));
        self.index[kind as usize].insert(subject.id.clone(), position);
        self.entries.push(Entry { subject, facts });
    }

    fn next(&self, i: usize) -> Option<usize> {
        match self.same_id[i] {
            NONE => None,
            n => Some(n as usize),
        }
    }

    fn intern(&mut self, value: Arc<str>) -> Arc<str> {
        if let Some(existing) = self.interned.get(&value) {
            return existing.clone();
        }
        self.interned.insert(value.clone());
        value
    }

    /// Gives every resource without an account or region these (a live sweep knows them from
    /// where it ran, not from each answer).
    pub fn locate(&mut self, account: Option<&str>, region: &str) {
        let account = account.map(|a| self.intern(Arc::from(a)));
        let region = self.intern(Arc::from(region));
        for entry in &mut self.entries {
            let subject = &mut entry.subject;
            if subject.account_id.is_none() {
                subject.account_id.clone_from(&account);
            }
            if subject.region.is_none() {
                subject.region = Some(region.clone());
            }
        }
    }

    /// Records that `alias` (`alias/name`) points at `key_id`. (Aliases come from live reads,
    /// which cover one account and region at a time; Config snapshots record none.)
    pub fn insert_alias(&mut self, alias: &str, key_id: &str) {
        self.aliases.insert(alias.into(), key_id.into());
    }

    /// Every resource, in insertion order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The keys whose facts lack their key policy (read from AWS Config, which records none):
    /// positions for [`Inventory::set_key_policy`] and key ids.
    pub fn keys_without_policy(&self) -> Vec<(usize, Box<str>)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(at, e)| match &e.facts {
                ResourceFacts::Key(Fact::Known(k)) if k.policy.is_none() => {
                    Some((at, k.key_id.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// Gives the key at `position` (from [`Inventory::keys_without_policy`]) its policy.
    pub fn set_key_policy(&mut self, position: usize, policy: Fact<Box<str>>) {
        if let Some(Entry {
            facts: ResourceFacts::Key(Fact::Known(k)),
            ..
        }) = self.entries.get_mut(position)
        {
            k.policy = Some(policy);
        }
    }

    /// Number of resources.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry for `kind` and `id` (the first one, when several accounts hold the id).
    pub fn entry(&self, kind: ResourceKind, id: &str) -> Option<&Entry> {
        self.get(kind, id, Place::ANY)
    }

    fn get(&self, kind: ResourceKind, id: &str, from: Place<'_>) -> Option<&Entry> {
        let mut at = self.index[kind as usize].get(id).copied();
        while let Some(i) = at {
            let entry = &self.entries[i];
            if kind == ResourceKind::Bucket || from.admits(&entry.subject) {
                return Some(entry);
            }
            at = self.next(i);
        }
        None
    }

    /// The facts of bucket `name`, if it is in the inventory.
    pub fn bucket(&self, name: &str) -> Option<&ResourceFacts> {
        self.get(ResourceKind::Bucket, name, Place::ANY)
            .map(|e| &e.facts)
    }

    /// The bucket `name` and its known facts, or why they are not known.
    pub fn bucket_facts(&self, name: &str) -> Fact<(&Subject, &BucketFacts)> {
        match self.get(ResourceKind::Bucket, name, Place::ANY) {
            Some(Entry {
                subject,
                facts: ResourceFacts::Bucket(Fact::Known(b)),
            }) => Fact::Known((subject, b)),
            Some(Entry {
                facts: ResourceFacts::Bucket(Fact::Unknown(r)),
                ..
            }) => Fact::Unknown(r.clone()),
            Some(Entry {
                facts: ResourceFacts::Gone(r),
                ..
            }) => Fact::unknown(format!("bucket {name}: {r}")),
            _ => Fact::unknown(format!("bucket {name} is not among the recorded resources")),
        }
    }

    /// Resolves a key reference made from `from` (the referring resource's place).
    pub fn key(&self, key: &KeyRef, from: Place<'_>) -> KeyLookup<'_> {
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
        match self
            .get(ResourceKind::Key, id, Place::of_key(key, from))
            .map(|e| &e.facts)
        {
            Some(ResourceFacts::Key(Fact::Known(k))) => KeyLookup::Found(k),
            Some(ResourceFacts::Key(Fact::Unknown(r))) => {
                KeyLookup::Unknown(Cow::Owned(format!("key {id} cannot be read: {r}")))
            }
            Some(ResourceFacts::Gone(r)) => KeyLookup::Gone(Cow::Owned(format!("key {id}: {r}"))),
            _ => KeyLookup::Unknown(Cow::Owned(match from.account {
                Some(account) if key.account().is_none() => {
                    format!("key {id} is not among the recorded resources of account {account}")
                }
                _ => format!("key {id} is not among the recorded resources"),
            })),
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
