use serde_json::{json, Value};

use super::ConfigurationItem;
use crate::facts::{Fact, KeyManager, KeyRef, ResourceFacts, ResourceKind, Versioning};

const BUCKET_NOTIFICATION: &str =
    include_str!("../../../tests/fixtures/items/bucket-notification-shape.json");
const BUCKET_API: &str = include_str!("../../../tests/fixtures/items/bucket-api-shape.json");
const KEY_NOTIFICATION: &str =
    include_str!("../../../tests/fixtures/items/key-notification-shape.json");
const KEY_API_ASYMMETRIC: &str =
    include_str!("../../../tests/fixtures/items/key-api-shape-asymmetric.json");
const PIPELINE: &str =
    include_str!("../../../tests/fixtures/items/pipeline-notification-shape.json");

fn facts(text: &str) -> (crate::facts::Subject, ResourceFacts) {
    ConfigurationItem::from_json(text)
        .expect("parses")
        .into_facts()
        .expect("has an identity")
        .expect("is a supported type")
}

fn edit(text: &str, f: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(text).expect("fixture is JSON");
    f(&mut v);
    v.to_string()
}

#[test]
fn both_bucket_shapes_give_the_same_facts() {
    let (s1, f1) = facts(BUCKET_NOTIFICATION);
    let (s2, f2) = facts(BUCKET_API);
    assert_eq!(f1, f2);
    assert_eq!(s1.kind, ResourceKind::Bucket);
    assert_eq!(s1.id, s2.id);
    assert_eq!(s1.account_id.as_deref(), Some("111122223333"));
    assert_eq!(s2.account_id, s1.account_id);
    assert_eq!(s1.captured_at.as_deref(), Some("2026-11-02T09:15:27.431Z"));
    assert_eq!(s2.captured_at.as_deref(), Some("2026-11-02T09:15:27.431Z"));
    let ResourceFacts::Bucket(Fact::Known(b)) = f1 else {
        panic!("bucket facts")
    };
    let enc = b.encryption.known().cloned().flatten().expect("encryption");
    assert!(enc.uses_kms());
    assert_eq!(
        enc.key,
        Some(KeyRef::parse(
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        ))
    );
    assert_eq!(b.versioning, Fact::Known(Versioning::Enabled));
    assert!(b.public_access_block.known().expect("pab").all_blocked());
    let policy = b.policy.known().expect("policy");
    assert!(policy.unencrypted_uploads.is_denied());
    assert!(policy.insecure_transport.is_denied());
    assert!(!policy.old_tls.is_denied());
}

#[test]
fn both_key_shapes_are_read() {
    let (_, f) = facts(KEY_NOTIFICATION);
    let ResourceFacts::Key(Fact::Known(k)) = f else {
        panic!("key facts")
    };
    assert_eq!(k.symmetric(), Fact::Known(true));
    assert_eq!(k.manager, Fact::Known(KeyManager::Customer));
    assert_eq!(k.rotation_enabled, Fact::Known(true));
    let (s, f) = facts(KEY_API_ASYMMETRIC);
    assert_eq!(s.captured_at.as_deref(), Some("2026-11-02T09:16:01.002Z"));
    let ResourceFacts::Key(Fact::Known(k)) = f else {
        panic!("key facts")
    };
    assert_eq!(k.symmetric(), Fact::Known(false));
    assert_eq!(k.rotation_enabled, Fact::Known(false));
}

#[test]
fn pipeline_declaration_is_read_with_stores_actions_and_tags() {
    let item: Value = serde_json::from_str(PIPELINE).expect("fixture");
    let doc = super::pipeline_document(
        &item["configuration"]["pipeline"],
        "release-web",
        Some(vec![]),
    )
    .expect("declaration");
    assert_eq!(doc.stages.len(), 3);
    assert_eq!(
        doc.stages[1].actions[0].provider.as_deref(),
        Some("CodeBuild")
    );
    assert_eq!(doc.actions().count(), 3);

    let (s, f) = facts(PIPELINE);
    assert_eq!(s.kind, ResourceKind::Pipeline);
    let ResourceFacts::Pipeline(Fact::Known(p)) = f else {
        panic!("pipeline facts")
    };
    assert_eq!(p.stores.len(), 1);
    assert_eq!(
        &*p.stores[0].location,
        "codepipeline-eu-west-1-111122223333"
    );
    assert_eq!(p.foreign_roles, Fact::Known(Vec::new()));
    assert_eq!(
        p.role_arn.as_deref(),
        Some("arn:aws:iam::111122223333:role/release-web-pipeline")
    );
    assert_eq!(p.content.url_credentials, Fact::Known(None));
    assert_eq!(p.content.plaintext_secret, Fact::Known(None));
    assert_eq!(p.content.personal_data, Fact::Known(None));
    // The API shape: configuration as a string, `actionType` instead of `actionTypeId`,
    // cross-region `artifactStores`, a cross-account role, no tags.
    let api = edit(PIPELINE, |v| {
        let mut config = v["configuration"].take();
        let decl = &mut config["pipeline"];
        let store = decl["artifactStore"].take();
        decl.as_object_mut()
            .expect("object")
            .remove("artifactStore");
        decl["artifactStores"] =
            json!({"eu-west-1": store, "us-east-1": {"type": "S3", "location": "other"}});
        let action = &mut decl["stages"][0]["actions"][0];
        action["actionType"] = action["actionTypeId"].take();
        action
            .as_object_mut()
            .expect("object")
            .remove("actionTypeId");
        decl["stages"][2]["actions"][0]["roleArn"] = json!("arn:aws:iam::444455556666:role/deploy");
        v["configuration"] = Value::String(config.to_string());
        v.as_object_mut().expect("object").remove("tags");
    });
    let (_, f) = facts(&api);
    let ResourceFacts::Pipeline(Fact::Known(p)) = f else {
        panic!("pipeline facts")
    };
    assert_eq!(p.stores.len(), 2);
    let foreign = p
        .foreign_roles
        .known()
        .and_then(|roles| roles.first())
        .expect("cross-account role");
    assert_eq!(
        (&*foreign.action, &*foreign.account),
        ("DeployProd", "444455556666")
    );
    assert!(matches!(p.content.personal_data, Fact::Unknown(_)));
}

#[test]
fn an_unreadable_declaration_is_unknown_with_the_field() {
    let text = edit(PIPELINE, |v| {
        v["configuration"]["pipeline"]
            .as_object_mut()
            .expect("object")
            .remove("stages");
    });
    let (_, f) = facts(&text);
    assert!(
        matches!(f, ResourceFacts::Pipeline(Fact::Unknown(ref r)) if r.contains("stages is missing")),
        "{f:?}"
    );
}

#[test]
fn deleted_and_unrecorded_items_are_gone() {
    for status in [
        "ResourceDeleted",
        "ResourceDeletedNotRecorded",
        "ResourceNotRecorded",
    ] {
        let text = edit(BUCKET_NOTIFICATION, |v| {
            v["configurationItemStatus"] = json!(status)
        });
        let (_, f) = facts(&text);
        assert!(
            matches!(f, ResourceFacts::Gone(ref r) if r.contains(status)),
            "{status}"
        );
    }
}

#[test]
fn other_resource_types_are_skipped() {
    let text = edit(BUCKET_NOTIFICATION, |v| {
        v["resourceType"] = json!("AWS::EC2::Instance")
    });
    let item = ConfigurationItem::from_json(&text).expect("parses");
    assert_eq!(item.into_facts().expect("ok"), None);
}

#[test]
fn missing_identity_names_the_field() {
    let text = edit(BUCKET_NOTIFICATION, |v| {
        v.as_object_mut().expect("object").remove("resourceId");
    });
    let err = ConfigurationItem::from_json(&text)
        .expect("parses")
        .into_facts()
        .expect_err("no id");
    assert_eq!(err.field, "resourceId");
    let text = edit(BUCKET_NOTIFICATION, |v| {
        v["configurationItemCaptureTime"] = json!("yesterday")
    });
    let err = ConfigurationItem::from_json(&text)
        .expect("parses")
        .into_facts()
        .expect_err("bad time");
    assert_eq!(err.field, "configurationItemCaptureTime");
}

#[test]
fn missing_or_malformed_supplementary_facts_are_unknown_not_defaults() {
    let text = edit(BUCKET_NOTIFICATION, |v| {
        let sup = v["supplementaryConfiguration"]
            .as_object_mut()
            .expect("object");
        sup.remove("BucketVersioningConfiguration");
        sup.insert("BucketPolicy".into(), json!({"policyText": "{not json"}));
        sup.insert(
            "ServerSideEncryptionConfiguration".into(),
            json!({"rules": "x"}),
        );
    });
    let (_, f) = facts(&text);
    let ResourceFacts::Bucket(Fact::Known(b)) = f else {
        panic!("bucket facts")
    };
    assert!(
        matches!(b.encryption, Fact::Unknown(ref r) if r.contains("rules is missing")),
        "{:?}",
        b.encryption
    );
    assert!(
        matches!(b.versioning, Fact::Unknown(ref r) if r.contains("BucketVersioningConfiguration")),
        "{:?}",
        b.versioning
    );
    assert!(matches!(b.policy, Fact::Unknown(ref r) if r.contains("not valid JSON")));
}

#[test]
fn an_item_without_default_encryption_beside_other_supplementary_fields_has_none() {
    // Items captured before 2023 leave ServerSideEncryptionConfiguration out when the bucket
    // has no default encryption.
    let text = edit(BUCKET_NOTIFICATION, |v| {
        v["supplementaryConfiguration"]
            .as_object_mut()
            .expect("object")
            .remove("ServerSideEncryptionConfiguration");
    });
    let (_, f) = facts(&text);
    let ResourceFacts::Bucket(Fact::Known(b)) = f else {
        panic!("bucket facts")
    };
    assert_eq!(b.encryption, Fact::Known(None));

    // With no supplementary field at all, nothing is known about it.
    let text = edit(BUCKET_NOTIFICATION, |v| {
        v["supplementaryConfiguration"] = json!({});
    });
    let (_, f) = facts(&text);
    let ResourceFacts::Bucket(Fact::Known(b)) = f else {
        panic!("bucket facts")
    };
    assert!(
        matches!(b.encryption, Fact::Unknown(ref r) if r.contains("ServerSideEncryptionConfiguration is missing")),
        "{:?}",
        b.encryption
    );
}

#[test]
fn key_tags_are_read_from_the_item_tags_and_from_supplementary_tags() {
    let text = edit(KEY_NOTIFICATION, |v| {
        v["tags"] = json!({});
        v["supplementaryConfiguration"]["Tags"] = json!([{"tagKey": "team", "tagValue": "web"}, {"tagKey": "artifact-guard:artifact-store", "tagValue": "true"}]);
    });
    let (_, f) = facts(&text);
    let ResourceFacts::Key(Fact::Known(k)) = f else {
        panic!("key facts")
    };
    assert!(k.tagged_artifact_store);
    // The API shape encodes supplementary values as JSON text.
    let text = edit(KEY_NOTIFICATION, |v| {
        v.as_object_mut().expect("object").remove("tags");
        v["supplementaryConfiguration"]["Tags"] =
            json!(r#"[{"tagKey":"artifact-guard:artifact-store","tagValue":"true"}]"#);
    });
    let (_, f) = facts(&text);
    let ResourceFacts::Key(Fact::Known(k)) = f else {
        panic!("key facts")
    };
    assert!(k.tagged_artifact_store);
    let (_, f) = facts(KEY_NOTIFICATION);
    let ResourceFacts::Key(Fact::Known(k)) = f else {
        panic!("key facts")
    };
    assert!(!k.tagged_artifact_store, "the fixture itself is not tagged");
}

#[test]
fn no_policy_and_no_public_access_block_are_known_absences() {
    let text = edit(BUCKET_NOTIFICATION, |v| {
        let sup = v["supplementaryConfiguration"]
            .as_object_mut()
            .expect("object");
        sup.insert("BucketPolicy".into(), json!({"policyText": null}));
        sup.remove("PublicAccessBlockConfiguration");
    });
    let (_, f) = facts(&text);
    let ResourceFacts::Bucket(Fact::Known(b)) = f else {
        panic!("bucket facts")
    };
    assert!(!b
        .policy
        .known()
        .expect("known")
        .insecure_transport
        .is_denied());
    assert!(!b.public_access_block.known().expect("known").all_blocked());
}

#[test]
fn tags_mark_artifact_stores_from_either_tag_source() {
    let text = edit(BUCKET_NOTIFICATION, |v| {
        v["tags"] = json!({});
        v["supplementaryConfiguration"]["BucketTaggingConfiguration"] =
            json!({"tagSets": [{"tags": {"artifact-guard:artifact-store": "TRUE"}}]});
    });
    let (_, f) = facts(&text);
    let ResourceFacts::Bucket(Fact::Known(b)) = f else {
        panic!("bucket facts")
    };
    assert!(b.tagged_artifact_store);
}

#[test]
fn v2_variables_and_triggers_are_scanned_as_free_form_fields() {
    let with = |f: &dyn Fn(&mut Value)| {
        let text = edit(PIPELINE, |v| f(&mut v["configuration"]["pipeline"]));
        let (_, facts) = facts(&text);
        let ResourceFacts::Pipeline(Fact::Known(p)) = facts else {
            panic!("pipeline facts")
        };
        p.content
    };
    let clean = with(&|p| {
        p["variables"] = json!([{"name": "Region", "defaultValue": "eu-west-1", "description": "where to deploy"}]);
        p["triggers"] = json!([{"providerType": "CodeStarSourceConnection", "gitConfiguration": {
            "sourceActionName": "Source", "push": [{"branches": {"includes": ["main"]}}]}}]);
    });
    assert_eq!(clean.plaintext_secret, Fact::Known(None));
    assert_eq!(clean.url_credentials, Fact::Known(None));
    assert_eq!(clean.personal_data, Fact::Known(None));

    let secret = with(&|p| {
        p["variables"] = json!([{"name": "DEPLOY_TOKEN", "defaultValue": "tok-123"}]);
    });
    assert_eq!(
        secret.plaintext_secret,
        Fact::Known(Some(
            "variable DEPLOY_TOKEN default value holds a plaintext value".into()
        ))
    );
    let masked = with(&|p| {
        p["variables"] =
            json!([{"name": "DEPLOY_TOKEN", "defaultValue": "{{resolve:secretsmanager:t}}"}]);
    });
    assert_eq!(masked.plaintext_secret, Fact::Known(None));

    let email = with(&|p| {
        p["variables"] = json!([{"name": "Owner", "description": "ask jane.doe@example.com"}]);
    });
    assert_eq!(
        email.personal_data,
        Fact::Known(Some(
            "variable Owner description holds an e-mail address".into()
        ))
    );
    let url = with(&|p| {
        p["variables"] =
            json!([{"name": "Mirror", "defaultValue": "https://ci:hunter2@git.example.com/r.git"}]);
    });
    assert_eq!(
        url.url_credentials.known().and_then(|u| u.as_deref()),
        Some("variable Mirror default value holds a URL with a password in its user information")
    );
    let trigger = with(&|p| {
        p["triggers"] = json!([{"gitConfiguration": {"sourceActionName": "Source",
            "push": [{"filePaths": {"includes": ["docs/owner-bob@example.org/*"]}}]}}]);
    });
    assert_eq!(
        trigger.personal_data,
        Fact::Known(Some(
            "triggers[0].gitConfiguration.push[0].filePaths.includes[0] holds an e-mail address"
                .into()
        ))
    );
}

fn account_item(resource_type: &str, id: &str, configuration: Value, status: &str) -> String {
    json!({
        "resourceType": resource_type, "resourceId": id, "accountId": "111122223333",
        "awsRegion": "eu-west-1", "configurationItemStatus": status,
        "configurationItemCaptureTime": "2026-11-02T09:15:27.431Z",
        // The API shape encodes the configuration as a string.
        "configuration": configuration.to_string()
    })
    .to_string()
}

#[test]
fn trails_endpoints_and_projects_join_into_their_accounts_facts() {
    use crate::facts::{AccountFacts, Inventory, Trail, VpcAttachment, VpcEndpoint};
    let items = [
        account_item(
            "AWS::CloudTrail::Trail",
            "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main",
            json!({"name": "main", "isMultiRegionTrail": true, "isOrganizationTrail": false,
                   "logFileValidationEnabled": true, "hasCustomEventSelectors": false,
                   "kmsKeyId": "arn:aws:kms:eu-west-1:111122223333:key/t"}),
            "OK",
        ),
        account_item(
            "AWS::CloudTrail::Trail",
            "arn:aws:cloudtrail:eu-west-1:111122223333:trail/data",
            json!({"name": "data", "isMultiRegionTrail": false, "hasCustomEventSelectors": true}),
            "OK",
        ),
        account_item(
            "AWS::EC2::VPCEndpoint",
            "vpce-1",
            json!({"vpcEndpointId": "vpce-1", "vpcId": "vpc-1", "vpcEndpointType": "Interface",
                   "serviceName": "com.amazonaws.eu-west-1.codepipeline", "state": {"value": "available"},
                   "privateDnsEnabled": true}),
            "OK",
        ),
        account_item(
            "AWS::CodeBuild::Project",
            "build-app",
            json!({"name": "build-app", "vpcConfig": {"vpcId": "vpc-1", "subnets": []}}),
            "OK",
        ),
        // Not in a VPC: no attachment, but projects are recorded.
        account_item(
            "AWS::CodeBuild::Project",
            "lint",
            json!({"name": "lint"}),
            "OK",
        ),
        account_item(
            "AWS::CodeBuild::Project",
            "old",
            json!(null),
            "ResourceDeleted",
        ),
    ];
    let mut inventory = Inventory::new();
    for text in &items {
        let (subject, piece) = facts(text);
        assert_eq!(subject.kind, ResourceKind::Account);
        assert_eq!(&*subject.id, "111122223333");
        inventory.insert(subject, piece);
    }
    assert_eq!(inventory.len(), 1, "one account, one region");
    let ResourceFacts::Account(Fact::Known(account)) = &inventory.entries()[0].facts else {
        panic!("account facts")
    };
    let Fact::Known(trails) = &account.trails else {
        panic!("trails known")
    };
    assert_eq!(
        trails[0],
        Trail {
            name: "main".into(),
            multi_region: true,
            organization: false,
            logging: trails[0].logging.clone(),
            records_management_writes: Fact::Known(true),
            log_file_validation: true,
            kms_key: Some("arn:aws:kms:eu-west-1:111122223333:key/t".into()),
        }
    );
    // Config records neither the logging status nor custom selectors: unknown, never guessed.
    assert!(
        matches!(&trails[0].logging, Fact::Unknown(r) if r.contains("cloudtrail:GetTrailStatus"))
    );
    assert!(
        matches!(&trails[1].records_management_writes, Fact::Unknown(r) if r.contains("cloudtrail:GetEventSelectors"))
    );
    assert_eq!(
        account.endpoints,
        Fact::Known(vec![VpcEndpoint {
            id: "vpce-1".into(),
            vpc_id: "vpc-1".into(),
            service_name: "com.amazonaws.eu-west-1.codepipeline".into(),
            interface: true,
            available: true,
            private_dns: true,
        }])
    );
    assert_eq!(
        account.vpc_attachments,
        Fact::Known(vec![VpcAttachment {
            resource: "CodeBuild project build-app".into(),
            vpc_id: "vpc-1".into(),
        }])
    );
    assert!(
        matches!(&account.macie_enabled, Fact::Unknown(r) if r.contains("macie2:GetMacieSession"))
    );
    assert_eq!(
        AccountFacts::from_config().root_mfa,
        account.root_mfa,
        "root MFA is never in a snapshot"
    );
}

#[test]
fn an_account_piece_without_an_account_names_the_field() {
    let text = edit(
        &account_item("AWS::EC2::VPCEndpoint", "vpce-1", json!({}), "OK"),
        |v| {
            v.as_object_mut().expect("object").remove("accountId");
        },
    );
    let error = ConfigurationItem::from_json(&text)
        .expect("parses")
        .into_facts()
        .expect_err("no account");
    assert_eq!(error.field, "accountId");
}
