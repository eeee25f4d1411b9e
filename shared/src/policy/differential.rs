//! The engine against the concrete evaluator ([`super::oracle`]) on generated policies.
//!
//! Policies come from a grammar over every element and form the engine reads: `Statement` as an
//! object or a list; `Principal`/`NotPrincipal` forms; `Action`/`NotAction` and
//! `Resource`/`NotResource` with `*`, `?`, escapes and policy variables; condition operators with
//! and without `IfExists` and both set qualifiers, JSON booleans, numbers and lists; both
//! `Version`s and none. Each question is checked over a finite universe of concrete requests
//! that represents every class the engine reasons about (each SSE header value, plain HTTP and
//! each TLS version, the KMS key id header, callers named and not, objects inside and outside
//! every generated pattern, the object actions the patterns tell apart):
//! - **no false PASS**: where the engine answers "denied", every request of the question is
//!   denied by the evaluator;
//! - **no silent false FAIL**: where the engine answers "not denied" without naming something it
//!   could not decide, the evaluator allows (or does not deny) the request the engine names.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{json, Value};

use super::oracle::{evaluate, Decision, Request};
use super::{Policy, PolicyAnswers, PolicyVerdict};

const BUCKET: &str = "arn:aws:s3:::artifacts";
const RIGHT_KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/right";

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
            "Principal",
            json!({"Service": "codepipeline.amazonaws.com"})
        )),
        Just((
            "NotPrincipal",
            json!({"AWS": "arn:aws:iam::111122223333:root"})
        )),
    ]
}

fn action() -> impl Strategy<Value = (&'static str, Value)> {
    prop_oneof![
        Just(("Action", json!("s3:*"))),
        Just(("Action", json!("*"))),
        Just(("Action", json!("s3:PutObject"))),
        Just(("Action", json!("S3:GETOBJECT"))),
        Just(("Action", json!(["s3:Get*", "s3:Put*"]))),
        Just(("Action", json!("s3:*Object"))),
        Just(("Action", json!("s3:?utObject"))),
        Just(("Action", json!("s3:${aws:username}"))),
        Just(("NotAction", json!("s3:GetObject"))),
        Just(("NotAction", json!("iam:*"))),
        Just(("NotAction", json!("s3:ListAllMyBuckets"))),
        Just(("NotAction", json!(["s3:PutObject", "s3:GetBucketPolicy"]))),
    ]
}

fn resource() -> impl Strategy<Value = (&'static str, Value)> {
    prop_oneof![
        Just(("Resource", json!("arn:aws:s3:::artifacts/*"))),
        Just(("Resource", json!("*"))),
        Just(("Resource", json!("arn:aws:s3:::artifacts"))),
        Just((
            "Resource",
            json!(["arn:aws:s3:::artifacts", "arn:aws:s3:::artifacts/*"])
        )),
        Just(("Resource", json!("arn:aws:s3:::artifacts/logs/*"))),
        Just(("Resource", json!("arn:aws:s3:::artifacts/?*"))),
        Just(("Resource", json!("arn:aws:s3:::artifacts/a*"))),
        Just(("Resource", json!("arn:aws:s3:::artifacts/${*}"))),
        Just((
            "Resource",
            json!("arn:aws:s3:::artifacts/${aws:username}/*")
        )),
        Just(("NotResource", json!("arn:aws:s3:::other/*"))),
        Just(("NotResource", json!("arn:aws:s3:::artifacts/logs/*"))),
        Just(("NotResource", json!("arn:aws:s3:::artifacts/a*"))),
        Just((
            "NotResource",
            json!("arn:aws:s3:::artifacts/${aws:username}/*")
        )),
    ]
}

fn condition() -> impl Strategy<Value = Value> {
    let sse = "s3:x-amz-server-side-encryption";
    let key_id = "s3:x-amz-server-side-encryption-aws-kms-key-id";
    prop_oneof![
        Just(Value::Null),
        Just(json!({"Bool": {"aws:SecureTransport": "false"}})),
        Just(json!({"Bool": {"aws:SecureTransport": false}})),
        Just(json!({"Bool": {"aws:SecureTransport": ["false"]}})),
        Just(json!({"StringNotEquals": {sse: "aws:kms"}})),
        Just(json!({"StringNotEqualsIfExists": {sse: ["aws:kms", "aws:kms:dsse"]}})),
        Just(json!({"ForAnyValue:StringNotEquals": {sse: "aws:kms"}})),
        Just(json!({"ForAnyValue:StringNotEqualsIfExists": {sse: "aws:kms"}})),
        Just(json!({"ForAllValues:StringNotEquals": {sse: "aws:kms"}})),
        Just(json!({"Null": {sse: "true"}})),
        Just(json!({"Null": {sse: true}})),
        Just(json!({"StringEquals": {sse: "AES256"}})),
        Just(json!({"StringLike": {sse: "AES*"}})),
        Just(json!({"StringNotLike": {sse: "aws:kms*"}})),
        Just(json!({"StringEqualsIgnoreCase": {sse: "aes256"}})),
        Just(json!({"NumericLessThan": {"s3:TlsVersion": "1.2"}})),
        Just(json!({"NumericLessThan": {"s3:TlsVersion": 1.2}})),
        Just(json!({"NumericLessThanEquals": {"s3:TlsVersion": ["1.1"]}})),
        Just(json!({"ForAnyValue:NumericLessThan": {"s3:TlsVersion": "1.2"}})),
        Just(json!({"NumericNotEquals": {"s3:TlsVersion": ["1.2", "1.3"]}})),
        Just(json!({"Null": {key_id: "true"}})),
        Just(json!({"StringNotEquals": {key_id: RIGHT_KEY}})),
        Just(json!({"ArnNotEqualsIfExists": {key_id: RIGHT_KEY}})),
        Just(json!({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}})),
        Just(json!({"StringNotEquals": {sse: "${aws:username}"}})),
        Just(json!({"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}})),
        Just(
            json!({"Bool": {"aws:SecureTransport": "false"}, "StringNotEquals": {sse: "aws:kms"}})
        ),
    ]
}

pub(super) fn statement() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("Allow"), Just("Deny"), Just("Deny")],
        principal(),
        action(),
        resource(),
        condition(),
    )
        .prop_map(|(e, p, a, r, c)| {
            let mut s = json!({"Effect": e});
            s[p.0] = p.1;
            s[a.0] = a.1;
            s[r.0] = r.1;
            if !c.is_null() {
                s["Condition"] = c;
            }
            s
        })
}

fn policy() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just(None),
            Just(Some("2012-10-17")),
            Just(Some("2008-10-17"))
        ],
        prop::collection::vec(statement(), 1..6),
        any::<bool>(),
    )
        .prop_map(|(version, statements, single)| {
            let statement = if single && statements.len() == 1 {
                statements[0].clone()
            } else {
                Value::Array(statements)
            };
            let mut doc = json!({"Statement": statement});
            if let Some(v) = version {
                doc["Version"] = json!(v);
            }
            doc
        })
}

/// Callers: one the grammar names, one it never names, an anonymous one.
const CALLERS: [&str; 3] = [
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::999999999999:user/alice",
    "anonymous",
];
/// Object keys inside and outside every generated pattern (`logs/`, `a…`, `alice/`, a literal
/// `*`, the literal text of a variable).
const KEYS: [&str; 10] = [
    "x",
    "a",
    "logs/a",
    "logsa",
    "alice/k",
    "*",
    "?",
    "${aws:username}/z",
    "b/c",
    "al",
];
/// Object actions that the generated action patterns tell apart.
const ACTIONS: [&str; 7] = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:PutObjectAcl",
    "s3:GetObjectVersion",
    "s3:RestoreObject",
    "s3:AbortMultipartUpload",
];

/// One request context: SSE header, TLS version (`None`: plain HTTP), KMS key id header.
type Class = (
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

fn classes(sse: &[Option<&'static str>], tls: &[Option<&'static str>]) -> Vec<Class> {
    let mut out = Vec::new();
    for &s in sse {
        // S3 takes a key id header only beside aws:kms or aws:kms:dsse.
        let key_ids: &[Option<&str>] = if s.is_some_and(|s| s.starts_with("aws:kms")) {
            &[
                None,
                Some(RIGHT_KEY),
                Some("arn:aws:kms:us-east-1:111122223333:key/other"),
            ]
        } else {
            &[None]
        };
        for &t in tls {
            for &k in key_ids {
                out.push((s, t, k));
            }
        }
    }
    out
}

const SSE_NOT_KMS: [Option<&str>; 3] = [None, Some("AES256"), Some("aws:fsx")];
const SSE_ANY: [Option<&str>; 5] = [
    None,
    Some("AES256"),
    Some("aws:fsx"),
    Some("aws:kms"),
    Some("aws:kms:dsse"),
];
const ANY_TRANSPORT: [Option<&str>; 5] = [None, Some("1.0"), Some("1.1"), Some("1.2"), Some("1.3")];

fn request(caller: &str, action: &str, key: &str, class: Class, vpce: bool) -> Request {
    let (sse, tls, key_id) = class;
    let mut context: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut set = |k: &str, v: &str| {
        context.insert(k.to_owned(), vec![v.to_owned()]);
    };
    set(
        "aws:securetransport",
        if tls.is_some() { "true" } else { "false" },
    );
    if let Some(t) = tls {
        set("s3:tlsversion", t);
    }
    if let Some(s) = sse {
        set("s3:x-amz-server-side-encryption", s);
    }
    if let Some(k) = key_id {
        set("s3:x-amz-server-side-encryption-aws-kms-key-id", k);
    }
    if vpce {
        set("aws:sourcevpce", "vpce-1");
    }
    if caller != "anonymous" {
        set("aws:principalarn", caller);
        set("aws:username", "alice");
    }
    Request {
        principal: caller.to_owned(),
        session: None,
        action: action.to_owned(),
        resource: format!("{BUCKET}/{key}"),
        context,
    }
}

/// Every request of a question, from the universe.
fn universe(actions: &[&'static str], classes: &[Class]) -> Vec<Request> {
    let mut out = Vec::new();
    for caller in CALLERS {
        for action in actions {
            for key in KEYS {
                for &class in classes {
                    for vpce in [false, true] {
                        out.push(request(caller, action, key, class, vpce));
                    }
                }
            }
        }
    }
    out
}

fn check(doc: &Value, verdict: &PolicyVerdict, requests: &[Request]) -> Result<(), TestCaseError> {
    match verdict {
        PolicyVerdict::Denied => {
            for r in requests {
                let decision = evaluate(doc, r);
                prop_assert_eq!(
                    decision,
                    Some(Decision::Deny),
                    "engine says denied, evaluator does not deny {:?}\n{}",
                    r,
                    doc
                );
            }
        }
        PolicyVerdict::NotDenied(gap) => {
            let (sse, tls, action, object, undecided) = gap.witness();
            if undecided {
                return Ok(());
            }
            let key = object
                .and_then(|o| o.strip_prefix(&format!("{BUCKET}/")))
                .unwrap_or("x");
            let open = CALLERS.iter().any(|caller| {
                [false, true].iter().any(|&vpce| {
                    evaluate(doc, &request(caller, action, key, (sse, tls, None), vpce))
                        != Some(Decision::Deny)
                })
            });
            prop_assert!(
                open,
                "engine names {} as open, evaluator denies it\n{}",
                gap,
                doc
            );
        }
        PolicyVerdict::NoPolicy => {}
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn the_engine_agrees_with_the_concrete_evaluator(doc in policy()) {
        let Ok(policy) = Policy::from_value(&doc) else {
            return Ok(());
        };
        let answers = PolicyAnswers::of(&policy, BUCKET);
        check(
            &doc,
            &answers.unencrypted_uploads,
            &universe(&["s3:PutObject"], &classes(&SSE_NOT_KMS, &ANY_TRANSPORT)),
        )?;
        check(
            &doc,
            &answers.insecure_transport,
            &universe(&ACTIONS, &classes(&SSE_ANY, &[None])),
        )?;
        check(
            &doc,
            &answers.old_tls,
            &universe(&ACTIONS, &classes(&SSE_ANY, &[Some("1.0"), Some("1.1")])),
        )?;
    }
}
