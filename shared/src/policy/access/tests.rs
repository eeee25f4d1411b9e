use serde_json::{json, Value};

use super::{stranger_access, StrangerAccess};
use crate::policy::condition::Truth;
use crate::policy::Policy;

const DECRYPT: [&str; 3] = ["kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo"];
const KEY_ARN: &str = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn access(statements: Value) -> StrangerAccess {
    let policy = Policy::from_value(&json!({"Version": "2012-10-17", "Statement": statements}))
        .expect("a valid policy");
    stranger_access(&policy, &DECRYPT, None)
}

fn allow(principal: Value, action: Value, condition: Option<Value>) -> Value {
    let mut s =
        json!({"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*"});
    if let Some(c) = condition {
        s["Condition"] = c;
    }
    s
}

fn public(principal: Value, action: Value, condition: Option<Value>) -> Truth {
    access(json!([allow(principal, action, condition)])).truth
}

/// The KMS developer guide's default key policy: the account root, which delegates to IAM.
#[test]
fn the_default_key_policy_lets_no_stranger_in() {
    let a = access(json!([{
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "kms:*",
        "Resource": "*"
    }]));
    assert!(a.denied(), "{a:?}");
    assert_eq!(a.witness, None);
}

/// The policy AWS writes for `aws/s3`: everyone, but only callers of the account through S3.
#[test]
fn the_aws_managed_s3_key_policy_is_limited_to_its_account() {
    let a = access(json!([
        allow(
            json!({"AWS": "*"}),
            json!([
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:DescribeKey"
            ]),
            Some(json!({"StringEquals": {
                "kms:CallerAccount": "111122223333",
                "kms:ViaService": "s3.eu-west-1.amazonaws.com"
            }}))
        ),
        allow(
            json!({"AWS": "arn:aws:iam::111122223333:root"}),
            json!(["kms:Describe*", "kms:Get*", "kms:List*"]),
            None
        )
    ]));
    assert!(a.denied(), "{a:?}");
}

#[test]
fn every_way_of_saying_everyone_with_a_decrypting_action_is_public() {
    for principal in [
        json!("*"),
        json!({"AWS": "*"}),
        json!({"AWS": ["arn:aws:iam::111122223333:root", "*"]}),
    ] {
        for action in [
            json!("kms:Decrypt"),
            json!("kms:*"),
            json!("*"),
            json!("kms:ReEncrypt*"),
            json!("KMS:DECRYPT"),
            json!("kms:De*"),
            json!("kms:?ecrypt"),
            json!(["kms:Encrypt", "kms:Re*"]),
        ] {
            let a = access(json!([allow(principal.clone(), action.clone(), None)]));
            assert_eq!(a.truth, Truth::True, "{principal} {action}");
            let w = a.witness.expect("the statement that lets strangers in");
            assert_eq!(w.statement, 0);
            assert!(DECRYPT.contains(&w.action));
        }
    }
}

#[test]
fn actions_that_cannot_decrypt_are_not_public_here() {
    for action in [
        json!("kms:Encrypt"),
        json!(["kms:GenerateDataKey*", "kms:DescribeKey"]),
        json!("s3:*"),
    ] {
        assert_eq!(
            public(json!("*"), action.clone(), None),
            Truth::False,
            "{action}"
        );
    }
    let not_action =
        json!([{"Effect": "Allow", "Principal": "*", "NotAction": "kms:Encrypt", "Resource": "*"}]);
    assert_eq!(
        access(not_action).truth,
        Truth::True,
        "NotAction reaches kms:Decrypt"
    );
    let not_decrypt = json!([{"Effect": "Allow", "Principal": "*", "NotAction": ["kms:Decrypt", "kms:ReEncrypt*"], "Resource": "*"}]);
    assert_eq!(access(not_decrypt).truth, Truth::False);
}

#[test]
fn named_principals_are_not_strangers_but_not_principal_lets_them_in() {
    assert_eq!(
        public(
            json!({"AWS": "arn:aws:iam::444455556666:role/Deployer"}),
            json!("kms:*"),
            None
        ),
        Truth::False
    );
    assert_eq!(
        public(
            json!({"Service": "codepipeline.amazonaws.com"}),
            json!("kms:*"),
            None
        ),
        Truth::False
    );
    let not_principal = json!([{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:Decrypt", "Resource": "*"}]);
    assert_eq!(access(not_principal).truth, Truth::True);
    let not_everyone = json!([{"Effect": "Allow", "NotPrincipal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}]);
    assert_eq!(access(not_everyone).truth, Truth::False);
}

#[test]
fn conditions_naming_accounts_or_organizations_limit_the_statement() {
    for condition in [
        json!({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}),
        json!({"StringEquals": {"kms:CallerAccount": ["111122223333", "444455556666"]}}),
        json!({"StringEquals": {"aws:PrincipalAccount": "111122223333"}}),
        json!({"StringEqualsIgnoreCase": {"aws:PrincipalOrgID": "O-A1B2C3D4E5"}}),
        json!({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"]}}),
        json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}),
        json!({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:*"}}),
        json!({"StringEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}),
        json!({"StringEquals": {"aws:PrincipalAccount": "${aws:ResourceAccount}"}}),
        json!({"Null": {"aws:PrincipalAccount": "true"}}),
    ] {
        assert_eq!(
            public(json!("*"), json!("kms:*"), Some(condition.clone())),
            Truth::False,
            "{condition}"
        );
    }
}

#[test]
fn conditions_that_admit_some_stranger_are_public() {
    for condition in [
        // A stranger outside any organization has no aws:PrincipalOrgID.
        json!({"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}),
        json!({"StringNotEquals": {"kms:CallerAccount": "111122223333"}}),
        json!({"StringLike": {"aws:PrincipalAccount": "*"}}),
        json!({"Null": {"aws:PrincipalOrgID": "false"}}),
        json!({"Null": {"aws:PrincipalOrgID": "true"}}),
        json!({"ForAllValues:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/*"}}),
    ] {
        assert_eq!(
            public(json!("*"), json!("kms:*"), Some(condition.clone())),
            Truth::True,
            "{condition}"
        );
    }
}

#[test]
fn conditions_the_engine_cannot_decide_never_pass() {
    for (condition, key) in [
        (
            json!({"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}),
            "kms:viaservice",
        ),
        (
            json!({"StringLike": {"aws:PrincipalAccount": "1111*"}}),
            "aws:principalaccount",
        ),
        (
            json!({"StringEquals": {"aws:PrincipalAccount": "${aws:username}"}}),
            "aws:principalaccount",
        ),
        (
            json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
            "aws:sourceip",
        ),
        (
            json!({"DateGreaterThan": {"aws:PrincipalAccount": "2020-01-01"}}),
            "aws:principalaccount",
        ),
    ] {
        let a = access(json!([allow(
            json!("*"),
            json!("kms:Decrypt"),
            Some(condition.clone())
        )]));
        assert_eq!(a.truth, Truth::Unknown, "{condition}");
        let w = a.witness.expect("the undecided statement");
        assert_eq!(
            w.undecided.as_deref(),
            Some(&*format!("the condition on {key}")),
            "{condition}"
        );
    }
}

#[test]
fn a_deny_keeps_strangers_out_only_when_it_certainly_applies() {
    let open = allow(json!("*"), json!("kms:*"), None);
    let perimeter = json!({
        "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    });
    assert_eq!(access(json!([open.clone(), perimeter])).truth, Truth::False);

    let not_principal_deny = json!({
        "Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "kms:*", "Resource": "*"
    });
    assert_eq!(
        access(json!([open.clone(), not_principal_deny])).truth,
        Truth::False
    );

    let undecided = json!({
        "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
        "Condition": {"StringNotEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}
    });
    let a = access(json!([open.clone(), undecided]));
    assert_eq!(a.truth, Truth::Unknown);
    assert_eq!(
        a.witness.map(|w| w.statement),
        Some(1),
        "the undecided Deny"
    );

    // A Deny that misses decrypting actions keeps nobody out of them.
    let encrypt_only =
        json!({"Effect": "Deny", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*"});
    assert_eq!(
        access(json!([open.clone(), encrypt_only])).truth,
        Truth::True
    );

    // A Deny to a named principal does not reach strangers.
    let named = json!({"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"});
    assert_eq!(access(json!([open, named])).truth, Truth::True);
}

#[test]
fn a_deny_for_one_kind_of_stranger_leaves_the_other_in() {
    // Keeps out every caller inside an organization other than o-…, but not those outside any.
    let open = allow(json!("*"), json!("kms:Decrypt"), None);
    let deny_other_orgs = json!({
        "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}, "Null": {"aws:PrincipalOrgID": "false"}}
    });
    assert_eq!(access(json!([open, deny_other_orgs])).truth, Truth::True);
}

#[test]
fn a_resource_other_than_star_needs_the_key_arn() {
    let statement = json!([{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:*:111122223333:key/*"}]);
    let policy = Policy::from_value(&json!({"Version": "2012-10-17", "Statement": statement}))
        .expect("valid");
    let unknown = stranger_access(&policy, &DECRYPT, None);
    assert_eq!(unknown.truth, Truth::Unknown);
    assert_eq!(
        unknown.witness.and_then(|w| w.undecided).as_deref(),
        Some("a Resource other than \"*\"")
    );
    assert_eq!(
        stranger_access(&policy, &DECRYPT, Some(KEY_ARN)).truth,
        Truth::True
    );
    let other = "arn:aws:kms:eu-west-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    assert_eq!(
        stranger_access(&policy, &DECRYPT, Some(other)).truth,
        Truth::False
    );
}
