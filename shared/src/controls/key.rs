//! KMS key controls, and the "usable by CodePipeline" test that bucket and pipeline controls
//! apply to the keys they reference.

use std::borrow::Cow;

use crate::facts::{Fact, KeyFacts, KeyLookup, KeyManager};

use super::{text, ControlId as C, Outcome, Status};

pub(crate) fn check(key: &KeyFacts, out: &mut Vec<Outcome>) {
    let (status, detail) = symmetric(key);
    out.push(Outcome::new(C::KeySymmetric, status, detail));
    let (status, detail) = enabled(key);
    out.push(Outcome::new(C::KeyEnabled, status, detail));
    out.push(rotation(key));
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
