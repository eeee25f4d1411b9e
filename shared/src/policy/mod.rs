//! The IAM policy model and the questions artifact-guard asks of a bucket policy.
//!
//! Parsing keeps only what IAM evaluation needs (effect, principals, actions, resources,
//! conditions) and rejects what IAM itself would reject, with the JSON path of the offending
//! field. The questions live in [`questions`]; they are answered by evaluating the policy over
//! the few classes of request context that matter, never by matching sample text or `Sid`s.

pub mod access;
mod condition;
mod coverage;
mod glob;
pub mod grant;
pub mod questions;
mod s3_actions;
mod strict_json;

use serde_json::Value;

pub(crate) use condition::Condition;
use glob::Dialect;
pub use glob::Glob;
pub use questions::{Gap, PolicyAnswers, PolicyVerdict};

/// A parsed IAM policy document.
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) statements: Vec<Statement>,
}

/// Why a policy document could not be read. The message names the JSON path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct PolicyError {
    /// Where in the document, e.g. `Statement[1].Effect`.
    pub path: String,
    /// What is wrong there and what IAM expects instead.
    pub problem: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

/// Who a statement applies to, reduced to what the questions need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Principals {
    /// `"*"` or `{"AWS": "*"}` (alone or in a list): every principal.
    Everyone,
    /// `NotPrincipal` naming principals (but not `*`): everyone except them, which includes
    /// every principal the policy does not name.
    AllBut,
    /// Named principals, `NotPrincipal: "*"`, or no principal at all: not every principal.
    Some,
}

/// `Action`/`NotAction` or `Resource`/`NotResource`.
#[derive(Debug, Clone)]
pub(crate) struct NameSet {
    pub(crate) negated: bool,
    pub(crate) patterns: Vec<Glob>,
}

impl NameSet {
    /// Does the statement apply to this one name, for every request? Unknown when only a
    /// pattern with a policy variable decides it.
    pub(crate) fn applies_to(&self, name: &str) -> condition::Truth {
        use condition::Truth;
        let certain = self.patterns.iter().any(|g| g.certainly_matches(name));
        let possible = certain || self.patterns.iter().any(|g| g.matches(name));
        match (certain, possible, self.negated) {
            (true, _, false) => Truth::True,
            (true, _, true) => Truth::False,
            (false, true, _) => Truth::Unknown,
            (false, false, negated) => {
                if negated {
                    Truth::True
                } else {
                    Truth::False
                }
            }
        }
    }

    /// Does the statement apply to this resource? When the resource is not known (`None`),
    /// only a `Resource` that covers every name (`*`) certainly does.
    pub(crate) fn applies_to_resource(&self, resource: Option<&str>) -> condition::Truth {
        match resource {
            Some(arn) => self.applies_to(arn),
            None if !self.negated && self.patterns.iter().any(|g| g.covers_every_name_with("")) => {
                condition::Truth::True
            }
            None => condition::Truth::Unknown,
        }
    }

    /// The first policy variable among the patterns, for a finding.
    pub(crate) fn variable(&self) -> Option<&str> {
        self.patterns.iter().find_map(Glob::variable)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub(crate) effect: Effect,
    pub(crate) principals: Principals,
    /// The `AWS` principals named in `Principal` (or, with [`Principals::AllBut`], in
    /// `NotPrincipal`): ARNs and account ids, as written.
    pub(crate) named: Vec<Box<str>>,
    pub(crate) actions: NameSet,
    pub(crate) resources: NameSet,
    pub(crate) conditions: Vec<Condition>,
}

impl Policy {
    /// Parses a policy from its JSON text (as stored in `policyText`). A key that appears twice
    /// in one object anywhere is an error naming it (which one AWS keeps is not documented).
    pub fn from_json_text(text: &str) -> Result<Self, PolicyError> {
        let value: Value = strict_json::parse(text).map_err(|e| PolicyError {
            path: "policy".into(),
            problem: if e.is_data() {
                e.to_string()
            } else {
                format!("not valid JSON ({e}); store the bucket policy as a JSON document")
            },
        })?;
        Self::from_value(&value)
    }

    /// Parses a policy from a JSON value (duplicate keys, if the text had any, are already
    /// gone: prefer [`Policy::from_json_text`]).
    pub fn from_value(value: &Value) -> Result<Self, PolicyError> {
        let doc = value
            .as_object()
            .ok_or_else(|| err("policy", "must be a JSON object with a Statement"))?;
        // IAM JSON policy elements: Version. Policy variables exist only in 2012-10-17; in
        // 2008-10-17, or with no Version, `${…}` is literal text.
        let dialect = match doc.get("Version") {
            None => Dialect::Literal,
            Some(Value::String(v)) if v == "2012-10-17" => Dialect::Variables,
            Some(Value::String(v)) if v == "2008-10-17" => Dialect::Literal,
            Some(_) => return Err(err("Version", "must be \"2012-10-17\" or \"2008-10-17\"")),
        };
        let statements = match doc.get("Statement") {
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, s)| parse_statement(s, &format!("Statement[{i}]"), dialect))
                .collect::<Result<_, _>>()?,
            Some(single @ Value::Object(_)) => {
                vec![parse_statement(single, "Statement", dialect)?]
            }
            Some(_) => return Err(err("Statement", "must be an object or a list of objects")),
            None => return Err(err("Statement", "is missing")),
        };
        Ok(Self { statements })
    }

    /// Number of statements (for diagnostics and tests).
    pub fn len(&self) -> usize {
        self.statements.len()
    }

    /// True when the policy has no statements.
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }
}

fn err(path: &str, problem: &str) -> PolicyError {
    PolicyError {
        path: path.to_owned(),
        problem: problem.to_owned(),
    }
}

fn parse_statement(value: &Value, path: &str, dialect: Dialect) -> Result<Statement, PolicyError> {
    let obj = value
        .as_object()
        .ok_or_else(|| err(path, "must be an object"))?;
    let effect = match obj.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => {
            return Err(err(
                &format!("{path}.Effect"),
                "must be \"Allow\" or \"Deny\"",
            ))
        }
    };
    let (principals, named) = match (obj.get("Principal"), obj.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err(err(path, "has both Principal and NotPrincipal; keep one"))
        }
        (Some(p), None) => (
            parse_principal(p, &format!("{path}.Principal"))?,
            aws_principals(p),
        ),
        // NotPrincipal exempts someone: everyone else, unless it exempts everyone.
        (None, Some(p)) => match parse_principal(p, &format!("{path}.NotPrincipal"))? {
            Principals::Everyone => (Principals::Some, Vec::new()),
            _ => (Principals::AllBut, aws_principals(p)),
        },
        // A statement without a principal (identity policy style) does not apply to anyone
        // through a resource policy.
        (None, None) => (Principals::Some, Vec::new()),
    };
    let actions = parse_name_set(obj, path, ("Action", "NotAction"), true, dialect)?;
    let resources = parse_name_set(obj, path, ("Resource", "NotResource"), false, dialect)?;
    let conditions = match obj.get("Condition") {
        None => Vec::new(),
        Some(c) => condition::parse_block(c, &format!("{path}.Condition"), dialect)?,
    };
    Ok(Statement {
        effect,
        principals,
        named,
        actions,
        resources,
        conditions,
    })
}

fn parse_principal(value: &Value, path: &str) -> Result<Principals, PolicyError> {
    let is_star = |v: &Value| match v {
        Value::String(s) => s == "*",
        Value::Array(items) => items.iter().any(|i| i.as_str() == Some("*")),
        _ => false,
    };
    match value {
        Value::String(s) if s == "*" => Ok(Principals::Everyone),
        Value::String(_) => Err(err(path, "must be \"*\" or an object such as {\"AWS\": …}")),
        Value::Object(map) => Ok(if map.get("AWS").is_some_and(is_star) {
            Principals::Everyone
        } else {
            Principals::Some
        }),
        _ => Err(err(path, "must be \"*\" or an object such as {\"AWS\": …}")),
    }
}

/// The `AWS` principals of a `Principal` or `NotPrincipal` element, other than `*`.
fn aws_principals(value: &Value) -> Vec<Box<str>> {
    let names = match value.get("AWS") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    names
        .into_iter()
        .filter(|n| *n != "*")
        .map(|n| n.trim().into())
        .collect()
}

fn parse_name_set(
    obj: &serde_json::Map<String, Value>,
    path: &str,
    (positive, negative): (&str, &str),
    case_insensitive: bool,
    dialect: Dialect,
) -> Result<NameSet, PolicyError> {
    let compile = |pattern: &str| Glob::parse(pattern, case_insensitive, dialect);
    let (negated, key, value) = match (obj.get(positive), obj.get(negative)) {
        (Some(v), None) => (false, positive, v),
        (None, Some(v)) => (true, negative, v),
        (Some(_), Some(_)) => {
            return Err(err(
                path,
                &format!("has both {positive} and {negative}; keep one"),
            ))
        }
        (None, None) => return Err(err(path, &format!("needs {positive} or {negative}"))),
    };
    let field = format!("{path}.{key}");
    let patterns = match value {
        Value::String(s) => vec![compile(s)],
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(compile)
                    .ok_or_else(|| err(&field, "must hold only strings"))
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(err(&field, "must be a string or a list of strings")),
    };
    Ok(NameSet { negated, patterns })
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod oracle;

#[cfg(test)]
mod differential;
