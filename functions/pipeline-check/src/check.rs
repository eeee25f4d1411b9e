//! The check after `CreatePipeline`/`UpdatePipeline`: assess with live facts, log one finding
//! line, notify, and (in `enforce` mode) stop or restart artifacts flowing.

use serde::Serialize;
use tracing::info;

use artifact_guard::facts::{pipeline_document, Fact, PipelineFacts, ResourceKind, Subject};
use artifact_guard::live::{
    self, is_account_id, AccountSessions, GatherStats, Home, JobResults, NoSessions, Notifier,
    SessionError, SourceError, Sources, TransitionControl,
};
use artifact_guard::quote;
use artifact_guard::{Assessor, Compliance, ControlId, Evaluation, RuleParameters, ScopeIndex};

use crate::event::PipelineChange;
use crate::settings::{Mode, Settings};

/// What the function needs, built once per process.
pub struct Deps<S, C, N, R = NoSessions<(S, C)>> {
    /// The function's own account's readers.
    pub sources: S,
    /// The function's own account's transitions and job results.
    pub control: C,
    /// Where findings are published (the central topic, whatever the account).
    pub notifier: N,
    pub settings: Settings,
    /// Member accounts' readers and transition control, through the execution role named by
    /// the `executionRoleName` of `RULE_PARAMETERS` (`RoleCache<(AwsAccount, PipelineControl)>`).
    pub members: R,
    /// The function's own account and partition.
    pub home: Home,
}

/// Bounds the ports a handler uses.
pub trait Control: TransitionControl + JobResults {}
impl<T: TransitionControl + JobResults> Control for T {}

/// The result of a check, returned to the caller (and shown by `cargo lambda invoke`).
#[derive(Debug, Serialize)]
#[serde(tag = "Outcome", rename_all_fields = "PascalCase")]
pub enum CheckResult {
    /// The pipeline was assessed.
    Assessed {
        pipeline: String,
        /// `GetPipeline`, or the request parameters when `GetPipeline` failed (with why).
        source: String,
        evaluation: Box<Evaluation>,
        enforcement: Enforcement,
        notified: bool,
    },
    /// The event was not a successful CodePipeline `CreatePipeline`/`UpdatePipeline`.
    Skipped { reason: String },
}

/// What enforcement did.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Enforcement {
    pub mode: &'static str,
    /// Stages whose inbound transition artifact-guard disabled now.
    pub disabled: Vec<String>,
    /// Stages whose inbound transition artifact-guard (earlier) disabled and enabled now.
    pub enabled: Vec<String>,
}

/// Errors that make the invocation fail (EventBridge's async invoke retries it; every step is
/// idempotent).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    InvalidEvent(#[from] crate::event::EventError),
    #[error(transparent)]
    Aws(#[from] SourceError),
    /// The execution role in the event's account could not be assumed.
    #[error(transparent)]
    Role(#[from] SessionError),
    /// An event of another account, without an execution role to judge it with.
    #[error("the event is of account {account}, not this function's account {home}: set executionRoleName in RULE_PARAMETERS to the role artifact-guard assumes in member accounts (org/member.yaml makes artifact-guard-execution)")]
    OtherAccount { account: String, home: String },
}

impl From<CheckError> for lambda_runtime::Diagnostic {
    fn from(error: CheckError) -> Self {
        let error_type = match &error {
            CheckError::InvalidEvent(_) | CheckError::OtherAccount { .. } => "InvalidEvent",
            CheckError::Role(_) => "RoleNotAssumable",
            CheckError::Aws(e) if e.retryable() => "Retryable",
            CheckError::Aws(_) => "NonRetryable",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.into(),
            error_message: error.to_string(),
        }
    }
}

/// Prefix of every transition-disabled reason artifact-guard writes; how it recognises its own.
pub const REASON_PREFIX: &str = "artifact-guard";

/// Checks one pipeline change in the account that made it: the function's own, or a member's
/// through its execution role (findings are published centrally, naming the account).
pub async fn check<S, C, N, R, S2, C2>(
    change: PipelineChange,
    deps: &Deps<S, C, N, R>,
) -> Result<CheckResult, CheckError>
where
    S: Sources,
    C: Control,
    N: Notifier,
    R: AccountSessions<Session = (S2, C2)>,
    S2: Sources,
    C2: Control,
{
    let home = deps.home.account();
    let account = change.account_id.as_deref();
    let foreign = match (account, home) {
        (Some(account), Some(home)) => account != home,
        // Where the home is not known, an execution role says the event is a member's.
        (Some(_), None) => deps.settings.parameters.execution_role_name.is_some(),
        (None, _) => false,
    };
    if !foreign {
        return check_in(change, &deps.sources, &deps.control, deps).await;
    }
    let account = account.unwrap_or_default().to_owned();
    let Some(role) = &deps.settings.parameters.execution_role_name else {
        return Err(CheckError::OtherAccount {
            account,
            home: home.unwrap_or_default().to_owned(),
        });
    };
    if !is_account_id(&account) {
        return Err(crate::event::EventError {
            field: "account",
            problem: format!("{} is not an AWS account id", quote::quoted(&account)),
        }
        .into());
    }
    let partition = deps.home.partition().unwrap_or("aws");
    let role_arn = format!("arn:{partition}:iam::{account}:role/{role}");
    let session = deps.members.session(&role_arn, &account).await?;
    check_in(change, &session.0, &session.1, deps).await
}

async fn check_in<S2: Sources, C2: Control, S, C, N: Notifier, R>(
    change: PipelineChange,
    sources: &S2,
    control: &C2,
    deps: &Deps<S, C, N, R>,
) -> Result<CheckResult, CheckError> {
    let account = change.account_id.as_deref();
    let (facts, source) = match sources.read_pipeline(&change.pipeline, account).await {
        Fact::Known(facts) => (Fact::Known(facts), "GetPipeline".to_owned()),
        Fact::Unknown(why) => match from_request(&change) {
            Ok(facts) => (
                Fact::Known(facts),
                format!("request parameters (GetPipeline failed: {why})"),
            ),
            Err(problem) => (
                Fact::Unknown(
                    format!("{why}; the request parameters cannot be read either: {problem}")
                        .into(),
                ),
                "none".into(),
            ),
        },
    };
    let evaluation = assess(
        sources,
        &change.pipeline,
        account,
        facts,
        &deps.settings.parameters,
    )
    .await;
    let failing: Vec<&str> = evaluation
        .failing_controls()
        .filter(|f| f.required)
        .map(|f| f.control.as_str())
        .collect();
    info!(
        pipeline = %change.pipeline,
        account = account.unwrap_or("-"),
        event = %change.event_name,
        compliance = evaluation.compliance_type.as_str(),
        score = evaluation.score,
        failing = %failing.join(","),
        source = %source,
        "assessed"
    );
    let enforcement = match deps.settings.mode {
        Mode::Report => Enforcement {
            mode: "report",
            ..Enforcement::default()
        },
        Mode::Enforce => enforce(control, &change.pipeline, &evaluation).await?,
    };
    let notified = match &deps.settings.notify_topic_arn {
        Some(topic)
            if evaluation.compliance_type == Compliance::NonCompliant
                || !enforcement.enabled.is_empty() =>
        {
            let (subject, message) =
                notification(&change.pipeline, account, &evaluation, &enforcement);
            deps.notifier.publish(topic, &subject, &message).await?;
            true
        }
        _ => false,
    };
    Ok(CheckResult::Assessed {
        pipeline: change.pipeline,
        source,
        evaluation: Box::new(evaluation),
        enforcement,
        notified,
    })
}

fn from_request(change: &PipelineChange) -> Result<PipelineFacts, String> {
    let requested = change
        .requested
        .as_ref()
        .ok_or("the request carries no pipeline")?;
    let doc = pipeline_document(requested, &change.pipeline, change.requested_tags.clone())?;
    Ok(PipelineFacts::from_document(
        doc,
        change.account_id.as_deref(),
    ))
}

/// Assesses one pipeline with its stores' live facts; an unreadable pipeline is NON_COMPLIANT.
pub async fn assess<S: Sources>(
    sources: &S,
    pipeline: &str,
    account: Option<&str>,
    facts: Fact<PipelineFacts>,
    parameters: &RuleParameters,
) -> Evaluation {
    let subject = Subject {
        kind: ResourceKind::Pipeline,
        id: pipeline.into(),
        account_id: account.map(Into::into),
        region: None,
        captured_at: None,
    };
    let facts = match facts {
        Fact::Known(facts) => facts,
        Fact::Unknown(why) => {
            return Evaluation::unreadable(
                ResourceKind::Pipeline.config_type(),
                pipeline,
                None,
                why.to_string(),
            )
        }
    };
    let mut stats = GatherStats::default();
    let inventory = live::gather_for_pipeline(sources, subject.clone(), facts, &mut stats).await;
    let scope = ScopeIndex::default();
    match inventory.entry(ResourceKind::Pipeline, pipeline) {
        Some(entry) => Assessor::new(parameters, &inventory, &scope).assess(&subject, &entry.facts),
        None => Evaluation::unreadable(
            ResourceKind::Pipeline.config_type(),
            pipeline,
            None,
            "not gathered".into(),
        ),
    }
}

/// `enforce` mode: a NON_COMPLIANT pipeline gets the inbound transition of every stage after the
/// first disabled (artifacts stop at the source); a COMPLIANT one gets back exactly the
/// transitions artifact-guard disabled, recognised by their reason, and no others.
async fn enforce<C: Control>(
    control: &C,
    pipeline: &str,
    evaluation: &Evaluation,
) -> Result<Enforcement, SourceError> {
    let mut done = Enforcement {
        mode: "enforce",
        ..Enforcement::default()
    };
    let stages = control.stage_transitions(pipeline).await?;
    if evaluation.compliance_type == Compliance::NonCompliant {
        let reason = transition_reason(
            evaluation
                .failing_controls()
                .filter(|f| f.required)
                .map(|f| f.control),
        );
        for stage in stages.iter().skip(1).filter(|s| s.inbound_enabled) {
            control
                .disable_inbound(pipeline, &stage.stage, &reason)
                .await?;
            done.disabled.push(stage.stage.clone());
        }
    } else {
        let ours = |s: &&live::StageTransition| {
            !s.inbound_enabled
                && s.disabled_reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with(REASON_PREFIX))
        };
        for stage in stages.iter().filter(ours) {
            control.enable_inbound(pipeline, &stage.stage).await?;
            done.enabled.push(stage.stage.clone());
        }
    }
    Ok(done)
}

/// `DisableStageTransition` takes 1–300 characters of `[a-zA-Z0-9!@ ()\.\*\?\-]`: no colon, so
/// the reason reads `artifact-guard - …`.
pub fn transition_reason(failing: impl Iterator<Item = ControlId>) -> String {
    let ids: Vec<&str> = failing.map(ControlId::as_str).collect();
    let text = format!(
        "{REASON_PREFIX} - pipeline is NON COMPLIANT ({}) - fix it and update the pipeline",
        ids.join(" ")
    );
    let allowed = |c: char| c.is_ascii_alphanumeric() || "!@ ().*?-".contains(c);
    let cleaned: String = text
        .chars()
        .map(|c| if allowed(c) { c } else { ' ' })
        .collect();
    cleaned.chars().take(300).collect()
}

/// An SNS subject (ASCII, at most 100 characters) and a message a person can act on.
pub fn notification(
    pipeline: &str,
    account: Option<&str>,
    evaluation: &Evaluation,
    enforcement: &Enforcement,
) -> (String, String) {
    let verdict = evaluation.compliance_type.as_str();
    let place = account.map_or_else(String::new, |a| format!(" in account {a}"));
    let subject: String = format!("artifact-guard: pipeline {pipeline}{place} is {verdict}")
        .chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .take(100)
        .collect();
    let mut message = format!(
        "Pipeline {pipeline}{place} is {verdict} (score {}).\n",
        evaluation
            .score
            .map_or_else(|| "-".to_owned(), |s| s.to_string())
    );
    for finding in evaluation.failing_controls() {
        let kind = if finding.required {
            "required"
        } else {
            "advisory"
        };
        message.push_str(&format!(
            "\n- {} ({kind}, {}): {}\n  Fix: {}\n",
            finding.control,
            finding.status.as_str(),
            finding.detail,
            finding.control.fix()
        ));
    }
    if evaluation.findings.is_empty() && evaluation.compliance_type == Compliance::NonCompliant {
        message.push_str(&format!("\n{}\n", evaluation.annotation));
    }
    if !enforcement.disabled.is_empty() {
        message.push_str(&format!(
            "\nArtifacts are stopped: the inbound transitions of {} were disabled. They are enabled again when an update makes the pipeline compliant.\n",
            enforcement.disabled.join(", ")
        ));
    }
    if !enforcement.enabled.is_empty() {
        message.push_str(&format!(
            "\nThe transitions into {} were enabled again.\n",
            enforcement.enabled.join(", ")
        ));
    }
    (subject, message)
}
