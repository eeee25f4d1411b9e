//! Invariants of the policy questions over randomly assembled policies (statements from the
//! grammar of [`super::differential`]).

use proptest::prelude::*;
use serde_json::{json, Value};

use super::differential::statement;
use super::{Policy, PolicyAnswers};

const BUCKET: &str = "arn:aws:s3:::artifacts";

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
