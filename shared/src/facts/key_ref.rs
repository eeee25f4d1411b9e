//! References to KMS keys as buckets and pipelines write them: a key id, a key ARN, an alias
//! name or an alias ARN. The text is kept as written (it is what `DescribeKey` accepts, also for
//! keys of other accounts); the id, alias and account are read from it on demand.

use std::fmt;

/// A reference to a KMS key. Kept (in a working file) as its text, and parsed again when read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(from = "Box<str>")]
pub struct KeyRef {
    text: Box<str>,
    /// For an ARN (`arn:partition:kms:region:account:resource`), where its region, account and
    /// resource fields start; all 0 for a bare id or alias. Found once at parse time: the engine
    /// asks for the id, account and region of every reference of every resource. (u16 keeps the
    /// reference 24 bytes; a KMS ARN is at most 2,048 characters, a longer text is kept whole.)
    region_at: u16,
    account_at: u16,
    resource_at: u16,
    alias: bool,
}

impl serde::Serialize for KeyRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl From<Box<str>> for KeyRef {
    fn from(text: Box<str>) -> Self {
        Self::parse(&text)
    }
}

/// The alias of the AWS managed key for S3.
pub const AWS_S3_ALIAS: &str = "alias/aws/s3";

impl KeyRef {
    /// Reads a reference. Never fails: anything that is not an ARN or alias is taken as a key id.
    pub fn parse(text: &str) -> Self {
        let text = text.trim();
        let [region_at, account_at, resource_at] = arn_fields(text).unwrap_or([0; 3]);
        Self {
            region_at,
            account_at,
            resource_at,
            alias: text[usize::from(resource_at)..].starts_with("alias/"),
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
        // The offsets follow ASCII colons, so they are character boundaries.
        self.text
            .get(usize::from(self.resource_at)..)
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
        self.field(self.account_at, self.resource_at)
    }

    /// The region the reference names, if it is an ARN.
    pub fn region(&self) -> Option<&str> {
        self.field(self.region_at, self.account_at)
    }

    /// The ARN field from `start` to the colon before `next`; none when empty or not an ARN.
    fn field(&self, start: u16, next: u16) -> Option<&str> {
        if self.resource_at == 0 {
            return None;
        }
        self.text
            .get(usize::from(start)..usize::from(next).checked_sub(1)?)
            .filter(|f| !f.is_empty())
    }
}

/// `key/…` or `alias/…` of `arn:partition:kms:region:account:…`.
/// Where the region, account and resource fields of `arn:partition:service:region:account:…`
/// start; `None` when the text is not such an ARN or too long for the offsets.
fn arn_fields(text: &str) -> Option<[u16; 3]> {
    if !text.starts_with("arn:") || text.len() > usize::from(u16::MAX) {
        return None;
    }
    let mut colons = text.match_indices(':').map(|(at, _)| at + 1);
    let _service_at = (colons.next()?, colons.next()?);
    let region_at = colons.next()?;
    let account_at = colons.next()?;
    let resource_at = colons.next()?;
    let at = |n: usize| u16::try_from(n).ok();
    Some([at(region_at)?, at(account_at)?, at(resource_at)?])
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
