//! What is known about each bucket, key and pipeline, whatever the source (a configuration item,
//! a snapshot, or live AWS). A fact that could not be read is [`Fact::Unknown`] with the reason,
//! and the controls treat it as not passing.
//!
//! Facts are kept compact on purpose: a bucket policy is reduced to the answers the controls need
//! ([`PolicyAnswers`]) when it is read, so that a snapshot of hundreds of thousands of buckets fits
//! in memory that grows with the number of resources, not with the size of their documents.

mod config_item;
mod key_ref;

pub use config_item::{ConfigurationItem, ItemError};
pub use key_ref::KeyRef;

use crate::policy::{Policy, PolicyAnswers};

/// A fact, or the reason it is not known.
#[derive(Debug, Clone, PartialEq, Eq)]
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

    /// Borrows the value.
    pub fn as_ref(&self) -> Fact<&T> {
        match self {
            Self::Known(v) => Fact::Known(v),
            Self::Unknown(r) => Fact::Unknown(r.clone()),
        }
    }
}

/// The three resource types artifact-guard assesses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    /// `AWS::S3::Bucket`
    Bucket,
    /// `AWS::KMS::Key`
    Key,
    /// `AWS::CodePipeline::Pipeline`
    Pipeline,
}

impl ResourceKind {
    /// The AWS Config resource type.
    pub fn config_type(self) -> &'static str {
        match self {
            Self::Bucket => "AWS::S3::Bucket",
            Self::Key => "AWS::KMS::Key",
            Self::Pipeline => "AWS::CodePipeline::Pipeline",
        }
    }

    /// The kind for an AWS Config resource type, if artifact-guard assesses it.
    pub fn from_config_type(resource_type: &str) -> Option<Self> {
        match resource_type {
            "AWS::S3::Bucket" => Some(Self::Bucket),
            "AWS::KMS::Key" => Some(Self::Key),
            "AWS::CodePipeline::Pipeline" => Some(Self::Pipeline),
            _ => None,
        }
    }
}

/// Which resource an evaluation is about, and when its facts were captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// Resource type.
    pub kind: ResourceKind,
    /// Config's resource id: bucket name, key id, pipeline name.
    pub id: Box<str>,
    /// The resource ARN, when known (exemptions may name it).
    pub arn: Option<Box<str>>,
    /// Owning account, when known.
    pub account_id: Option<Box<str>>,
    /// Region, when known.
    pub region: Option<Box<str>>,
    /// Capture time of the facts, RFC 3339 (Config's `OrderingTimestamp`).
    pub captured_at: Option<Box<str>>,
}

/// Default encryption of a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versioning {
    /// Versioning on.
    Enabled,
    /// Was on, now suspended.
    Suspended,
    /// Never enabled.
    Off,
}

/// The four public-access-block settings on the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
    /// True when all four settings are on.
    pub fn all_blocked(&self) -> bool {
        self.block_public_acls
            && self.ignore_public_acls
            && self.block_public_policy
            && self.restrict_public_buckets
    }
}

/// What is known about an S3 bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
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
                Ok(policy) => Fact::Known(PolicyAnswers::of(&policy, bucket_arn)),
                Err(e) => Fact::unknown(format!("the bucket policy cannot be read: {e}")),
            },
        }
    }
}

/// Who manages a KMS key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyManager {
    /// An AWS managed key such as `aws/s3`.
    Aws,
    /// A customer managed key.
    Customer,
}

/// What is known about a KMS key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFacts {
    /// Key id (a UUID or `mrk-…`).
    pub key_id: Box<str>,
    /// `KeySpec`, e.g. `SYMMETRIC_DEFAULT`.
    pub spec: Fact<Box<str>>,
    /// `KeyUsage`, e.g. `ENCRYPT_DECRYPT`.
    pub usage: Fact<Box<str>>,
    /// `KeyState`, e.g. `Enabled`.
    pub state: Fact<Box<str>>,
    /// AWS or customer managed.
    pub manager: Fact<KeyManager>,
    /// `Origin`: `AWS_KMS`, `EXTERNAL`, `AWS_CLOUDHSM`, `EXTERNAL_KEY_STORE`.
    pub origin: Fact<Box<str>>,
    /// Whether the key lives in a custom key store.
    pub custom_key_store: bool,
    /// Automatic rotation status.
    pub rotation_enabled: Fact<bool>,
    /// Tagged `artifact-guard:artifact-store` = `true`.
    pub tagged_artifact_store: bool,
}

impl KeyFacts {
    /// `SYMMETRIC_DEFAULT` and `ENCRYPT_DECRYPT`: the only keys CodePipeline can use.
    pub fn symmetric(&self) -> Fact<bool> {
        match (&self.spec, &self.usage) {
            (Fact::Known(spec), Fact::Known(usage)) => {
                Fact::Known(&**spec == "SYMMETRIC_DEFAULT" && &**usage == "ENCRYPT_DECRYPT")
            }
            (Fact::Unknown(r), _) | (_, Fact::Unknown(r)) => Fact::Unknown(r.clone()),
        }
    }
}

/// One artifact store of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactStore {
    /// The region key of `artifactStores`, `None` for the single `artifactStore`.
    pub region: Option<Box<str>>,
    /// `type`: `S3` is the only kind CodePipeline offers today.
    pub store_type: Box<str>,
    /// The bucket name.
    pub location: Box<str>,
    /// `encryptionKey`, when set.
    pub encryption_key: Option<StoreKey>,
}

/// `encryptionKey` of an artifact store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreKey {
    /// `type`: must be `KMS`.
    pub key_type: Box<str>,
    /// `id`: a key id, key ARN, alias name or alias ARN.
    pub key: KeyRef,
}

/// A pipeline action, reduced to what the controls read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// Action name.
    pub name: Box<str>,
    /// `actionTypeId.provider` (or `actionType.provider`).
    pub provider: Option<Box<str>>,
    /// The role the action assumes, if any.
    pub role_arn: Option<Box<str>>,
    /// `configuration`, values as strings, in declaration order.
    pub configuration: Vec<(Box<str>, Box<str>)>,
}

/// A pipeline stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// Stage name.
    pub name: Box<str>,
    /// Its actions.
    pub actions: Vec<Action>,
}

/// What is known about a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineFacts {
    /// Pipeline name.
    pub name: Box<str>,
    /// The account that owns the pipeline.
    pub account_id: Option<Box<str>>,
    /// Artifact stores (one, or one per region).
    pub stores: Vec<ArtifactStore>,
    /// Stages and actions.
    pub stages: Vec<Stage>,
    /// Tags (key, value); `Unknown` when the source did not include them.
    pub tags: Fact<Vec<(Box<str>, Box<str>)>>,
}

/// The facts of one resource, as a snapshot or live source delivers them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceFacts {
    /// An S3 bucket.
    Bucket(Fact<BucketFacts>),
    /// A KMS key.
    Key(Fact<KeyFacts>),
    /// A pipeline.
    Pipeline(Fact<PipelineFacts>),
    /// Deleted or no longer recorded: reported NOT_APPLICABLE with this reason.
    Gone(Box<str>),
}

/// The tag artifact-guard uses to mark artifact stores (and their keys).
pub const ARTIFACT_STORE_TAG: &str = "artifact-guard:artifact-store";

/// True when the tags mark an artifact store.
pub fn tags_mark_artifact_store<'a>(mut tags: impl Iterator<Item = (&'a str, &'a str)>) -> bool {
    tags.any(|(k, v)| k == ARTIFACT_STORE_TAG && v.eq_ignore_ascii_case("true"))
}
