//! Handler tests: an in-memory S3 and KMS behind the ports, a recording response endpoint, and
//! assertions on the one response sent and on what exists afterwards.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::Instant;

use artifact_guard::facts::{
    BucketFacts, DefaultEncryption, Fact, KeyFacts, KeyManager, KeyRef, PublicAccessBlock,
    ResourceFacts, Versioning,
};
use artifact_guard::live::{
    BucketAdmin, BucketReader, BucketSettings, BucketState, ErrorKind, KeyAdmin, KeyHandle,
    KeyReader, KeyRecord, NewKey, SourceError,
};

use crate::handler::{handle, Deps, HandlerError};
use crate::response::{PutOutcome, ResponseSender, Status};

const STACK: &str = "arn:aws:cloudformation:eu-west-1:111122223333:stack/release/6f1c";
const URL: &str = "https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x?X-Amz-Signature=s3cr3t";

#[derive(Debug, Clone, Default)]
struct Bucket {
    settings: Option<BucketSettings>,
    policy: Option<String>,
    objects: usize,
}

#[derive(Debug, Clone)]
struct Key {
    arn: String,
    spec: &'static str,
    state: &'static str,
    policy: String,
    description: String,
    pending_days: Option<i32>,
}

/// S3 and KMS in memory, with failure injection by operation name.
#[derive(Default)]
struct FakeStore {
    buckets: RefCell<BTreeMap<String, Bucket>>,
    foreign: Vec<String>,
    keys: RefCell<BTreeMap<String, Key>>,
    aliases: RefCell<BTreeMap<String, String>>,
    fail: Vec<&'static str>,
    slow: Option<(&'static str, Duration)>,
    panic_on: Option<&'static str>,
    calls: RefCell<Vec<String>>,
}

impl FakeStore {
    async fn op(&self, name: &'static str, target: &str) -> Result<(), SourceError> {
        self.calls.borrow_mut().push(format!("{name} {target}"));
        if let Some((slow, delay)) = self.slow {
            if slow == name {
                tokio::time::sleep(delay).await;
            }
        }
        assert!(self.panic_on != Some(name), "injected panic in {name}");
        if self.fail.contains(&name) {
            return Err(SourceError {
                operation: name,
                kind: ErrorKind::AccessDenied,
                message: "AccessDenied: injected".into(),
            });
        }
        Ok(())
    }

    fn with_key(self, id: &str, spec: &'static str, state: &'static str) -> Self {
        self.keys.borrow_mut().insert(
            id.into(),
            Key {
                arn: format!("arn:aws:kms:eu-west-1:111122223333:key/{id}"),
                spec,
                state,
                policy: String::new(),
                description: String::new(),
                pending_days: None,
            },
        );
        self
    }

    fn calls(&self, prefix: &str) -> usize {
        self.calls
            .borrow()
            .iter()
            .filter(|c| c.starts_with(prefix))
            .count()
    }
}

impl BucketAdmin for FakeStore {
    async fn bucket_state(&self, name: &str) -> Result<BucketState, SourceError> {
        self.op("s3:HeadBucket", name).await?;
        if self.foreign.iter().any(|f| f == name) {
            return Ok(BucketState::Foreign);
        }
        Ok(match self.buckets.borrow().get(name) {
            None => BucketState::Absent,
            Some(b) => BucketState::Exists {
                tags: b
                    .settings
                    .as_ref()
                    .map(|s| s.tags.clone())
                    .unwrap_or_default(),
            },
        })
    }
    async fn create_bucket(&self, name: &str, _region: &str) -> Result<(), SourceError> {
        self.op("s3:CreateBucket", name).await?;
        self.buckets.borrow_mut().entry(name.into()).or_default();
        Ok(())
    }
    async fn configure_bucket(
        &self,
        name: &str,
        settings: &BucketSettings,
    ) -> Result<(), SourceError> {
        self.op("s3:Configure", name).await?;
        self.buckets
            .borrow_mut()
            .get_mut(name)
            .expect("bucket")
            .settings = Some(settings.clone());
        Ok(())
    }
    async fn bucket_policy(&self, name: &str) -> Result<Option<String>, SourceError> {
        self.op("s3:GetBucketPolicy", name).await?;
        Ok(self
            .buckets
            .borrow()
            .get(name)
            .and_then(|b| b.policy.clone()))
    }
    async fn put_bucket_policy(&self, name: &str, policy: &str) -> Result<(), SourceError> {
        self.op("s3:PutBucketPolicy", name).await?;
        self.buckets
            .borrow_mut()
            .get_mut(name)
            .expect("bucket")
            .policy = Some(policy.into());
        Ok(())
    }
    async fn is_empty(&self, name: &str) -> Result<bool, SourceError> {
        self.op("s3:ListObjectVersions", name).await?;
        Ok(self
            .buckets
            .borrow()
            .get(name)
            .is_some_and(|b| b.objects == 0))
    }
    async fn empty_bucket(&self, name: &str) -> Result<usize, SourceError> {
        self.op("s3:DeleteObjects", name).await?;
        let mut buckets = self.buckets.borrow_mut();
        let b = buckets.get_mut(name).expect("bucket");
        Ok(std::mem::take(&mut b.objects))
    }
    async fn delete_bucket(&self, name: &str) -> Result<(), SourceError> {
        self.op("s3:DeleteBucket", name).await?;
        let mut buckets = self.buckets.borrow_mut();
        assert_eq!(
            buckets.get(name).map_or(0, |b| b.objects),
            0,
            "S3 refuses to delete a bucket that is not empty"
        );
        buckets.remove(name);
        Ok(())
    }
}

impl KeyAdmin for FakeStore {
    async fn create_key(&self, key: &NewKey) -> Result<KeyHandle, SourceError> {
        self.op("kms:CreateKey", &key.alias).await?;
        let id = format!("created-{}", self.keys.borrow().len());
        let arn = format!("arn:aws:kms:eu-west-1:111122223333:key/{id}");
        self.keys.borrow_mut().insert(
            id.clone(),
            Key {
                arn: arn.clone(),
                spec: "SYMMETRIC_DEFAULT",
                state: "Enabled",
                policy: key.policy.clone(),
                description: key.description.clone(),
                pending_days: None,
            },
        );
        self.aliases
            .borrow_mut()
            .insert(key.alias.clone(), id.clone());
        Ok(KeyHandle { id, arn })
    }
    async fn key_by_alias(&self, alias: &str) -> Result<Option<KeyHandle>, SourceError> {
        self.op("kms:DescribeKey", alias).await?;
        let id = self.aliases.borrow().get(alias).cloned();
        Ok(id.and_then(|id| {
            self.keys.borrow().get(&id).map(|k| KeyHandle {
                id: id.clone(),
                arn: k.arn.clone(),
            })
        }))
    }
    async fn put_key_policy(&self, key_id: &str, policy: &str) -> Result<(), SourceError> {
        self.op("kms:PutKeyPolicy", key_id).await?;
        self.keys.borrow_mut().get_mut(key_id).expect("key").policy = policy.into();
        Ok(())
    }
    async fn schedule_key_deletion(
        &self,
        key_id: &str,
        pending_days: i32,
    ) -> Result<(), SourceError> {
        self.op("kms:ScheduleKeyDeletion", key_id).await?;
        let mut keys = self.keys.borrow_mut();
        let key = keys.get_mut(key_id).expect("key");
        if key.state == "PendingDeletion" {
            return Ok(());
        }
        key.state = "PendingDeletion";
        key.pending_days = Some(pending_days);
        Ok(())
    }
}

impl BucketReader for FakeStore {
    async fn read_bucket(&self, name: &str) -> Fact<BucketFacts> {
        let buckets = self.buckets.borrow();
        let Some(b) = buckets.get(name) else {
            return Fact::unknown("no such bucket");
        };
        let settings = b.settings.clone().expect("configured");
        Fact::Known(BucketFacts {
            name: name.into(),
            encryption: Fact::Known(Some(DefaultEncryption {
                algorithm: "aws:kms".into(),
                key: settings.kms_key_arn.as_deref().map(KeyRef::parse),
            })),
            policy: BucketFacts::policy_from_text(
                b.policy.as_deref(),
                &format!("arn:aws:s3:::{name}"),
            ),
            versioning: Fact::Known(if settings.versioning {
                Versioning::Enabled
            } else {
                Versioning::Suspended
            }),
            public_access_block: Fact::Known(PublicAccessBlock::ALL_ON),
            tagged_artifact_store: true,
        })
    }
}

impl KeyReader for FakeStore {
    async fn read_key_policy(&self, _key: &KeyRef) -> Fact<Box<str>> {
        Fact::unknown("the custom resource reads key policies through read_key")
    }

    async fn read_key(&self, key: &KeyRef) -> KeyRecord {
        let id = key.key_id().unwrap_or(key.as_str()).to_owned();
        let keys = self.keys.borrow();
        let facts = match keys.get(&id) {
            None => ResourceFacts::Gone("not found".into()),
            Some(k) => ResourceFacts::Key(
                Fact::Known(KeyFacts {
                    key_id: id.as_str().into(),
                    spec: Fact::Known(k.spec.into()),
                    usage: Fact::Known(
                        if k.spec == "SYMMETRIC_DEFAULT" {
                            "ENCRYPT_DECRYPT"
                        } else {
                            "SIGN_VERIFY"
                        }
                        .into(),
                    ),
                    state: Fact::Known(k.state.into()),
                    manager: Fact::Known(KeyManager::Customer),
                    origin: Fact::Known("AWS_KMS".into()),
                    custom_key_store: false,
                    rotation_enabled: Fact::Known(true),
                    tagged_artifact_store: false,
                    policy: None,
                })
                .boxed(),
            ),
        };
        KeyRecord {
            id: id.as_str().into(),
            alias: None,
            account_id: Some("111122223333".into()),
            facts,
        }
    }
}

/// The presigned URL's endpoint: records each PUT; fails the first `failures` with 503.
#[derive(Default)]
struct Endpoint {
    puts: RefCell<Vec<Value>>,
    failures: RefCell<u32>,
}

impl ResponseSender for Endpoint {
    async fn put(&self, url: &str, body: Vec<u8>, _timeout: Duration) -> PutOutcome {
        assert_eq!(url, URL);
        assert!(body.len() < 4096);
        if *self.failures.borrow() > 0 {
            *self.failures.borrow_mut() -= 1;
            return PutOutcome::Status(503);
        }
        self.puts
            .borrow_mut()
            .push(serde_json::from_slice(&body).expect("JSON body"));
        PutOutcome::Status(200)
    }
}

fn request(kind: &str, props: Value) -> Value {
    json!({"RequestType": kind, "ResponseURL": URL, "StackId": STACK, "RequestId": format!("req-{kind}"),
           "LogicalResourceId": "ArtifactStore", "ResourceType": "Custom::EncryptedArtifactStore",
           "ServiceToken": "arn:aws:lambda:eu-west-1:111122223333:function:artifact-store",
           "ResourceProperties": props})
}

fn with_physical(mut event: Value, id: &str, old: Option<Value>) -> Value {
    event["PhysicalResourceId"] = json!(id);
    if let Some(old) = old {
        event["OldResourceProperties"] = old;
    }
    event
}

struct Run {
    deps: Deps<FakeStore, Endpoint>,
}

impl Run {
    fn new(store: FakeStore) -> Self {
        Self {
            deps: Deps {
                store,
                sender: Endpoint::default(),
            },
        }
    }

    fn go(&self, event: Value) -> Result<crate::handler::Answered, HandlerError> {
        self.go_within(event, Duration::from_secs(60))
    }

    fn go_within(
        &self,
        event: Value,
        budget: Duration,
    ) -> Result<crate::handler::Answered, HandlerError> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("runtime")
            .block_on(handle(event, Instant::now() + budget, &self.deps))
    }

    /// The one response of the last invocation.
    fn response(&self) -> Value {
        self.deps
            .sender
            .puts
            .borrow()
            .last()
            .cloned()
            .expect("a response was sent")
    }
}

#[test]
fn create_with_defaults_makes_a_rotated_key_and_a_protected_bucket() {
    let run = Run::new(FakeStore::default());
    let answered = run
        .go(request(
            "Create",
            json!({"KeyUserArns": ["arn:aws:iam::111122223333:role/pipeline"]}),
        ))
        .expect("answered");
    assert_eq!(answered.status, Status::Success);
    let r = run.response();
    assert_eq!(
        run.deps.sender.puts.borrow().len(),
        1,
        "exactly one response"
    );
    let name = r["PhysicalResourceId"].as_str().expect("id").to_owned();
    assert!(name.starts_with("release-artifactstore-"), "{name}");
    assert_eq!(r["Data"]["BucketName"], name.as_str());
    assert_eq!(r["Data"]["BucketArn"], format!("arn:aws:s3:::{name}"));
    assert_eq!(r["Data"]["KmsKeyId"], "created-0");
    assert_eq!(r["Data"]["Score"], "100");
    let buckets = run.deps.store.buckets.borrow();
    let bucket = buckets.get(&name).expect("bucket made");
    let settings = bucket.settings.as_ref().expect("configured");
    assert!(settings
        .tags
        .contains(&("artifact-guard:artifact-store".into(), "true".into())));
    assert_eq!(
        settings.kms_key_arn.as_deref(),
        Some("arn:aws:kms:eu-west-1:111122223333:key/created-0")
    );
    let policy: Value =
        serde_json::from_str(bucket.policy.as_deref().expect("policy")).expect("json");
    assert_eq!(policy["Statement"].as_array().expect("list").len(), 3);
    let key_policy = run.deps.store.keys.borrow()["created-0"].policy.clone();
    assert!(key_policy.contains("role/pipeline"));
    // Unique to this request: a key of a lost CreateKey answer is found by it.
    let description = run.deps.store.keys.borrow()["created-0"]
        .description
        .clone();
    assert!(
        description.contains(&name) && description.ends_with("(CloudFormation request req-Create)"),
        "{description}"
    );
    assert!(run
        .deps
        .store
        .aliases
        .borrow()
        .contains_key(&format!("alias/artifact-guard/{name}")));
}

#[test]
fn a_repeated_create_resumes_instead_of_failing() {
    let run = Run::new(FakeStore::default());
    run.go(request("Create", json!({"BucketName": "artifacts-1"})))
        .expect("answered");
    run.go(request("Create", json!({"BucketName": "artifacts-1"})))
        .expect("answered");
    assert_eq!(run.response()["Status"], "SUCCESS", "{}", run.response());
    assert_eq!(
        run.deps.store.calls("kms:CreateKey"),
        1,
        "the key from the first attempt is reused"
    );
    assert_eq!(run.deps.store.calls("s3:CreateBucket"), 1);
}

#[test]
fn a_name_owned_by_someone_else_fails_clearly_and_creates_nothing() {
    let store = FakeStore {
        foreign: vec!["taken".into()],
        ..FakeStore::default()
    };
    let run = Run::new(store);
    run.go(request("Create", json!({"BucketName": "taken"})))
        .expect("answered");
    let r = run.response();
    assert_eq!(r["Status"], "FAILED");
    assert!(
        r["Reason"]
            .as_str()
            .expect("reason")
            .contains("choose another BucketName"),
        "{r}"
    );
    assert_eq!(r["PhysicalResourceId"], "artifact-guard-failed-req-Create");
    assert_eq!(
        run.deps.store.calls("s3:CreateBucket") + run.deps.store.calls("kms:CreateKey"),
        0
    );
}

#[test]
fn unusable_given_keys_are_refused_before_anything_is_made() {
    for (spec, state, expected) in [
        (
            "RSA_2048",
            "Enabled",
            "CodePipeline only supports symmetric KMS keys",
        ),
        (
            "HMAC_256",
            "Enabled",
            "CodePipeline only supports symmetric KMS keys",
        ),
        ("SYMMETRIC_DEFAULT", "Disabled", "Disabled"),
        ("SYMMETRIC_DEFAULT", "PendingDeletion", "PendingDeletion"),
    ] {
        let run = Run::new(FakeStore::default().with_key("given", spec, state));
        run.go(request(
            "Create",
            json!({"KmsKeyArn": "arn:aws:kms:eu-west-1:111122223333:key/given"}),
        ))
        .expect("answered");
        let r = run.response();
        assert_eq!(r["Status"], "FAILED");
        assert!(
            r["Reason"].as_str().expect("reason").contains(expected),
            "{r}"
        );
        assert_eq!(run.deps.store.calls("s3:CreateBucket"), 0);
    }
    let run = Run::new(FakeStore::default().with_key("given", "SYMMETRIC_DEFAULT", "Enabled"));
    run.go(request(
        "Create",
        json!({"KmsKeyArn": "arn:aws:kms:eu-west-1:111122223333:key/given"}),
    ))
    .expect("answered");
    assert_eq!(
        run.response()["Data"]["KmsKeyArn"],
        "arn:aws:kms:eu-west-1:111122223333:key/given"
    );
}

#[test]
fn the_aws_managed_key_and_invalid_properties() {
    let run = Run::new(FakeStore::default());
    run.go(request("Create", json!({"UseAwsManagedKey": "true"})))
        .expect("answered");
    let r = run.response();
    assert_eq!(r["Data"]["KmsKeyId"], "alias/aws/s3");
    assert_eq!(run.deps.store.calls("kms:CreateKey"), 0);

    let run = Run::new(FakeStore::default());
    run.go(request(
        "Create",
        json!({"UseAwsManagedKey": "true", "CrossAccountPrincipals": ["444455556666"]}),
    ))
    .expect("answered");
    let r = run.response();
    assert_eq!(r["Status"], "FAILED");
    assert!(
        r["Reason"]
            .as_str()
            .expect("reason")
            .contains("UseAwsManagedKey"),
        "{r}"
    );
    assert!(run.deps.store.calls.borrow().is_empty(), "nothing touched");
}

#[test]
fn a_create_that_fails_half_way_removes_what_it_made() {
    let store = FakeStore {
        fail: vec!["s3:PutBucketPolicy"],
        ..FakeStore::default()
    };
    let run = Run::new(store);
    run.go(request("Create", json!({"BucketName": "half"})))
        .expect("answered");
    let r = run.response();
    assert_eq!(r["Status"], "FAILED");
    let reason = r["Reason"].as_str().expect("reason");
    assert!(
        reason.contains("s3:PutBucketPolicy") && reason.contains("was removed"),
        "{reason}"
    );
    assert_one_failed_answer_and_nothing_left(&run);
}

#[test]
fn a_timeout_answers_failed_naming_the_step_and_cleans_up() {
    let store = FakeStore {
        slow: Some(("s3:Configure", Duration::from_secs(600))),
        ..FakeStore::default()
    };
    let run = Run::new(store);
    let answered = run
        .go_within(
            request("Create", json!({"BucketName": "slow"})),
            Duration::from_secs(8),
        )
        .expect("answered");
    assert_eq!(answered.status, Status::Failed);
    let r = run.response();
    let reason = r["Reason"].as_str().expect("reason");
    assert!(
        reason.starts_with("timed out while configuring the bucket")
            && reason.ends_with("(what this request created was removed)"),
        "{r}"
    );
    assert_one_failed_answer_and_nothing_left(&run);
}

/// Exactly one response, FAILED with a marker id; the new bucket deleted, the new key scheduled
/// for deletion (the shortest window, 7 days).
fn assert_one_failed_answer_and_nothing_left(run: &Run) {
    let puts = run.deps.sender.puts.borrow();
    assert_eq!(puts.len(), 1, "one PUT: {puts:?}");
    assert_eq!(puts[0]["Status"], "FAILED");
    assert!(
        puts[0]["PhysicalResourceId"]
            .as_str()
            .is_some_and(|id| id.starts_with("artifact-guard-failed-")),
        "{}",
        puts[0]
    );
    assert_eq!(run.deps.store.calls("s3:CreateBucket"), 1);
    assert_eq!(run.deps.store.calls("s3:DeleteBucket"), 1);
    assert!(run.deps.store.buckets.borrow().is_empty(), "bucket removed");
    let keys = run.deps.store.keys.borrow();
    assert_eq!(keys.len(), 1, "one key was created: {keys:?}");
    assert_eq!(keys["created-0"].state, "PendingDeletion");
    assert_eq!(keys["created-0"].pending_days, Some(7));
}

#[test]
fn a_panic_answers_failed_once_and_cleans_up() {
    let store = FakeStore {
        panic_on: Some("s3:GetBucketPolicy"),
        ..FakeStore::default()
    };
    let run = Run::new(store);
    run.go(request("Create", json!({"BucketName": "boom"})))
        .expect("answered");
    let r = run.response();
    assert_eq!(r["Status"], "FAILED");
    let reason = r["Reason"].as_str().expect("reason");
    assert!(
        reason.starts_with("internal error while writing the bucket policy")
            && reason.ends_with("(what this request created was removed)"),
        "{r}"
    );
    assert_one_failed_answer_and_nothing_left(&run);
}

#[test]
fn update_with_the_same_name_converges_and_keeps_other_statements() {
    let run = Run::new(FakeStore::default());
    run.go(request("Create", json!({"BucketName": "store"})))
        .expect("answered");
    {
        let mut buckets = run.deps.store.buckets.borrow_mut();
        let bucket = buckets.get_mut("store").expect("bucket");
        let mut policy: Value =
            serde_json::from_str(bucket.policy.as_deref().expect("policy")).expect("json");
        policy["Statement"].as_array_mut().expect("list").push(json!({"Sid": "TeamRead", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:role/reader"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::store/*"}));
        bucket.policy = Some(policy.to_string());
    }
    let update = with_physical(
        request(
            "Update",
            json!({"BucketName": "store", "EnforceTls12": "false", "KeyUserArns": ["arn:aws:iam::111122223333:role/new"]}),
        ),
        "store",
        Some(json!({"BucketName": "store"})),
    );
    run.go(update).expect("answered");
    let r = run.response();
    assert_eq!(
        (r["Status"].as_str(), r["PhysicalResourceId"].as_str()),
        (Some("SUCCESS"), Some("store")),
        "{r}"
    );
    let policy: Value = serde_json::from_str(
        run.deps.store.buckets.borrow()["store"]
            .policy
            .as_deref()
            .expect("p"),
    )
    .expect("json");
    let sids: Vec<&str> = policy["Statement"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["Sid"].as_str())
        .collect();
    assert_eq!(
        sids,
        vec![
            "TeamRead",
            "DenyUnEncryptedObjectUploads",
            "DenyInsecureConnections"
        ]
    );
    assert!(
        run.deps.store.keys.borrow()["created-0"]
            .policy
            .contains("role/new"),
        "key policy updated"
    );
    assert_eq!(run.deps.store.calls("kms:CreateKey"), 1);
}

#[test]
fn update_to_a_new_name_provisions_a_new_store() {
    let run = Run::new(FakeStore::default());
    run.go(request("Create", json!({"BucketName": "old-store"})))
        .expect("answered");
    run.go(with_physical(
        request("Update", json!({"BucketName": "new-store"})),
        "old-store",
        Some(json!({"BucketName": "old-store"})),
    ))
    .expect("answered");
    let r = run.response();
    assert_eq!(r["PhysicalResourceId"], "new-store");
    assert!(
        run.deps.store.buckets.borrow().contains_key("old-store"),
        "CloudFormation deletes the old one later"
    );
    // A failed update keeps the id CloudFormation holds.
    run.go(with_physical(
        request("Update", json!({"BucketName": "Bad Name"})),
        "new-store",
        None,
    ))
    .expect("answered");
    let r = run.response();
    assert_eq!(
        (r["Status"].as_str(), r["PhysicalResourceId"].as_str()),
        (Some("FAILED"), Some("new-store"))
    );
}

#[test]
fn delete_follows_the_decision_table() {
    // A marker from a failed create, or an id this resource did not create: touch nothing.
    let run = Run::new(FakeStore {
        foreign: vec!["someone-elses".into()],
        ..FakeStore::default()
    });
    for id in ["artifact-guard-failed-req-1", "never-existed"] {
        run.go(with_physical(
            request(
                "Delete",
                json!({"RetainOnDelete": "false", "EmptyOnDelete": "true"}),
            ),
            id,
            None,
        ))
        .expect("answered");
        assert_eq!(run.response()["Status"], "SUCCESS", "{id}");
    }
    // A bare 403 on the name: this store with a role that lost s3:ListBucket, or a name another
    // account took since. Marked for deletion: FAILED, saying both and the way out; retained:
    // nothing to do.
    for (props, status) in [
        (
            json!({"RetainOnDelete": "false", "EmptyOnDelete": "true"}),
            "FAILED",
        ),
        (json!({}), "SUCCESS"),
    ] {
        run.go(with_physical(
            request("Delete", props),
            "someone-elses",
            None,
        ))
        .expect("answered");
        let r = run.response();
        assert_eq!(r["Status"], status, "{r}");
        if status == "FAILED" {
            let reason = r["Reason"].as_str().expect("reason");
            assert!(
                reason.contains("s3:ListBucket") && reason.contains("retaining this resource"),
                "{reason}"
            );
        }
    }
    // A bucket of this account whose tags name another stack: not this resource's; untouched.
    run.deps.store.buckets.borrow_mut().insert(
        "other-stacks".into(),
        Bucket {
            settings: Some(BucketSettings {
                kms_key_arn: None,
                versioning: true,
                tags: vec![("artifact-guard:stack-id".into(), "another".into())],
            }),
            policy: None,
            objects: 2,
        },
    );
    run.go(with_physical(
        request(
            "Delete",
            json!({"RetainOnDelete": "false", "EmptyOnDelete": "true"}),
        ),
        "other-stacks",
        None,
    ))
    .expect("answered");
    assert_eq!(run.response()["Status"], "SUCCESS");
    assert_eq!(run.deps.store.buckets.borrow()["other-stacks"].objects, 2);
    assert_eq!(
        run.deps.store.calls("s3:DeleteBucket") + run.deps.store.calls("s3:DeleteObjects"),
        0
    );

    // Retained by default.
    let run = Run::new(FakeStore::default());
    run.go(request("Create", json!({"BucketName": "keep"})))
        .expect("answered");
    run.go(with_physical(
        request("Delete", json!({"BucketName": "keep"})),
        "keep",
        None,
    ))
    .expect("answered");
    assert_eq!(run.response()["Status"], "SUCCESS");
    assert!(run.deps.store.buckets.borrow().contains_key("keep"));

    // Not empty and not allowed to empty: FAILED, saying how to proceed; nothing deleted.
    let props = json!({"BucketName": "full", "RetainOnDelete": "false"});
    let run = Run::new(FakeStore::default());
    run.go(request("Create", props.clone())).expect("answered");
    run.deps
        .store
        .buckets
        .borrow_mut()
        .get_mut("full")
        .expect("bucket")
        .objects = 3;
    run.go(with_physical(request("Delete", props), "full", None))
        .expect("answered");
    let r = run.response();
    assert_eq!(r["Status"], "FAILED");
    assert!(
        r["Reason"]
            .as_str()
            .expect("reason")
            .contains("EmptyOnDelete"),
        "{r}"
    );
    assert_eq!(run.deps.store.buckets.borrow()["full"].objects, 3);

    // Allowed to empty: every version goes, then the bucket, then the key is scheduled (30 days).
    let props = json!({"BucketName": "full", "RetainOnDelete": "false", "EmptyOnDelete": "true"});
    let run = Run::new(FakeStore::default());
    run.go(request("Create", props.clone())).expect("answered");
    run.deps
        .store
        .buckets
        .borrow_mut()
        .get_mut("full")
        .expect("bucket")
        .objects = 3;
    run.go(with_physical(request("Delete", props), "full", None))
        .expect("answered");
    assert_eq!(run.response()["Status"], "SUCCESS", "{}", run.response());
    assert!(run.deps.store.buckets.borrow().is_empty());
    let keys = run.deps.store.keys.borrow();
    assert_eq!(
        (keys["created-0"].state, keys["created-0"].pending_days),
        ("PendingDeletion", Some(30))
    );
}

#[test]
fn a_delete_sent_again_after_its_bucket_went_retires_the_key() {
    // A first delete removed the bucket, then failed to schedule the key (the state is set
    // directly: the fault matrix drives it through moto). CloudFormation sends it again.
    let props = json!({"BucketName": "gone", "RetainOnDelete": "false"});
    let run = Run::new(FakeStore::default());
    run.go(request("Create", props.clone())).expect("answered");
    run.deps.store.buckets.borrow_mut().remove("gone");
    for attempt in ["again", "and once more"] {
        run.go(with_physical(
            request("Delete", props.clone()),
            "gone",
            None,
        ))
        .expect("answered");
        let r = run.response();
        assert_eq!(r["Status"], "SUCCESS", "{attempt}: {r}");
        assert!(
            r["Reason"].as_str().is_some_and(
                |reason| reason.contains("key created-0 scheduled for deletion in 30 days")
            ),
            "{attempt}: {r}"
        );
        let keys = run.deps.store.keys.borrow();
        assert_eq!(
            (keys["created-0"].state, keys["created-0"].pending_days),
            ("PendingDeletion", Some(30)),
            "{attempt}"
        );
    }

    // Retained (the default), or properties that no longer parse: the key stays.
    for props in [
        json!({"BucketName": "kept"}),
        json!({"BucketName": "kept", "RetainOnDelete": "nope"}),
    ] {
        let run = Run::new(FakeStore::default());
        run.go(request("Create", json!({"BucketName": "kept"})))
            .expect("answered");
        run.deps.store.buckets.borrow_mut().remove("kept");
        run.go(with_physical(
            request("Delete", props.clone()),
            "kept",
            None,
        ))
        .expect("answered");
        assert_eq!(run.response()["Status"], "SUCCESS");
        assert_eq!(
            run.deps.store.keys.borrow()["created-0"].state,
            "Enabled",
            "{props}"
        );
        assert_eq!(run.deps.store.calls("kms:ScheduleKeyDeletion"), 0);
    }
}

#[test]
fn properties_that_no_longer_parse_never_delete_anything() {
    let run = Run::new(FakeStore::default());
    run.go(request(
        "Create",
        json!({"BucketName": "store", "RetainOnDelete": "false"}),
    ))
    .expect("answered");
    run.go(with_physical(
        request(
            "Delete",
            json!({"BucketName": "store", "RetainOnDelete": "nope"}),
        ),
        "store",
        None,
    ))
    .expect("answered");
    assert_eq!(run.response()["Status"], "SUCCESS");
    assert!(run.deps.store.buckets.borrow().contains_key("store"));
}

#[test]
fn the_response_endpoint_failing_first_is_retried() {
    let run = Run::new(FakeStore::default());
    *run.deps.sender.failures.borrow_mut() = 2;
    let answered = run
        .go(request("Create", json!({"BucketName": "retry"})))
        .expect("delivered");
    assert_eq!(answered.attempts, 3);
    assert_eq!(run.deps.sender.puts.borrow().len(), 1);
}

#[test]
fn malformed_requests_are_answered_when_they_can_be() {
    let run = Run::new(FakeStore::default());
    let mut event = request("Frobnicate", json!({}));
    run.go(event.clone()).expect("answered");
    let r = run.response();
    assert_eq!(r["Status"], "FAILED");
    assert!(r["Reason"]
        .as_str()
        .expect("reason")
        .contains("RequestType"));
    event.as_object_mut().expect("object").remove("ResponseURL");
    let err = run.go(event).expect_err("cannot answer");
    assert!(matches!(err, HandlerError::InvalidEvent(_)));
    assert_eq!(
        lambda_runtime::Diagnostic::from(err).error_type,
        "InvalidEvent"
    );
}
