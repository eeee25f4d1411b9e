//! Every control through the assessor: given facts, when assessed, then findings, compliance,
//! score and annotation.

use serde_json::json;

use super::{Assessor, Compliance, Evaluation, Inventory, RuleParameters, ScopeIndex};
use crate::controls::{ControlId as C, Status};
use crate::facts::*;
use crate::policy::PolicyAnswers;

pub(crate) const ACCOUNT: &str = "111122223333";
pub(crate) const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
pub(crate) const BUCKET: &str = "artifacts-web";

pub(crate) fn key_arn(id: &str) -> String {
    format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/{id}")
}

pub(crate) fn subject(kind: ResourceKind, id: &str) -> Subject {
    Subject {
        kind,
        id: id.into(),
        account_id: Some(ACCOUNT.into()),
        region: Some("eu-west-1".into()),
        captured_at: Some("2026-11-02T09:15:27.431Z".into()),
    }
}

pub(crate) fn full_policy(bucket: &str) -> Fact<PolicyAnswers> {
    let doc = json!({"Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{bucket}/*"),
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": ["aws:kms", "aws:kms:dsse"]}}},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": format!("arn:aws:s3:::{bucket}/*"),
         "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}
    ]});
    let answers =
        BucketFacts::policy_from_text(Some(&doc.to_string()), &format!("arn:aws:s3:::{bucket}"));
    assert!(answers.known().is_some(), "valid");
    answers
}

pub(crate) fn good_bucket(name: &str) -> BucketFacts {
    BucketFacts {
        name: name.into(),
        encryption: Fact::Known(Some(DefaultEncryption {
            algorithm: "aws:kms".into(),
            key: Some(KeyRef::parse(&key_arn(KEY_ID))),
        })),
        policy: full_policy(name),
        versioning: Fact::Known(Versioning::Enabled),
        public_access_block: Fact::Known(PublicAccessBlock::ALL_ON),
        tagged_artifact_store: true,
    }
}

/// The KMS developer guide's default key policy: the account root, which delegates to IAM.
pub(crate) const DEFAULT_KEY_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;

pub(crate) fn good_key(id: &str) -> KeyFacts {
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
        policy: Some(Fact::Known(DEFAULT_KEY_POLICY.into())),
    }
}

pub(crate) fn good_pipeline(name: &str) -> PipelineDocument {
    PipelineDocument {
        name: name.into(),
        role_arn: Some(format!("arn:aws:iam::{ACCOUNT}:role/pipeline-{name}").into()),
        stores: vec![ArtifactStore {
            region: None,
            store_type: "S3".into(),
            location: BUCKET.into(),
            encryption_key: Some(StoreKey {
                key_type: "KMS".into(),
                key: KeyRef::parse(&key_arn(KEY_ID)),
            }),
        }],
        stages: vec![
            Stage {
                name: "Source".into(),
                actions: vec![Action {
                    name: "Checkout".into(),
                    provider: Some("CodeStarSourceConnection".into()),
                    role_arn: None,
                    configuration: vec![("FullRepositoryId".into(), "example/web".into())],
                }],
            },
            Stage {
                name: "Deploy".into(),
                actions: vec![Action {
                    name: "Deploy".into(),
                    provider: Some("CloudFormation".into()),
                    role_arn: Some(format!("arn:aws:iam::{ACCOUNT}:role/deploy").into()),
                    configuration: vec![("StackName".into(), "web".into())],
                }],
            },
        ],
        tags: Fact::Known(vec![("team".into(), "web".into())]),
        fields: Vec::new(),
    }
}

/// An account with one good pipeline, its bucket and key, plus whatever `extra` adds.
pub(crate) struct World {
    pub(crate) inventory: Inventory,
    pub(crate) params: RuleParameters,
}

impl World {
    pub(crate) fn new() -> Self {
        let mut inventory = Inventory::new();
        inventory.insert(
            subject(ResourceKind::Bucket, BUCKET),
            ResourceFacts::Bucket(Fact::Known(Box::new(good_bucket(BUCKET)))),
        );
        inventory.insert(
            subject(ResourceKind::Key, KEY_ID),
            ResourceFacts::Key(Fact::Known(Box::new(good_key(KEY_ID)))),
        );
        inventory.insert(
            subject(ResourceKind::Pipeline, "web"),
            ResourceFacts::Pipeline(Fact::Known(Box::new(PipelineFacts::from_document(
                good_pipeline("web"),
                Some(ACCOUNT),
            )))),
        );
        Self {
            inventory,
            params: RuleParameters::default(),
        }
    }

    pub(crate) fn bucket(mut self, b: BucketFacts) -> Self {
        let id = b.name.to_string();
        self.inventory.insert(
            subject(ResourceKind::Bucket, &id),
            ResourceFacts::Bucket(Fact::Known(Box::new(b))),
        );
        self
    }

    pub(crate) fn key(mut self, k: KeyFacts) -> Self {
        let id = k.key_id.to_string();
        self.inventory.insert(
            subject(ResourceKind::Key, &id),
            ResourceFacts::Key(Fact::Known(Box::new(k))),
        );
        self
    }

    pub(crate) fn pipeline(mut self, p: PipelineDocument) -> Self {
        let id = p.name.to_string();
        let facts = PipelineFacts::from_document(p, Some(ACCOUNT));
        self.inventory.insert(
            subject(ResourceKind::Pipeline, &id),
            ResourceFacts::Pipeline(Fact::Known(Box::new(facts))),
        );
        self
    }

    pub(crate) fn params(mut self, json: &str) -> Self {
        self.params = RuleParameters::from_json(json).expect("valid parameters");
        self
    }

    pub(crate) fn assess(&self, kind: ResourceKind, id: &str) -> Evaluation {
        let scope = ScopeIndex::from_inventory(&self.inventory);
        let assessor = Assessor::new(&self.params, &self.inventory, &scope);
        let found = assessor.assess_all().find(|e| {
            e.compliance_resource_type == kind.config_type() && &*e.compliance_resource_id == id
        });
        found.expect("resource assessed")
    }
}

fn status(e: &Evaluation, control: C) -> Status {
    e.findings
        .iter()
        .find(|f| f.control == control)
        .map(|f| f.status)
        .expect("finding present")
}

fn detail(e: &Evaluation, control: C) -> String {
    e.findings
        .iter()
        .find(|f| f.control == control)
        .map(|f| f.detail.to_string())
        .expect("finding present")
}

#[test]
fn a_well_protected_account_is_compliant_with_full_scores() {
    let w = World::new();
    for (kind, id) in [
        (ResourceKind::Bucket, BUCKET),
        (ResourceKind::Key, KEY_ID),
        (ResourceKind::Pipeline, "web"),
    ] {
        let e = w.assess(kind, id);
        assert_eq!(e.compliance_type, Compliance::Compliant, "{e:#?}");
        // The pipeline's cross-account control is NOT_APPLICABLE and does not count.
        assert_eq!(e.score, Some(100), "{e:#?}");
        assert_eq!(
            e.ordering_timestamp.as_deref(),
            Some("2026-11-02T09:15:27.431Z")
        );
    }
    let bucket = w.assess(ResourceKind::Bucket, BUCKET);
    assert_eq!(bucket.findings.len(), 8);
    assert_eq!(bucket.annotation, "score 100; every control passes");
}

#[test]
fn bucket_sse_kms() {
    let mut aes = good_bucket(BUCKET);
    aes.encryption = Fact::Known(Some(DefaultEncryption {
        algorithm: "AES256".into(),
        key: None,
    }));
    let e = World::new()
        .bucket(aes)
        .assess(ResourceKind::Bucket, BUCKET);
    assert_eq!(status(&e, C::BucketSseKms), Status::Fail);
    assert_eq!(status(&e, C::BucketKeyUsable), Status::NotApplicable);
    assert_eq!(e.compliance_type, Compliance::NonCompliant);
    assert!(
        e.annotation
            .starts_with("bucket-sse-kms FAIL: default encryption is AES256"),
        "{}",
        e.annotation
    );

    let mut dsse = good_bucket(BUCKET);
    dsse.encryption = Fact::Known(Some(DefaultEncryption {
        algorithm: "aws:kms:dsse".into(),
        key: None,
    }));
    let e = World::new()
        .bucket(dsse)
        .assess(ResourceKind::Bucket, BUCKET);
    assert_eq!(status(&e, C::BucketSseKms), Status::Pass);

    let mut none = good_bucket(BUCKET);
    none.encryption = Fact::Known(None);
    let e = World::new()
        .bucket(none)
        .assess(ResourceKind::Bucket, BUCKET);
    assert_eq!(status(&e, C::BucketSseKms), Status::Fail);
    assert_eq!(status(&e, C::BucketKeyUsable), Status::NotApplicable);
    assert_eq!(
        status(&e, C::BucketCustomerManagedKey),
        Status::NotApplicable
    );
    assert!(
        e.annotation.contains("no default encryption"),
        "{}",
        e.annotation
    );

    let mut unknown = good_bucket(BUCKET);
    unknown.encryption =
        Fact::unknown("supplementaryConfiguration.ServerSideEncryptionConfiguration is missing");
    let e = World::new()
        .bucket(unknown)
        .assess(ResourceKind::Bucket, BUCKET);
    assert_eq!(status(&e, C::BucketSseKms), Status::Unknown);
    assert_eq!(e.compliance_type, Compliance::NonCompliant);
    assert!(
        e.annotation
            .contains("ServerSideEncryptionConfiguration is missing"),
        "{}",
        e.annotation
    );
}

fn bucket_with_key(key: Option<&str>) -> BucketFacts {
    let mut b = good_bucket(BUCKET);
    b.encryption = Fact::Known(Some(DefaultEncryption {
        algorithm: "aws:kms".into(),
        key: key.map(KeyRef::parse),
    }));
    b
}

#[test]
fn bucket_key_usable() {
    let cases: Vec<(World, Status)> = vec![
        (World::new().bucket(bucket_with_key(None)), Status::Pass),
        (
            World::new().bucket(bucket_with_key(Some("alias/aws/s3"))),
            Status::Pass,
        ),
        (
            World::new().bucket(bucket_with_key(Some(KEY_ID))),
            Status::Pass,
        ),
        (
            World::new().bucket(bucket_with_key(Some("alias/unknown"))),
            Status::Unknown,
        ),
        (
            World::new().bucket(bucket_with_key(Some("0000-missing"))),
            Status::Unknown,
        ),
    ];
    for (world, expected) in cases {
        let e = world.assess(ResourceKind::Bucket, BUCKET);
        assert_eq!(status(&e, C::BucketKeyUsable), expected, "{e:#?}");
    }
    let mut asymmetric = good_key(KEY_ID);
    asymmetric.spec = Fact::Known("RSA_2048".into());
    let e = World::new()
        .key(asymmetric)
        .assess(ResourceKind::Bucket, BUCKET);
    assert_eq!(status(&e, C::BucketKeyUsable), Status::Fail);
    assert!(
        detail(&e, C::BucketKeyUsable).contains("CodePipeline only supports symmetric KMS keys")
    );
    let mut hmac = good_key(KEY_ID);
    hmac.spec = Fact::Known("HMAC_256".into());
    hmac.usage = Fact::Known("GENERATE_VERIFY_MAC".into());
    assert_eq!(
        status(
            &World::new().key(hmac).assess(ResourceKind::Bucket, BUCKET),
            C::BucketKeyUsable
        ),
        Status::Fail
    );
    let mut disabled = good_key(KEY_ID);
    disabled.state = Fact::Known("Disabled".into());
    let e = World::new()
        .key(disabled)
        .assess(ResourceKind::Bucket, BUCKET);
    assert_eq!(status(&e, C::BucketKeyUsable), Status::Fail);
    assert!(detail(&e, C::BucketKeyUsable).contains("Disabled"));

    let mut gone = World::new();
    gone.inventory.insert(
        subject(ResourceKind::Key, KEY_ID),
        ResourceFacts::Gone("configuration item status is ResourceDeleted".into()),
    );
    assert_eq!(
        status(
            &gone.assess(ResourceKind::Bucket, BUCKET),
            C::BucketKeyUsable
        ),
        Status::Fail
    );
}

#[test]
fn bucket_policy_controls() {
    let mut none = good_bucket(BUCKET);
    none.policy = Fact::Known(PolicyAnswers::no_policy());
    let e = World::new()
        .bucket(none)
        .assess(ResourceKind::Bucket, BUCKET);
    for c in [
        C::BucketDenyUnencryptedUploads,
        C::BucketDenyInsecureTransport,
        C::BucketDenyOldTls,
    ] {
        assert_eq!(status(&e, c), Status::Fail);
        assert!(detail(&e, c).contains("no bucket policy"));
    }
    assert_eq!(e.compliance_type, Compliance::NonCompliant);
    let mut bad = good_bucket(BUCKET);
    bad.policy =
        BucketFacts::policy_from_text(Some("{\"Statement\": 5}"), "arn:aws:s3:::artifacts-web");
    let e = World::new()
        .bucket(bad)
        .assess(ResourceKind::Bucket, BUCKET);
    assert_eq!(status(&e, C::BucketDenyInsecureTransport), Status::Unknown);
    assert_eq!(e.compliance_type, Compliance::NonCompliant);
}

#[test]
fn advisory_bucket_controls_lower_the_score_only() {
    let mut b = good_bucket(BUCKET);
    b.versioning = Fact::Known(Versioning::Suspended);
    b.public_access_block = Fact::Known(PublicAccessBlock {
        block_public_acls: true,
        ..Default::default()
    });
    b.encryption = Fact::Known(Some(DefaultEncryption {
        algorithm: "aws:kms".into(),
        key: None,
    }));
    let e = World::new().bucket(b).assess(ResourceKind::Bucket, BUCKET);
    assert_eq!(status(&e, C::BucketVersioning), Status::Fail);
    assert_eq!(status(&e, C::BucketPublicAccessBlocked), Status::Fail);
    assert_eq!(status(&e, C::BucketCustomerManagedKey), Status::Fail);
    assert_eq!(e.compliance_type, Compliance::Compliant);
    // 5 of 8 pass: 62.5 rounds down.
    assert_eq!(e.score, Some(62));
    assert_eq!(
        e.annotation,
        "score 62; advisory failing: bucket-versioning, bucket-public-access-blocked, bucket-customer-managed-key"
    );
}

#[test]
fn required_controls_parameter_promotes_advisory_controls() {
    let mut b = good_bucket(BUCKET);
    b.versioning = Fact::Known(Versioning::Off);
    let world = World::new()
        .bucket(b)
        .params(r#"{"requiredControls": "bucket-versioning"}"#);
    let e = world.assess(ResourceKind::Bucket, BUCKET);
    assert_eq!(e.compliance_type, Compliance::NonCompliant);
    assert!(e
        .findings
        .iter()
        .any(|f| f.control == C::BucketVersioning && f.required));
    // And a pipeline on that bucket is no longer on a protected store.
    let p = world.assess(ResourceKind::Pipeline, "web");
    assert_eq!(status(&p, C::PipelineStoreProtected), Status::Fail);
    assert!(
        detail(&p, C::PipelineStoreProtected).contains("bucket-versioning"),
        "{p:#?}"
    );
}

#[test]
fn key_controls() {
    let e = World::new().assess(ResourceKind::Key, KEY_ID);
    assert_eq!(status(&e, C::KeySymmetric), Status::Pass);
    for state in [
        "PendingDeletion",
        "Disabled",
        "PendingImport",
        "Unavailable",
    ] {
        let mut k = good_key(KEY_ID);
        k.state = Fact::Known(state.into());
        let e = World::new().key(k).assess(ResourceKind::Key, KEY_ID);
        assert_eq!(status(&e, C::KeyEnabled), Status::Fail, "{state}");
        assert_eq!(e.compliance_type, Compliance::NonCompliant);
    }
    let mut asym = good_key(KEY_ID);
    asym.spec = Fact::Known("ECC_NIST_P256".into());
    asym.usage = Fact::Known("SIGN_VERIFY".into());
    asym.rotation_enabled = Fact::Known(false);
    let e = World::new().key(asym).assess(ResourceKind::Key, KEY_ID);
    assert_eq!(status(&e, C::KeySymmetric), Status::Fail);
    assert_eq!(status(&e, C::KeyRotation), Status::NotApplicable);
}

#[test]
fn key_rotation() {
    let rotation = |edit: fn(&mut KeyFacts)| {
        let mut k = good_key(KEY_ID);
        edit(&mut k);
        status(
            &World::new().key(k).assess(ResourceKind::Key, KEY_ID),
            C::KeyRotation,
        )
    };
    assert_eq!(rotation(|_| {}), Status::Pass);
    assert_eq!(
        rotation(|k| k.rotation_enabled = Fact::Known(false)),
        Status::Fail
    );
    assert_eq!(
        rotation(|k| k.rotation_enabled = Fact::unknown("AccessDenied")),
        Status::Unknown
    );
    assert_eq!(
        rotation(|k| {
            k.manager = Fact::Known(KeyManager::Aws);
            k.rotation_enabled = Fact::unknown("not readable")
        }),
        Status::Pass
    );
    assert_eq!(
        rotation(|k| k.origin = Fact::Known("EXTERNAL".into())),
        Status::NotApplicable
    );
    assert_eq!(
        rotation(|k| k.custom_key_store = true),
        Status::NotApplicable
    );
}

#[test]
fn pipeline_store_protected() {
    let mut aes = good_bucket(BUCKET);
    aes.encryption = Fact::Known(Some(DefaultEncryption {
        algorithm: "AES256".into(),
        key: None,
    }));
    let e = World::new()
        .bucket(aes)
        .assess(ResourceKind::Pipeline, "web");
    assert_eq!(status(&e, C::PipelineStoreProtected), Status::Fail);
    assert!(detail(&e, C::PipelineStoreProtected).contains("bucket-sse-kms"));
    assert_eq!(e.compliance_type, Compliance::NonCompliant);

    let mut missing = good_pipeline("web");
    missing.stores[0].location = "not-recorded".into();
    let e = World::new()
        .pipeline(missing)
        .assess(ResourceKind::Pipeline, "web");
    assert_eq!(status(&e, C::PipelineStoreProtected), Status::Unknown);
    assert_eq!(e.compliance_type, Compliance::NonCompliant);

    // A second region's store that fails is found even when the first passes.
    let mut two = good_pipeline("web");
    let mut second = two.stores[0].clone();
    second.region = Some("us-east-1".into());
    second.location = "weak-store".into();
    two.stores.push(second);
    let mut weak = good_bucket("weak-store");
    weak.policy = Fact::Known(PolicyAnswers::no_policy());
    let e = World::new()
        .bucket(weak)
        .pipeline(two)
        .assess(ResourceKind::Pipeline, "web");
    assert_eq!(status(&e, C::PipelineStoreProtected), Status::Fail);
    assert!(detail(&e, C::PipelineStoreProtected).contains("weak-store"));
}

#[test]
fn pipeline_key_usable() {
    let with_key = |key: Option<(&str, &str)>| {
        let mut p = good_pipeline("web");
        p.stores[0].encryption_key = key.map(|(t, id)| StoreKey {
            key_type: t.into(),
            key: KeyRef::parse(id),
        });
        p
    };
    let s = |w: World| {
        status(
            &w.assess(ResourceKind::Pipeline, "web"),
            C::PipelineKeyUsable,
        )
    };
    assert_eq!(s(World::new().pipeline(with_key(None))), Status::Pass);
    assert_eq!(
        s(World::new().pipeline(with_key(Some(("KMS", KEY_ID))))),
        Status::Pass
    );
    assert_eq!(
        s(World::new().pipeline(with_key(Some(("KMS", "alias/aws/s3"))))),
        Status::Pass
    );
    assert_eq!(
        s(World::new().pipeline(with_key(Some(("AES", KEY_ID))))),
        Status::Fail
    );
    assert_eq!(
        s(World::new().pipeline(with_key(Some(("KMS", "nope"))))),
        Status::Unknown
    );
    let mut asym = good_key(KEY_ID);
    asym.usage = Fact::Known("SIGN_VERIFY".into());
    asym.spec = Fact::Known("RSA_4096".into());
    assert_eq!(s(World::new().key(asym)), Status::Fail);
}

#[test]
fn pipeline_cross_account_cmk() {
    let cross = |key: Option<&str>| {
        let mut p = good_pipeline("web");
        p.stages[1].actions[0].role_arn = Some("arn:aws:iam::444455556666:role/deploy".into());
        p.stores[0].encryption_key = key.map(|k| StoreKey {
            key_type: "KMS".into(),
            key: KeyRef::parse(k),
        });
        p
    };
    let s = |w: World| {
        let e = w.assess(ResourceKind::Pipeline, "web");
        (
            status(&e, C::PipelineCrossAccountCmk),
            detail(&e, C::PipelineCrossAccountCmk),
            e.compliance_type,
        )
    };
    assert_eq!(s(World::new()).0, Status::NotApplicable);
    let (st, why, compliance) = s(World::new().pipeline(cross(None)));
    assert_eq!((st, compliance), (Status::Fail, Compliance::NonCompliant));
    assert!(
        why.contains("444455556666") && why.contains("aws/s3"),
        "{why}"
    );
    assert_eq!(
        s(World::new().pipeline(cross(Some("alias/aws/s3")))).0,
        Status::Fail
    );
    assert_eq!(
        s(World::new().pipeline(cross(Some(&key_arn(KEY_ID))))).0,
        Status::Pass
    );
    assert_eq!(
        s(World::new().pipeline(cross(Some("arn:aws:kms:eu-west-1:444455556666:key/shared")))).0,
        Status::Pass
    );
    let mut aws_key = good_key(KEY_ID);
    aws_key.manager = Fact::Known(KeyManager::Aws);
    assert_eq!(
        s(World::new().key(aws_key).pipeline(cross(Some(KEY_ID)))).0,
        Status::Fail
    );
}

fn with_config(key: &str, value: &str) -> PipelineDocument {
    let mut p = good_pipeline("web");
    p.stages[0].actions[0]
        .configuration
        .push((key.into(), value.into()));
    p
}

#[test]
fn pipeline_no_url_credentials() {
    let s = |p| {
        status(
            &World::new()
                .pipeline(p)
                .assess(ResourceKind::Pipeline, "web"),
            C::PipelineNoUrlCredentials,
        )
    };
    assert_eq!(
        s(with_config("Repo", "git@github.com:org/repo.git")),
        Status::Pass
    );
    assert_eq!(
        s(with_config(
            "Repo",
            "https://bob:hunter2@git.example.com/r.git"
        )),
        Status::Fail
    );
    let e = World::new()
        .pipeline(with_config(
            "Url",
            "https://hooks.example.com/x?token=s3cr3tvalue",
        ))
        .assess(ResourceKind::Pipeline, "web");
    assert_eq!(status(&e, C::PipelineNoUrlCredentials), Status::Fail);
    assert!(
        !e.annotation.contains("s3cr3tvalue"),
        "annotation repeats the secret: {}",
        e.annotation
    );
    assert!(e.findings.iter().all(|f| !f.detail.contains("s3cr3tvalue")));
}

#[test]
fn pipeline_no_plaintext_secrets() {
    let s = |p| {
        status(
            &World::new()
                .pipeline(p)
                .assess(ResourceKind::Pipeline, "web"),
            C::PipelineNoPlaintextSecrets,
        )
    };
    assert_eq!(s(with_config("OAuthToken", "****")), Status::Pass);
    assert_eq!(
        s(with_config(
            "OAuthToken",
            "{{resolve:secretsmanager:github:SecretString:token}}"
        )),
        Status::Pass
    );
    assert_eq!(
        s(with_config("OAuthToken", "#{secrets.token}")),
        Status::Pass
    );
    assert_eq!(
        s(with_config("OAuthToken", "ghp_realtoken123")),
        Status::Fail
    );
    assert_eq!(s(with_config("WebhookSecret", "abc")), Status::Fail);
    let env = |v: &str| with_config("EnvironmentVariables", v);
    assert_eq!(
        s(env(
            r#"[{"name":"GITHUB_TOKEN","value":"ghp_x","type":"PLAINTEXT"}]"#
        )),
        Status::Fail
    );
    assert_eq!(
        s(env(r#"[{"name":"GITHUB_TOKEN","value":"ghp_x"}]"#)),
        Status::Fail
    );
    assert_eq!(
        s(env(
            r#"[{"name":"GITHUB_TOKEN","value":"/ci/gh","type":"PARAMETER_STORE"}]"#
        )),
        Status::Pass
    );
    assert_eq!(
        s(env(
            r#"[{"name":"STAGE","value":"prod","type":"PLAINTEXT"}]"#
        )),
        Status::Pass
    );
    assert_eq!(s(env("not json")), Status::Unknown);
}

#[test]
fn pipeline_no_personal_data() {
    let s = |p: PipelineDocument| {
        let e = World::new()
            .pipeline(p)
            .assess(ResourceKind::Pipeline, "web");
        assert!(
            !e.annotation.contains("jane@example.com"),
            "{}",
            e.annotation
        );
        status(&e, C::PipelineNoPersonalData)
    };
    let mut tagged = good_pipeline("web");
    tagged.tags = Fact::Known(vec![("owner".into(), "jane@example.com".into())]);
    assert_eq!(s(tagged), Status::Fail);
    let mut stage = good_pipeline("web");
    stage.stages[0].name = "Source@main".into();
    assert_eq!(s(stage), Status::Pass);
    let mut action = good_pipeline("web");
    action.stages[1].actions[0].name = "approve-jane@example.com".into();
    assert_eq!(s(action), Status::Fail);
    let mut untagged = good_pipeline("web");
    untagged.tags = Fact::unknown("the configuration item carries no tags");
    assert_eq!(s(untagged), Status::Unknown);
}

#[test]
fn pipeline_customer_managed_key_is_advisory() {
    let mut p = good_pipeline("web");
    p.stores[0].encryption_key = None;
    let e = World::new()
        .pipeline(p)
        .assess(ResourceKind::Pipeline, "web");
    assert_eq!(status(&e, C::PipelineCustomerManagedKey), Status::Fail);
    assert_eq!(e.compliance_type, Compliance::Compliant);
    // 6 of 7 applicable pass (cross-account is NOT_APPLICABLE; aws/s3 serves the pipeline's
    // own role, so pipeline-key-grants passes).
    assert_eq!(e.score, Some(85), "{e:#?}");
}

#[test]
fn scope_decides_which_buckets_and_keys_are_assessed() {
    let mut stray = good_bucket("team-logs");
    stray.tagged_artifact_store = false;
    stray.encryption = Fact::Known(None);
    let mut wizard = stray.clone();
    wizard.name = "codepipeline-eu-west-1-111122223333".into();
    let mut tagged = stray.clone();
    tagged.name = "tagged-store".into();
    tagged.tagged_artifact_store = true;
    let stray_key = good_key("stray-key");
    let world = World::new()
        .bucket(stray)
        .bucket(wizard)
        .bucket(tagged)
        .key(stray_key);
    let c = |kind, id| world.assess(kind, id).compliance_type;
    assert_eq!(
        c(ResourceKind::Bucket, "team-logs"),
        Compliance::NotApplicable
    );
    assert_eq!(
        c(ResourceKind::Bucket, "codepipeline-eu-west-1-111122223333"),
        Compliance::NonCompliant
    );
    assert_eq!(
        c(ResourceKind::Bucket, "tagged-store"),
        Compliance::NonCompliant
    );
    assert_eq!(c(ResourceKind::Key, "stray-key"), Compliance::NotApplicable);
    assert_eq!(c(ResourceKind::Key, KEY_ID), Compliance::Compliant);
    let mut untagged_store = good_bucket(BUCKET);
    untagged_store.tagged_artifact_store = false;
    assert_eq!(
        World::new()
            .bucket(untagged_store)
            .assess(ResourceKind::Bucket, BUCKET)
            .compliance_type,
        Compliance::Compliant,
        "named by a pipeline"
    );
    let all = World::new()
        .bucket(good_bucket("x"))
        .params(r#"{"scope": "all"}"#);
    let mut x = good_bucket("team-logs");
    x.tagged_artifact_store = false;
    let all = all.bucket(x);
    assert_eq!(
        all.assess(ResourceKind::Bucket, "team-logs")
            .compliance_type,
        Compliance::Compliant
    );
}

#[test]
fn exempt_and_gone_resources_are_not_applicable() {
    let e = World::new()
        .params(r#"{"exemptResources": "web, other"}"#)
        .assess(ResourceKind::Pipeline, "web");
    assert_eq!(e.compliance_type, Compliance::NotApplicable);
    assert!(e.annotation.contains("exemptResources"));
    assert_eq!(e.score, None);
    let mut w = World::new();
    w.inventory.insert(
        subject(ResourceKind::Bucket, BUCKET),
        ResourceFacts::Gone("configuration item status is ResourceDeleted".into()),
    );
    let e = w.assess(ResourceKind::Bucket, BUCKET);
    assert_eq!(e.compliance_type, Compliance::NotApplicable);
    assert_eq!(e.annotation, "configuration item status is ResourceDeleted");
}

#[test]
fn unreadable_resources_are_non_compliant_with_the_reason() {
    let mut w = World::new();
    w.inventory.insert(
        subject(ResourceKind::Key, KEY_ID),
        ResourceFacts::Key(Fact::unknown("AccessDenied on kms:DescribeKey")),
    );
    let e = w.assess(ResourceKind::Key, KEY_ID);
    assert_eq!(e.compliance_type, Compliance::NonCompliant);
    assert!(e.findings.iter().all(|f| f.status == Status::Unknown));
    assert!(e.annotation.contains("AccessDenied on kms:DescribeKey"));
    let b = w.assess(ResourceKind::Bucket, BUCKET);
    assert_eq!(status(&b, C::BucketKeyUsable), Status::Unknown);
    assert_eq!(b.compliance_type, Compliance::NonCompliant);
}

#[test]
fn annotations_fit_in_256_characters_and_name_required_failures_first() {
    let mut p = good_pipeline("web");
    p.stores[0].encryption_key = None;
    p.stores[0].location = "x".repeat(200).into();
    p.tags = Fact::Known(vec![("owner".into(), "jane@example.com".into())]);
    let e = World::new()
        .pipeline(p)
        .assess(ResourceKind::Pipeline, "web");
    assert!(
        e.annotation.chars().count() <= super::ANNOTATION_LIMIT,
        "{}",
        e.annotation.len()
    );
    assert!(e.annotation.ends_with('…'));
    assert!(
        e.annotation.starts_with("pipeline-store-protected UNKNOWN"),
        "{}",
        e.annotation
    );
    let failing: Vec<_> = e.failing_controls().map(|f| f.control).collect();
    assert_eq!(
        failing,
        vec![
            C::PipelineStoreProtected,
            C::PipelineNoPersonalData,
            C::PipelineCustomerManagedKey
        ]
    );
}
