//! Assessing more resources than memory should hold: an organization's snapshots, hundreds of
//! thousands of buckets, keys and pipelines.
//!
//! Each resource's facts are written once, compactly, to an unnamed temporary file as they are
//! read ([`Spill`]). Memory keeps what other resources refer to and nothing else: which record
//! of each resource is the newest, the key ids that buckets and pipelines name and the buckets
//! that pipelines name. [`Spill::finish`] reads the file back once to keep those referred-to
//! keys and buckets in an [`Inventory`] and to complete the scope; [`Spilled::assess_each`]
//! reads it a second time and judges every resource with the same [`Assessor`] as everywhere
//! else, one at a time. The verdicts are those of an in-memory inventory of the same items.
//!
//! A resource read more than once (history files, overlapping snapshots) is reported once, with
//! its newest facts, at the place of that newest record.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use foldhash::fast::RandomState;

use crate::facts::inventory::{later, same_resource};
use crate::facts::{Fact, ResourceFacts, ResourceKind, Subject};

use super::snapshot::Sink;
use super::{Assessor, Evaluation, Inventory, RuleParameters, ScopeIndex};

/// Resources written to the working file as they are read.
pub struct Spill {
    writer: BufWriter<File>,
    /// Bytes written so far: the offset of the next record.
    written: u64,
    /// The record being encoded, reused.
    record: Vec<u8>,
    /// For each resource identity (hashed), the offset of its newest record.
    newest: HashMap<u64, u64, RandomState>,
    /// Newest records of other resources whose identity hashed to the same value (the exact
    /// identity is read back from the file, so a collision never merges two resources).
    collided: HashMap<u64, Vec<u64>, RandomState>,
    /// Records replaced by a newer capture of the same resource.
    superseded: HashSet<u64, RandomState>,
    identity: fn(&RandomState, &Subject) -> u64,
    seed: RandomState,
    /// Buckets that pipelines name as stores, and key ids that buckets and pipelines name
    /// (every record's, a superset of the newest records').
    wanted_buckets: HashSet<Box<str>, RandomState>,
    wanted_keys: HashSet<Box<str>, RandomState>,
    /// Accounts, joined from their pieces in memory (one per account and region: few).
    accounts: Inventory,
    layout: Layout,
}

/// What a report's layout needs to know about all the resources before the first row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    /// Records read (a resource read twice counts twice).
    pub records: u64,
    /// The widest resource id, in characters.
    pub id_width: usize,
    /// The first account seen, and whether any other was.
    pub first_account: Option<Box<str>>,
    /// Resources of more than one account (or with and without one).
    pub many_accounts: bool,
}

impl Layout {
    fn note(&mut self, subject: &Subject) {
        let account = subject.account_id.as_deref();
        if self.records == 0 {
            self.first_account = account.map(Into::into);
        } else if account != self.first_account.as_deref() {
            self.many_accounts = true;
        }
        self.records += 1;
        self.id_width = self.id_width.max(subject.id.chars().count());
    }
}

/// Each record is its length (4 bytes, little-endian), then its postcard encoding.
const LENGTH: usize = 4;

impl Spill {
    /// A spill into a new unnamed temporary file (`TMPDIR`), removed when dropped, also when
    /// the process is killed.
    pub fn new() -> io::Result<Self> {
        let file = tempfile::tempfile().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot create a working file in {} (set TMPDIR to a writable directory): {e}",
                    std::env::temp_dir().display()
                ),
            )
        })?;
        Ok(Self::in_file(file, identity_hash))
    }

    fn in_file(file: File, identity: fn(&RandomState, &Subject) -> u64) -> Self {
        Self {
            writer: BufWriter::with_capacity(256 * 1024, file),
            written: 0,
            record: Vec::with_capacity(1024),
            newest: HashMap::default(),
            collided: HashMap::default(),
            superseded: HashSet::default(),
            identity,
            seed: RandomState::default(),
            wanted_buckets: HashSet::default(),
            wanted_keys: HashSet::default(),
            accounts: Inventory::new(),
            layout: Layout::default(),
        }
    }

    /// Adds a resource (see [`Inventory::insert`] for which record of a resource wins).
    pub fn insert(&mut self, subject: Subject, facts: ResourceFacts) -> io::Result<()> {
        if subject.kind == ResourceKind::Account {
            // Pieces of one account are joined, which a record in the file cannot be.
            if self
                .accounts
                .entry(ResourceKind::Account, &subject.id)
                .is_none()
            {
                self.layout.note(&subject);
            }
            self.accounts.insert(subject, facts);
            return Ok(());
        }
        self.layout.note(&subject);
        note_wanted(&facts, &mut self.wanted_buckets, &mut self.wanted_keys);
        let offset = self.written;
        self.record.clear();
        self.record.extend_from_slice(&[0; LENGTH]);
        let mut record = std::mem::take(&mut self.record);
        record = postcard::to_extend(&(&subject, &facts), record).map_err(io::Error::other)?;
        let length = u32::try_from(record.len() - LENGTH)
            .map_err(|_| io::Error::other("a resource's facts exceed 4 GiB"))?;
        record[..LENGTH].copy_from_slice(&length.to_le_bytes());
        self.writer.write_all(&record)?;
        self.written += record.len() as u64;
        self.record = record;
        self.keep_newest(&subject, offset)
    }

    /// Records `offset` as the newest record of `subject`'s resource, or as superseded.
    fn keep_newest(&mut self, subject: &Subject, offset: u64) -> io::Result<()> {
        let hash = (self.identity)(&self.seed, subject);
        let Some(&first) = self.newest.get(&hash) else {
            self.newest.insert(hash, offset);
            return Ok(());
        };
        // The same identity hash: the same resource read again, or (rarely) another resource.
        let others = self.collided.get(&hash).map_or(&[][..], Vec::as_slice);
        let candidates: Vec<u64> = std::iter::once(first)
            .chain(others.iter().copied())
            .collect();
        for candidate in candidates {
            let existing = self.subject_at(candidate)?;
            if !same_resource(&existing, subject) {
                continue;
            }
            let loser = if later(
                existing.captured_at.as_deref(),
                subject.captured_at.as_deref(),
            ) {
                offset
            } else {
                self.replace(hash, candidate, offset);
                candidate
            };
            self.superseded.insert(loser);
            return Ok(());
        }
        self.collided.entry(hash).or_default().push(offset);
        Ok(())
    }

    fn replace(&mut self, hash: u64, old: u64, new: u64) {
        if self.newest.get(&hash) == Some(&old) {
            self.newest.insert(hash, new);
        } else if let Some(slot) = self
            .collided
            .get_mut(&hash)
            .and_then(|list| list.iter_mut().find(|o| **o == old))
        {
            *slot = new;
        }
    }

    /// The subject of the record at `offset`, read back from the file.
    fn subject_at(&mut self, offset: u64) -> io::Result<Subject> {
        self.writer.flush()?;
        let file = self.writer.get_mut();
        file.seek(SeekFrom::Start(offset))?;
        let mut length = [0; LENGTH];
        file.read_exact(&mut length)?;
        let mut bytes = vec![0; u32::from_le_bytes(length) as usize];
        file.read_exact(&mut bytes)?;
        file.seek(SeekFrom::Start(self.written))?;
        let (subject, _) = postcard::take_from_bytes::<Subject>(&bytes).map_err(damaged(offset))?;
        Ok(subject)
    }

    /// Reads the file back once: keeps the keys and buckets that other resources name, and
    /// completes the scope (which buckets are stores, which keys they use).
    pub fn finish(self) -> io::Result<Spilled> {
        let Self {
            writer,
            written,
            superseded,
            wanted_buckets,
            wanted_keys,
            accounts,
            layout,
            ..
        } = self;
        // `newest` and `collided` are dropped here, before the references are loaded.
        let mut file = writer
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        file.seek(SeekFrom::Start(0))?;
        let mut references = Inventory::new();
        let mut scope = ScopeIndex::default();
        let mut reader = Records::new(&file, &superseded);
        while let Some((subject, facts)) = reader.next_record()? {
            match &facts {
                ResourceFacts::Pipeline(Fact::Known(p)) => scope.note_pipeline(p, &references),
                ResourceFacts::Bucket(Fact::Known(b)) if ScopeIndex::in_scope_by_itself(b) => {
                    scope.note_bucket_key(b, &references);
                }
                _ => {}
            }
            let wanted = match subject.kind {
                ResourceKind::Bucket => &wanted_buckets,
                ResourceKind::Key => &wanted_keys,
                ResourceKind::Pipeline | ResourceKind::Account => continue,
            };
            if wanted.contains(&*subject.id) {
                references.insert(subject, facts);
            }
        }
        // A bucket that is a store only because a pipeline names it: the pipelines are all
        // known now, and every bucket a pipeline names is among the references.
        for entry in references.entries() {
            if let ResourceFacts::Bucket(Fact::Known(b)) = &entry.facts {
                if scope.bucket_in_scope(b) {
                    scope.note_bucket_key(b, &references);
                }
            }
        }
        let kept = |kind| {
            references
                .entries()
                .iter()
                .filter(|e| e.subject.kind == kind)
                .count()
        };
        tracing::debug!(
            records = layout.records,
            superseded = superseded.len(),
            working_file_bytes = written,
            kept_keys = kept(ResourceKind::Key),
            kept_buckets = kept(ResourceKind::Bucket),
            "resources spilled; referred-to keys and buckets kept in memory"
        );
        drop(reader);
        Ok(Spilled {
            file,
            superseded,
            references,
            scope,
            accounts,
            layout,
        })
    }
}

impl Sink for Spill {
    fn accept(&mut self, subject: Subject, facts: ResourceFacts) -> io::Result<()> {
        self.insert(subject, facts).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot write the working file in {} (free space there, or set TMPDIR): {e}",
                    std::env::temp_dir().display()
                ),
            )
        })
    }
}

/// The resources of a finished [`Spill`], ready to be assessed.
pub struct Spilled {
    file: File,
    superseded: HashSet<u64, RandomState>,
    references: Inventory,
    scope: ScopeIndex,
    accounts: Inventory,
    layout: Layout,
}

/// Why [`Spilled::assess_each`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum SpillError {
    /// The working file could not be read back.
    #[error("cannot read back the working file: {0}")]
    Working(io::Error),
    /// The caller's function failed (writing the report).
    #[error(transparent)]
    Caller(io::Error),
}

impl Spilled {
    /// What the report's layout needs.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The keys and buckets kept in memory because other resources name them.
    pub fn references(&self) -> &Inventory {
        &self.references
    }

    /// Judges every resource (the newest record of each) in the order read, and hands each
    /// evaluation to `each`.
    pub fn assess_each(
        &mut self,
        params: &RuleParameters,
        mut each: impl FnMut(&Evaluation) -> io::Result<()>,
    ) -> Result<(), SpillError> {
        self.file
            .seek(SeekFrom::Start(0))
            .map_err(SpillError::Working)?;
        let assessor = Assessor::new(params, &self.references, &self.scope);
        let mut reader = Records::new(&self.file, &self.superseded);
        while let Some((subject, facts)) = reader.next_record().map_err(SpillError::Working)? {
            each(&assessor.assess(&subject, &facts)).map_err(SpillError::Caller)?;
        }
        for entry in self.accounts.entries() {
            each(&assessor.assess(&entry.subject, &entry.facts)).map_err(SpillError::Caller)?;
        }
        Ok(())
    }
}

/// Reads the records of a working file in order, skipping superseded ones.
struct Records<'a> {
    reader: BufReader<&'a File>,
    offset: u64,
    bytes: Vec<u8>,
    superseded: &'a HashSet<u64, RandomState>,
}

impl<'a> Records<'a> {
    fn new(file: &'a File, superseded: &'a HashSet<u64, RandomState>) -> Self {
        Self {
            reader: BufReader::with_capacity(256 * 1024, file),
            offset: 0,
            bytes: Vec::with_capacity(1024),
            superseded,
        }
    }

    fn next_record(&mut self) -> io::Result<Option<(Subject, ResourceFacts)>> {
        loop {
            if self.reader.fill_buf()?.is_empty() {
                return Ok(None);
            }
            let at = self.offset;
            let mut length = [0; LENGTH];
            self.reader.read_exact(&mut length)?;
            let length = u32::from_le_bytes(length) as usize;
            self.bytes.resize(length, 0);
            self.reader.read_exact(&mut self.bytes)?;
            self.offset += (LENGTH + length) as u64;
            if self.superseded.contains(&at) {
                continue;
            }
            let record = postcard::from_bytes(&self.bytes).map_err(damaged(at))?;
            return Ok(Some(record));
        }
    }
}

fn damaged(offset: u64) -> impl FnOnce(postcard::Error) -> io::Error {
    move |e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the record at byte {offset} cannot be decoded: {e}"),
        )
    }
}

/// What identifies a resource: a bucket by its name (bucket names are global); a key or a
/// pipeline by its id in its account and region.
fn identity_hash(seed: &RandomState, subject: &Subject) -> u64 {
    match subject.kind {
        ResourceKind::Bucket => seed.hash_one((subject.kind, &*subject.id)),
        _ => seed.hash_one((
            subject.kind,
            &*subject.id,
            subject.account_id.as_deref(),
            subject.region.as_deref(),
        )),
    }
}

/// The buckets and keys `facts` name: what must be at hand when the resource is judged.
fn note_wanted(
    facts: &ResourceFacts,
    buckets: &mut HashSet<Box<str>, RandomState>,
    keys: &mut HashSet<Box<str>, RandomState>,
) {
    let mut want_key = |key: &crate::facts::KeyRef| {
        if let Some(id) = key.key_id() {
            if !keys.contains(id) {
                keys.insert(id.into());
            }
        }
    };
    match facts {
        ResourceFacts::Bucket(Fact::Known(b)) => {
            if let Some(key) = b
                .encryption
                .known()
                .and_then(Option::as_ref)
                .and_then(|e| e.key.as_ref())
            {
                want_key(key);
            }
        }
        ResourceFacts::Pipeline(Fact::Known(p)) => {
            for store in &p.stores {
                if !buckets.contains(&store.location) {
                    buckets.insert(store.location.clone());
                }
                if let Some(key) = &store.encryption_key {
                    want_key(&key.key);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
