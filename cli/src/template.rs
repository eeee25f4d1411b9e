//! `artifact-guard check-template`: the verdict on a stack's stores, keys and pipelines before
//! it is deployed, from the template alone. What the template uses but does not declare (an
//! existing bucket, another stack's key) is UNKNOWN here: `scan` and the template hook read it.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use artifact_guard::template::{self, Judged};
use artifact_guard::{Compliance, Evaluation, RuleParameters};
use serde::Serialize;

use crate::report::{Outcome, Report, TableLayout, TableReport};
use crate::sarif;
use crate::UsageError;

/// `check-template`'s output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TemplateFormat {
    /// An aligned report with a summary line.
    Table,
    /// `{"evaluations": [...]}` as for `assess`, each with `Template` and `Line`.
    Json,
    /// SARIF 2.1.0, for code-scanning tools: one result per failing or unknown control.
    Sarif,
}

/// One evaluation and where its resource is written.
#[derive(Serialize)]
pub struct Located<'a> {
    #[serde(flatten)]
    pub evaluation: Evaluation,
    #[serde(rename = "Template")]
    pub template: &'a str,
    #[serde(rename = "Line")]
    pub line: u32,
}

pub fn run(
    paths: &[PathBuf],
    parameters: Option<&str>,
    format: TemplateFormat,
) -> Result<Outcome, UsageError> {
    let given = read_parameters(parameters)?;
    let rule_parameters = RuleParameters::default();
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let name = display(path);
        let text = std::fs::read_to_string(path)
            .map_err(|e| UsageError(format!("{name}: cannot read: {e}")))?;
        let mut facts =
            template::read(&text, &given).map_err(|e| UsageError(format!("{name}: {e}")))?;
        if let Some(loop_name) = facts.unexpanded.first() {
            // Never a pass for resources that were not looked at.
            return Err(UsageError(format!(
                "{name}: Resources.{loop_name}: Fn::ForEach (AWS::LanguageExtensions) makes its resources at deploy time; check the processed template instead (aws cloudformation get-template --template-stage Processed)"
            )));
        }
        facts.mark_external_unknown();
        files.push((name, facts));
    }
    let mut located = Vec::new();
    for (name, facts) in &files {
        for (evaluation, judged) in facts.evaluate(&rule_parameters) {
            located.push((name.as_str(), evaluation, judged));
        }
    }
    let non_compliant = located
        .iter()
        .filter(|(_, e, _)| e.compliance_type == Compliance::NonCompliant)
        .count() as u64;
    let mut out = io::BufWriter::new(io::stdout().lock());
    let written = match format {
        TemplateFormat::Json => json(&mut out, &located),
        TemplateFormat::Table => table(&mut out, &located),
        TemplateFormat::Sarif => sarif::write(&mut out, &located),
    };
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(UsageError(format!("cannot write the report: {e}")))
        }
        _ => Ok(Outcome {
            non_compliant,
            not_scanned: 0,
        }),
    }
}

/// A path as given, with `/` separators (SARIF and CI logs want one form).
fn display(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

fn json(out: &mut dyn Write, located: &[(&str, Evaluation, &Judged)]) -> io::Result<()> {
    out.write_all(b"{\"evaluations\": [")?;
    for (i, (template, evaluation, judged)) in located.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(
            &mut *out,
            &Located {
                evaluation: evaluation.clone(),
                template,
                line: judged.line,
            },
        )?;
    }
    out.write_all(b"\n]}\n")
}

fn table(out: &mut dyn Write, located: &[(&str, Evaluation, &Judged)]) -> io::Result<()> {
    let rows: Vec<Evaluation> = located
        .iter()
        .map(|(template, e, judged)| Evaluation {
            compliance_resource_id: format!("{} ({template}:{})", judged.logical_id, judged.line)
                .into(),
            ..e.clone()
        })
        .collect();
    let mut report = TableReport::new(TableLayout {
        id_width: rows
            .iter()
            .map(|e| e.compliance_resource_id.chars().count())
            .max()
            .unwrap_or(0),
        accounts: false,
    });
    report.begin(out)?;
    for row in &rows {
        report.row(out, row)?;
    }
    report.end(out, &[])
}

/// `KEY=VALUE[,KEY=VALUE…]`, or `@FILE`: a JSON file as `aws cloudformation` takes
/// (`[{"ParameterKey": …, "ParameterValue": …}]`), as CodePipeline's template configuration
/// (`{"Parameters": {…}}`), or a plain object of names to values.
pub fn read_parameters(parameters: Option<&str>) -> Result<Vec<(String, String)>, UsageError> {
    let Some(text) = parameters else {
        return Ok(Vec::new());
    };
    if let Some(file) = text.strip_prefix('@') {
        let body = std::fs::read_to_string(file)
            .map_err(|e| UsageError(format!("--parameters {file}: cannot read: {e}")))?;
        return parameters_file(&body).map_err(|e| UsageError(format!("--parameters {file}: {e}")));
    }
    let mut out = Vec::new();
    for pair in text.split(',').filter(|p| !p.trim().is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(UsageError(format!(
                "--parameters: {pair:?} is not KEY=VALUE (a list value is given in a file: --parameters @FILE)"
            )));
        };
        out.push((key.trim().to_owned(), value.to_owned()));
    }
    Ok(out)
}

fn parameters_file(body: &str) -> Result<Vec<(String, String)>, String> {
    use serde_json::Value;
    let doc: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => Some(
            items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(","),
        ),
        _ => None,
    };
    match &doc {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                match (item.get("ParameterKey").and_then(Value::as_str), item.get("ParameterValue").and_then(text)) {
                    (Some(k), Some(v)) => Ok((k.to_owned(), v)),
                    _ => Err(format!("item {i}: write {{\"ParameterKey\": \"Name\", \"ParameterValue\": \"value\"}}")),
                }
            })
            .collect(),
        Value::Object(map) => {
            let map = match map.get("Parameters") {
                Some(Value::Object(inner)) => inner,
                _ => map,
            };
            map.iter()
                .map(|(k, v)| {
                    text(v)
                        .map(|v| (k.clone(), v))
                        .ok_or_else(|| format!("{k}: the value is not a string, number or list"))
                })
                .collect()
        }
        _ => Err("write a list of {\"ParameterKey\", \"ParameterValue\"} or an object of names to values".into()),
    }
}
