//! One resource's result, shaped like an AWS Config `Evaluation` plus score and findings.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;

use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

use crate::controls::{Finding, Status};
use crate::facts::Subject;

/// AWS Config's limit on an annotation, in characters.
pub const ANNOTATION_LIMIT: usize = 256;

/// Config's compliance types (Config does not accept INSUFFICIENT_DATA from a custom rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Compliance {
    /// Every required control passes.
    Compliant,
    /// A required control fails or cannot be decided.
    NonCompliant,
    /// Out of scope, exempt, or deleted.
    NotApplicable,
}

impl Compliance {
    /// `COMPLIANT`, `NON_COMPLIANT`, `NOT_APPLICABLE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compliant => "COMPLIANT",
            Self::NonCompliant => "NON_COMPLIANT",
            Self::NotApplicable => "NOT_APPLICABLE",
        }
    }
}

/// One resource's evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Evaluation {
    /// e.g. `AWS::S3::Bucket`.
    pub compliance_resource_type: Cow<'static, str>,
    /// Bucket name, key id or pipeline name.
    pub compliance_resource_id: Arc<str>,
    /// The verdict.
    pub compliance_type: Compliance,
    /// At most [`ANNOTATION_LIMIT`] characters; failing required controls first.
    pub annotation: String,
    /// When the facts were captured (RFC 3339), if known.
    pub ordering_timestamp: Option<Arc<str>>,
    /// 0–100; `None` when not applicable.
    pub score: Option<u8>,
    /// Every control's finding (empty when not applicable).
    pub findings: Vec<Finding>,
    /// The account the resource is in, where known (a snapshot or sweep of many accounts
    /// reports each resource in its own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Arc<str>>,
    /// The resource's region, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Arc<str>>,
}

impl Serialize for Finding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Finding", 4)?;
        st.serialize_field("Control", self.control.as_str())?;
        st.serialize_field("Status", self.status.as_str())?;
        st.serialize_field("Required", &self.required)?;
        st.serialize_field("Detail", &*self.detail)?;
        st.end()
    }
}

impl Evaluation {
    pub(crate) fn not_applicable(subject: &Subject, reason: String) -> Self {
        Self {
            compliance_resource_type: Cow::Borrowed(subject.kind.config_type()),
            compliance_resource_id: subject.id.clone(),
            compliance_type: Compliance::NotApplicable,
            annotation: truncate(reason),
            ordering_timestamp: subject.captured_at.clone(),
            score: None,
            findings: Vec::new(),
            account_id: subject.account_id.clone(),
            region: subject.region.clone(),
        }
    }

    /// NOT_APPLICABLE for any resource type and id (for example one that left the rule's
    /// scope, or one artifact-guard does not assess).
    pub fn not_applicable_for(
        resource_type: &str,
        resource_id: &str,
        captured_at: Option<&str>,
        reason: String,
    ) -> Self {
        Self {
            compliance_resource_type: Cow::Owned(resource_type.to_owned()),
            compliance_resource_id: resource_id.into(),
            compliance_type: Compliance::NotApplicable,
            annotation: truncate(reason),
            ordering_timestamp: captured_at.map(Arc::from),
            score: None,
            findings: Vec::new(),
            account_id: None,
            region: None,
        }
    }

    /// NON_COMPLIANT for a resource whose facts could not be read at all: a Config rule never
    /// reports what it could not read as compliant.
    pub fn unreadable(
        resource_type: &str,
        resource_id: &str,
        captured_at: Option<&str>,
        reason: String,
    ) -> Self {
        Self {
            compliance_type: Compliance::NonCompliant,
            score: Some(0),
            ..Self::not_applicable_for(resource_type, resource_id, captured_at, reason)
        }
    }

    pub(crate) fn from_findings(subject: &Subject, findings: Vec<Finding>) -> Self {
        let blocking =
            |f: &&Finding| f.required && matches!(f.status, Status::Fail | Status::Unknown);
        let compliance = if findings.iter().any(|f| blocking(&f)) {
            Compliance::NonCompliant
        } else {
            Compliance::Compliant
        };
        let applicable = findings
            .iter()
            .filter(|f| f.status != Status::NotApplicable)
            .count();
        let passed = findings.iter().filter(|f| f.status == Status::Pass).count();
        let score = (passed * 100).checked_div(applicable).unwrap_or(100);
        let score = u8::try_from(score).unwrap_or(100);
        Self {
            compliance_resource_type: Cow::Borrowed(subject.kind.config_type()),
            compliance_resource_id: subject.id.clone(),
            compliance_type: compliance,
            annotation: annotation(&findings, compliance, score),
            ordering_timestamp: subject.captured_at.clone(),
            score: Some(score),
            findings,
            account_id: subject.account_id.clone(),
            region: subject.region.clone(),
        }
    }

    /// Ids of the failing (FAIL or UNKNOWN) controls, required first.
    pub fn failing_controls(&self) -> impl Iterator<Item = &Finding> {
        let failing = |required: bool| {
            self.findings.iter().filter(move |f| {
                f.required == required && matches!(f.status, Status::Fail | Status::Unknown)
            })
        };
        failing(true).chain(failing(false))
    }
}

fn annotation(findings: &[Finding], compliance: Compliance, score: u8) -> String {
    // Built by appending pieces: one annotation per resource, so no `format!` temporaries.
    let failing = || {
        findings
            .iter()
            .filter(|f| matches!(f.status, Status::Fail | Status::Unknown))
    };
    let mut text = String::with_capacity(ANNOTATION_LIMIT + 64);
    if compliance == Compliance::Compliant {
        let _ = write!(text, "score {score}");
        if !failing().any(|f| !f.required) {
            text.push_str("; every control passes");
        }
    } else {
        for f in failing().filter(|f| f.required) {
            if !text.is_empty() {
                text.push_str("; ");
            }
            text.push_str(f.control.as_str());
            text.push(' ');
            text.push_str(f.status.as_str());
            text.push_str(": ");
            text.push_str(&f.detail);
        }
    }
    let mut advisory = failing().filter(|f| !f.required).peekable();
    if advisory.peek().is_some() {
        if !text.is_empty() {
            text.push_str("; ");
        }
        text.push_str("advisory failing: ");
        for (i, f) in advisory.enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            text.push_str(f.control.as_str());
        }
    }
    truncate(text)
}

/// Cuts text to [`ANNOTATION_LIMIT`] characters, ending in `…` when cut.
pub(crate) fn truncate(mut text: String) -> String {
    // No more bytes than the limit means no more characters either.
    if text.len() <= ANNOTATION_LIMIT {
        return text;
    }
    let mut starts = text.char_indices().map(|(at, _)| at);
    // Cut before the LIMIT-th character only when there is one after it.
    if let (Some(cut), Some(_)) = (starts.nth(ANNOTATION_LIMIT - 1), starts.next()) {
        text.truncate(cut);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::{truncate, ANNOTATION_LIMIT};

    #[test]
    fn truncation_counts_characters_and_cuts_only_what_is_over_the_limit() {
        let exact = "é".repeat(ANNOTATION_LIMIT);
        assert_eq!(truncate(exact.clone()), exact, "exactly the limit is kept");
        let over = "é".repeat(ANNOTATION_LIMIT + 1);
        let cut = truncate(over);
        assert_eq!(cut.chars().count(), ANNOTATION_LIMIT);
        assert!(cut.ends_with("é…"), "{cut}");
        assert_eq!(truncate("short".into()), "short");
    }
}
