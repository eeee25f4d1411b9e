//! The stack's template, fetched from the presigned S3 URL a stack target's request gives.
//!
//! The URL's query is a signature: it is never logged or put in a message (only its scheme,
//! host and path are). Only HTTPS to an S3 host is fetched, so that a forged request cannot
//! make the function read anything else; plain HTTP is allowed to the host of
//! `AWS_ENDPOINT_URL` alone (a local emulator in tests and the demo).

use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;

/// The largest payload read: CloudFormation's 1 MB template limit, twice (the previous
/// template comes along), escaped in JSON.
pub const MAX_PAYLOAD: usize = 5 * 1024 * 1024;

/// Why the template could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the stack template could not be read from {place}: {problem}")]
pub struct FetchError {
    /// Scheme, host and path of the URL (never its signed query).
    pub place: String,
    pub problem: String,
}

/// Where stack templates come from.
#[allow(async_fn_in_trait)]
pub trait TemplateSource {
    /// The `template` of the payload at `url` (empty for a stack being deleted).
    async fn template(&self, url: &str) -> Result<String, FetchError>;
}

/// `scheme://host/path` of a URL: what may be said of it.
pub fn place(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or_default().to_owned()
}

/// The URL's host, when it is `http(s)://host[:port]/…`.
fn host_of(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.contains('@') {
        return None;
    }
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    Some((scheme, host))
}

/// Whether the function may fetch `url`: HTTPS to an S3 host of AWS (`….amazonaws.com`, China
/// regions' `….amazonaws.com.cn`), or the local emulator's host named by `local_endpoint`.
pub fn check_url(url: &str, local_endpoint: Option<&str>) -> Result<(), FetchError> {
    let refuse = |problem: &str| FetchError {
        place: place(url),
        problem: problem.to_owned(),
    };
    let Some((scheme, host)) = host_of(url) else {
        return Err(refuse("not an http(s) URL with a host"));
    };
    let local = local_endpoint.and_then(host_of).map(|(_, h)| h);
    if local.is_some_and(|l| l.eq_ignore_ascii_case(host)) {
        return Ok(());
    }
    let aws_s3 = host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn");
    let s3 = host
        .split('.')
        .any(|label| label == "s3" || label.starts_with("s3-"));
    match (scheme, aws_s3 && s3) {
        ("https", true) => Ok(()),
        ("https", false) => Err(refuse("the host is not Amazon S3")),
        _ => Err(refuse("only HTTPS is fetched")),
    }
}

/// Reads the payload's JSON: `{"template": String, "previousTemplate": String}`.
pub fn template_of(place: &str, body: &[u8]) -> Result<String, FetchError> {
    let bad = |problem: String| FetchError {
        place: place.to_owned(),
        problem,
    };
    let payload: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("the payload is not JSON: {e}")))?;
    match payload.get("template") {
        Some(serde_json::Value::String(t)) => Ok(t.clone()),
        Some(serde_json::Value::Null) | None => Ok(String::new()),
        Some(_) => Err(bad("the payload's template is not a string".into())),
    }
}

/// Fetches over hyper with rustls.
pub struct HttpsSource {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>,
    local_endpoint: Option<String>,
    timeout: Duration,
}

impl HttpsSource {
    pub fn new(local_endpoint: Option<String>, timeout: Duration) -> Result<Self, std::io::Error> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(https),
            local_endpoint,
            timeout,
        })
    }
}

impl TemplateSource for HttpsSource {
    async fn template(&self, url: &str) -> Result<String, FetchError> {
        check_url(url, self.local_endpoint.as_deref())?;
        let at = place(url);
        let fail = |problem: String| FetchError {
            place: at.clone(),
            problem,
        };
        let request = hyper::Request::get(url)
            .body(Empty::<Bytes>::new())
            .map_err(|e| fail(format!("the URL is not usable: {e}")))?;
        let fetched = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| fail(e.to_string()))?;
            let status = response.status();
            if !status.is_success() {
                return Err(fail(format!("S3 answered HTTP {}", status.as_u16())));
            }
            let body = Limited::new(response.into_body(), MAX_PAYLOAD)
                .collect()
                .await
                .map_err(|e| fail(format!("{e} (at most {MAX_PAYLOAD} bytes are read)")))?
                .to_bytes();
            template_of(&at, &body)
        };
        match tokio::time::timeout(self.timeout, fetched).await {
            Ok(result) => result,
            Err(_) => Err(fail(format!(
                "no answer within {} ms",
                self.timeout.as_millis()
            ))),
        }
    }
}
