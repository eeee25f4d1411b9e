//! `check-template --format sarif`: SARIF 2.1.0 for code-scanning tools (GitHub code scanning,
//! GitLab, Azure DevOps). One rule per control, with its title and fix; one result per control
//! that fails or cannot be decided, at the line of the resource's logical id. Required controls
//! are `error`, advisory ones `warning`; an undecided control says so in its message.

use std::io::{self, Write};

use artifact_guard::facts::ResourceKind;
use artifact_guard::template::Judged;
use artifact_guard::{ControlId, Evaluation, Status};
use serde_json::{json, Value};

/// The controls a template can be judged by (the account's are read live only).
fn rules() -> impl Iterator<Item = ControlId> {
    ControlId::ALL
        .iter()
        .copied()
        .filter(|c| c.kind() != ResourceKind::Account)
}

fn level(required: bool) -> &'static str {
    if required {
        "error"
    } else {
        "warning"
    }
}

fn rule(control: ControlId) -> Value {
    let kind = control.kind().config_type();
    json!({
        "id": control.as_str(),
        "name": control.as_str(),
        "shortDescription": {"text": control.title()},
        "fullDescription": {"text": format!("{} ({kind}).", control.title())},
        "help": {
            "text": format!("{}\nFix: {}", control.title(), control.fix()),
            "markdown": format!("**{}** ({kind})\n\n**Fix:** {}", control.title(), control.fix()),
        },
        "defaultConfiguration": {"level": level(control.required_by_default())},
        "properties": {
            "tags": ["security", "aws", "codepipeline"],
            "required": control.required_by_default(),
        },
    })
}

pub fn write(out: &mut dyn Write, located: &[(&str, Evaluation, &Judged)]) -> io::Result<()> {
    let rule_ids: Vec<ControlId> = rules().collect();
    let mut results = Vec::new();
    for (template, evaluation, judged) in located {
        for finding in &evaluation.findings {
            if !matches!(finding.status, Status::Fail | Status::Unknown) {
                continue;
            }
            let Some(index) = rule_ids.iter().position(|c| *c == finding.control) else {
                continue;
            };
            let verdict = if finding.status == Status::Unknown {
                "cannot be decided from the template"
            } else {
                "fails"
            };
            results.push(json!({
                "ruleId": finding.control.as_str(),
                "ruleIndex": index,
                "level": level(finding.required),
                "message": {"text": format!(
                    "{} {} ({}) {verdict}: {}",
                    judged.resource_type, judged.logical_id, finding.control, finding.detail
                )},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": template},
                        "region": {"startLine": judged.line},
                    },
                    "logicalLocations": [{
                        "name": &*judged.logical_id,
                        "fullyQualifiedName": format!("Resources.{}", judged.logical_id),
                        "kind": "resource",
                    }],
                }],
                "partialFingerprints": {
                    "artifactGuardResource/v1": format!("{template}/{}/{}", judged.logical_id, finding.control),
                },
                "properties": {
                    "status": finding.status.as_str(),
                    "resourceType": &*judged.resource_type,
                },
            }));
        }
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "artifact-guard",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rule_ids.iter().map(|c| rule(*c)).collect::<Vec<_>>(),
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    out.write_all(b"\n")
}
