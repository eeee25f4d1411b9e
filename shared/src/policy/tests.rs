use serde_json::json;

use super::{Policy, PolicyAnswers};

const BUCKET: &str = "arn:aws:s3:::artifacts";

fn answers(policy: serde_json::Value) -> PolicyAnswers {
    let policy = Policy::from_value(&policy).expect("valid policy");
    PolicyAnswers::of(&policy, BUCKET)
}

fn aws_sample() -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Id": "SSEAndSSLPolicy",
        "Statement": [
            {"Sid": "DenyUnEncryptedObjectUploads", "Effect": "Deny", "Principal": "*",
             "Action": "s3:PutObject", "Resource": "arn:aws:s3:::artifacts/*",
             "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
            {"Sid": "DenyInsecureConnections", "Effect": "Deny", "Principal": "*",
             "Action": "s3:*", "Resource": "arn:aws:s3:::artifacts/*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "DenyOldTls", "Effect": "Deny", "Principal": "*",
             "Action": "s3:*", "Resource": ["arn:aws:s3:::artifacts", "arn:aws:s3:::artifacts/*"],
             "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}
        ]
    })
}

#[test]
fn the_aws_sample_policy_passes_every_question() {
    let a = answers(aws_sample());
    assert!(a.unencrypted_uploads.is_denied(), "{a:?}");
    assert!(a.insecure_transport.is_denied(), "{a:?}");
    assert!(a.old_tls.is_denied(), "{a:?}");
}

#[test]
fn sids_and_statement_order_do_not_matter() {
    let mut doc = aws_sample();
    let statements = doc["Statement"].as_array_mut().expect("list");
    statements.reverse();
    for s in statements.iter_mut() {
        s["Sid"] = json!("x");
    }
    assert_eq!(answers(doc), answers(aws_sample()));
}

#[test]
fn a_single_statement_object_is_read_like_a_list() {
    let a = answers(json!({"Statement": {
        "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
        "Resource": "arn:aws:s3:::artifacts/*",
        "Condition": {"Bool": {"aws:SecureTransport": false}}}}));
    assert!(a.insecure_transport.is_denied(), "{a:?}");
    assert!(!a.unencrypted_uploads.is_denied());
}

#[test]
fn string_not_equals_without_null_still_denies_a_missing_header() {
    // IAM: a negated operator on an absent key is true, so no separate Null statement is needed.
    let a = answers(aws_sample());
    assert!(a.unencrypted_uploads.is_denied());
}

#[test]
fn if_exists_is_true_when_the_header_is_absent() {
    // IAM: a missing key makes an …IfExists condition true, so this deny still catches uploads
    // without the header.
    let a = answers(json!({"Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::artifacts/*",
        "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}}}]}));
    assert!(a.unencrypted_uploads.is_denied(), "{a:?}");
}

#[test]
fn a_deny_that_needs_the_header_leaves_the_missing_header_open() {
    let a = answers(json!({"Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::artifacts/*",
        "Condition": {"StringLike": {"s3:x-amz-server-side-encryption": "AES*"}}}]}));
    match &a.unencrypted_uploads {
        super::PolicyVerdict::NotDenied(gap) => {
            let why = gap.to_string();
            assert!(
                why.contains("without an x-amz-server-side-encryption header"),
                "{why}"
            )
        }
        other => panic!("expected NotDenied, got {other:?}"),
    }
}

#[test]
fn the_union_of_a_null_deny_and_an_if_exists_deny_covers_every_case() {
    let a = answers(json!({"Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::artifacts/*",
         "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": ["aws:kms", "aws:kms:dsse"]}}},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::artifacts/*",
         "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}}
    ]}));
    assert!(a.unencrypted_uploads.is_denied(), "{a:?}");
}

#[test]
fn denying_only_aes256_leaves_the_missing_header_open() {
    let a = answers(json!({"Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::artifacts/*",
        "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "AES256"}}}]}));
    assert!(!a.unencrypted_uploads.is_denied());
}

#[test]
fn condition_keys_and_actions_are_case_insensitive_but_values_are_not() {
    let a = answers(json!({"Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "S3:putobject",
         "Resource": "arn:aws:s3:::artifacts/*",
         "Condition": {"StringNotEquals": {"S3:X-AMZ-SERVER-SIDE-ENCRYPTION": "aws:kms"}}},
        {"Effect": "Deny", "Principal": "*", "Action": "S3:*",
         "Resource": "arn:aws:s3:::artifacts/*",
         "Condition": {"Bool": {"AWS:SECURETRANSPORT": "FALSE"}}}
    ]}));
    assert!(a.unencrypted_uploads.is_denied(), "{a:?}");
    assert!(a.insecure_transport.is_denied(), "{a:?}");
    let wrong_case_value = answers(json!({"Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::artifacts/*",
        "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "aes256"}}}]}));
    assert!(!wrong_case_value.unencrypted_uploads.is_denied());
}

#[test]
fn several_values_of_one_key_are_ored() {
    let a = answers(json!({"Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::artifacts/*",
         "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": ["AES256", "aws:fsx"]}}},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::artifacts/*",
         "Condition": {"Null": {"s3:x-amz-server-side-encryption": true}}}
    ]}));
    assert!(a.unencrypted_uploads.is_denied(), "{a:?}");
}

#[test]
fn several_operators_in_one_block_are_anded() {
    // Denies plain HTTP only for uploads that also lack KMS: not every insecure request.
    let a = answers(json!({"Statement": [{
    "Effect": "Deny", "Principal": "*", "Action": "s3:*",
    "Resource": "arn:aws:s3:::artifacts/*",
    "Condition": {
        "Bool": {"aws:SecureTransport": "false"},
        "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}
    }}]}));
    assert!(!a.insecure_transport.is_denied());
}

#[test]
fn an_undecidable_condition_never_counts_as_a_deny() {
    let a = answers(json!({"Statement": [{
    "Effect": "Deny", "Principal": "*", "Action": "s3:*",
    "Resource": "arn:aws:s3:::artifacts/*",
    "Condition": {
        "Bool": {"aws:SecureTransport": "false"},
        "StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}
    }}]}));
    match &a.insecure_transport {
        super::PolicyVerdict::NotDenied(gap) => {
            let why = gap.to_string();
            assert!(why.contains("aws:principalarn"), "{why}")
        }
        other => panic!("expected NotDenied, got {other:?}"),
    }
}

#[test]
fn unsupported_operators_and_policy_variables_are_undecidable() {
    for condition in [
        json!({"DateGreaterThan": {"aws:SecureTransport": "2020-01-01"}}),
        json!({"StringEquals": {"aws:SecureTransport": "${aws:username}"}}),
    ] {
        let a = answers(json!({"Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": "arn:aws:s3:::artifacts/*", "Condition": condition}]}));
        assert!(!a.insecure_transport.is_denied());
    }
}

#[test]
fn principals_must_be_everyone() {
    for principal in [
        json!({"AWS": "arn:aws:iam::111122223333:root"}),
        json!({"Service": "codepipeline.amazonaws.com"}),
    ] {
        let a = answers(json!({"Statement": [{
            "Effect": "Deny", "Principal": principal, "Action": "s3:*",
            "Resource": "arn:aws:s3:::artifacts/*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}));
        assert!(!a.insecure_transport.is_denied());
    }
    let listed = answers(json!({"Statement": [{
        "Effect": "Deny", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "*"]},
        "Action": "s3:*", "Resource": "arn:aws:s3:::artifacts/*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}));
    assert!(listed.insecure_transport.is_denied());
    let not_principal = answers(json!({"Statement": [{
        "Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "s3:*", "Resource": "arn:aws:s3:::artifacts/*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}));
    assert!(!not_principal.insecure_transport.is_denied());
}

#[test]
fn not_action_and_not_resource_follow_iam() {
    let covering = answers(json!({"Statement": [{
        "Effect": "Deny", "Principal": "*", "NotAction": "iam:*",
        "NotResource": "arn:aws:s3:::other/*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}));
    assert!(covering.insecure_transport.is_denied(), "{covering:?}");
    let carving = answers(json!({"Statement": [{
        "Effect": "Deny", "Principal": "*", "NotAction": "s3:GetObject",
        "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}));
    assert!(!carving.insecure_transport.is_denied());
    let carving_resource = answers(json!({"Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "*",
        "NotResource": "arn:aws:s3:::artifacts/public/*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}));
    assert!(!carving_resource.insecure_transport.is_denied());
}

#[test]
fn partial_actions_or_resources_do_not_cover() {
    let partial_action = answers(json!({"Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": ["s3:Get*", "s3:Put*"],
        "Resource": "arn:aws:s3:::artifacts/*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}));
    assert!(!partial_action.insecure_transport.is_denied());
    let bucket_only = answers(json!({"Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": "arn:aws:s3:::artifacts",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}));
    assert!(!bucket_only.insecure_transport.is_denied());
    let wildcard = answers(json!({"Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": "arn:aws:s3:::art?facts*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}));
    assert!(wildcard.insecure_transport.is_denied());
}

#[test]
fn allows_never_count() {
    let a = answers(json!({"Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:*",
        "Resource": "arn:aws:s3:::artifacts/*",
        "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}));
    assert!(!a.insecure_transport.is_denied());
}

#[test]
fn tls_floor_with_numeric_operators() {
    let floor = |op: &str, v: &str| {
        answers(json!({"Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": "arn:aws:s3:::artifacts/*",
            "Condition": {op: {"s3:TlsVersion": v}}}]}))
        .old_tls
        .is_denied()
    };
    assert!(floor("NumericLessThan", "1.2"));
    assert!(floor("NumericLessThanEquals", "1.1"));
    assert!(!floor("NumericLessThan", "1.1"));
    assert!(!floor("NumericLessThan", "one point two"));
    // IfExists also catches plain HTTP, which carries no TLS version.
    assert!(floor("NumericLessThanIfExists", "1.2"));
}

#[test]
fn for_all_values_is_true_over_an_absent_key() {
    let a = answers(json!({"Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::artifacts/*",
        "Condition": {"ForAllValues:StringNotEquals": {"s3:x-amz-server-side-encryption": ["aws:kms", "aws:kms:dsse"]}}}]}));
    assert!(a.unencrypted_uploads.is_denied(), "{a:?}");
    let any = answers(json!({"Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::artifacts/*",
        "Condition": {"ForAnyValue:StringEquals": {"s3:x-amz-server-side-encryption": "AES256"}}}]}));
    assert!(!any.unencrypted_uploads.is_denied());
}

#[test]
fn string_like_patterns_in_values() {
    let a = answers(json!({"Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::artifacts/*",
        "Condition": {"StringNotLike": {"s3:x-amz-server-side-encryption": "aws:kms*"}}}]}));
    assert!(a.unencrypted_uploads.is_denied(), "{a:?}");
}

#[test]
fn malformed_policies_name_the_field() {
    let cases = [
        (json!([]), "policy"),
        (json!({"Version": "2012-10-17"}), "Statement"),
        (
            json!({"Statement": [{"Effect": "deny", "Action": "*", "Resource": "*"}]}),
            "Statement[0].Effect",
        ),
        (
            json!({"Statement": [{"Effect": "Deny", "Resource": "*"}]}),
            "Statement[0]",
        ),
        (
            json!({"Statement": [{"Effect": "Deny", "Action": 3, "Resource": "*"}]}),
            "Statement[0].Action",
        ),
        (
            json!({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": "x"}}]}),
            "Statement[0].Condition.Bool",
        ),
    ];
    for (doc, path) in cases {
        let e = Policy::from_value(&doc).expect_err("must be rejected");
        assert_eq!(e.path, path, "{e}");
    }
    let e = Policy::from_json_text("{not json").expect_err("must be rejected");
    assert!(e.to_string().contains("not valid JSON"), "{e}");
}
