//! One hook invocation: read the request, judge what it provisions with the engine, answer.
//!
//! - A resource target is judged with the properties CloudFormation resolved; what it uses but
//!   does not carry (the bucket a pipeline stores in, the key a bucket encrypts with) is read
//!   live, as the Config rule reads it. A required control that fails or cannot be decided
//!   fails the hook (fail closed). A bucket's policy is its own resource: the bucket target
//!   leaves the policy controls to the `AWS::S3::BucketPolicy` target, which judges the
//!   proposed policy on the bucket as it is.
//! - A stack target (or change set) judges the whole template, so that cross-resource controls
//!   (a pipeline and its bucket, policy and key) are judged in context. Its request carries no
//!   parameter values, so only a required control that certainly fails stops it; what depends
//!   on a value the template leaves open is named in the message and decided, fail closed, at
//!   each resource's own target.
//! - The hook's own errors answer `FAILED` with `InternalFailure` and the reason: never
//!   `SUCCESS`.

use std::fmt::Write as _;

use artifact_guard::assess::ANNOTATION_LIMIT;
use artifact_guard::controls::{ControlId, Status};
use artifact_guard::facts::{BucketFacts, Fact, KeyRef, ResourceFacts, ResourceKind};
use artifact_guard::template::{self, Judged, TemplateError, TemplateFacts};
use artifact_guard::{Compliance, Evaluation, RuleParameters};
use serde::Serialize;
use serde_json::Value;

use crate::payload::{FetchError, TemplateSource};
use crate::request::{client_request_token, HookRequest, Point, RequestError, Target};

/// CloudFormation truncates a hook's message at this many characters.
pub const MESSAGE_LIMIT: usize = 4096;

/// Reads what a template's resources use but do not declare.
#[allow(async_fn_in_trait)]
pub trait Referenced {
    /// Adds those buckets and keys (and the keys the buckets use) to `facts.inventory`.
    async fn read_referenced(
        &self,
        facts: &mut TemplateFacts,
        buckets: Vec<String>,
        keys: Vec<KeyRef>,
    );
}

/// What the handler reads from.
pub struct Deps<R, T> {
    pub live: R,
    pub templates: T,
    /// The function's own region, for a request without a stack id (Cloud Control).
    pub region: String,
    pub parameters: RuleParameters,
}

/// The hook's own failures: each answers `FAILED` with `InternalFailure`.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("the stack template: {0}")]
    Template(#[from] TemplateError),
}

impl HookError {
    /// A stable name for logs and alarms.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Request(_) => "InvalidRequest",
            Self::Fetch(_) => "TemplateUnreadable",
            Self::Template(_) => "TemplateInvalid",
        }
    }
}

/// The answer CloudFormation expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HookResponse {
    pub hook_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<&'static str>,
    pub message: String,
    pub client_request_token: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<Annotation>,
}

/// One control's result, for the console's hook details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotation {
    pub annotation_name: String,
    pub status: &'static str,
    pub status_message: String,
    pub remediation_message: &'static str,
    pub severity_level: &'static str,
}

/// Answers one invocation; never fails.
pub async fn handle<R: Referenced, T: TemplateSource>(
    event: &Value,
    deps: &Deps<R, T>,
) -> HookResponse {
    let token = client_request_token(event);
    // Boxed: the gathering's future is deep, and the runtime's loop nests it further.
    match Box::pin(judge(event, deps)).await {
        Ok(mut response) => {
            response.client_request_token = token;
            tracing::info!(
                status = response.hook_status,
                error_code = response.error_code.unwrap_or(""),
                "hook answered"
            );
            response
        }
        Err(e) => {
            tracing::error!(kind = e.kind(), error = %e, "hook failed");
            HookResponse {
                hook_status: "FAILED",
                error_code: Some("InternalFailure"),
                message: cut(&format!(
                    "artifact-guard could not judge this operation: {e}"
                )),
                client_request_token: token,
                annotations: Vec::new(),
            }
        }
    }
}

fn success(message: String) -> HookResponse {
    HookResponse {
        hook_status: "SUCCESS",
        error_code: None,
        message: cut(&message),
        client_request_token: String::new(),
        annotations: Vec::new(),
    }
}

const POLICY_CONTROLS: [ControlId; 3] = [
    ControlId::BucketDenyUnencryptedUploads,
    ControlId::BucketDenyInsecureTransport,
    ControlId::BucketDenyOldTls,
];

async fn judge<R: Referenced, T: TemplateSource>(
    event: &Value,
    deps: &Deps<R, T>,
) -> Result<HookResponse, HookError> {
    let request = HookRequest::parse(event)?;
    tracing::trace!(
        target_kind = match &request.target {
            Target::Template { .. } => "stack",
            Target::Resource { .. } => "resource",
        },
        invocation_point = ?request.point,
        "hook request parsed"
    );
    if request.point == Point::Delete {
        return Ok(success(
            "artifact-guard: nothing to judge in a deletion".into(),
        ));
    }
    let (region, stack_name) = request.stack_region_and_name();
    let mut given = vec![
        ("AWS::AccountId".to_owned(), request.account_id.clone()),
        (
            "AWS::Region".to_owned(),
            region.unwrap_or(&deps.region).to_owned(),
        ),
    ];
    if let Some(name) = stack_name {
        given.push(("AWS::StackName".to_owned(), name.to_owned()));
    }
    if let Some(partition) = request
        .stack_id
        .as_deref()
        .and_then(|id| id.split(':').nth(1))
    {
        given.push(("AWS::Partition".to_owned(), partition.to_owned()));
    }
    match &request.target {
        Target::Template { payload_url } => {
            let text = deps.templates.template(payload_url).await?;
            if text.trim().is_empty() {
                return Ok(success("artifact-guard: the request carries no template to judge".into()));
            }
            let mut facts = template::read(&text, &given)?;
            read_referenced(deps, &mut facts).await;
            let evaluations = facts.evaluate(&deps.parameters);
            let mut answer = verdict(&evaluations, Strictness::CertainFailures);
            if !facts.unexpanded.is_empty() {
                // Their resources are judged at their own resource targets.
                answer.message = cut(&format!(
                    "{}. Resources made by {} are judged at each resource",
                    answer.message,
                    facts.unexpanded.join(", ")
                ));
            }
            Ok(answer)
        }
        Target::Resource { type_name, logical_id, properties } => match type_name.as_str() {
            "AWS::S3::Bucket" | "AWS::KMS::Key" | "AWS::CodePipeline::Pipeline" | "Custom::EncryptedArtifactStore" => {
                let mut facts = template::read_resource(type_name, logical_id, properties, &given)?;
                if type_name == "AWS::S3::Bucket" {
                    facts.defer(&POLICY_CONTROLS, "judged at the bucket's AWS::S3::BucketPolicy and with the whole stack");
                }
                read_referenced(deps, &mut facts).await;
                let evaluations = facts.evaluate(&deps.parameters);
                Ok(verdict(&evaluations, Strictness::FailClosed))
            }
            "AWS::S3::BucketPolicy" => {
                let facts = bucket_policy(deps, logical_id, properties, &given).await?;
                let evaluations = facts.evaluate(&deps.parameters);
                Ok(verdict(&evaluations, Strictness::FailClosed))
            }
            other => Ok(success(format!(
                "artifact-guard judges AWS::S3::Bucket, AWS::S3::BucketPolicy, AWS::KMS::Key, AWS::CodePipeline::Pipeline and Custom::EncryptedArtifactStore; {} is not one of them",
                artifact_guard::quote::cut(other)
            ))),
        },
    }
}

async fn read_referenced<R: Referenced, T>(deps: &Deps<R, T>, facts: &mut TemplateFacts) {
    let buckets: Vec<String> = facts
        .external_buckets()
        .iter()
        .map(|b| b.to_string())
        .collect();
    let keys: Vec<KeyRef> = facts.external_keys().into_iter().cloned().collect();
    if !buckets.is_empty() || !keys.is_empty() {
        deps.live.read_referenced(facts, buckets, keys).await;
    }
    // Whatever could not be read stays UNKNOWN, with the reason.
    facts.mark_external_unknown();
}

/// The proposed policy on the bucket as it is: the bucket's other facts are read live.
async fn bucket_policy<R: Referenced, T>(
    deps: &Deps<R, T>,
    logical_id: &str,
    properties: &Value,
    given: &[(String, String)],
) -> Result<TemplateFacts, HookError> {
    let field = |field: &'static str, problem: &str| {
        HookError::Request(RequestError {
            field,
            problem: problem.to_owned(),
        })
    };
    let bucket = properties
        .get("Bucket")
        .and_then(Value::as_str)
        .filter(|b| !b.is_empty())
        .ok_or_else(|| {
            field(
                "requestData.targetModel.resourceProperties.Bucket",
                "is missing or not a string",
            )
        })?;
    let document = match properties.get("PolicyDocument") {
        Some(Value::String(text)) => text.clone(),
        Some(doc @ Value::Object(_)) => doc.to_string(),
        _ => {
            return Err(field(
                "requestData.targetModel.resourceProperties.PolicyDocument",
                "is missing or not a policy document",
            ))
        }
    };
    let empty = serde_json::json!({});
    let mut facts = template::read_resource("AWS::S3::BucketPolicy", logical_id, &empty, given)?;
    deps.live
        .read_referenced(&mut facts, vec![bucket.to_owned()], Vec::new())
        .await;
    let partition = given
        .iter()
        .find(|(k, _)| k == "AWS::Partition")
        .map_or("aws", |(_, v)| v.as_str());
    let arn = format!("arn:{partition}:s3:::{bucket}");
    let proposed = BucketFacts::policy_from_text(Some(&document), &arn);
    let bucket_facts = match facts.inventory.bucket_facts(bucket) {
        Fact::Known((_, live)) => Fact::Known(Box::new(BucketFacts {
            policy: proposed,
            ..live.clone()
        })),
        Fact::Unknown(why) => Fact::Unknown(why),
    };
    let subject = facts.subject(ResourceKind::Bucket, bucket, None, None);
    facts
        .inventory
        .insert(subject, ResourceFacts::Bucket(bucket_facts));
    facts.judged.push(Judged {
        kind: ResourceKind::Bucket,
        id: bucket.into(),
        logical_id: logical_id.into(),
        resource_type: "AWS::S3::BucketPolicy".into(),
        line: 1,
    });
    Ok(facts)
}

/// Which findings stop the operation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Strictness {
    /// A required control that fails or cannot be decided (a resource target).
    FailClosed,
    /// A required control that certainly fails (a stack target, whose parameter values are
    /// not in the request).
    CertainFailures,
}

fn verdict(evaluations: &[(Evaluation, &Judged)], strictness: Strictness) -> HookResponse {
    let blocks = |status: Status| match strictness {
        Strictness::FailClosed => matches!(status, Status::Fail | Status::Unknown),
        Strictness::CertainFailures => status == Status::Fail,
    };
    let mut failing = String::new();
    let mut undecided = Vec::new();
    let mut annotations = Vec::new();
    for (e, judged) in evaluations {
        let name = format!("{} {}", judged.resource_type, judged.logical_id);
        let mut first = true;
        for f in &e.findings {
            if !matches!(f.status, Status::Fail | Status::Unknown) {
                continue;
            }
            annotations.push(Annotation {
                annotation_name: format!("{} {}", judged.logical_id, f.control),
                status: "FAILED",
                status_message: cut_at(
                    &format!("{}: {}", f.status.as_str(), f.detail),
                    ANNOTATION_LIMIT * 4,
                ),
                remediation_message: f.control.fix(),
                severity_level: if f.required { "HIGH" } else { "MEDIUM" },
            });
            if f.required && blocks(f.status) {
                if first {
                    let _ = write!(
                        failing,
                        "{}{name}:",
                        if failing.is_empty() { "" } else { " " }
                    );
                    first = false;
                }
                let _ = write!(
                    failing,
                    " {} {} ({}); fix: {}",
                    f.control,
                    f.status.as_str(),
                    f.detail,
                    f.control.fix()
                );
            } else if f.required {
                undecided.push(format!("{name} {}", f.control));
            }
        }
    }
    annotations.truncate(50);
    if !failing.is_empty() {
        return HookResponse {
            hook_status: "FAILED",
            error_code: Some("NonCompliant"),
            message: cut(&format!("artifact-guard: NON_COMPLIANT. {failing}")),
            client_request_token: String::new(),
            annotations,
        };
    }
    let judged: Vec<String> = evaluations
        .iter()
        .filter(|(e, _)| e.compliance_type != Compliance::NotApplicable)
        .map(|(_, j)| format!("{} {}", j.resource_type, j.logical_id))
        .collect();
    let mut message = if judged.is_empty() {
        "artifact-guard: no artifact store, key or pipeline to judge here".to_owned()
    } else {
        format!("artifact-guard: compliant: {}", judged.join(", "))
    };
    if !undecided.is_empty() {
        let _ = write!(
            message,
            ". Not decided by the template alone (parameter values, deployed resources), judged at each resource: {}",
            undecided.join(", ")
        );
    }
    HookResponse {
        annotations,
        ..success(message)
    }
}

/// At most [`MESSAGE_LIMIT`] characters, ending in `…` when cut.
fn cut(text: &str) -> String {
    cut_at(text, MESSAGE_LIMIT)
}

fn cut_at(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(limit - 1).collect();
    out.push('…');
    out
}
