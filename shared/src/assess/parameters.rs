//! Rule parameters: AWS Config `InputParameters`, a JSON object whose values are all strings.

use std::collections::{BTreeSet, HashSet};

use serde_json::{Map, Value};

use crate::controls::ControlId;
use crate::quote::{cut, quoted};

/// Which resources are assessed; the rest are NOT_APPLICABLE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Artifact buckets, their keys, and every pipeline (the default).
    #[default]
    ArtifactStores,
    /// Every bucket, key and pipeline.
    All,
}

/// The engine's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleParameters {
    /// `scope`.
    pub scope: Scope,
    /// `requiredControls`: advisory controls promoted to required.
    pub promoted: BTreeSet<ControlId>,
    /// `exemptResources`: resource ids (or names, or ARNs) reported NOT_APPLICABLE.
    pub exempt: HashSet<Box<str>>,
    /// `executionRoleName`: the role (name, with its path if any) that the rule assumes in the
    /// account an event comes from, for an organization rule; `None` reads the function's own
    /// account.
    pub execution_role_name: Option<Box<str>>,
}

/// A parameter that cannot be used. Displays as `rule parameter NAME: problem`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule parameter {parameter}: {problem}")]
pub struct ParameterError {
    /// The parameter's name, or `ruleParameters` for the document itself.
    pub parameter: String,
    /// What is wrong and what to write instead.
    pub problem: String,
}

impl RuleParameters {
    /// Reads parameters from their JSON text. Empty text or `{}` gives the defaults.
    pub fn from_json(text: &str) -> Result<Self, ParameterError> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Self::from_map(&map),
            Ok(_) => Err(problem(
                "ruleParameters",
                "must be a JSON object such as {\"scope\": \"all\"}",
            )),
            Err(e) => Err(problem(
                "ruleParameters",
                &format!("is not valid JSON ({e})"),
            )),
        }
    }

    /// Reads parameters from a JSON object. Unknown names and non-string values are errors, so
    /// that a typo never silently falls back to a default.
    pub fn from_map(map: &Map<String, Value>) -> Result<Self, ParameterError> {
        let mut params = Self::default();
        for (name, value) in map {
            let Value::String(text) = value else {
                return Err(problem(
                    name,
                    "must be a string (AWS Config passes every parameter as a string)",
                ));
            };
            match name.as_str() {
                "scope" => {
                    params.scope = match text.trim() {
                        "" | "artifact-stores" => Scope::ArtifactStores,
                        "all" => Scope::All,
                        other => {
                            return Err(problem(name, &format!("{} is not a scope; use \"artifact-stores\" or \"all\"", quoted(other))))
                        }
                    }
                }
                "requiredControls" => {
                    for id in list(text) {
                        let control = id.parse::<ControlId>().map_err(|_| {
                            let known: Vec<&str> = ControlId::ALL.iter().map(|c| c.as_str()).collect();
                            problem(name, &format!("{} is not a control id; known ids: {}", quoted(id), known.join(", ")))
                        })?;
                        params.promoted.insert(control);
                    }
                }
                "exemptResources" => params.exempt = list(text).map(Box::from).collect(),
                "executionRoleName" => {
                    let role = text.trim().trim_matches('/');
                    if !is_role_name(role) {
                        return Err(problem(name, &format!("{} is not an IAM role name (1 to 64 of A-Z a-z 0-9 + = , . @ _ -, after an optional path such as team/)", quoted(text))));
                    }
                    params.execution_role_name = (!role.is_empty()).then(|| Box::from(role));
                }
                other => {
                    return Err(problem(
                        other,
                        "is not a parameter artifact-guard knows; use scope, requiredControls, exemptResources or executionRoleName",
                    ))
                }
            }
        }
        Ok(params)
    }

    /// Whether a failure of `control` makes the resource NON_COMPLIANT.
    pub fn is_required(&self, control: ControlId) -> bool {
        control.required_by_default() || self.promoted.contains(&control)
    }
}

/// An IAM role name with an optional path (`team/deploy`): each part 1 to 64 of the characters
/// IAM allows in names; empty means "not set".
fn is_role_name(role: &str) -> bool {
    role.is_empty()
        || (role.len() <= 512
            && role.split('/').all(|part| {
                (1..=64).contains(&part.len())
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
            }))
}

fn list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn problem(parameter: &str, problem: &str) -> ParameterError {
    ParameterError {
        parameter: cut(parameter),
        problem: problem.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_values() {
        assert_eq!(
            RuleParameters::from_json("").unwrap(),
            RuleParameters::default()
        );
        assert_eq!(
            RuleParameters::from_json("{}").unwrap(),
            RuleParameters::default()
        );
        let p = RuleParameters::from_json(
            r#"{"scope":"all","requiredControls":" bucket-versioning, ,bucket-deny-old-tls","exemptResources":"a,b"}"#,
        )
        .unwrap();
        assert_eq!(p.scope, Scope::All);
        assert!(p.is_required(ControlId::BucketVersioning));
        assert!(p.is_required(ControlId::BucketDenyOldTls));
        assert!(!p.is_required(ControlId::BucketPublicAccessBlocked));
        assert!(p.is_required(ControlId::BucketSseKms));
        assert_eq!(p.exempt.len(), 2);
        assert_eq!(p.execution_role_name, None);
        for (text, role) in [
            ("artifact-guard-execution", Some("artifact-guard-execution")),
            ("/team/artifact-guard/", Some("team/artifact-guard")),
            ("", None),
        ] {
            let json = serde_json::json!({ "executionRoleName": text }).to_string();
            let p = RuleParameters::from_json(&json).unwrap();
            assert_eq!(p.execution_role_name.as_deref(), role, "{text}");
        }
    }

    #[test]
    fn bad_parameters_name_themselves() {
        let cases = [
            (r#"{"scope":"everything"}"#, "scope"),
            (
                r#"{"requiredControls":"bucket-versoning"}"#,
                "requiredControls",
            ),
            (r#"{"scope":true}"#, "scope"),
            (r#"{"Scope":"all"}"#, "Scope"),
            (r#"[1]"#, "ruleParameters"),
            (r#"{"scope":"#, "ruleParameters"),
            (
                r#"{"executionRoleName":"arn:aws:iam::1:role/x"}"#,
                "executionRoleName",
            ),
            (r#"{"executionRoleName":"a b"}"#, "executionRoleName"),
        ];
        for (text, parameter) in cases {
            let e = RuleParameters::from_json(text).unwrap_err();
            assert_eq!(e.parameter, parameter, "{e}");
        }
        let e =
            RuleParameters::from_json(r#"{"requiredControls":"bucket-versoning"}"#).unwrap_err();
        assert!(
            e.to_string().contains("bucket-versioning"),
            "lists the known ids: {e}"
        );
    }
}
