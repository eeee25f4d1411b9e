//! Against a real moto server: the AWS adapters in process, `artifact-guard scan`, and the
//! `config-rule` binary through cargo-lambda's Lambda Runtime API emulator.
//!
//! moto limits worked around here (and covered by request-level tests in `shared/src/aws`):
//! its `BatchGetResourceConfig` answer carries capture times the Rust SDK cannot parse, so
//! buckets are read through the S3 fallback; its `GetBucketVersioning` answer does not parse
//! either, so versioning is UNKNOWN (an advisory control); `PutEvaluations` works only in test
//! mode, so events carry `resultToken` `TESTMODE`.

use std::path::PathBuf;

use artifact_guard::aws::AwsAccount;
use artifact_guard::facts::{Fact, KeyRef, ResourceFacts, Versioning};
use artifact_guard::live::{BucketReader, KeyReader, PipelineReader, TaggedResourceFinder};
use artifact_guard_tests::{block_on, root, LambdaEmulator, Moto};
use serde_json::{json, Value};

#[test]
fn adapters_read_buckets_keys_and_pipelines_from_moto() {
    let moto = Moto::start();
    let keys = moto.create_account();
    let aws = AwsAccount::new(&moto.sdk_config());

    let Fact::Known(bucket) = block_on(aws.read_bucket("store-good")) else {
        panic!("bucket readable")
    };
    let encryption = bucket
        .encryption
        .known()
        .cloned()
        .flatten()
        .expect("default encryption");
    assert!(encryption.uses_kms());
    let key_ref = encryption.key.expect("a key");
    assert_eq!(key_ref.key_id(), keys["symmetric"].as_str());
    let policy = bucket.policy.known().expect("policy read");
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
    assert_ne!(
        bucket.versioning,
        Fact::Known(Versioning::Off),
        "moto's versioning answer: Enabled, or unreadable"
    );

    let Fact::Known(aes) = block_on(aws.read_bucket("store-aes")) else {
        panic!("bucket readable")
    };
    assert_eq!(
        aes.encryption
            .known()
            .cloned()
            .flatten()
            .map(|e| e.algorithm),
        Some("AES256".into())
    );
    assert!(!aes
        .policy
        .known()
        .expect("no policy is known")
        .insecure_transport
        .is_denied());
    assert!(
        matches!(block_on(aws.read_bucket("no-such-bucket")), Fact::Unknown(r) if r.contains("does not exist"))
    );

    let record = block_on(aws.read_key(&key_ref));
    let ResourceFacts::Key(Fact::Known(key)) = record.facts else {
        panic!("key readable: {record:?}")
    };
    assert_eq!(
        (key.symmetric(), key.rotation_enabled.clone()),
        (Fact::Known(true), Fact::Known(true))
    );
    let record = block_on(aws.read_key(&KeyRef::parse(keys["asymmetric"].as_str().expect("id"))));
    let ResourceFacts::Key(Fact::Known(key)) = record.facts else {
        panic!("key readable")
    };
    assert_eq!(key.symmetric(), Fact::Known(false));
    assert!(matches!(
        block_on(aws.read_key(&KeyRef::parse("0000-none"))).facts,
        ResourceFacts::Gone(_)
    ));

    let mut names = block_on(aws.list_pipelines()).expect("listed");
    names.sort();
    assert_eq!(names, vec!["aes", "asym", "good", "mail", "token"]);
    let Fact::Known(mail) = block_on(aws.read_pipeline("mail", None)) else {
        panic!("pipeline readable")
    };
    assert_eq!(
        mail.account_id.as_deref(),
        Some("123456789012"),
        "owner from the pipeline ARN"
    );
    assert!(matches!(mail.content.personal_data, Fact::Known(Some(_))));
    let Fact::Known(token) = block_on(aws.read_pipeline("token", None)) else {
        panic!("pipeline readable")
    };
    assert!(matches!(
        token.content.url_credentials,
        Fact::Known(Some(_))
    ));

    let tagged = block_on(aws.tagged_stores()).expect("tag query");
    assert!(
        tagged.buckets.contains(&"store-tagged".to_owned()),
        "{tagged:?}"
    );
    assert!(aws.calls() > 10);
}

fn evaluations(doc: &Value) -> Vec<Value> {
    doc["evaluations"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("no evaluations: {doc}"))
}

fn compliance<'a>(evals: &'a [Value], id: &str) -> &'a str {
    evals
        .iter()
        .find(|e| e["ComplianceResourceId"] == id)
        .and_then(|e| e["ComplianceType"].as_str())
        .unwrap_or_else(|| panic!("{id} not reported in {evals:#?}"))
}

fn failing(evals: &[Value], id: &str) -> Vec<String> {
    let e = evals
        .iter()
        .find(|e| e["ComplianceResourceId"] == id)
        .expect("reported");
    e["Findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            f["Required"] == true && f["Status"] != "PASS" && f["Status"] != "NOT_APPLICABLE"
        })
        .map(|f| f["Control"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn scan_assesses_a_moto_account() {
    let moto = Moto::start();
    let keys = moto.create_account();
    // Endpoint and region from the flags, credentials from the environment (as a user would).
    let mut scan = std::process::Command::new(artifact_guard_tests::bin("artifact-guard"));
    scan.args([
        "scan",
        "--region",
        "us-east-1",
        "--endpoint-url",
        &moto.endpoint,
        "--format",
        "json",
    ])
    .envs(moto.credentials_env());
    let out = artifact_guard_tests::run(&mut scan, None);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let evals = evaluations(&serde_json::from_slice(&out.stdout).expect("JSON"));
    assert_eq!(compliance(&evals, "good"), "COMPLIANT", "{evals:#?}");
    assert_eq!(compliance(&evals, "store-good"), "COMPLIANT");
    assert_eq!(failing(&evals, "aes"), vec!["pipeline-store-protected"]);
    assert_eq!(
        failing(&evals, "asym"),
        vec!["pipeline-store-protected", "pipeline-key-usable"]
    );
    assert_eq!(failing(&evals, "mail"), vec!["pipeline-no-personal-data"]);
    assert_eq!(
        failing(&evals, "token"),
        vec!["pipeline-no-url-credentials"]
    );
    assert_eq!(
        failing(&evals, "store-aes"),
        vec![
            "bucket-sse-kms",
            "bucket-deny-unencrypted-uploads",
            "bucket-deny-insecure-transport"
        ]
    );
    assert_eq!(
        failing(&evals, keys["asymmetric"].as_str().expect("id")),
        vec!["key-symmetric"]
    );
    let symmetric = keys["symmetric"].as_str().expect("id");
    assert_eq!(compliance(&evals, symmetric), "COMPLIANT");
    // Its policy (moto's default: the account root) was read with GetKeyPolicy and judged.
    let key = evals
        .iter()
        .find(|e| e["ComplianceResourceId"] == symmetric)
        .expect("the key");
    let policy = key["Findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["Control"] == "key-policy-not-public")
        .expect("key-policy-not-public judged");
    assert_eq!(policy["Status"], "PASS", "{policy}");
    // The same policy, asked per caller: the pipeline "good" runs with a role of this account,
    // which moto's default key policy lets in through the account root (delegating to IAM).
    let good = evals
        .iter()
        .find(|e| e["ComplianceResourceId"] == "good")
        .expect("the pipeline good");
    let grants = good["Findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["Control"] == "pipeline-key-grants")
        .expect("pipeline-key-grants judged");
    assert_eq!(grants["Status"], "PASS", "{grants}");
    assert!(
        grants["Detail"]
            .as_str()
            .is_some_and(|d| d.contains("through the account root")),
        "{grants}"
    );
    assert_eq!(
        compliance(&evals, "store-tagged"),
        "COMPLIANT",
        "found through its tag"
    );
    assert!(
        evals
            .iter()
            .all(|e| e["ComplianceResourceId"] != "team-logs"),
        "untagged, unused buckets are not swept"
    );
    // The account itself, under the id STS gives the caller: its trail (CloudTrail's
    // DescribeTrails, GetTrailStatus and GetEventSelectors) and the root user's MFA are served
    // by moto. No configuration recorder runs here, so which projects are VPC-attached stays
    // unknown (the BatchGetResourceConfig path is proven in shared/src/aws/account_tests.rs).
    let account = evals
        .iter()
        .find(|e| e["ComplianceResourceType"] == "AWS::::Account")
        .expect("the account is assessed");
    assert_eq!(account["ComplianceResourceId"], "123456789012");
    assert_eq!(account["ComplianceType"], "COMPLIANT", "{account:#}");
    let status = |control: &str| {
        account["Findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["Control"] == control)
            .map(|f| f["Status"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_else(|| panic!("{control} judged: {account:#}"))
    };
    assert_eq!(status("account-cloudtrail"), "PASS", "{account:#}");
    assert_eq!(
        status("account-cloudtrail-protected"),
        "PASS",
        "{account:#}"
    );
    // moto writes GetMacieSession's timestamps without a zone, which the SDK refuses: the
    // answer is unreadable, so Macie stays unknown with the operation named (the enabled and
    // not-enabled answers are proven at request level in shared/src/aws/account_tests.rs).
    assert_eq!(status("account-macie"), "UNKNOWN", "{account:#}");
    assert!(
        account
            .to_string()
            .contains("macie2:GetMacieSession failed"),
        "{account:#}"
    );
    assert_eq!(
        status("account-root-mfa"),
        "FAIL",
        "moto's root user has no MFA"
    );
    assert_eq!(
        status("account-codepipeline-endpoint"),
        "UNKNOWN",
        "{account:#}"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("ghp_EXAMPLE") && !text.contains("jane@example.com"),
        "no secret or address repeated"
    );
    // stderr is a pipe here, not a terminal: its warnings (moto's Config answers do not parse,
    // so buckets are read from S3) carry no colour codes.
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(
        warnings.contains("WARN") && warnings.contains("instead of AWS Config"),
        "a warning was written: {warnings}"
    );
    assert!(
        !warnings.contains('\x1b'),
        "no ANSI codes off a terminal: {warnings:?}"
    );
}

fn event_file(name: &str, event: &Value) -> PathBuf {
    let dir = root().join("target/test-events");
    std::fs::create_dir_all(&dir).expect("target/test-events");
    let path = dir.join(format!("{name}-{}.json", std::process::id()));
    std::fs::write(&path, event.to_string()).expect("event file");
    path
}

#[test]
fn config_rule_runs_through_the_lambda_runtime_api_against_moto() {
    let moto = Moto::start();
    let keys = moto.create_account();
    let emulator = LambdaEmulator::start("config-rule", &moto.env());

    let periodic = root().join("events/config-rule/periodic.json");
    let result = emulator.invoke(&periodic).expect("periodic invocation");
    assert_eq!(result["messageType"], "ScheduledNotification");
    assert_eq!(result["testMode"], true);
    let evals = evaluations(&result);
    assert_eq!(compliance(&evals, "good"), "COMPLIANT");
    assert_eq!(compliance(&evals, "aes"), "NON_COMPLIANT");
    assert!(evals
        .iter()
        .all(|e| e["OrderingTimestamp"] == "2026-11-02T10:00:00.000Z"));

    // A change notification for the protected bucket, as Config would send it.
    let mut item: Value = serde_json::from_str(include_str!(
        "fixtures/items/bucket-notification-shape.json"
    ))
    .expect("item");
    let key_arn = format!(
        "arn:aws:kms:us-east-1:123456789012:key/{}",
        keys["symmetric"].as_str().expect("id")
    );
    item["supplementaryConfiguration"]["ServerSideEncryptionConfiguration"]["rules"][0]
        ["applyServerSideEncryptionByDefault"]["kmsMasterKeyID"] = json!(key_arn);
    let invoking = json!({"configurationItem": item, "messageType": "ConfigurationItemChangeNotification",
        "notificationCreationTime": "2026-11-02T09:21:00.000Z", "recordVersion": "1.3"});
    let mut event: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("events/config-rule/bucket-change.json"))
            .expect("event"),
    )
    .expect("event JSON");
    event["invokingEvent"] = json!(invoking.to_string());
    let result = emulator
        .invoke(&event_file("bucket-change", &event))
        .expect("change invocation");
    let evals = evaluations(&result);
    assert_eq!(evals.len(), 1);
    assert_eq!(evals[0]["ComplianceType"], "COMPLIANT", "{result:#}");
    assert_eq!(evals[0]["OrderingTimestamp"], "2026-11-02T09:15:27.431Z");

    // A bad parameter is an InvalidEvent error, not a default applied.
    event["ruleParameters"] = json!("{\"scope\":\"everything\"}");
    let err = emulator
        .invoke(&event_file("bad-parameter", &event))
        .expect_err("rejected");
    assert!(
        err.contains("InvalidEvent") && err.contains("ruleParameters.scope"),
        "{err}"
    );

    // The account holds a pipeline tagged with an e-mail address and one whose source URL
    // carries a token: neither value reaches the function's logs, even at debug level.
    let logs = emulator.logs();
    assert!(logs.contains("reported"), "logs were captured: {logs}");
    for secret in ["jane@example.com", "ghp_EXAMPLE"] {
        assert!(!logs.contains(secret), "{secret} was logged: {logs}");
    }
}
