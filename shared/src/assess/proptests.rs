//! The engine never reports COMPLIANT when a required fact is missing.

use proptest::prelude::*;

use super::tests::{good_bucket, good_key, good_pipeline, subject, World, BUCKET, KEY_ID};
use super::Compliance;
use crate::facts::{DefaultEncryption, Fact, KeyRef, ResourceFacts, ResourceKind};

fn maybe<T: Clone + std::fmt::Debug + 'static>(value: T) -> impl Strategy<Value = Fact<T>> {
    prop_oneof![Just(Fact::Known(value)), Just(Fact::unknown("missing"))]
}

proptest! {
    #[test]
    fn a_bucket_missing_a_required_fact_is_never_compliant(
        encryption in maybe(Some(DefaultEncryption { algorithm: "aws:kms".into(), key: Some(KeyRef::parse(KEY_ID)) })),
        policy_known in any::<bool>(),
        versioning_known in any::<bool>(),
        key_recorded in any::<bool>(),
    ) {
        let mut bucket = good_bucket(BUCKET);
        let missing = matches!(encryption, Fact::Unknown(_)) || !policy_known || !key_recorded;
        bucket.encryption = encryption;
        if !policy_known {
            bucket.policy = Fact::unknown("the bucket policy cannot be read");
        }
        if !versioning_known {
            bucket.versioning = Fact::unknown("missing");
        }
        let mut world = World::new().bucket(bucket);
        if !key_recorded {
            world.inventory.insert(subject(ResourceKind::Key, KEY_ID), ResourceFacts::Key(Fact::unknown("AccessDenied")));
        }
        let e = world.assess(ResourceKind::Bucket, BUCKET);
        if missing {
            prop_assert_eq!(e.compliance_type, Compliance::NonCompliant);
        }
        if missing || !versioning_known {
            prop_assert!(e.score < Some(100));
        }
    }

    #[test]
    fn a_key_missing_a_required_fact_is_never_compliant(
        spec in maybe::<std::borrow::Cow<'static, str>>("SYMMETRIC_DEFAULT".into()),
        usage in maybe::<std::borrow::Cow<'static, str>>("ENCRYPT_DECRYPT".into()),
        state in maybe::<std::borrow::Cow<'static, str>>("Enabled".into()),
        rotation in maybe(true),
    ) {
        let mut key = good_key(KEY_ID);
        // The usage alone is not required: a SYMMETRIC_DEFAULT key can only be ENCRYPT_DECRYPT.
        let missing = [&spec, &state].iter().any(|f| matches!(f, Fact::Unknown(_)))
            || matches!(rotation, Fact::Unknown(_));
        key.spec = spec;
        key.usage = usage;
        key.state = state;
        key.rotation_enabled = rotation;
        let world = World::new().key(key);
        let e = world.assess(ResourceKind::Key, KEY_ID);
        prop_assert_eq!(e.compliance_type == Compliance::NonCompliant, missing);
        // The pipeline and bucket that use the key are never compliant on a half-known key
        // either (rotation alone is a key-level control).
        let usable_unknown = e.findings.iter().any(|f| {
            matches!(f.control, crate::ControlId::KeySymmetric | crate::ControlId::KeyEnabled)
                && f.status == crate::Status::Unknown
        });
        if usable_unknown {
            prop_assert_eq!(world.assess(ResourceKind::Bucket, BUCKET).compliance_type, Compliance::NonCompliant);
            prop_assert_eq!(world.assess(ResourceKind::Pipeline, "web").compliance_type, Compliance::NonCompliant);
        }
    }

    #[test]
    fn a_pipeline_missing_its_store_or_tags_is_never_compliant(
        store_recorded in any::<bool>(),
        tags_known in any::<bool>(),
    ) {
        let mut p = good_pipeline("web");
        if !store_recorded {
            p.stores[0].location = "unrecorded-bucket".into();
        }
        if !tags_known {
            p.tags = Fact::unknown("no tags");
        }
        let e = World::new().pipeline(p).assess(ResourceKind::Pipeline, "web");
        prop_assert_eq!(e.compliance_type == Compliance::Compliant, store_recorded && tags_known);
    }
}
