//! pipeline-check under injected faults, `enforce` mode: the handler with real SDK clients
//! through the fault proxy. moto has no GetPipelineState, Disable/EnableStageTransition,
//! GetJobDetails or PutJob*Result, so the proxy serves those from a small stateful stand-in
//! (stage transitions per pipeline, job answers recorded) in CodePipeline's JSON wire format;
//! everything else (GetPipeline, S3, KMS, SNS) is moto's.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use artifact_guard::aws::{AwsAccount, PipelineControl, SnsNotifier};
use artifact_guard::live::Home;
use artifact_guard::live::NoSessions;
use artifact_guard::RuleParameters;
use artifact_guard_tests::proxy::{Fault, FaultProxy, Reply, Seen};
use artifact_guard_tests::{block_on, fault_test_limits, root, sdk_config_at, Moto};
use pipeline_check::check::{Deps, REASON_PREFIX};
use pipeline_check::handler::{handle, HandlerError, Output};
use pipeline_check::settings::{Mode, Settings};
use serde_json::{json, Value};

/// Inbound transition per (pipeline, stage): `None` enabled, `Some(reason)` disabled.
type Transitions = Arc<Mutex<BTreeMap<(String, String), Option<String>>>>;
/// Every job answer accepted: (job id, "success" | "failure", message).
type JobAnswers = Arc<Mutex<Vec<(String, String, String)>>>;

struct Rig {
    _moto: Moto,
    proxy: FaultProxy,
    transitions: Transitions,
    answers: JobAnswers,
    deps: Deps<AwsAccount, PipelineControl, SnsNotifier>,
}

fn json_body(seen: &Seen) -> Value {
    serde_json::from_slice(&seen.body).unwrap_or(Value::Null)
}

fn field(v: &Value, name: &str) -> String {
    v[name].as_str().unwrap_or_default().to_owned()
}

impl Rig {
    fn new() -> Self {
        let moto = Moto::start();
        let account = moto.create_account();
        let proxy = FaultProxy::start(moto.endpoint.trim_start_matches("http://"));
        let transitions: Transitions = Arc::default();
        let answers: JobAnswers = Arc::default();

        let t = transitions.clone();
        proxy.serve("codepipeline:GetPipelineState ", move |seen| {
            // GetPipelineState names the pipeline `name`; the transition calls `pipelineName`.
            let pipeline = field(&json_body(seen), "name");
            let all = t.lock().expect("state");
            let stages: Vec<Value> = ["Source", "Deploy"]
                .iter()
                .map(|stage| {
                    let state = match all.get(&(pipeline.clone(), (*stage).to_owned())) {
                        Some(Some(reason)) => json!({"enabled": false, "disabledReason": reason}),
                        _ => json!({"enabled": true}),
                    };
                    json!({"stageName": stage, "inboundTransitionState": state})
                })
                .collect();
            Reply {
                status: 200,
                body:
                    json!({"pipelineName": pipeline, "pipelineVersion": 1, "stageStates": stages})
                        .to_string(),
            }
        });
        for (operation, disable) in [
            ("codepipeline:DisableStageTransition ", true),
            ("codepipeline:EnableStageTransition ", false),
        ] {
            let t = transitions.clone();
            proxy.serve(operation, move |seen| {
                let body = json_body(seen);
                let key = (field(&body, "pipelineName"), field(&body, "stageName"));
                let value = disable.then(|| field(&body, "reason"));
                t.lock().expect("state").insert(key, value);
                Reply {
                    status: 200,
                    body: "{}".into(),
                }
            });
        }
        proxy.serve("codepipeline:GetJobDetails ", |seen| {
            // Job ids name their pipeline: `job-<pipeline>-<n>`.
            let id = field(&json_body(seen), "jobId");
            let pipeline = id.split('-').nth(1).unwrap_or_default().to_owned();
            Reply {
                status: 200,
                body: json!({"jobDetails": {"id": id, "accountId": "123456789012", "data": {
                    "pipelineContext": {"pipelineName": pipeline, "stage": {"name": "Gate"},
                                        "action": {"name": "artifact-guard"}}}}})
                .to_string(),
            }
        });
        for (operation, outcome) in [
            ("codepipeline:PutJobSuccessResult ", "success"),
            ("codepipeline:PutJobFailureResult ", "failure"),
        ] {
            let a = answers.clone();
            proxy.serve(operation, move |seen| {
                let body = json_body(seen);
                let message = body["failureDetails"]["message"]
                    .as_str()
                    .or(body["executionDetails"]["summary"].as_str())
                    .unwrap_or_default()
                    .to_owned();
                a.lock()
                    .expect("answers")
                    .push((field(&body, "jobId"), outcome.into(), message));
                Reply {
                    status: 200,
                    body: "{}".into(),
                }
            });
        }

        let sdk = sdk_config_at(&proxy.endpoint(), fault_test_limits());
        let deps = Deps {
            sources: AwsAccount::new(&sdk),
            control: PipelineControl::new(&sdk),
            notifier: SnsNotifier::new(&sdk),
            settings: Settings {
                mode: Mode::Enforce,
                notify_topic_arn: account["topic"].as_str().map(str::to_owned),
                parameters: RuleParameters::default(),
            },
            members: NoSessions::default(),
            home: Home::default(),
        };
        Self {
            _moto: moto,
            proxy,
            transitions,
            answers,
            deps,
        }
    }

    fn run(&self, event: Value) -> Result<Value, HandlerError> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        block_on(async { handle(event, deadline, &self.deps).await })
            .map(|out: Output| serde_json::to_value(out).expect("JSON"))
    }

    fn update(&self, pipeline: &str) -> Result<Value, HandlerError> {
        let mut event: Value = serde_json::from_str(
            &std::fs::read_to_string(root().join("events/pipeline-check/update-pipeline.json"))
                .expect("fixture"),
        )
        .expect("JSON");
        event["detail"]["requestParameters"]["pipeline"]["name"] = json!(pipeline);
        event["detail"]["recipientAccountId"] = json!("123456789012");
        event["account"] = json!("123456789012");
        self.run(event)
    }

    fn job(&self, id: &str) -> Result<Value, HandlerError> {
        let mut event: Value = serde_json::from_str(
            &std::fs::read_to_string(root().join("events/pipeline-check/job.json"))
                .expect("fixture"),
        )
        .expect("JSON");
        event["CodePipeline.job"]["id"] = json!(id);
        self.run(event)
    }

    fn deploy_transition(&self, pipeline: &str) -> Option<String> {
        self.transitions
            .lock()
            .expect("state")
            .get(&(pipeline.to_owned(), "Deploy".to_owned()))
            .cloned()
            .flatten()
    }

    fn disable_as_artifact_guard(&self, pipeline: &str) {
        self.transitions.lock().expect("state").insert(
            (pipeline.to_owned(), "Deploy".to_owned()),
            Some(format!(
                "{REASON_PREFIX} - pipeline is NON COMPLIANT (test)"
            )),
        );
    }

    fn answers_for(&self, job: &str) -> Vec<(String, String)> {
        self.answers
            .lock()
            .expect("answers")
            .iter()
            .filter(|(id, _, _)| id == job)
            .map(|(_, outcome, message)| (outcome.clone(), message.clone()))
            .collect()
    }
}

#[test]
fn faults_never_enable_a_transition_that_should_stay_disabled() {
    let rig = Rig::new();

    // A NON_COMPLIANT pipeline: throttled DisableStageTransition is retried; artifacts stop.
    rig.proxy.inject(
        "codepipeline:DisableStageTransition",
        Fault::throttling(),
        Some(1),
    );
    let out = rig.update("aes").expect("checked");
    assert_eq!(out["Enforcement"]["Disabled"], json!(["Deploy"]), "{out:#}");
    assert!(rig
        .deploy_transition("aes")
        .is_some_and(|r| r.starts_with(REASON_PREFIX)));

    // The notification failing fails the invocation (EventBridge retries it); artifacts stay
    // stopped.
    rig.proxy.reset();
    rig.proxy
        .inject("sns:Publish", Fault::query(403, "AuthorizationError"), None);
    let error = rig.update("aes").expect_err("not notified");
    assert!(error.to_string().contains("sns:Publish"), "{error}");
    assert!(rig.deploy_transition("aes").is_some());

    // "good" was stopped by artifact-guard earlier; every fault that hides a fact keeps it
    // stopped, whether the invocation fails or assesses NON_COMPLIANT.
    let hiding: Vec<(&str, Fault)> = vec![
        ("kms:DescribeKey", Fault::json(400, "AccessDeniedException")),
        ("kms:", Fault::json(500, "KMSInternalException")),
        ("s3:GetBucketEncryption", Fault::s3(403, "AccessDenied")),
        ("s3:GetBucketPolicy", Fault::Reset),
        ("s3:GetBucketPolicy", Fault::Truncate),
        (
            "codepipeline:GetPipeline ",
            Fault::json(500, "InternalFailure"),
        ),
        (
            "codepipeline:GetPipelineState",
            Fault::json(503, "ServiceUnavailableException"),
        ),
        (
            "codepipeline:EnableStageTransition",
            Fault::json(400, "AccessDeniedException"),
        ),
    ];
    for (operation, fault) in hiding {
        rig.proxy.reset();
        rig.disable_as_artifact_guard("good");
        rig.proxy.inject(operation, fault.clone(), None);
        let out = rig.update("good");
        assert!(
            rig.deploy_transition("good").is_some(),
            "{operation} {}: the transition was enabled: {out:?}",
            fault.name()
        );
        if let Ok(out) = &out {
            assert_eq!(
                out["Evaluation"]["ComplianceType"],
                "NON_COMPLIANT",
                "{operation} {}: {out:#}",
                fault.name()
            );
        }
    }

    // Control case: no fault, the compliant pipeline gets exactly its transition back (so the
    // cases above would have seen an enable had one happened).
    rig.proxy.reset();
    rig.disable_as_artifact_guard("good");
    let out = rig.update("good").expect("checked");
    assert_eq!(out["Enforcement"]["Enabled"], json!(["Deploy"]), "{out:#}");
    assert_eq!(rig.deploy_transition("good"), None);
    assert_eq!(rig.proxy.count("codepipeline:EnableStageTransition"), 1);
}

#[test]
fn every_gate_job_is_answered_once_under_faults() {
    let rig = Rig::new();

    // Throttled answer: retried, one answer.
    rig.proxy.inject(
        "codepipeline:PutJobSuccessResult",
        Fault::throttling(),
        Some(2),
    );
    let out = rig.job("job-good-1").expect("answered");
    assert_eq!(out["Succeeded"], true, "{out:#}");
    assert_eq!(rig.answers_for("job-good-1").len(), 1);

    // Facts hidden by a fault: one failure answer naming the reason.
    let cases: Vec<(&str, &str, Fault)> = vec![
        (
            "job-good-2",
            "kms:DescribeKey",
            Fault::json(400, "AccessDeniedException"),
        ),
        (
            "job-good-3",
            "codepipeline:GetJobDetails",
            Fault::json(500, "InternalFailure"),
        ),
        ("job-good-4", "codepipeline:GetPipeline ", Fault::Reset),
        (
            "job-good-5",
            "s3:GetBucketPolicy",
            Fault::s3(403, "AccessDenied"),
        ),
    ];
    for (job, operation, fault) in cases {
        rig.proxy.reset();
        rig.proxy.inject(operation, fault.clone(), None);
        let out = rig.job(job).expect("answered");
        let answers = rig.answers_for(job);
        assert_eq!(answers.len(), 1, "{operation}: one answer: {answers:?}");
        assert_eq!(
            answers[0].0,
            "failure",
            "{operation} {}: {out:#}",
            fault.name()
        );
        assert_eq!(out["Succeeded"], false);
    }

    // A hung read: the job is still answered (failure) before the deadline.
    rig.proxy.reset();
    rig.proxy.inject(
        "kms:DescribeKey",
        Fault::Delay(Duration::from_secs(30)),
        None,
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    let mut event: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("events/pipeline-check/job.json")).expect("fixture"),
    )
    .expect("JSON");
    event["CodePipeline.job"]["id"] = json!("job-good-6");
    let started = std::time::Instant::now();
    let out = block_on(async { handle(event, deadline, &rig.deps).await }).expect("answered");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "within the deadline"
    );
    let out = serde_json::to_value(out).expect("JSON");
    assert_eq!(out["Succeeded"], false, "{out:#}");
    assert_eq!(rig.answers_for("job-good-6").len(), 1);

    // CodePipeline refusing every answer: the invocation fails (retryable) and no answer was
    // recorded; nothing was reported as answered.
    rig.proxy.reset();
    rig.proxy.inject(
        "codepipeline:PutJob",
        Fault::json(503, "ServiceUnavailableException"),
        None,
    );
    let error = rig.job("job-good-7").expect_err("unanswered");
    assert_eq!(
        lambda_runtime::Diagnostic::from(error).error_type,
        "Retryable"
    );
    assert!(rig.answers_for("job-good-7").is_empty());
}
