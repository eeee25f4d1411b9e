//! References to KMS keys as buckets and pipelines write them: a key id, a key ARN, an alias
//! name or an alias ARN. The text is kept as written (it is what `DescribeKey` accepts, also for
//! keys of other accounts); the id, alias and account are read from it on demand.

use std::fmt;

/// A reference to a KMS key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyRef {
    text: Box<str>,
    /// Where the resource part (`key/…`, `alias/…`, or the whole text) starts: found once at
    /// parse time, since the engine asks for the id of every reference of every resource.
    resource_at: u32,
    alias: bool,
}

/// The alias of the AWS managed key for S3.
pub const AWS_S3_ALIAS: &str = "alias/aws/s3";

impl KeyRef {
    /// Reads a reference. Never fails: anything that is not an ARN or alias is taken as a key id.
    pub fn parse(text: &str) -> Self {
        let text = text.trim();
        let resource = arn_resource(text).unwrap_or(text);
        Self {
            resource_at: u32::try_from(text.len() - resource.len()).unwrap_or(0),
            alias: resource.starts_with("alias/"),
            text: text.into(),
        }
    }

    /// The reference as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The key id, for a reference to a key (not an alias).
    pub fn key_id(&self) -> Option<&str> {
        if self.alias {
            return None;
        }
        let resource = self.resource();
        Some(if self.resource_at > 0 {
            resource.strip_prefix("key/").unwrap_or(resource)
        } else {
            resource
        })
    }

    /// The resource part of an ARN, or the whole text.
    fn resource(&self) -> &str {
        // `resource_at` is a char boundary of `text` by construction (0 when over u32).
        self.text
            .get(self.resource_at as usize..)
            .unwrap_or(&self.text)
    }

    /// The alias name (`alias/…`), for a reference to an alias.
    pub fn alias_name(&self) -> Option<&str> {
        self.alias.then(|| self.resource())
    }

    /// True for `alias/aws/s3`, the AWS managed S3 key.
    pub fn is_aws_managed_s3_alias(&self) -> bool {
        self.alias_name() == Some(AWS_S3_ALIAS)
    }

    /// The account the reference names, if it is an ARN.
    pub fn account(&self) -> Option<&str> {
        self.arn_place()
            .map(|(_, account)| account)
            .filter(|a| !a.is_empty())
    }

    /// The region the reference names, if it is an ARN.
    pub fn region(&self) -> Option<&str> {
        self.arn_place()
            .map(|(region, _)| region)
            .filter(|r| !r.is_empty())
    }

    /// Region and account of an ARN: the two fields before the resource, read backwards from
    /// where parsing found the resource (asked for on every key lookup of a snapshot).
    fn arn_place(&self) -> Option<(&str, &str)> {
        let head = self
            .text
            .get(..(self.resource_at as usize).checked_sub(1)?)?;
        let mut fields = head.rsplitn(3, ':');
        let account = fields.next()?;
        let region = fields.next()?;
        Some((region, account))
    }
}

/// `key/…` or `alias/…` of `arn:partition:kms:region:account:…`.
fn arn_resource(text: &str) -> Option<&str> {
    let rest = text.strip_prefix("arn:")?;
    rest.splitn(5, ':').nth(4)
}

impl fmt::Display for KeyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.key_id(), self.alias_name()) {
            (Some(id), _) => write!(f, "key {id}"),
            (None, Some(alias)) => f.write_str(alias),
            (None, None) => f.write_str(&self.text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::KeyRef;

    #[test]
    fn reads_every_form() {
        let arn = KeyRef::parse(
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        );
        assert_eq!(arn.key_id(), Some("1234abcd-12ab-34cd-56ef-1234567890ab"));
        assert_eq!(arn.account(), Some("111122223333"));
        assert_eq!(arn.alias_name(), None);
        assert_eq!(
            arn.as_str(),
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        );
        let id = KeyRef::parse("mrk-1234");
        assert_eq!((id.key_id(), id.account()), (Some("mrk-1234"), None));
        assert!(KeyRef::parse("alias/aws/s3").is_aws_managed_s3_alias());
        assert!(
            KeyRef::parse("arn:aws:kms:us-east-1:111122223333:alias/aws/s3")
                .is_aws_managed_s3_alias()
        );
        let team = KeyRef::parse("arn:aws-cn:kms:cn-north-1:111122223333:alias/team");
        assert_eq!(
            (team.alias_name(), team.account(), team.key_id()),
            (Some("alias/team"), Some("111122223333"), None)
        );
        assert!(!KeyRef::parse("alias/team").is_aws_managed_s3_alias());
        assert_eq!(KeyRef::parse("alias/team").to_string(), "alias/team");
        assert_eq!(KeyRef::parse("abc").to_string(), "key abc");
    }
}
