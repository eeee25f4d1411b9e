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

fn gap_text(verdict: &super::PolicyVerdict) -> String {
    match verdict {
        super::PolicyVerdict::NotDenied(gap) => gap.to_string(),
        other => panic!("expected NotDenied, got {other:?}"),
    }
}

fn deny(
    action: serde_json::Value,
    resource: (&str, &str),
    condition: serde_json::Value,
) -> serde_json::Value {
    let mut s = json!({"Effect": "Deny", "Principal": "*", "Action": action});
    s[resource.0] = json!(resource.1);
    if !condition.is_null() {
        s["Condition"] = condition;
    }
    s
}

const OBJECTS: (&str, &str) = ("Resource", "arn:aws:s3:::artifacts/*");
const HTTP: fn() -> serde_json::Value = || json!({"Bool": {"aws:SecureTransport": "false"}});

/// IAM user guide, "Multivalued context keys" (ForAnyValue): the condition returns false when
/// the key is missing from the request or its value set is empty, whatever the operator,
/// negated and IfExists included.
#[test]
fn for_any_value_on_an_absent_key_never_denies() {
    for op in [
        "ForAnyValue:StringNotEquals",
        "ForAnyValue:StringNotEqualsIfExists",
        "ForAnyValue:StringNotLike",
    ] {
        let a = answers(json!({"Statement": [deny(json!("s3:PutObject"), OBJECTS,
            json!({op: {"s3:x-amz-server-side-encryption": "aws:kms"}}))]}));
        let why = gap_text(&a.unencrypted_uploads);
        assert!(
            why.starts_with("s3:PutObject without an x-amz-server-side-encryption header"),
            "{op}: {why}"
        );
    }
    // s3:TlsVersion is absent over plain HTTP: ForAnyValue cannot deny it.
    let a = answers(json!({"Statement": [deny(json!("s3:*"), OBJECTS,
        json!({"ForAnyValue:NumericLessThan": {"s3:TlsVersion": "1.2"}}))]}));
    assert!(
        a.old_tls.is_denied(),
        "TLS 1.0 and 1.1 are present, and less: {a:?}"
    );
    let plain = answers(json!({"Statement": [deny(json!("s3:*"), OBJECTS,
        json!({"ForAnyValue:NumericNotEquals": {"s3:TlsVersion": ["1.2", "1.3"]}})),
        deny(json!("s3:*"), OBJECTS, json!({"Bool": {"aws:SecureTransport": "true"}}))]}));
    assert!(!plain.insecure_transport.is_denied(), "{plain:?}");
}

/// Same page (ForAllValues): true when the key is missing or its value set is empty.
#[test]
fn for_all_values_on_an_absent_key_denies() {
    let a = answers(json!({"Statement": [deny(json!("s3:*"), OBJECTS,
        json!({"ForAllValues:NumericLessThan": {"s3:TlsVersion": "1.2"}}))]}));
    assert!(a.insecure_transport.is_denied(), "{a:?}");
    assert!(a.old_tls.is_denied(), "{a:?}");
}

/// IAM user guide, "IAM policy elements: Variables and tags": in a 2012-10-17 policy a
/// variable in NotResource is substituted per request, so it may carve this bucket's objects
/// out of the deny for some caller.
#[test]
fn a_variable_in_not_resource_never_counts_as_covering() {
    let doc = |version: Option<&str>| {
        let mut d = json!({"Statement": [deny(json!("s3:*"),
            ("NotResource", "arn:aws:s3:::artifacts/home/${aws:username}/*"), HTTP())]});
        if let Some(v) = version {
            d["Version"] = json!(v);
        }
        answers(d)
    };
    let why = gap_text(&doc(Some("2012-10-17")).insecure_transport);
    assert!(
        why.contains("${aws:username} in its resource element"),
        "{why}"
    );
    // "IAM JSON policy elements: Version": before 2012-10-17 `${…}` is literal text, so only
    // that literal folder is carved out.
    let literal = doc(Some("2008-10-17"));
    let why = gap_text(&literal.insecure_transport);
    assert!(
        why.contains("(not on arn:aws:s3:::artifacts/home/${aws:username}/"),
        "{why}"
    );
    assert_eq!(doc(None), literal);
}

/// Same page, "Specifying special characters": `${*}`, `${?}`, `${$}` are literals.
#[test]
fn escaped_characters_are_literal_in_resources() {
    let a = answers(json!({"Version": "2012-10-17", "Statement": [
        deny(json!("s3:*"), ("Resource", "arn:aws:s3:::artifacts/${*}"), HTTP())]}));
    let why = gap_text(&a.insecure_transport);
    assert!(!why.contains("cannot be decided"), "{why}");
}

/// "Condition operators", "Numeric condition operators": integers and decimals only.
#[test]
fn numbers_iam_does_not_accept_are_undecidable() {
    for value in ["infinity", "NaN", "1e0", "0x1", "1.2e0"] {
        let a = answers(json!({"Statement": [deny(json!("s3:*"), OBJECTS,
            json!({"NumericLessThan": {"s3:TlsVersion": value}}))]}));
        let why = gap_text(&a.old_tls);
        assert!(why.contains("depends on s3:tlsversion"), "{value}: {why}");
    }
}

/// The JSON of a policy with a key twice: which one AWS keeps is not documented.
#[test]
fn duplicate_keys_make_the_policy_unreadable_naming_key_and_statement() {
    let text = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::artifacts/*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Effect": "Deny", "Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}"#;
    let e = Policy::from_json_text(text).expect_err("duplicate Effect");
    assert!(
        e.to_string()
            .contains("duplicate key \"Effect\" in Statement[1]"),
        "{e}"
    );
    let facts = crate::facts::BucketFacts::policy_from_text(Some(text), BUCKET);
    assert!(
        matches!(facts, crate::facts::Fact::Unknown(ref why) if why.contains("duplicate key \"Effect\"")),
        "{facts:?}"
    );
}

/// "Policy evaluation logic": any applicable explicit deny wins, whichever statement it is in,
/// so Deny NotAction X and Deny Action X together deny every action.
#[test]
fn an_action_and_its_complement_together_deny_every_action() {
    let a = answers(json!({"Statement": [
        deny(json!("s3:GetObject"), OBJECTS, HTTP()),
        {"Effect": "Deny", "Principal": "*", "NotAction": "s3:GetObject",
         "Resource": "arn:aws:s3:::artifacts/*", "Condition": HTTP()}]}));
    assert!(a.insecure_transport.is_denied(), "{a:?}");
    // An action that never applies to objects, carved out, leaves every object action denied.
    let a = answers(json!({"Statement": [{"Effect": "Deny", "Principal": "*",
        "NotAction": ["s3:ListAllMyBuckets", "s3:GetBucketPolicy"],
        "Resource": "arn:aws:s3:::artifacts/*", "Condition": HTTP()}]}));
    assert!(a.insecure_transport.is_denied(), "{a:?}");
    // One object action carved out is named.
    let a = answers(json!({"Statement": [{"Effect": "Deny", "Principal": "*",
        "NotAction": "s3:RestoreObject", "Resource": "arn:aws:s3:::artifacts/*", "Condition": HTTP()}]}));
    let why = gap_text(&a.insecure_transport);
    assert!(
        why.starts_with("s3:RestoreObject over plain HTTP is not denied"),
        "{why}"
    );
}

/// The same rule across resources: Deny on `logs/*` and Deny on everything but `logs/*`.
#[test]
fn a_resource_and_its_complement_together_deny_every_object() {
    let a = answers(json!({"Statement": [
        deny(json!("s3:*"), ("Resource", "arn:aws:s3:::artifacts/logs/*"), HTTP()),
        deny(json!("s3:*"), ("NotResource", "arn:aws:s3:::artifacts/logs/*"), HTTP())]}));
    assert!(a.insecure_transport.is_denied(), "{a:?}");
    let a = answers(json!({"Statement": [
        deny(json!("s3:*"), ("Resource", "arn:aws:s3:::artifacts/logs/*"), HTTP())]}));
    let why = gap_text(&a.insecure_transport);
    assert!(
        why.contains("(not on arn:aws:s3:::artifacts/"),
        "names an object left open: {why}"
    );
}

/// Amazon S3 user guide, "Requiring SSE-KMS for all objects written to a bucket" and
/// "Specifying server-side encryption with AWS KMS": the key id header comes only with
/// aws:kms or aws:kms:dsse, so an upload without SSE-KMS (or relying on default encryption)
/// carries no key id.
#[test]
fn the_kms_key_id_header_is_absent_from_uploads_without_sse_kms() {
    let key_id = "s3:x-amz-server-side-encryption-aws-kms-key-id";
    let arn = "arn:aws:kms:eu-west-1:111122223333:key/k1";
    for condition in [
        json!({"Null": {key_id: "true"}}),
        json!({"StringNotEquals": {key_id: arn}}),
        json!({"ArnNotEqualsIfExists": {key_id: arn}}),
    ] {
        let a = answers(
            json!({"Statement": [deny(json!("s3:PutObject"), OBJECTS, condition.clone())]}),
        );
        assert!(a.unencrypted_uploads.is_denied(), "{condition}: {a:?}");
    }
    // With KMS the header may name any key: a transport deny that hangs on it is undecided.
    let a = answers(json!({"Statement": [deny(json!("s3:*"), OBJECTS,
        json!({"Bool": {"aws:SecureTransport": "false"}, "StringNotEquals": {key_id: arn}}))]}));
    let why = gap_text(&a.insecure_transport);
    assert!(why.contains(key_id), "{why}");
}

/// A detail names only what its question is about.
#[test]
fn details_name_only_the_request_properties_that_matter() {
    let a = answers(json!({"Statement": []}));
    assert_eq!(
        gap_text(&a.insecure_transport),
        "S3 requests on objects over plain HTTP is not denied to every principal on the bucket's objects"
    );
    assert_eq!(
        gap_text(&a.unencrypted_uploads),
        "s3:PutObject without an x-amz-server-side-encryption header is not denied to every principal on the bucket's objects"
    );
    // Uploads denied only over TLS: the transport matters and is named.
    let a = answers(json!({"Statement": [deny(json!("s3:PutObject"), OBJECTS,
        json!({"Bool": {"aws:SecureTransport": "true"}, "Null": {"s3:x-amz-server-side-encryption": "true"}}))]}));
    assert!(
        gap_text(&a.unencrypted_uploads).contains("header over plain HTTP"),
        "{a:?}"
    );
}

/// A Deny to named principals and one with NotPrincipal of the same can deny everyone
/// together; artifact-guard does not combine principals and says so rather than look certain.
#[test]
fn principal_and_not_principal_are_reported_as_undecided() {
    let a = answers(json!({"Statement": [
        {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:*",
         "Resource": "arn:aws:s3:::artifacts/*", "Condition": HTTP()},
        {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:*",
         "Resource": "arn:aws:s3:::artifacts/*", "Condition": HTTP()}]}));
    assert!(
        gap_text(&a.insecure_transport).contains("Principal element"),
        "{a:?}"
    );
}
