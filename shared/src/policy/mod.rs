//! The IAM policy model and the questions artifact-guard asks of a bucket policy.
//!
//! Parsing keeps only what IAM evaluation needs (effect, principals, actions, resources,
//! conditions) and rejects what IAM itself would reject, with the JSON path of the offending
//! field. The questions live in [`questions`]; they are answered by evaluating the policy over
//! the few classes of request context that matter, never by matching sample text or `Sid`s.

mod condition;
mod glob;
pub mod questions;

use serde_json::Value;

pub(crate) use condition::Condition;
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
    /// Named principals, `NotPrincipal`, or no principal at all: not every principal.
    Some,
}

/// `Action`/`NotAction` or `Resource`/`NotResource`.
#[derive(Debug, Clone)]
pub(crate) struct NameSet {
    pub(crate) negated: bool,
    pub(crate) patterns: Vec<Glob>,
}

impl NameSet {
    /// Does the statement apply to this one name?
    pub(crate) fn applies_to(&self, name: &str) -> bool {
        self.patterns.iter().any(|g| g.matches(name)) != self.negated
    }

    /// Does the statement apply to every name that starts with `prefix`?
    pub(crate) fn applies_to_all_with_prefix(&self, prefix: &str) -> bool {
        if self.negated {
            !self.patterns.iter().any(|g| g.intersects_prefix(prefix))
        } else {
            self.patterns.iter().any(|g| g.covers_prefix(prefix))
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub(crate) effect: Effect,
    pub(crate) principals: Principals,
    pub(crate) actions: NameSet,
    pub(crate) resources: NameSet,
    pub(crate) conditions: Vec<Condition>,
}

impl Policy {
    /// Parses a policy from its JSON text (as stored in `policyText`).
    pub fn from_json_text(text: &str) -> Result<Self, PolicyError> {
        let value: Value = serde_json::from_str(text).map_err(|e| PolicyError {
            path: "policy".into(),
            problem: format!("not valid JSON ({e}); store the bucket policy as a JSON document"),
        })?;
        Self::from_value(&value)
    }

    /// Parses a policy from a JSON value.
    pub fn from_value(value: &Value) -> Result<Self, PolicyError> {
        let doc = value
            .as_object()
            .ok_or_else(|| err("policy", "must be a JSON object with a Statement"))?;
        let statements = match doc.get("Statement") {
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, s)| parse_statement(s, &format!("Statement[{i}]")))
                .collect::<Result<_, _>>()?,
            Some(single @ Value::Object(_)) => vec![parse_statement(single, "Statement")?],
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

fn parse_statement(value: &Value, path: &str) -> Result<Statement, PolicyError> {
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
    let principals = match (obj.get("Principal"), obj.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err(err(path, "has both Principal and NotPrincipal; keep one"))
        }
        (Some(p), None) => parse_principal(p, &format!("{path}.Principal"))?,
        // NotPrincipal exempts someone, and a statement without a principal (identity policy
        // style) does not apply to anyone through a bucket policy: neither is "everyone".
        _ => Principals::Some,
    };
    let actions = parse_name_set(obj, path, "Action", "NotAction", Glob::case_insensitive)?;
    let resources = parse_name_set(obj, path, "Resource", "NotResource", Glob::case_sensitive)?;
    let conditions = match obj.get("Condition") {
        None => Vec::new(),
        Some(c) => condition::parse_block(c, &format!("{path}.Condition"))?,
    };
    Ok(Statement {
        effect,
        principals,
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

fn parse_name_set(
    obj: &serde_json::Map<String, Value>,
    path: &str,
    positive: &str,
    negative: &str,
    compile: fn(&str) -> Glob,
) -> Result<NameSet, PolicyError> {
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
