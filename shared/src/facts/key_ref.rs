//! References to KMS keys as buckets and pipelines write them: a key id, a key ARN, an alias
//! name or an alias ARN.

use std::fmt;

/// A reference to a KMS key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyRef {
    /// A key id or key ARN. `account` is set when the reference was an ARN.
    Key {
        /// Key id.
        id: Box<str>,
        /// Account from the ARN.
        account: Option<Box<str>>,
    },
    /// An alias (`alias/name`), bare or as an ARN.
    Alias {
        /// `alias/…`
        name: Box<str>,
        /// Account from the ARN.
        account: Option<Box<str>>,
    },
}

/// The alias of the AWS managed key for S3.
pub const AWS_S3_ALIAS: &str = "alias/aws/s3";

impl KeyRef {
    /// Reads a reference. Never fails: anything that is not an ARN or alias is taken as a key id.
    pub fn parse(text: &str) -> Self {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("arn:") {
            // arn:partition:kms:region:account:key/id | alias/name
            let mut parts = rest.splitn(5, ':');
            let (_partition, _service, _region) = (parts.next(), parts.next(), parts.next());
            let account = parts.next().filter(|a| !a.is_empty()).map(Box::from);
            let resource = parts.next().unwrap_or_default();
            if let Some(id) = resource.strip_prefix("key/") {
                return Self::Key {
                    id: id.into(),
                    account,
                };
            }
            if resource.starts_with("alias/") {
                return Self::Alias {
                    name: resource.into(),
                    account,
                };
            }
            return Self::Key {
                id: text.into(),
                account,
            };
        }
        if text.starts_with("alias/") {
            return Self::Alias {
                name: text.into(),
                account: None,
            };
        }
        Self::Key {
            id: text.into(),
            account: None,
        }
    }

    /// True for `alias/aws/s3`, the AWS managed S3 key.
    pub fn is_aws_managed_s3_alias(&self) -> bool {
        matches!(self, Self::Alias { name, .. } if &**name == AWS_S3_ALIAS)
    }

    /// The account the reference names, if it was an ARN.
    pub fn account(&self) -> Option<&str> {
        match self {
            Self::Key { account, .. } | Self::Alias { account, .. } => account.as_deref(),
        }
    }
}

impl fmt::Display for KeyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key { id, .. } => write!(f, "key {id}"),
            Self::Alias { name, .. } => write!(f, "{name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::KeyRef;

    #[test]
    fn reads_every_form() {
        assert_eq!(
            KeyRef::parse(
                "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
            ),
            KeyRef::Key {
                id: "1234abcd-12ab-34cd-56ef-1234567890ab".into(),
                account: Some("111122223333".into())
            }
        );
        assert_eq!(
            KeyRef::parse("mrk-1234"),
            KeyRef::Key {
                id: "mrk-1234".into(),
                account: None
            }
        );
        assert!(KeyRef::parse("alias/aws/s3").is_aws_managed_s3_alias());
        assert!(
            KeyRef::parse("arn:aws:kms:us-east-1:111122223333:alias/aws/s3")
                .is_aws_managed_s3_alias()
        );
        assert_eq!(
            KeyRef::parse("arn:aws-cn:kms:cn-north-1:111122223333:alias/team").account(),
            Some("111122223333")
        );
        assert!(!KeyRef::parse("alias/team").is_aws_managed_s3_alias());
    }
}
