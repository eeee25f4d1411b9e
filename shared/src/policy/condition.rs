//! IAM condition blocks, evaluated three-valued over a modelled request context.
//!
//! Only the keys artifact-guard's questions vary (`s3:x-amz-server-side-encryption`,
//! `aws:SecureTransport`, `s3:TlsVersion`) have known values. A condition on any other key, an
//! operator this module does not implement, or a policy variable is `Unknown`: the engine cannot
//! tell whether the statement applies, so a deny guarded by it never counts towards a pass.

use serde_json::Value;

use super::{err, glob::Glob, PolicyError};
use crate::quote::quoted;

/// Three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Truth {
    True,
    False,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Bool,
    Null,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    /// Any other operator (Date*, Arn*, IpAddress, Binary*…): never decided.
    Unsupported,
}

/// One `operator: {key: values}` pair of a condition block.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    operator: Operator,
    /// `StringNotEquals`, `StringNotLike`, `NumericNotEquals`…
    negated: bool,
    if_exists: bool,
    /// `ForAllValues:` — true over an empty (absent) key.
    for_all_values: bool,
    /// Lower-case: condition keys are case-insensitive.
    pub(crate) key: String,
    values: Vec<String>,
}

/// What a modelled request says about one condition key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyValue<'a> {
    Present(&'a str),
    Absent,
    /// A key the model does not vary: its value could be anything.
    Unmodelled,
}

pub(crate) fn parse_block(value: &Value, path: &str) -> Result<Vec<Condition>, PolicyError> {
    let block = value
        .as_object()
        .ok_or_else(|| err(path, "must be an object of operators"))?;
    let mut conditions = Vec::new();
    for (op_name, keys) in block {
        let op_path = format!("{path}.{op_name}");
        let keys = keys
            .as_object()
            .ok_or_else(|| err(&op_path, "must be an object of condition keys"))?;
        for (key, values) in keys {
            conditions.push(parse_one(
                op_name,
                key,
                values,
                &format!("{op_path}.{key}"),
            )?);
        }
    }
    Ok(conditions)
}

fn parse_one(
    op_name: &str,
    key: &str,
    values: &Value,
    path: &str,
) -> Result<Condition, PolicyError> {
    let (qualifier, rest) = match op_name.split_once(':') {
        Some((q, rest)) => (Some(q), rest),
        None => (None, op_name),
    };
    let for_all_values = match qualifier {
        None | Some("ForAnyValue") => false,
        Some("ForAllValues") => true,
        Some(other) => {
            return Err(err(
                path,
                &format!(
                    "unknown set operator prefix {}; use ForAnyValue or ForAllValues",
                    quoted(other)
                ),
            ))
        }
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (rest, false),
    };
    let (operator, negated) = match base {
        "StringEquals" => (Operator::StringEquals, false),
        "StringNotEquals" => (Operator::StringEquals, true),
        "StringEqualsIgnoreCase" => (Operator::StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (Operator::StringEqualsIgnoreCase, true),
        "StringLike" => (Operator::StringLike, false),
        "StringNotLike" => (Operator::StringLike, true),
        "Bool" => (Operator::Bool, false),
        "Null" => (Operator::Null, false),
        "NumericEquals" => (Operator::NumericEquals, false),
        "NumericNotEquals" => (Operator::NumericEquals, true),
        "NumericLessThan" => (Operator::NumericLessThan, false),
        "NumericLessThanEquals" => (Operator::NumericLessThanEquals, false),
        "NumericGreaterThan" => (Operator::NumericGreaterThan, false),
        "NumericGreaterThanEquals" => (Operator::NumericGreaterThanEquals, false),
        other => (Operator::Unsupported, other.contains("Not")),
    };
    let scalar = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(err(path, "values must be strings, booleans or numbers")),
    };
    let values = match values {
        Value::Array(items) => items.iter().map(scalar).collect::<Result<_, _>>()?,
        single => vec![scalar(single)?],
    };
    Ok(Condition {
        operator,
        negated,
        if_exists,
        for_all_values,
        key: key.to_ascii_lowercase(),
        values,
    })
}

impl Condition {
    /// Evaluates the condition where the request gives `value` for this condition's key.
    pub(crate) fn evaluate(&self, value: KeyValue<'_>) -> Truth {
        let present = match value {
            KeyValue::Unmodelled => return Truth::Unknown,
            KeyValue::Absent => None,
            KeyValue::Present(v) => Some(v),
        };
        if self.operator == Operator::Unsupported || self.values.iter().any(|v| v.contains("${")) {
            return Truth::Unknown;
        }
        if self.operator == Operator::Null {
            // {"Null": {"key": "true"}} holds when the key is absent; several values are ORed.
            let mut result = Truth::False;
            for v in &self.values {
                match (v.to_ascii_lowercase().as_str(), present) {
                    ("true", None) | ("false", Some(_)) => return Truth::True,
                    ("true", Some(_)) | ("false", None) => {}
                    _ => result = Truth::Unknown,
                }
            }
            return result;
        }
        let Some(actual) = present else {
            // IAM: a missing key matches nothing, so positive operators are false and negated
            // ones true; `…IfExists` and `ForAllValues:` (over an empty set) are true.
            return truth(self.if_exists || self.for_all_values || self.negated);
        };
        let mut any_match = false;
        for expected in &self.values {
            match self.matches(actual, expected) {
                Truth::True => any_match = true,
                Truth::Unknown => return Truth::Unknown,
                Truth::False => {}
            }
        }
        truth(any_match != self.negated)
    }

    fn matches(&self, actual: &str, expected: &str) -> Truth {
        match self.operator {
            Operator::StringEquals => truth(actual == expected),
            Operator::StringEqualsIgnoreCase => truth(actual.eq_ignore_ascii_case(expected)),
            Operator::StringLike => truth(Glob::case_sensitive(expected).matches(actual)),
            Operator::Bool => truth(actual.eq_ignore_ascii_case(expected)),
            Operator::NumericEquals
            | Operator::NumericLessThan
            | Operator::NumericLessThanEquals
            | Operator::NumericGreaterThan
            | Operator::NumericGreaterThanEquals => {
                let (Ok(a), Ok(e)) = (actual.parse::<f64>(), expected.parse::<f64>()) else {
                    return Truth::Unknown;
                };
                truth(match self.operator {
                    Operator::NumericEquals => a == e,
                    Operator::NumericLessThan => a < e,
                    Operator::NumericLessThanEquals => a <= e,
                    Operator::NumericGreaterThan => a > e,
                    _ => a >= e,
                })
            }
            Operator::Null | Operator::Unsupported => Truth::Unknown,
        }
    }
}

fn truth(b: bool) -> Truth {
    if b {
        Truth::True
    } else {
        Truth::False
    }
}
