//! Handler tests: the fixture events of `events/pipeline-check/`, fakes behind the ports, and
//! assertions on results and on every transition, job result and notification requested.

use std::cell::RefCell;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::Instant;

use artifact_guard::facts::{
    pipeline_document, AccountFacts, BucketFacts, ConfigurationItem, Fact, KeyRef, PipelineFacts,
    ResourceKind,
};
use artifact_guard::live::{
    AccountReader, BucketReader, ConfigReader, ErrorKind, ItemKey, JobResults, KeyReader,
    KeyRecord, Notifier, PipelineReader, SourceError, StageTransition, TaggedResourceFinder,
    TaggedStores, TransitionControl,
};
use artifact_guard::RuleParameters;

use crate::check::{Deps, REASON_PREFIX};
use crate::handler::{handle, HandlerError};
use crate::settings::{Mode, Settings};
use artifact_guard::live::{FixedSessions, Home, NoSessions};

const CREATE: &str = include_str!("../../../events/pipeline-check/create-pipeline.json");
const UPDATE: &str = include_str!("../../../events/pipeline-check/update-pipeline.json");
const DATA_PIPELINE: &str = include_str!("../../../events/pipeline-check/datapipeline-create.json");
const FAILED_CALL: &str = include_str!("../../../events/pipeline-check/failed-call.json");
const JOB: &str = include_str!("../../../events/pipeline-check/job.json");
const PIPELINE_ITEM: &str =
    include_str!("../../../tests/fixtures/items/pipeline-notification-shape.json");
const BUCKET_ITEM: &str =
    include_str!("../../../tests/fixtures/items/bucket-notification-shape.json");
const KEY_ITEM: &str = include_str!("../../../tests/fixtures/items/key-notification-shape.json");

fn pipeline_facts() -> PipelineFacts {
    let item: Value = serde_json::from_str(PIPELINE_ITEM).expect("fixture");
    let doc = pipeline_document(
        &item["configuration"]["pipeline"],
        "release-web",
        Some(vec![]),
    )
    .expect("declaration");
    PipelineFacts::from_document(doc, Some("111122223333"))
}

/// Live facts: the fixture pipeline, its store and key in Config (unless `unrecorded`).
#[derive(Default)]
struct FakeSources {
    get_pipeline_fails: bool,
    unrecorded: bool,
    panics: bool,
    slow: bool,
    /// Pipelines read.
    reads: RefCell<Vec<String>>,
}

impl PipelineReader for FakeSources {
    async fn list_pipelines(&self) -> Result<Vec<String>, SourceError> {
        Ok(vec!["release-web".into()])
    }
    async fn read_pipeline(&self, name: &str, _account: Option<&str>) -> Fact<PipelineFacts> {
        self.reads.borrow_mut().push(name.to_owned());
        assert!(!self.panics, "injected panic");
        if self.slow {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        if self.get_pipeline_fails {
            return Fact::unknown(
                "codepipeline:GetPipeline failed: AccessDeniedException: injected",
            );
        }
        Fact::Known(pipeline_facts())
    }
    async fn pipeline_tags(&self, _arn: &str) -> Fact<Vec<(Box<str>, Box<str>)>> {
        unreachable!("pipeline-check reads one pipeline with GetPipeline, never a sweep")
    }
}

impl ConfigReader for FakeSources {
    async fn batch_get(&self, keys: &[ItemKey]) -> Result<Vec<ConfigurationItem>, SourceError> {
        if self.unrecorded {
            return Ok(Vec::new());
        }
        Ok(keys
            .iter()
            .filter_map(|k| match k.kind {
                ResourceKind::Bucket => Some(BUCKET_ITEM),
                ResourceKind::Key => Some(KEY_ITEM),
                ResourceKind::Pipeline | ResourceKind::Account => None,
            })
            .map(|t| ConfigurationItem::from_json(t).expect("fixture"))
            .collect())
    }
    async fn latest_item(
        &self,
        _kind: ResourceKind,
        _id: &str,
    ) -> Result<Option<ConfigurationItem>, SourceError> {
        Ok(None)
    }
}

impl AccountReader for FakeSources {
    async fn read_account(&self) -> AccountFacts {
        unreachable!("pipeline-check judges one pipeline, never the account")
    }
}

impl BucketReader for FakeSources {
    async fn read_bucket(&self, name: &str) -> Fact<BucketFacts> {
        Fact::unknown(format!(
            "s3:GetBucketEncryption failed: AccessDenied on {name}"
        ))
    }
}

impl KeyReader for FakeSources {
    async fn read_key_policy(&self, _key: &KeyRef) -> Fact<Box<str>> {
        Fact::unknown("the pipeline check reads key policies through read_key")
    }

    async fn read_key(&self, key: &KeyRef) -> KeyRecord {
        KeyRecord {
            id: key.key_id().unwrap_or(key.as_str()).into(),
            alias: None,
            account_id: None,
            facts: artifact_guard::facts::ResourceFacts::Key(Fact::unknown(
                "kms:DescribeKey failed: AccessDenied",
            )),
        }
    }
}

impl TaggedResourceFinder for FakeSources {
    async fn tagged_stores(&self) -> Result<TaggedStores, SourceError> {
        Ok(TaggedStores::default())
    }
}

/// CodePipeline transitions and job results, recorded.
#[derive(Default)]
struct FakeControl {
    stages: RefCell<Vec<StageTransition>>,
    calls: RefCell<Vec<String>>,
    job_pipeline_fails: bool,
    put_fails: bool,
}

impl FakeControl {
    fn with_stages(stages: &[(&str, bool, Option<&str>)]) -> Self {
        let control = Self::default();
        *control.stages.borrow_mut() = stages
            .iter()
            .map(|(s, enabled, reason)| StageTransition {
                stage: (*s).into(),
                inbound_enabled: *enabled,
                disabled_reason: reason.map(str::to_owned),
            })
            .collect();
        control
    }

    fn calls(&self) -> Vec<String> {
        self.calls.borrow().clone()
    }
}

impl TransitionControl for FakeControl {
    async fn stage_transitions(&self, pipeline: &str) -> Result<Vec<StageTransition>, SourceError> {
        self.calls
            .borrow_mut()
            .push(format!("GetPipelineState {pipeline}"));
        Ok(self.stages.borrow().clone())
    }
    async fn disable_inbound(
        &self,
        pipeline: &str,
        stage: &str,
        reason: &str,
    ) -> Result<(), SourceError> {
        self.calls.borrow_mut().push(format!(
            "DisableStageTransition {pipeline} {stage} Inbound {reason}"
        ));
        Ok(())
    }
    async fn enable_inbound(&self, pipeline: &str, stage: &str) -> Result<(), SourceError> {
        self.calls
            .borrow_mut()
            .push(format!("EnableStageTransition {pipeline} {stage} Inbound"));
        Ok(())
    }
}

impl JobResults for FakeControl {
    async fn job_pipeline(&self, job_id: &str) -> Result<String, SourceError> {
        self.calls
            .borrow_mut()
            .push(format!("GetJobDetails {job_id}"));
        if self.job_pipeline_fails {
            return Err(SourceError {
                operation: "codepipeline:GetJobDetails",
                kind: ErrorKind::AccessDenied,
                message: "denied".into(),
            });
        }
        Ok("release-web".into())
    }
    async fn put_job_success(&self, job_id: &str, summary: &str) -> Result<(), SourceError> {
        self.calls
            .borrow_mut()
            .push(format!("PutJobSuccessResult {job_id} {summary}"));
        self.put_result()
    }
    async fn put_job_failure(&self, job_id: &str, message: &str) -> Result<(), SourceError> {
        self.calls
            .borrow_mut()
            .push(format!("PutJobFailureResult {job_id} {message}"));
        self.put_result()
    }
}

impl FakeControl {
    fn put_result(&self) -> Result<(), SourceError> {
        if self.put_fails {
            return Err(SourceError {
                operation: "codepipeline:PutJobSuccessResult",
                kind: ErrorKind::Unavailable,
                message: "503".into(),
            });
        }
        Ok(())
    }
}

#[derive(Default)]
struct FakeNotifier {
    published: RefCell<Vec<(String, String, String)>>,
}

impl Notifier for FakeNotifier {
    async fn publish(
        &self,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> Result<(), SourceError> {
        self.published
            .borrow_mut()
            .push((topic_arn.into(), subject.into(), message.into()));
        Ok(())
    }
}

const TOPIC: &str = "arn:aws:sns:eu-west-1:111122223333:artifact-guard";

fn deps(
    sources: FakeSources,
    control: FakeControl,
    mode: Mode,
) -> Deps<FakeSources, FakeControl, FakeNotifier> {
    Deps {
        sources,
        control,
        notifier: FakeNotifier::default(),
        settings: Settings {
            mode,
            notify_topic_arn: Some(TOPIC.into()),
            parameters: RuleParameters::default(),
        },
        members: NoSessions::default(),
        home: Home::default(),
    }
}

fn run(
    event: &str,
    d: &Deps<FakeSources, FakeControl, FakeNotifier>,
) -> Result<Value, HandlerError> {
    run_within(event, d, Duration::from_secs(60))
}

fn run_within(
    event: &str,
    d: &Deps<FakeSources, FakeControl, FakeNotifier>,
    budget: Duration,
) -> Result<Value, HandlerError> {
    let event: Value = serde_json::from_str(event).expect("fixture");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime")
        .block_on(async { handle(event, Instant::now() + budget, d).await })
        .map(|out| serde_json::to_value(out).expect("serialisable"))
}

const STAGES: [(&str, bool, Option<&str>); 3] = [
    ("Source", true, None),
    ("Build", true, None),
    ("Deploy", true, None),
];

#[test]
fn a_compliant_pipeline_is_assessed_from_get_pipeline_and_left_alone() {
    let d = deps(
        FakeSources::default(),
        FakeControl::with_stages(&STAGES),
        Mode::Enforce,
    );
    let out = run(CREATE, &d).expect("handled");
    assert_eq!(out["Outcome"], "Assessed");
    assert_eq!(out["Source"], "GetPipeline");
    assert_eq!(out["Evaluation"]["ComplianceType"], "COMPLIANT", "{out:#}");
    assert_eq!(d.control.calls(), vec!["GetPipelineState release-web"]);
    assert!(
        d.notifier.published.borrow().is_empty(),
        "nothing to act on"
    );
}

#[test]
fn when_get_pipeline_fails_the_request_parameters_are_used_and_named() {
    let d = deps(
        FakeSources {
            get_pipeline_fails: true,
            ..FakeSources::default()
        },
        FakeControl::default(),
        Mode::Report,
    );
    let out = run(CREATE, &d).expect("handled");
    assert!(
        out["Source"]
            .as_str()
            .expect("source")
            .starts_with("request parameters (GetPipeline failed"),
        "{out:#}"
    );
    assert_eq!(out["Evaluation"]["ComplianceType"], "COMPLIANT");
    assert!(d.control.calls().is_empty(), "report mode changes nothing");
}

#[test]
fn enforce_disables_every_inbound_transition_after_the_first_and_notifies() {
    let d = deps(
        FakeSources {
            unrecorded: true,
            ..FakeSources::default()
        },
        FakeControl::with_stages(&STAGES),
        Mode::Enforce,
    );
    let out = run(UPDATE, &d).expect("handled");
    assert_eq!(out["Evaluation"]["ComplianceType"], "NON_COMPLIANT");
    assert_eq!(out["Enforcement"]["Disabled"], json!(["Build", "Deploy"]));
    let calls = d.control.calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    for call in &calls[1..] {
        let reason = call.split(" Inbound ").nth(1).expect("reason");
        assert!(
            reason.starts_with(REASON_PREFIX) && reason.len() <= 300,
            "{reason}"
        );
        assert!(
            reason
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!@ ().*?-".contains(c)),
            "API pattern: {reason}"
        );
        assert!(reason.contains("pipeline-store-protected"), "{reason}");
    }
    let published = d.notifier.published.borrow();
    let (topic, subject, message) = &published[0];
    assert_eq!(topic, TOPIC);
    assert_eq!(
        subject,
        "artifact-guard: pipeline release-web in account 111122223333 is NON_COMPLIANT"
    );
    assert!(
        message.contains("pipeline-store-protected")
            && message.contains("Fix:")
            && message.contains("Build, Deploy"),
        "{message}"
    );
    assert_eq!(out["Notified"], true);
}

#[test]
fn a_compliant_update_enables_exactly_the_transitions_artifact_guard_disabled() {
    let stages = [
        ("Source", true, None),
        (
            "Build",
            false,
            Some("artifact-guard - pipeline is NON COMPLIANT (pipeline-store-protected)"),
        ),
        (
            "Deploy",
            false,
            Some("frozen for the release by the on-call team"),
        ),
    ];
    let d = deps(
        FakeSources::default(),
        FakeControl::with_stages(&stages),
        Mode::Enforce,
    );
    let out = run(UPDATE, &d).expect("handled");
    assert_eq!(out["Enforcement"]["Enabled"], json!(["Build"]));
    assert_eq!(
        d.control.calls(),
        vec![
            "GetPipelineState release-web",
            "EnableStageTransition release-web Build Inbound"
        ]
    );
    assert!(d.notifier.published.borrow()[0].2.contains("enabled again"));
}

#[test]
fn other_events_are_skipped_with_the_reason_and_no_calls() {
    for (event, expected) in [
        (DATA_PIPELINE, "datapipeline"),
        (FAILED_CALL, "AccessDeniedException"),
    ] {
        let d = deps(
            FakeSources::default(),
            FakeControl::with_stages(&STAGES),
            Mode::Enforce,
        );
        let out = run(event, &d).expect("handled");
        assert_eq!(out["Outcome"], "Skipped");
        assert!(
            out["Reason"].as_str().expect("reason").contains(expected),
            "{out:#}"
        );
        assert!(d.control.calls().is_empty());
    }
}

fn job_calls(d: &Deps<FakeSources, FakeControl, FakeNotifier>) -> Vec<String> {
    d.control
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("PutJob"))
        .collect()
}

#[test]
fn the_gate_answers_each_job_exactly_once() {
    // Compliant: success.
    let d = deps(FakeSources::default(), FakeControl::default(), Mode::Report);
    let out = run(JOB, &d).expect("answered");
    assert_eq!(out["Succeeded"], true);
    let calls = job_calls(&d);
    assert_eq!(calls.len(), 1);
    assert!(
        calls[0].starts_with("PutJobSuccessResult 11111111-abcd-1111-abcd-111111abcdef"),
        "{calls:?}"
    );

    // Non-compliant, job lookup failing, a panic, a timeout: one failure each.
    let cases: Vec<(FakeSources, FakeControl, Duration, &str)> = vec![
        (
            FakeSources {
                unrecorded: true,
                ..FakeSources::default()
            },
            FakeControl::default(),
            Duration::from_secs(60),
            "NON_COMPLIANT",
        ),
        (
            FakeSources::default(),
            FakeControl {
                job_pipeline_fails: true,
                ..FakeControl::default()
            },
            Duration::from_secs(60),
            "could not assess",
        ),
        (
            FakeSources {
                panics: true,
                ..FakeSources::default()
            },
            FakeControl::default(),
            Duration::from_secs(60),
            "failed internally",
        ),
        (
            FakeSources {
                slow: true,
                ..FakeSources::default()
            },
            FakeControl::default(),
            Duration::from_secs(10),
            "timed out",
        ),
    ];
    for (sources, control, budget, expected) in cases {
        let d = deps(sources, control, Mode::Report);
        let out = run_within(JOB, &d, budget).expect("answered");
        assert_eq!(out["Succeeded"], false);
        let calls = job_calls(&d);
        assert_eq!(calls.len(), 1, "{calls:?}");
        assert!(
            calls[0].starts_with("PutJobFailureResult") && calls[0].contains(expected),
            "{calls:?}"
        );
    }

    // The answer itself failing is an error (Lambda retries the invocation).
    let d = deps(
        FakeSources::default(),
        FakeControl {
            put_fails: true,
            ..FakeControl::default()
        },
        Mode::Report,
    );
    let err = run(JOB, &d).expect_err("not answered");
    assert_eq!(
        lambda_runtime::Diagnostic::from(err).error_type,
        "Retryable"
    );
}

#[test]
fn results_never_carry_the_jobs_artifact_credentials() {
    let d = deps(FakeSources::default(), FakeControl::default(), Mode::Report);
    let out = run(JOB, &d).expect("answered");
    let text = out.to_string() + &d.control.calls().join("\n");
    for secret in [
        "EXAMPLESECRETDONOTLOGTHIS",
        "EXAMPLESESSIONTOKENDONOTLOG",
        "ASIAEXAMPLEDONOTLOG",
    ] {
        assert!(!text.contains(secret), "{secret} leaked");
    }
}

const MEMBER_ROLE: &str = "arn:aws:iam::111122223333:role/artifact-guard-execution";

// The port hands out `Arc`s; the fakes are single-threaded.
#[allow(clippy::arc_with_non_send_sync)]
fn central(
    mode: Mode,
) -> Deps<FakeSources, FakeControl, FakeNotifier, FixedSessions<(FakeSources, FakeControl)>> {
    let mut members = FixedSessions::default();
    members.sessions.insert(
        MEMBER_ROLE.into(),
        std::sync::Arc::new((
            FakeSources {
                unrecorded: true,
                ..FakeSources::default()
            },
            FakeControl::with_stages(&STAGES),
        )),
    );
    let parameters = RuleParameters {
        execution_role_name: Some("artifact-guard-execution".into()),
        ..RuleParameters::default()
    };
    Deps {
        sources: FakeSources::default(),
        control: FakeControl::with_stages(&STAGES),
        notifier: FakeNotifier::default(),
        settings: Settings {
            mode,
            notify_topic_arn: Some(TOPIC.into()),
            parameters,
        },
        members,
        home: Home::known("999988887777", "aws"),
    }
}

fn run_central(
    event: &str,
    d: &Deps<FakeSources, FakeControl, FakeNotifier, FixedSessions<(FakeSources, FakeControl)>>,
) -> Result<Value, HandlerError> {
    let event: Value = serde_json::from_str(event).expect("fixture");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(handle(event, Instant::now() + Duration::from_secs(60), d))
        .map(|out| serde_json::to_value(out).expect("serialisable"))
}

#[test]
fn a_forwarded_member_change_is_judged_and_enforced_through_the_execution_role() {
    let d = central(Mode::Enforce);
    let out = run_central(UPDATE, &d).expect("handled");
    assert_eq!(d.members.asked(), [MEMBER_ROLE]);
    assert_eq!(out["Evaluation"]["ComplianceType"], "NON_COMPLIANT");
    let member = &d.members.sessions[MEMBER_ROLE];
    assert_eq!(
        member.1.calls().len(),
        3,
        "the member's transitions: {:?}",
        member.1.calls()
    );
    assert!(
        d.control.calls().is_empty(),
        "the central pipelines are untouched"
    );
    assert!(!member.0.reads.borrow().is_empty(), "the member was read");
    assert!(
        d.sources.reads.borrow().is_empty(),
        "the central account was not read"
    );
    let published = d.notifier.published.borrow();
    assert!(
        published[0].1.contains("in account 111122223333"),
        "the notification names the account: {}",
        published[0].1
    );
}

#[test]
fn a_member_change_without_an_execution_role_or_with_one_refused() {
    let mut d = deps(
        FakeSources::default(),
        FakeControl::with_stages(&STAGES),
        Mode::Enforce,
    );
    d.home = Home::known("999988887777", "aws");
    let error = run(UPDATE, &d).expect_err("another account");
    assert!(error.to_string().contains("executionRoleName"), "{error}");
    assert_eq!(
        lambda_runtime::Diagnostic::from(error).error_type,
        "InvalidEvent"
    );
    assert!(d.control.calls().is_empty() && d.sources.reads.borrow().is_empty());

    let mut d = central(Mode::Enforce);
    d.members.sessions.clear();
    let error = run_central(UPDATE, &d).expect_err("not assumable");
    assert!(error.to_string().contains(MEMBER_ROLE), "{error}");
    assert_eq!(
        lambda_runtime::Diagnostic::from(error).error_type,
        "RoleNotAssumable"
    );
    assert!(
        d.notifier.published.borrow().is_empty(),
        "nothing notified as judged"
    );
}
