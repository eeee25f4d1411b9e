//! Given a pipeline, its store's key and bucket, when `pipeline-key-grants` runs, then its
//! status and the words that name the role and the missing grant.

use serde_json::json;

use crate::assess::tests::{good_bucket, good_key, good_pipeline, World, ACCOUNT, BUCKET, KEY_ID};
use crate::assess::Evaluation;
use crate::controls::{ControlId as C, Status};
use crate::facts::{Action, BucketFacts, Fact, KeyManager, PipelineDocument, ResourceKind};

const PARTNER_ROLE: &str = "arn:aws:iam::444455556666:role/deployer";

fn finding(e: &Evaluation) -> (Status, String) {
    let f = e
        .findings
        .iter()
        .find(|f| f.control == C::PipelineKeyGrants)
        .expect("pipeline-key-grants judged");
    (f.status, f.detail.to_string())
}

/// The good pipeline with a deploy action run by another account's role.
fn cross_account() -> PipelineDocument {
    let mut p = good_pipeline("web");
    p.stages[1].actions.push(Action {
        name: "DeployProd".into(),
        provider: Some("CloudFormation".into()),
        role_arn: Some(PARTNER_ROLE.into()),
        configuration: Vec::new(),
    });
    p
}

fn key_policy(statements: serde_json::Value) -> Option<Fact<Box<str>>> {
    Some(Fact::Known(
        json!({"Version": "2012-10-17", "Statement": statements})
            .to_string()
            .into(),
    ))
}

fn bucket_policy(extra: serde_json::Value) -> BucketFacts {
    let mut statements = vec![
        json!({"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{BUCKET}/*"),
               "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}),
        json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": format!("arn:aws:s3:::{BUCKET}/*"),
               "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
    ];
    statements.push(extra);
    let text = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    BucketFacts {
        policy: BucketFacts::policy_from_text(Some(&text), &format!("arn:aws:s3:::{BUCKET}")),
        ..good_bucket(BUCKET)
    }
}

fn judge(world: World) -> (Status, String) {
    finding(&world.assess(ResourceKind::Pipeline, "web"))
}

#[test]
fn the_default_key_policy_grants_the_pipelines_role_through_the_account_root() {
    let (status, detail) = judge(World::new());
    assert_eq!(status, Status::Pass);
    assert!(
        detail.contains("through the account root, which delegates to IAM")
            && detail.contains(&format!("arn:aws:iam::{ACCOUNT}:role/pipeline-web")),
        "{detail}"
    );
}

#[test]
fn naming_the_role_passes_without_a_delegation_note() {
    let mut key = good_key(KEY_ID);
    key.policy = key_policy(json!([{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:role/pipeline-web")},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}]));
    let (status, detail) = judge(World::new().key(key));
    assert_eq!(status, Status::Pass);
    assert_eq!(
        detail,
        "every role the pipeline runs with is granted its artifact stores' keys and objects"
    );
}

#[test]
fn another_accounts_role_needs_the_key_policy_and_the_bucket_policy() {
    // The default key policy names only the key's own account.
    let (status, detail) = judge(World::new().pipeline(cross_account()));
    assert_eq!(status, Status::Fail);
    assert_eq!(
        detail,
        format!(
            "artifact store {BUCKET}: the policy of key {KEY_ID} does not let action DeployProd's role {PARTNER_ROLE} (account 444455556666) use the key for kms:Decrypt: no statement allows it to that role or its account"
        )
    );
    // The key policy grants the other account; the bucket policy does not.
    let mut key = good_key(KEY_ID);
    key.policy = key_policy(json!([
        {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
         "Action": ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*"}
    ]));
    // The usual artifact store's policy holds only Denies: it lets no one in.
    let world = World::new().pipeline(cross_account()).key(key.clone());
    let (status, detail) = judge(world);
    assert_eq!(status, Status::Fail);
    assert!(
        detail.contains("the bucket policy allows nothing (it holds only Deny statements)"),
        "{detail}"
    );
    // A policy that allows another account, not this one.
    let bucket = bucket_policy(json!({"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::777788889999:root"},
        "Action": ["s3:GetObject", "s3:PutObject"], "Resource": format!("arn:aws:s3:::{BUCKET}/*")}));
    let world = World::new()
        .pipeline(cross_account())
        .key(key.clone())
        .bucket(bucket);
    let (status, detail) = judge(world);
    assert_eq!(status, Status::Fail);
    assert!(
        detail.contains(&format!("artifact store {BUCKET}: the bucket policy does not let action DeployProd's role"))
            && detail.ends_with("read and write the artifacts with s3:GetObject: no statement allows it to that role or its account"),
        "{detail}"
    );
    // And with the bucket policy granting the account as well: a pass, through the roots.
    let bucket = bucket_policy(json!({"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
        "Action": ["s3:GetObject*", "s3:PutObject*"], "Resource": format!("arn:aws:s3:::{BUCKET}/*")}));
    let (status, detail) = judge(
        World::new()
            .pipeline(cross_account())
            .key(key)
            .bucket(bucket),
    );
    assert_eq!(status, Status::Pass, "{detail}");
    assert!(detail.contains(PARTNER_ROLE), "{detail}");
}

#[test]
fn aws_managed_keys_serve_only_their_own_account() {
    let mut own = good_pipeline("web");
    own.stores[0].encryption_key = None;
    assert_eq!(judge(World::new().pipeline(own)).0, Status::Pass);
    let mut shared = cross_account();
    shared.stores[0].encryption_key = None;
    let (status, detail) = judge(World::new().pipeline(shared));
    assert_eq!(status, Status::Fail);
    assert!(
        detail.contains("cannot use the AWS managed key aws/s3"),
        "{detail}"
    );
    // A key that KMS reports as AWS managed, named by id, is the same.
    let mut key = good_key(KEY_ID);
    key.manager = Fact::Known(KeyManager::Aws);
    let (status, _) = judge(World::new().pipeline(cross_account()).key(key));
    assert_eq!(status, Status::Fail);
}

#[test]
fn what_cannot_be_read_or_decided_is_unknown_with_the_reason() {
    // A snapshot: AWS Config records no key policy.
    let mut key = good_key(KEY_ID);
    key.policy = None;
    let (status, detail) = judge(World::new().key(key));
    assert_eq!(status, Status::Unknown);
    assert!(detail.contains("kms:GetKeyPolicy"), "{detail}");
    // A key policy that reads as the engine cannot decide: kms:ViaService.
    let mut key = good_key(KEY_ID);
    key.policy = key_policy(
        json!([{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*",
        "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "s3.eu-west-1.amazonaws.com"}}}]),
    );
    let (status, detail) = judge(World::new().key(key));
    assert_eq!(status, Status::Unknown);
    assert!(
        detail.ends_with("Statement[0], the condition on kms:viaservice"),
        "{detail}"
    );
    // A pipeline whose roleArn is not a role.
    let mut p = good_pipeline("web");
    p.role_arn = Some("arn:aws:iam::111122223333:user/jane".into());
    let (status, detail) = judge(World::new().pipeline(p));
    assert_eq!(status, Status::Unknown);
    assert!(detail.contains("is not an IAM role ARN"), "{detail}");
}

#[test]
fn a_certain_deny_names_its_statement() {
    let mut key = good_key(KEY_ID);
    key.policy = key_policy(json!([
        {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::444455556666:root", format!("arn:aws:iam::{ACCOUNT}:root")]},
         "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:PrincipalAccount": ACCOUNT}}}
    ]));
    let (status, detail) = judge(World::new().pipeline(cross_account()).key(key));
    assert_eq!(status, Status::Fail);
    assert!(detail.ends_with(&format!("Statement[1] denies action DeployProd's role {PARTNER_ROLE} (account 444455556666) kms:Decrypt")), "{detail}");
}
