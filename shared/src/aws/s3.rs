//! S3: the bucket reader used when AWS Config does not record a bucket.
//! Five reads per bucket; a missing configuration is a known absence, a failed read an
//! `Unknown` fact that names the operation and the error.

use aws_sdk_s3::types::BucketVersioningStatus;

use super::{error_code, source_error, AwsAccount};
use crate::facts::{
    tags_mark_artifact_store, BucketFacts, DefaultEncryption, Fact, KeyRef, PublicAccessBlock,
    Versioning,
};
use crate::live::BucketReader;

impl BucketReader for AwsAccount {
    async fn read_bucket(&self, name: &str) -> Fact<BucketFacts> {
        let arn = format!("arn:{}:s3:::{name}", self.partition);
        let (encryption, policy, versioning, public_access_block, tags) = futures::join!(
            self.encryption(name),
            self.policy(name, &arn),
            self.versioning(name),
            self.public_access_block(name),
            self.tagged(name),
        );
        if let Fact::Unknown(reason) = &encryption {
            if reason.contains("NoSuchBucket") {
                return Fact::unknown(format!("bucket {name} does not exist"));
            }
        }
        Fact::Known(BucketFacts {
            name: name.into(),
            encryption,
            policy,
            versioning,
            public_access_block,
            tagged_artifact_store: tags,
        })
    }
}

impl AwsAccount {
    async fn encryption(&self, name: &str) -> Fact<Option<DefaultEncryption>> {
        self.calls.add();
        match self.s3.get_bucket_encryption().bucket(name).send().await {
            Ok(out) => {
                let default = out.server_side_encryption_configuration().and_then(|c| {
                    c.rules()
                        .iter()
                        .find_map(|r| r.apply_server_side_encryption_by_default())
                });
                Fact::Known(default.map(|d| {
                    DefaultEncryption {
                        algorithm: d.sse_algorithm().as_str().into(),
                        key: d
                            .kms_master_key_id()
                            .filter(|k| !k.is_empty())
                            .map(KeyRef::parse),
                    }
                }))
            }
            Err(e) if error_code(&e) == Some("ServerSideEncryptionConfigurationNotFoundError") => {
                Fact::Known(None)
            }
            Err(e) => Fact::unknown(source_error("s3:GetBucketEncryption", &e).to_string()),
        }
    }

    async fn policy(&self, name: &str, arn: &str) -> Fact<crate::policy::PolicyAnswers> {
        self.calls.add();
        match self.s3.get_bucket_policy().bucket(name).send().await {
            Ok(out) => BucketFacts::policy_from_text(out.policy(), arn),
            Err(e) if error_code(&e) == Some("NoSuchBucketPolicy") => {
                BucketFacts::policy_from_text(None, arn)
            }
            Err(e) => Fact::unknown(source_error("s3:GetBucketPolicy", &e).to_string()),
        }
    }

    async fn versioning(&self, name: &str) -> Fact<Versioning> {
        self.calls.add();
        match self.s3.get_bucket_versioning().bucket(name).send().await {
            Ok(out) => Fact::Known(match out.status() {
                Some(BucketVersioningStatus::Enabled) => Versioning::Enabled,
                Some(BucketVersioningStatus::Suspended) => Versioning::Suspended,
                _ => Versioning::Off,
            }),
            Err(e) => Fact::unknown(source_error("s3:GetBucketVersioning", &e).to_string()),
        }
    }

    async fn public_access_block(&self, name: &str) -> Fact<PublicAccessBlock> {
        self.calls.add();
        match self.s3.get_public_access_block().bucket(name).send().await {
            Ok(out) => {
                let c = out.public_access_block_configuration();
                let on = |v: Option<bool>| v.unwrap_or(false);
                Fact::Known(PublicAccessBlock {
                    block_public_acls: on(c.and_then(|c| c.block_public_acls())),
                    ignore_public_acls: on(c.and_then(|c| c.ignore_public_acls())),
                    block_public_policy: on(c.and_then(|c| c.block_public_policy())),
                    restrict_public_buckets: on(c.and_then(|c| c.restrict_public_buckets())),
                })
            }
            Err(e) if error_code(&e) == Some("NoSuchPublicAccessBlockConfiguration") => {
                Fact::Known(PublicAccessBlock::default())
            }
            Err(e) => Fact::unknown(source_error("s3:GetPublicAccessBlock", &e).to_string()),
        }
    }

    /// Tags only decide scope; a bucket whose tags cannot be read is treated as untagged
    /// (it is still in scope when a pipeline names it, which is why it is being read).
    async fn tagged(&self, name: &str) -> bool {
        self.calls.add();
        match self.s3.get_bucket_tagging().bucket(name).send().await {
            Ok(out) => tags_mark_artifact_store(out.tag_set().iter().map(|t| (t.key(), t.value()))),
            Err(e) => {
                if error_code(&e) != Some("NoSuchTagSet") {
                    tracing::warn!(bucket = %name, error = %source_error("s3:GetBucketTagging", &e), "bucket tags not read");
                }
                false
            }
        }
    }
}
