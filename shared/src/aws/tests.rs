//! Request-level adapter tests (aws-smithy-mocks): the exact requests made and how answers,
//! errors, throttling and paging are read. What moto serves is covered against moto in the
//! workspace integration tests.

use aws_sdk_codepipeline::operation::get_pipeline::GetPipelineOutput;
use aws_sdk_codepipeline::operation::list_pipelines::ListPipelinesOutput;
use aws_sdk_codepipeline::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_codepipeline::types as cp;
use aws_sdk_config::operation::batch_get_resource_config::BatchGetResourceConfigOutput;
use aws_sdk_config::operation::get_resource_config_history::GetResourceConfigHistoryOutput;
use aws_sdk_config::operation::put_evaluations::PutEvaluationsOutput;
use aws_sdk_config::types as cfg;
use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
use aws_sdk_kms::operation::get_key_policy::GetKeyPolicyOutput;
use aws_sdk_kms::operation::get_key_rotation_status::GetKeyRotationStatusOutput;
use aws_sdk_kms::types as kms;
use aws_sdk_resourcegroupstagging::operation::get_resources::GetResourcesOutput;
use aws_sdk_resourcegroupstagging::types::ResourceTagMapping;
use aws_sdk_s3::operation::get_bucket_encryption::GetBucketEncryptionOutput;
use aws_sdk_s3::operation::get_bucket_policy::GetBucketPolicyOutput;
use aws_sdk_s3::operation::get_bucket_tagging::GetBucketTaggingOutput;
use aws_sdk_s3::operation::get_bucket_versioning::GetBucketVersioningOutput;
use aws_sdk_s3::operation::get_public_access_block::GetPublicAccessBlockOutput;
use aws_sdk_s3::types as s3;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_types::DateTime;

use super::{AwsAccount, ConfigSink};
use crate::assess::Evaluation;
use crate::facts::{Fact, KeyManager, KeyRef, ResourceFacts, ResourceKind, Subject, Versioning};
use crate::live::{
    BucketReader, ConfigReader, ErrorKind, EvaluationSink, ItemKey, KeyReader, PipelineReader,
    TaggedResourceFinder,
};

const NONE: [&Rule; 0] = [];

pub(super) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

fn account_with(
    s3: aws_sdk_s3::Client,
    kms: aws_sdk_kms::Client,
    codepipeline: aws_sdk_codepipeline::Client,
    config: aws_sdk_config::Client,
) -> AwsAccount {
    AwsAccount::from_clients(
        s3,
        kms,
        codepipeline,
        config,
        mock_client!(aws_sdk_resourcegroupstagging, NONE),
    )
}

fn s3_only(rules: &[&Rule]) -> AwsAccount {
    account_with(
        mock_client!(aws_sdk_s3, RuleMode::MatchAny, rules),
        mock_client!(aws_sdk_kms, NONE),
        mock_client!(aws_sdk_codepipeline, NONE),
        mock_client!(aws_sdk_config, NONE),
    )
}

pub(super) fn kms_only(rules: &[&Rule]) -> AwsAccount {
    account_with(
        mock_client!(aws_sdk_s3, NONE),
        mock_client!(aws_sdk_kms, RuleMode::MatchAny, rules),
        mock_client!(aws_sdk_codepipeline, NONE),
        mock_client!(aws_sdk_config, NONE),
    )
}

/// An S3 REST-XML error answer.
fn s3_error(code: &str) -> Option<String> {
    Some(format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{code}</Message></Error>"))
}

/// An AWS JSON-protocol error answer.
pub(super) fn json_error(code: &str) -> Option<String> {
    Some(format!(
        "{{\"__type\":\"{code}\",\"message\":\"{code} for the test\"}}"
    ))
}

fn bucket_rules(
    versioning: Option<s3::BucketVersioningStatus>,
    policy: Option<&'static str>,
) -> Vec<Rule> {
    let mut rules = vec![
        mock!(aws_sdk_s3::Client::get_bucket_encryption)
            .match_requests(|r| r.bucket() == Some("store"))
            .then_output(|| {
                GetBucketEncryptionOutput::builder()
                    .server_side_encryption_configuration(
                        s3::ServerSideEncryptionConfiguration::builder()
                            .rules(
                                s3::ServerSideEncryptionRule::builder()
                                    .apply_server_side_encryption_by_default(
                                        s3::ServerSideEncryptionByDefault::builder()
                                            .sse_algorithm(s3::ServerSideEncryption::AwsKms)
                                            .kms_master_key_id(
                                                "arn:aws:kms:eu-west-1:111122223333:key/k1",
                                            )
                                            .build()
                                            .expect("valid"),
                                    )
                                    .build(),
                            )
                            .build()
                            .expect("valid"),
                    )
                    .build()
            }),
        mock!(aws_sdk_s3::Client::get_bucket_versioning).then_output(move || {
            GetBucketVersioningOutput::builder()
                .set_status(versioning.clone())
                .build()
        }),
        mock!(aws_sdk_s3::Client::get_public_access_block).then_output(|| {
            GetPublicAccessBlockOutput::builder()
                .public_access_block_configuration(
                    s3::PublicAccessBlockConfiguration::builder()
                        .block_public_acls(true)
                        .ignore_public_acls(true)
                        .block_public_policy(true)
                        .restrict_public_buckets(true)
                        .build(),
                )
                .build()
        }),
        mock!(aws_sdk_s3::Client::get_bucket_tagging).then_output(|| {
            GetBucketTaggingOutput::builder()
                .tag_set(
                    s3::Tag::builder()
                        .key("artifact-guard:artifact-store")
                        .value("true")
                        .build()
                        .expect("tag"),
                )
                .build()
                .expect("valid")
        }),
    ];
    rules.push(match policy {
        Some(text) => mock!(aws_sdk_s3::Client::get_bucket_policy)
            .then_output(move || GetBucketPolicyOutput::builder().policy(text).build()),
        None => mock!(aws_sdk_s3::Client::get_bucket_policy)
            .sequence()
            .http_status(404, s3_error("NoSuchBucketPolicy"))
            .build(),
    });
    rules
}

#[test]
fn get_bucket_versioning_statuses_are_read() {
    for (status, expected) in [
        (
            Some(s3::BucketVersioningStatus::Enabled),
            Versioning::Enabled,
        ),
        (
            Some(s3::BucketVersioningStatus::Suspended),
            Versioning::Suspended,
        ),
        (None, Versioning::Off),
    ] {
        let rules = bucket_rules(status, None);
        let refs: Vec<&Rule> = rules.iter().collect();
        let facts = block_on(s3_only(&refs).read_bucket("store"));
        let Fact::Known(b) = facts else {
            panic!("bucket read: {facts:?}")
        };
        assert_eq!(b.versioning, Fact::Known(expected));
        assert!(b.tagged_artifact_store);
        assert!(b.public_access_block.known().expect("pab").all_blocked());
        assert_eq!(
            b.encryption.known().cloned().flatten().and_then(|e| e.key),
            Some(KeyRef::parse("arn:aws:kms:eu-west-1:111122223333:key/k1"))
        );
        // NoSuchBucketPolicy is a known absence: nothing is denied.
        assert!(!b
            .policy
            .known()
            .expect("policy")
            .insecure_transport
            .is_denied());
        for rule in &rules {
            assert_eq!(rule.num_calls(), 1, "one request per S3 read");
        }
    }
}

#[test]
fn a_policy_read_denied_is_unknown_naming_the_operation() {
    let mut rules = bucket_rules(None, Some("{}"));
    rules.pop();
    rules.push(
        mock!(aws_sdk_s3::Client::get_bucket_policy)
            .sequence()
            .http_status(403, s3_error("AccessDenied"))
            .build(),
    );
    let refs: Vec<&Rule> = rules.iter().collect();
    let Fact::Known(b) = block_on(s3_only(&refs).read_bucket("store")) else {
        panic!("bucket read")
    };
    match b.policy {
        Fact::Unknown(why) => assert!(
            why.contains("s3:GetBucketPolicy") && why.contains("AccessDenied"),
            "{why}"
        ),
        other => panic!("expected Unknown, got {other:?}"),
    }
}

fn describe(spec: kms::KeySpec, manager: kms::KeyManagerType) -> DescribeKeyOutput {
    DescribeKeyOutput::builder()
        .key_metadata(
            kms::KeyMetadata::builder()
                .key_id("k1")
                .aws_account_id("111122223333")
                .key_spec(spec)
                .key_usage(kms::KeyUsageType::EncryptDecrypt)
                .key_state(kms::KeyState::Enabled)
                .key_manager(manager)
                .origin(kms::OriginType::AwsKms)
                .build()
                .expect("valid"),
        )
        .build()
}

/// The key policy, by key id, under its one name `default`.
fn key_policy_rule() -> Rule {
    mock!(aws_sdk_kms::Client::get_key_policy)
        .match_requests(|r| r.key_id() == Some("k1") && r.policy_name() == Some("default"))
        .then_output(|| {
            GetKeyPolicyOutput::builder()
                .policy(crate::assess::tests::DEFAULT_KEY_POLICY)
                .build()
        })
}

#[test]
fn a_key_is_described_and_its_rotation_and_policy_read() {
    let describe_rule = mock!(aws_sdk_kms::Client::describe_key)
        .match_requests(|r| r.key_id() == Some("arn:aws:kms:eu-west-1:444455556666:key/k1"))
        .then_output(|| {
            describe(
                kms::KeySpec::SymmetricDefault,
                kms::KeyManagerType::Customer,
            )
        });
    let rotation = mock!(aws_sdk_kms::Client::get_key_rotation_status)
        .match_requests(|r| r.key_id() == Some("k1"))
        .then_output(|| {
            GetKeyRotationStatusOutput::builder()
                .key_rotation_enabled(true)
                .build()
        });
    let policy = key_policy_rule();
    let record = block_on(
        kms_only(&[&describe_rule, &rotation, &policy])
            .read_key(&KeyRef::parse("arn:aws:kms:eu-west-1:444455556666:key/k1")),
    );
    assert_eq!(&*record.id, "k1");
    let ResourceFacts::Key(Fact::Known(k)) = record.facts else {
        panic!("key facts: {record:?}")
    };
    assert_eq!(k.rotation_enabled, Fact::Known(true));
    assert_eq!(k.symmetric(), Fact::Known(true));
    assert_eq!(
        k.policy,
        Some(Fact::Known(crate::assess::tests::DEFAULT_KEY_POLICY.into()))
    );
    assert_eq!(
        (
            describe_rule.num_calls(),
            rotation.num_calls(),
            policy.num_calls()
        ),
        (1, 1, 1),
        "cross-account keys are described by ARN"
    );
}

#[test]
fn a_key_policy_that_cannot_be_read_is_unknown_and_the_rest_still_known() {
    let d = mock!(aws_sdk_kms::Client::describe_key)
        .then_output(|| describe(kms::KeySpec::SymmetricDefault, kms::KeyManagerType::Aws));
    let denied = mock!(aws_sdk_kms::Client::get_key_policy)
        .sequence()
        .http_status(400, json_error("AccessDeniedException"))
        .build();
    let record = block_on(kms_only(&[&d, &denied]).read_key(&KeyRef::parse("k1")));
    let ResourceFacts::Key(Fact::Known(k)) = record.facts else {
        panic!("key facts: {record:?}")
    };
    assert_eq!(k.symmetric(), Fact::Known(true));
    match &k.policy {
        Some(Fact::Unknown(why)) => assert!(
            why.contains("kms:GetKeyPolicy") && why.contains("AccessDeniedException"),
            "{why}"
        ),
        other => panic!("expected an unreadable policy, got {other:?}"),
    }
    assert_eq!(denied.num_calls(), 1);

    // Alone, for a key whose other facts came from AWS Config.
    let policy = key_policy_rule();
    let read = block_on(kms_only(&[&policy]).read_key_policy(&KeyRef::parse("k1")));
    assert_eq!(
        read,
        Fact::Known(crate::assess::tests::DEFAULT_KEY_POLICY.into())
    );
    assert_eq!(policy.num_calls(), 1);
}

#[test]
fn aws_managed_and_asymmetric_keys_are_not_asked_for_rotation() {
    let rotation = mock!(aws_sdk_kms::Client::get_key_rotation_status).then_output(|| {
        GetKeyRotationStatusOutput::builder()
            .key_rotation_enabled(true)
            .build()
    });
    for (spec, manager, symmetric, key_manager) in [
        (
            kms::KeySpec::SymmetricDefault,
            kms::KeyManagerType::Aws,
            true,
            KeyManager::Aws,
        ),
        (
            kms::KeySpec::Rsa2048,
            kms::KeyManagerType::Customer,
            false,
            KeyManager::Customer,
        ),
    ] {
        let d = mock!(aws_sdk_kms::Client::describe_key)
            .then_output(move || describe(spec.clone(), manager.clone()));
        let policy = key_policy_rule();
        let record = block_on(kms_only(&[&d, &rotation, &policy]).read_key(&KeyRef::parse("k1")));
        let ResourceFacts::Key(Fact::Known(k)) = record.facts else {
            panic!("key facts: {record:?}")
        };
        assert_eq!(
            (k.symmetric(), &k.manager),
            (Fact::Known(symmetric), &Fact::Known(key_manager))
        );
        // Not asked, and recorded as off: the key controls decide from the manager and spec.
        assert_eq!(k.rotation_enabled, Fact::Known(false));
        assert_eq!(d.num_calls(), 1);
    }
    assert_eq!(rotation.num_calls(), 0);
}

#[test]
fn a_symmetric_default_key_described_without_its_usage_is_symmetric() {
    // moto's DescribeKey leaves KeyUsage out for a key created without one; KMS gives every
    // SYMMETRIC_DEFAULT key ENCRYPT_DECRYPT usage.
    let d = mock!(aws_sdk_kms::Client::describe_key).then_output(|| {
        DescribeKeyOutput::builder()
            .key_metadata(
                kms::KeyMetadata::builder()
                    .key_id("k1")
                    .key_spec(kms::KeySpec::SymmetricDefault)
                    .key_state(kms::KeyState::Enabled)
                    .key_manager(kms::KeyManagerType::Customer)
                    .origin(kms::OriginType::AwsKms)
                    .build()
                    .expect("valid"),
            )
            .build()
    });
    let rotation = mock!(aws_sdk_kms::Client::get_key_rotation_status).then_output(|| {
        GetKeyRotationStatusOutput::builder()
            .key_rotation_enabled(true)
            .build()
    });
    let policy = key_policy_rule();
    let record = block_on(kms_only(&[&d, &rotation, &policy]).read_key(&KeyRef::parse("k1")));
    let ResourceFacts::Key(Fact::Known(k)) = record.facts else {
        panic!("key facts: {record:?}")
    };
    assert!(matches!(k.usage, Fact::Unknown(_)), "{:?}", k.usage);
    assert_eq!(k.symmetric(), Fact::Known(true));
    assert_eq!((d.num_calls(), rotation.num_calls()), (1, 1));
}

#[test]
fn throttling_is_retried_by_the_sdk_and_access_denied_is_kept_as_the_reason() {
    let throttled = mock!(aws_sdk_kms::Client::describe_key)
        .sequence()
        .http_status(400, json_error("ThrottlingException"))
        .times(2)
        .output(|| describe(kms::KeySpec::Rsa2048, kms::KeyManagerType::Customer))
        .build();
    let policy = key_policy_rule();
    let record = block_on(kms_only(&[&throttled, &policy]).read_key(&KeyRef::parse("k1")));
    assert!(
        matches!(record.facts, ResourceFacts::Key(Fact::Known(_))),
        "{record:?}"
    );
    assert_eq!(throttled.num_calls(), 3);

    let denied = mock!(aws_sdk_kms::Client::describe_key)
        .sequence()
        .http_status(400, json_error("AccessDeniedException"))
        .build();
    let record = block_on(kms_only(&[&denied]).read_key(&KeyRef::parse("alias/team")));
    assert_eq!(record.alias.as_deref(), Some("alias/team"));
    match record.facts {
        ResourceFacts::Key(Fact::Unknown(why)) => {
            assert!(
                why.contains("kms:DescribeKey") && why.contains("AccessDeniedException"),
                "{why}"
            )
        }
        other => panic!("expected an unreadable key, got {other:?}"),
    }
    assert_eq!(denied.num_calls(), 1, "access denied is not retried");

    let missing = mock!(aws_sdk_kms::Client::describe_key)
        .sequence()
        .http_status(400, json_error("NotFoundException"))
        .build();
    let record = block_on(kms_only(&[&missing]).read_key(&KeyRef::parse("k9")));
    assert!(matches!(record.facts, ResourceFacts::Gone(_)), "{record:?}");
}

fn config_only(rules: &[&Rule]) -> AwsAccount {
    account_with(
        mock_client!(aws_sdk_s3, NONE),
        mock_client!(aws_sdk_kms, NONE),
        mock_client!(aws_sdk_codepipeline, NONE),
        mock_client!(aws_sdk_config, RuleMode::MatchAny, rules),
    )
}

fn api_bucket_item() -> cfg::ConfigurationItem {
    cfg::ConfigurationItem::builder()
        .resource_type(cfg::ResourceType::from("AWS::S3::Bucket"))
        .resource_id("store")
        .resource_name("store")
        .account_id("111122223333")
        .arn("arn:aws:s3:::store")
        .configuration_item_status(cfg::ConfigurationItemStatus::Ok)
        .configuration_item_capture_time(DateTime::from_secs(1_793_610_927))
        .configuration("{\"name\":\"store\"}")
        .supplementary_configuration(
            "ServerSideEncryptionConfiguration",
            "{\"rules\":[{\"applyServerSideEncryptionByDefault\":{\"sseAlgorithm\":\"aws:kms\",\"kmsMasterKeyID\":null}}]}",
        )
        .supplementary_configuration("BucketPolicy", "\"{\\\"policyText\\\":null}\"")
        .supplementary_configuration("BucketVersioningConfiguration", "{\"status\":\"Enabled\"}")
        .tags("team", "web")
        .build()
}

#[test]
fn get_resource_config_history_asks_for_one_item_and_reads_the_api_shape() {
    let history = mock!(aws_sdk_config::Client::get_resource_config_history)
        .match_requests(|r| r.limit() == Some(1) && r.resource_id() == Some("store"))
        .then_output(|| {
            GetResourceConfigHistoryOutput::builder()
                .configuration_items(api_bucket_item())
                .build()
        });
    let item = block_on(config_only(&[&history]).latest_item(ResourceKind::Bucket, "store"))
        .expect("ok")
        .expect("item");
    let (subject, facts): (Subject, ResourceFacts) =
        item.into_facts().expect("identity").expect("bucket");
    assert_eq!(subject.captured_at.as_deref(), Some("2026-11-02T09:15:27Z"));
    let ResourceFacts::Bucket(Fact::Known(b)) = facts else {
        panic!("bucket facts")
    };
    assert!(b
        .encryption
        .known()
        .cloned()
        .flatten()
        .expect("kms")
        .uses_kms());
    assert_eq!(history.num_calls(), 1);

    let undiscovered = mock!(aws_sdk_config::Client::get_resource_config_history)
        .sequence()
        .http_status(400, json_error("ResourceNotDiscoveredException"))
        .build();
    let none = block_on(config_only(&[&undiscovered]).latest_item(ResourceKind::Bucket, "gone"))
        .expect("ok");
    assert!(none.is_none());
}

#[test]
fn batch_get_sends_at_most_100_keys_and_asks_again_for_unprocessed_ones() {
    let first = mock!(aws_sdk_config::Client::batch_get_resource_config)
        .match_requests(|r| r.resource_keys().len() == 100)
        .then_output(|| {
            BatchGetResourceConfigOutput::builder()
                .unprocessed_resource_keys(
                    cfg::ResourceKey::builder()
                        .resource_type(cfg::ResourceType::from("AWS::S3::Bucket"))
                        .resource_id("b7")
                        .build()
                        .expect("key"),
                )
                .build()
        });
    let rest = mock!(aws_sdk_config::Client::batch_get_resource_config)
        .match_requests(|r| r.resource_keys().len() == 50)
        .then_output(|| BatchGetResourceConfigOutput::builder().build());
    let retry = mock!(aws_sdk_config::Client::batch_get_resource_config)
        .match_requests(|r| r.resource_keys().len() == 1)
        .then_output(|| BatchGetResourceConfigOutput::builder().build());
    let keys: Vec<ItemKey> = (0..150)
        .map(|i| ItemKey {
            kind: ResourceKind::Bucket,
            id: format!("b{i}"),
        })
        .collect();
    let items = block_on(config_only(&[&first, &rest, &retry]).batch_get(&keys)).expect("ok");
    assert!(items.is_empty());
    assert_eq!(
        (first.num_calls(), rest.num_calls(), retry.num_calls()),
        (1, 1, 1)
    );
}

fn evaluation(id: &str) -> Evaluation {
    Evaluation::not_applicable_for(
        "AWS::S3::Bucket",
        id,
        Some("2026-11-02T09:15:27.431Z"),
        "test".into(),
    )
}

#[test]
fn put_evaluations_without_test_mode_sends_the_token_and_reads_failures() {
    let put = mock!(aws_sdk_config::Client::put_evaluations)
        .match_requests(|r| {
            r.test_mode() == Some(false)
                && r.result_token() == Some("token-1")
                && r.evaluations().len() == 2
                && r.evaluations()[0].compliance_resource_id() == "a"
                && r.evaluations()[0].compliance_type() == &cfg::ComplianceType::NotApplicable
                && r.evaluations()[0].ordering_timestamp()
                    == &DateTime::from_millis(1_793_610_927_431)
                && r.evaluations()[0].annotation() == Some("test")
        })
        .then_output(|| {
            PutEvaluationsOutput::builder()
                .failed_evaluations(
                    cfg::Evaluation::builder()
                        .compliance_resource_type("AWS::S3::Bucket")
                        .compliance_resource_id("b")
                        .compliance_type(cfg::ComplianceType::NotApplicable)
                        .ordering_timestamp(DateTime::from_secs(0))
                        .build()
                        .expect("valid"),
                )
                .build()
        });
    let sink = ConfigSink::new(mock_client!(aws_sdk_config, [&put]));
    let rejected =
        block_on(sink.put_evaluations(&[evaluation("a"), evaluation("b")], "token-1", false))
            .expect("sent");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].resource_id, "b");
    assert_eq!(put.num_calls(), 1);
}

#[test]
fn put_evaluations_throttled_past_the_retries_is_a_retryable_error() {
    let put = mock!(aws_sdk_config::Client::put_evaluations)
        .sequence()
        .http_status(400, json_error("ThrottlingException"))
        .repeatedly()
        .build();
    let sink = ConfigSink::new(mock_client!(aws_sdk_config, [&put]));
    let err = block_on(sink.put_evaluations(&[evaluation("a")], "t", true)).expect_err("throttled");
    assert_eq!(err.kind, ErrorKind::Throttled);
    assert!(err.retryable());
    assert!(put.num_calls() > 1, "the SDK retried");
}

#[test]
fn pipelines_are_listed_across_pages_and_read_with_their_tags() {
    let page1 = mock!(aws_sdk_codepipeline::Client::list_pipelines)
        .match_requests(|r| r.next_token().is_none())
        .then_output(|| {
            ListPipelinesOutput::builder()
                .pipelines(cp::PipelineSummary::builder().name("a").build())
                .next_token("t2")
                .build()
        });
    let page2 = mock!(aws_sdk_codepipeline::Client::list_pipelines)
        .match_requests(|r| r.next_token() == Some("t2"))
        .then_output(|| {
            ListPipelinesOutput::builder()
                .pipelines(cp::PipelineSummary::builder().name("b").build())
                .build()
        });
    let get = mock!(aws_sdk_codepipeline::Client::get_pipeline)
        .match_requests(|r| r.name() == Some("a"))
        .then_output(|| {
            GetPipelineOutput::builder()
                .pipeline(
                    cp::PipelineDeclaration::builder()
                        .name("a")
                        .role_arn("arn:aws:iam::111122223333:role/p")
                        .artifact_store(
                            cp::ArtifactStore::builder()
                                .r#type(cp::ArtifactStoreType::S3)
                                .location("store")
                                .build()
                                .expect("valid"),
                        )
                        .stages(
                            cp::StageDeclaration::builder()
                                .name("Deploy")
                                .actions(
                                    cp::ActionDeclaration::builder()
                                        .name("Deploy")
                                        .role_arn("arn:aws:iam::444455556666:role/deploy")
                                        .action_type_id(
                                            cp::ActionTypeId::builder()
                                                .category(cp::ActionCategory::Deploy)
                                                .owner(cp::ActionOwner::Aws)
                                                .provider("CloudFormation")
                                                .version("1")
                                                .build()
                                                .expect("valid"),
                                        )
                                        .configuration("StackName", "web")
                                        .build()
                                        .expect("valid"),
                                )
                                .build()
                                .expect("valid"),
                        )
                        .build()
                        .expect("valid"),
                )
                .metadata(
                    cp::PipelineMetadata::builder()
                        .pipeline_arn("arn:aws:codepipeline:eu-west-1:111122223333:a")
                        .build(),
                )
                .build()
        });
    let tags = mock!(aws_sdk_codepipeline::Client::list_tags_for_resource)
        .match_requests(|r| {
            r.resource_arn() == Some("arn:aws:codepipeline:eu-west-1:111122223333:a")
        })
        .then_output(|| {
            ListTagsForResourceOutput::builder()
                .tags(
                    cp::Tag::builder()
                        .key("owner")
                        .value("jane@example.com")
                        .build()
                        .expect("tag"),
                )
                .build()
        });
    let account = account_with(
        mock_client!(aws_sdk_s3, NONE),
        mock_client!(aws_sdk_kms, NONE),
        mock_client!(
            aws_sdk_codepipeline,
            RuleMode::MatchAny,
            [&page1, &page2, &get, &tags]
        ),
        mock_client!(aws_sdk_config, NONE),
    );
    assert_eq!(
        block_on(account.list_pipelines()).expect("listed"),
        vec!["a", "b"]
    );
    let Fact::Known(p) = block_on(account.read_pipeline("a", None)) else {
        panic!("pipeline read")
    };
    assert_eq!(
        p.account_id.as_deref(),
        Some("111122223333"),
        "owner taken from the ARN"
    );
    assert_eq!(
        p.foreign_roles
            .known()
            .and_then(|roles| roles.first())
            .map(|f| f.account.clone()),
        Some("444455556666".into())
    );
    assert!(matches!(p.content.personal_data, Fact::Known(Some(_))));
    assert_eq!(account.calls(), 4);
}

#[test]
fn tagged_buckets_and_keys_come_from_one_paged_query() {
    let page1 = mock!(aws_sdk_resourcegroupstagging::Client::get_resources)
        .match_requests(|r| r.pagination_token().is_none() && r.resource_type_filters().len() == 2)
        .then_output(|| {
            GetResourcesOutput::builder()
                .resource_tag_mapping_list(
                    ResourceTagMapping::builder()
                        .resource_arn("arn:aws:s3:::tagged-store")
                        .build(),
                )
                .pagination_token("p2")
                .build()
        });
    let page2 = mock!(aws_sdk_resourcegroupstagging::Client::get_resources)
        .match_requests(|r| r.pagination_token() == Some("p2"))
        .then_output(|| {
            GetResourcesOutput::builder()
                .resource_tag_mapping_list(
                    ResourceTagMapping::builder()
                        .resource_arn("arn:aws:kms:eu-west-1:111122223333:key/k1")
                        .build(),
                )
                .pagination_token("")
                .build()
        });
    let account = AwsAccount::from_clients(
        mock_client!(aws_sdk_s3, NONE),
        mock_client!(aws_sdk_kms, NONE),
        mock_client!(aws_sdk_codepipeline, NONE),
        mock_client!(aws_sdk_config, NONE),
        mock_client!(
            aws_sdk_resourcegroupstagging,
            RuleMode::MatchAny,
            [&page1, &page2]
        ),
    );
    let found = block_on(account.tagged_stores()).expect("found");
    assert_eq!(found.buckets, vec!["tagged-store"]);
    assert_eq!(
        found.keys,
        vec!["arn:aws:kms:eu-west-1:111122223333:key/k1"]
    );
}

mod pipeline_control {
    use aws_sdk_codepipeline::operation::disable_stage_transition::DisableStageTransitionOutput;
    use aws_sdk_codepipeline::operation::enable_stage_transition::EnableStageTransitionOutput;
    use aws_sdk_codepipeline::operation::get_job_details::GetJobDetailsOutput;
    use aws_sdk_codepipeline::operation::get_pipeline_state::GetPipelineStateOutput;
    use aws_sdk_codepipeline::operation::put_job_failure_result::PutJobFailureResultOutput;
    use aws_sdk_codepipeline::operation::put_job_success_result::PutJobSuccessResultOutput;
    use aws_sdk_codepipeline::types as cp;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::block_on;
    use crate::aws::PipelineControl;
    use crate::live::{JobResults, TransitionControl};

    // moto implements none of these operations: the exact requests are asserted here.

    #[test]
    fn stage_transitions_are_read_and_changed_with_exact_requests() {
        let state = mock!(aws_sdk_codepipeline::Client::get_pipeline_state)
            .match_requests(|r| r.name() == Some("web"))
            .then_output(|| {
                GetPipelineStateOutput::builder()
                    .stage_states(cp::StageState::builder().stage_name("Source").build())
                    .stage_states(
                        cp::StageState::builder()
                            .stage_name("Deploy")
                            .inbound_transition_state(
                                cp::TransitionState::builder()
                                    .enabled(false)
                                    .disabled_reason("artifact-guard - blocked")
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            });
        let disable = mock!(aws_sdk_codepipeline::Client::disable_stage_transition)
            .match_requests(|r| {
                r.pipeline_name() == Some("web")
                    && r.stage_name() == Some("Deploy")
                    && r.transition_type() == Some(&cp::StageTransitionType::Inbound)
                    && r.reason() == Some("artifact-guard - blocked")
            })
            .then_output(|| DisableStageTransitionOutput::builder().build());
        let enable = mock!(aws_sdk_codepipeline::Client::enable_stage_transition)
            .match_requests(|r| {
                r.pipeline_name() == Some("web")
                    && r.stage_name() == Some("Deploy")
                    && r.transition_type() == Some(&cp::StageTransitionType::Inbound)
            })
            .then_output(|| EnableStageTransitionOutput::builder().build());
        let control = PipelineControl::from_client(mock_client!(
            aws_sdk_codepipeline,
            RuleMode::MatchAny,
            [&state, &disable, &enable]
        ));
        let stages = block_on(control.stage_transitions("web")).expect("state");
        assert_eq!(stages.len(), 2);
        assert!(
            stages[0].inbound_enabled,
            "no transition state means enabled"
        );
        assert_eq!(
            stages[1].disabled_reason.as_deref(),
            Some("artifact-guard - blocked")
        );
        block_on(control.disable_inbound("web", "Deploy", "artifact-guard - blocked"))
            .expect("disabled");
        block_on(control.enable_inbound("web", "Deploy")).expect("enabled");
        assert_eq!(
            (state.num_calls(), disable.num_calls(), enable.num_calls()),
            (1, 1, 1)
        );
    }

    #[test]
    fn job_results_are_sent_with_exact_requests() {
        let details = mock!(aws_sdk_codepipeline::Client::get_job_details)
            .match_requests(|r| r.job_id() == Some("job-1"))
            .then_output(|| {
                GetJobDetailsOutput::builder()
                    .job_details(
                        cp::JobDetails::builder()
                            .data(
                                cp::JobData::builder()
                                    .pipeline_context(
                                        cp::PipelineContext::builder().pipeline_name("web").build(),
                                    )
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            });
        let success = mock!(aws_sdk_codepipeline::Client::put_job_success_result)
            .match_requests(|r| {
                r.job_id() == Some("job-1")
                    && r.execution_details().and_then(|d| d.summary()) == Some("compliant")
                    && r.execution_details().and_then(|d| d.percent_complete()) == Some(100)
            })
            .then_output(|| PutJobSuccessResultOutput::builder().build());
        let failure = mock!(aws_sdk_codepipeline::Client::put_job_failure_result)
            .match_requests(|r| {
                r.job_id() == Some("job-1")
                    && r.failure_details().map(|d| d.r#type()) == Some(&cp::FailureType::JobFailed)
                    && r.failure_details().map(|d| d.message()) == Some("fix the store")
            })
            .then_output(|| PutJobFailureResultOutput::builder().build());
        let control = PipelineControl::from_client(mock_client!(
            aws_sdk_codepipeline,
            RuleMode::MatchAny,
            [&details, &success, &failure]
        ));
        assert_eq!(
            block_on(control.job_pipeline("job-1")).expect("pipeline"),
            "web"
        );
        block_on(control.put_job_success("job-1", "compliant")).expect("success sent");
        block_on(control.put_job_failure("job-1", "fix the store")).expect("failure sent");
        assert_eq!(
            (
                details.num_calls(),
                success.num_calls(),
                failure.num_calls()
            ),
            (1, 1, 1)
        );
    }
}

#[test]
fn a_v2_declarations_variables_and_triggers_become_free_form_fields() {
    let declaration = cp::PipelineDeclaration::builder()
        .name("v2")
        .set_stages(Some(Vec::new()))
        .role_arn("arn:aws:iam::111122223333:role/p")
        .artifact_store(
            cp::ArtifactStore::builder()
                .r#type(cp::ArtifactStoreType::S3)
                .location("store")
                .build()
                .expect("valid"),
        )
        .variables(
            cp::PipelineVariableDeclaration::builder()
                .name("NPM_TOKEN")
                .default_value("npm_plaintext")
                .description("owner jane.doe@example.com")
                .build()
                .expect("valid"),
        )
        .triggers(
            cp::PipelineTriggerDeclaration::builder()
                .provider_type(cp::PipelineTriggerProviderType::CodeStarSourceConnection)
                .git_configuration(
                    cp::GitConfiguration::builder()
                        .source_action_name("Source")
                        .push(
                            cp::GitPushFilter::builder()
                                .branches(
                                    cp::GitBranchFilterCriteria::builder()
                                        .includes("release/*")
                                        .build(),
                                )
                                .build(),
                        )
                        .build()
                        .expect("valid"),
                )
                .build()
                .expect("valid"),
        )
        .build()
        .expect("valid");
    let doc = super::codepipeline::document(&declaration, Fact::Known(Vec::new()));
    let places: Vec<&str> = doc.fields.iter().map(|f| &*f.place).collect();
    assert_eq!(
        places,
        [
            "variable NPM_TOKEN default value",
            "variable NPM_TOKEN description",
            "triggers[0].gitConfiguration.sourceActionName",
            "triggers[0].gitConfiguration.push[0].branches",
        ]
    );
    let facts = crate::facts::PipelineFacts::from_document(doc, Some("111122223333"));
    assert_eq!(
        facts.content.plaintext_secret,
        Fact::Known(Some(
            "variable NPM_TOKEN default value holds a plaintext value".into()
        ))
    );
    assert_eq!(
        facts.content.personal_data,
        Fact::Known(Some(
            "variable NPM_TOKEN description holds an e-mail address".into()
        ))
    );
}
