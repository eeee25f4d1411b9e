//! The HTTP `PUT` to CloudFormation's presigned URL, over hyper with rustls (the TLS stack the
//! AWS SDK already brings, so no second one is built).

use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;

use crate::response::{PutOutcome, ResponseSender};

/// A pooled HTTPS (and, for local tests, HTTP) client, built once per process.
pub struct HyperSender {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl HyperSender {
    pub fn new() -> Result<Self, std::io::Error> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(https),
        })
    }
}

impl ResponseSender for HyperSender {
    async fn put(&self, url: &str, body: Vec<u8>, timeout: Duration) -> PutOutcome {
        // The presigned URL signs an empty Content-Type: sending any other value breaks it.
        let request = match hyper::Request::put(url)
            .header("content-type", "")
            .header("content-length", body.len())
            .body(Full::new(Bytes::from(body)))
        {
            Ok(r) => r,
            Err(e) => return PutOutcome::Network(format!("the response URL is not usable: {e}")),
        };
        match tokio::time::timeout(timeout, self.client.request(request)).await {
            Ok(Ok(response)) => PutOutcome::Status(response.status().as_u16()),
            Ok(Err(e)) => PutOutcome::Network(format!("{e}")),
            Err(_) => PutOutcome::Network(format!("no answer within {} ms", timeout.as_millis())),
        }
    }
}
