//! `AWS_USE_FIPS_ENDPOINT` reaches every client built from [`load_sdk_config_with`]: the request
//! goes to the service's FIPS endpoint, and without the variable to the standard one.

use aws_config::BehaviorVersion;
use aws_smithy_http_client::test_util::capture_request;
use aws_types::os_shim_internal::{Env, Fs};

use super::{load_sdk_config_with, CallLimits};

/// The host a KMS call is sent to, with `env` as the whole environment.
async fn kms_host(env: &[(&str, &str)]) -> (Option<bool>, String) {
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .env(Env::from_slice(env))
        .fs(Fs::from_slice(&[]));
    let sdk = load_sdk_config_with(loader, CallLimits::default()).await;
    let (http, request) = capture_request(None);
    let captured = sdk.to_builder().http_client(http).build();
    // The captured answer is empty: the call's outcome does not matter, its address does.
    let _ = aws_sdk_kms::Client::new(&captured).list_keys().send().await;
    let uri = request.expect_request().uri().to_owned();
    (sdk.use_fips(), uri)
}

const CREDENTIALS: [(&str, &str); 3] = [
    ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
    ("AWS_SECRET_ACCESS_KEY", "not-a-secret"),
    ("AWS_REGION", "us-east-1"),
];

#[tokio::test]
async fn aws_use_fips_endpoint_sends_calls_to_fips_endpoints() {
    let mut env = CREDENTIALS.to_vec();
    env.push(("AWS_USE_FIPS_ENDPOINT", "true"));
    let (fips, uri) = kms_host(&env).await;
    assert_eq!(fips, Some(true));
    assert_eq!(uri, "https://kms-fips.us-east-1.amazonaws.com/");

    let (fips, uri) = kms_host(&CREDENTIALS).await;
    assert_ne!(fips, Some(true));
    assert_eq!(uri, "https://kms.us-east-1.amazonaws.com/");
}
