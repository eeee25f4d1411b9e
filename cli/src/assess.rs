//! `artifact-guard assess`: snapshot in, one evaluation per bucket, key and pipeline out.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use artifact_guard::assess::snapshot;
use artifact_guard::{Assessor, Compliance, Inventory, RuleParameters, ScopeIndex};

use crate::report::{JsonReport, Report, TableReport};
use crate::{Format, UsageError};

/// How the run ended.
pub struct Outcome {
    pub non_compliant: u64,
}

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

    let scope = ScopeIndex::from_inventory(&inventory);
    let assessor = Assessor::new(&params, &inventory, &scope);
    let stdout = io::stdout().lock();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout);
    let mut report: Box<dyn Report> = match format {
        Format::Json => Box::new(JsonReport::default()),
        Format::Table => Box::new(TableReport::new(&inventory)),
    };
    let mut non_compliant = 0;
    let written = (|| -> io::Result<()> {
        report.begin(&mut out)?;
        for evaluation in assessor.assess_all() {
            if evaluation.compliance_type == Compliance::NonCompliant {
                non_compliant += 1;
            }
            report.row(&mut out, &evaluation)?;
        }
        report.end(&mut out)?;
        out.flush()
    })();
    match written {
        // A closed pipe (`| head`) is the reader's choice, not a failure of the assessment.
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(UsageError(format!("cannot write the report: {e}")))
        }
        _ => Ok(Outcome { non_compliant }),
    }
}

fn read_parameters(parameters: Option<&str>) -> Result<RuleParameters, UsageError> {
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
