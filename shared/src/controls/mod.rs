//! The controls: one stable id each, a title, a default severity, a fix, and a check per
//! resource kind ([`bucket`], [`key`], [`pipeline`], [`account`]). Checks are pure: facts in, outcomes out.

pub(crate) mod account;
pub(crate) mod bucket;
mod grants;
pub(crate) mod key;
pub(crate) mod pipeline;

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::facts::ResourceKind;

/// The result of one control on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// The control holds.
    Pass,
    /// The control does not hold.
    Fail,
    /// A fact the control needs is missing or unreadable: never counts as a pass.
    Unknown,
    /// The control does not apply to this resource.
    NotApplicable,
}

impl Status {
    /// The name used in reports: `PASS`, `FAIL`, `UNKNOWN`, `NOT_APPLICABLE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Fail => "FAIL",
            Self::Unknown => "UNKNOWN",
            Self::NotApplicable => "NOT_APPLICABLE",
        }
    }

    /// Combines two statuses of parts of one requirement: the worst wins
    /// (FAIL over UNKNOWN over PASS); NOT_APPLICABLE parts are ignored.
    pub fn and(self, other: Self) -> Self {
        use Status::*;
        match (self, other) {
            (Fail, _) | (_, Fail) => Fail,
            (Unknown, _) | (_, Unknown) => Unknown,
            (Pass, _) | (_, Pass) => Pass,
            (NotApplicable, NotApplicable) => NotApplicable,
        }
    }
}

macro_rules! controls {
    ($($variant:ident = $id:literal, $kind:ident, $required:literal, $title:literal, $fix:literal;)*) => {
        /// Every control artifact-guard knows, by stable id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ControlId { $(#[doc = $title] $variant,)* }

        impl ControlId {
            /// Every control, in catalogue order.
            pub const ALL: &'static [ControlId] = &[$(ControlId::$variant,)*];

            /// The stable id, e.g. `bucket-sse-kms`.
            pub fn as_str(self) -> &'static str { match self { $(Self::$variant => $id,)* } }

            /// The resource kind the control applies to.
            pub fn kind(self) -> ResourceKind { match self { $(Self::$variant => ResourceKind::$kind,)* } }

            /// Whether a failure makes the resource NON_COMPLIANT by default.
            pub fn required_by_default(self) -> bool { match self { $(Self::$variant => $required,)* } }

            /// One-line title.
            pub fn title(self) -> &'static str { match self { $(Self::$variant => $title,)* } }

            /// How to fix a failure.
            pub fn fix(self) -> &'static str { match self { $(Self::$variant => $fix,)* } }
        }
    };
}

controls! {
    BucketSseKms = "bucket-sse-kms", Bucket, true,
        "Default encryption uses SSE-KMS",
        "Set the bucket's default encryption to aws:kms (or aws:kms:dsse) with aws/s3 or a customer managed key.";
    BucketKeyUsable = "bucket-key-usable", Bucket, true,
        "The default-encryption key is usable by CodePipeline",
        "Use an enabled symmetric (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT) KMS key; CodePipeline cannot use asymmetric or HMAC keys.";
    BucketDenyUnencryptedUploads = "bucket-deny-unencrypted-uploads", Bucket, true,
        "The bucket policy denies uploads without SSE-KMS",
        "Add a Deny for s3:PutObject on arn:aws:s3:::BUCKET/* to Principal \"*\" with StringNotEquals s3:x-amz-server-side-encryption aws:kms.";
    BucketDenyInsecureTransport = "bucket-deny-insecure-transport", Bucket, true,
        "The bucket policy denies requests without TLS",
        "Add a Deny for s3:* on arn:aws:s3:::BUCKET/* to Principal \"*\" with Bool aws:SecureTransport false.";
    BucketDenyOldTls = "bucket-deny-old-tls", Bucket, false,
        "The bucket policy denies TLS older than 1.2",
        "Add a Deny for s3:* on arn:aws:s3:::BUCKET/* to Principal \"*\" with NumericLessThan s3:TlsVersion 1.2.";
    BucketVersioning = "bucket-versioning", Bucket, false,
        "Versioning is enabled",
        "Enable versioning on the bucket so that overwritten artifacts can be recovered.";
    BucketPublicAccessBlocked = "bucket-public-access-blocked", Bucket, false,
        "All public access is blocked on the bucket",
        "Turn on all four S3 Block Public Access settings on the bucket.";
    BucketCustomerManagedKey = "bucket-customer-managed-key", Bucket, false,
        "Default encryption uses a customer managed key",
        "Encrypt with a customer managed KMS key so that key policy and rotation are yours to control.";
    KeySymmetric = "key-symmetric", Key, true,
        "The key is symmetric",
        "CodePipeline only supports symmetric KMS keys: create a SYMMETRIC_DEFAULT key with ENCRYPT_DECRYPT usage.";
    KeyEnabled = "key-enabled", Key, true,
        "The key is enabled",
        "Enable the key, or cancel its scheduled deletion (kms:CancelKeyDeletion then kms:EnableKey).";
    KeyRotation = "key-rotation", Key, true,
        "Automatic key rotation is on",
        "Turn on automatic rotation (kms:EnableKeyRotation).";
    KeyPolicyNotPublic = "key-policy-not-public", Key, false,
        "The key policy lets no one outside named accounts decrypt",
        "Limit every statement that allows kms:Decrypt or kms:ReEncrypt* to Principal \"*\" with a condition naming the accounts or organization (kms:CallerAccount, aws:PrincipalAccount, aws:PrincipalOrgID), or name the principals instead of \"*\".";
    PipelineStoreProtected = "pipeline-store-protected", Pipeline, true,
        "Every artifact store is a protected S3 bucket",
        "Point every artifact store at an S3 bucket that passes artifact-guard's required bucket controls.";
    PipelineKeyUsable = "pipeline-key-usable", Pipeline, true,
        "Every artifact store key is a usable symmetric KMS key",
        "Set encryptionKey to an enabled symmetric KMS key with type KMS, or leave it unset to use aws/s3.";
    PipelineCrossAccountCmk = "pipeline-cross-account-cmk", Pipeline, true,
        "Cross-account pipelines use customer managed keys",
        "Set every artifact store's encryptionKey to a customer managed key whose policy grants the other account's role.";
    PipelineNoUrlCredentials = "pipeline-no-url-credentials", Pipeline, true,
        "No credentials in URLs",
        "Remove credentials from URLs; use a CodeStar connection or a Secrets Manager reference instead.";
    PipelineNoPlaintextSecrets = "pipeline-no-plaintext-secrets", Pipeline, true,
        "No plaintext secrets in action configuration",
        "Store secrets in Secrets Manager or Parameter Store and reference them ({{resolve:…}}, #{…}, PARAMETER_STORE/SECRETS_MANAGER variables).";
    PipelineNoPersonalData = "pipeline-no-personal-data", Pipeline, true,
        "No e-mail addresses in names and tags",
        "Rename the pipeline, stage or action, or change the tag, so that it holds no e-mail address.";
    PipelineCustomerManagedKey = "pipeline-customer-managed-key", Pipeline, false,
        "Every artifact store uses a customer managed key",
        "Set every artifact store's encryptionKey to a customer managed key.";
    PipelineKeyGrants = "pipeline-key-grants", Pipeline, false,
        "The pipeline's roles are granted its stores' keys and objects",
        "In the store key's policy, allow kms:Decrypt and kms:GenerateDataKey* to the pipeline's role and to each other account's action role (or its account root, then also in the role's IAM policy); in the bucket policy, allow those other accounts' roles s3:GetObject and s3:PutObject on the bucket's objects.";
    AccountCloudtrail = "account-cloudtrail", Account, true,
        "A multi-region trail logs management write events",
        "Create a multi-region trail (or an organization trail) that is logging, with ReadWriteType All or WriteOnly (or advanced event selectors that include management write events).";
    AccountCloudtrailProtected = "account-cloudtrail-protected", Account, false,
        "The trail's log files are SSE-KMS encrypted and validated",
        "Set the trail's KmsKeyId to a customer managed key and turn on log file validation (EnableLogFileValidation).";
    AccountCodepipelineEndpoint = "account-codepipeline-endpoint", Account, false,
        "VPCs with build projects reach CodePipeline through an interface endpoint",
        "Create an interface VPC endpoint for com.amazonaws.REGION.codepipeline with private DNS in every VPC that hosts a VPC-attached CodeBuild project.";
    AccountMacie = "account-macie", Account, false,
        "Amazon Macie is enabled",
        "Enable Amazon Macie in the region (macie2:EnableMacie) so that personal data in S3 is found.";
    AccountRootMfa = "account-root-mfa", Account, false,
        "The root user has MFA",
        "Sign in as the root user and assign an MFA device (a passkey, security key or authenticator app).";
}

impl fmt::Display for ControlId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An id that names no control.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown control id {0:?}")]
pub struct UnknownControl(pub String);

impl FromStr for ControlId {
    type Err = UnknownControl;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownControl(s.to_owned()))
    }
}

/// One control's result on one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Which control.
    pub control: ControlId,
    /// Its status.
    pub status: Status,
    /// Whether a FAIL or UNKNOWN makes the resource NON_COMPLIANT.
    pub required: bool,
    /// Why, in words a person can act on. Never holds a secret or an e-mail address.
    pub detail: Cow<'static, str>,
}

/// The pieces joined into a string of exactly their length. For details built for every
/// resource: `format!` guesses the capacity from the literal parts and reallocates when an id is
/// longer, which was a tenth of the engine's time.
pub(crate) fn text(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

/// What a check reports before severity is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) control: ControlId,
    pub(crate) status: Status,
    pub(crate) detail: Cow<'static, str>,
}

impl Outcome {
    pub(crate) fn new(
        control: ControlId,
        status: Status,
        detail: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            control,
            status,
            detail: detail.into(),
        }
    }
}
