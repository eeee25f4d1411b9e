//! Handler tests: real event fixtures from `events/config-rule/`, fakes behind the ports, and
//! assertions on the evaluations reported and the calls made.

use std::cell::RefCell;
use std::collections::HashMap;

use aws_lambda_events::event::config::ConfigEvent;
use serde_json::{json, Value};

use artifact_guard::facts::{
    AccountFacts, ArtifactStore, BucketFacts, ConfigurationItem, Fact, KeyFacts, KeyManager,
    KeyRef, PipelineDocument, PipelineFacts, ResourceFacts, ResourceKind, Stage, StoreKey,
};
use artifact_guard::live::{
    AccountReader, AccountSessions, BucketReader, ConfigReader, ErrorKind, EvaluationSink,
    FixedSessions, ItemKey, KeyReader, KeyRecord, NoSessions, PipelineReader, RejectedEvaluation,
    ScopeCache, Session, SourceError, TaggedResourceFinder, TaggedStores,
};
use artifact_guard::{Compliance, Evaluation};

use crate::error::RuleError;
use crate::handler::{handle, Deps, Home};

const BUCKET_CHANGE: &str = include_str!("../../../events/config-rule/bucket-change.json");
const BUCKET_DELETED: &str = include_str!("../../../events/config-rule/bucket-deleted.json");
const KEY_CHANGE: &str = include_str!("../../../events/config-rule/key-change.json");
const PIPELINE_CHANGE: &str = include_str!("../../../events/config-rule/pipeline-change.json");
const OVERSIZED: &str = include_str!("../../../events/config-rule/oversized.json");
const PERIODIC: &str = include_str!("../../../events/config-rule/periodic.json");
const BUCKET_ITEM: &str =
    include_str!("../../../tests/fixtures/items/bucket-notification-shape.json");
const KEY_ITEM: &str = include_str!("../../../tests/fixtures/items/key-notification-shape.json");

const ACCOUNT: &str = "111122223333";
const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
const STORE: &str = "codepipeline-eu-west-1-111122223333";

/// The KMS developer guide's default key policy: the account root, which delegates to IAM.
const DEFAULT_KEY_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;

fn key_facts(id: &str) -> KeyFacts {
    KeyFacts {
        key_id: id.into(),
        spec: Fact::Known("SYMMETRIC_DEFAULT".into()),
        usage: Fact::Known("ENCRYPT_DECRYPT".into()),
        state: Fact::Known("Enabled".into()),
        manager: Fact::Known(KeyManager::Customer),
        origin: Fact::Known("AWS_KMS".into()),
        custom_key_store: false,
        rotation_enabled: Fact::Known(true),
        tagged_artifact_store: false,
        policy: None,
    }
}

fn pipeline(name: &str, store: &str) -> PipelineFacts {
    PipelineFacts::from_document(
        PipelineDocument {
            name: name.into(),
            role_arn: Some(format!("arn:aws:iam::111122223333:role/{name}").into()),
            stores: vec![ArtifactStore {
                region: None,
                store_type: "S3".into(),
                location: store.into(),
                encryption_key: Some(StoreKey {
                    key_type: "KMS".into(),
                    key: KeyRef::parse(&format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/{KEY_ID}")),
                }),
            }],
            stages: vec![Stage {
                name: "Source".into(),
                actions: vec![],
            }],
            tags: Fact::Known(vec![]),
            fields: Vec::new(),
        },
        Some(ACCOUNT),
    )
}

/// An account behind the ports: what it holds, and every call made to it.
#[derive(Default)]
struct FakeAccount {
    items: HashMap<(ResourceKind, String), String>,
    keys: HashMap<String, Fact<KeyFacts>>,
    buckets: HashMap<String, Fact<BucketFacts>>,
    pipelines: Vec<PipelineFacts>,
    tagged: TaggedStores,
    list_error: Option<SourceError>,
    /// The account's own facts; a protected account when not set.
    account: Option<AccountFacts>,
    calls: RefCell<Vec<String>>,
}

/// An account whose one trail records everything and whose optional protections are on.
fn protected_account() -> AccountFacts {
    AccountFacts {
        trails: Fact::Known(vec![artifact_guard::facts::Trail {
            name: format!("arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/main").into(),
            multi_region: true,
            organization: false,
            logging: Fact::Known(true),
            records_management_writes: Fact::Known(true),
            log_file_validation: true,
            kms_key: Some(format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/trail").into()),
        }]),
        endpoints: Fact::Known(vec![]),
        vpc_attachments: Fact::Known(vec![]),
        macie_enabled: Fact::Known(true),
        root_mfa: Fact::Known(true),
    }
}

impl FakeAccount {
    fn with_store() -> Self {
        let mut account = Self::default();
        account
            .items
            .insert((ResourceKind::Bucket, STORE.into()), BUCKET_ITEM.into());
        account
            .items
            .insert((ResourceKind::Key, KEY_ID.into()), KEY_ITEM.into());
        account
            .keys
            .insert(KEY_ID.into(), Fact::Known(key_facts(KEY_ID)));
        account.pipelines.push(pipeline("release-web", STORE));
        account
    }

    fn called(&self, what: String) {
        self.calls.borrow_mut().push(what);
    }

    fn calls(&self) -> Vec<String> {
        self.calls.borrow().clone()
    }

    fn count(&self, prefix: &str) -> usize {
        self.calls
            .borrow()
            .iter()
            .filter(|c| c.starts_with(prefix))
            .count()
    }
}

impl AccountReader for FakeAccount {
    async fn read_account(&self) -> AccountFacts {
        self.called("account:read".into());
        self.account.clone().unwrap_or_else(protected_account)
    }
}

impl BucketReader for FakeAccount {
    async fn read_bucket(&self, name: &str) -> Fact<BucketFacts> {
        self.called(format!("s3:read {name}"));
        self.buckets
            .get(name)
            .cloned()
            .unwrap_or_else(|| Fact::unknown(format!("s3: no bucket {name}")))
    }
}

impl KeyReader for FakeAccount {
    async fn read_key_policy(&self, key: &KeyRef) -> Fact<Box<str>> {
        self.called(format!("kms:GetKeyPolicy {}", key.as_str()));
        Fact::Known(DEFAULT_KEY_POLICY.into())
    }

    async fn read_key(&self, key: &KeyRef) -> KeyRecord {
        self.called(format!("kms:DescribeKey {}", key.as_str()));
        let id = key.key_id().unwrap_or(key.as_str());
        let facts = match self.keys.get(id) {
            Some(f) => ResourceFacts::Key(f.clone().boxed()),
            None => ResourceFacts::Gone(format!("{key} does not exist").into()),
        };
        KeyRecord {
            id: id.into(),
            alias: None,
            account_id: Some(ACCOUNT.into()),
            facts,
        }
    }
}

impl PipelineReader for FakeAccount {
    async fn list_pipelines(&self) -> Result<Vec<String>, SourceError> {
        self.called("codepipeline:ListPipelines".into());
        match &self.list_error {
            Some(e) => Err(e.clone()),
            None => Ok(self.pipelines.iter().map(|p| p.name.to_string()).collect()),
        }
    }

    async fn pipeline_tags(&self, arn: &str) -> Fact<Vec<(Box<str>, Box<str>)>> {
        self.called(format!("codepipeline:ListTagsForResource {arn}"));
        Fact::Known(vec![("owner".into(), "jane@example.com".into())])
    }

    async fn read_pipeline(&self, name: &str, _account: Option<&str>) -> Fact<PipelineFacts> {
        self.called(format!("codepipeline:GetPipeline {name}"));
        self.pipelines
            .iter()
            .find(|p| &*p.name == name)
            .cloned()
            .map_or_else(|| Fact::unknown("no such pipeline"), Fact::Known)
    }
}

impl ConfigReader for FakeAccount {
    async fn batch_get(&self, keys: &[ItemKey]) -> Result<Vec<ConfigurationItem>, SourceError> {
        // Like the adapter: one call per 100 keys.
        for chunk in keys.chunks(100) {
            self.called(format!("config:BatchGetResourceConfig {}", chunk.len()));
        }
        Ok(keys
            .iter()
            .filter_map(|k| self.items.get(&(k.kind, k.id.clone())))
            .map(|text| ConfigurationItem::from_json(text).expect("fixture item"))
            .collect())
    }

    async fn latest_item(
        &self,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Option<ConfigurationItem>, SourceError> {
        self.called(format!("config:GetResourceConfigHistory {id}"));
        Ok(self
            .items
            .get(&(kind, id.to_owned()))
            .map(|t| ConfigurationItem::from_json(t).expect("fixture item")))
    }
}

impl TaggedResourceFinder for FakeAccount {
    async fn tagged_stores(&self) -> Result<TaggedStores, SourceError> {
        self.called("tag:GetResources".into());
        Ok(self.tagged.clone())
    }
}

/// Config's `PutEvaluations`: records each batch; rejects ids in `reject` (`times` times each).
#[derive(Default)]
struct FakeSink {
    batches: RefCell<Vec<(Vec<Evaluation>, String, bool)>>,
    reject: RefCell<HashMap<String, usize>>,
}

impl EvaluationSink for FakeSink {
    async fn put_evaluations(
        &self,
        evaluations: &[Evaluation],
        result_token: &str,
        test_mode: bool,
    ) -> Result<Vec<RejectedEvaluation>, SourceError> {
        self.batches
            .borrow_mut()
            .push((evaluations.to_vec(), result_token.into(), test_mode));
        let mut reject = self.reject.borrow_mut();
        Ok(evaluations
            .iter()
            .filter_map(|e| {
                let left = reject.get_mut(&*e.compliance_resource_id)?;
                (*left > 0).then(|| {
                    *left -= 1;
                    RejectedEvaluation {
                        resource_type: e.compliance_resource_type.to_string(),
                        resource_id: e.compliance_resource_id.to_string(),
                    }
                })
            })
            .collect())
    }
}

fn deps(account: FakeAccount) -> Deps<FakeAccount, FakeSink> {
    Deps {
        sources: account,
        sink: FakeSink::default(),
        scope_cache: ScopeCache::default(),
        concurrency: 4,
        calls: |a: &FakeAccount| a.calls.borrow().len() as u64,
        roles: NoSessions::default(),
        session_calls: |s| s.sources.calls.borrow().len() as u64,
        home: Home::default(),
    }
}

fn event(text: &str, edit: impl FnOnce(&mut Value)) -> ConfigEvent {
    let mut v: Value = serde_json::from_str(text).expect("fixture");
    edit(&mut v);
    serde_json::from_value(v).expect("a ConfigEvent")
}

fn run<S, R>(
    e: ConfigEvent,
    deps: &Deps<S, FakeSink, R>,
) -> Result<crate::handler::RuleResult, RuleError>
where
    S: artifact_guard::live::Sources,
    R: AccountSessions<Session = Session<FakeAccount, FakeSink>>,
{
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(handle(
            e,
            tokio::time::Instant::now() + std::time::Duration::from_secs(60),
            deps,
        ))
}

#[test]
fn a_bucket_change_is_assessed_from_the_item_with_no_s3_calls() {
    let d = deps(FakeAccount::with_store());
    let result = run(event(BUCKET_CHANGE, |_| {}), &d).expect("handled");
    assert_eq!(result.message_type, "ConfigurationItemChangeNotification");
    let [e] = result.evaluations.as_slice() else {
        panic!("one evaluation: {result:?}")
    };
    assert_eq!(&*e.compliance_resource_id, STORE);
    assert_eq!(e.compliance_type, Compliance::Compliant, "{e:#?}");
    assert_eq!(
        e.ordering_timestamp.as_deref(),
        Some("2026-11-02T09:15:27.431Z"),
        "the item's capture time"
    );
    // Only the key was looked up: the console-default name puts the bucket in scope.
    assert_eq!(
        d.sources.calls(),
        vec![format!(
            "kms:DescribeKey arn:aws:kms:eu-west-1:{ACCOUNT}:key/{KEY_ID}"
        )]
    );
    let batches = d.sink.batches.borrow();
    assert_eq!(batches.len(), 1);
    assert_eq!((batches[0].1.as_str(), batches[0].2), ("TESTMODE", true));
}

#[test]
fn a_real_result_token_reports_without_test_mode() {
    let d = deps(FakeAccount::with_store());
    run(
        event(BUCKET_CHANGE, |v| {
            v["resultToken"] = json!("eyJ0b2tlbiI6IjEifQ==")
        }),
        &d,
    )
    .expect("handled");
    let batches = d.sink.batches.borrow();
    assert_eq!(
        (batches[0].1.as_str(), batches[0].2),
        ("eyJ0b2tlbiI6IjEifQ==", false)
    );
}

fn rename_bucket(v: &mut Value, name: &str) {
    let mut inv: Value =
        serde_json::from_str(v["invokingEvent"].as_str().expect("string")).expect("json");
    inv["configurationItem"]["resourceId"] = json!(name);
    inv["configurationItem"]["resourceName"] = json!(name);
    inv["configurationItem"]["tags"] = json!({});
    v["invokingEvent"] = json!(inv.to_string());
}

#[test]
fn scope_for_a_plain_bucket_comes_from_the_pipelines_and_is_cached() {
    let d = deps(FakeAccount::with_store());
    let e = run(event(BUCKET_CHANGE, |v| rename_bucket(v, "team-logs")), &d).expect("handled");
    assert_eq!(e.evaluations[0].compliance_type, Compliance::NotApplicable);
    assert_eq!(d.sources.count("codepipeline:ListPipelines"), 1);
    run(event(BUCKET_CHANGE, |v| rename_bucket(v, "other-logs")), &d).expect("handled");
    assert_eq!(
        d.sources.count("codepipeline:ListPipelines"),
        1,
        "the second event reuses the cached scope"
    );

    // A bucket a pipeline names is in scope even with an ordinary name.
    let mut account = FakeAccount::with_store();
    account
        .pipelines
        .push(pipeline("ordinary", "ordinary-store"));
    let d = deps(account);
    let e = run(
        event(BUCKET_CHANGE, |v| rename_bucket(v, "ordinary-store")),
        &d,
    )
    .expect("handled");
    assert_ne!(e.evaluations[0].compliance_type, Compliance::NotApplicable);
}

#[test]
fn the_scope_index_reads_recorded_pipelines_from_config_without_their_tags() {
    // release-web recorded by Config as a base item (no tags), its store renamed to an ordinary
    // name, so that only the scope index can put the bucket in scope.
    let mut item = base_pipeline_item();
    item["configuration"]["pipeline"]["artifactStore"]["location"] = json!("ordinary-store");
    let mut account = FakeAccount::with_store();
    account.items.insert(
        (ResourceKind::Pipeline, "release-web".into()),
        item.to_string(),
    );
    let d = deps(account);
    let e = run(
        event(BUCKET_CHANGE, |v| rename_bucket(v, "ordinary-store")),
        &d,
    )
    .expect("handled");
    assert_ne!(e.evaluations[0].compliance_type, Compliance::NotApplicable);
    assert_eq!(d.sources.count("codepipeline:ListPipelines"), 1);
    assert_eq!(d.sources.count("codepipeline:GetPipeline"), 0);
    assert_eq!(
        d.sources.count("codepipeline:ListTagsForResource"),
        0,
        "the scope needs the stores, not the tags: {:?}",
        d.sources.calls()
    );
}

#[test]
fn a_key_change_reads_the_key_policy_and_the_scope_index() {
    let d = deps(FakeAccount::with_store());
    let result = run(event(KEY_CHANGE, |_| {}), &d).expect("handled");
    let e = &result.evaluations[0];
    assert_eq!(e.compliance_resource_type, "AWS::KMS::Key");
    assert_eq!(
        e.compliance_type,
        Compliance::Compliant,
        "a pipeline's store key: {e:#?}"
    );
    assert!(
        d.sources.count("codepipeline:") > 0,
        "scope needed the pipelines"
    );
    // The configuration item carries everything but the key policy (Config records none).
    assert_eq!(
        d.sources.count(&format!("kms:GetKeyPolicy {KEY_ID}")),
        1,
        "{:?}",
        d.sources.calls()
    );
    assert_eq!(d.sources.count("kms:DescribeKey"), 0);
}

#[test]
fn a_pipeline_change_reads_its_store_through_one_batch_get() {
    let d = deps(FakeAccount::with_store());
    let result = run(event(PIPELINE_CHANGE, |_| {}), &d).expect("handled");
    let e = &result.evaluations[0];
    assert_eq!(&*e.compliance_resource_id, "release-web");
    assert_eq!(e.compliance_type, Compliance::Compliant, "{e:#?}");
    assert_eq!(
        d.sources.calls(),
        vec!["config:BatchGetResourceConfig 2".to_owned()]
    );
}

#[test]
fn a_pipeline_store_config_does_not_record_falls_back_to_s3_and_kms() {
    let mut account = FakeAccount::with_store();
    account.items.clear();
    let d = deps(account);
    let result = run(event(PIPELINE_CHANGE, |_| {}), &d).expect("handled");
    let calls = d.sources.calls();
    assert!(calls.contains(&format!("s3:read {STORE}")), "{calls:?}");
    assert!(
        calls.iter().any(|c| c.starts_with("kms:DescribeKey")),
        "{calls:?}"
    );
    // The fake S3 cannot read the bucket: fail closed, with the reason.
    let e = &result.evaluations[0];
    assert_eq!(e.compliance_type, Compliance::NonCompliant);
    assert!(e.annotation.contains("s3: no bucket"), "{}", e.annotation);
}

#[test]
fn an_oversized_notification_fetches_the_item() {
    let d = deps(FakeAccount::with_store());
    let result = run(event(OVERSIZED, |_| {}), &d).expect("handled");
    assert_eq!(
        result.message_type,
        "OversizedConfigurationItemChangeNotification"
    );
    assert_eq!(result.evaluations[0].compliance_type, Compliance::Compliant);
    assert_eq!(d.sources.count("config:GetResourceConfigHistory"), 1);
    // Config has no item: NON_COMPLIANT with the reason, never silence.
    let mut account = FakeAccount::with_store();
    account.items.clear();
    let d = deps(account);
    let result = run(event(OVERSIZED, |_| {}), &d).expect("handled");
    assert_eq!(
        result.evaluations[0].compliance_type,
        Compliance::NonCompliant
    );
    assert!(result.evaluations[0]
        .annotation
        .contains("GetResourceConfigHistory"));
}

#[test]
fn deleted_items_and_resources_that_left_scope_are_not_applicable_without_calls() {
    let d = deps(FakeAccount::with_store());
    let result = run(event(BUCKET_DELETED, |_| {}), &d).expect("handled");
    assert_eq!(
        result.evaluations[0].compliance_type,
        Compliance::NotApplicable
    );
    assert!(result.evaluations[0].annotation.contains("ResourceDeleted"));
    let result = run(
        event(BUCKET_CHANGE, |v| v["eventLeftScope"] = json!(true)),
        &d,
    )
    .expect("handled");
    assert_eq!(
        result.evaluations[0].compliance_type,
        Compliance::NotApplicable
    );
    assert!(d.sources.calls().is_empty(), "{:?}", d.sources.calls());
    assert_eq!(d.sink.batches.borrow().len(), 2, "both were still reported");
}

fn big_account(pipelines: usize) -> FakeAccount {
    let mut account = FakeAccount::with_store();
    for i in 0..pipelines {
        account
            .pipelines
            .push(pipeline(&format!("pipeline-{i:03}"), STORE));
    }
    account
}

#[test]
fn the_periodic_sweep_reports_in_batches_of_100_at_the_notification_time() {
    let d = deps(big_account(149));
    let result = run(event(PERIODIC, |_| {}), &d).expect("handled");
    // 150 pipelines, one bucket, one key, the account.
    assert_eq!(result.evaluations.len(), 153);
    assert!(result
        .evaluations
        .iter()
        .all(|e| e.ordering_timestamp.as_deref() == Some("2026-11-02T10:00:00.000Z")));
    let sizes: Vec<usize> = d.sink.batches.borrow().iter().map(|b| b.0.len()).collect();
    assert_eq!(sizes, vec![100, 53]);
    // Pipelines asked of Config in pages of 100 (this account's Config records none), then
    // the store.
    assert_eq!(
        d.sources.count("config:BatchGetResourceConfig"),
        3,
        "{:?}",
        d.sources.calls()
    );
    assert_eq!(d.sources.count("codepipeline:GetPipeline"), 150);
    assert_eq!(d.sources.count("s3:"), 0);
    assert_eq!(d.sources.count("tag:GetResources"), 1);
    assert_eq!(d.sources.count("account:read"), 1);
}

#[test]
fn the_periodic_sweep_reports_the_account_as_aws_config_account_rules_do() {
    let d = deps(FakeAccount::with_store());
    let result = run(event(PERIODIC, |_| {}), &d).expect("handled");
    let account = result
        .evaluations
        .iter()
        .find(|e| &*e.compliance_resource_type == "AWS::::Account")
        .expect("the account is reported");
    assert_eq!(&*account.compliance_resource_id, ACCOUNT);
    assert_eq!(
        account.compliance_type,
        Compliance::Compliant,
        "{}",
        account.annotation
    );
    assert_eq!(d.sources.count("account:read"), 1);
}

#[test]
fn an_account_without_a_trail_or_whose_trails_cannot_be_read_is_non_compliant() {
    for (trails, expected) in [
        (Fact::Known(vec![]), "account-cloudtrail"),
        (
            Fact::unknown("cloudtrail:DescribeTrails failed: AccessDeniedException: no"),
            "AccessDeniedException",
        ),
    ] {
        let mut account = FakeAccount::with_store();
        account.account = Some(AccountFacts {
            trails,
            ..protected_account()
        });
        let d = deps(account);
        let result = run(event(PERIODIC, |_| {}), &d).expect("handled");
        let account = result
            .evaluations
            .iter()
            .find(|e| &*e.compliance_resource_type == "AWS::::Account")
            .expect("the account is reported");
        assert_eq!(account.compliance_type, Compliance::NonCompliant);
        assert!(
            account.annotation.contains(expected),
            "{}",
            account.annotation
        );
    }
}

/// The configuration item inside the pipeline change event.
fn pipeline_item() -> String {
    let event: Value = serde_json::from_str(PIPELINE_CHANGE).expect("fixture");
    let invoking: Value =
        serde_json::from_str(event["invokingEvent"].as_str().expect("text")).expect("JSON");
    invoking["configurationItem"].to_string()
}

/// That item as `BatchGetResourceConfig` returns it: a base item, without tags.
fn base_pipeline_item() -> Value {
    let mut item: Value = serde_json::from_str(&pipeline_item()).expect("JSON");
    item.as_object_mut().expect("object").remove("tags");
    item
}

#[test]
fn the_sweep_reads_pipelines_config_records_without_get_pipeline() {
    let mut account = FakeAccount::with_store();
    account.items.insert(
        (ResourceKind::Pipeline, "release-web".into()),
        pipeline_item(),
    );
    let d = deps(account);
    let result = run(event(PERIODIC, |_| {}), &d).expect("handled");
    assert_eq!(result.evaluations.len(), 4, "{:?}", result.evaluations);
    assert_eq!(d.sources.count("codepipeline:GetPipeline"), 0);
    // One for the pipeline, one for its bucket and key; then the key's policy, which AWS
    // Config does not record, and the account.
    assert_eq!(
        d.sources.calls(),
        [
            "codepipeline:ListPipelines",
            "tag:GetResources",
            "config:BatchGetResourceConfig 1",
            "config:BatchGetResourceConfig 2",
            &format!("kms:GetKeyPolicy {KEY_ID}"),
            "account:read",
        ]
    );
    let pipeline = result
        .evaluations
        .iter()
        .find(|e| &*e.compliance_resource_id == "release-web")
        .expect("pipeline evaluated");
    assert_ne!(pipeline.compliance_type, Compliance::NotApplicable);
}

#[test]
fn a_pipeline_from_config_without_tags_gets_them_from_list_tags_for_resource() {
    let item = base_pipeline_item();
    let mut account = FakeAccount::with_store();
    account.items.insert(
        (ResourceKind::Pipeline, "release-web".into()),
        item.to_string(),
    );
    let d = deps(account);
    let result = run(event(PERIODIC, |_| {}), &d).expect("handled");
    assert_eq!(d.sources.count("codepipeline:GetPipeline"), 0);
    assert_eq!(
        d.sources.count(
            "codepipeline:ListTagsForResource arn:aws:codepipeline:eu-west-1:111122223333:release-web"
        ),
        1,
        "{:?}",
        d.sources.calls()
    );
    // The fake's tags hold an e-mail address: the tags were read and assessed.
    let pipeline = result
        .evaluations
        .iter()
        .find(|e| &*e.compliance_resource_id == "release-web")
        .expect("pipeline evaluated");
    assert_eq!(pipeline.compliance_type, Compliance::NonCompliant);
    assert!(
        pipeline.annotation.contains("personal") || pipeline.annotation.contains("mail"),
        "{}",
        pipeline.annotation
    );
}

#[test]
fn an_unreadable_key_is_non_compliant_and_everything_else_is_still_reported() {
    let mut account = FakeAccount::with_store();
    account
        .items
        .remove(&(ResourceKind::Key, KEY_ID.to_owned()));
    let denied = "kms:DescribeKey failed: AccessDeniedException: not authorized";
    account.keys.insert(KEY_ID.into(), Fact::unknown(denied));
    let d = deps(account);
    let result = run(event(PERIODIC, |_| {}), &d).expect("handled");
    let key = result
        .evaluations
        .iter()
        .find(|e| &*e.compliance_resource_id == KEY_ID)
        .expect("key reported");
    assert_eq!(key.compliance_type, Compliance::NonCompliant);
    assert!(
        key.annotation.contains("AccessDeniedException"),
        "{}",
        key.annotation
    );
    assert_eq!(
        result.evaluations.len(),
        4,
        "pipeline, bucket and account reported too"
    );
    let bucket = result
        .evaluations
        .iter()
        .find(|e| &*e.compliance_resource_id == STORE)
        .expect("bucket");
    assert_eq!(
        bucket.compliance_type,
        Compliance::NonCompliant,
        "its key could not be read"
    );
}

#[test]
fn annotations_stay_within_256_characters() {
    let mut account = FakeAccount::with_store();
    let long = format!("codepipeline-eu-west-1-{}", "x".repeat(40));
    account.pipelines = vec![pipeline(&"p".repeat(90), &long)];
    let d = deps(account);
    let result = run(event(PERIODIC, |_| {}), &d).expect("handled");
    assert!(
        result.evaluations.len() >= 2,
        "the pipeline and its store: {:?}",
        result.evaluations
    );
    for e in &result.evaluations {
        assert!(e.annotation.chars().count() <= 256, "{}", e.annotation);
    }
}

#[test]
fn rejected_evaluations_are_sent_once_more_then_fail_the_invocation() {
    let d = deps(FakeAccount::with_store());
    d.sink.reject.borrow_mut().insert(STORE.into(), 1);
    run(event(BUCKET_CHANGE, |_| {}), &d).expect("the retry was accepted");
    assert_eq!(d.sink.batches.borrow().len(), 2);

    let d = deps(FakeAccount::with_store());
    d.sink.reject.borrow_mut().insert(STORE.into(), 2);
    let err = run(event(BUCKET_CHANGE, |_| {}), &d).expect_err("rejected twice");
    assert!(matches!(err, RuleError::Rejected { count: 1, .. }), "{err}");
    let diagnostic = lambda_runtime::Diagnostic::from(err);
    assert_eq!(diagnostic.error_type, "Retryable");
}

#[test]
fn bad_parameters_and_events_are_invalid_event_errors_naming_the_field() {
    let d = deps(FakeAccount::with_store());
    type Edit = Box<dyn FnOnce(&mut Value)>;
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|v| v["ruleParameters"] = json!("{\"scope\":\"everything\"}")),
            "ruleParameters.scope",
        ),
        (
            Box::new(|v| v["ruleParameters"] = json!("{\"requiredControls\":\"nope\"}")),
            "ruleParameters.requiredControls",
        ),
        (
            Box::new(|v| v["ruleParameters"] = json!("not json")),
            "ruleParameters.ruleParameters",
        ),
        (Box::new(|v| v["resultToken"] = Value::Null), "resultToken"),
        (
            Box::new(|v| v["invokingEvent"] = json!("{\"messageType\":\"Other\"}")),
            "invokingEvent.messageType",
        ),
        (
            Box::new(|v| v["invokingEvent"] = json!("{oops")),
            "invokingEvent",
        ),
    ];
    for (edit, field) in cases {
        let err = run(event(BUCKET_CHANGE, edit), &d).expect_err("invalid");
        match &err {
            RuleError::InvalidEvent { field: f, .. } => assert_eq!(f, field, "{err}"),
            other => panic!("expected InvalidEvent for {field}, got {other}"),
        }
        assert_eq!(
            lambda_runtime::Diagnostic::from(err).error_type,
            "InvalidEvent"
        );
    }
    assert!(
        d.sink.batches.borrow().is_empty(),
        "nothing reported for an invalid event"
    );
    assert!(d.sources.calls().is_empty());
}

#[test]
fn a_failed_pipeline_listing_fails_the_sweep_as_retryable() {
    let mut account = FakeAccount::with_store();
    account.list_error = Some(SourceError {
        operation: "codepipeline:ListPipelines",
        kind: ErrorKind::Throttled,
        message: "ThrottlingException: Rate exceeded".into(),
    });
    let d = deps(account);
    let err = run(event(PERIODIC, |_| {}), &d).expect_err("sweep cannot list");
    assert_eq!(
        lambda_runtime::Diagnostic::from(err).error_type,
        "Retryable"
    );
    assert!(d.sink.batches.borrow().is_empty(), "no partial report");
}

const MEMBER: &str = "444455556666";
const ROLE: &str = "artifact-guard-execution";

/// The central deployment: home account 999988887777, one member session.
// The port hands out `Arc`s (production sessions are shared across invocations); the fakes
// are single-threaded.
#[allow(clippy::arc_with_non_send_sync)]
fn central(
    member: FakeAccount,
) -> Deps<FakeAccount, FakeSink, FixedSessions<Session<FakeAccount, FakeSink>>> {
    let mut roles = FixedSessions::default();
    roles.sessions.insert(
        format!("arn:aws:iam::{MEMBER}:role/{ROLE}"),
        std::sync::Arc::new(Session {
            sources: member,
            sink: FakeSink::default(),
            scope_cache: ScopeCache::default(),
        }),
    );
    Deps {
        sources: FakeAccount::default(),
        sink: FakeSink::default(),
        scope_cache: ScopeCache::default(),
        concurrency: 4,
        calls: |a: &FakeAccount| a.calls.borrow().len() as u64,
        roles,
        session_calls: |s| s.sources.calls.borrow().len() as u64,
        home: Home::known("999988887777", "aws"),
    }
}

/// An event of the member account for an organization rule with `executionRoleName`.
fn member_event(text: &str) -> ConfigEvent {
    let text = text.replace(ACCOUNT, MEMBER);
    event(&text, |v| {
        v["ruleParameters"] = json!(json!({"executionRoleName": ROLE}).to_string());
    })
}

#[test]
fn a_member_event_is_judged_and_reported_through_the_members_execution_role() {
    let d = central(FakeAccount::with_store());
    let result = run(member_event(PERIODIC), &d).expect("handled");
    assert_eq!(
        d.roles.asked(),
        [format!("arn:aws:iam::{MEMBER}:role/{ROLE}")],
        "the role in the event's account, never the event's executionRoleArn"
    );
    let session = &d.roles.sessions[&format!("arn:aws:iam::{MEMBER}:role/{ROLE}")];
    assert!(!result.evaluations.is_empty());
    assert_eq!(
        session
            .sink
            .batches
            .borrow()
            .iter()
            .map(|b| b.0.len())
            .sum::<usize>(),
        result.evaluations.len(),
        "every evaluation went to the member's PutEvaluations"
    );
    assert!(
        d.sink.batches.borrow().is_empty(),
        "nothing reported in the central account"
    );
    assert!(
        !session.sources.calls.borrow().is_empty(),
        "the member was read"
    );
    assert!(
        d.sources.calls.borrow().is_empty(),
        "the central account was not read"
    );
}

#[test]
fn the_partition_comes_from_the_rules_arn() {
    let d = central(FakeAccount::with_store());
    let e = {
        let text = PERIODIC
            .replace(ACCOUNT, MEMBER)
            .replace("arn:aws:config", "arn:aws-cn:config");
        event(&text, |v| {
            v["ruleParameters"] = json!(json!({"executionRoleName": ROLE}).to_string());
        })
    };
    let error = run(e, &d).expect_err("no such session");
    assert_eq!(
        d.roles.asked(),
        [format!("arn:aws-cn:iam::{MEMBER}:role/{ROLE}")]
    );
    assert_eq!(
        lambda_runtime::Diagnostic::from(error).error_type,
        "RoleNotAssumable"
    );
}

#[test]
fn a_role_that_cannot_be_assumed_fails_naming_role_account_and_fix() {
    let mut d = central(FakeAccount::with_store());
    d.roles.sessions.clear();
    let error = run(member_event(BUCKET_CHANGE), &d).expect_err("not assumable");
    let message = error.to_string();
    for part in [
        &format!("arn:aws:iam::{MEMBER}:role/{ROLE}") as &str,
        &format!("in account {MEMBER}"),
        "trust policy",
        "AccessDenied",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    assert_eq!(
        lambda_runtime::Diagnostic::from(error).error_type,
        "RoleNotAssumable"
    );
    assert!(
        d.sink.batches.borrow().is_empty(),
        "nothing reported as compliant"
    );
}

#[test]
fn another_accounts_event_without_an_execution_role_is_refused() {
    let mut d = deps(FakeAccount::with_store());
    d.home = Home::known("999988887777", "aws");
    let error = run(event(BUCKET_CHANGE, |_| {}), &d).expect_err("wrong account");
    let message = error.to_string();
    assert!(
        message.contains("accountId") && message.contains("executionRoleName"),
        "{message}"
    );
    assert_eq!(
        lambda_runtime::Diagnostic::from(error).error_type,
        "InvalidEvent"
    );
    assert!(
        d.sources.calls.borrow().is_empty(),
        "nothing read with the wrong account's facts"
    );
    assert!(d.sink.batches.borrow().is_empty());
    // The function's own account is judged as before.
    let mut own = deps(FakeAccount::with_store());
    own.home = Home::known(ACCOUNT, "aws");
    assert_eq!(
        run(event(BUCKET_CHANGE, |_| {}), &own)
            .expect("handled")
            .evaluations
            .len(),
        1
    );
}

#[test]
fn a_single_account_deployment_refuses_an_execution_role() {
    let d = deps(FakeAccount::with_store());
    let error = run(member_event(BUCKET_CHANGE), &d).expect_err("no roles");
    assert_eq!(
        lambda_runtime::Diagnostic::from(error).error_type,
        "RoleNotAssumable"
    );
}
