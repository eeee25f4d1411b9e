//! Live facts: small, domain-shaped ports that read buckets, keys, pipelines and configuration
//! items from an account, and the gathering that every entry point shares (a Config change
//! notification, the periodic sweep, `artifact-guard scan`). The AWS SDK adapters live in
//! [`crate::aws`]; tests put fakes behind the same traits.
//!
//! A port never fails for one resource: what it cannot read becomes an `Unknown` fact with the
//! reason (the controls then fail closed). Only failures that make the whole answer
//! meaningless (listing pipelines, writing evaluations) are errors.

mod cache;
mod deadline;
mod gate;
mod gather;
mod provision;
mod sessions;

use std::fmt;

pub use cache::{ScopeCache, SCOPE_CACHE_TTL};
pub use deadline::time_left;
pub use gate::{JobResults, Notifier, StageTransition, TransitionControl};
pub use gather::{
    gather_for_item, gather_for_pipeline, gather_referenced, scope_index, sweep, GatherStats,
    Sources,
};
pub use provision::{BucketAdmin, BucketSettings, BucketState, KeyAdmin, KeyHandle, NewKey};
pub use sessions::{
    is_account_id, AccountSessions, FixedSessions, Home, NoSessions, Session, SessionError,
};

use crate::assess::Evaluation;
use crate::facts::{
    AccountFacts, BucketFacts, ConfigurationItem, Fact, KeyRef, PipelineFacts, ResourceFacts,
    ResourceKind,
};

/// How an AWS call failed, as far as callers care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The caller's role lacks a permission.
    AccessDenied,
    /// The resource does not exist.
    NotFound,
    /// Throttled after the SDK's own retries.
    Throttled,
    /// Timeouts, connection failures and 5xx answers after the SDK's own retries.
    Unavailable,
    /// Anything else (a malformed request, an unexpected answer).
    Other,
}

/// A failed AWS call: the operation, a classification and the service's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SourceError {
    /// `service:Operation`, e.g. `kms:DescribeKey`.
    pub operation: &'static str,
    /// Classification.
    pub kind: ErrorKind,
    /// The service's code and message.
    pub message: String,
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: {}", self.operation, self.message)
    }
}

impl SourceError {
    /// Whether trying the whole invocation again later may succeed.
    pub fn retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::Throttled | ErrorKind::Unavailable)
    }
}

/// A key as read live, filed under its key id (and the alias it was reached by, if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// The key id, or the reference itself when the key could not be described.
    pub id: Box<str>,
    /// The alias the reference named, so that later lookups by alias resolve.
    pub alias: Option<Box<str>>,
    /// The owning account, when known.
    pub account_id: Option<Box<str>>,
    /// `Key` facts, or `Gone` when the key does not exist.
    pub facts: ResourceFacts,
}

/// Buckets and keys tagged `artifact-guard:artifact-store` = `true`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaggedStores {
    /// Bucket names.
    pub buckets: Vec<String>,
    /// Key ARNs.
    pub keys: Vec<String>,
}

/// A resource the configuration recorder should be asked about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ItemKey {
    /// Resource type.
    pub kind: ResourceKind,
    /// Config's resource id (bucket name, key id).
    pub id: String,
}

/// An evaluation Config did not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedEvaluation {
    /// Resource type.
    pub resource_type: String,
    /// Resource id.
    pub resource_id: String,
}

// Ports are used through generics (one concrete adapter per process), never as trait objects,
// so the auto-trait bounds of `async fn` in traits do not matter here.
#[allow(async_fn_in_trait)]
/// Reads a bucket's encryption, policy, versioning, public access block and tags from S3.
pub trait BucketReader {
    /// Never fails: what cannot be read is an `Unknown` fact with the reason.
    async fn read_bucket(&self, name: &str) -> Fact<BucketFacts>;
}

#[allow(async_fn_in_trait)]
/// Reads a KMS key (`DescribeKey`, `GetKeyRotationStatus`, `GetKeyPolicy`).
pub trait KeyReader {
    /// Never fails: what cannot be read is an `Unknown` fact; a missing key is `Gone`.
    async fn read_key(&self, key: &KeyRef) -> KeyRecord;

    /// The key policy alone (for a key whose other facts came from AWS Config, which records
    /// no key policies). Never fails: what cannot be read is `Unknown`.
    async fn read_key_policy(&self, key: &KeyRef) -> Fact<Box<str>>;
}

#[allow(async_fn_in_trait)]
/// Lists pipelines and reads their declarations and tags from CodePipeline.
pub trait PipelineReader {
    /// Every pipeline name in the account and region.
    async fn list_pipelines(&self) -> Result<Vec<String>, SourceError>;
    /// One pipeline's facts (`GetPipeline`, `ListTagsForResource`), owned by `account_id`.
    async fn read_pipeline(&self, name: &str, account_id: Option<&str>) -> Fact<PipelineFacts>;
    /// A pipeline's tags (`ListTagsForResource`), for a definition read from AWS Config,
    /// whose batch answer carries none.
    async fn pipeline_tags(&self, arn: &str) -> Fact<Vec<(Box<str>, Box<str>)>>;
}

#[allow(async_fn_in_trait)]
/// Reads configuration items from AWS Config.
pub trait ConfigReader {
    /// `BatchGetResourceConfig` (at most 100 keys a call; the port splits larger requests).
    /// Resources Config does not record are simply absent from the answer.
    async fn batch_get(&self, keys: &[ItemKey]) -> Result<Vec<ConfigurationItem>, SourceError>;
    /// The latest item (`GetResourceConfigHistory`, limit 1), for oversized notifications.
    async fn latest_item(
        &self,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Option<ConfigurationItem>, SourceError>;
}

#[allow(async_fn_in_trait)]
/// Finds resources tagged as artifact stores (Resource Groups Tagging API).
pub trait TaggedResourceFinder {
    /// Tagged buckets and keys.
    async fn tagged_stores(&self) -> Result<TaggedStores, SourceError>;
}

#[allow(async_fn_in_trait)]
/// Reads the account's own facts in the region: its trails, the VPCs its build projects run in
/// and the endpoints there, Macie and the root user's MFA.
pub trait AccountReader {
    /// Never fails: each fact it cannot read is unknown, with the reason.
    async fn read_account(&self) -> AccountFacts;
}

#[allow(async_fn_in_trait)]
/// Delivers evaluations to AWS Config.
pub trait EvaluationSink {
    /// `PutEvaluations` for at most 100 evaluations; returns the ones Config did not accept.
    async fn put_evaluations(
        &self,
        evaluations: &[Evaluation],
        result_token: &str,
        test_mode: bool,
    ) -> Result<Vec<RejectedEvaluation>, SourceError>;
}
