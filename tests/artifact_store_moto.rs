//! The artifact-store custom resource against moto, answering a recording endpoint on loopback
//! through the real HTTP client: create, update (same name, new name, key change) and delete
//! (retain, empty, not empty, unknown id), a failing endpoint, a near deadline, bad properties,
//! and the built binary through cargo-lambda's Lambda Runtime API.

use std::process::Command;
use std::time::Duration;

use artifact_guard::aws::AwsAccount;
use artifact_guard::facts::{Fact, KeyRef, ResourceFacts};
use artifact_guard::live::{BucketAdmin, BucketReader, BucketState, KeyReader};
use artifact_guard_tests::{block_on, root, run, venv_bin, LambdaEmulator, Moto, Recorder};
use artifact_store::handler::{handle, Answered, Deps, HandlerError};
use artifact_store::http::HyperSender;
use serde_json::{json, Value};

const STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/release/1f2e3d4c";

/// A CloudFormation custom resource request (shared with the fault matrix).
pub(crate) fn event(kind: &str, url: &str, props: Value, physical: Option<&str>) -> Value {
    let mut e = json!({"RequestType": kind, "ResponseURL": url, "StackId": STACK, "RequestId": format!("req-{kind}"),
        "LogicalResourceId": "ArtifactStore", "ResourceType": "Custom::EncryptedArtifactStore",
        "ResourceProperties": props});
    if let Some(id) = physical {
        e["PhysicalResourceId"] = json!(id);
        e["OldResourceProperties"] = json!({});
    }
    e
}

struct Bench {
    moto: Moto,
    deps: Deps<AwsAccount, HyperSender>,
}

impl Bench {
    fn new() -> Self {
        let moto = Moto::start();
        let deps = Deps {
            store: AwsAccount::new(&moto.sdk_config()),
            sender: HyperSender::new().expect("https client"),
        };
        Self { moto, deps }
    }

    /// Sends one request to the handler with `budget` left; returns the one response recorded.
    fn request(
        &self,
        kind: &str,
        props: Value,
        physical: Option<&str>,
        recorder: &Recorder,
        budget: Duration,
    ) -> Value {
        let (answered, response) = one_response(
            &self.deps,
            event(kind, &recorder.url(), props, physical),
            budget,
            recorder,
        );
        answered.expect("answered");
        response
    }
}

/// Runs one request through the handler with `budget` left and checks that CloudFormation got
/// exactly one response; returns the handler's result and that response (shared with the fault
/// matrix).
pub(crate) fn one_response(
    deps: &Deps<AwsAccount, HyperSender>,
    event: Value,
    budget: Duration,
    recorder: &Recorder,
) -> (Result<Answered, HandlerError>, Value) {
    let before = recorder.responses().len();
    let deadline = tokio::time::Instant::now() + budget;
    let answered = block_on(async { handle(event, deadline, deps).await });
    let responses = recorder.responses();
    assert_eq!(
        responses.len(),
        before + 1,
        "exactly one response per request: {answered:?}"
    );
    let response = responses.last().cloned().expect("response");
    (answered, response)
}

fn ok(response: &Value) -> &Value {
    assert_eq!(response["Status"], "SUCCESS", "{response:#}");
    response
}

#[test]
fn create_update_and_delete_against_moto() {
    let bench = Bench::new();
    let recorder = Recorder::start(0);
    let long = Duration::from_secs(60);

    // Create with a new customer managed key.
    let props = json!({"BucketName": "release-artifacts", "KeyUserArns": ["arn:aws:iam::123456789012:role/pipeline"],
                       "RotationPeriodInDays": "180", "Tags": [{"Key": "team", "Value": "web"}]});
    let created = bench.request("Create", props.clone(), None, &recorder, long);
    ok(&created);
    assert_eq!(created["PhysicalResourceId"], "release-artifacts");
    assert_eq!(
        created["Data"]["Score"]
            .as_str()
            .map(|s| s.parse::<u8>().unwrap_or(0) >= 75),
        Some(true),
        "{created:#}"
    );
    let key_arn = created["Data"]["KmsKeyArn"]
        .as_str()
        .expect("key arn")
        .to_owned();
    let put = &recorder.received()[0];
    assert_eq!(put.method, "PUT");
    assert_eq!(
        put.content_type.as_deref().unwrap_or(""),
        "",
        "the presigned URL signs an empty content type"
    );

    let Fact::Known(bucket) = block_on(bench.deps.store.read_bucket("release-artifacts")) else {
        panic!("bucket exists")
    };
    let encryption = bucket
        .encryption
        .known()
        .cloned()
        .flatten()
        .expect("encryption");
    assert_eq!(
        encryption.key.as_ref().map(KeyRef::as_str),
        Some(key_arn.as_str())
    );
    let policy = bucket.policy.known().expect("policy");
    assert!(
        policy.unencrypted_uploads.is_denied()
            && policy.insecure_transport.is_denied()
            && policy.old_tls.is_denied()
    );
    assert!(bucket
        .public_access_block
        .known()
        .expect("pab")
        .all_blocked());
    assert!(bucket.tagged_artifact_store);
    let record = block_on(bench.deps.store.read_key(&KeyRef::parse(&key_arn)));
    let ResourceFacts::Key(Fact::Known(key)) = record.facts else {
        panic!("key exists")
    };
    assert_eq!(
        (key.symmetric(), key.rotation_enabled.clone()),
        (Fact::Known(true), Fact::Known(true))
    );

    // Update, same name, new settings: converges in place and keeps the same key.
    let updated = bench.request(
        "Update",
        json!({"BucketName": "release-artifacts", "EnforceTls12": "false"}),
        Some("release-artifacts"),
        &recorder,
        long,
    );
    ok(&updated);
    assert_eq!(updated["PhysicalResourceId"], "release-artifacts");
    assert_eq!(updated["Data"]["KmsKeyArn"], key_arn.as_str());
    let Fact::Known(bucket) = block_on(bench.deps.store.read_bucket("release-artifacts")) else {
        panic!("bucket")
    };
    assert!(
        !bucket.policy.known().expect("policy").old_tls.is_denied(),
        "the TLS floor was removed as asked"
    );

    // Update with a key change: to aws/s3.
    let to_managed = bench.request(
        "Update",
        json!({"BucketName": "release-artifacts", "UseAwsManagedKey": "true"}),
        Some("release-artifacts"),
        &recorder,
        long,
    );
    assert_eq!(ok(&to_managed)["Data"]["KmsKeyId"], "alias/aws/s3");

    // Update to a new name: a new store, a new physical id.
    let renamed = bench.request(
        "Update",
        json!({"BucketName": "release-artifacts-v2", "RetainOnDelete": "false"}),
        Some("release-artifacts"),
        &recorder,
        long,
    );
    assert_eq!(ok(&renamed)["PhysicalResourceId"], "release-artifacts-v2");

    // Delete the old one as CloudFormation would after the rename: retained by default.
    ok(&bench.request(
        "Delete",
        json!({"BucketName": "release-artifacts"}),
        Some("release-artifacts"),
        &recorder,
        long,
    ));
    assert!(matches!(
        block_on(bench.deps.store.bucket_state("release-artifacts")),
        Ok(BucketState::Exists { .. })
    ));

    // Delete the new one, empty: bucket gone, its key scheduled for deletion.
    let v2_key = renamed["Data"]["KmsKeyId"]
        .as_str()
        .expect("key id")
        .to_owned();
    ok(&bench.request(
        "Delete",
        json!({"BucketName": "release-artifacts-v2", "RetainOnDelete": "false"}),
        Some("release-artifacts-v2"),
        &recorder,
        long,
    ));
    assert_eq!(
        block_on(bench.deps.store.bucket_state("release-artifacts-v2")),
        Ok(BucketState::Absent)
    );
    let record = block_on(bench.deps.store.read_key(&KeyRef::parse(&v2_key)));
    let ResourceFacts::Key(Fact::Known(key)) = record.facts else {
        panic!("key still exists, pending deletion")
    };
    assert_eq!(
        key.state.known().map(|s| s.to_string()),
        Some("PendingDeletion".into())
    );

    // An id this resource never created: SUCCESS, nothing touched.
    ok(&bench.request(
        "Delete",
        json!({"RetainOnDelete": "false", "EmptyOnDelete": "true"}),
        Some("vpc-0a1b2c3d"),
        &recorder,
        long,
    ));
    assert!(recorder
        .received()
        .iter()
        .all(|r| !String::from_utf8_lossy(&r.body).contains("s3cr3t")));
}

#[test]
fn non_empty_buckets_are_deleted_only_when_asked_to_empty_them() {
    let bench = Bench::new();
    let recorder = Recorder::start(0);
    let long = Duration::from_secs(60);
    let props =
        json!({"BucketName": "full-store", "RetainOnDelete": "false", "UseAwsManagedKey": "true"});
    ok(&bench.request("Create", props.clone(), None, &recorder, long));
    let out = run(
        Command::new(venv_bin("python"))
            .arg(root().join("tests/moto/fill_bucket.py"))
            .args([&bench.moto.endpoint, "full-store", "3"]),
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let refused = bench.request("Delete", props.clone(), Some("full-store"), &recorder, long);
    assert_eq!(refused["Status"], "FAILED");
    assert!(
        refused["Reason"]
            .as_str()
            .expect("reason")
            .contains("EmptyOnDelete"),
        "{refused:#}"
    );
    assert_eq!(refused["PhysicalResourceId"], "full-store");
    assert!(
        !block_on(bench.deps.store.is_empty("full-store")).expect("listable"),
        "no data deleted"
    );

    let mut emptying = props;
    emptying["EmptyOnDelete"] = json!("true");
    ok(&bench.request("Delete", emptying, Some("full-store"), &recorder, long));
    assert_eq!(
        block_on(bench.deps.store.bucket_state("full-store")),
        Ok(BucketState::Absent)
    );
}

#[test]
fn a_failing_endpoint_a_near_deadline_and_bad_properties() {
    let bench = Bench::new();
    // The endpoint fails twice, then accepts: one create, three PUTs, one response kept.
    let flaky = Recorder::start(2);
    let created = bench.request(
        "Create",
        json!({"BucketName": "flaky-endpoint", "UseAwsManagedKey": "true"}),
        None,
        &flaky,
        Duration::from_secs(60),
    );
    ok(&created);
    assert_eq!(flaky.received().len(), 3);

    // No time left: the answer is still sent, once, FAILED and naming the step, and nothing
    // is left behind.
    let recorder = Recorder::start(0);
    let late = bench.request(
        "Create",
        json!({"BucketName": "too-late"}),
        None,
        &recorder,
        Duration::from_millis(1),
    );
    assert_eq!(late["Status"], "FAILED");
    assert_eq!(
        late["Reason"], "timed out while checking the bucket name",
        "{late:#}"
    );
    assert_eq!(
        block_on(bench.deps.store.bucket_state("too-late")),
        Ok(BucketState::Absent)
    );

    // Invalid properties: FAILED naming the property, a marker id, nothing created.
    let bad = bench.request(
        "Create",
        json!({"BucketName": "bad-props", "Versioning": "maybe"}),
        None,
        &recorder,
        Duration::from_secs(30),
    );
    assert_eq!(bad["Status"], "FAILED");
    assert!(
        bad["Reason"]
            .as_str()
            .expect("reason")
            .contains("property Versioning"),
        "{bad:#}"
    );
    assert!(bad["PhysicalResourceId"]
        .as_str()
        .expect("id")
        .starts_with("artifact-guard-failed-"));
    assert_eq!(
        block_on(bench.deps.store.bucket_state("bad-props")),
        Ok(BucketState::Absent)
    );
    // ...and its Delete (CloudFormation's rollback) touches nothing.
    ok(&bench.request(
        "Delete",
        json!({"BucketName": "bad-props"}),
        bad["PhysicalResourceId"].as_str(),
        &recorder,
        Duration::from_secs(30),
    ));
}

#[test]
fn the_binary_answers_through_the_lambda_runtime_api() {
    let moto = Moto::start();
    let recorder = Recorder::start(0);
    let emulator = LambdaEmulator::start("artifact-store", &moto.env());
    let file = root().join(format!(
        "target/test-events/artifact-store-create-{}.json",
        std::process::id()
    ));
    std::fs::create_dir_all(file.parent().expect("dir")).expect("dir");
    let e = event(
        "Create",
        &recorder.url(),
        json!({"BucketName": "from-the-runtime"}),
        None,
    );
    std::fs::write(&file, e.to_string()).expect("event file");
    let result = emulator.invoke(&file).expect("invoked");
    assert_eq!(result["Status"], "SUCCESS", "{result:#}");
    let responses = recorder.responses();
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0]["PhysicalResourceId"], "from-the-runtime");
    // The presigned URL's signature never reaches the logs, even at debug level.
    let logs = emulator.logs();
    assert!(
        logs.contains("response delivered"),
        "logs were captured: {logs}"
    );
    assert!(
        !logs.contains("s3cr3t-signature"),
        "the response URL's query was logged: {logs}"
    );
}
