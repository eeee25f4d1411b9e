//! Every AWS call goes through `artifact_guard::aws::https_client`, which never negotiates TLS
//! below 1.2: against a loopback server that offers only TLS 1.1 the handshake is refused, and
//! against the same server offering TLS 1.2 (same certificate, same trust) it completes and the
//! service's error comes back. The certificates are made per run with the openssl command line.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use artifact_guard::aws::https_client;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_smithy_http_client::tls::TrustStore;

/// A certificate authority and a `localhost` certificate it signed, in `dir`.
fn certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stderr(Stdio::null())
            .status()
            .expect("openssl (the command line) runs");
        assert!(status.success(), "openssl {args:?}");
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=artifact-guard test CA",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .expect("written");
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
}

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(dir: &Path, version: &str) -> (Self, BufReader<std::process::ChildStdout>) {
        let mut child = Command::new("python3")
            .arg(artifact_guard_tests::root().join("tests/tls/server.py"))
            .args(["server.pem", "server.key", version])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the test server");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        out.read_line(&mut line).expect("the port");
        let port = line.trim().parse().expect("a port number");
        (Self { child, port }, out)
    }
}

/// One KMS call through the production client, trusting only the test CA.
async fn call(port: u16, ca: &[u8]) -> String {
    let sdk =
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(https_client(
                TrustStore::empty().with_pem_certificate(ca.to_vec()),
            ))
            .endpoint_url(format!("https://localhost:{port}"))
            .region(Region::new("eu-west-1"))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    Credentials::for_tests(),
                ),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(1))
            .build();
    let error = aws_sdk_kms::Client::new(&sdk)
        .list_keys()
        .send()
        .await
        .expect_err("the test server answers every request with an error");
    aws_smithy_types::error::display::DisplayErrorContext(&error).to_string()
}

#[tokio::test]
async fn aws_calls_refuse_tls_below_1_2_and_complete_with_1_2() {
    let dir = std::env::temp_dir().join(format!("tls-floor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory");
    certificates(&dir);
    let ca = std::fs::read(dir.join("ca.pem")).expect("the CA");

    let (modern, mut modern_log) = Server::start(&dir, "1.2");
    let answer = call(modern.port, &ca).await;
    assert!(
        answer.contains("AccessDeniedException") && answer.contains("tls-floor test server"),
        "over TLS 1.2 the service's answer arrives: {answer}"
    );
    let mut line = String::new();
    modern_log.read_line(&mut line).expect("a handshake line");
    assert_eq!(line.trim(), "handshake ok TLSv1.2");

    let (old, mut old_log) = Server::start(&dir, "1.1");
    let answer = call(old.port, &ca).await;
    assert!(
        answer.contains("dispatch failure") && !answer.contains("AccessDeniedException"),
        "a TLS 1.1 server is never talked to: {answer}"
    );
    assert!(
        answer.to_lowercase().contains("protocolversion")
            || answer.to_lowercase().contains("protocol version"),
        "refused for its protocol version: {answer}"
    );
    let mut line = String::new();
    old_log.read_line(&mut line).expect("a handshake line");
    assert!(
        line.starts_with("handshake failed"),
        "the server saw no handshake complete: {line}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
