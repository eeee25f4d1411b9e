use std::cell::RefCell;
use std::collections::HashMap;

use artifact_guard::facts::{
    BucketFacts, DefaultEncryption, Fact, KeyRef, PublicAccessBlock, ResourceFacts, ResourceKind,
    Versioning,
};
use artifact_guard::store::policy::{merge, own_statements};
use artifact_guard::store::spec::StoreSpec;
use artifact_guard::template::TemplateFacts;
use artifact_guard::RuleParameters;
use serde_json::{json, Value};

use crate::handler::{handle, Deps, HookResponse, Referenced, MESSAGE_LIMIT};
use crate::payload::{check_url, place, template_of, FetchError, TemplateSource};

const ACCOUNT: &str = "123456789012";
const STACK: &str = "arn:aws:cloudformation:eu-west-1:123456789012:stack/release/1a2345b6-0000-00a0-a123-00abc0abc000";

/// Live facts: the buckets it knows, and the names it was asked for.
#[derive(Default)]
struct FakeLive {
    buckets: HashMap<String, BucketFacts>,
    asked: RefCell<Vec<String>>,
}

impl Referenced for FakeLive {
    async fn read_referenced(
        &self,
        facts: &mut TemplateFacts,
        buckets: Vec<String>,
        keys: Vec<KeyRef>,
    ) {
        for name in buckets {
            self.asked.borrow_mut().push(name.clone());
            let found = self.buckets.get(&name).cloned().map_or_else(
                || Fact::unknown("s3:GetBucketPolicy failed: AccessDenied"),
                |b| Fact::Known(Box::new(b)),
            );
            let subject = facts.subject(ResourceKind::Bucket, &name, None, None);
            facts
                .inventory
                .insert(subject, ResourceFacts::Bucket(found));
        }
        for key in keys {
            self.asked.borrow_mut().push(key.to_string());
        }
    }
}

/// Templates by URL.
#[derive(Default)]
struct FakeTemplates(HashMap<String, Result<String, FetchError>>);

impl TemplateSource for FakeTemplates {
    async fn template(&self, url: &str) -> Result<String, FetchError> {
        self.0
            .get(url)
            .cloned()
            .unwrap_or_else(|| Ok(String::new()))
    }
}

/// A bucket as artifact-guard's provider leaves it: SSE-KMS with aws/s3, its Deny policy,
/// versioning, public access blocked, tagged.
fn protected_bucket(name: &str) -> BucketFacts {
    let spec = StoreSpec::parse(&json!({})).unwrap();
    let policy = merge(None, own_statements(name, "aws", &spec)).unwrap();
    BucketFacts {
        name: name.into(),
        encryption: Fact::Known(Some(DefaultEncryption {
            algorithm: "aws:kms".into(),
            key: None,
        })),
        policy: BucketFacts::policy_from_text(Some(&policy), &format!("arn:aws:s3:::{name}")),
        versioning: Fact::Known(Versioning::Enabled),
        public_access_block: Fact::Known(PublicAccessBlock::ALL_ON),
        tagged_artifact_store: true,
    }
}

/// Live facts holding one protected bucket.
fn live_with(name: &str) -> FakeLive {
    FakeLive {
        buckets: HashMap::from([(name.to_owned(), protected_bucket(name))]),
        ..FakeLive::default()
    }
}

fn deps(live: FakeLive, templates: FakeTemplates) -> Deps<FakeLive, FakeTemplates> {
    Deps {
        live,
        templates,
        region: "eu-west-1".into(),
        parameters: RuleParameters::default(),
    }
}

fn resource(type_name: &str, logical_id: &str, properties: Value) -> Value {
    json!({
        "clientRequestToken": "token-1",
        "awsAccountId": ACCOUNT,
        "stackId": STACK,
        "hookTypeName": "Private::ArtifactGuard::TemplateHook",
        "actionInvocationPoint": "CREATE_PRE_PROVISION",
        "requestData": {
            "targetName": type_name,
            "targetType": type_name,
            "targetLogicalId": logical_id,
            "targetModel": {"resourceProperties": properties}
        },
        "requestContext": {"invocation": 1, "callbackContext": null}
    })
}

fn stack(url: &str) -> Value {
    json!({
        "clientRequesttoken": "token-2",
        "awsAccountId": ACCOUNT,
        "stackID": STACK,
        "actionInvocationPoint": "UPDATE_PRE_PROVISION",
        "requestData": {"targetName": "STACK", "targetType": "STACK", "targetLogicalId": "release", "payload": url},
        "requestContext": {"invocation": 1, "callbackContext": null}
    })
}

fn run(event: &Value, deps: &Deps<FakeLive, FakeTemplates>) -> HookResponse {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(handle(event, deps))
}

fn pipeline(location: &str, token: &str) -> Value {
    json!({
        "RoleArn": "arn:aws:iam::123456789012:role/pipeline",
        "ArtifactStore": {"Type": "S3", "Location": location},
        "Stages": [{"Name": "Source", "Actions": [{
            "Name": "Source",
            "ActionTypeId": {"Category": "Source", "Owner": "ThirdParty", "Provider": "GitHub", "Version": "1"},
            "Configuration": {"Owner": "o", "Repo": "r", "Branch": "main", "OAuthToken": token},
            "OutputArtifacts": [{"Name": "Src"}]}]}]
    })
}

#[test]
fn a_pipeline_whose_store_exists_is_judged_with_the_live_bucket() {
    let live = live_with("release-artifacts");
    let deps = deps(live, FakeTemplates::default());
    let answer = run(
        &resource(
            "AWS::CodePipeline::Pipeline",
            "Pipeline",
            pipeline("release-artifacts", "****"),
        ),
        &deps,
    );
    assert_eq!(answer.hook_status, "SUCCESS", "{answer:#?}");
    assert_eq!(answer.error_code, None);
    assert_eq!(answer.client_request_token, "token-1");
    assert!(
        answer
            .message
            .contains("compliant: AWS::CodePipeline::Pipeline Pipeline"),
        "{}",
        answer.message
    );
    assert_eq!(*deps.live.asked.borrow(), ["release-artifacts"]);
}

#[test]
fn a_plaintext_secret_fails_the_pipeline_with_the_control_and_the_fix() {
    let live = live_with("release-artifacts");
    let deps = deps(live, FakeTemplates::default());
    let answer = run(
        &resource(
            "AWS::CodePipeline::Pipeline",
            "Pipeline",
            pipeline("release-artifacts", "ghp_plaintexttoken"),
        ),
        &deps,
    );
    assert_eq!(answer.hook_status, "FAILED");
    assert_eq!(answer.error_code, Some("NonCompliant"));
    let m = &answer.message;
    assert!(
        m.contains("AWS::CodePipeline::Pipeline Pipeline:")
            && m.contains("pipeline-no-plaintext-secrets FAIL"),
        "{m}"
    );
    assert!(m.contains("fix: Store secrets in Secrets Manager"), "{m}");
    assert!(
        !m.contains("ghp_plaintexttoken"),
        "no secret in the message: {m}"
    );
    assert!(answer.annotations.iter().any(|a| a.annotation_name
        == "Pipeline pipeline-no-plaintext-secrets"
        && a.severity_level == "HIGH"));
    let text = serde_json::to_string(&answer).unwrap();
    assert!(!text.contains("ghp_plaintexttoken"), "{text}");
}

#[test]
fn a_store_that_cannot_be_read_fails_closed_at_the_resource() {
    let deps = deps(FakeLive::default(), FakeTemplates::default());
    let answer = run(
        &resource(
            "AWS::CodePipeline::Pipeline",
            "Pipeline",
            pipeline("someone-elses", "****"),
        ),
        &deps,
    );
    assert_eq!(answer.hook_status, "FAILED");
    assert_eq!(answer.error_code, Some("NonCompliant"));
    assert!(
        answer.message.contains("pipeline-store-protected UNKNOWN")
            && answer.message.contains("AccessDenied"),
        "{}",
        answer.message
    );
}

#[test]
fn a_bucket_leaves_its_policy_to_the_bucket_policy_target() {
    let deps = deps(FakeLive::default(), FakeTemplates::default());
    let tagged = json!({
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]},
        "VersioningConfiguration": {"Status": "Enabled"},
        "Tags": [{"Key": "artifact-guard:artifact-store", "Value": "true"}]
    });
    let answer = run(&resource("AWS::S3::Bucket", "Store", tagged.clone()), &deps);
    assert_eq!(answer.hook_status, "SUCCESS", "{answer:#?}");
    // SSE-S3 on a tagged store fails.
    let mut aes = tagged;
    aes["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        ["ServerSideEncryptionByDefault"]["SSEAlgorithm"] = json!("AES256");
    let answer = run(&resource("AWS::S3::Bucket", "Store", aes.clone()), &deps);
    assert_eq!(answer.error_code, Some("NonCompliant"));
    assert!(
        answer.message.contains("bucket-sse-kms FAIL"),
        "{}",
        answer.message
    );
    // A bucket that is not an artifact store is out of scope.
    aes.as_object_mut().unwrap().remove("Tags");
    let answer = run(&resource("AWS::S3::Bucket", "Logs", aes), &deps);
    assert_eq!(answer.hook_status, "SUCCESS");
    assert!(
        answer.message.contains("no artifact store"),
        "{}",
        answer.message
    );
}

#[test]
fn a_bucket_policy_is_judged_on_the_live_bucket() {
    let live = live_with("store");
    let deps = deps(live, FakeTemplates::default());
    let only_uploads = json!({"Bucket": "store", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::store/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}]}});
    let answer = run(
        &resource("AWS::S3::BucketPolicy", "StorePolicy", only_uploads),
        &deps,
    );
    assert_eq!(answer.error_code, Some("NonCompliant"), "{answer:#?}");
    assert!(
        answer
            .message
            .contains("AWS::S3::BucketPolicy StorePolicy: bucket-deny-insecure-transport FAIL"),
        "{}",
        answer.message
    );
    assert!(
        !answer.message.contains("bucket-deny-unencrypted-uploads"),
        "{}",
        answer.message
    );
    let spec = StoreSpec::parse(&json!({})).unwrap();
    let full = merge(None, own_statements("store", "aws", &spec)).unwrap();
    let answer = run(
        &resource(
            "AWS::S3::BucketPolicy",
            "StorePolicy",
            json!({"Bucket": "store", "PolicyDocument": full}),
        ),
        &deps,
    );
    assert_eq!(answer.hook_status, "SUCCESS", "{answer:#?}");
    let answer = run(
        &resource(
            "AWS::S3::BucketPolicy",
            "StorePolicy",
            json!({"PolicyDocument": {}}),
        ),
        &deps,
    );
    assert_eq!(answer.error_code, Some("InternalFailure"));
    assert!(
        answer.message.contains("resourceProperties.Bucket"),
        "{}",
        answer.message
    );
}

#[test]
fn a_stack_is_judged_in_context_and_stops_only_on_certain_failures() {
    let templates = FakeTemplates(HashMap::from([
        (
            "https://bucket.s3.amazonaws.com/good?sig=1".to_owned(),
            Ok(include_str!("../../../tests/templates/protected.yaml").to_owned()),
        ),
        (
            "https://bucket.s3.amazonaws.com/bad?sig=1".to_owned(),
            Ok(include_str!("../../../tests/templates/unprotected.json").to_owned()),
        ),
        (
            "https://bucket.s3.amazonaws.com/loop?sig=1".to_owned(),
            Ok("Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Stores:\n    - Name\n    - [a, b]\n    - ${Name}Store: {Type: AWS::S3::Bucket}\n".to_owned()),
        ),
        (
            "https://bucket.s3.amazonaws.com/open?sig=1".to_owned(),
            Ok(include_str!("../../../examples/pipeline-stack.yaml")
                .replace("    Default: artifact-guard-example-source\n", "")),
        ),
    ]));
    let deps = deps(FakeLive::default(), templates);
    let answer = run(&stack("https://bucket.s3.amazonaws.com/good?sig=1"), &deps);
    assert_eq!(answer.hook_status, "SUCCESS", "{answer:#?}");
    assert_eq!(answer.client_request_token, "token-2");
    assert!(
        answer
            .message
            .contains("AWS::CodePipeline::Pipeline Pipeline"),
        "{}",
        answer.message
    );
    let answer = run(&stack("https://bucket.s3.amazonaws.com/bad?sig=1"), &deps);
    assert_eq!(answer.error_code, Some("NonCompliant"));
    for words in [
        "AWS::KMS::Key SigningKey: key-symmetric FAIL",
        "AWS::S3::Bucket LooseBucket: bucket-sse-kms FAIL",
        "pipeline-no-url-credentials FAIL",
    ] {
        assert!(
            answer.message.contains(words),
            "{words}: {}",
            answer.message
        );
    }
    assert!(answer.message.chars().count() <= MESSAGE_LIMIT);
    // A loop's resources exist only once expanded: left to their resource targets, and said.
    let answer = run(&stack("https://bucket.s3.amazonaws.com/loop?sig=1"), &deps);
    assert_eq!(answer.hook_status, "SUCCESS", "{answer:#?}");
    assert!(
        answer
            .message
            .contains("Resources made by Fn::ForEach::Stores are judged at each resource"),
        "{}",
        answer.message
    );
    // A parameter without a value leaves a control undecided: named, and left to the resource.
    let answer = run(&stack("https://bucket.s3.amazonaws.com/open?sig=1"), &deps);
    assert_eq!(answer.hook_status, "SUCCESS", "{answer:#?}");
    assert!(answer.message.contains("judged at each resource: AWS::CodePipeline::Pipeline Pipeline pipeline-no-url-credentials"), "{}", answer.message);
}

#[test]
fn the_hooks_own_errors_fail_with_internal_failure_and_never_show_the_signature() {
    let templates = FakeTemplates(HashMap::from([
        (
            "https://b.s3.amazonaws.com/t?X-Amz-Signature=secret".to_owned(),
            Err(FetchError {
                place: place("https://b.s3.amazonaws.com/t?X-Amz-Signature=secret"),
                problem: "S3 answered HTTP 403".into(),
            }),
        ),
        (
            "https://b.s3.amazonaws.com/broken?sig".to_owned(),
            Ok("Resources:\n  B: {Type: AWS::S3::Bucket\n".into()),
        ),
    ]));
    let deps = deps(FakeLive::default(), templates);
    let answer = run(
        &stack("https://b.s3.amazonaws.com/t?X-Amz-Signature=secret"),
        &deps,
    );
    assert_eq!(
        (answer.hook_status, answer.error_code),
        ("FAILED", Some("InternalFailure"))
    );
    assert!(
        answer
            .message
            .contains("https://b.s3.amazonaws.com/t: S3 answered HTTP 403"),
        "{}",
        answer.message
    );
    assert!(!answer.message.contains("secret"), "{}", answer.message);
    let answer = run(&stack("https://b.s3.amazonaws.com/broken?sig"), &deps);
    assert_eq!(answer.error_code, Some("InternalFailure"));
    assert!(
        answer
            .message
            .contains("the stack template: line 3, column 1"),
        "{}",
        answer.message
    );
    for (event, field) in [
        (json!({"awsAccountId": ACCOUNT}), "clientRequestToken"),
        (
            json!({"clientRequestToken": "t", "awsAccountId": "12", "actionInvocationPoint": "CREATE_PRE_PROVISION"}),
            "awsAccountId",
        ),
        (
            json!({"clientRequestToken": "t", "awsAccountId": ACCOUNT, "actionInvocationPoint": "SOMETIME"}),
            "actionInvocationPoint",
        ),
        (
            json!({"clientRequestToken": "t", "awsAccountId": ACCOUNT, "actionInvocationPoint": "CREATE_PRE_PROVISION"}),
            "requestData",
        ),
        (
            json!({"clientRequestToken": "t", "awsAccountId": ACCOUNT, "actionInvocationPoint": "CREATE_PRE_PROVISION", "requestData": {"targetType": "AWS::KMS::Key", "targetModel": {}}}),
            "resourceProperties",
        ),
        (json!([1]), "clientRequestToken"),
    ] {
        let answer = run(&event, &deps);
        assert_eq!(
            (answer.hook_status, answer.error_code),
            ("FAILED", Some("InternalFailure")),
            "{event}"
        );
        assert!(
            answer.message.contains(field),
            "{field}: {}",
            answer.message
        );
    }
}

#[test]
fn deletions_and_other_types_pass_with_a_reason() {
    let deps = deps(FakeLive::default(), FakeTemplates::default());
    let mut event = resource("AWS::S3::Bucket", "Store", json!({}));
    event["actionInvocationPoint"] = json!("DELETE_PRE_PROVISION");
    let answer = run(&event, &deps);
    assert_eq!(answer.hook_status, "SUCCESS");
    assert!(answer.message.contains("deletion"));
    let answer = run(&resource("AWS::SQS::Queue", "Q", json!({})), &deps);
    assert_eq!(answer.hook_status, "SUCCESS");
    assert!(
        answer
            .message
            .contains("AWS::SQS::Queue is not one of them"),
        "{}",
        answer.message
    );
}

#[test]
fn only_s3_over_https_or_the_local_emulator_is_fetched() {
    for ok in [
        "https://cf-templates.s3.amazonaws.com/x?sig=1",
        "https://cf-templates.s3.eu-west-1.amazonaws.com/x",
        "https://s3.cn-north-1.amazonaws.com.cn/b/x",
        "https://b.s3-us-west-2.amazonaws.com/x",
    ] {
        assert_eq!(check_url(ok, None), Ok(()), "{ok}");
    }
    for bad in [
        "http://cf-templates.s3.amazonaws.com/x",
        "https://evil.example.com/x",
        "https://lambda.us-east-1.amazonaws.com/x",
        "https://s3.amazonaws.com.evil.com/x",
        "https://user@s3.amazonaws.com/x",
        "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next",
        "file:///etc/passwd",
    ] {
        assert!(check_url(bad, None).is_err(), "{bad}");
    }
    assert_eq!(
        check_url("http://127.0.0.1:5000/p", Some("http://127.0.0.1:4566")),
        Ok(())
    );
    assert_eq!(place("https://h/p?X-Amz-Signature=s#f"), "https://h/p");
    assert_eq!(
        template_of("p", br#"{"template": "A", "previousTemplate": "B"}"#),
        Ok("A".into())
    );
    assert_eq!(
        template_of("p", br#"{"template": null}"#),
        Ok(String::new())
    );
    assert!(template_of("p", b"<html>").is_err());
}
