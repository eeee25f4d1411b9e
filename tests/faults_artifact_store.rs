//! artifact-store under injected faults: the handler with real SDK clients through the fault
//! proxy to moto, answering a recording endpoint. Every step of create, update and delete gets a
//! persistent and a transient fault; each case checks the one response, what is left in moto
//! (read directly, not through the proxy) and that no data was deleted.

use std::collections::BTreeSet;
use std::time::Duration;

use artifact_guard::aws::AwsAccount;
use artifact_guard::live::{BucketAdmin, BucketState};
use artifact_guard_tests::proxy::{Fault, FaultProxy};
use artifact_guard_tests::{
    block_on, fault_test_limits, root, run, sdk_config_at, venv_bin, Moto, Recorder,
};
use artifact_store::handler::{handle, Deps};
use artifact_store::http::HyperSender;
use serde_json::{json, Value};

use crate::artifact_store_moto::{event as cfn_event, one_response};

struct Rig {
    moto: Moto,
    proxy: FaultProxy,
    /// Through the proxy: what the handler uses.
    deps: Deps<AwsAccount, HyperSender>,
    /// Straight to moto: what the assertions read.
    direct: AwsAccount,
    kms: aws_sdk_kms::Client,
}

impl Rig {
    fn new() -> Self {
        let moto = Moto::start();
        let proxy = FaultProxy::start(moto.endpoint.trim_start_matches("http://"));
        let deps = Deps {
            store: AwsAccount::new(&sdk_config_at(&proxy.endpoint(), fault_test_limits())),
            sender: HyperSender::new().expect("https client"),
        };
        let sdk = moto.sdk_config();
        Self {
            direct: AwsAccount::new(&sdk),
            kms: aws_sdk_kms::Client::new(&sdk),
            moto,
            proxy,
            deps,
        }
    }

    /// One request; returns the one response CloudFormation received.
    fn request(
        &self,
        kind: &str,
        props: Value,
        physical: Option<&str>,
        recorder: &Recorder,
    ) -> Value {
        let mut event = cfn_event(kind, &recorder.url(), props, physical);
        event["RequestId"] = json!(format!("req-{kind}-{}", recorder.responses().len()));
        one_response(&self.deps, event, Duration::from_secs(60), recorder).1
    }

    fn bucket_state(&self, name: &str) -> BucketState {
        block_on(self.direct.bucket_state(name)).expect("moto answers")
    }

    /// Key id -> state, for every key in moto.
    fn keys(&self) -> Vec<(String, String)> {
        block_on(async {
            let listed = self.kms.list_keys().send().await.expect("ListKeys");
            let mut out = Vec::new();
            for key in listed.keys() {
                let id = key.key_id().unwrap_or_default().to_owned();
                let meta = self
                    .kms
                    .describe_key()
                    .key_id(&id)
                    .send()
                    .await
                    .expect("DescribeKey");
                let state = meta
                    .key_metadata()
                    .and_then(|m| m.key_state())
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default();
                out.push((id, state));
            }
            out
        })
    }

    fn enabled_keys(&self) -> BTreeSet<String> {
        self.keys()
            .into_iter()
            .filter(|(_, state)| state == "Enabled")
            .map(|(id, _)| id)
            .collect()
    }

    fn fill(&self, bucket: &str) {
        let out = run(
            std::process::Command::new(venv_bin("python"))
                .arg(root().join("tests/moto/fill_bucket.py"))
                .args([&self.moto.endpoint, bucket, "2"]),
            None,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Reads behind advisory controls only (versioning, public access block, rotation status, key
/// policy; moto's
/// versioning answer does not even parse): when they fail, the read-back still passes every
/// required control and the store is SUCCESS with a lower score. Every other step failing is
/// FAILED.
const ADVISORY_READS: [&str; 4] = [
    "s3:GetBucketVersioning",
    "s3:GetPublicAccessBlock",
    "kms:GetKeyRotationStatus",
    "kms:GetKeyPolicy",
];

/// On a create, the bucket's tags are read only by the read-back assessment, where they decide
/// scope, not compliance (on an update they prove the bucket is this resource's: FAILED).
fn advisory_on_create(step: &str) -> bool {
    ADVISORY_READS.contains(&step) || step == "s3:GetBucketTagging"
}

/// The distinct operations a request made, in order of first use.
fn operations(proxy: &FaultProxy) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for seen in proxy.seen() {
        let op = seen.label.split(' ').next().unwrap_or_default().to_owned();
        if !out.contains(&op) {
            out.push(op);
        }
    }
    out
}

fn denied(op: &str) -> Fault {
    if op.starts_with("s3:") {
        Fault::s3(403, "AccessDenied")
    } else {
        Fault::json(400, "AccessDeniedException")
    }
}

fn transient(op: &str) -> Fault {
    if op.starts_with("s3:") {
        Fault::slow_down()
    } else {
        Fault::throttling()
    }
}

/// Every distinct operation of a clean create with a new key, in order of first use (the
/// read-back's reads run concurrently, so their order varies): the name check, the key (found by its alias first, so that a repeated create resumes; its policy goes
/// with CreateKey), the bucket, the policy, then the read-back assessment's reads.
const CREATE_STEPS: [&str; 19] = [
    "s3:HeadBucket",
    "kms:DescribeKey",
    "kms:CreateKey",
    "kms:EnableKeyRotation",
    "kms:CreateAlias",
    "s3:CreateBucket",
    "s3:PutPublicAccessBlock",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketVersioning",
    "s3:PutBucketEncryption",
    "s3:PutBucketTagging",
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:GetBucketEncryption",
    "s3:GetBucketVersioning",
    "s3:GetPublicAccessBlock",
    "s3:GetBucketTagging",
    "kms:GetKeyRotationStatus",
    "kms:GetKeyPolicy",
];

#[test]
fn every_fault_at_every_create_step_answers_once_and_leaves_nothing_behind() {
    let rig = Rig::new();
    let recorder = Recorder::start(0);
    let created = rig.request(
        "Create",
        json!({"BucketName": "clean-create"}),
        None,
        &recorder,
    );
    assert_eq!(created["Status"], "SUCCESS", "{created:#}");
    let steps = operations(&rig.proxy);
    // Exactly the steps docs/reliability.md lists. Compared as sets: the read-back assessment
    // reads the bucket concurrently, so their first-use order varies from run to run.
    let mut sorted = steps.clone();
    sorted.sort();
    let mut expected = CREATE_STEPS.map(str::to_owned).to_vec();
    expected.sort();
    assert_eq!(sorted, expected, "a clean create's steps: {steps:?}");
    let mut keys_before = rig.enabled_keys();

    for (i, step) in steps.iter().enumerate() {
        // Persistent: FAILED, naming the step, and nothing this request made is left.
        rig.proxy.reset();
        rig.proxy.inject(step, denied(step), None);
        let bucket = format!("denied-{i}");
        let failed = rig.request("Create", json!({"BucketName": bucket}), None, &recorder);
        if advisory_on_create(step) {
            // A store (and its key) was made; the baseline is taken again after this step.
            assert_eq!(failed["Status"], "SUCCESS", "{step}: {failed:#}");
        } else {
            assert_eq!(failed["Status"], "FAILED", "{step}: {failed:#}");
            let reason = failed["Reason"].as_str().unwrap_or_default();
            assert!(
                reason.contains("AccessDenied") || reason.contains("403 Forbidden"),
                "{step}: the reason names the refusal: {reason}"
            );
            assert!(
                failed["PhysicalResourceId"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("artifact-guard-failed-")),
                "{step}: {failed:#}"
            );
            assert_eq!(
                rig.bucket_state(&bucket),
                BucketState::Absent,
                "{step}: bucket left behind"
            );
            assert_eq!(
                rig.enabled_keys(),
                keys_before,
                "{step}: a usable key left behind"
            );
        }

        // Transient, with a new key as in the clean create (so that every KMS step is
        // reached): retried, SUCCESS, and both injected faults were hit.
        rig.proxy.reset();
        rig.proxy.inject(step, transient(step), Some(2));
        let bucket = format!("throttled-{i}");
        let ok = rig.request("Create", json!({"BucketName": bucket}), None, &recorder);
        assert_eq!(ok["Status"], "SUCCESS", "{step}: {ok:#}");
        let hit: Vec<String> = rig
            .proxy
            .seen()
            .iter()
            .filter(|s| s.fault.is_some())
            .map(|s| s.label.clone())
            .collect();
        assert_eq!(hit.len(), 2, "{step}: both faults hit: {hit:?}");
        assert!(
            hit.iter().all(|l| l.starts_with(step.as_str())),
            "{step}: {hit:?}"
        );
        assert!(matches!(
            rig.bucket_state(&bucket),
            BucketState::Exists { .. }
        ));
        // This step's stores hold enabled keys by design; what follows compares against them.
        keys_before = rig.enabled_keys();
    }

    // Resets and truncated answers on the mutating calls: retried, SUCCESS, one bucket.
    for (i, fault) in [Fault::Reset, Fault::Truncate].into_iter().enumerate() {
        rig.proxy.reset();
        rig.proxy
            .inject("s3:PutBucketPolicy", fault.clone(), Some(1))
            .inject("s3:PutBucketEncryption", fault.clone(), Some(1))
            .inject("kms:EnableKeyRotation", fault, Some(1));
        let bucket = format!("flaky-{i}");
        let ok = rig.request("Create", json!({"BucketName": bucket}), None, &recorder);
        assert_eq!(ok["Status"], "SUCCESS", "{ok:#}");
        assert_eq!(
            rig.proxy
                .seen()
                .iter()
                .filter(|s| s.fault.is_some())
                .count(),
            3
        );
    }
}

#[test]
fn faults_during_update_and_delete_never_lose_data() {
    let rig = Rig::new();
    let recorder = Recorder::start(0);
    let props = json!({"BucketName": "kept-store", "RetainOnDelete": "false", "Tags": [{"Key": "team", "Value": "web"}]});
    let created = rig.request("Create", props.clone(), None, &recorder);
    assert_eq!(created["Status"], "SUCCESS", "{created:#}");
    rig.fill("kept-store");

    // Every update step denied: FAILED with the id CloudFormation holds; the bucket and its
    // objects are untouched.
    rig.proxy.reset();
    let mut changed = props.clone();
    changed["Tags"] = json!([{"Key": "team", "Value": "platform"}]);
    changed["EnforceTls12"] = json!("false");
    let ok = rig.request("Update", changed.clone(), Some("kept-store"), &recorder);
    assert_eq!(ok["Status"], "SUCCESS", "{ok:#}");
    let steps = operations(&rig.proxy);
    for mutation in ["s3:PutBucketTagging", "s3:PutBucketPolicy"] {
        assert!(
            steps.iter().any(|s| s == mutation),
            "an update makes {mutation}: {steps:?}"
        );
    }
    for step in &steps {
        rig.proxy.reset();
        rig.proxy.inject(step, denied(step), None);
        let answer = rig.request("Update", changed.clone(), Some("kept-store"), &recorder);
        assert_eq!(answer["PhysicalResourceId"], "kept-store");
        let expected = if ADVISORY_READS.contains(&step.as_str()) {
            "SUCCESS"
        } else {
            "FAILED"
        };
        assert_eq!(answer["Status"], expected, "{step}: {answer:#}");
        assert!(matches!(
            rig.bucket_state("kept-store"),
            BucketState::Exists { .. }
        ));
        rig.fill("kept-store");
        assert!(
            !block_on(rig.direct.is_empty("kept-store")).expect("listable"),
            "{step}: data lost"
        );

        // The same step throttled once: retried, SUCCESS, objects still there.
        rig.proxy.reset();
        rig.proxy.inject(step, transient(step), Some(1));
        let answer = rig.request("Update", changed.clone(), Some("kept-store"), &recorder);
        assert_eq!(answer["Status"], "SUCCESS", "{step} throttled: {answer:#}");
        assert!(
            !block_on(rig.direct.is_empty("kept-store")).expect("listable"),
            "{step}: data lost"
        );
    }

    // Delete of a non-empty bucket not marked for emptying: refused, whatever fails.
    rig.proxy.reset();
    rig.proxy
        .inject("s3:ListObject", Fault::slow_down(), Some(2));
    let refused = rig.request("Delete", props.clone(), Some("kept-store"), &recorder);
    assert_eq!(refused["Status"], "FAILED", "{refused:#}");
    rig.proxy.reset();
    rig.proxy
        .inject("s3:ListObject", Fault::s3(403, "AccessDenied"), None);
    let refused = rig.request("Delete", props.clone(), Some("kept-store"), &recorder);
    assert_eq!(refused["Status"], "FAILED", "{refused:#}");
    assert!(
        !block_on(rig.direct.is_empty("kept-store")).expect("listable"),
        "no data deleted"
    );

    // An empty store whose DeleteBucket is denied: FAILED, and its key is not scheduled for
    // deletion while the bucket (and so its encrypted objects' key use) remains.
    let empty = json!({"BucketName": "empty-store", "RetainOnDelete": "false"});
    let made = rig.request("Create", empty.clone(), None, &recorder);
    let key = made["Data"]["KmsKeyId"].as_str().expect("key").to_owned();
    rig.proxy.reset();
    rig.proxy
        .inject("s3:DeleteBucket", Fault::s3(403, "AccessDenied"), None);
    let failed = rig.request("Delete", empty.clone(), Some("empty-store"), &recorder);
    assert_eq!(failed["Status"], "FAILED", "{failed:#}");
    assert!(matches!(
        rig.bucket_state("empty-store"),
        BucketState::Exists { .. }
    ));
    assert!(
        rig.enabled_keys().contains(&key),
        "key kept while its bucket exists"
    );

    // Throttled DeleteBucket and ScheduleKeyDeletion: retried; bucket gone, key pending deletion.
    rig.proxy.reset();
    rig.proxy
        .inject("s3:DeleteBucket", Fault::slow_down(), Some(2))
        .inject("kms:ScheduleKeyDeletion", Fault::throttling(), Some(2));
    let deleted = rig.request("Delete", empty, Some("empty-store"), &recorder);
    assert_eq!(deleted["Status"], "SUCCESS", "{deleted:#}");
    assert_eq!(rig.bucket_state("empty-store"), BucketState::Absent);
    assert!(rig
        .keys()
        .contains(&(key.clone(), "PendingDeletion".to_owned())));

    // ScheduleKeyDeletion denied after the bucket went: FAILED, key still enabled. CloudFormation
    // sends the delete again: the key is retired then, and a third delete is still SUCCESS.
    let store = json!({"BucketName": "half-deleted", "RetainOnDelete": "false"});
    let made = rig.request("Create", store.clone(), None, &recorder);
    let key = made["Data"]["KmsKeyId"].as_str().expect("key").to_owned();
    rig.proxy.reset();
    rig.proxy
        .inject("kms:ScheduleKeyDeletion", denied("kms:"), None);
    let failed = rig.request("Delete", store.clone(), Some("half-deleted"), &recorder);
    assert_eq!(failed["Status"], "FAILED", "{failed:#}");
    assert_eq!(rig.bucket_state("half-deleted"), BucketState::Absent);
    assert!(rig.enabled_keys().contains(&key));
    rig.proxy.reset();
    for attempt in ["again", "a third time"] {
        let answer = rig.request("Delete", store.clone(), Some("half-deleted"), &recorder);
        assert_eq!(answer["Status"], "SUCCESS", "{attempt}: {answer:#}");
        assert!(
            rig.keys()
                .contains(&(key.clone(), "PendingDeletion".to_owned())),
            "{attempt}"
        );
    }
}

#[test]
fn the_response_endpoint_failing_is_retried_within_the_deadline() {
    let rig = Rig::new();
    let recorder = Recorder::start(0);
    // A proxy in front of the response endpoint: reset twice, then 503, then through.
    let front = FaultProxy::start(&recorder.host());
    front.inject("http:PUT", Fault::Reset, Some(2)).inject(
        "http:PUT",
        Fault::Status {
            status: 503,
            content_type: "text/plain",
            body: "busy".into(),
        },
        Some(1),
    );
    let url = recorder.url().replace(
        &recorder.host(),
        front.endpoint().trim_start_matches("http://"),
    );
    let event = cfn_event(
        "Create",
        &url,
        json!({"BucketName": "endpoint-store", "UseAwsManagedKey": "true"}),
        None,
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let answered = block_on(async { handle(event, deadline, &rig.deps).await }).expect("delivered");
    assert_eq!(answered.attempts, 4, "two resets, one 503, then delivered");
    assert_eq!(
        recorder.responses().len(),
        1,
        "CloudFormation got one response"
    );
    assert_eq!(recorder.responses()[0]["Status"], "SUCCESS");

    // Nothing listening: retried until the deadline, then the invocation fails (Lambda's
    // retry of the async invoke sends it again); the handler does not hang.
    let closed = format!(
        "http://127.0.0.1:{}/cfn-response?X-Amz-Signature=s3cr3t",
        artifact_guard_tests::free_port()
    );
    let event = cfn_event(
        "Delete",
        &closed,
        json!({"BucketName": "never-made"}),
        Some("never-made"),
    );
    let started = std::time::Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(4);
    let error =
        block_on(async { handle(event, deadline, &rig.deps).await }).expect_err("undeliverable");
    assert!(
        started.elapsed() <= Duration::from_millis(4_500),
        "gave up at the deadline"
    );
    let text = error.to_string();
    assert!(text.contains("attempt"), "{text}");
    assert!(
        !text.contains("s3cr3t"),
        "the presigned query is never repeated: {text}"
    );
}

/// CreateKey is not idempotent: when KMS made the key but its answer was lost, the retry makes
/// a second one. The key of the lost answer must not be left enabled and unowned.
#[test]
fn a_lost_create_key_answer_leaves_no_unowned_key() {
    let rig = Rig::new();
    let recorder = Recorder::start(0);
    let key_count = |rig: &Rig| rig.keys().len();
    let create_key_calls = |rig: &Rig| {
        rig.proxy
            .seen()
            .iter()
            .filter(|s| s.label.starts_with("kms:CreateKey"))
            .count()
    };

    // Truncated: KMS made the key, the answer was cut. Reset: the request never reached KMS.
    for (i, (fault, made_by_lost_attempt)) in [(Fault::Truncate, 1), (Fault::Reset, 0)]
        .into_iter()
        .enumerate()
    {
        rig.proxy.reset();
        let enabled_before = rig.enabled_keys();
        let keys_before = key_count(&rig);
        rig.proxy.inject("kms:CreateKey", fault, Some(1));
        let ok = rig.request(
            "Create",
            json!({"BucketName": format!("lost-answer-{i}")}),
            None,
            &recorder,
        );
        assert_eq!(ok["Status"], "SUCCESS", "{ok:#}");
        assert_eq!(create_key_calls(&rig), 2, "one lost answer, one retry");
        let key = ok["Data"]["KmsKeyId"].as_str().expect("key id").to_owned();
        let mut expected = enabled_before;
        expected.insert(key);
        assert_eq!(
            rig.enabled_keys(),
            expected,
            "only the store's key is enabled"
        );
        assert_eq!(key_count(&rig), keys_before + 1 + made_by_lost_attempt);
        let pending = rig
            .keys()
            .into_iter()
            .filter(|(_, state)| state == "PendingDeletion")
            .count();
        assert!(
            pending >= made_by_lost_attempt,
            "lost key scheduled for deletion"
        );
    }

    // Every answer lost: FAILED after the last attempt, and every key the attempts made is
    // scheduled for deletion.
    rig.proxy.reset();
    let enabled_before = rig.enabled_keys();
    let keys_before = key_count(&rig);
    rig.proxy.inject("kms:CreateKey", Fault::Truncate, None);
    let failed = rig.request(
        "Create",
        json!({"BucketName": "lost-answers"}),
        None,
        &recorder,
    );
    assert_eq!(failed["Status"], "FAILED", "{failed:#}");
    assert!(
        failed["Reason"]
            .as_str()
            .is_some_and(|r| r.contains("kms:CreateKey")),
        "{failed:#}"
    );
    let attempts = create_key_calls(&rig);
    assert!(attempts >= 2, "retried: {attempts}");
    assert_eq!(
        key_count(&rig),
        keys_before + attempts,
        "each attempt made a key"
    );
    assert_eq!(
        rig.enabled_keys(),
        enabled_before,
        "none of them left enabled"
    );
    assert_eq!(rig.bucket_state("lost-answers"), BucketState::Absent);
}

/// Every step of a delete that empties and removes a store, failed in turn: one answer each
/// time; while the bucket stands its key stays enabled; and the same Delete sent again without
/// the fault (as CloudFormation does after DELETE_FAILED) finishes the job.
#[test]
fn every_fault_at_every_delete_step_answers_once_and_the_next_delete_finishes() {
    let rig = Rig::new();
    let recorder = Recorder::start(0);
    let props = |bucket: &str| json!({"BucketName": bucket, "RetainOnDelete": "false", "EmptyOnDelete": "true"});
    let make = |bucket: &str| -> String {
        let made = rig.request("Create", props(bucket), None, &recorder);
        assert_eq!(made["Status"], "SUCCESS", "{made:#}");
        rig.fill(bucket);
        made["Data"]["KmsKeyId"].as_str().expect("key").to_owned()
    };
    let pending = |key: &str| {
        rig.keys()
            .contains(&(key.to_owned(), "PendingDeletion".to_owned()))
    };

    make("clean-delete");
    rig.proxy.reset();
    let done = rig.request(
        "Delete",
        props("clean-delete"),
        Some("clean-delete"),
        &recorder,
    );
    assert_eq!(done["Status"], "SUCCESS", "{done:#}");
    let steps = operations(&rig.proxy);
    assert!(steps.len() >= 6, "{steps:?}");

    for (i, step) in steps.iter().enumerate() {
        let bucket = format!("delete-denied-{i}");
        let key = make(&bucket);
        rig.proxy.reset();
        rig.proxy.inject(step, denied(step), None);
        let failed = rig.request("Delete", props(&bucket), Some(&bucket), &recorder);
        assert_eq!(failed["Status"], "FAILED", "{step}: {failed:#}");
        assert_eq!(failed["PhysicalResourceId"], json!(bucket));
        if matches!(rig.bucket_state(&bucket), BucketState::Exists { .. }) {
            assert!(
                !pending(&key),
                "{step}: key retired while its bucket stands"
            );
        }
        rig.proxy.reset();
        let finished = rig.request("Delete", props(&bucket), Some(&bucket), &recorder);
        assert_eq!(finished["Status"], "SUCCESS", "{step}: {finished:#}");
        assert_eq!(rig.bucket_state(&bucket), BucketState::Absent, "{step}");
        assert!(pending(&key), "{step}: the key is retired in the end");

        let bucket = format!("delete-throttled-{i}");
        let key = make(&bucket);
        rig.proxy.reset();
        rig.proxy.inject(step, transient(step), Some(2));
        let ok = rig.request("Delete", props(&bucket), Some(&bucket), &recorder);
        assert_eq!(ok["Status"], "SUCCESS", "{step}: {ok:#}");
        assert_eq!(rig.bucket_state(&bucket), BucketState::Absent, "{step}");
        assert!(pending(&key), "{step}");
    }
}
