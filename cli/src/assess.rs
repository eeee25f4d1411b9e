//! `artifact-guard assess`: snapshots in, one evaluation per bucket, key and pipeline out.
//!
//! Every `--snapshot` is a file, `-` (standard input) or a directory read recursively, as AWS
//! Config delivers an organization's snapshots: one per account and region under
//! `AWSLogs/<account>/Config/<region>/…/ConfigSnapshot/`. All of them go into one working file
//! (see `artifact_guard::assess::Spill`: memory holds what resources refer to, not every
//! resource), in which each resource keeps its account and region and is judged within them.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use artifact_guard::assess::{snapshot, Spill};
use artifact_guard::RuleParameters;

use crate::report::{Outcome, Resources};
use crate::{Format, UsageError};

pub fn run(
    paths: &[PathBuf],
    parameters: Option<&str>,
    format: Format,
) -> Result<Outcome, UsageError> {
    let params = read_parameters(parameters)?;
    let mut spill = Spill::new().map_err(|e| UsageError(e.to_string()))?;
    for path in paths {
        if path.as_os_str() == "-" {
            snapshot::load(io::stdin().lock(), &mut spill)
                .map_err(|e| UsageError(format!("-: {e}")))?;
            continue;
        }
        for file in snapshot_files(path)? {
            let name = file.display();
            let reader =
                File::open(&file).map_err(|e| UsageError(format!("{name}: cannot open: {e}")))?;
            snapshot::load(reader, &mut spill).map_err(|e| UsageError(format!("{name}: {e}")))?;
        }
    }
    let mut spilled = spill
        .finish()
        .map_err(|e| UsageError(format!("cannot read back the working file: {e}")))?;
    crate::report::write(Resources::Spilled(&mut spilled), &[], &params, format)
}

/// `path` itself, or every snapshot file under the directory `path` in name order.
fn snapshot_files(path: &Path) -> Result<Vec<PathBuf>, UsageError> {
    let metadata = std::fs::metadata(path)
        .map_err(|e| UsageError(format!("{}: cannot open: {e}", path.display())))?;
    if !metadata.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    collect(path, &mut files)?;
    if files.is_empty() {
        return Err(UsageError(format!(
            "{}: no snapshot files (*.json, *.json.gz) in this directory or below it",
            path.display()
        )));
    }
    Ok(files)
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), UsageError> {
    let unreadable = |e: io::Error| UsageError(format!("{}: cannot read: {e}", dir.display()));
    let mut entries = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(unreadable)?;
    entries.sort();
    for path in entries {
        // symlink_metadata: a link to a directory is not followed, so a loop cannot recurse.
        let kind = std::fs::symlink_metadata(&path)
            .map_err(|e| UsageError(format!("{}: cannot read: {e}", path.display())))?
            .file_type();
        if kind.is_dir() {
            collect(&path, files)?;
        } else if is_snapshot_name(&path) {
            files.push(path);
        }
    }
    Ok(())
}

/// `*.json` and `*.json.gz`, but not the empty object Config writes to check that it may write
/// to the bucket (`ConfigWritabilityCheckFile`).
fn is_snapshot_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    (name.ends_with(".json") || name.ends_with(".json.gz"))
        && !name.contains("configwritabilitycheckfile")
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
