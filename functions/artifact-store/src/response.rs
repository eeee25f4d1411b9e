//! The answer to CloudFormation: built null-free and under the 4,096-byte limit, and delivered
//! to the presigned `ResponseURL` with retries until the deadline. The URL's query (which holds
//! the signature) is never logged.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use serde::Serialize;

/// CloudFormation rejects response bodies of 4,096 bytes or more.
pub const MAX_BODY: usize = 4095;

/// SUCCESS or FAILED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Success,
    Failed,
}

/// One response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub status: Status,
    pub reason: String,
    pub physical_resource_id: String,
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
    pub no_echo: bool,
    pub data: BTreeMap<String, String>,
}

/// The identity fields every response repeats from the request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope {
    pub response_url: String,
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
}

impl Response {
    pub fn success(
        envelope: &Envelope,
        physical_id: String,
        data: BTreeMap<String, String>,
    ) -> Self {
        Self::new(envelope, Status::Success, "done".into(), physical_id, data)
    }

    pub fn failed(envelope: &Envelope, reason: String, physical_id: String) -> Self {
        Self::new(
            envelope,
            Status::Failed,
            reason,
            physical_id,
            BTreeMap::new(),
        )
    }

    fn new(
        envelope: &Envelope,
        status: Status,
        reason: String,
        physical_id: String,
        data: BTreeMap<String, String>,
    ) -> Self {
        Self {
            status,
            // Never empty: CloudFormation shows it, and rejects a FAILED without one.
            reason: if reason.trim().is_empty() {
                "no reason given".into()
            } else {
                reason
            },
            // Never empty either: CloudFormation rejects a response without one.
            physical_resource_id: if physical_id.is_empty() {
                failure_marker(&envelope.request_id)
            } else {
                physical_id
            },
            stack_id: envelope.stack_id.clone(),
            request_id: envelope.request_id.clone(),
            logical_resource_id: envelope.logical_resource_id.clone(),
            no_echo: false,
            data,
        }
    }

    /// The JSON body, shortened to fit: first the reason is cut (with a note), then `Data` goes.
    pub fn body(&self) -> Vec<u8> {
        let mut response = self.clone();
        let mut body = serde_json::to_vec(&response).unwrap_or_default();
        while body.len() > MAX_BODY {
            let over = body.len() - MAX_BODY;
            if response.reason.chars().count() > 64 {
                let keep = response
                    .reason
                    .chars()
                    .count()
                    .saturating_sub(over + 16)
                    .max(48);
                response.reason =
                    response.reason.chars().take(keep).collect::<String>() + "… (truncated)";
            } else if !response.data.is_empty() {
                response.data.clear();
                response.reason.push_str(" (Data omitted: too large)");
            } else {
                // Only identifiers left, and CloudFormation's own ids fit; keep what we have.
                break;
            }
            body = serde_json::to_vec(&response).unwrap_or_default();
        }
        body
    }
}

/// The physical id of a create that failed: recognised later, so that its Delete touches nothing.
pub fn failure_marker(request_id: &str) -> String {
    format!("artifact-guard-failed-{request_id}")
}

/// True for an id made by [`failure_marker`].
pub fn is_failure_marker(id: &str) -> bool {
    id.starts_with("artifact-guard-failed-")
}

/// The URL without its query, for logs.
pub fn redacted(url: &str) -> &str {
    url.split('?').next().unwrap_or_default()
}

/// What delivering a response to a URL answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    /// An HTTP status.
    Status(u16),
    /// No answer: connection refused or reset, timeout, TLS failure.
    Network(String),
}

// Used through generics only (one sender per process), never as a trait object.
#[allow(async_fn_in_trait)]
/// Sends one HTTP `PUT` with an empty content type.
pub trait ResponseSender {
    async fn put(&self, url: &str, body: Vec<u8>, timeout: Duration) -> PutOutcome;
}

/// Why a response could not be delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the response to {url} was not delivered after {attempts} attempt(s): {last}")]
pub struct DeliveryError {
    pub url: String,
    pub attempts: u32,
    pub last: String,
}

/// Delivers `body`, retrying network errors, 429 and 5xx with exponential backoff (0.25 s
/// doubling to 4 s) until `deadline`. Other 4xx answers are final: the presigned URL is invalid
/// or expired and no retry can fix it.
pub async fn deliver<S: ResponseSender>(
    sender: &S,
    url: &str,
    body: &[u8],
    deadline: Instant,
) -> Result<u32, DeliveryError> {
    let mut backoff = Duration::from_millis(250);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let left = deadline.saturating_duration_since(Instant::now());
        let outcome = sender
            .put(
                url,
                body.to_vec(),
                left.clamp(Duration::from_millis(200), Duration::from_secs(10)),
            )
            .await;
        let last = match outcome {
            PutOutcome::Status(s) if (200..300).contains(&s) => {
                tracing::info!(
                    url = redacted(url),
                    attempts,
                    status = s,
                    "response delivered"
                );
                return Ok(attempts);
            }
            PutOutcome::Status(s) if s == 429 || s >= 500 => format!("HTTP {s}"),
            PutOutcome::Status(s) => {
                return Err(DeliveryError {
                    url: redacted(url).into(),
                    attempts,
                    last: format!("HTTP {s} (not retried)"),
                })
            }
            PutOutcome::Network(e) => e,
        };
        tracing::warn!(url = redacted(url), attempts, error = %last, "response not delivered; retrying");
        if Instant::now() + backoff >= deadline {
            return Err(DeliveryError {
                url: redacted(url).into(),
                attempts,
                last,
            });
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(4));
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use serde_json::Value;

    use super::*;

    fn envelope() -> Envelope {
        Envelope {
            response_url: "https://cloudformation-custom-resource-response.s3.amazonaws.com/x?X-Amz-Signature=secret".into(),
            stack_id: "arn:aws:cloudformation:eu-west-1:111122223333:stack/s/1".into(),
            request_id: "req-1".into(),
            logical_resource_id: "Store".into(),
        }
    }

    #[test]
    fn bodies_are_null_free_and_name_every_field() {
        let body: Value = serde_json::from_slice(
            &Response::failed(&envelope(), String::new(), String::new()).body(),
        )
        .unwrap();
        assert_eq!(body["Status"], "FAILED");
        assert_eq!(body["Reason"], "no reason given");
        assert_eq!(body["PhysicalResourceId"], "artifact-guard-failed-req-1");
        for field in [
            "StackId",
            "RequestId",
            "LogicalResourceId",
            "Data",
            "NoEcho",
        ] {
            assert!(!body[field].is_null(), "{field}");
        }
    }

    #[test]
    fn oversized_bodies_are_cut_below_4096_bytes() {
        let long = Response::failed(&envelope(), "x".repeat(10_000), "p".into());
        let body = long.body();
        assert!(body.len() <= MAX_BODY, "{}", body.len());
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert!(v["Reason"].as_str().unwrap().ends_with("(truncated)"));
        let data = (0..200)
            .map(|i| (format!("Key{i}"), "v".repeat(40)))
            .collect();
        let big = Response::success(&envelope(), "p".into(), data);
        let body = big.body();
        assert!(body.len() <= MAX_BODY, "{}", body.len());
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert!(v["Reason"].as_str().unwrap().contains("Data omitted"));
    }

    struct Scripted(RefCell<Vec<PutOutcome>>, RefCell<u32>);

    impl ResponseSender for Scripted {
        async fn put(&self, _url: &str, _body: Vec<u8>, _timeout: Duration) -> PutOutcome {
            *self.1.borrow_mut() += 1;
            let mut script = self.0.borrow_mut();
            if script.is_empty() {
                PutOutcome::Status(200)
            } else {
                script.remove(0)
            }
        }
    }

    fn run<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn delivery_retries_network_errors_and_5xx_until_the_deadline() {
        let s = Scripted(
            RefCell::new(vec![
                PutOutcome::Network("refused".into()),
                PutOutcome::Status(503),
            ]),
            RefCell::new(0),
        );
        let attempts = run(deliver(
            &s,
            &envelope().response_url,
            b"{}",
            Instant::now() + Duration::from_secs(30),
        ))
        .unwrap();
        assert_eq!(attempts, 3);
        let forbidden = Scripted(RefCell::new(vec![PutOutcome::Status(403)]), RefCell::new(0));
        let e = run(deliver(
            &forbidden,
            &envelope().response_url,
            b"{}",
            Instant::now() + Duration::from_secs(30),
        ))
        .unwrap_err();
        assert_eq!(e.attempts, 1);
        assert!(
            !e.to_string().contains("secret"),
            "the signature is never shown: {e}"
        );
    }

    #[test]
    fn delivery_gives_up_at_the_deadline() {
        let always = Scripted(
            RefCell::new(vec![PutOutcome::Status(500); 1000]),
            RefCell::new(0),
        );
        let deadline = Instant::now() + Duration::from_secs(2);
        let e = run(deliver(&always, "https://h/p?sig=1", b"{}", deadline)).unwrap_err();
        assert!(e.attempts >= 2 && e.attempts < 10, "{e}");
        assert_eq!(e.url, "https://h/p");
    }
}
