//! pipeline-check against moto: pipelines with protected and unprotected stores, assessed end to
//! end from their CloudTrail events, with the notification published to moto's SNS; and the
//! built binary through cargo-lambda's Lambda Runtime API. (moto has no GetPipelineState,
//! Disable/EnableStageTransition or job results: those requests are asserted in
//! `shared/src/aws/tests.rs`, and enforcement through the handler with fakes.)

use std::time::Duration;

use artifact_guard::aws::{AwsAccount, PipelineControl, SnsNotifier};
use artifact_guard::live::Home;
use artifact_guard::live::NoSessions;
use artifact_guard::RuleParameters;
use artifact_guard_tests::{block_on, root, LambdaEmulator, Moto};
use pipeline_check::check::Deps;
use pipeline_check::handler::handle;
use pipeline_check::settings::{Mode, Settings};
use serde_json::{json, Value};

fn create_event(pipeline: &str) -> Value {
    let mut event: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("events/pipeline-check/create-pipeline.json"))
            .expect("fixture"),
    )
    .expect("JSON");
    event["detail"]["requestParameters"]["pipeline"]["name"] = json!(pipeline);
    event["detail"]["recipientAccountId"] = json!("123456789012");
    event["account"] = json!("123456789012");
    event
}

#[test]
fn pipelines_are_assessed_end_to_end_against_moto() {
    let moto = Moto::start();
    let created = moto.create_account();
    let sdk = moto.sdk_config();
    let deps: Deps<AwsAccount, PipelineControl, SnsNotifier> = Deps {
        sources: AwsAccount::new(&sdk),
        control: PipelineControl::new(&sdk),
        notifier: SnsNotifier::new(&sdk),
        settings: Settings {
            mode: Mode::Report,
            notify_topic_arn: created["topic"].as_str().map(str::to_owned),
            parameters: RuleParameters::default(),
        },
        members: NoSessions::default(),
        home: Home::default(),
    };
    let check = |pipeline: &str| -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let out = block_on(async { handle(create_event(pipeline), deadline, &deps).await })
            .expect("handled");
        serde_json::to_value(out).expect("JSON")
    };

    let good = check("good");
    assert_eq!(good["Source"], "GetPipeline");
    assert_eq!(
        good["Evaluation"]["ComplianceType"], "COMPLIANT",
        "{good:#}"
    );
    assert_eq!(good["Notified"], false);

    let aes = check("aes");
    assert_eq!(aes["Evaluation"]["ComplianceType"], "NON_COMPLIANT");
    assert!(
        aes["Evaluation"]["Annotation"]
            .as_str()
            .expect("annotation")
            .starts_with("pipeline-store-protected FAIL"),
        "{aes:#}"
    );
    assert_eq!(aes["Notified"], true, "published to moto's SNS topic");

    let asym = check("asym");
    assert!(
        asym["Evaluation"]["Annotation"]
            .as_str()
            .expect("annotation")
            .contains("pipeline-key-usable"),
        "{asym:#}"
    );

    // A pipeline GetPipeline cannot find: assessed from the request parameters, and says so.
    let missing = check("not-in-moto");
    assert!(
        missing["Source"]
            .as_str()
            .expect("source")
            .starts_with("request parameters"),
        "{missing:#}"
    );
    assert_eq!(
        missing["Evaluation"]["ComplianceType"], "NON_COMPLIANT",
        "its store is not in this account"
    );
}

#[test]
fn the_binary_checks_a_pipeline_through_the_lambda_runtime_api() {
    let moto = Moto::start();
    moto.create_account();
    let emulator = LambdaEmulator::start("pipeline-check", &moto.env());
    let file = root().join(format!(
        "target/test-events/pipeline-check-create-{}.json",
        std::process::id()
    ));
    std::fs::create_dir_all(file.parent().expect("dir")).expect("dir");
    std::fs::write(&file, create_event("token").to_string()).expect("event file");
    let out = emulator.invoke(&file).expect("invoked");
    assert_eq!(out["Outcome"], "Assessed");
    assert!(
        out["Evaluation"]["Annotation"]
            .as_str()
            .expect("annotation")
            .contains("pipeline-no-url-credentials"),
        "{out:#}"
    );
    assert!(
        !out.to_string().contains("ghp_EXAMPLE"),
        "the token is never repeated"
    );
    // The Data Pipeline look-alike is skipped.
    let skipped = emulator
        .invoke(&root().join("events/pipeline-check/datapipeline-create.json"))
        .expect("invoked");
    assert_eq!(skipped["Outcome"], "Skipped");
    // A gate job event carries the job's artifact credentials. moto has no GetJobDetails or
    // PutJob*Result, so this invocation fails after its retries; what matters here is the logs.
    let job = emulator.invoke(&root().join("events/pipeline-check/job.json"));
    assert!(job.is_err(), "moto cannot answer a job: {job:?}");

    // Neither the token in the pipeline's source URL nor the job's credentials reach the logs,
    // even at debug level.
    let logs = emulator.logs();
    assert!(logs.contains("assessed"), "logs were captured: {logs}");
    for secret in [
        "ghp_EXAMPLE",
        "EXAMPLESECRETDONOTLOGTHIS",
        "EXAMPLESESSIONTOKENDONOTLOG",
        "ASIAEXAMPLEDONOTLOG",
    ] {
        assert!(!logs.contains(secret), "{secret} was logged: {logs}");
    }
}
