//! `CreateKey`, the one artifact-store call that is not idempotent.
//!
//! Every other write the custom resource makes can be repeated safely, so the SDK's retries
//! cover them. `CreateKey` cannot: when KMS creates the key but its answer is lost (connection
//! reset, truncated body, attempt timeout, 5xx), a retry creates a second key and the first is
//! left enabled, without an alias, owned by nobody. So this call is retried here rather than by
//! the SDK, which tells us when an answer may have been lost; afterwards the keys such attempts
//! made are found by their description (unique per call: see [`NewKey::description`]) and
//! scheduled for deletion.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_sdk_kms::config::AsyncSleep;
use aws_sdk_kms::operation::create_key::CreateKeyError;
use aws_sdk_kms::types::{KeyManagerType, KeySpec, KeyState, KeyUsageType, Tag as KmsTag};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use futures::stream::{self, StreamExt};

use super::admin::{invalid, key_handle};
use super::{error_code, source_error, AwsAccount};
use crate::live::{ErrorKind, KeyAdmin, KeyHandle, NewKey, SourceError};

/// Keys examined when looking for the ones lost attempts made; past this, the search stops and
/// says so (the lost keys carry artifact-guard's tag and this call's description).
const MAX_KEYS_SEARCHED: usize = 5_000;
/// `DescribeKey` calls in flight during that search.
const SEARCH_CONCURRENCY: usize = 16;
/// First pause between attempts; doubled each time.
const BASE_BACKOFF: Duration = Duration::from_millis(200);

/// What one failed `CreateKey` attempt means for the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AttemptFailure {
    /// KMS may have created a key whose id never reached us.
    may_have_created: bool,
    /// Worth another attempt.
    retryable: bool,
}

impl AttemptFailure {
    fn of(error: &SdkError<CreateKeyError, HttpResponse>) -> Self {
        match error {
            // The request was never built: nothing was sent.
            SdkError::ConstructionFailure(_) => Self {
                may_have_created: false,
                retryable: false,
            },
            // A definite answer from KMS. A 4xx means nothing was created; throttling is worth
            // another try. A 5xx does not say whether the key was made before the failure.
            SdkError::ServiceError(service) => {
                let status = service.raw().status().as_u16();
                Self {
                    may_have_created: status >= 500,
                    retryable: status >= 500 || error_code(error) == Some("ThrottlingException"),
                }
            }
            // Sent, or maybe sent, with no readable answer: a connection reset, a timeout, a
            // truncated body.
            _ => Self {
                may_have_created: true,
                retryable: true,
            },
        }
    }
}

impl AwsAccount {
    /// `CreateKey` with this module's retries; keys made by attempts whose answer was lost are
    /// scheduled for deletion before it returns, whether it succeeds or not.
    pub(super) async fn create_key_retrying(
        &self,
        key: &NewKey,
        tags: Vec<KmsTag>,
    ) -> Result<KeyHandle, SourceError> {
        let max_attempts = self
            .kms
            .config()
            .retry_config()
            .map_or(3, RetryConfig::max_attempts)
            .max(1);
        let mut lost_answers = 0u32;
        let mut attempt = 0u32;
        let outcome = loop {
            attempt += 1;
            self.calls.add();
            let sent = self
                .kms
                .create_key()
                .description(&key.description)
                .policy(&key.policy)
                .key_spec(KeySpec::SymmetricDefault)
                .key_usage(KeyUsageType::EncryptDecrypt)
                .set_tags(Some(tags.clone()))
                .customize()
                .config_override(
                    aws_sdk_kms::config::Builder::default().retry_config(RetryConfig::disabled()),
                )
                .send()
                .await;
            let error = match sent {
                Ok(out) => {
                    break out
                        .key_metadata()
                        .map(key_handle)
                        .ok_or_else(|| invalid("kms:CreateKey", "no KeyMetadata in the answer"))
                }
                Err(error) => error,
            };
            let failure = AttemptFailure::of(&error);
            if failure.may_have_created {
                lost_answers += 1;
            }
            if !failure.retryable || attempt >= max_attempts {
                break Err(source_error("kms:CreateKey", &error));
            }
            // The SDK's own sleep, as its retries would use (no runtime is assumed here).
            if let Some(sleep) = self.kms.config().sleep_impl() {
                sleep.sleep(BASE_BACKOFF * 2u32.pow(attempt - 1)).await;
            }
        };
        if lost_answers > 0 {
            let kept = outcome.as_ref().ok().map(|handle| handle.id.as_str());
            self.retire_lost_keys(&key.description, kept, lost_answers)
                .await;
        }
        outcome
    }

    /// Schedules for deletion every enabled customer managed key with `description` other than
    /// `kept`: the keys of this call's attempts whose answers were lost. Logs what it did; a
    /// search that fails or is cut short is logged with what to look for, and the call's own
    /// outcome stands.
    async fn retire_lost_keys(&self, description: &str, kept: Option<&str>, lost_answers: u32) {
        match self.keys_described_as(description, kept).await {
            Ok((lost, complete)) => {
                for id in &lost {
                    match self.schedule_key_deletion(id, 7).await {
                        Ok(()) => tracing::warn!(
                            key_id = %id,
                            "a CreateKey answer was lost; the key it made was scheduled for deletion"
                        ),
                        Err(e) => tracing::warn!(
                            key_id = %id,
                            error = %e,
                            "a CreateKey answer was lost; the key it made is left enabled"
                        ),
                    }
                }
                if !complete {
                    tracing::warn!(
                        lost_answers,
                        description,
                        searched = MAX_KEYS_SEARCHED,
                        "not every key was searched for ones lost CreateKey answers made"
                    );
                } else if lost.is_empty() {
                    tracing::info!(
                        lost_answers,
                        "no key was made by the lost CreateKey answers"
                    );
                }
            }
            Err(e) => tracing::warn!(
                lost_answers,
                description,
                error = %e,
                "could not search for keys made by lost CreateKey answers"
            ),
        }
    }

    /// Ids of the enabled customer managed keys whose description is `description`, except
    /// `kept`, and whether every key in the account was examined.
    async fn keys_described_as(
        &self,
        description: &str,
        kept: Option<&str>,
    ) -> Result<(Vec<String>, bool), SourceError> {
        let mut ids = Vec::new();
        let mut marker: Option<String> = None;
        let mut complete = true;
        loop {
            self.calls.add();
            let page = self
                .kms
                .list_keys()
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| source_error("kms:ListKeys", &e))?;
            ids.extend(
                page.keys()
                    .iter()
                    .filter_map(|k| k.key_id())
                    .filter(|id| Some(*id) != kept)
                    .map(str::to_owned),
            );
            if ids.len() >= MAX_KEYS_SEARCHED {
                complete = ids.len() == MAX_KEYS_SEARCHED && !page.truncated();
                ids.truncate(MAX_KEYS_SEARCHED);
                break;
            }
            match page.next_marker() {
                Some(next) if page.truncated() => marker = Some(next.to_owned()),
                _ => break,
            }
        }
        let checked: Vec<Result<Option<String>, SourceError>> = stream::iter(ids)
            .map(|id| async move {
                self.calls.add();
                match self.kms.describe_key().key_id(&id).send().await {
                    Ok(out) => Ok(out
                        .key_metadata()
                        .filter(|m| {
                            m.description() == Some(description)
                                && m.key_state() == Some(&KeyState::Enabled)
                                && m.key_manager() == Some(&KeyManagerType::Customer)
                        })
                        .map(|_| id)),
                    // A key this role may not describe is not one it made.
                    Err(e)
                        if source_error("kms:DescribeKey", &e).kind == ErrorKind::AccessDenied =>
                    {
                        Ok(None)
                    }
                    Err(e) => Err(source_error("kms:DescribeKey", &e)),
                }
            })
            .buffer_unordered(SEARCH_CONCURRENCY)
            .collect()
            .await;
        let mut lost = Vec::new();
        for result in checked {
            if let Some(id) = result? {
                lost.push(id);
            }
        }
        lost.sort();
        Ok((lost, complete))
    }
}
