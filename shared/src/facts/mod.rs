//! What is known about each bucket, key and pipeline, whatever the source (a configuration item,
//! a snapshot, or live AWS). A fact that could not be read is [`Fact::Unknown`] with the reason,
//! and the controls treat it as not passing.
//!
//! Facts are kept compact on purpose: a bucket policy is reduced to the answers the controls need
//! ([`PolicyAnswers`]) when it is read, so that a snapshot of hundreds of thousands of buckets fits
//! in memory that grows with the number of resources, not with the size of their documents. The
//! one exception: a bucket policy with an `Allow` statement keeps its text, because who it lets
//! in is asked per caller (`pipeline-key-grants`); the usual artifact store's policy of Denies
//! keeps none.

mod account;
mod config_item;
pub(crate) mod inventory;
mod key_ref;
mod pipeline;
pub(crate) mod scan;

pub use account::{
    records_management_writes, AccountFacts, EventSelector, FieldSelector, Trail, VpcAttachment,
    VpcEndpoint, ACCOUNT_PART_TYPES,
};
pub use config_item::{pipeline_document, ConfigurationItem, ItemError};
pub use inventory::{Entry, Inventory, KeyLookup, Place};
pub use key_ref::KeyRef;
pub use pipeline::{
    Action, ArtifactStore, ContentAnswers, Field, ForeignRole, PipelineDocument, PipelineFacts,
    Stage, StoreKey,
};

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize};

use crate::policy::{Policy, PolicyAnswers};

/// A fact, or the reason it is not known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fact<T> {
    /// Read and understood.
    Known(T),
    /// Missing or unreadable; the text says why, for the finding.
    Unknown(Box<str>),
}

impl<T> Fact<T> {
    /// A missing fact with its reason.
    pub fn unknown(reason: impl Into<Box<str>>) -> Self {
        Self::Unknown(reason.into())
    }

    /// The value, if known.
    pub fn known(&self) -> Option<&T> {
        match self {
            Self::Known(v) => Some(v),
            Self::Unknown(_) => None,
        }
    }

    /// Moves a known value to the heap.
    pub fn boxed(self) -> Fact<Box<T>> {
        match self {
            Self::Known(v) => Fact::Known(Box::new(v)),
            Self::Unknown(r) => Fact::Unknown(r),
        }
    }

    /// Borrows the value.
    pub fn as_ref(&self) -> Fact<&T> {
        match self {
            Self::Known(v) => Fact::Known(v),
            Self::Unknown(r) => Fact::Unknown(r.clone()),
        }
    }
}

/// The resource types artifact-guard assesses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ResourceKind {
    /// `AWS::S3::Bucket`
    Bucket,
    /// `AWS::KMS::Key`
    Key,
    /// `AWS::CodePipeline::Pipeline`
    Pipeline,
    /// `AWS::::Account`: the account in one region, identified by its account id.
    Account,
}

impl ResourceKind {
    /// The AWS Config resource type.
    pub fn config_type(self) -> &'static str {
        match self {
            Self::Bucket => "AWS::S3::Bucket",
            Self::Key => "AWS::KMS::Key",
            Self::Pipeline => "AWS::CodePipeline::Pipeline",
            Self::Account => "AWS::::Account",
        }
    }

    /// The kind for an AWS Config resource type, if artifact-guard assesses it.
    pub fn from_config_type(resource_type: &str) -> Option<Self> {
        match resource_type {
            "AWS::S3::Bucket" => Some(Self::Bucket),
            "AWS::KMS::Key" => Some(Self::Key),
            "AWS::CodePipeline::Pipeline" => Some(Self::Pipeline),
            "AWS::::Account" => Some(Self::Account),
            _ => None,
        }
    }
}

/// Which resource an evaluation is about, and when its facts were captured.
///
/// The id and the fields that repeat across resources (account, region, capture time) are
/// shared strings: an inventory interns them, so a snapshot of hundreds of thousands of
/// resources holds one copy of each account id and timestamp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// Resource type.
    pub kind: ResourceKind,
    /// Config's resource id: bucket name, key id, pipeline name, account id.
    pub id: Arc<str>,
    /// Owning account, when known.
    pub account_id: Option<Arc<str>>,
    /// Region, when known.
    pub region: Option<Arc<str>>,
    /// Capture time of the facts, RFC 3339 (Config's `OrderingTimestamp`).
    pub captured_at: Option<Arc<str>>,
}

/// Default encryption of a bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultEncryption {
    /// `sseAlgorithm`: `aws:kms`, `aws:kms:dsse`, `AES256`.
    pub algorithm: Box<str>,
    /// `kmsMasterKeyID`; `None` means the AWS managed key `aws/s3`.
    pub key: Option<KeyRef>,
}

impl DefaultEncryption {
    /// True for `aws:kms` and `aws:kms:dsse`.
    pub fn uses_kms(&self) -> bool {
        matches!(&*self.algorithm, "aws:kms" | "aws:kms:dsse")
    }
}

/// `Status` of bucket versioning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Versioning {
    /// Versioning on.
    Enabled,
    /// Was on, now suspended.
    Suspended,
    /// Never enabled.
    Off,
}

/// The four public-access-block settings on the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    /// `BlockPublicAcls`
    pub block_public_acls: bool,
    /// `IgnorePublicAcls`
    pub ignore_public_acls: bool,
    /// `BlockPublicPolicy`
    pub block_public_policy: bool,
    /// `RestrictPublicBuckets`
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// All four settings on: what S3 gives a new bucket unless told otherwise (since April
    /// 2023), and what artifact-guard's provider sets.
    pub const ALL_ON: Self = Self {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };

    /// True when all four settings are on.
    pub fn all_blocked(&self) -> bool {
        self.block_public_acls
            && self.ignore_public_acls
            && self.block_public_policy
            && self.restrict_public_buckets
    }
}

/// What is known about an S3 bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketFacts {
    /// Bucket name.
    pub name: Box<str>,
    /// `Known(None)`: no default encryption configured.
    pub encryption: Fact<Option<DefaultEncryption>>,
    /// The policy questions, answered when the policy was read.
    pub policy: Fact<PolicyAnswers>,
    /// Versioning status.
    pub versioning: Fact<Versioning>,
    /// Bucket-level public access block (all false when none is configured).
    pub public_access_block: Fact<PublicAccessBlock>,
    /// Tagged `artifact-guard:artifact-store` = `true`.
    pub tagged_artifact_store: bool,
}

impl BucketFacts {
    /// Reads a bucket policy document: `None` when the bucket has no policy.
    pub fn policy_from_text(text: Option<&str>, bucket_arn: &str) -> Fact<PolicyAnswers> {
        match text {
            None => Fact::Known(PolicyAnswers::no_policy()),
            Some(text) => match Policy::from_json_text(text) {
                Ok(policy) => {
                    let answers = PolicyAnswers::of(&policy, bucket_arn);
                    Fact::Known(PolicyAnswers {
                        document: answers.allows.then(|| text.into()),
                        ..answers
                    })
                }
                Err(e) => Fact::unknown(format!("the bucket policy cannot be read: {e}")),
            },
        }
    }
}

/// Who manages a KMS key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyManager {
    /// An AWS managed key such as `aws/s3`.
    Aws,
    /// A customer managed key.
    Customer,
}

/// KMS's own vocabulary for key specs, usages, states and origins. Values read from a source are
/// mapped onto these static strings, so that a snapshot of many keys holds no copies of them.
const KMS_WORDS: [&str; 32] = [
    "SYMMETRIC_DEFAULT",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "SM2",
    "ML_DSA_44",
    "ML_DSA_65",
    "ML_DSA_87",
    "ENCRYPT_DECRYPT",
    "SIGN_VERIFY",
    "GENERATE_VERIFY_MAC",
    "KEY_AGREEMENT",
    "Enabled",
    "Disabled",
    "PendingDeletion",
    "PendingImport",
    "PendingReplicaDeletion",
    "Unavailable",
    "Creating",
    "Updating",
    "AWS_KMS",
    "EXTERNAL",
    "AWS_CLOUDHSM",
    "EXTERNAL_KEY_STORE",
];

/// A KMS vocabulary word as a static string when it is one, an owned copy otherwise.
pub fn kms_word(text: &str) -> Cow<'static, str> {
    KMS_WORDS
        .iter()
        .find(|w| **w == text)
        .map_or_else(|| Cow::Owned(text.to_owned()), |w| Cow::Borrowed(*w))
}

/// A KMS vocabulary fact read back (from a working file): the word as its static string again.
fn kms_fact<'de, D: Deserializer<'de>>(d: D) -> Result<Fact<Cow<'static, str>>, D::Error> {
    Ok(match Fact::<Box<str>>::deserialize(d)? {
        Fact::Known(word) => Fact::Known(kms_word(&word)),
        Fact::Unknown(reason) => Fact::Unknown(reason),
    })
}

/// What is known about a KMS key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFacts {
    /// Key id (a UUID or `mrk-…`).
    pub key_id: Box<str>,
    /// `KeySpec`, e.g. `SYMMETRIC_DEFAULT`.
    #[serde(deserialize_with = "kms_fact")]
    pub spec: Fact<Cow<'static, str>>,
    /// `KeyUsage`, e.g. `ENCRYPT_DECRYPT`.
    #[serde(deserialize_with = "kms_fact")]
    pub usage: Fact<Cow<'static, str>>,
    /// `KeyState`, e.g. `Enabled`.
    #[serde(deserialize_with = "kms_fact")]
    pub state: Fact<Cow<'static, str>>,
    /// AWS or customer managed.
    pub manager: Fact<KeyManager>,
    /// `Origin`: `AWS_KMS`, `EXTERNAL`, `AWS_CLOUDHSM`, `EXTERNAL_KEY_STORE`.
    #[serde(deserialize_with = "kms_fact")]
    pub origin: Fact<Cow<'static, str>>,
    /// Whether the key lives in a custom key store.
    pub custom_key_store: bool,
    /// Automatic rotation status.
    pub rotation_enabled: Fact<bool>,
    /// Tagged `artifact-guard:artifact-store` = `true`.
    pub tagged_artifact_store: bool,
    /// The key policy's JSON text (`kms:GetKeyPolicy`), or why it could not be read; `None`
    /// where the source does not record it (AWS Config records no key policies).
    pub policy: Option<Fact<Box<str>>>,
}

impl KeyFacts {
    /// `SYMMETRIC_DEFAULT` and `ENCRYPT_DECRYPT`: the only keys CodePipeline can use.
    ///
    /// A `SYMMETRIC_DEFAULT` key can only have `ENCRYPT_DECRYPT` usage (KMS's `CreateKey`
    /// reference), so its spec alone decides when the usage was not given (moto's `DescribeKey`
    /// omits it for a key created without one). Any other spec, or any other usage, decides "no"
    /// on its own.
    pub fn symmetric(&self) -> Fact<bool> {
        match (&self.spec, &self.usage) {
            (Fact::Known(spec), _) if &**spec != "SYMMETRIC_DEFAULT" => Fact::Known(false),
            (_, Fact::Known(usage)) if &**usage != "ENCRYPT_DECRYPT" => Fact::Known(false),
            (Fact::Known(_), _) => Fact::Known(true),
            (Fact::Unknown(r), _) => Fact::Unknown(r.clone()),
        }
    }
}

/// The facts of one resource, as a snapshot or live source delivers them. The facts are boxed
/// so that every entry of an inventory is as small as the smallest (a snapshot holds hundreds of
/// thousands).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResourceFacts {
    /// An S3 bucket.
    Bucket(Fact<Box<BucketFacts>>),
    /// A KMS key.
    Key(Fact<Box<KeyFacts>>),
    /// A pipeline.
    Pipeline(Fact<Box<PipelineFacts>>),
    /// An account in one region.
    Account(Fact<Box<AccountFacts>>),
    /// Deleted or no longer recorded: reported NOT_APPLICABLE with this reason.
    Gone(Box<str>),
}

/// The tag artifact-guard uses to mark artifact stores (and their keys).
pub const ARTIFACT_STORE_TAG: &str = "artifact-guard:artifact-store";

/// True when the tags mark an artifact store.
pub fn tags_mark_artifact_store<'a>(mut tags: impl Iterator<Item = (&'a str, &'a str)>) -> bool {
    tags.any(|(k, v)| k == ARTIFACT_STORE_TAG && v.eq_ignore_ascii_case("true"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(spec: Option<&'static str>, usage: Option<&'static str>) -> KeyFacts {
        let fact = |v: Option<&'static str>| {
            v.map_or_else(|| Fact::unknown("not given"), |v| Fact::Known(v.into()))
        };
        KeyFacts {
            spec: fact(spec),
            usage: fact(usage),
            ..crate::assess::tests::good_key("k")
        }
    }

    #[test]
    fn a_key_is_symmetric_by_its_spec_when_its_usage_is_not_given() {
        let known = |b| Fact::Known(b);
        for (spec, usage, expected) in [
            (
                Some("SYMMETRIC_DEFAULT"),
                Some("ENCRYPT_DECRYPT"),
                known(true),
            ),
            // SYMMETRIC_DEFAULT keys only have ENCRYPT_DECRYPT usage.
            (Some("SYMMETRIC_DEFAULT"), None, known(true)),
            (Some("RSA_2048"), None, known(false)),
            (Some("RSA_2048"), Some("ENCRYPT_DECRYPT"), known(false)),
            (Some("HMAC_256"), Some("GENERATE_VERIFY_MAC"), known(false)),
            (None, Some("SIGN_VERIFY"), known(false)),
        ] {
            assert_eq!(key(spec, usage).symmetric(), expected, "{spec:?} {usage:?}");
        }
        // RSA keys can have ENCRYPT_DECRYPT usage too: without the spec nothing is decided.
        for (spec, usage) in [(None, Some("ENCRYPT_DECRYPT")), (None, None)] {
            assert!(
                matches!(key(spec, usage).symmetric(), Fact::Unknown(_)),
                "{spec:?} {usage:?}"
            );
        }
    }
}
