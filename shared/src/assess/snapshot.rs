//! Streams an AWS Config snapshot (`{"fileVersion", "configSnapshotId", "configurationItems":
//! […]}`, plain or gzip) into an [`Inventory`], one item at a time, so that memory grows with the
//! number of buckets, keys and pipelines, not with the size of the file. The same reader takes
//! the output of `aws configservice get-resource-config-history` (`configurationItems`, API
//! shape), `batch-get-resource-config` (`baseConfigurationItems`), or a bare list of items.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read};

use flate2::read::MultiGzDecoder;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::facts::{ConfigurationItem, ItemError};

use super::Inventory;

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
    #[error("{message} at {path} (line {line}, column {column})")]
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

/// Reads a snapshot from `reader` (gzip is detected by its magic bytes) into `inventory`.
pub fn load(reader: impl Read, inventory: &mut Inventory) -> Result<SnapshotStats, SnapshotError> {
    let mut buffered = BufReader::with_capacity(BUFFER, reader);
    let gzip = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    // Two concrete reader types rather than one `Box<dyn Read>`: serde_json reads a byte at a
    // time, and a virtual call per byte was a third of the run time on a 1 GB snapshot.
    if gzip {
        load_json(
            BufReader::with_capacity(BUFFER, MultiGzDecoder::new(buffered)),
            inventory,
        )
    } else {
        load_json(buffered, inventory)
    }
}

const BUFFER: usize = 256 * 1024;

fn load_json(reader: impl Read, inventory: &mut Inventory) -> Result<SnapshotStats, SnapshotError> {
    let mut loader = Loader {
        inventory,
        stats: SnapshotStats::default(),
        failure: None,
    };
    let mut json = serde_json::Deserializer::from_reader(reader);
    let mut track = serde_path_to_error::Track::new();
    let result = Root(&mut loader)
        .deserialize(serde_path_to_error::Deserializer::new(
            &mut json, &mut track,
        ))
        .and_then(|()| json.end());
    let e = match result {
        Ok(()) => return Ok(loader.stats),
        Err(e) => e,
    };
    if let Some(failure) = loader.failure.take() {
        return Err(failure);
    }
    if e.is_io() {
        return Err(SnapshotError::Io(io::Error::new(
            io::ErrorKind::InvalidData,
            e.to_string(),
        )));
    }
    Err(SnapshotError::Syntax {
        path: track.path().to_string(),
        message: strip_position(&e.to_string()),
        line: e.line(),
        column: e.column(),
    })
}

/// serde_json appends " at line L column C"; the error prints its own position.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

struct Loader<'a> {
    inventory: &'a mut Inventory,
    stats: SnapshotStats,
    failure: Option<SnapshotError>,
}

impl Loader<'_> {
    fn accept(&mut self, item: ConfigurationItem) -> Result<(), String> {
        let index = self.stats.items;
        self.stats.items += 1;
        let resource = format!(
            "{} {}",
            item.resource_type.as_deref().unwrap_or("?"),
            item.resource_id.as_deref().unwrap_or("?")
        );
        match item.into_facts() {
            Ok(Some((subject, facts))) => {
                self.stats.relevant += 1;
                self.inventory.insert(subject, facts);
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(source) => {
                let message = source.to_string();
                self.failure = Some(SnapshotError::Item {
                    index,
                    resource,
                    source,
                });
                Err(message)
            }
        }
    }
}

struct Root<'l, 'a>(&'l mut Loader<'a>);

impl<'de> DeserializeSeed<'de> for Root<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Root<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Config snapshot object with a configurationItems list, or a list of items")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "configurationItems" || key == "baseConfigurationItems" {
                map.next_value_seed(Items(&mut *self.0))?;
                found = true;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if found {
            Ok(())
        } else {
            Err(de::Error::custom(
                "no configurationItems list: expected an AWS Config snapshot or configuration history",
            ))
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        Items(self.0).visit_seq(seq)
    }
}

struct Items<'l, 'a>(&'l mut Loader<'a>);

impl<'de> DeserializeSeed<'de> for Items<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Items<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of configuration items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<ConfigurationItem>()? {
            self.0.accept(item).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}
