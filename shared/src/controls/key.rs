//! KMS key controls, and the "usable by CodePipeline" test that bucket and pipeline controls
//! apply to the keys they reference.

use std::borrow::Cow;

use crate::facts::{Fact, KeyFacts, KeyLookup, KeyManager};
use crate::policy::access::stranger_access;
use crate::policy::Policy;

use super::{text, ControlId as C, Outcome, Status};

pub(crate) fn check(key: &KeyFacts, out: &mut Vec<Outcome>) {
    let (status, detail) = symmetric(key);
    out.push(Outcome::new(C::KeySymmetric, status, detail));
    let (status, detail) = enabled(key);
    out.push(Outcome::new(C::KeyEnabled, status, detail));
    out.push(rotation(key));
    out.push(policy_not_public(key));
}

/// The actions that reveal what the key protects: `kms:Decrypt`, and `kms:ReEncrypt*` (which
/// decrypts under this key, or encrypts under it what another key decrypted).
const DECRYPTING: [&str; 3] = ["kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo"];

fn policy_not_public(key: &KeyFacts) -> Outcome {
    let outcome = |status, detail: String| Outcome::new(C::KeyPolicyNotPublic, status, detail);
    let text = match &key.policy {
        None => {
            return Outcome::new(
                C::KeyPolicyNotPublic,
                Status::Unknown,
                "AWS Config does not record key policies; artifact-guard scan and the functions read them with kms:GetKeyPolicy",
            )
        }
        Some(Fact::Unknown(reason)) => return outcome(Status::Unknown, reason.to_string()),
        Some(Fact::Known(text)) => text,
    };
    let policy = match Policy::from_json_text(text) {
        Ok(p) => p,
        Err(e) => return outcome(Status::Unknown, format!("key policy: {e}")),
    };
    let access = stranger_access(&policy, &DECRYPTING, None);
    match (access.allowed(), access.denied(), access.witness) {
        (_, true, _) => outcome(
            Status::Pass,
            "the key policy lets no principal outside the accounts and organizations it names decrypt".into(),
        ),
        (true, _, Some(w)) => outcome(
            Status::Fail,
            format!(
                "Statement[{}] allows {} to every principal, and no condition limits the caller to named accounts or organizations",
                w.statement, w.action
            ),
        ),
        (_, _, Some(w)) => outcome(
            Status::Unknown,
            format!(
                "Statement[{}] may allow {} to every principal: artifact-guard cannot decide {}",
                w.statement,
                w.action,
                w.undecided.as_deref().unwrap_or("whether it applies")
            ),
        ),
        (_, _, None) => outcome(
            Status::Unknown,
            "the key policy could not be judged".into(),
        ),
    }
}

fn symmetric(key: &KeyFacts) -> (Status, Cow<'static, str>) {
    match key.symmetric() {
        Fact::Known(true) => (Status::Pass, "SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT".into()),
        Fact::Known(false) => (
            Status::Fail,
            format!(
                "key spec {} with usage {}: CodePipeline only supports symmetric KMS keys",
                key.spec.known().map_or("?", |s| s),
                key.usage.known().map_or("?", |s| s)
            )
            .into(),
        ),
        Fact::Unknown(r) => (Status::Unknown, r.to_string().into()),
    }
}

fn enabled(key: &KeyFacts) -> (Status, Cow<'static, str>) {
    match &key.state {
        Fact::Known(s) if &**s == "Enabled" => (Status::Pass, "key state is Enabled".into()),
        Fact::Known(s) => (Status::Fail, format!("key state is {s}").into()),
        Fact::Unknown(r) => (Status::Unknown, r.to_string().into()),
    }
}

fn rotation(key: &KeyFacts) -> Outcome {
    let na = |why: String| Outcome::new(C::KeyRotation, Status::NotApplicable, why);
    if key.manager == Fact::Known(KeyManager::Aws) {
        return Outcome::new(
            C::KeyRotation,
            Status::Pass,
            "AWS managed keys are rotated by AWS",
        );
    }
    if let Fact::Known(origin) = &key.origin {
        if &**origin != "AWS_KMS" {
            return na(format!(
                "keys with origin {origin} cannot rotate automatically"
            ));
        }
    }
    if key.custom_key_store {
        return na("keys in a custom key store cannot rotate automatically".into());
    }
    if key.symmetric() == Fact::Known(false) {
        return na("only symmetric encryption keys rotate automatically".into());
    }
    match (&key.rotation_enabled, &key.origin, &key.manager) {
        (Fact::Unknown(r), _, _) | (_, Fact::Unknown(r), _) | (_, _, Fact::Unknown(r)) => {
            Outcome::new(C::KeyRotation, Status::Unknown, r.to_string())
        }
        (Fact::Known(true), _, _) => {
            Outcome::new(C::KeyRotation, Status::Pass, "automatic rotation is on")
        }
        (Fact::Known(false), _, _) => {
            Outcome::new(C::KeyRotation, Status::Fail, "automatic rotation is off")
        }
    }
}

/// Can CodePipeline use this key: symmetric and enabled? The AWS managed S3 key can.
pub(crate) fn usable_by_codepipeline(lookup: &KeyLookup<'_>) -> (Status, Cow<'static, str>) {
    match lookup {
        KeyLookup::AwsManagedS3 => (Status::Pass, "uses the AWS managed key aws/s3".into()),
        KeyLookup::Found(k) => {
            let (s1, d1) = symmetric(k);
            let (s2, d2) = enabled(k);
            match s1.and(s2) {
                Status::Pass => (
                    Status::Pass,
                    text(&["key ", &k.key_id, " is symmetric and enabled"]).into(),
                ),
                status => {
                    let why = if s1 == Status::Pass { d2 } else { d1 };
                    (status, text(&["key ", &k.key_id, ": ", &why]).into())
                }
            }
        }
        KeyLookup::Gone(r) => (Status::Fail, r.to_string().into()),
        KeyLookup::Unknown(r) => (Status::Unknown, r.to_string().into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::tests::{good_key, DEFAULT_KEY_POLICY};

    fn judged(policy: Option<Fact<Box<str>>>) -> Outcome {
        let key = KeyFacts {
            policy,
            ..good_key("k1")
        };
        let mut out = Vec::new();
        check(&key, &mut out);
        out.into_iter()
            .find(|o| o.control == C::KeyPolicyNotPublic)
            .expect("every key is judged for key-policy-not-public")
    }

    #[test]
    fn the_default_key_policy_passes() {
        let o = judged(Some(Fact::Known(DEFAULT_KEY_POLICY.into())));
        assert_eq!(o.status, Status::Pass, "{o:?}");
    }

    #[test]
    fn a_public_decrypt_fails_naming_the_statement_and_action() {
        let public = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
            {"Effect":"Allow","Principal":"*","Action":["kms:Decrypt","kms:DescribeKey"],"Resource":"*"}]}"#;
        let o = judged(Some(Fact::Known(public.into())));
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.detail
                .starts_with("Statement[1] allows kms:Decrypt to every principal"),
            "{}",
            o.detail
        );
    }

    #[test]
    fn what_cannot_be_read_or_decided_is_unknown_with_the_reason() {
        let o = judged(None);
        assert_eq!(o.status, Status::Unknown);
        assert!(
            o.detail.contains("AWS Config does not record key policies"),
            "{}",
            o.detail
        );

        let o = judged(Some(Fact::unknown(
            "kms:GetKeyPolicy: AccessDeniedException",
        )));
        assert_eq!(
            (o.status, &*o.detail),
            (Status::Unknown, "kms:GetKeyPolicy: AccessDeniedException")
        );

        let o = judged(Some(Fact::Known("{not json".into())));
        assert_eq!(o.status, Status::Unknown);
        assert!(
            o.detail.starts_with("key policy: policy: not valid JSON"),
            "{}",
            o.detail
        );

        let via_service = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.eu-west-1.amazonaws.com"}}}]}"#;
        let o = judged(Some(Fact::Known(via_service.into())));
        assert_eq!(o.status, Status::Unknown);
        assert_eq!(
            o.detail,
            "Statement[0] may allow kms:Decrypt to every principal: artifact-guard cannot decide the condition on kms:viaservice"
        );
    }

    #[test]
    fn it_is_advisory_unless_promoted() {
        assert!(!C::KeyPolicyNotPublic.required_by_default());
        assert_eq!(
            "key-policy-not-public".parse::<C>(),
            Ok(C::KeyPolicyNotPublic)
        );
    }
}
