//! S3 and KMS writes for the artifact-store custom resource.

use aws_sdk_kms::types::{KeyState, Tag as KmsTag};
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete,
    ObjectIdentifier, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
    VersioningConfiguration,
};

use super::{error_code, source_error, AwsAccount};
use crate::live::{
    BucketAdmin, BucketSettings, BucketState, ErrorKind, KeyAdmin, KeyHandle, NewKey, SourceError,
};

pub(super) fn invalid(operation: &'static str, message: impl Into<String>) -> SourceError {
    SourceError {
        operation,
        kind: ErrorKind::Other,
        message: message.into(),
    }
}

impl BucketAdmin for AwsAccount {
    async fn bucket_state(&self, name: &str) -> Result<BucketState, SourceError> {
        self.calls.add();
        match self.s3.head_bucket().bucket(name).send().await {
            Ok(_) => {}
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                return match status {
                    Some(404) => Ok(BucketState::Absent),
                    Some(403) => Ok(BucketState::Foreign),
                    _ => Err(source_error("s3:HeadBucket", &e)),
                };
            }
        }
        self.calls.add();
        match self.s3.get_bucket_tagging().bucket(name).send().await {
            Ok(out) => Ok(BucketState::Exists {
                tags: out
                    .tag_set()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect(),
            }),
            Err(e) if error_code(&e) == Some("NoSuchTagSet") => {
                Ok(BucketState::Exists { tags: Vec::new() })
            }
            Err(e) => Err(source_error("s3:GetBucketTagging", &e)),
        }
    }

    async fn create_bucket(&self, name: &str, region: &str) -> Result<(), SourceError> {
        let mut request = self.s3.create_bucket().bucket(name);
        // us-east-1 is the one region that takes no location constraint.
        if region != "us-east-1" {
            request = request.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        self.calls.add();
        match request.send().await {
            Ok(_) => Ok(()),
            Err(e) if error_code(&e) == Some("BucketAlreadyOwnedByYou") => Ok(()),
            Err(e) => Err(source_error("s3:CreateBucket", &e)),
        }
    }

    async fn configure_bucket(
        &self,
        name: &str,
        settings: &BucketSettings,
    ) -> Result<(), SourceError> {
        self.calls.add();
        self.s3
            .put_public_access_block()
            .bucket(name)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| source_error("s3:PutPublicAccessBlock", &e))?;
        let ownership = OwnershipControlsRule::builder()
            .object_ownership(ObjectOwnership::BucketOwnerEnforced)
            .build()
            .map_err(|e| invalid("s3:PutBucketOwnershipControls", e.to_string()))?;
        self.calls.add();
        self.s3
            .put_bucket_ownership_controls()
            .bucket(name)
            .ownership_controls(
                OwnershipControls::builder()
                    .rules(ownership)
                    .build()
                    .map_err(|e| invalid("s3:PutBucketOwnershipControls", e.to_string()))?,
            )
            .send()
            .await
            .map_err(|e| source_error("s3:PutBucketOwnershipControls", &e))?;
        let status = if settings.versioning {
            BucketVersioningStatus::Enabled
        } else {
            BucketVersioningStatus::Suspended
        };
        self.calls.add();
        self.s3
            .put_bucket_versioning()
            .bucket(name)
            .versioning_configuration(VersioningConfiguration::builder().status(status).build())
            .send()
            .await
            .map_err(|e| source_error("s3:PutBucketVersioning", &e))?;
        let default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::AwsKms)
            .set_kms_master_key_id(settings.kms_key_arn.clone())
            .build()
            .map_err(|e| invalid("s3:PutBucketEncryption", e.to_string()))?;
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(default)
            .bucket_key_enabled(true)
            .build();
        self.calls.add();
        self.s3
            .put_bucket_encryption()
            .bucket(name)
            .server_side_encryption_configuration(
                ServerSideEncryptionConfiguration::builder()
                    .rules(rule)
                    .build()
                    .map_err(|e| invalid("s3:PutBucketEncryption", e.to_string()))?,
            )
            .send()
            .await
            .map_err(|e| source_error("s3:PutBucketEncryption", &e))?;
        let tags = settings
            .tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid("s3:PutBucketTagging", e.to_string()))?;
        self.calls.add();
        self.s3
            .put_bucket_tagging()
            .bucket(name)
            .tagging(
                Tagging::builder()
                    .set_tag_set(Some(tags))
                    .build()
                    .map_err(|e| invalid("s3:PutBucketTagging", e.to_string()))?,
            )
            .send()
            .await
            .map_err(|e| source_error("s3:PutBucketTagging", &e))?;
        Ok(())
    }

    async fn bucket_policy(&self, name: &str) -> Result<Option<String>, SourceError> {
        self.calls.add();
        match self.s3.get_bucket_policy().bucket(name).send().await {
            Ok(out) => Ok(out.policy().map(str::to_owned)),
            Err(e) if error_code(&e) == Some("NoSuchBucketPolicy") => Ok(None),
            Err(e) => Err(source_error("s3:GetBucketPolicy", &e)),
        }
    }

    async fn put_bucket_policy(&self, name: &str, policy: &str) -> Result<(), SourceError> {
        self.calls.add();
        self.s3
            .put_bucket_policy()
            .bucket(name)
            .policy(policy)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| source_error("s3:PutBucketPolicy", &e))
    }

    async fn is_empty(&self, name: &str) -> Result<bool, SourceError> {
        self.calls.add();
        let out = self
            .s3
            .list_object_versions()
            .bucket(name)
            .max_keys(1)
            .send()
            .await
            .map_err(|e| source_error("s3:ListObjectVersions", &e))?;
        Ok(out.versions().is_empty() && out.delete_markers().is_empty())
    }

    async fn empty_bucket(&self, name: &str) -> Result<usize, SourceError> {
        let mut deleted = 0;
        loop {
            self.calls.add();
            let out = self
                .s3
                .list_object_versions()
                .bucket(name)
                .max_keys(1000)
                .send()
                .await
                .map_err(|e| source_error("s3:ListObjectVersions", &e))?;
            let objects = out
                .versions()
                .iter()
                .map(|v| (v.key(), v.version_id()))
                .chain(
                    out.delete_markers()
                        .iter()
                        .map(|m| (m.key(), m.version_id())),
                )
                .filter_map(|(key, version)| {
                    ObjectIdentifier::builder()
                        .set_key(key.map(str::to_owned))
                        .set_version_id(version.map(str::to_owned))
                        .build()
                        .ok()
                })
                .collect::<Vec<_>>();
            if objects.is_empty() {
                return Ok(deleted);
            }
            let count = objects.len();
            self.calls.add();
            let result = self
                .s3
                .delete_objects()
                .bucket(name)
                .delete(
                    Delete::builder()
                        .set_objects(Some(objects))
                        .quiet(true)
                        .build()
                        .map_err(|e| invalid("s3:DeleteObjects", e.to_string()))?,
                )
                .send()
                .await
                .map_err(|e| source_error("s3:DeleteObjects", &e))?;
            if let Some(error) = result.errors().first() {
                return Err(invalid(
                    "s3:DeleteObjects",
                    format!(
                        "{} could not be deleted: {}",
                        error.key().unwrap_or("?"),
                        error.code().unwrap_or("?")
                    ),
                ));
            }
            deleted += count;
        }
    }

    async fn delete_bucket(&self, name: &str) -> Result<(), SourceError> {
        self.calls.add();
        match self.s3.delete_bucket().bucket(name).send().await {
            Ok(_) => Ok(()),
            Err(e) if error_code(&e) == Some("NoSuchBucket") => Ok(()),
            Err(e) => Err(source_error("s3:DeleteBucket", &e)),
        }
    }
}

impl KeyAdmin for AwsAccount {
    async fn create_key(&self, key: &NewKey) -> Result<KeyHandle, SourceError> {
        let tags = key
            .tags
            .iter()
            .map(|(k, v)| KmsTag::builder().tag_key(k).tag_value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid("kms:CreateKey", e.to_string()))?;
        let handle = self.create_key_retrying(key, tags).await?;
        // The caller only learns of a key it gets back: a key whose rotation or alias failed
        // is scheduled for deletion here, or it would be left enabled and unowned.
        match self.finish_key(&handle, key).await {
            Ok(()) => Ok(handle),
            Err(mut error) => {
                let cleanup = self.schedule_key_deletion(&handle.id, 7).await;
                error.message = match cleanup {
                    Ok(()) => format!(
                        "{} (the new key {} was scheduled for deletion)",
                        error.message, handle.id
                    ),
                    Err(e) => format!(
                        "{} (the new key {} is left enabled: {e})",
                        error.message, handle.id
                    ),
                };
                Err(error)
            }
        }
    }

    async fn key_by_alias(&self, alias: &str) -> Result<Option<KeyHandle>, SourceError> {
        self.calls.add();
        match self.kms.describe_key().key_id(alias).send().await {
            Ok(out) => Ok(out.key_metadata().map(key_handle)),
            Err(e) => {
                let error = source_error("kms:DescribeKey", &e);
                if error.kind == ErrorKind::NotFound {
                    Ok(None)
                } else {
                    Err(error)
                }
            }
        }
    }

    async fn put_key_policy(&self, key_id: &str, policy: &str) -> Result<(), SourceError> {
        self.calls.add();
        self.kms
            .put_key_policy()
            .key_id(key_id)
            .policy_name("default")
            .policy(policy)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| source_error("kms:PutKeyPolicy", &e))
    }

    async fn schedule_key_deletion(
        &self,
        key_id: &str,
        pending_days: i32,
    ) -> Result<(), SourceError> {
        self.calls.add();
        let error = match self
            .kms
            .schedule_key_deletion()
            .key_id(key_id)
            .pending_window_in_days(pending_days)
            .send()
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        // KMS refuses to schedule a key that is already pending deletion; for a retried delete
        // that is the outcome it wanted.
        if error_code(&error) == Some("KMSInvalidStateException") {
            self.calls.add();
            let pending = self
                .kms
                .describe_key()
                .key_id(key_id)
                .send()
                .await
                .ok()
                .and_then(|out| out.key_metadata().and_then(|m| m.key_state().cloned()))
                == Some(KeyState::PendingDeletion);
            if pending {
                return Ok(());
            }
        }
        Err(source_error("kms:ScheduleKeyDeletion", &error))
    }
}

impl AwsAccount {
    /// Rotation and alias for a key just created.
    async fn finish_key(&self, handle: &KeyHandle, key: &NewKey) -> Result<(), SourceError> {
        self.calls.add();
        self.kms
            .enable_key_rotation()
            .key_id(&handle.id)
            .set_rotation_period_in_days(key.rotation_period_days)
            .send()
            .await
            .map_err(|e| source_error("kms:EnableKeyRotation", &e))?;
        self.calls.add();
        self.kms
            .create_alias()
            .alias_name(&key.alias)
            .target_key_id(&handle.id)
            .send()
            .await
            .map_err(|e| source_error("kms:CreateAlias", &e))?;
        Ok(())
    }
}

/// The id and ARN KMS returned for a key.
pub(super) fn key_handle(metadata: &aws_sdk_kms::types::KeyMetadata) -> KeyHandle {
    KeyHandle {
        id: metadata.key_id().to_owned(),
        arn: metadata.arn().unwrap_or_default().to_owned(),
    }
}
