//! The stranger question against the independent evaluator ([`oracle`]): random key policies
//! built from the principal, action and condition forms IAM documents, and concrete strangers
//! (accounts the policy does not name, one of them matching its wildcards; inside another
//! organization or outside any). "No stranger" must hold for every concrete stranger; "a
//! stranger" must be one of them.
//!
//! [`oracle`]: crate::policy::oracle

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{json, Value};

use super::stranger_access;
use crate::policy::condition::Truth;
use crate::policy::oracle::{self, evaluate, Decision, Request};
use crate::policy::Policy;

const DECRYPT: [&str; 3] = ["kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo"];
const KEY_ARN: &str = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn principal() -> impl Strategy<Value = (&'static str, Value)> {
    prop_oneof![
        Just(("Principal", json!("*"))),
        Just(("Principal", json!({"AWS": "*"}))),
        Just((
            "Principal",
            json!({"AWS": ["arn:aws:iam::111122223333:root", "*"]})
        )),
        Just((
            "Principal",
            json!({"AWS": "arn:aws:iam::111122223333:root"})
        )),
        Just((
            "NotPrincipal",
            json!({"AWS": "arn:aws:iam::111122223333:root"})
        )),
    ]
}

fn action() -> impl Strategy<Value = (&'static str, Value)> {
    prop_oneof![
        Just(("Action", json!("kms:*"))),
        Just(("Action", json!("*"))),
        Just(("Action", json!("kms:Decrypt"))),
        Just(("Action", json!("kms:Encrypt"))),
        Just(("Action", json!(["kms:Encrypt", "kms:Re*"]))),
        Just(("NotAction", json!("kms:Encrypt"))),
        Just(("NotAction", json!(["kms:Decrypt", "kms:ReEncrypt*"]))),
    ]
}

fn operator() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("StringEquals"),
        Just("StringNotEquals"),
        Just("StringEqualsIfExists"),
        Just("StringNotEqualsIfExists"),
        Just("StringLike"),
        Just("StringNotLike"),
        Just("ForAnyValue:StringLike"),
        Just("ForAllValues:StringLike"),
        Just("ForAnyValue:StringNotLike"),
        Just("ArnLike"),
        Just("ArnNotLike"),
        Just("Null"),
    ]
}

/// A key and values for it: literals naming accounts and organizations, wildcards, the
/// resource's own identity variables, and keys the stranger question does not model.
fn key_and_values() -> impl Strategy<Value = (&'static str, Vec<&'static str>)> {
    let key = prop_oneof![
        Just("aws:PrincipalAccount"),
        Just("kms:CallerAccount"),
        Just("aws:PrincipalOrgID"),
        Just("aws:PrincipalOrgPaths"),
        Just("aws:PrincipalArn"),
        Just("kms:ViaService"),
    ];
    let value = prop_oneof![
        Just("111122223333"),
        Just("444455556666"),
        Just("1111*"),
        Just("*"),
        Just("o-a1b2c3d4e5"),
        Just("o-a1b2c3d4e5/*"),
        Just("o-*"),
        Just("arn:aws:iam::111122223333:role/*"),
        Just("arn:aws:iam::*:role/Stranger"),
        Just("${aws:ResourceAccount}"),
        Just("${aws:ResourceOrgID}"),
        Just("${aws:ResourceOrgPaths}*"),
        Just("s3.eu-west-1.amazonaws.com"),
        Just("true"),
        Just("false"),
    ];
    (key, proptest::collection::vec(value, 1..3))
}

fn statement() -> impl Strategy<Value = Value> {
    let condition = proptest::collection::vec((operator(), key_and_values()), 0..3);
    (any::<bool>(), principal(), action(), condition).prop_map(
        |(deny, principal, action, conditions)| {
            oracle::statement(
                deny,
                &[principal, action, ("Resource", json!("*"))],
                conditions,
            )
        },
    )
}

/// Concrete strangers: accounts the generator never names (one matches `1111*`), each inside
/// another organization and outside any.
fn strangers() -> Vec<BTreeMap<String, Vec<String>>> {
    let mut out = Vec::new();
    for account in ["999988887777", "111199998888"] {
        for organization in [None, Some("o-zzzzzzzzzz")] {
            for via in [None, Some("s3.eu-west-1.amazonaws.com")] {
                let mut c: BTreeMap<String, Vec<String>> = BTreeMap::new();
                let mut put = |k: &str, v: &str| c.insert(k.into(), vec![v.to_owned()]);
                put("aws:principalaccount", account);
                put("kms:calleraccount", account);
                put(
                    "aws:principalarn",
                    &format!("arn:aws:iam::{account}:role/Stranger"),
                );
                put("aws:resourceaccount", "111122223333");
                put("aws:resourceorgid", "o-a1b2c3d4e5");
                put("aws:resourceorgpaths", "o-a1b2c3d4e5/r-ab12/");
                if let Some(org) = organization {
                    put("aws:principalorgid", org);
                    put(
                        "aws:principalorgpaths",
                        &format!("{org}/r-zzzz/ou-zzzz-11111111/"),
                    );
                }
                if let Some(via) = via {
                    put("kms:viaservice", via);
                }
                out.push(c);
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_stranger_means_none_and_a_stranger_means_one(
        statements in proptest::collection::vec(statement(), 1..4)
    ) {
        let document = json!({"Version": "2012-10-17", "Statement": statements});
        let policy = Policy::from_value(&document).expect("the generator writes valid policies");
        let answer = stranger_access(&policy, &DECRYPT, None);
        let mut decisions = Vec::new();
        for context in strangers() {
            let account = context["aws:principalaccount"][0].clone();
            for action in DECRYPT {
                let request = Request {
                    principal: format!("arn:aws:iam::{account}:role/Stranger"),
                    session: None,
                    action: action.into(),
                    resource: KEY_ARN.into(),
                    context: context.clone(),
                };
                decisions.push(evaluate(&document, &request));
            }
        }
        match answer.truth {
            Truth::False => prop_assert!(
                decisions.iter().all(|d| *d != Some(Decision::Allow)),
                "no stranger, yet the oracle lets one in: {document}"
            ),
            Truth::True => prop_assert!(
                decisions.contains(&Some(Decision::Allow)),
                "a stranger, yet the oracle lets none in: {document}"
            ),
            Truth::Unknown => {}
        }
    }
}
