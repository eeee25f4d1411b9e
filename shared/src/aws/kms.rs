//! KMS: `DescribeKey`, then `GetKeyRotationStatus` for keys that can rotate, and `GetKeyPolicy`.

use super::{source_error, AwsAccount};
use crate::facts::{kms_word, Fact, KeyFacts, KeyManager, KeyRef, ResourceFacts};
use crate::live::{ErrorKind, KeyReader, KeyRecord};

impl KeyReader for AwsAccount {
    async fn read_key_policy(&self, key: &KeyRef) -> Fact<Box<str>> {
        self.key_policy(key.as_str()).await
    }

    async fn read_key(&self, key: &KeyRef) -> KeyRecord {
        let alias: Option<Box<str>> = key.alias_name().map(Box::from);
        self.calls.add();
        let described = self.kms.describe_key().key_id(key.as_str()).send().await;
        let metadata = match described {
            Ok(out) => out.key_metadata().cloned(),
            Err(e) => {
                let error = source_error("kms:DescribeKey", &e);
                let id: Box<str> = key
                    .key_id()
                    .or(key.alias_name())
                    .unwrap_or(key.as_str())
                    .into();
                let facts = if error.kind == ErrorKind::NotFound {
                    ResourceFacts::Gone(format!("{key} does not exist ({})", error.message).into())
                } else {
                    ResourceFacts::Key(Fact::unknown(error.to_string()))
                };
                return KeyRecord {
                    id,
                    alias,
                    account_id: key.account().map(Box::from),
                    facts,
                };
            }
        };
        let Some(m) = metadata else {
            return KeyRecord {
                id: key.as_str().into(),
                alias,
                account_id: None,
                facts: ResourceFacts::Key(Fact::unknown("kms:DescribeKey returned no KeyMetadata")),
            };
        };
        let text = |v: Option<&str>, field: &str| {
            v.map_or_else(
                || Fact::unknown(format!("kms:DescribeKey returned no {field}")),
                |v| Fact::Known(kms_word(v)),
            )
        };
        let manager = match m.key_manager().map(|k| k.as_str()) {
            Some("AWS") => Fact::Known(KeyManager::Aws),
            Some("CUSTOMER") => Fact::Known(KeyManager::Customer),
            other => Fact::unknown(format!("kms:DescribeKey KeyManager {other:?}")),
        };
        let origin = text(m.origin().map(|o| o.as_str()), "Origin");
        let spec = text(m.key_spec().map(|s| s.as_str()), "KeySpec");
        let rotates = manager == Fact::Known(KeyManager::Customer)
            && origin.known().is_some_and(|o| o == "AWS_KMS")
            && spec.known().is_some_and(|s| s == "SYMMETRIC_DEFAULT")
            && m.custom_key_store_id().is_none();
        let rotation_enabled = if rotates {
            self.calls.add();
            match self
                .kms
                .get_key_rotation_status()
                .key_id(m.key_id())
                .send()
                .await
            {
                Ok(out) => Fact::Known(out.key_rotation_enabled()),
                Err(e) => Fact::unknown(source_error("kms:GetKeyRotationStatus", &e).to_string()),
            }
        } else {
            // Not asked: AWS managed keys rotate by themselves and the others cannot rotate.
            Fact::Known(false)
        };
        let policy = Some(self.key_policy(m.key_id()).await);
        KeyRecord {
            id: m.key_id().into(),
            alias,
            account_id: m.aws_account_id().map(Box::from),
            facts: ResourceFacts::Key(
                Fact::Known(KeyFacts {
                    key_id: m.key_id().into(),
                    spec,
                    usage: text(m.key_usage().map(|u| u.as_str()), "KeyUsage"),
                    state: text(m.key_state().map(|s| s.as_str()), "KeyState"),
                    manager,
                    origin,
                    custom_key_store: m.custom_key_store_id().is_some(),
                    rotation_enabled,
                    tagged_artifact_store: false,
                    policy,
                })
                .boxed(),
            ),
        }
    }
}

impl AwsAccount {
    /// The key's policy (`default`, the only name a key policy has), by key id or ARN.
    async fn key_policy(&self, key_id: &str) -> Fact<Box<str>> {
        self.calls.add();
        let read = self
            .kms
            .get_key_policy()
            .key_id(key_id)
            .policy_name("default")
            .send()
            .await;
        match read {
            Ok(out) => out.policy().map_or_else(
                || Fact::unknown("kms:GetKeyPolicy returned no Policy"),
                |p| Fact::Known(p.into()),
            ),
            Err(e) => Fact::unknown(source_error("kms:GetKeyPolicy", &e).to_string()),
        }
    }
}
