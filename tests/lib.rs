//! Helpers for the workspace integration tests: built binaries, a moto server and cargo-lambda's
//! Lambda Runtime API emulator, each started on a free loopback port and stopped by process id.

pub mod proxy;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

/// A binary built from this workspace, next to the test executable's profile folder.
/// `make test` builds every binary before the tests run.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    // target/<profile>/deps/<test> -> target/<profile>/<name>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let path = profile_dir.join(name);
    assert!(
        path.exists(),
        "{} is not built; run `cargo build --workspace --bins` (make test does) before the integration tests",
        path.display()
    );
    path
}

/// A tool installed by `make venv` into the project-local `.venv`.
pub fn venv_bin(name: &str) -> PathBuf {
    let path = root().join(".venv/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing; run `make venv` (make test does)",
        path.display()
    );
    path
}

/// Runs `artifact-guard` with `args`, feeding `stdin` when given.
pub fn artifact_guard(args: &[&str], stdin: Option<&[u8]>) -> Output {
    run(Command::new(bin("artifact-guard")).args(args), stdin)
}

/// Runs a command to completion, feeding `stdin` when given.
pub fn run(command: &mut Command, stdin: Option<&[u8]>) -> Output {
    let mut child = command
        .current_dir(root())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(data)
            .unwrap_or_else(|e| panic!("cannot write stdin: {e}"));
    }
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("{command:?} did not finish: {e}"))
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

fn wait_for_port(port: u16, what: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening on port {port}: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not listen on port {port} within 30 s");
}

/// A background process killed (by process id) when dropped.
pub struct Background {
    child: Child,
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A moto server on a free loopback port.
pub struct Moto {
    _process: Background,
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
}

impl Moto {
    /// Starts `moto_server` from `.venv` and waits until it listens.
    ///
    /// A free port can be taken by another test's server between choosing it and binding it;
    /// the port would then answer for that other server. So readiness is this server's own
    /// word: werkzeug's "Running on http://127.0.0.1:PORT" on its stderr, which is then drained
    /// for as long as it runs. A server that exits first (its port was taken) is started again
    /// on another port.
    pub fn start() -> Self {
        use std::io::{BufRead, BufReader};
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new(venv_bin("moto_server"))
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start moto_server: {e}"));
            let Some(stderr) = child.stderr.take() else {
                continue;
            };
            let (ready_tx, ready_rx) = std::sync::mpsc::channel();
            let banner = format!("127.0.0.1:{port}");
            std::thread::spawn(move || {
                let mut told = false;
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if !told && line.contains("Running on") && line.contains(&banner) {
                        told = true;
                        let _ = ready_tx.send(());
                    }
                }
            });
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if ready_rx.recv_timeout(Duration::from_millis(50)).is_ok() {
                    wait_for_port(port, "moto_server", &mut child);
                    return Self {
                        _process: Background { child },
                        endpoint: format!("http://127.0.0.1:{port}"),
                    };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("moto_server could not bind a port of its own in 5 tries");
    }

    /// The environment that points an AWS SDK at this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_REGION", "us-east-1".into()),
        ];
        env.extend(self.credentials_env());
        env
    }

    /// Credentials only (moto accepts any), and no instance-metadata lookups.
    pub fn credentials_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_CONFIG_FILE", "/dev/null".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
        ]
    }

    /// Creates the test account (`tests/moto/account.py`); returns what it printed (key ids).
    pub fn create_account(&self) -> serde_json::Value {
        self.create_account_as(None)
    }

    /// Creates the test account in the account of `role_arn` (assumed through moto's STS), or
    /// in the default account.
    pub fn create_account_as(&self, role_arn: Option<&str>) -> serde_json::Value {
        self.create_account_named(role_arn, "")
    }

    /// As [`Moto::create_account_as`], with every bucket name starting with `bucket_prefix`
    /// (bucket names are global: a second account needs its own).
    pub fn create_account_named(
        &self,
        role_arn: Option<&str>,
        bucket_prefix: &str,
    ) -> serde_json::Value {
        let out = run(
            Command::new(venv_bin("python"))
                .arg(root().join("tests/moto/account.py"))
                .arg(&self.endpoint)
                .arg(role_arn.unwrap_or(""))
                .arg(bucket_prefix),
            None,
        );
        assert!(
            out.status.success(),
            "account setup failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("account setup printed no JSON: {e}"))
    }
}

impl Moto {
    /// Makes the default account an organization's management account with two members
    /// (`tests/moto/organization.py`); returns the members' account ids.
    pub fn create_organization(&self) -> Vec<String> {
        let out = run(
            Command::new(venv_bin("python"))
                .arg(root().join("tests/moto/organization.py"))
                .arg(&self.endpoint),
            None,
        );
        assert!(
            out.status.success(),
            "organization setup failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("organization setup printed no JSON: {e}"));
        printed["members"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|a| a.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// SDK configuration for this server: region us-east-1, static test credentials, the
    /// standard timeouts and retries.
    pub fn sdk_config(&self) -> aws_config::SdkConfig {
        sdk_config_at(&self.endpoint, artifact_guard::aws::CallLimits::default())
    }
}

/// Limits for the fault matrices: short attempt timeouts, so that latency cases finish quickly;
/// retries as in production (standard mode, 4 attempts).
pub fn fault_test_limits() -> artifact_guard::aws::CallLimits {
    artifact_guard::aws::CallLimits {
        attempt_timeout: Duration::from_secs(2),
        operation_timeout: Duration::from_secs(15),
        max_attempts: 4,
    }
}

/// SDK configuration for an endpoint (moto, or the fault proxy in front of it) with `limits`.
pub fn sdk_config_at(
    endpoint: &str,
    limits: artifact_guard::aws::CallLimits,
) -> aws_config::SdkConfig {
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_credential_types::Credentials::new(
            "testing", "testing", None, None, "tests",
        ));
    block_on(artifact_guard::aws::load_sdk_config_with(loader, limits))
}

/// Runs a future to completion on a fresh current-thread runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("tokio runtime: {e}"))
        .block_on(future)
}

/// cargo-lambda's Lambda Runtime API emulator (`cargo lambda watch --only-lambda-apis`) with
/// one function binary polling it.
pub struct LambdaEmulator {
    // Dropped in order: the function first, then the emulator.
    _function: Background,
    _emulator: Background,
    port: u16,
    log: PathBuf,
}

impl LambdaEmulator {
    /// Starts the emulator and the built binary `function` with `env`.
    pub fn start(function: &str, env: &[(&str, String)]) -> Self {
        let port = free_port();
        let mut emulator = Command::new(venv_bin("cargo-lambda"))
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "-A",
                "127.0.0.1",
                "-P",
                &port.to_string(),
            ])
            .current_dir(root())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start cargo lambda watch: {e}"));
        wait_for_port(port, "cargo lambda watch", &mut emulator);
        let emulator = Background { child: emulator };
        let log_dir = root().join("target/test-logs");
        std::fs::create_dir_all(&log_dir).unwrap_or_else(|e| panic!("{}: {e}", log_dir.display()));
        let log = log_dir.join(format!("{function}-{}-{port}.log", std::process::id()));
        let out = std::fs::File::create(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let err = out
            .try_clone()
            .unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        // Debug unless `env` says otherwise (the log-secrecy test asks for TRACE).
        let function = Command::new(bin(function))
            .env("RUST_LOG", "debug")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{port}/.rt"),
            )
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {function}: {e}"));
        Self {
            _function: Background { child: function },
            _emulator: emulator,
            port,
            log,
        }
    }

    /// Everything the function wrote to stdout and stderr so far (its logs, at debug level).
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Delivers an event file through `cargo lambda invoke`; returns the function's JSON result.
    pub fn invoke(&self, event_file: &Path) -> Result<serde_json::Value, String> {
        let out = run(
            Command::new(venv_bin("cargo-lambda"))
                .args([
                    "lambda",
                    "invoke",
                    "--invoke-address",
                    "127.0.0.1",
                    "--invoke-port",
                    &self.port.to_string(),
                    "--output-format",
                    "json",
                    "--data-file",
                ])
                .arg(event_file)
                .arg("_"),
            None,
        );
        if !out.status.success() {
            return Err(format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
    }
}

/// One request received by a [`Recorder`].
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path_and_query: String,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// A loopback HTTP endpoint standing in for CloudFormation's presigned response URL: it records
/// every request and answers 503 to the first `fail_first`, then 200.
pub struct Recorder {
    port: u16,
    fail_first: u32,
    received: std::sync::Arc<std::sync::Mutex<Vec<Recorded>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Recorder {
    pub fn start(fail_first: u32) -> Self {
        use std::io::{BufRead, BufReader, Read};
        use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
        use std::sync::{Arc, Mutex};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("recorder: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let failures = AtomicU32::new(fail_first);
        let (sink, halt) = (received.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if halt.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(match stream.try_clone() {
                    Ok(s) => s,
                    Err(_) => continue,
                });
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let mut parts = line.split_whitespace();
                let (method, target) = (
                    parts.next().unwrap_or_default().to_owned(),
                    parts.next().unwrap_or_default().to_owned(),
                );
                let (mut length, mut content_type) = (0usize, None);
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
                        break;
                    }
                    if let Some((name, value)) = header.split_once(':') {
                        match name.trim().to_ascii_lowercase().as_str() {
                            "content-length" => length = value.trim().parse().unwrap_or(0),
                            "content-type" => content_type = Some(value.trim().to_owned()),
                            _ => {}
                        }
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let failing = failures.load(Ordering::SeqCst) > 0;
                if failing {
                    failures.fetch_sub(1, Ordering::SeqCst);
                }
                if let Ok(mut all) = sink.lock() {
                    all.push(Recorded {
                        method,
                        path_and_query: target,
                        content_type,
                        body,
                    });
                }
                let status = if failing {
                    "503 Service Unavailable"
                } else {
                    "200 OK"
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        });
        Self {
            port,
            fail_first,
            received,
            stop,
        }
    }

    /// A presigned-looking URL on this endpoint.
    pub fn url(&self) -> String {
        format!(
            "http://127.0.0.1:{}/cfn-response/stack/req?X-Amz-Signature=s3cr3t-signature",
            self.port
        )
    }

    /// `127.0.0.1:PORT`, for a proxy in front of this endpoint.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Recorded> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// The bodies answered 200 (every request after the first `fail_first`), as JSON.
    pub fn responses(&self) -> Vec<serde_json::Value> {
        self.received()
            .iter()
            .skip(self.fail_first as usize)
            .map(|r| {
                serde_json::from_slice(&r.body)
                    .unwrap_or_else(|e| panic!("response body is not JSON: {e}"))
            })
            .collect()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A loopback stand-in for the presigned S3 URL of a hook's payload: serves `body` to every
/// request for as long as the test runs; returns its port.
pub fn payload_server(body: String) -> u16 {
    use std::io::{BufRead, BufReader, Write};
    let listener =
        TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("payload server: {e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let Ok(read_half) = stream.try_clone() else {
                continue;
            };
            let mut reader = BufReader::new(read_half);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                if line == "\r\n" {
                    break;
                }
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}
