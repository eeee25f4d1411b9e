//! Hostile input, as fixed cases (the fuzz targets in `fuzz/` search the same entry points at
//! random): deep nesting, huge arrays, gigantic strings and invalid UTF-8 in a gzip snapshot
//! end in a clear error or a bounded answer, never a panic or a stack overflow, and no error
//! message repeats a gigantic input back.

use std::io::Write;

use artifact_guard::assess::snapshot;
use artifact_guard::facts::ConfigurationItem;
use artifact_guard::policy::{Policy, PolicyAnswers, PolicyVerdict};
use artifact_guard::{Assessor, Compliance, Evaluation, Inventory, RuleParameters, ScopeIndex};
use serde_json::{json, Value};

/// Nesting far past serde_json's recursion limit (128).
const DEEP: usize = 200_000;
/// A string as large as a Lambda event can carry (6 MB payload limit).
const GIGANTIC: usize = 6 * 1024 * 1024;
/// An error message longer than this repeats its input.
const MESSAGE_LIMIT: usize = 2_048;

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

fn assert_short(what: &str, message: &str) {
    assert!(
        message.len() <= MESSAGE_LIMIT,
        "{what}: a {} byte message",
        message.len()
    );
}

/// Assesses one configuration item on its own; returns its evaluations.
fn assess_item(text: &str) -> Result<Vec<Evaluation>, String> {
    let item = ConfigurationItem::from_json(text).map_err(|e| e.to_string())?;
    let Some((subject, facts)) = item.into_facts().map_err(|e| e.to_string())? else {
        return Ok(Vec::new());
    };
    let mut inventory = Inventory::new();
    inventory.insert(subject, facts);
    let params = RuleParameters::default();
    let scope = ScopeIndex::from_inventory(&inventory);
    Ok(Assessor::new(&params, &inventory, &scope)
        .assess_all()
        .collect())
}

fn bucket_item(policy_text: &str, name: &str) -> String {
    json!({
        "resourceType": "AWS::S3::Bucket",
        "resourceId": name,
        "resourceName": name,
        "ARN": format!("arn:aws:s3:::{name}"),
        "awsAccountId": "111122223333",
        "awsRegion": "eu-west-1",
        "configurationItemStatus": "OK",
        "configurationItemCaptureTime": "2026-11-02T09:00:00.000Z",
        "tags": {"artifact-guard:artifact-store": "true"},
        "configuration": {"name": name},
        "supplementaryConfiguration": {
            "BucketPolicy": {"policyText": policy_text},
            "ServerSideEncryptionConfiguration": {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]}
        }
    })
    .to_string()
}

#[test]
fn deep_nesting_is_an_error_everywhere() {
    let deep = nested(DEEP);
    let error = Policy::from_json_text(&deep).expect_err("too deep");
    assert_short("policy", &error.to_string());
    let error = assess_item(&deep).expect_err("too deep");
    assert_short("configuration item", &error);
    // A policy nested deeply inside an otherwise valid item: the bucket cannot be judged, so it
    // is not compliant, and the annotation stays within Config's 256 characters.
    let evaluations = assess_item(&bucket_item(&nested(DEEP), "deep-policy")).expect("item");
    assert_eq!(evaluations.len(), 1);
    assert_eq!(evaluations[0].compliance_type, Compliance::NonCompliant);
    assert!(evaluations[0].annotation.chars().count() <= 256);
    assert!(
        evaluations[0]
            .annotation
            .contains("bucket-deny-unencrypted-uploads UNKNOWN"),
        "the unreadable policy is named: {}",
        evaluations[0].annotation
    );
    // The snapshot loader, plain and gzip.
    let snapshot_text = format!("{{\"configurationItems\": [{deep}]}}");
    for bytes in [
        snapshot_text.clone().into_bytes(),
        gzip(snapshot_text.as_bytes()),
    ] {
        let error = snapshot::load(bytes.as_slice(), &mut Inventory::new()).expect_err("too deep");
        assert_short("snapshot", &error.to_string());
    }
    // Events: the runtime deserialises them with serde_json before any handler sees them.
    assert!(serde_json::from_str::<Value>(&deep).is_err());
}

#[test]
fn huge_arrays_are_read_in_one_pass() {
    // 50,000 statements, 50,000 condition values: answered, and still judged correctly.
    let statements: Vec<Value> = (0..50_000)
        .map(|i| json!({"Sid": format!("s{i}"), "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}))
        .collect();
    let policy = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    let answers = PolicyAnswers::of(
        &Policy::from_json_text(&policy).expect("valid"),
        "arn:aws:s3:::b",
    );
    // Allows deny nothing.
    assert!(
        matches!(answers.unencrypted_uploads, PolicyVerdict::NotDenied(_)),
        "{}",
        answers.unencrypted_uploads
    );
    // A deny unless the request comes through one of 50,000 VPC endpoints: requests through
    // them are not denied, so plain HTTP is not denied to everyone.
    let values: Vec<String> = (0..50_000).map(|i| format!("vpce-{i}")).collect();
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"StringNotEquals": {"aws:SourceVpce": values}}}]}).to_string();
    let answers = PolicyAnswers::of(
        &Policy::from_json_text(&policy).expect("valid"),
        "arn:aws:s3:::b",
    );
    assert!(
        matches!(answers.insecure_transport, PolicyVerdict::NotDenied(_)),
        "{}",
        answers.insecure_transport
    );

    // A snapshot of 100,000 bucket items: streamed, every one counted.
    let items: Vec<String> = (0..100_000)
        .map(|i| bucket_item("{}", &format!("bucket-{i}")))
        .collect();
    let text = format!("{{\"configurationItems\": [{}]}}", items.join(","));
    let mut inventory = Inventory::new();
    let stats = snapshot::load(text.as_bytes(), &mut inventory).expect("a valid snapshot");
    assert_eq!((stats.items, stats.relevant), (100_000, 100_000));
}

#[test]
fn gigantic_strings_are_never_repeated_back() {
    let giant = "a".repeat(GIGANTIC);
    // As a bucket name in a configuration item: assessed; annotations stay short.
    let evaluations = assess_item(&bucket_item("{}", &giant)).expect("item");
    assert_eq!(evaluations.len(), 1);
    // An empty policy denies nothing.
    assert_eq!(evaluations[0].compliance_type, Compliance::NonCompliant);
    assert!(evaluations[0].annotation.chars().count() <= 256);
    // As a policy's Resource and as an unknown condition key.
    let policy = json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": giant, "Condition": {"Null": {giant.clone(): "true"}}}]}).to_string();
    let policy = Policy::from_json_text(&policy).expect("a valid policy, however long");
    let answers = PolicyAnswers::of(&policy, "arn:aws:s3:::b");
    // The statement is about another resource: nothing of bucket b is denied.
    assert_ne!(answers.unencrypted_uploads, PolicyVerdict::Denied);
    assert_ne!(answers.old_tls, PolicyVerdict::Denied);
    assert_short("policy answer", &answers.unencrypted_uploads.to_string());
    assert_short("policy answer", &answers.old_tls.to_string());
    // As a custom resource's BucketName and as a CloudTrail pipeline name.
    let request = json!({
        "RequestType": "Create", "ResponseURL": "http://127.0.0.1:9/r", "StackId": "arn:aws:cloudformation:eu-west-1:111122223333:stack/s/1",
        "RequestId": "r", "LogicalResourceId": "Store", "ResourceType": "Custom::EncryptedArtifactStore",
        "ResourceProperties": {"ServiceToken": "t", "BucketName": giant}
    });
    let parsed = artifact_store::request::Request::parse(&request).expect("answerable");
    let error = parsed.spec.expect_err("an invalid bucket name");
    assert_short("BucketName error", &error.to_string());
    assert!(error.to_string().contains("BucketName"), "{error}");
    let mut event: Value = serde_json::from_str(
        &std::fs::read_to_string(
            artifact_guard_tests::root().join("events/pipeline-check/create-pipeline.json"),
        )
        .expect("fixture"),
    )
    .expect("JSON");
    event["detail"]["requestParameters"]["pipeline"]["name"] = json!(giant);
    let error = pipeline_check::event::Event::parse(&event).expect_err("not a pipeline name");
    assert_eq!(error.field, "detail.requestParameters.pipeline.name");
    assert_short("CloudTrail event error", &error.to_string());
    // As a Config rule's parameter value and as a configuration item's resource type.
    let mut event: Value = serde_json::from_str(
        &std::fs::read_to_string(
            artifact_guard_tests::root().join("events/config-rule/bucket-change.json"),
        )
        .expect("fixture"),
    )
    .expect("JSON");
    for (field, value, named) in [
        (
            "ruleParameters",
            json!({"scope": giant}).to_string(),
            "scope",
        ),
        ("invokingEvent", giant.clone(), "invokingEvent"),
    ] {
        let mut hostile = event.clone();
        hostile[field] = json!(value);
        let parsed: aws_lambda_events::event::config::ConfigEvent =
            serde_json::from_value(hostile).expect("a Config event");
        let error = config_rule::event::RuleRequest::try_from(parsed).expect_err(field);
        let message = error.to_string();
        assert_short(field, &message);
        assert!(message.contains(named), "{field}: {message}");
    }
    let mut invoking: Value =
        serde_json::from_str(event["invokingEvent"].as_str().expect("text")).expect("JSON");
    invoking["configurationItem"]["resourceType"] = json!(giant);
    event["invokingEvent"] = json!(invoking.to_string());
    let parsed: aws_lambda_events::event::config::ConfigEvent =
        serde_json::from_value(event).expect("a Config event");
    // Not a type artifact-guard assesses: the request parses, and the item has no facts.
    let request = config_rule::event::RuleRequest::try_from(parsed).expect("parses");
    let config_rule::event::Trigger::Change(item) = request.trigger else {
        panic!("a change: {:?}", request.trigger)
    };
    assert_eq!(item.resource_type.as_deref().map(str::len), Some(GIGANTIC));
    assert!(item.into_facts().expect("has an identity").is_none());
}

#[test]
fn invalid_utf8_in_a_gzip_snapshot_is_an_error_naming_where() {
    let mut bytes =
        br#"{"configurationItems": [{"resourceType": "AWS::S3::Bucket", "resourceId": "b"#.to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
    bytes.extend_from_slice(br#""}]}"#);
    let error =
        snapshot::load(gzip(&bytes).as_slice(), &mut Inventory::new()).expect_err("invalid UTF-8");
    let message = error.to_string();
    assert!(message.contains("line 1"), "names where: {message}");
    // A truncated gzip stream and plain garbage behind a gzip header: errors, not panics.
    let whole = gzip(br#"{"configurationItems": []}"#);
    for broken in [
        &whole[..whole.len() / 2],
        &[0x1f, 0x8b, 0xff, 0xff, 0xff][..],
    ] {
        let error = snapshot::load(broken, &mut Inventory::new()).expect_err("broken gzip");
        assert_short("broken gzip", &error.to_string());
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("in memory");
    encoder.finish().expect("in memory")
}
