//! A concrete IAM evaluator for the tests: one policy, one concrete request, one decision, as the
//! IAM user guide's "Policy evaluation logic" and "IAM JSON policy elements reference" describe
//! it, element by element. It shares no code with the engine (its own JSON walking, wildcard
//! matching and condition operators), so that the property tests compare two independent
//! readings of the documentation.

use std::collections::BTreeMap;

use serde_json::Value;

/// The outcome of evaluating one resource-based policy for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// An explicit deny matched.
    Deny,
    /// An allow matched and no deny.
    Allow,
    /// Nothing matched (an implicit deny).
    Neither,
}

/// One concrete request.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// The caller's ARN (`*` is never a caller; anonymous callers are `anonymous`).
    pub(crate) principal: String,
    /// For a role's session: the role's account and the session's ARN
    /// (`arn:aws:sts::<account>:assumed-role/<role>/<session>`). A `Principal` naming the
    /// account (its id or `:root` ARN) or the session takes the caller in; a `NotPrincipal`
    /// exempts it only when it names the session (the IAM user guide, "NotPrincipal").
    pub(crate) session: Option<(String, String)>,
    pub(crate) action: String,
    pub(crate) resource: String,
    /// Context keys (lower-case) and their values; a single-valued key has one.
    pub(crate) context: BTreeMap<String, Vec<String>>,
}

/// Evaluates `policy` (a JSON document) for `request`. A policy IAM would refuse (or that the
/// documentation leaves undefined) is `None`.
pub(crate) fn evaluate(policy: &Value, request: &Request) -> Option<Decision> {
    let variables = match policy.get("Version").and_then(Value::as_str) {
        Some("2012-10-17") => true,
        None | Some("2008-10-17") => false,
        Some(_) => return None,
    };
    let statements: Vec<&Value> = match policy.get("Statement")? {
        Value::Array(list) => list.iter().collect(),
        one @ Value::Object(_) => vec![one],
        _ => return None,
    };
    let mut allowed = false;
    for statement in statements {
        if matches_statement(statement, request, variables)? {
            match statement.get("Effect")?.as_str()? {
                "Deny" => return Some(Decision::Deny),
                "Allow" => allowed = true,
                _ => return None,
            }
        }
    }
    Some(if allowed {
        Decision::Allow
    } else {
        Decision::Neither
    })
}

fn matches_statement(statement: &Value, request: &Request, variables: bool) -> Option<bool> {
    let principal = match (
        statement.get("Principal"),
        statement.get("NotPrincipal"),
        &request.session,
    ) {
        (Some(p), None, None) => principal_matches(p, &[&request.principal])?,
        (Some(p), None, Some((account, session))) => {
            let root = format!("arn:aws:iam::{account}:root");
            principal_matches(p, &[&request.principal, account, &root, session])?
        }
        (None, Some(p), None) => !principal_matches(p, &[&request.principal])?,
        (None, Some(p), Some((_, session))) => !principal_matches(p, &[session])?,
        _ => return None,
    };
    let substitute = |pattern: &str| expand(pattern, variables, request);
    let action = element(statement, "Action", "NotAction", |pattern| {
        substitute(pattern).map(|p| wildcard(&p.to_lowercase(), &request.action.to_lowercase()))
    })?;
    let resource = element(statement, "Resource", "NotResource", |pattern| {
        substitute(pattern).map(|p| wildcard(&p, &request.resource))
    })?;
    let condition = match statement.get("Condition") {
        None => true,
        Some(block) => condition_block(block, request, variables)?,
    };
    Some(principal && action && resource && condition)
}

/// Does the principal element name `*` or one of `names` (the ways it can name the caller)?
fn principal_matches(value: &Value, names: &[&str]) -> Option<bool> {
    let hit = |s: &str| s == "*" || names.contains(&s);
    let listed = |v: &Value| -> Option<bool> {
        match v {
            Value::String(s) => Some(hit(s)),
            Value::Array(items) => {
                let mut any = false;
                for i in items {
                    any |= hit(i.as_str()?);
                }
                Some(any)
            }
            _ => None,
        }
    };
    match value {
        Value::String(s) if s == "*" => Some(true),
        Value::Object(map) => {
            let mut any = false;
            for (kind, names) in map {
                // Only IAM principals ("AWS") are callers here; a service or a federated
                // identity never is, and "AWS": "*" is everyone.
                let hit = listed(names)?;
                any |= hit && kind == "AWS";
            }
            Some(any)
        }
        _ => None,
    }
}

/// `Action`/`NotAction` (or `Resource`/`NotResource`): whether the statement applies, given a
/// matcher for one pattern (`None`: a variable the request cannot fill, matching nothing).
fn element(
    statement: &Value,
    positive: &str,
    negative: &str,
    matcher: impl Fn(&str) -> Option<bool>,
) -> Option<bool> {
    let (value, negated) = match (statement.get(positive), statement.get(negative)) {
        (Some(v), None) => (v, false),
        (None, Some(v)) => (v, true),
        _ => return None,
    };
    let patterns: Vec<&str> = match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().map(Value::as_str).collect::<Option<_>>()?,
        _ => return None,
    };
    let any = patterns.iter().any(|p| matcher(p).unwrap_or(false));
    Some(any != negated)
}

/// Substitutes policy variables from the request context (2012-10-17 only); the escapes
/// `${*}`, `${?}`, `${$}`, and the characters a variable's value brings, are marked with
/// `\u{1}` so the wildcard matcher reads them literally. `None` when a variable has no value in
/// the request (IAM: the element then matches nothing).
fn expand(pattern: &str, variables: bool, request: &Request) -> Option<String> {
    if !variables {
        return Some(pattern.to_owned());
    }
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 2..];
        let Some(end) = tail.find('}') else {
            out.push_str(&rest[at..]);
            return Some(out);
        };
        match &tail[..end] {
            "*" => out.push_str("\u{1}*"),
            "?" => out.push_str("\u{1}?"),
            "$" => out.push('$'),
            key => {
                let values = request.context.get(&key.to_ascii_lowercase())?;
                for c in values.first()?.chars() {
                    out.push('\u{1}');
                    out.push(c);
                }
            }
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// `*` any run, `?` one character, `\u{1}` before a character: that character literally.
fn wildcard(pattern: &str, text: &str) -> bool {
    // The pattern as (character, literal) pairs.
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\u{1}' => {
                if let Some(next) = chars.next() {
                    tokens.push((next, true));
                }
            }
            c => tokens.push((c, false)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    // reach[i][j]: tokens[..i] match text[..j].
    let mut reach = vec![vec![false; text.len() + 1]; tokens.len() + 1];
    reach[0][0] = true;
    for (i, &(c, literal)) in tokens.iter().enumerate() {
        for j in 0..=text.len() {
            let star = c == '*' && !literal;
            reach[i + 1][j] = if star {
                reach[i][j] || (j > 0 && reach[i + 1][j - 1])
            } else {
                j > 0 && reach[i][j - 1] && ((c == '?' && !literal) || c == text[j - 1])
            };
        }
    }
    reach[tokens.len()][text.len()]
}

fn condition_block(block: &Value, request: &Request, variables: bool) -> Option<bool> {
    let mut all = true;
    for (operator, keys) in block.as_object()? {
        for (key, values) in keys.as_object()? {
            all &= condition(operator, key, values, request, variables)?;
        }
    }
    Some(all)
}

/// One request value against one condition value; `None` when they cannot be compared.
type Matcher = fn(&str, &str) -> Option<bool>;

fn condition(
    operator: &str,
    key: &str,
    values: &Value,
    request: &Request,
    variables: bool,
) -> Option<bool> {
    let (qualifier, rest) = match operator.split_once(':') {
        Some((q, rest)) => (Some(q), rest),
        None => (None, operator),
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(b) => (b, true),
        None => (rest, false),
    };
    let expected: Vec<String> = match values {
        Value::Array(items) => items.iter().map(text).collect::<Option<_>>()?,
        one => vec![text(one)?],
    };
    // A variable the request has no value for: the condition matches nothing (IAM user guide,
    // "Policy variables", "Request information that you can use for policy variables").
    let expected: Vec<String> = if variables {
        match expected
            .iter()
            .map(|v| expand(v, true, request))
            .collect::<Option<Vec<_>>>()
        {
            Some(values) => values,
            None => return Some(false),
        }
    } else {
        expected
    };
    let actual = request
        .context
        .get(&key.to_ascii_lowercase())
        .cloned()
        .unwrap_or_default();
    // "Multivalued context keys": over an absent key (an empty set) ForAnyValue is false and
    // ForAllValues true, whatever the operator.
    if actual.is_empty() {
        match qualifier {
            Some("ForAnyValue") => return Some(false),
            Some("ForAllValues") => return Some(true),
            _ => {}
        }
    }
    if base == "Null" {
        let absent = actual.is_empty();
        return Some(expected.iter().any(|e| match e.as_str() {
            "true" => absent,
            "false" => !absent,
            _ => false,
        }));
    }
    let (matcher, negated): (Matcher, bool) = match base {
        "StringEquals" => (|a, e| Some(a == unescape(e)), false),
        "StringNotEquals" => (|a, e| Some(a == unescape(e)), true),
        "StringEqualsIgnoreCase" => (|a, e| Some(a.eq_ignore_ascii_case(&unescape(e))), false),
        "StringNotEqualsIgnoreCase" => (|a, e| Some(a.eq_ignore_ascii_case(&unescape(e))), true),
        "StringLike" => (|a, e| Some(wildcard(e, a)), false),
        "StringNotLike" => (|a, e| Some(wildcard(e, a)), true),
        "Bool" => (|a, e| Some(a.eq_ignore_ascii_case(e)), false),
        "NumericEquals" => (|a, e| Some(number(a)? == number(e)?), false),
        "NumericNotEquals" => (|a, e| Some(number(a)? == number(e)?), true),
        "NumericLessThan" => (|a, e| Some(number(a)? < number(e)?), false),
        "NumericLessThanEquals" => (|a, e| Some(number(a)? <= number(e)?), false),
        "NumericGreaterThan" => (|a, e| Some(number(a)? > number(e)?), false),
        "NumericGreaterThanEquals" => (|a, e| Some(number(a)? >= number(e)?), false),
        "ArnEquals" | "ArnLike" => (arn, false),
        "ArnNotEquals" | "ArnNotLike" => (arn, true),
        _ => return None,
    };
    // One request value against the condition's values: ORed, then negated.
    let one = |a: &str| -> Option<bool> {
        let mut any = false;
        for e in &expected {
            any |= matcher(a, e)?;
        }
        Some(any != negated)
    };
    match qualifier {
        Some("ForAnyValue") => {
            let mut any = false;
            for a in &actual {
                any |= one(a)?;
            }
            Some(any)
        }
        Some("ForAllValues") => {
            let mut all = true;
            for a in &actual {
                all &= one(a)?;
            }
            Some(all)
        }
        None => match actual.as_slice() {
            [] => Some(if_exists || negated),
            [a] => one(a),
            _ => None,
        },
        Some(_) => None,
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An expanded value as a plain string (escape markers dropped).
fn unescape(v: &str) -> String {
    v.replace('\u{1}', "")
}

/// Integers and decimals only, as IAM's numeric operators document.
fn number(s: &str) -> Option<f64> {
    let body = s
        .strip_prefix('-')
        .or_else(|| s.strip_prefix('+'))
        .unwrap_or(s);
    let mut parts = body.splitn(2, '.');
    let whole = parts.next()?;
    let fraction = parts.next();
    let digits = |d: &str| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit());
    if digits(whole) && fraction.is_none_or(digits) {
        s.parse().ok()
    } else {
        None
    }
}

fn arn(actual: &str, pattern: &str) -> Option<bool> {
    let a: Vec<&str> = actual.splitn(6, ':').collect();
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    if a.len() != 6 || p.len() != 6 {
        return Some(false);
    }
    Some(a.iter().zip(&p).all(|(a, p)| wildcard(p, a)))
}

/// A statement for the generators of the differential tests: its effect, its elements
/// (`Principal`, `Action`…) and its conditions as `(operator, (key, values))`, several keys of
/// one operator merged into one block entry.
pub(crate) fn statement(
    deny: bool,
    elements: &[(&str, Value)],
    conditions: Vec<(&str, (&str, Vec<&str>))>,
) -> Value {
    let mut s = serde_json::Map::new();
    s.insert(
        "Effect".into(),
        Value::from(if deny { "Deny" } else { "Allow" }),
    );
    for (key, value) in elements {
        s.insert((*key).into(), value.clone());
    }
    let mut block = serde_json::Map::new();
    for (op, (key, values)) in conditions {
        let entry = block
            .entry(op)
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        entry[key] = Value::from(values);
    }
    if !block.is_empty() {
        s.insert("Condition".into(), Value::Object(block));
    }
    Value::Object(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wildcard_matcher_reads_escapes_as_literals() {
        assert!(wildcard("a*b?", "axxbc"));
        assert!(!wildcard("a*b?", "ab"));
        assert!(wildcard("a\u{1}*", "a*"));
        assert!(!wildcard("a\u{1}*", "ab"));
        assert!(wildcard("*", ""));
        assert!(!wildcard("", "a"));
    }
}
