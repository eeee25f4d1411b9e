//! Reporters: the same evaluations as a table for people or JSON for machines. Both stream,
//! one resource at a time.

use std::io::{self, Write};

use artifact_guard::assess::{SpillError, Spilled};
use artifact_guard::{Assessor, Compliance, Evaluation, Inventory, RuleParameters, ScopeIndex};

use crate::{Format, UsageError};

/// How the run ended.
pub struct Outcome {
    pub non_compliant: u64,
    /// Accounts or regions that could not be read (`scan` across accounts).
    pub not_scanned: usize,
}

/// An account and region that could not be read, and why. Reported, never skipped silently.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NotScanned {
    pub account_id: String,
    pub region: String,
    pub reason: String,
}

/// The resources to report on.
pub enum Resources<'a> {
    /// Inventories in memory: one per account and region of a scan.
    Inventories(&'a [Inventory]),
    /// Snapshots' resources in a working file (`assess`).
    Spilled(&'a mut Spilled),
}

/// Assesses every resource and writes one report to standard output.
pub fn write(
    resources: Resources<'_>,
    not_scanned: &[NotScanned],
    params: &RuleParameters,
    format: Format,
) -> Result<Outcome, UsageError> {
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    let mut report: Box<dyn Report> = match format {
        Format::Json => Box::new(JsonReport::default()),
        Format::Table => Box::new(TableReport::new(TableLayout::of(&resources))),
        Format::Html => Box::new(crate::html::HtmlReport::default()),
    };
    let mut non_compliant = 0;
    let written = (|| -> Result<(), SpillError> {
        report.begin(&mut out).map_err(SpillError::Caller)?;
        let mut row = |evaluation: &Evaluation| {
            if evaluation.compliance_type == Compliance::NonCompliant {
                non_compliant += 1;
            }
            report.row(&mut out, evaluation)
        };
        match resources {
            Resources::Inventories(parts) => {
                for inventory in parts {
                    let scope = ScopeIndex::from_inventory(inventory);
                    for evaluation in Assessor::new(params, inventory, &scope).assess_all() {
                        row(&evaluation).map_err(SpillError::Caller)?;
                    }
                }
            }
            Resources::Spilled(spilled) => spilled.assess_each(params, row)?,
        }
        report
            .end(&mut out, not_scanned)
            .and_then(|()| out.flush())
            .map_err(SpillError::Caller)
    })();
    match written {
        // A closed pipe (`| head`) is the reader's choice, not a failure of the assessment.
        Err(SpillError::Caller(e)) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(UsageError(format!("cannot write the report: {e}")))
        }
        Err(e @ SpillError::Working(_)) => Err(UsageError(e.to_string())),
        _ => Ok(Outcome {
            non_compliant,
            not_scanned: not_scanned.len(),
        }),
    }
}

pub trait Report {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()>;
    fn row(&mut self, out: &mut dyn Write, evaluation: &Evaluation) -> io::Result<()>;
    fn end(&mut self, out: &mut dyn Write, not_scanned: &[NotScanned]) -> io::Result<()>;
}

/// `{"evaluations": [` one compact object per line `]}`.
#[derive(Default)]
pub struct JsonReport {
    rows: u64,
}

impl Report for JsonReport {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(b"{\"evaluations\": [")
    }

    fn row(&mut self, out: &mut dyn Write, evaluation: &Evaluation) -> io::Result<()> {
        out.write_all(if self.rows == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *out, evaluation)?;
        self.rows += 1;
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, not_scanned: &[NotScanned]) -> io::Result<()> {
        out.write_all(b"\n]")?;
        // Only when something was not read: a report without the key read everything it was
        // asked to.
        if !not_scanned.is_empty() {
            out.write_all(b",\n\"notScanned\": ")?;
            serde_json::to_writer(&mut *out, not_scanned)?;
        }
        out.write_all(b"}\n")
    }
}

/// Aligned columns and a summary line.
pub struct TableReport {
    id_width: usize,
    /// An ACCOUNT column, when the resources come from more than one account.
    accounts: bool,
    counts: [u64; 3],
}

const TYPE_WIDTH: usize = "AWS::CodePipeline::Pipeline".len();
const COMPLIANCE_WIDTH: usize = "NOT_APPLICABLE".len();
const MAX_ID_WIDTH: usize = 64;
const ACCOUNT_WIDTH: usize = 12;

/// What the table's columns need to know before the first row.
pub struct TableLayout {
    /// The widest resource id, in characters.
    pub id_width: usize,
    /// Resources of more than one account.
    pub accounts: bool,
}

impl TableLayout {
    fn of(resources: &Resources<'_>) -> Self {
        match resources {
            Resources::Inventories(parts) => {
                let entries = || parts.iter().flat_map(|inventory| inventory.entries());
                let mut accounts = entries().map(|e| e.subject.account_id.as_deref());
                let first = accounts.next().flatten();
                Self {
                    id_width: entries()
                        .map(|e| e.subject.id.chars().count())
                        .max()
                        .unwrap_or(0),
                    accounts: accounts.any(|a| a != first),
                }
            }
            Resources::Spilled(spilled) => Self {
                id_width: spilled.layout().id_width,
                accounts: spilled.layout().many_accounts,
            },
        }
    }
}

impl TableReport {
    pub fn new(layout: TableLayout) -> Self {
        Self {
            id_width: layout.id_width.clamp("RESOURCE".len(), MAX_ID_WIDTH),
            accounts: layout.accounts,
            counts: [0; 3],
        }
    }
}

impl Report for TableReport {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.accounts {
            write!(out, "{:ACCOUNT_WIDTH$}  ", "ACCOUNT")?;
        }
        writeln!(
            out,
            "{:TYPE_WIDTH$}  {:id$}  {:COMPLIANCE_WIDTH$}  {:>5}  FAILING CONTROLS",
            "TYPE",
            "RESOURCE",
            "COMPLIANCE",
            "SCORE",
            id = self.id_width
        )
    }

    fn row(&mut self, out: &mut dyn Write, e: &Evaluation) -> io::Result<()> {
        let slot = match e.compliance_type {
            Compliance::Compliant => 0,
            Compliance::NonCompliant => 1,
            Compliance::NotApplicable => 2,
        };
        self.counts[slot] += 1;
        let score = e.score.map_or_else(|| "-".to_owned(), |s| s.to_string());
        let failing = if e.compliance_type == Compliance::NotApplicable {
            format!("({})", e.annotation)
        } else {
            let (required, advisory): (Vec<_>, Vec<_>) =
                e.failing_controls().partition(|f| f.required);
            let mut text: Vec<String> = Vec::new();
            if !required.is_empty() {
                let names: Vec<&str> = required.iter().map(|f| f.control.as_str()).collect();
                text.push(names.join(", "));
            }
            if !advisory.is_empty() {
                let names: Vec<&str> = advisory.iter().map(|f| f.control.as_str()).collect();
                text.push(format!("advisory: {}", names.join(", ")));
            }
            text.join("; ")
        };
        let id: String = if e.compliance_resource_id.chars().count() > self.id_width {
            let mut cut: String = e
                .compliance_resource_id
                .chars()
                .take(self.id_width - 1)
                .collect();
            cut.push('…');
            cut
        } else {
            e.compliance_resource_id.to_string()
        };
        let line = format!(
            "{:TYPE_WIDTH$}  {:id_w$}  {:COMPLIANCE_WIDTH$}  {:>5}  {}",
            e.compliance_resource_type,
            id,
            e.compliance_type.as_str(),
            score,
            failing,
            id_w = self.id_width
        );
        if self.accounts {
            let account = e.account_id.as_deref().unwrap_or("-");
            write!(out, "{account:ACCOUNT_WIDTH$}  ")?;
        }
        writeln!(out, "{}", line.trim_end())
    }

    fn end(&mut self, out: &mut dyn Write, not_scanned: &[NotScanned]) -> io::Result<()> {
        let [compliant, non_compliant, not_applicable] = self.counts;
        let total = compliant + non_compliant + not_applicable;
        writeln!(
            out,
            "\n{total} resources: {compliant} compliant, {non_compliant} non-compliant, {not_applicable} not applicable"
        )?;
        if !not_scanned.is_empty() {
            writeln!(out, "\nNOT SCANNED ({}):", not_scanned.len())?;
            for n in not_scanned {
                writeln!(out, "  {} {}: {}", n.account_id, n.region, n.reason)?;
            }
        }
        Ok(())
    }
}
