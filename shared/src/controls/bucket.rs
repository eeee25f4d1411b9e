//! Bucket controls.

use crate::facts::{BucketFacts, Fact, Inventory, KeyLookup, KeyManager, Place, Versioning};
use crate::policy::PolicyVerdict;

use super::key::usable_by_codepipeline;
use super::{text, ControlId as C, Outcome, Status};

/// `from`: where the bucket lives, so that a bare key id is looked up in its account and region.
pub(crate) fn check(
    bucket: &BucketFacts,
    inventory: &Inventory,
    from: Place<'_>,
    out: &mut Vec<Outcome>,
) {
    let encryption = bucket.encryption.as_ref();
    out.push(match &encryption {
        Fact::Unknown(r) => Outcome::new(C::BucketSseKms, Status::Unknown, r.to_string()),
        Fact::Known(None) => Outcome::new(
            C::BucketSseKms,
            Status::Fail,
            "no default encryption is configured",
        ),
        Fact::Known(Some(e)) if e.uses_kms() => Outcome::new(
            C::BucketSseKms,
            Status::Pass,
            format!("default encryption is {}", e.algorithm),
        ),
        Fact::Known(Some(e)) => Outcome::new(
            C::BucketSseKms,
            Status::Fail,
            format!("default encryption is {}, not aws:kms", e.algorithm),
        ),
    });

    let kms = encryption
        .known()
        .and_then(|e| e.as_ref())
        .filter(|e| e.uses_kms());
    let key = kms.map(|e| {
        e.key
            .as_ref()
            .map_or(KeyLookup::AwsManagedS3, |k| inventory.key(k, from))
    });
    out.push(match (&encryption, &key) {
        (Fact::Unknown(r), _) => Outcome::new(C::BucketKeyUsable, Status::Unknown, r.to_string()),
        (_, None) => Outcome::new(
            C::BucketKeyUsable,
            Status::NotApplicable,
            "the bucket does not use KMS",
        ),
        (_, Some(lookup)) => {
            let (status, detail) = usable_by_codepipeline(lookup);
            Outcome::new(C::BucketKeyUsable, status, detail)
        }
    });

    let policy = |control, verdict: fn(&crate::policy::PolicyAnswers) -> &PolicyVerdict| {
        match &bucket.policy {
            Fact::Unknown(r) => Outcome::new(control, Status::Unknown, r.to_string()),
            Fact::Known(answers) => match verdict(answers) {
                verdict @ PolicyVerdict::Denied => {
                    Outcome::new(control, Status::Pass, verdict.describe())
                }
                gap => Outcome::new(control, Status::Fail, gap.describe()),
            },
        }
    };
    out.push(policy(C::BucketDenyUnencryptedUploads, |a| {
        &a.unencrypted_uploads
    }));
    out.push(policy(C::BucketDenyInsecureTransport, |a| {
        &a.insecure_transport
    }));
    out.push(policy(C::BucketDenyOldTls, |a| &a.old_tls));

    out.push(match bucket.versioning {
        Fact::Known(Versioning::Enabled) => {
            Outcome::new(C::BucketVersioning, Status::Pass, "versioning is Enabled")
        }
        Fact::Known(Versioning::Suspended) => {
            Outcome::new(C::BucketVersioning, Status::Fail, "versioning is Suspended")
        }
        Fact::Known(Versioning::Off) => Outcome::new(
            C::BucketVersioning,
            Status::Fail,
            "versioning was never enabled",
        ),
        Fact::Unknown(ref r) => Outcome::new(C::BucketVersioning, Status::Unknown, r.to_string()),
    });

    out.push(match bucket.public_access_block {
        Fact::Known(b) if b.all_blocked() => Outcome::new(
            C::BucketPublicAccessBlocked,
            Status::Pass,
            "all four settings are on",
        ),
        Fact::Known(_) => Outcome::new(
            C::BucketPublicAccessBlocked,
            Status::Fail,
            "not all four public access block settings are on",
        ),
        Fact::Unknown(ref r) => {
            Outcome::new(C::BucketPublicAccessBlocked, Status::Unknown, r.to_string())
        }
    });

    out.push(match (&encryption, &key) {
        (Fact::Unknown(r), _) => {
            Outcome::new(C::BucketCustomerManagedKey, Status::Unknown, r.to_string())
        }
        // bucket-sse-kms already fails such a bucket: failing this too would count one gap twice.
        (_, None) => Outcome::new(
            C::BucketCustomerManagedKey,
            Status::NotApplicable,
            "the bucket does not use KMS",
        ),
        (_, Some(lookup)) => {
            let (status, detail) = customer_managed(lookup);
            Outcome::new(C::BucketCustomerManagedKey, status, detail)
        }
    });
}

/// Is the looked-up key customer managed?
pub(crate) fn customer_managed(lookup: &KeyLookup<'_>) -> (Status, String) {
    match lookup {
        KeyLookup::AwsManagedS3 => (Status::Fail, "uses the AWS managed key aws/s3".into()),
        KeyLookup::Found(k) => match k.manager {
            Fact::Known(KeyManager::Customer) => (
                Status::Pass,
                text(&["key ", &k.key_id, " is customer managed"]),
            ),
            Fact::Known(KeyManager::Aws) => {
                (Status::Fail, text(&["key ", &k.key_id, " is AWS managed"]))
            }
            Fact::Unknown(ref r) => (Status::Unknown, format!("key {}: {r}", k.key_id)),
        },
        KeyLookup::Gone(r) => (Status::Fail, r.to_string()),
        KeyLookup::Unknown(r) => (Status::Unknown, r.to_string()),
    }
}
