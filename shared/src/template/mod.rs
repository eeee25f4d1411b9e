//! CloudFormation templates as a source of facts: the verdict on a store or pipeline before it
//! exists (`artifact-guard check-template`, the template hook), from the same controls.
//!
//! ```text
//! text ──yaml──► nodes ──resolve──► values ──read──► Inventory ──► Assessor ──► evaluations
//! ```
//! [`yaml`] keeps every node's line and column and turns short-form tags into the long form;
//! [`resolve`] evaluates intrinsic functions over parameters, conditions and mappings, leaving
//! what the template does not determine as an unknown with its reason; `read` turns buckets
//! with their policies, keys with their aliases, pipelines and `Custom::EncryptedArtifactStore`
//! into facts. Resources a pipeline uses that the template does not declare are listed
//! ([`TemplateFacts::external_buckets`]) so that a caller with AWS access reads them live.

mod read;
pub mod resolve;
mod resources;
pub mod yaml;

use std::collections::HashMap;
use std::sync::Arc;

pub use read::Judged;
pub use yaml::{Node, ParseError};

use crate::assess::{Assessor, Evaluation, RuleParameters, ScopeIndex};
use crate::controls::{ControlId, Status};
use crate::facts::{Fact, Inventory, KeyRef, ResourceFacts, ResourceKind, Subject};
use crate::quote::quoted;
use resolve::{Parameter, Pseudo, Resolved, Resolver};
use resources::Resources;

/// A template that cannot be checked, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The text is not YAML or JSON.
    #[error("{0}")]
    Parse(#[from] ParseError),
    /// It parses, but is not a CloudFormation template.
    #[error("line {line}: {message}")]
    Shape {
        /// Where.
        line: u32,
        /// What is wrong and what to write.
        message: String,
    },
    /// A given parameter value that the template does not take.
    #[error("--parameters {name}: {problem}")]
    Parameter {
        /// The parameter.
        name: String,
        /// What is wrong.
        problem: String,
    },
}

/// Pseudo parameters that a caller may give (`AWS::AccountId=111122223333`).
const GIVEN_PSEUDO: [&str; 4] = [
    "AWS::AccountId",
    "AWS::Region",
    "AWS::Partition",
    "AWS::StackName",
];

/// The account id that stands for the stack's when none is given: no real account has it.
pub const PLACEHOLDER_ACCOUNT: &str = "000000000000";

/// A template's facts, ready to assess.
#[derive(Debug)]
pub struct TemplateFacts {
    /// The template's resources (and placeholders for what it does not determine).
    pub inventory: Inventory,
    /// The resources judged, in template order.
    pub judged: Vec<Judged>,
    buckets_used: Vec<Box<str>>,
    keys_used: Vec<KeyRef>,
    /// The stack's account (given, or [`PLACEHOLDER_ACCOUNT`]).
    pub account: Arc<str>,
    /// The stack's region (given, or `us-east-1`).
    pub region: Arc<str>,
    /// Controls judged elsewhere, and why (a bucket's policy, at a resource target).
    deferred: Vec<(ControlId, &'static str)>,
    /// `Fn::ForEach::…` entries of `Resources` (AWS::LanguageExtensions): their resources exist
    /// only once CloudFormation expands them, so they are not judged here.
    pub unexpanded: Vec<String>,
}

/// Reads a template's text with parameter values (`name`, `value`); pseudo parameters may be
/// given too.
pub fn read(text: &str, given: &[(String, String)]) -> Result<TemplateFacts, TemplateError> {
    let root = yaml::parse(text)?;
    read_node(&root, given)
}

fn shape(node: &Node, message: impl Into<String>) -> TemplateError {
    TemplateError::Shape {
        line: node.line,
        message: message.into(),
    }
}

/// Reads one resource as CloudFormation resolved it (a hook's resource target): its properties
/// are values, not functions, and the stack's account, region and name are given.
pub fn read_resource(
    resource_type: &str,
    logical_id: &str,
    properties: &serde_json::Value,
    given: &[(String, String)],
) -> Result<TemplateFacts, TemplateError> {
    let template = serde_json::json!({"Resources": {logical_id: {
        "Type": resource_type,
        "Properties": properties,
    }}});
    read_node(&Node::from_json(&template), given)
}

/// Reads a parsed template.
pub fn read_node(root: &Node, given: &[(String, String)]) -> Result<TemplateFacts, TemplateError> {
    if !matches!(root.value, yaml::Value::Map(_)) {
        return Err(shape(
            root,
            "a template is a mapping with a Resources section",
        ));
    }
    let Some(section) = root.get("Resources") else {
        return Err(shape(
            root,
            "no Resources section: a CloudFormation template declares its resources under Resources",
        ));
    };
    if !matches!(section.value, yaml::Value::Map(_)) {
        return Err(shape(
            section,
            "Resources is not a mapping of logical ids to resources",
        ));
    }
    let mut order = Vec::new();
    let mut unexpanded = Vec::new();
    for (id, node) in section.entries() {
        // AWS::LanguageExtensions' loops make their resources at deploy time.
        if id.starts_with("Fn::ForEach::") {
            unexpanded.push(id.to_string());
            continue;
        }
        match node.get("Type").and_then(Node::as_scalar) {
            Some(_) => order.push((&**id, node.key_line.max(1))),
            None => {
                return Err(shape(
                    node,
                    format!("Resources.{id} has no Type: every resource names its type (Type: AWS::S3::Bucket)"),
                ))
            }
        }
    }
    let (parameters, pseudo) = parameters(root, given)?;
    let resources = Resources::of(root);
    let resolver = Resolver::new(root, parameters, pseudo, &resources);
    let read = read::read(&resolver, &resources, &order);
    Ok(TemplateFacts {
        inventory: read.inventory,
        judged: read.judged,
        buckets_used: read.buckets_used,
        keys_used: read.keys_used,
        account: resolver.pseudo.account.as_str().into(),
        region: resolver.pseudo.region.as_str().into(),
        deferred: Vec::new(),
        unexpanded,
    })
}

fn parameters(
    root: &Node,
    given: &[(String, String)],
) -> Result<(HashMap<String, Parameter>, Pseudo), TemplateError> {
    let mut pseudo = Pseudo {
        account: PLACEHOLDER_ACCOUNT.into(),
        account_given: false,
        region: "us-east-1".into(),
        partition: "aws".into(),
        stack_name: "stack".into(),
    };
    let declared = root
        .get("Parameters")
        .map(Node::entries)
        .unwrap_or_default();
    let mut out = HashMap::new();
    for (name, node) in declared {
        let text = |k: &str| node.get(k).and_then(Node::as_scalar);
        let type_name = text("Type").unwrap_or("String");
        let list = type_name.starts_with("List<") || type_name == "CommaDelimitedList";
        let value = |v: &str| {
            if list {
                Resolved::List(
                    v.split(',')
                        .map(|p| Resolved::Text(p.trim().into()))
                        .collect(),
                )
            } else {
                Resolved::Text(v.into())
            }
        };
        out.insert(
            name.to_string(),
            Parameter {
                value: text("Default").map(value),
                no_echo: text("NoEcho").is_some_and(|v| v.eq_ignore_ascii_case("true")),
                deploy_time: type_name
                    .starts_with("AWS::SSM::Parameter::Value<")
                    .then(|| {
                        "its value is read from Systems Manager Parameter Store at deploy time"
                            .into()
                    }),
            },
        );
    }
    for (name, value) in given {
        match name.as_str() {
            "AWS::AccountId" => {
                if value.len() != 12 || !value.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(TemplateError::Parameter {
                        name: name.clone(),
                        problem: format!("{} is not an account id (12 digits)", quoted(value)),
                    });
                }
                pseudo.account = value.clone();
                pseudo.account_given = true;
            }
            "AWS::Region" => pseudo.region = value.clone(),
            "AWS::Partition" => pseudo.partition = value.clone(),
            "AWS::StackName" => pseudo.stack_name = value.clone(),
            _ => {
                let Some((_, node)) = declared.iter().find(|(k, _)| **k == *name) else {
                    return Err(TemplateError::Parameter {
                        name: name.clone(),
                        problem: format!(
                            "the template declares no such parameter (it declares: {}; pseudo parameters: {})",
                            if declared.is_empty() { "none".to_owned() } else { declared.iter().map(|(k, _)| &**k).collect::<Vec<_>>().join(", ") },
                            GIVEN_PSEUDO.join(", ")
                        ),
                    });
                };
                if let Some(yaml::Value::List(allowed)) =
                    node.get("AllowedValues").map(|n| &n.value)
                {
                    if !allowed.iter().any(|a| a.as_scalar() == Some(value)) {
                        return Err(TemplateError::Parameter {
                            name: name.clone(),
                            problem: format!("{} is not one of its AllowedValues", quoted(value)),
                        });
                    }
                }
                if let Some(p) = out.get_mut(name) {
                    let list = node
                        .get("Type")
                        .and_then(Node::as_scalar)
                        .is_some_and(|t| t.starts_with("List<") || t == "CommaDelimitedList");
                    p.value = Some(if list {
                        Resolved::List(
                            value
                                .split(',')
                                .map(|v| Resolved::Text(v.trim().into()))
                                .collect(),
                        )
                    } else {
                        Resolved::Text(value.as_str().into())
                    });
                }
            }
        }
    }
    Ok((out, pseudo))
}

impl TemplateFacts {
    /// Buckets the template's pipelines and stores use but do not declare.
    pub fn external_buckets(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .buckets_used
            .iter()
            .map(|b| &**b)
            .filter(|b| self.inventory.bucket(b).is_none())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Keys the template's buckets, pipelines and stores use but do not declare (the AWS
    /// managed `aws/s3` aside).
    pub fn external_keys(&self) -> Vec<&KeyRef> {
        let mut out: Vec<&KeyRef> = Vec::new();
        for key in &self.keys_used {
            if key.is_aws_managed_s3_alias() || self.inventory.resolve_key_id(key).is_some() {
                continue;
            }
            if !out.iter().any(|k| k.as_str() == key.as_str()) {
                out.push(key);
            }
        }
        out
    }

    /// Marks what the template uses but does not declare as UNKNOWN, with the reason: the
    /// verdict of a check that cannot read AWS.
    pub fn mark_external_unknown(&mut self) {
        let buckets: Vec<String> = self
            .external_buckets()
            .iter()
            .map(|b| b.to_string())
            .collect();
        for name in buckets {
            let subject = self.subject(ResourceKind::Bucket, &name, None, None);
            self.inventory.insert(
                subject,
                ResourceFacts::Bucket(Fact::unknown(format!(
                    "bucket {name} is not declared in this template; its protection is read from AWS (artifact-guard scan, the template hook)"
                ))),
            );
        }
        let keys: Vec<KeyRef> = self.external_keys().into_iter().cloned().collect();
        for key in keys {
            let Some(id) = key.key_id() else { continue };
            let subject = self.subject(ResourceKind::Key, id, key.account(), key.region());
            self.inventory.insert(
                subject,
                ResourceFacts::Key(Fact::unknown(format!(
                    "key {key} is not declared in this template; it is read from AWS (artifact-guard scan, the template hook)"
                ))),
            );
        }
    }

    /// A subject in the stack's account and region (or the given ones).
    pub fn subject(
        &self,
        kind: ResourceKind,
        id: &str,
        account: Option<&str>,
        region: Option<&str>,
    ) -> Subject {
        Subject {
            kind,
            id: id.into(),
            account_id: Some(account.map_or_else(|| self.account.clone(), Arc::from)),
            region: Some(region.map_or_else(|| self.region.clone(), Arc::from)),
            captured_at: None,
        }
    }

    /// Reports `controls` NOT_APPLICABLE with `why`: what one resource of a stack cannot decide
    /// alone and another target judges (a bucket's policy is its own resource).
    pub fn defer(&mut self, controls: &[ControlId], why: &'static str) {
        self.deferred.extend(controls.iter().map(|c| (*c, why)));
    }

    /// Each judged resource's evaluation, named by its logical id.
    pub fn evaluate(&self, params: &RuleParameters) -> Vec<(Evaluation, &Judged)> {
        let scope = ScopeIndex::from_inventory(&self.inventory);
        let assessor = Assessor::new(params, &self.inventory, &scope);
        self.judged
            .iter()
            .filter_map(|judged| {
                let entry = self.inventory.entry(judged.kind, &judged.id)?;
                let mut evaluation = assessor.assess(&entry.subject, &entry.facts);
                if !self.deferred.is_empty() && !evaluation.findings.is_empty() {
                    let mut findings = std::mem::take(&mut evaluation.findings);
                    for f in &mut findings {
                        if let Some((_, why)) = self.deferred.iter().find(|(c, _)| *c == f.control)
                        {
                            f.status = Status::NotApplicable;
                            f.detail = std::borrow::Cow::Borrowed(why);
                        }
                    }
                    evaluation = Evaluation::from_findings(&entry.subject, findings);
                }
                evaluation.compliance_resource_id = Arc::from(&*judged.logical_id);
                // The placeholder account and region are not the resource's.
                if &*self.account == PLACEHOLDER_ACCOUNT {
                    evaluation.account_id = None;
                    evaluation.region = None;
                }
                Some((evaluation, judged))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
