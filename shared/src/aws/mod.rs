//! AWS SDK adapters for the ports in [`crate::live`]. SDK types stay in this module: an SDK
//! upgrade touches only these files.
//!
//! Clients are built once per process from the standard credential and region chain. They honour
//! `AWS_ENDPOINT_URL` (and the per-service variants) and `AWS_USE_FIPS_ENDPOINT` (FIPS endpoints);
//! S3 uses path-style addressing when an endpoint is overridden, as local emulators need. Every
//! operation has a timeout below the function's, and retries use the SDK's standard mode
//! (throttling and 5xx, with backoff). Every call goes through [`https_client`]: TLS 1.2 or 1.3,
//! never older.

mod account;
mod admin;
mod codepipeline;
mod config;
mod gate;
mod key_create;
mod kms;
mod s3;
mod sessions;
mod tagging;

pub use config::ConfigSink;
pub use gate::{PipelineControl, SnsNotifier};
pub use sessions::{AssumedRoles, RoleCache, REFRESH_BEFORE};

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::SdkConfig;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::live::{ErrorKind, SourceError};

/// Limits for one process's AWS calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    /// Per attempt.
    pub attempt_timeout: Duration,
    /// Per operation, retries included; keep below the Lambda timeout.
    pub operation_timeout: Duration,
    /// Attempts per operation (standard retry mode).
    pub max_attempts: u32,
}

impl Default for CallLimits {
    fn default() -> Self {
        Self {
            attempt_timeout: Duration::from_secs(5),
            operation_timeout: Duration::from_secs(20),
            max_attempts: 4,
        }
    }
}

/// Loads the shared SDK configuration (credentials, region, endpoint) with `limits`.
pub async fn load_sdk_config(limits: CallLimits) -> SdkConfig {
    load_sdk_config_with(
        aws_config::defaults(aws_config::BehaviorVersion::latest()),
        limits,
    )
    .await
}

/// Loads configuration from a prepared loader (the CLI sets region, profile and endpoint).
pub async fn load_sdk_config_with(
    loader: aws_config::ConfigLoader,
    limits: CallLimits,
) -> SdkConfig {
    loader
        .http_client(https_client(TrustStore::default()))
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(limits.attempt_timeout)
                .operation_timeout(limits.operation_timeout)
                .connect_timeout(Duration::from_secs(3))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(limits.max_attempts))
        .load()
        .await
}

/// The HTTPS client of every AWS call: rustls with aws-lc, which implements TLS 1.2 and 1.3 and
/// nothing older, so no call can be downgraded below TLS 1.2 (`tests/tls_floor.rs` proves it
/// against a loopback server that offers only TLS 1.1); the proxy from the environment
/// (`HTTPS_PROXY`, `NO_PROXY`), as aws-config's default client; server certificates checked
/// against `trust` (the platform's roots, [`TrustStore::default`], in every binary).
pub fn https_client(trust: TrustStore) -> SharedHttpClient {
    // Building a context never fails (the certificates are read when the connector is made).
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .unwrap_or_default();
    Builder::new().build_with_connector_fn(move |settings, components| {
        let mut connector = ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(context.clone());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// Counts AWS calls by adapter, so that a run can report calls per assessed resource.
#[derive(Debug, Default)]
pub struct CallCounter(AtomicU64);

impl CallCounter {
    fn add(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Calls made so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Every read adapter over one SDK configuration: implements all the live ports.
#[derive(Debug, Clone)]
pub struct AwsAccount {
    s3: aws_sdk_s3::Client,
    kms: aws_sdk_kms::Client,
    codepipeline: aws_sdk_codepipeline::Client,
    config: aws_sdk_config::Client,
    tagging: aws_sdk_resourcegroupstagging::Client,
    cloudtrail: aws_sdk_cloudtrail::Client,
    iam: aws_sdk_iam::Client,
    macie2: aws_sdk_macie2::Client,
    partition: &'static str,
    calls: std::sync::Arc<CallCounter>,
}

impl AwsAccount {
    /// Builds the clients once; `calls` counts every request they make.
    pub fn new(sdk: &SdkConfig) -> Self {
        // Path-style addressing whenever an endpoint is set: emulators on loopback have no
        // wildcard DNS for bucket subdomains. Real S3 keeps virtual-hosted style.
        let s3_config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(sdk.endpoint_url().is_some())
            .build();
        let region = sdk
            .region()
            .map(|r| r.as_ref().to_owned())
            .unwrap_or_default();
        Self {
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            kms: aws_sdk_kms::Client::new(sdk),
            codepipeline: aws_sdk_codepipeline::Client::new(sdk),
            config: aws_sdk_config::Client::new(sdk),
            tagging: aws_sdk_resourcegroupstagging::Client::new(sdk),
            cloudtrail: aws_sdk_cloudtrail::Client::new(sdk),
            iam: aws_sdk_iam::Client::new(sdk),
            macie2: aws_sdk_macie2::Client::new(sdk),
            partition: partition_for_region(&region),
            calls: std::sync::Arc::default(),
        }
    }

    /// Clients built elsewhere (tests hand in mocked ones). The account's own clients
    /// (CloudTrail, IAM, Macie) have no region or credentials, so every account fact is unknown
    /// until [`Self::with_account_clients`] replaces them.
    pub fn from_clients(
        s3: aws_sdk_s3::Client,
        kms: aws_sdk_kms::Client,
        codepipeline: aws_sdk_codepipeline::Client,
        config: aws_sdk_config::Client,
        tagging: aws_sdk_resourcegroupstagging::Client,
    ) -> Self {
        Self {
            s3,
            kms,
            codepipeline,
            config,
            tagging,
            cloudtrail: aws_sdk_cloudtrail::Client::from_conf(
                aws_sdk_cloudtrail::Config::builder()
                    .behavior_version(aws_config::BehaviorVersion::latest())
                    .build(),
            ),
            iam: aws_sdk_iam::Client::from_conf(
                aws_sdk_iam::Config::builder()
                    .behavior_version(aws_config::BehaviorVersion::latest())
                    .build(),
            ),
            macie2: aws_sdk_macie2::Client::from_conf(
                aws_sdk_macie2::Config::builder()
                    .behavior_version(aws_config::BehaviorVersion::latest())
                    .build(),
            ),
            partition: "aws",
            calls: std::sync::Arc::default(),
        }
    }

    /// The account's own clients, built elsewhere (tests hand in mocked ones).
    pub fn with_account_clients(
        mut self,
        cloudtrail: aws_sdk_cloudtrail::Client,
        iam: aws_sdk_iam::Client,
        macie2: aws_sdk_macie2::Client,
    ) -> Self {
        self.cloudtrail = cloudtrail;
        self.iam = iam;
        self.macie2 = macie2;
        self
    }

    /// AWS calls made through this account's adapters so far.
    pub fn calls(&self) -> u64 {
        self.calls.get()
    }

    /// The Config client (the evaluation sink is built from it).
    pub fn config_client(&self) -> &aws_sdk_config::Client {
        &self.config
    }
}

/// `aws`, `aws-cn` or `aws-us-gov`, for building ARNs.
pub fn partition_for_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Classifies an SDK error for callers and messages.
pub(crate) fn source_error<E>(
    operation: &'static str,
    error: &SdkError<E, HttpResponse>,
) -> SourceError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let (kind, message) = match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            let status = service.raw().status().as_u16();
            match err.code() {
                Some(code) => (
                    classify(code, status),
                    format!("{code}: {}", err.message().unwrap_or("no message")),
                ),
                None => (
                    classify("", status),
                    format!("HTTP {status} answer that the SDK could not read (no error code)"),
                ),
            }
        }
        SdkError::TimeoutError(_) => (ErrorKind::Unavailable, "timed out".to_owned()),
        SdkError::DispatchFailure(e) => {
            (ErrorKind::Unavailable, format!("request not sent: {e:?}"))
        }
        SdkError::ResponseError(_) => (
            ErrorKind::Unavailable,
            "the response could not be read".to_owned(),
        ),
        other => (ErrorKind::Other, format!("{other}")),
    };
    SourceError {
        operation,
        kind,
        message,
    }
}

/// The error code of a service error, if the error is one.
pub(crate) fn error_code<E: ProvideErrorMetadata>(
    error: &SdkError<E, HttpResponse>,
) -> Option<&str> {
    match error {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

fn classify(code: &str, status: u16) -> ErrorKind {
    match code {
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "AuthorizationError" => ErrorKind::AccessDenied,
        "Throttling"
        | "ThrottlingException"
        | "ThrottledException"
        | "SlowDown"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "LimitExceededException" => ErrorKind::Throttled,
        "NotFoundException"
        | "NoSuchBucket"
        | "PipelineNotFoundException"
        | "ResourceNotFoundException"
        | "ResourceNotDiscoveredException"
        | "NoSuchKey" => ErrorKind::NotFound,
        _ if status >= 500 => ErrorKind::Unavailable,
        _ if status == 403 => ErrorKind::AccessDenied,
        _ if status == 404 => ErrorKind::NotFound,
        _ => ErrorKind::Other,
    }
}

#[cfg(test)]
mod account_tests;
#[cfg(test)]
mod key_admin_tests;
#[cfg(test)]
mod tests;

#[cfg(test)]
mod endpoint_tests;
