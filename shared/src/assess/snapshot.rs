//! Streams an AWS Config snapshot (`{"fileVersion", "configSnapshotId", "configurationItems":
//! […]}`, plain or gzip) into a [`Sink`] (an [`Inventory`], or a [`Spill`](super::Spill) for more
//! resources than memory should hold), so that memory never grows with the size of the file.
//! The same reader takes the output of `aws configservice get-resource-config-history`
//! (`configurationItems`, API shape), `batch-get-resource-config` (`baseConfigurationItems`), or
//! a bare list of items.
//!
//! The reading thread only finds where each item begins and ends ([`framing`]); items are parsed
//! and reduced to facts in batches on worker threads, one per core, and handed to the sink in
//! the order they were read. A snapshot of hundreds of thousands of buckets and pipelines is
//! mostly policy and pipeline judging, which this spreads over the cores.

mod framing;

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read};
use std::num::NonZeroUsize;
use std::sync::mpsc;
use std::thread;

use flate2::read::MultiGzDecoder;
use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::facts::{ConfigurationItem, ItemError, ResourceFacts, Subject};

use super::Inventory;
use framing::{FrameError, Framer, Position};

/// What was read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SnapshotStats {
    /// Configuration items in the file.
    pub items: u64,
    /// Items of the three types artifact-guard assesses.
    pub relevant: u64,
}

/// Why a snapshot could not be read. Messages name the item and the field.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The bytes could not be read (I/O, or a corrupt gzip stream).
    #[error("cannot read the file: {0}")]
    Io(#[from] io::Error),
    /// Not JSON, or JSON of the wrong shape.
    #[error("{message}{} (line {line}, column {column})", at(path))]
    Syntax {
        /// JSON path, e.g. `configurationItems[3].resourceId`.
        path: String,
        /// serde's message.
        message: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The resources could not be kept (the working file of a large assessment).
    #[error("{0}")]
    Sink(io::Error),
    /// An item without the identity every configuration item has.
    #[error("configurationItems[{index}] ({resource}): {source}")]
    Item {
        /// 0-based position in the list.
        index: u64,
        /// `TYPE ID`, as far as known.
        resource: String,
        /// The field and the problem.
        source: ItemError,
    },
}

/// ` at PATH`, or nothing for the document as a whole.
fn at(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" at {path}")
    }
}

/// Where the resources of a snapshot go, one at a time.
pub trait Sink {
    /// Takes one resource; an error stops the reading.
    fn accept(&mut self, subject: Subject, facts: ResourceFacts) -> io::Result<()>;
}

impl Sink for Inventory {
    fn accept(&mut self, subject: Subject, facts: ResourceFacts) -> io::Result<()> {
        self.insert(subject, facts);
        Ok(())
    }
}

/// Reads a snapshot from `reader` (gzip is detected by its magic bytes) into `sink`.
pub fn load(reader: impl Read, sink: &mut impl Sink) -> Result<SnapshotStats, SnapshotError> {
    let mut buffered = BufReader::with_capacity(64 * 1024, reader);
    let gzip = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    if gzip {
        read(Framer::new(MultiGzDecoder::new(buffered)), sink)
    } else {
        read(Framer::new(buffered), sink)
    }
}

/// The keys of the items list: a snapshot's and history's, and `batch-get-resource-config`'s.
const ITEM_LISTS: [&str; 2] = ["configurationItems", "baseConfigurationItems"];

fn read<R: Read, S: Sink + ?Sized>(
    mut framer: Framer<R>,
    sink: &mut S,
) -> Result<SnapshotStats, SnapshotError> {
    thread::scope(|scope| {
        let mut pool = Pool::start(scope, sink);
        let walked = walk(&mut framer, &mut pool);
        // An item before the place where the walk stopped may have failed: it comes first.
        let finished = pool.finish();
        match (walked, finished) {
            (_, Err(item)) => Err(item),
            (Err(structure), Ok(_)) => Err(structure),
            (Ok(()), Ok(stats)) => Ok(stats),
        }
    })
}

/// Follows the snapshot's structure and hands each item to the pool.
fn walk<R: Read, S: Sink + ?Sized>(
    framer: &mut Framer<R>,
    pool: &mut Pool<'_, '_, S>,
) -> Result<(), SnapshotError> {
    match framer.peek()? {
        Some(b'[') => items(framer, pool, "")?,
        Some(b'{') => {
            framer.bump();
            let mut found = false;
            if framer.peek()? == Some(b'}') {
                framer.bump();
            } else {
                loop {
                    let key = key(framer)?;
                    match ITEM_LISTS.iter().find(|k| **k == key) {
                        Some(list) if framer.peek()? == Some(b'[') => {
                            items(framer, pool, list)?;
                            found = true;
                        }
                        Some(list) => {
                            let position = framer.position();
                            return Err(syntax(
                                *list,
                                "expected a list of configuration items",
                                position,
                            ));
                        }
                        None => {
                            let (bytes, position) = framer.value().map_err(framing_error(&key))?;
                            serde_json::from_slice::<IgnoredAny>(bytes)
                                .map_err(|e| json_error(key.clone(), &e, position))?;
                        }
                    }
                    match framer.peek()? {
                        Some(b',') => framer.bump(),
                        Some(b'}') => {
                            framer.bump();
                            break;
                        }
                        Some(_) => {
                            let position = framer.position();
                            return Err(syntax(
                                "",
                                "expected `,` or `}` after an object member",
                                position,
                            ));
                        }
                        None => {
                            let position = framer.position();
                            return Err(syntax("", "EOF while parsing an object", position));
                        }
                    }
                }
            }
            if !found {
                return Err(syntax(
                    "",
                    "no configurationItems list: expected an AWS Config snapshot or configuration history",
                    framer.position(),
                ));
            }
        }
        Some(_) => return Err(syntax(
            "",
            "expected a Config snapshot object with a configurationItems list, or a list of items",
            framer.position(),
        )),
        None => return Err(syntax("", "EOF while parsing a value", framer.position())),
    }
    match framer.peek()? {
        None => Ok(()),
        Some(_) => Err(syntax("", "trailing characters", framer.position())),
    }
}

/// An object key and the colon after it.
fn key<R: Read>(framer: &mut Framer<R>) -> Result<String, SnapshotError> {
    if framer.peek()? != Some(b'"') {
        return Err(syntax("", "key must be a string", framer.position()));
    }
    let (bytes, position) = framer.value().map_err(framing_error(""))?;
    let key: String =
        serde_json::from_slice(bytes).map_err(|e| json_error(String::new(), &e, position))?;
    if framer.peek()? != Some(b':') {
        return Err(syntax(key, "expected `:`", framer.position()));
    }
    framer.bump();
    framer.peek()?;
    Ok(key)
}

/// The items of a list (the `[` is next), each to the pool.
fn items<R: Read, S: Sink + ?Sized>(
    framer: &mut Framer<R>,
    pool: &mut Pool<'_, '_, S>,
    list: &'static str,
) -> Result<(), SnapshotError> {
    framer.bump();
    if framer.peek()? == Some(b']') {
        framer.bump();
        return Ok(());
    }
    loop {
        if framer.peek()?.is_none() {
            return Err(syntax(list, "EOF while parsing a list", framer.position()));
        }
        let (bytes, position) = framer.value().map_err(framing_error(list))?;
        pool.submit(bytes, position, list)?;
        match framer.peek()? {
            Some(b',') => {
                framer.bump();
                if framer.peek()? == Some(b']') {
                    return Err(syntax(list, "trailing comma", framer.position()));
                }
            }
            Some(b']') => {
                framer.bump();
                return Ok(());
            }
            Some(_) => {
                return Err(syntax(
                    list,
                    "expected `,` or `]` after a list element",
                    framer.position(),
                ))
            }
            None => return Err(syntax(list, "EOF while parsing a list", framer.position())),
        }
    }
}

fn syntax(path: impl Into<String>, message: &str, position: Position) -> SnapshotError {
    SnapshotError::Syntax {
        path: path.into(),
        message: message.into(),
        line: position.line,
        column: position.column,
    }
}

fn framing_error(path: &str) -> impl FnOnce(FrameError) -> SnapshotError + '_ {
    move |e| match e {
        FrameError::Io(e) => SnapshotError::Io(e),
        FrameError::Eof(message, position) => syntax(path, message, position),
    }
}

/// A serde_json error in a value that starts at `start`, placed in the whole file.
fn json_error(path: String, e: &serde_json::Error, start: Position) -> SnapshotError {
    let (line, column) = if e.line() <= 1 {
        (start.line, start.column + e.column().saturating_sub(1))
    } else {
        (start.line + e.line() - 1, e.column())
    };
    SnapshotError::Syntax {
        path,
        message: strip_position(&e.to_string()),
        line,
        column,
    }
}

/// serde_json appends " at line L column C"; the error prints its own position.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Items of one batch: their bytes end to end, and where each ends.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    items: Vec<Framed>,
}

struct Framed {
    end: usize,
    index: u64,
    position: Position,
    list: &'static str,
}

/// What became of one item.
enum Parsed {
    /// A resource type artifact-guard does not assess.
    Skipped,
    Resource(Subject, ResourceFacts),
    Failed(SnapshotError),
}

/// About half a megabyte of items per batch: a few hundred items, enough to make the hand-over
/// cheap, few enough to keep every core busy on a small snapshot.
const BATCH_BYTES: usize = 512 * 1024;

/// Worker threads that parse batches, and the sink that takes their resources in order.
struct Pool<'scope, 's, S: ?Sized> {
    to_workers: Vec<mpsc::Sender<Batch>>,
    from_workers: Vec<mpsc::Receiver<Vec<Parsed>>>,
    _scope: std::marker::PhantomData<&'scope ()>,
    /// Workers holding a batch, oldest first.
    in_flight: VecDeque<usize>,
    next_worker: usize,
    batch: Batch,
    next_index: u64,
    sink: &'s mut S,
    stats: SnapshotStats,
}

impl<'scope, 's, S: Sink + ?Sized> Pool<'scope, 's, S> {
    fn start<'env>(scope: &'scope thread::Scope<'scope, 'env>, sink: &'s mut S) -> Self {
        let workers = thread::available_parallelism()
            .map_or(1, NonZeroUsize::get)
            .clamp(1, 8);
        let (mut to_workers, mut from_workers) = (Vec::new(), Vec::new());
        for _ in 0..workers {
            let (to_worker, batches) = mpsc::channel::<Batch>();
            let (results, from_worker) = mpsc::channel();
            scope.spawn(move || {
                for batch in batches {
                    if results.send(parse_batch(&batch)).is_err() {
                        break;
                    }
                }
            });
            to_workers.push(to_worker);
            from_workers.push(from_worker);
        }
        Self {
            to_workers,
            from_workers,
            _scope: std::marker::PhantomData,
            in_flight: VecDeque::new(),
            next_worker: 0,
            batch: Batch::default(),
            next_index: 0,
            sink,
            stats: SnapshotStats::default(),
        }
    }

    fn submit(
        &mut self,
        bytes: &[u8],
        position: Position,
        list: &'static str,
    ) -> Result<(), SnapshotError> {
        self.batch.bytes.extend_from_slice(bytes);
        self.batch.items.push(Framed {
            end: self.batch.bytes.len(),
            index: self.next_index,
            position,
            list,
        });
        self.next_index += 1;
        if self.batch.bytes.len() >= BATCH_BYTES {
            self.dispatch()?;
        }
        Ok(())
    }

    fn dispatch(&mut self) -> Result<(), SnapshotError> {
        let batch = std::mem::take(&mut self.batch);
        let worker = self.next_worker;
        self.next_worker = (worker + 1) % self.to_workers.len();
        self.to_workers[worker].send(batch).map_err(|_| stopped())?;
        self.in_flight.push_back(worker);
        // Two batches a worker: enough to keep them busy, and memory bounded.
        while self.in_flight.len() > 2 * self.to_workers.len() {
            self.collect()?;
        }
        Ok(())
    }

    /// Hands the oldest batch's resources to the sink.
    fn collect(&mut self) -> Result<(), SnapshotError> {
        let Some(worker) = self.in_flight.pop_front() else {
            return Ok(());
        };
        let results = self.from_workers[worker].recv().map_err(|_| stopped())?;
        for parsed in results {
            self.stats.items += 1;
            match parsed {
                Parsed::Skipped => {}
                Parsed::Resource(subject, facts) => {
                    self.stats.relevant += 1;
                    self.sink
                        .accept(subject, facts)
                        .map_err(SnapshotError::Sink)?;
                }
                Parsed::Failed(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Waits for every batch, in order; the first failure in reading order is the answer.
    fn finish(mut self) -> Result<SnapshotStats, SnapshotError> {
        if !self.batch.items.is_empty() {
            self.dispatch()?;
        }
        while !self.in_flight.is_empty() {
            self.collect()?;
        }
        Ok(self.stats)
    }
}

/// A worker thread ended without an answer: only a panic does that.
fn stopped() -> SnapshotError {
    SnapshotError::Io(io::Error::other(
        "a snapshot-reading thread stopped unexpectedly",
    ))
}

fn parse_batch(batch: &Batch) -> Vec<Parsed> {
    let mut start = 0;
    let mut out = Vec::with_capacity(batch.items.len());
    for framed in &batch.items {
        out.push(parse_item(&batch.bytes[start..framed.end], framed));
        start = framed.end;
    }
    out
}

fn parse_item(bytes: &[u8], framed: &Framed) -> Parsed {
    let place = || format!("{}[{}]", framed.list, framed.index);
    let item = match serde_json::from_slice::<ConfigurationItem>(bytes) {
        Ok(item) => item,
        // Again, tracking the path, for the message (only on failure: tracking costs).
        Err(_) => {
            let mut track = serde_path_to_error::Track::new();
            let mut json = serde_json::Deserializer::from_slice(bytes);
            let deserializer = serde_path_to_error::Deserializer::new(&mut json, &mut track);
            let Err(e) = ConfigurationItem::deserialize(deserializer).and_then(|_| json.end())
            else {
                return Parsed::Failed(SnapshotError::Io(io::Error::other(
                    "an item was read differently twice",
                )));
            };
            let inner = track.path().to_string();
            let path = if inner == "." {
                place()
            } else {
                format!("{}.{inner}", place())
            };
            return Parsed::Failed(json_error(path, &e, framed.position));
        }
    };
    match item.facts() {
        Ok(Some((subject, facts))) => Parsed::Resource(subject, facts),
        Ok(None) => Parsed::Skipped,
        Err(source) => Parsed::Failed(SnapshotError::Item {
            index: framed.index,
            resource: format!(
                "{} {}",
                item.resource_type.as_deref().unwrap_or("?"),
                item.resource_id.as_deref().unwrap_or("?")
            ),
            source,
        }),
    }
}

#[cfg(test)]
mod tests;
