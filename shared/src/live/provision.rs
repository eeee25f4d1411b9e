//! Ports that change an account: creating and configuring artifact buckets and their KMS keys
//! (used by the artifact-store custom resource). Reads go through the read ports in this module's
//! parent.

use super::SourceError;

/// Who holds a bucket name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketState {
    /// No bucket has this name.
    Absent,
    /// A bucket of this account, with its tags.
    Exists { tags: Vec<(String, String)> },
    /// The name is taken by another account (or this account may not see it).
    Foreign,
}

/// Everything artifact-guard sets on an artifact bucket besides its policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSettings {
    /// `None` encrypts with the AWS managed key `aws/s3`.
    pub kms_key_arn: Option<String>,
    /// Versioning `Enabled` (true) or `Suspended` (false, only ever set on a versioned bucket).
    pub versioning: bool,
    /// Tags to set (artifact-guard's own and the user's).
    pub tags: Vec<(String, String)>,
}

/// A key to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    /// `Description`. Unique to this creation (say, it names the request): when a `CreateKey`
    /// answer is lost, the key that attempt made is found by it and scheduled for deletion.
    pub description: String,
    /// The key policy document.
    pub policy: String,
    /// `alias/…` to point at the key.
    pub alias: String,
    /// Automatic rotation period; `None` is KMS's default (365 days).
    pub rotation_period_days: Option<i32>,
    /// Tags.
    pub tags: Vec<(String, String)>,
}

/// A key that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHandle {
    /// Key id.
    pub id: String,
    /// Key ARN.
    pub arn: String,
}

#[allow(async_fn_in_trait)]
/// Creates, configures, empties and deletes buckets.
pub trait BucketAdmin {
    /// Whether the name is free, ours (with tags), or someone else's.
    async fn bucket_state(&self, name: &str) -> Result<BucketState, SourceError>;
    /// `CreateBucket` in `region`.
    async fn create_bucket(&self, name: &str, region: &str) -> Result<(), SourceError>;
    /// Public access block, `BucketOwnerEnforced`, versioning, default SSE-KMS with bucket keys,
    /// and tags.
    async fn configure_bucket(
        &self,
        name: &str,
        settings: &BucketSettings,
    ) -> Result<(), SourceError>;
    /// The bucket policy text, if any.
    async fn bucket_policy(&self, name: &str) -> Result<Option<String>, SourceError>;
    /// Replaces the bucket policy.
    async fn put_bucket_policy(&self, name: &str, policy: &str) -> Result<(), SourceError>;
    /// True when the bucket holds no object versions and no delete markers.
    async fn is_empty(&self, name: &str) -> Result<bool, SourceError>;
    /// Deletes every object version and delete marker; returns how many.
    async fn empty_bucket(&self, name: &str) -> Result<usize, SourceError>;
    /// `DeleteBucket` (the bucket must be empty).
    async fn delete_bucket(&self, name: &str) -> Result<(), SourceError>;
}

#[allow(async_fn_in_trait)]
/// Creates and retires KMS keys.
pub trait KeyAdmin {
    /// `CreateKey` (SYMMETRIC_DEFAULT), `EnableKeyRotation`, `CreateAlias`. When a step after
    /// `CreateKey` fails, the new key is scheduled for deletion before the error returns; so is
    /// any key made by a `CreateKey` attempt whose answer was lost.
    async fn create_key(&self, key: &NewKey) -> Result<KeyHandle, SourceError>;
    /// The key an alias points at, if the alias exists.
    async fn key_by_alias(&self, alias: &str) -> Result<Option<KeyHandle>, SourceError>;
    /// Replaces the key policy.
    async fn put_key_policy(&self, key_id: &str, policy: &str) -> Result<(), SourceError>;
    /// `ScheduleKeyDeletion` with a waiting period (7–30 days); never immediate. A key already
    /// pending deletion is left as it is, without error: a retried delete ends the same way.
    async fn schedule_key_deletion(
        &self,
        key_id: &str,
        pending_days: i32,
    ) -> Result<(), SourceError>;
}
