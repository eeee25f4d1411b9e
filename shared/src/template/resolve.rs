//! The values a template determines: intrinsic functions evaluated over its parameters,
//! conditions, mappings and resources. What it cannot determine (a parameter without a value,
//! another stack's export, a value CloudFormation assigns at deploy time that matters) is
//! [`Resolved::Unknown`] with the reason, never a guess.

use std::cell::RefCell;
use std::collections::HashMap;

use super::yaml::{Node, Value};

/// A value after its intrinsic functions are evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// `null`.
    Null,
    /// `Ref: AWS::NoValue`: the property is removed.
    NoValue,
    /// Text (strings, numbers and booleans as written).
    Text(Box<str>),
    /// A list.
    List(Vec<Resolved>),
    /// A mapping.
    Map(Vec<(Box<str>, Resolved)>),
    /// Not determined by the template.
    Unknown(Unknown),
}

/// Why a value is not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// In words, e.g. `parameter Owner has no Default and no value was given`.
    pub reason: Box<str>,
    /// The parameter it comes from, when that parameter is not `NoEcho`: a secret arriving
    /// through it shows in plain text whatever its value.
    pub plain_parameter: Option<Box<str>>,
    /// The value is another stack's export or a stored parameter: a reference to content kept
    /// elsewhere (and judged there), not content this template writes. Where the value itself
    /// matters (a store's bucket or key, a role's account) it is as unknown as any other.
    pub reference: bool,
}

impl Resolved {
    fn unknown(reason: impl Into<Box<str>>) -> Self {
        Self::Unknown(Unknown {
            reason: reason.into(),
            plain_parameter: None,
            reference: false,
        })
    }

    fn reference_to(reason: impl Into<Box<str>>) -> Self {
        Self::Unknown(Unknown {
            reason: reason.into(),
            plain_parameter: None,
            reference: true,
        })
    }

    /// The text, when this is text.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Resolved> {
        match self {
            Self::Map(entries) => entries.iter().find(|(k, _)| &**k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The first unknown value inside, with its path below this one.
    pub fn first_unknown(&self) -> Option<(String, &Unknown)> {
        match self {
            Self::Unknown(u) => Some((String::new(), u)),
            Self::List(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| v.first_unknown().map(|(p, u)| (format!("[{i}]{p}"), u))),
            Self::Map(entries) => entries
                .iter()
                .find_map(|(k, v)| v.first_unknown().map(|(p, u)| (format!(".{k}{p}"), u))),
            _ => None,
        }
    }

    /// As JSON (text stays text: CloudFormation passes scalars to services as it reads them).
    pub fn to_json(&self, unknown: &dyn Fn(&Unknown) -> serde_json::Value) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Self::Null | Self::NoValue => J::Null,
            Self::Text(t) => J::String(t.to_string()),
            Self::List(items) => J::Array(
                items
                    .iter()
                    .filter(|v| **v != Self::NoValue)
                    .map(|v| v.to_json(unknown))
                    .collect(),
            ),
            Self::Map(entries) => J::Object(
                entries
                    .iter()
                    .filter(|(_, v)| *v != Self::NoValue)
                    .map(|(k, v)| (k.to_string(), v.to_json(unknown)))
                    .collect(),
            ),
            Self::Unknown(u) => unknown(u),
        }
    }
}

/// A declared parameter and its value for this check.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// The value given or defaulted, `None` when there is neither.
    pub value: Option<Resolved>,
    /// `NoEcho: true`.
    pub no_echo: bool,
    /// Why the value cannot be known even when one is written (an SSM parameter type).
    pub deploy_time: Option<Box<str>>,
}

/// What `Ref` and `Fn::GetAtt` give for a resource of the template; supplied by the reader of
/// resources, which knows each type.
pub trait ResourceValues {
    /// `Ref` of the resource.
    fn reference(&self, resolver: &Resolver<'_>, logical_id: &str) -> Resolved;
    /// `Fn::GetAtt` of the resource.
    fn attribute(&self, resolver: &Resolver<'_>, logical_id: &str, attribute: &str) -> Resolved;
    /// Whether the template declares this resource.
    fn declares(&self, logical_id: &str) -> bool;
}

/// The pseudo parameters: placeholders unless given (`--parameters AWS::AccountId=…`).
#[derive(Debug, Clone)]
pub struct Pseudo {
    /// `AWS::AccountId`.
    pub account: String,
    /// Whether the account was given, rather than a placeholder.
    pub account_given: bool,
    /// `AWS::Region`.
    pub region: String,
    /// `AWS::Partition`.
    pub partition: String,
    /// `AWS::StackName`.
    pub stack_name: String,
}

impl Pseudo {
    fn value(&self, name: &str) -> Option<Resolved> {
        let text = |t: &str| Some(Resolved::Text(t.into()));
        match name {
            "AWS::AccountId" => text(&self.account),
            "AWS::Region" => text(&self.region),
            "AWS::Partition" => text(&self.partition),
            "AWS::StackName" => text(&self.stack_name),
            "AWS::StackId" => Some(Resolved::Text(
                format!(
                    "arn:{}:cloudformation:{}:{}:stack/{}/00000000-0000-0000-0000-000000000000",
                    self.partition, self.region, self.account, self.stack_name
                )
                .into(),
            )),
            "AWS::URLSuffix" => text(if self.partition == "aws-cn" {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            }),
            "AWS::NotificationARNs" => Some(Resolved::List(Vec::new())),
            "AWS::NoValue" => Some(Resolved::NoValue),
            _ => None,
        }
    }
}

/// Evaluates intrinsic functions.
pub struct Resolver<'t> {
    /// Parameters by name.
    pub parameters: HashMap<String, Parameter>,
    /// Pseudo parameters.
    pub pseudo: Pseudo,
    conditions: HashMap<&'t str, &'t Node>,
    condition_values: RefCell<HashMap<String, Result<bool, Unknown>>>,
    mappings: Option<&'t Node>,
    resources: &'t dyn ResourceValues,
    depth: std::cell::Cell<u32>,
}

/// How deep references may nest before a cycle is assumed.
const MAX_DEPTH: u32 = 64;

impl<'t> Resolver<'t> {
    /// A resolver over a template's `Conditions` and `Mappings`.
    pub fn new(
        template: &'t Node,
        parameters: HashMap<String, Parameter>,
        pseudo: Pseudo,
        resources: &'t dyn ResourceValues,
    ) -> Self {
        Self {
            parameters,
            pseudo,
            conditions: template
                .get("Conditions")
                .map(|c| c.entries().iter().map(|(k, v)| (&**k, v)).collect())
                .unwrap_or_default(),
            condition_values: RefCell::new(HashMap::new()),
            mappings: template.get("Mappings"),
            resources,
            depth: std::cell::Cell::new(0),
        }
    }

    /// Evaluates `node`.
    pub fn resolve(&self, node: &Node) -> Resolved {
        let depth = self.depth.get();
        if depth > MAX_DEPTH {
            return Resolved::unknown("references nest too deep (a cycle?)");
        }
        self.depth.set(depth + 1);
        let out = self.resolve_inner(node);
        self.depth.set(depth);
        out
    }

    fn resolve_inner(&self, node: &Node) -> Resolved {
        match &node.value {
            Value::Null => Resolved::Null,
            Value::Scalar(s) => Resolved::Text(s.clone()),
            Value::List(items) => Resolved::List(items.iter().map(|i| self.resolve(i)).collect()),
            Value::Map(entries) => {
                if let [(name, argument)] = entries.as_slice() {
                    if let Some(value) = self.function(name, argument) {
                        return value;
                    }
                }
                Resolved::Map(
                    entries
                        .iter()
                        .map(|(k, v)| (k.clone(), self.resolve(v)))
                        .collect(),
                )
            }
        }
    }

    /// `Ref` of a name: a parameter, a pseudo parameter or a resource.
    pub fn reference(&self, name: &str) -> Resolved {
        if let Some(p) = self.parameters.get(name) {
            if p.no_echo {
                // How a secret should arrive: what the controls see is the mask CodePipeline
                // shows for it.
                return Resolved::Text("****".into());
            }
            if let Some(why) = &p.deploy_time {
                return Resolved::reference_to(format!("parameter {name}: {why}"));
            }
            return match &p.value {
                Some(v) => v.clone(),
                None => Resolved::Unknown(Unknown {
                    reason: format!(
                        "parameter {name} has no Default and no value was given (--parameters {name}=…)"
                    )
                    .into(),
                    plain_parameter: Some(name.into()),
                    reference: false,
                }),
            };
        }
        if let Some(v) = self.pseudo.value(name) {
            return v;
        }
        if self.resources.declares(name) {
            return self.resources.reference(self, name);
        }
        Resolved::unknown(format!(
            "Ref {name}: no parameter, pseudo parameter or resource has this name"
        ))
    }

    fn function(&self, name: &str, arg: &Node) -> Option<Resolved> {
        let value = match name {
            "Ref" => match arg.as_scalar() {
                Some(target) => self.reference(target),
                None => Resolved::unknown("Ref takes a name"),
            },
            "Fn::GetAtt" => self.get_att(arg),
            "Fn::Sub" => self.sub(arg),
            "Fn::Join" => self.join(arg),
            "Fn::If" => self.if_(arg),
            "Fn::Select" => self.select(arg),
            "Fn::Split" => self.split(arg),
            "Fn::FindInMap" => self.find_in_map(arg),
            "Fn::ImportValue" => {
                let export = self.resolve(arg);
                Resolved::reference_to(match export.text() {
                    Some(name) => format!(
                        "Fn::ImportValue {name}: another stack's export, known at deploy time"
                    ),
                    None => "Fn::ImportValue: another stack's export, known at deploy time".into(),
                })
            }
            // The text before encoding is what matters (a secret in user data is one either way).
            "Fn::Base64" => self.resolve(arg),
            "Fn::GetAZs" => {
                Resolved::unknown("Fn::GetAZs: the Availability Zones are known at deploy time")
            }
            "Fn::Cidr" => Resolved::unknown("Fn::Cidr: not evaluated by artifact-guard"),
            "Fn::Transform" => {
                Resolved::unknown("Fn::Transform: a macro's output is known at deploy time")
            }
            "Fn::Length" => match self.resolve(arg) {
                Resolved::List(items) => Resolved::Text(items.len().to_string().into()),
                u @ Resolved::Unknown(_) => u,
                _ => Resolved::unknown("Fn::Length takes a list"),
            },
            "Fn::ToJsonString" => {
                let value = self.resolve(arg);
                match value.first_unknown() {
                    Some((_, u)) => Resolved::Unknown(u.clone()),
                    None => Resolved::Text(
                        value
                            .to_json(&|_| serde_json::Value::Null)
                            .to_string()
                            .into(),
                    ),
                }
            }
            "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" | "Condition" => {
                match self.condition_function(name, arg) {
                    Ok(b) => Resolved::Text(if b { "true" } else { "false" }.into()),
                    Err(u) => Resolved::Unknown(u),
                }
            }
            _ => return None,
        };
        Some(value)
    }

    fn args<'n>(
        &self,
        function: &str,
        arg: &'n Node,
        count: usize,
    ) -> Result<&'n [Node], Resolved> {
        match &arg.value {
            Value::List(items) if items.len() == count => Ok(items),
            _ => Err(Resolved::unknown(format!(
                "{function} at line {}: takes a list of {count}",
                arg.line
            ))),
        }
    }

    fn get_att(&self, arg: &Node) -> Resolved {
        let (resource, attribute) = match &arg.value {
            Value::List(items) if items.len() == 2 => {
                match (items[0].as_scalar(), self.resolve(&items[1])) {
                    (Some(r), Resolved::Text(a)) => (r.to_owned(), a.to_string()),
                    _ => return Resolved::unknown("Fn::GetAtt: the attribute is not known"),
                }
            }
            Value::Scalar(s) => match s.split_once('.') {
                Some((r, a)) => (r.to_owned(), a.to_owned()),
                None => {
                    return Resolved::unknown(format!("Fn::GetAtt {s}: write Resource.Attribute"))
                }
            },
            _ => return Resolved::unknown("Fn::GetAtt takes [Resource, Attribute]"),
        };
        if !self.resources.declares(&resource) {
            return Resolved::unknown(format!(
                "Fn::GetAtt {resource}.{attribute}: the template declares no resource {resource}"
            ));
        }
        self.resources.attribute(self, &resource, &attribute)
    }

    fn sub(&self, arg: &Node) -> Resolved {
        let (template, variables): (&str, &[(Box<str>, Node)]) = match &arg.value {
            Value::Scalar(s) => (s, &[]),
            Value::List(items) if items.len() == 2 => match items[0].as_scalar() {
                Some(s) => (s, items[1].entries()),
                None => return Resolved::unknown("Fn::Sub: the first item must be a string"),
            },
            _ => return Resolved::unknown("Fn::Sub takes a string or [string, {variables}]"),
        };
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(at) = rest.find("${") {
            out.push_str(&rest[..at]);
            let after = &rest[at + 2..];
            if let Some(literal) = after.strip_prefix('!') {
                // `${!Literal}` writes `${Literal}`.
                out.push_str("${");
                rest = literal;
                continue;
            }
            let Some(end) = after.find('}') else {
                out.push_str(&rest[at..]);
                rest = "";
                break;
            };
            let name = after[..end].trim();
            let value = match variables.iter().find(|(k, _)| &**k == name) {
                Some((_, v)) => self.resolve(v),
                None => match name.split_once('.') {
                    Some((resource, attribute)) if !self.parameters.contains_key(name) => {
                        if self.resources.declares(resource) {
                            self.resources.attribute(self, resource, attribute)
                        } else {
                            Resolved::unknown(format!(
                                "Fn::Sub ${{{name}}}: the template declares no resource {resource}"
                            ))
                        }
                    }
                    _ => self.reference(name),
                },
            };
            match value {
                Resolved::Text(t) => out.push_str(&t),
                u @ Resolved::Unknown(_) => return u,
                _ => return Resolved::unknown(format!("Fn::Sub ${{{name}}} is not a string")),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Resolved::Text(out.into())
    }

    fn join(&self, arg: &Node) -> Resolved {
        let items = match self.args("Fn::Join", arg, 2) {
            Ok(items) => items,
            Err(e) => return e,
        };
        let delimiter = match self.resolve(&items[0]) {
            Resolved::Text(d) => d,
            Resolved::Null => "".into(),
            other => return other_or("Fn::Join: the delimiter is not a string", other),
        };
        let parts = match self.resolve(&items[1]) {
            Resolved::List(parts) => parts,
            other => return other_or("Fn::Join takes a list to join", other),
        };
        let mut texts = Vec::with_capacity(parts.len());
        for part in parts {
            match part {
                Resolved::Text(t) => texts.push(t),
                Resolved::NoValue => {}
                other => return other_or("Fn::Join: an item is not a string", other),
            }
        }
        Resolved::Text(texts.join(&delimiter).into())
    }

    fn if_(&self, arg: &Node) -> Resolved {
        let items = match self.args("Fn::If", arg, 3) {
            Ok(items) => items,
            Err(e) => return e,
        };
        let Some(name) = items[0].as_scalar() else {
            return Resolved::unknown("Fn::If: the first item names a condition");
        };
        match self.condition(name) {
            Ok(true) => self.resolve(&items[1]),
            Ok(false) => self.resolve(&items[2]),
            Err(u) => {
                // Both branches alike: the condition does not matter.
                let (a, b) = (self.resolve(&items[1]), self.resolve(&items[2]));
                if a == b {
                    a
                } else {
                    Resolved::Unknown(Unknown {
                        reason: format!("Fn::If {name}: {}", u.reason).into(),
                        plain_parameter: u.plain_parameter,
                        reference: u.reference,
                    })
                }
            }
        }
    }

    fn select(&self, arg: &Node) -> Resolved {
        let items = match self.args("Fn::Select", arg, 2) {
            Ok(items) => items,
            Err(e) => return e,
        };
        let index = match self.resolve(&items[0]) {
            Resolved::Text(t) => match t.trim().parse::<usize>() {
                Ok(i) => i,
                Err(_) => {
                    return Resolved::unknown(format!("Fn::Select: index {t:?} is not a number"))
                }
            },
            other => return other_or("Fn::Select: the index is not a number", other),
        };
        match self.resolve(&items[1]) {
            Resolved::List(list) => list.into_iter().nth(index).unwrap_or_else(|| {
                Resolved::unknown(format!(
                    "Fn::Select: index {index} is past the end of the list"
                ))
            }),
            other => other_or("Fn::Select takes a list", other),
        }
    }

    fn split(&self, arg: &Node) -> Resolved {
        let items = match self.args("Fn::Split", arg, 2) {
            Ok(items) => items,
            Err(e) => return e,
        };
        match (self.resolve(&items[0]), self.resolve(&items[1])) {
            (Resolved::Text(d), Resolved::Text(s)) if !d.is_empty() => {
                Resolved::List(s.split(&*d).map(|p| Resolved::Text(p.into())).collect())
            }
            (u @ Resolved::Unknown(_), _) | (_, u @ Resolved::Unknown(_)) => u,
            _ => Resolved::unknown("Fn::Split takes [delimiter, string]"),
        }
    }

    fn find_in_map(&self, arg: &Node) -> Resolved {
        let items = match &arg.value {
            Value::List(items) if items.len() == 3 || items.len() == 4 => items,
            _ => {
                return Resolved::unknown(
                    "Fn::FindInMap takes [map, top-level key, second-level key]",
                )
            }
        };
        let mut keys = Vec::with_capacity(3);
        for item in &items[..3] {
            match self.resolve(item) {
                Resolved::Text(t) => keys.push(t),
                other => return other_or("Fn::FindInMap: a key is not a string", other),
            }
        }
        let found = self
            .mappings
            .and_then(|m| m.get(&keys[0]))
            .and_then(|m| m.get(&keys[1]))
            .and_then(|m| m.get(&keys[2]));
        match (found, items.get(3).and_then(|d| d.get("DefaultValue"))) {
            (Some(value), _) => self.resolve(value),
            (None, Some(default)) => self.resolve(default),
            (None, None) => Resolved::unknown(format!(
                "Fn::FindInMap: Mappings has no {}.{}.{}",
                keys[0], keys[1], keys[2]
            )),
        }
    }

    /// The value of a named condition.
    pub fn condition(&self, name: &str) -> Result<bool, Unknown> {
        if let Some(known) = self.condition_values.borrow().get(name) {
            return known.clone();
        }
        let value = match self.conditions.get(name) {
            None => Err(Unknown {
                reason: format!("Conditions has no {name}").into(),
                plain_parameter: None,
                reference: false,
            }),
            Some(node) => self.condition_node(node),
        };
        self.condition_values
            .borrow_mut()
            .insert(name.to_owned(), value.clone());
        value
    }

    fn condition_node(&self, node: &Node) -> Result<bool, Unknown> {
        if let [(name, arg)] = node.entries() {
            return self.condition_function(name, arg);
        }
        match self.resolve(node) {
            Resolved::Text(t) => Ok(t.eq_ignore_ascii_case("true")),
            Resolved::Unknown(u) => Err(u),
            _ => Err(Unknown {
                reason: "a condition that is not a condition function".into(),
                plain_parameter: None,
                reference: false,
            }),
        }
    }

    fn condition_function(&self, name: &str, arg: &Node) -> Result<bool, Unknown> {
        let items = match &arg.value {
            Value::List(items) => items.as_slice(),
            _ => std::slice::from_ref(arg),
        };
        match name {
            "Condition" => match arg.as_scalar() {
                Some(c) => self.condition(c),
                None => Err(not_a_condition()),
            },
            "Fn::Equals" if items.len() == 2 => {
                match (self.resolve(&items[0]), self.resolve(&items[1])) {
                    (Resolved::Unknown(u), _) | (_, Resolved::Unknown(u)) => Err(u),
                    (a, b) => Ok(a == b),
                }
            }
            "Fn::Not" if items.len() == 1 => self.condition_node(&items[0]).map(|b| !b),
            "Fn::And" | "Fn::Or" => {
                let want = name == "Fn::Or";
                let mut unknown = None;
                for item in items {
                    match self.condition_node(item) {
                        // One true in an Or, one false in an And, decides.
                        Ok(b) if b == want => return Ok(want),
                        Ok(_) => {}
                        Err(u) => unknown = unknown.or(Some(u)),
                    }
                }
                unknown.map_or(Ok(!want), Err)
            }
            _ => Err(not_a_condition()),
        }
    }
}

fn not_a_condition() -> Unknown {
    Unknown {
        reason: "not a condition function (Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition)".into(),
        plain_parameter: None,
        reference: false,
    }
}

/// An unknown value as it is (its reason is the better one), anything else as `problem`.
fn other_or(problem: &str, value: Resolved) -> Resolved {
    match value {
        u @ Resolved::Unknown(_) => u,
        _ => Resolved::unknown(problem),
    }
}
