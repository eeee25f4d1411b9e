use serde_json::json;

use super::*;

const ROLE: &str = "arn:aws:iam::111122223333:role/service-role/release-pipeline";
const PARTNER: &str = "arn:aws:iam::444455556666:role/deployer";

fn policy(statements: serde_json::Value) -> Policy {
    Policy::from_value(&json!({"Version": "2012-10-17", "Statement": statements})).expect("policy")
}

fn caller(arn: &str) -> Caller<'_> {
    Caller::of_role(arn).expect("a role ARN")
}

fn key(policy: &Policy, role: &str) -> Grant {
    grant(policy, caller(role), &key_use())
}

const OBJECT: &str = "arn:aws:s3:::artifacts-web/release-pipeline/artifact";

fn artifacts(policy: &Policy, role: &str) -> Grant {
    grant(policy, caller(role), &artifact_access(OBJECT))
}

#[test]
fn only_role_arns_are_callers() {
    assert!(Caller::of_role(ROLE).is_some());
    for not_a_role in [
        "arn:aws:iam::111122223333:user/jane",
        "arn:aws:iam::111122223333:role/",
        "arn:aws:iam::11112222333:role/short-account",
        "arn:aws:sts::111122223333:assumed-role/x/y",
        "release-pipeline",
        "",
    ] {
        assert!(Caller::of_role(not_a_role).is_none(), "{not_a_role}");
    }
}

#[test]
fn codepipelines_cross_account_key_policy_grants_the_role_and_the_other_account() {
    // The shape of the key policy in CodePipeline's cross-account tutorial: the pipeline's
    // role by ARN, the other account by its root.
    let p = policy(json!([
        {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "Use", "Effect": "Allow",
         "Principal": {"AWS": [ROLE, "arn:aws:iam::444455556666:root"]},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
         "Resource": "*"}
    ]));
    let own = key(&p, ROLE);
    assert!(own.granted(), "{own:?}");
    assert_eq!(
        own.route,
        Some(Route::Role),
        "the role's own statement wins"
    );
    let partner = key(&p, PARTNER);
    assert!(partner.granted(), "{partner:?}");
    assert_eq!(partner.route, Some(Route::AccountRoot));
}

#[test]
fn the_default_key_policy_delegates_to_the_accounts_iam_policies() {
    let p = policy(
        json!({"Effect": "Allow", "Principal": {"AWS": "111122223333"},
                          "Action": "kms:*", "Resource": "*"}),
    );
    let own = key(&p, ROLE);
    assert!(own.granted());
    assert_eq!(own.route, Some(Route::AccountRoot));
    let partner = key(&p, PARTNER);
    assert!(partner.refused(), "{partner:?}");
    assert_eq!(partner.action, Some("kms:Decrypt"));
    assert_eq!(partner.statement, None, "no statement allows it");
}

#[test]
fn every_request_is_needed() {
    let p = policy(json!({"Effect": "Allow", "Principal": {"AWS": PARTNER},
                          "Action": "kms:Decrypt", "Resource": "*"}));
    let g = key(&p, PARTNER);
    assert!(g.refused());
    assert_eq!(g.action, Some("kms:GenerateDataKey"));
}

#[test]
fn a_certain_deny_refuses_and_an_undecided_one_leaves_it_open() {
    let allow = json!({"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::444455556666:root", ROLE]},
                       "Action": "kms:*", "Resource": "*"});
    // Deny every caller outside the key's account: certain for the partner, not for the role.
    let p = policy(
        json!([allow, {"Effect": "Deny", "Principal": "*", "Action": "kms:*",
        "Resource": "*", "Condition": {"StringNotEquals": {"kms:CallerAccount": "111122223333"}}}]),
    );
    let partner = key(&p, PARTNER);
    assert!(partner.refused());
    assert_eq!(partner.statement, Some(1));
    assert!(key(&p, ROLE).granted());
    // A Deny on an organization the engine does not know: undecided, and named.
    let p = policy(
        json!([allow, {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt",
        "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]),
    );
    let g = key(&p, PARTNER);
    assert!(!g.granted() && !g.refused(), "{g:?}");
    assert_eq!(g.statement, Some(1));
    assert_eq!(
        g.undecided.as_deref(),
        Some("the condition on aws:principalorgid")
    );
}

#[test]
fn conditions_are_judged_with_what_is_known_of_the_caller() {
    // The AWS managed key's policy: every principal of the account, through S3 only.
    let p = policy(json!({"Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
        "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333",
                                       "kms:ViaService": "s3.eu-west-1.amazonaws.com"}}}));
    assert!(key(&p, PARTNER).refused(), "another account never");
    let own = key(&p, ROLE);
    assert!(!own.granted() && !own.refused(), "{own:?}");
    assert_eq!(
        own.undecided.as_deref(),
        Some("the condition on kms:viaservice")
    );
    // aws:PrincipalArn is the caller's role ARN.
    let p = policy(
        json!({"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*",
        "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::444455556666:role/deploy*"}}}),
    );
    let g = key(&p, PARTNER);
    assert!(g.granted(), "{g:?}");
    assert_eq!(g.route, Some(Route::Everyone));
    assert!(key(&p, ROLE).refused());
}

#[test]
fn principals_name_roles_accounts_or_sessions() {
    // Another role of the same account is not the caller.
    let p = policy(
        json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:role/other"},
                          "Action": "kms:*", "Resource": "*"}),
    );
    assert!(key(&p, PARTNER).refused());
    // A session of the role: which session CodePipeline uses is not known.
    let p = policy(json!({"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:sts::444455556666:assumed-role/deployer/build-1"},
        "Action": "kms:*", "Resource": "*"}));
    let g = key(&p, PARTNER);
    assert!(!g.granted() && !g.refused(), "{g:?}");
    // NotPrincipal naming the role does not exempt its sessions: the Deny applies.
    let allow = json!({"Effect": "Allow", "Principal": {"AWS": PARTNER}, "Action": "kms:*", "Resource": "*"});
    let p = policy(
        json!([allow, {"Effect": "Deny", "NotPrincipal": {"AWS": PARTNER},
                                  "Action": "kms:*", "Resource": "*"}]),
    );
    assert!(key(&p, PARTNER).refused());
    let p = policy(json!([allow, {"Effect": "Deny",
        "NotPrincipal": {"AWS": [PARTNER, "arn:aws:sts::444455556666:assumed-role/deployer/s"]},
        "Action": "kms:*", "Resource": "*"}]));
    let g = key(&p, PARTNER);
    assert!(!g.granted() && !g.refused(), "{g:?}");
}

#[test]
fn artifact_access_is_asked_as_codepipeline_asks_it() {
    // CodePipeline's cross-account bucket policy beside the two Denies AWS recommends: uploads
    // carry aws:kms over TLS, so neither Deny applies to them.
    let p = policy(json!([
        {"Sid": "DenyUnEncryptedObjectUploads", "Effect": "Deny", "Principal": "*",
         "Action": "s3:PutObject", "Resource": "arn:aws:s3:::artifacts-web/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
        {"Sid": "DenyInsecureConnections", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": "arn:aws:s3:::artifacts-web/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
         "Action": ["s3:Get*", "s3:Put*"], "Resource": "arn:aws:s3:::artifacts-web/*"},
    ]));
    let g = artifacts(&p, PARTNER);
    assert!(g.granted(), "{g:?}");
    assert_eq!(g.route, Some(Route::AccountRoot));
    // A grant on one prefix only does not reach the pipeline's objects.
    let p = policy(json!({"Effect": "Allow", "Principal": {"AWS": PARTNER},
        "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::artifacts-web/other/*"}));
    assert!(artifacts(&p, PARTNER).refused());
    // Reading without writing is not enough.
    let p = policy(json!({"Effect": "Allow", "Principal": {"AWS": PARTNER},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::artifacts-web/*"}));
    let g = artifacts(&p, PARTNER);
    assert!(g.refused());
    assert_eq!(g.action, Some("s3:PutObject"));
}
