//! `artifact-guard assess`: snapshot in, one evaluation per bucket, key and pipeline out.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use artifact_guard::assess::snapshot;
use artifact_guard::{Inventory, RuleParameters};

use crate::report::Outcome;
use crate::{Format, UsageError};

pub fn run(path: &Path, parameters: Option<&str>, format: Format) -> Result<Outcome, UsageError> {
    let params = read_parameters(parameters)?;
    let name = path.display().to_string();
    let reader: Box<dyn Read> = if name == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(path).map_err(|e| UsageError(format!("{name}: cannot open: {e}")))?)
    };
    let mut inventory = Inventory::new();
    snapshot::load(reader, &mut inventory).map_err(|e| UsageError(format!("{name}: {e}")))?;

    crate::report::write(&inventory, &params, format)
}

pub fn read_parameters(parameters: Option<&str>) -> Result<RuleParameters, UsageError> {
    let Some(text) = parameters else {
        return Ok(RuleParameters::default());
    };
    let owned;
    let text = match text.strip_prefix('@') {
        Some(file) => {
            owned = std::fs::read_to_string(file)
                .map_err(|e| UsageError(format!("--parameters {file}: cannot read: {e}")))?;
            owned.as_str()
        }
        None => text,
    };
    RuleParameters::from_json(text).map_err(|e| UsageError(format!("--parameters: {e}")))
}
