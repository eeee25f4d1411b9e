//! The S3 actions that apply to objects: those whose resource types include `object` in the
//! Service Authorization Reference ("Actions, resources, and condition keys for Amazon S3",
//! Actions table). The questions about "every S3 action on every object" range over exactly
//! these, so a `NotAction` that carves out an action that never applies to objects (such as
//! `s3:ListAllMyBuckets` or `s3:GetBucketPolicy`) leaves every object action covered. Kept as
//! data: when AWS adds an object action, add it here.

pub(crate) const OBJECT_ACTIONS: [&str; 33] = [
    "s3:AbortMultipartUpload",
    "s3:BypassGovernanceRetention",
    "s3:DeleteObject",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectVersionTagging",
    "s3:GetObject",
    "s3:GetObjectAcl",
    "s3:GetObjectAttributes",
    "s3:GetObjectLegalHold",
    "s3:GetObjectRetention",
    "s3:GetObjectTagging",
    "s3:GetObjectTorrent",
    "s3:GetObjectVersion",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectVersionAttributes",
    "s3:GetObjectVersionForReplication",
    "s3:GetObjectVersionTagging",
    "s3:GetObjectVersionTorrent",
    "s3:InitiateReplication",
    "s3:ListMultipartUploadParts",
    "s3:ObjectOwnerOverrideToBucketOwner",
    "s3:PutObject",
    "s3:PutObjectAcl",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionAcl",
    "s3:PutObjectVersionTagging",
    "s3:ReplicateDelete",
    "s3:ReplicateObject",
    "s3:ReplicateTags",
    "s3:RestoreObject",
];

/// [`OBJECT_ACTIONS`] in lower case, as case-insensitive patterns compare them.
pub(crate) fn lower_case() -> &'static [String] {
    static LOWER: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    LOWER.get_or_init(|| {
        OBJECT_ACTIONS
            .iter()
            .map(|a| a.to_ascii_lowercase())
            .collect()
    })
}

/// The index of `s3:PutObject` in [`OBJECT_ACTIONS`].
pub(crate) const PUT_OBJECT: usize = 22;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_unique_and_names_put_object() {
        assert_eq!(OBJECT_ACTIONS[PUT_OBJECT], "s3:PutObject");
        assert!(OBJECT_ACTIONS.windows(2).all(|w| w[0] < w[1]));
    }
}
