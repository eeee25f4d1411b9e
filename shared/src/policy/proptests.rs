//! Invariants of the policy questions over randomly assembled policies.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::{Policy, PolicyAnswers};

const BUCKET: &str = "arn:aws:s3:::artifacts";

fn statement() -> impl Strategy<Value = Value> {
    let effect = prop_oneof![Just("Allow"), Just("Deny")];
    let principal = prop_oneof![
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
    ];
    let action = prop_oneof![
        Just(("Action", json!("s3:*"))),
        Just(("Action", json!("*"))),
        Just(("Action", json!("s3:PutObject"))),
        Just(("Action", json!(["s3:Get*", "s3:Put*"]))),
        Just(("NotAction", json!("iam:*"))),
        Just(("NotAction", json!("s3:GetObject"))),
    ];
    let resource = prop_oneof![
        Just(("Resource", json!("arn:aws:s3:::artifacts/*"))),
        Just(("Resource", json!("*"))),
        Just(("Resource", json!("arn:aws:s3:::artifacts"))),
        Just((
            "Resource",
            json!(["arn:aws:s3:::artifacts", "arn:aws:s3:::artifacts/*"])
        )),
        Just(("NotResource", json!("arn:aws:s3:::other/*"))),
        Just(("NotResource", json!("arn:aws:s3:::artifacts/public/*"))),
    ];
    let condition = prop_oneof![
        Just(Value::Null),
        Just(json!({"Bool": {"aws:SecureTransport": "false"}})),
        Just(json!({"Bool": {"aws:SecureTransport": false}})),
        Just(json!({"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}})),
        Just(
            json!({"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": ["aws:kms", "aws:kms:dsse"]}})
        ),
        Just(json!({"Null": {"s3:x-amz-server-side-encryption": "true"}})),
        Just(json!({"StringEquals": {"s3:x-amz-server-side-encryption": "AES256"}})),
        Just(json!({"NumericLessThan": {"s3:TlsVersion": "1.2"}})),
        Just(json!({"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin"}})),
        Just(
            json!({"Bool": {"aws:SecureTransport": "false"}, "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}})
        ),
    ];
    (effect, principal, action, resource, condition).prop_map(|(e, p, a, r, c)| {
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

fn answers(statements: &[Value]) -> PolicyAnswers {
    let policy = Policy::from_value(&json!({"Statement": statements}))
        .expect("generated policies are valid");
    PolicyAnswers::of(&policy, BUCKET)
}

fn denied(a: &PolicyAnswers) -> [bool; 3] {
    [
        a.unencrypted_uploads.is_denied(),
        a.insecure_transport.is_denied(),
        a.old_tls.is_denied(),
    ]
}

proptest! {
    #[test]
    fn reordering_statements_never_changes_a_verdict(
        statements in prop::collection::vec(statement(), 0..8),
        seed in any::<u64>(),
    ) {
        let mut shuffled = statements.clone();
        // A deterministic permutation from the seed (Fisher-Yates with an LCG).
        let mut state = seed;
        for i in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let j = usize::try_from(state >> 33).unwrap_or(0) % (i + 1);
            shuffled.swap(i, j);
        }
        prop_assert_eq!(denied(&answers(&statements)), denied(&answers(&shuffled)));
    }

    #[test]
    fn adding_an_allow_never_turns_a_failing_deny_control_into_a_pass(
        statements in prop::collection::vec(statement(), 0..8),
        mut extra in statement(),
    ) {
        extra["Effect"] = json!("Allow");
        let before = denied(&answers(&statements));
        let mut more = statements.clone();
        more.push(extra);
        prop_assert_eq!(before, denied(&answers(&more)));
    }

    #[test]
    fn adding_a_deny_never_turns_a_passing_deny_control_into_a_failure(
        statements in prop::collection::vec(statement(), 0..8),
        mut extra in statement(),
    ) {
        extra["Effect"] = json!("Deny");
        let before = denied(&answers(&statements));
        let mut more = statements.clone();
        more.push(extra);
        let after = denied(&answers(&more));
        for (b, a) in before.iter().zip(after) {
            prop_assert!(!b || a);
        }
    }
}
