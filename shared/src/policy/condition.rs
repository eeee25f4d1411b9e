//! IAM condition blocks, evaluated three-valued over a modelled request context.
//!
//! Only the keys artifact-guard's questions vary (`s3:x-amz-server-side-encryption`,
//! `s3:x-amz-server-side-encryption-aws-kms-key-id`, `aws:SecureTransport`, `s3:TlsVersion`)
//! have known values. A condition on any other key, an operator this module does not implement,
//! a policy variable in a value, or a number IAM does not accept is `Unknown`: the engine cannot
//! tell whether the statement applies, so a deny guarded by it never counts towards a pass.
//!
//! Semantics, from the IAM user guide ("IAM JSON policy elements: Condition operators" and
//! "Multivalued context keys"): values of one key are ORed; a negated operator is true when no
//! value matches; a key missing from the request matches nothing, so a positive operator is
//! false and a negated one true, `…IfExists` is true, `ForAllValues:` is true (over the empty
//! set) and `ForAnyValue:` is false whatever the operator. A single-valued key is a set of one.

use serde_json::Value;

use super::glob::{Dialect, Glob};
use super::{err, PolicyError};
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
    /// `ArnEquals` and `ArnLike` (the same in IAM: both take wildcards per ARN component).
    ArnLike,
    /// Any other operator (Date*, IpAddress, Binary*…): never decided.
    Unsupported,
}

/// A set operator prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    None,
    ForAnyValue,
    ForAllValues,
}

/// One `operator: {key: values}` pair of a condition block.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    operator: Operator,
    /// `StringNotEquals`, `StringNotLike`, `NumericNotEquals`, `ArnNotLike`…
    negated: bool,
    if_exists: bool,
    qualifier: Qualifier,
    /// Lower-case: condition keys are case-insensitive.
    pub(crate) key: String,
    /// With the escapes `${*}`, `${?}`, `${$}` of a 2012-10-17 policy resolved.
    values: Vec<String>,
    /// The first value holding a policy variable (2012-10-17 only).
    variable: Option<String>,
}

/// What a modelled request says about one condition key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyValue<'a> {
    Present(&'a str),
    Absent,
    /// A key the model does not vary: its value could be anything.
    Unmodelled,
}

pub(crate) fn parse_block(
    value: &Value,
    path: &str,
    dialect: Dialect,
) -> Result<Vec<Condition>, PolicyError> {
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
                dialect,
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
    dialect: Dialect,
) -> Result<Condition, PolicyError> {
    let (qualifier, rest) = match op_name.split_once(':') {
        Some(("ForAnyValue", rest)) => (Qualifier::ForAnyValue, rest),
        Some(("ForAllValues", rest)) => (Qualifier::ForAllValues, rest),
        Some((other, _)) => {
            return Err(err(
                path,
                &format!(
                    "unknown set operator prefix {}; use ForAnyValue or ForAllValues",
                    quoted(other)
                ),
            ))
        }
        None => (Qualifier::None, op_name),
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
        "ArnEquals" | "ArnLike" => (Operator::ArnLike, false),
        "ArnNotEquals" | "ArnNotLike" => (Operator::ArnLike, true),
        other => (Operator::Unsupported, other.contains("Not")),
    };
    let scalar = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(err(path, "values must be strings, booleans or numbers")),
    };
    let raw: Vec<String> = match values {
        Value::Array(items) => items.iter().map(scalar).collect::<Result<_, _>>()?,
        single => vec![scalar(single)?],
    };
    let mut variable = None;
    let values = raw
        .into_iter()
        .map(|v| match dialect {
            Dialect::Literal => v,
            Dialect::Variables => {
                let (text, var) = resolve_escapes(&v);
                if let Some(var) = var {
                    variable.get_or_insert(var);
                }
                text
            }
        })
        .collect();
    Ok(Condition {
        operator,
        negated,
        if_exists,
        qualifier,
        key: key.to_ascii_lowercase(),
        values,
        variable,
    })
}

/// A 2012-10-17 value with `${$}` resolved, `${*}` and `${?}` kept as placeholders (so that
/// `StringLike` can tell a literal `*` from a wildcard), and its first real variable.
fn resolve_escapes(value: &str) -> (String, Option<String>) {
    let mut out = String::with_capacity(value.len());
    let mut variable = None;
    let mut rest = value;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        match tail.find('}') {
            Some(end) => {
                match &tail[2..end] {
                    "*" => out.push_str(ESCAPED_STAR),
                    "?" => out.push_str(ESCAPED_QUESTION),
                    "$" => out.push('$'),
                    _ => {
                        variable.get_or_insert_with(|| tail[..=end].to_owned());
                        out.push_str(&tail[..=end]);
                    }
                }
                rest = &tail[end + 1..];
            }
            None => {
                out.push_str(tail);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    (out, variable)
}

// Placeholders for the escapes `${*}` and `${?}` (private-use characters).
const ESCAPED_STAR: &str = "\u{E001}";
const ESCAPED_QUESTION: &str = "\u{E002}";

/// A value with its escape placeholders turned back into the characters they stand for.
fn plain(value: &str) -> std::borrow::Cow<'_, str> {
    if value.contains([ESCAPED_STAR, ESCAPED_QUESTION].map(|p| p.chars().next().unwrap_or('*'))) {
        std::borrow::Cow::Owned(
            value
                .replace(ESCAPED_STAR, "*")
                .replace(ESCAPED_QUESTION, "?"),
        )
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

impl Condition {
    /// The policy variable that makes this condition undecidable, if any.
    pub(crate) fn variable(&self) -> Option<&str> {
        self.variable.as_deref()
    }

    /// Evaluates the condition where the request gives `value` for this condition's key.
    pub(crate) fn evaluate(&self, value: KeyValue<'_>) -> Truth {
        let present = match value {
            KeyValue::Unmodelled => return Truth::Unknown,
            KeyValue::Absent => None,
            KeyValue::Present(v) => Some(v),
        };
        let Some(actual) = present else {
            return self.on_absent_key();
        };
        if self.operator == Operator::Unsupported || self.variable.is_some() {
            return Truth::Unknown;
        }
        if self.operator == Operator::Null {
            // {"Null": {"key": "false"}} holds when the key is present.
            return self.any_value(|v| match v.to_ascii_lowercase().as_str() {
                "false" => Truth::True,
                "true" => Truth::False,
                _ => Truth::Unknown,
            });
        }
        // The request's one value against the condition's values: ORed, then negated.
        let matched = self.any_value(|expected| self.matches(actual, expected));
        match (matched, self.negated) {
            (Truth::Unknown, _) => Truth::Unknown,
            (t, false) => t,
            (Truth::True, true) => Truth::False,
            (_, true) => Truth::True,
        }
    }

    /// A key missing from the request: its value set is empty.
    fn on_absent_key(&self) -> Truth {
        match self.qualifier {
            Qualifier::ForAnyValue => return Truth::False,
            Qualifier::ForAllValues => return Truth::True,
            Qualifier::None => {}
        }
        if self.operator == Operator::Null {
            if self.variable.is_some() {
                return Truth::Unknown;
            }
            return self.any_value(|v| match v.to_ascii_lowercase().as_str() {
                "true" => Truth::True,
                "false" => Truth::False,
                _ => Truth::Unknown,
            });
        }
        if self.operator == Operator::Unsupported && !self.if_exists {
            // Whether an unknown operator is negated is a guess from its name: undecided.
            return Truth::Unknown;
        }
        truth(self.if_exists || self.negated)
    }

    /// OR over the condition's values: true if one is true, else unknown if one is unknown.
    fn any_value(&self, test: impl Fn(&str) -> Truth) -> Truth {
        let mut result = Truth::False;
        for v in &self.values {
            match test(v) {
                Truth::True => return Truth::True,
                Truth::Unknown => result = Truth::Unknown,
                Truth::False => {}
            }
        }
        result
    }

    fn matches(&self, actual: &str, expected: &str) -> Truth {
        if self.operator == Operator::StringLike {
            return truth(Glob::with_literal_placeholders(expected).matches(actual));
        }
        let expected = &*plain(expected);
        match self.operator {
            Operator::StringEquals => truth(actual == expected),
            Operator::StringEqualsIgnoreCase => truth(actual.eq_ignore_ascii_case(expected)),
            Operator::Bool => truth(actual.eq_ignore_ascii_case(expected)),
            Operator::ArnLike => arn_like(actual, expected),
            Operator::NumericEquals
            | Operator::NumericLessThan
            | Operator::NumericLessThanEquals
            | Operator::NumericGreaterThan
            | Operator::NumericGreaterThanEquals => {
                let (Some(a), Some(e)) = (decimal(actual), decimal(expected)) else {
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
            Operator::StringLike | Operator::Null | Operator::Unsupported => Truth::Unknown,
        }
    }
}

/// A condition key that says who the caller is, as [`Condition::evaluate_for_stranger`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Identity {
    /// `aws:PrincipalAccount`, `kms:CallerAccount`: an account id, always in the context.
    Account,
    /// `aws:PrincipalOrgID`: an organization id, absent for a caller outside any organization.
    Organization,
    /// `aws:PrincipalOrgPaths`: the caller's organization paths (`o-…/r-…/ou-…/`), several
    /// values, absent outside an organization.
    OrganizationPaths,
    /// `aws:PrincipalArn`: the caller's ARN (a role's, not its session's), always present.
    PrincipalArn,
}

/// The variables that stand for the resource's own account and organization (the IAM user
/// guide's global condition context keys `aws:ResourceAccount`, `aws:ResourceOrgID`,
/// `aws:ResourceOrgPaths`).
const RESOURCE_IDENTITY: [&str; 3] = [
    "${aws:ResourceAccount}",
    "${aws:ResourceOrgID}",
    "${aws:ResourceOrgPaths}",
];

impl Identity {
    /// The identity key `key` (lower case) stands for, if it is one.
    pub(crate) fn of_key(key: &str) -> Option<Self> {
        match key {
            "aws:principalaccount" | "kms:calleraccount" => Some(Self::Account),
            "aws:principalorgid" => Some(Self::Organization),
            "aws:principalorgpaths" => Some(Self::OrganizationPaths),
            "aws:principalarn" => Some(Self::PrincipalArn),
            _ => None,
        }
    }

    fn always_present(self) -> bool {
        matches!(self, Self::Account | Self::PrincipalArn)
    }

    /// The part of a value that names an account or an organization: the whole id, the first
    /// segment of an organization path, the account field of an ARN.
    fn naming_part(self, value: &str) -> &str {
        match self {
            Self::Account | Self::Organization => value,
            Self::OrganizationPaths => value.split('/').next().unwrap_or(value),
            Self::PrincipalArn => value.split(':').nth(4).unwrap_or(value),
        }
    }
}

impl Condition {
    /// Evaluates the condition for a stranger: a caller in an account, and an organization,
    /// that no value of the policy names. The stranger's value for `identity` is unknown except
    /// for that: a value naming an account or organization literally never matches it (so
    /// `StringEquals aws:PrincipalOrgID o-…` is false for every stranger); a value whose naming
    /// part has a wildcard may match it (undecided), and `*` alone matches it. A stranger
    /// outside any organization (`in_organization` false) has no organization keys.
    pub(crate) fn evaluate_for_stranger(&self, identity: Identity, in_organization: bool) -> Truth {
        if identity.always_present() || in_organization {
            self.evaluate_present_stranger(identity)
        } else {
            self.on_absent_key()
        }
    }

    /// The condition with the stranger's value(s) present.
    fn evaluate_present_stranger(&self, identity: Identity) -> Truth {
        // A value that is one of the resource's own identity variables names the resource's
        // account or organization, which is not the stranger's; any other variable could be
        // anything.
        let variable_in = |v: &str| self.variable.is_some() && v.contains("${");
        let names_resource = |v: &str| {
            RESOURCE_IDENTITY
                .iter()
                .any(|name| v.eq_ignore_ascii_case(name))
        };
        let matched = match self.operator {
            Operator::Null if self.variable.is_some() => return Truth::Unknown,
            Operator::Null => {
                return self.any_value(|v| match v.to_ascii_lowercase().as_str() {
                    "false" => Truth::True,
                    "true" => Truth::False,
                    _ => Truth::Unknown,
                })
            }
            Operator::StringEquals | Operator::StringEqualsIgnoreCase => {
                self.any_value(|expected| match variable_in(expected) {
                    true if !names_resource(expected) => Truth::Unknown,
                    _ => Truth::False,
                })
            }
            Operator::StringLike | Operator::ArnLike => self.any_value(|expected| {
                if variable_in(expected) {
                    return if names_resource(expected) {
                        Truth::False
                    } else {
                        Truth::Unknown
                    };
                }
                // `*` itself; `${*}` (a literal star) is a placeholder here, not this.
                if expected == "*" && self.operator == Operator::StringLike {
                    return Truth::True;
                }
                let naming = identity.naming_part(expected);
                if naming.contains(['*', '?']) {
                    Truth::Unknown
                } else {
                    Truth::False
                }
            }),
            _ => return Truth::Unknown,
        };
        // Every value of the stranger's set is a stranger's value, so ForAnyValue and
        // ForAllValues over the (non-empty) set agree with one value.
        match (matched, self.negated) {
            (Truth::Unknown, _) => Truth::Unknown,
            (t, false) => t,
            (Truth::True, true) => Truth::False,
            (_, true) => Truth::True,
        }
    }
}

/// A plain decimal number as IAM's numeric operators take it (`12`, `-1.5`, `+3`), or `None`
/// for anything else Rust's parser would accept (`inf`, `NaN`, `1e0`, `0x1` is not even that).
pub(crate) fn decimal(text: &str) -> Option<f64> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let plain = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if plain {
        text.parse().ok()
    } else {
        None
    }
}

/// `ArnLike`: each of the six colon-separated parts matched on its own, case-sensitively, with
/// `*` and `?` (the resource part keeps its own colons). Not an ARN: no match.
fn arn_like(actual: &str, pattern: &str) -> Truth {
    let parts = |s: &str| -> Option<Vec<String>> {
        let p: Vec<String> = s.splitn(6, ':').map(str::to_owned).collect();
        (p.len() == 6 && p[0] == "arn").then_some(p)
    };
    let (Some(a), Some(p)) = (parts(actual), parts(pattern)) else {
        return Truth::False;
    };
    truth(
        a.iter()
            .zip(&p)
            .all(|(a, p)| Glob::case_sensitive(p).matches(a)),
    )
}

fn truth(b: bool) -> Truth {
    if b {
        Truth::True
    } else {
        Truth::False
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn condition(op: &str, key: &str, values: Value, dialect: Dialect) -> Condition {
        parse_one(op, key, &values, "Condition", dialect).expect("parses")
    }

    /// IAM user guide, "Condition operators", "Numeric condition operators": IAM compares
    /// integers and decimals; nothing else is a number there.
    #[test]
    fn only_plain_decimal_numbers_are_numbers() {
        for good in ["1", "-1.5", "+3", "1.2", "0012"] {
            assert!(decimal(good).is_some(), "{good}");
        }
        for bad in [
            "inf", "infinity", "NaN", "1e0", "0x1", "", ".5", "1.", "1.2.3", " 1",
        ] {
            assert_eq!(decimal(bad), None, "{bad}");
        }
        let c = condition(
            "NumericLessThan",
            "s3:TlsVersion",
            json!("infinity"),
            Dialect::Variables,
        );
        assert_eq!(c.evaluate(KeyValue::Present("1.0")), Truth::Unknown);
    }

    /// "Multivalued context keys": ForAnyValue is false over an absent key whatever the
    /// operator; ForAllValues is true; a single value is a set of one.
    #[test]
    fn set_qualifiers_on_an_absent_key() {
        for op in [
            "ForAnyValue:StringNotEquals",
            "ForAnyValue:StringNotEqualsIfExists",
            "ForAnyValue:StringEquals",
            "ForAnyValue:NumericNotEquals",
            "ForAnyValue:StringNotLike",
        ] {
            let c = condition(op, "k", json!("x"), Dialect::Variables);
            assert_eq!(c.evaluate(KeyValue::Absent), Truth::False, "{op}");
        }
        for op in ["ForAllValues:StringEquals", "ForAllValues:StringNotEquals"] {
            let c = condition(op, "k", json!("x"), Dialect::Variables);
            assert_eq!(c.evaluate(KeyValue::Absent), Truth::True, "{op}");
        }
        let any = condition(
            "ForAnyValue:StringNotEquals",
            "k",
            json!(["a", "b"]),
            Dialect::Variables,
        );
        assert_eq!(any.evaluate(KeyValue::Present("a")), Truth::False);
        assert_eq!(any.evaluate(KeyValue::Present("c")), Truth::True);
    }

    #[test]
    fn variables_in_values_are_undecided_in_2012_and_literal_before() {
        let c = condition(
            "StringEquals",
            "k",
            json!("${aws:username}"),
            Dialect::Variables,
        );
        assert_eq!(c.evaluate(KeyValue::Present("alice")), Truth::Unknown);
        assert_eq!(c.variable(), Some("${aws:username}"));
        // Absent: no value matches, whatever the variable would be.
        assert_eq!(c.evaluate(KeyValue::Absent), Truth::False);
        let literal = condition(
            "StringEquals",
            "k",
            json!("${aws:username}"),
            Dialect::Literal,
        );
        assert_eq!(
            literal.evaluate(KeyValue::Present("${aws:username}")),
            Truth::True
        );
        let escaped = condition("StringEquals", "k", json!("a${*}b${$}"), Dialect::Variables);
        assert_eq!(escaped.evaluate(KeyValue::Present("a*b$")), Truth::True);
        let like = condition("StringLike", "k", json!("a${*}*"), Dialect::Variables);
        assert_eq!(like.evaluate(KeyValue::Present("a*xyz")), Truth::True);
        assert_eq!(
            like.evaluate(KeyValue::Present("abxyz")),
            Truth::False,
            "an escaped star is no wildcard"
        );
    }

    #[test]
    fn arn_operators_match_component_by_component() {
        let key_arn = "arn:aws:kms:eu-west-1:111122223333:key/k1";
        let c = condition(
            "ArnNotEqualsIfExists",
            "k",
            json!(key_arn),
            Dialect::Variables,
        );
        assert_eq!(c.evaluate(KeyValue::Absent), Truth::True);
        assert_eq!(c.evaluate(KeyValue::Present(key_arn)), Truth::False);
        assert_eq!(
            c.evaluate(KeyValue::Present(
                "arn:aws:kms:eu-west-1:111122223333:key/k2"
            )),
            Truth::True
        );
        let like = condition(
            "ArnLike",
            "k",
            json!("arn:aws:kms:*:111122223333:key/*"),
            Dialect::Variables,
        );
        assert_eq!(like.evaluate(KeyValue::Present(key_arn)), Truth::True);
        assert_eq!(like.evaluate(KeyValue::Present("k1")), Truth::False);
    }
}
