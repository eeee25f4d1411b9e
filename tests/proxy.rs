//! A fault-injecting HTTP proxy on loopback, between the functions' SDK clients and moto (or any
//! upstream, such as the [`crate::Recorder`] standing in for CloudFormation's response URL).
//!
//! Every request is named `service:Operation /path` (the service from the SigV4 credential
//! scope, the operation from `X-Amz-Target`, the query protocol's `Action` or S3's method and
//! sub-resource), logged, and matched against rules in order: the first rule whose operation
//! pattern (and body pattern, if any) matches applies its fault, counted down if it has a count.
//! `Serve` rules answer in place of the upstream, for the operations moto does not implement.
//!
//! One request per connection (`connection: close` both ways), so a reset or a truncated body
//! hits exactly one attempt.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a rule does to a matching request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answers with this status and body instead of forwarding.
    Status {
        status: u16,
        content_type: &'static str,
        body: String,
    },
    /// Waits, then forwards.
    Delay(Duration),
    /// Closes the connection with a TCP reset before answering.
    Reset,
    /// Forwards, then sends the upstream's head and half its body, and resets.
    Truncate,
}

impl Fault {
    /// An error in the JSON protocols (Config, KMS, CodePipeline, tagging).
    pub fn json(status: u16, error_type: &str) -> Self {
        Self::Status {
            status,
            content_type: "application/x-amz-json-1.1",
            body: format!(r#"{{"__type":"{error_type}","message":"injected by the fault proxy"}}"#),
        }
    }

    /// An S3 (REST-XML) error.
    pub fn s3(status: u16, code: &str) -> Self {
        Self::Status {
            status,
            content_type: "application/xml",
            body: format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>injected by the fault proxy</Message><RequestId>FAULT</RequestId></Error>"
            ),
        }
    }

    /// An error in the query protocol (SNS, STS).
    pub fn query(status: u16, code: &str) -> Self {
        Self::Status {
            status,
            content_type: "text/xml",
            body: format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected by the fault proxy</Message></Error><RequestId>FAULT</RequestId></ErrorResponse>"
            ),
        }
    }

    pub fn throttling() -> Self {
        Self::json(400, "ThrottlingException")
    }

    pub fn slow_down() -> Self {
        Self::s3(503, "SlowDown")
    }

    pub fn name(&self) -> String {
        match self {
            Self::Status { status, body, .. } => {
                let code = body
                    .split(['"', '<', '>'])
                    .find(|part| {
                        part.ends_with("Exception")
                            || ["SlowDown", "AccessDenied", "InternalError", "Throttling"]
                                .contains(part)
                    })
                    .unwrap_or("");
                format!("{status} {code}").trim().to_owned()
            }
            Self::Delay(d) => format!("delay {} ms", d.as_millis()),
            Self::Reset => "reset".into(),
            Self::Truncate => "truncated body".into(),
        }
    }
}

/// A request as the proxy saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// `service:Operation /path`.
    pub label: String,
    /// The fault applied, if any (`served` for a `Serve` rule).
    pub fault: Option<String>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// An answer from a `Serve` rule.
pub struct Reply {
    pub status: u16,
    pub body: String,
}

type Server = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

#[derive(Clone)]
enum Action {
    Fault(Fault),
    Serve(Server),
}

#[derive(Clone)]
struct Rule {
    operation: String,
    body: Option<String>,
    action: Action,
    remaining: Option<u32>,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    seen: Vec<Seen>,
}

/// The proxy; stops when dropped.
pub struct FaultProxy {
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    /// Starts a proxy forwarding to `upstream` (`host:port`).
    pub fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("proxy: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (shared, halt, upstream) = (state.clone(), stop.clone(), upstream.to_owned());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if halt.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let (state, upstream) = (shared.clone(), upstream.clone());
                std::thread::spawn(move || serve_connection(stream, &state, &upstream));
            }
        });
        Self { port, state, stop }
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL` or a response URL.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Applies `fault` to requests whose label contains `operation`, `times` times (`None`:
    /// every time).
    pub fn inject(&self, operation: &str, fault: Fault, times: Option<u32>) -> &Self {
        self.add(operation, None, Action::Fault(fault), times)
    }

    /// Like [`Self::inject`], for requests whose body also contains `body`.
    pub fn inject_where(
        &self,
        operation: &str,
        body: &str,
        fault: Fault,
        times: Option<u32>,
    ) -> &Self {
        self.add(operation, Some(body), Action::Fault(fault), times)
    }

    /// Answers requests whose label contains `operation` with `server` instead of forwarding.
    pub fn serve(
        &self,
        operation: &str,
        server: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    ) -> &Self {
        self.add(operation, None, Action::Serve(Arc::new(server)), None)
    }

    fn add(
        &self,
        operation: &str,
        body: Option<&str>,
        action: Action,
        times: Option<u32>,
    ) -> &Self {
        if let Ok(mut state) = self.state.lock() {
            // Faults go before servers, so that a served operation can fail too.
            let rule = Rule {
                operation: operation.into(),
                body: body.map(Into::into),
                action,
                remaining: times,
            };
            match rule.action {
                Action::Fault(_) => state.rules.insert(0, rule),
                Action::Serve(_) => state.rules.push(rule),
            }
        }
        self
    }

    /// Removes every fault (servers stay) and forgets what was seen.
    pub fn reset(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.rules.retain(|r| matches!(r.action, Action::Serve(_)));
            state.seen.clear();
        }
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.state
            .lock()
            .map(|s| s.seen.clone())
            .unwrap_or_default()
    }

    /// How many requests so far had a label containing `operation`.
    pub fn count(&self, operation: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.label.contains(operation))
            .count()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve_connection(mut client: TcpStream, state: &Mutex<State>, upstream: &str) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
    let Some(request) = read_message(&mut client, true) else {
        return;
    };
    let Some(label) = label_of(&request) else {
        return;
    };
    let body = request.bytes[request.head_len..].to_vec();
    let mut seen = Seen {
        label,
        fault: None,
        body,
    };
    let action = state.lock().ok().and_then(|mut s| {
        let position = s.rules.iter().position(|r| {
            seen.label.contains(&r.operation)
                && r.body
                    .as_ref()
                    .is_none_or(|b| seen.body_text().contains(b.as_str()))
                && r.remaining != Some(0)
        })?;
        let rule = &mut s.rules[position];
        if let Some(n) = rule.remaining.as_mut() {
            *n -= 1;
        }
        Some(rule.action.clone())
    });
    seen.fault = match &action {
        Some(Action::Fault(f)) => Some(f.name()),
        Some(Action::Serve(_)) => Some("served".into()),
        None => None,
    };
    if let Ok(mut s) = state.lock() {
        s.seen.push(seen.clone());
    }
    match action {
        Some(Action::Fault(Fault::Status {
            status,
            content_type,
            body,
        })) => answer(&mut client, status, content_type, &body),
        Some(Action::Serve(server)) => {
            let reply = server(&seen);
            answer(
                &mut client,
                reply.status,
                "application/x-amz-json-1.1",
                &reply.body,
            );
        }
        Some(Action::Fault(Fault::Reset)) => reset(client),
        Some(Action::Fault(Fault::Delay(d))) => {
            std::thread::sleep(d);
            forward(&mut client, &request, upstream, false);
        }
        Some(Action::Fault(Fault::Truncate)) => forward(&mut client, &request, upstream, true),
        None => forward(&mut client, &request, upstream, false),
    }
}

fn answer(client: &mut TcpStream, status: u16, content_type: &str, body: &str) {
    let _ = write!(
        client,
        "HTTP/1.1 {status} Injected\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nx-amzn-requestid: FAULT\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = client.flush();
    let _ = client.shutdown(Shutdown::Write);
}

/// Drops the connection with SO_LINGER 0, which makes the kernel send RST instead of FIN.
fn reset(client: TcpStream) {
    let _ = socket2::SockRef::from(&client).set_linger(Some(Duration::ZERO));
    drop(client);
}

fn forward(client: &mut TcpStream, request: &Message, upstream: &str, truncate: bool) {
    let Ok(mut server) = TcpStream::connect(upstream) else {
        answer(client, 502, "text/plain", "upstream refused the connection");
        return;
    };
    let _ = server.set_read_timeout(Some(Duration::from_secs(60)));
    let head = rewrite_connection_header(&request.bytes[..request.head_len]);
    if server.write_all(&head).is_err()
        || server
            .write_all(&request.bytes[request.head_len..])
            .is_err()
    {
        answer(client, 502, "text/plain", "upstream closed the connection");
        return;
    }
    let Some(response) = read_message(&mut server, false) else {
        answer(client, 502, "text/plain", "upstream sent no response");
        return;
    };
    let head = rewrite_connection_header(&response.bytes[..response.head_len]);
    let body = &response.bytes[response.head_len..];
    let _ = client.write_all(&head);
    if truncate {
        let _ = client.write_all(&body[..body.len() / 2]);
        let _ = client.flush();
        // The caller drops the stream: with SO_LINGER 0 that is a reset mid-body.
        let _ = socket2::SockRef::from(&*client).set_linger(Some(Duration::ZERO));
        return;
    }
    let _ = client.write_all(body);
    let _ = client.flush();
    let _ = client.shutdown(Shutdown::Write);
}

/// An HTTP/1.1 message read whole: head and body bytes, and where the head ends.
struct Message {
    bytes: Vec<u8>,
    head_len: usize,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

fn read_message(stream: &mut TcpStream, is_request: bool) -> Option<Message> {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let parsed = if is_request {
            let mut req = httparse::Request::new(&mut headers);
            req.parse(&bytes).ok().and_then(|status| {
                let httparse::Status::Complete(len) = status else {
                    return None;
                };
                Some((
                    len,
                    req.method.unwrap_or_default().to_owned(),
                    req.path.unwrap_or_default().to_owned(),
                    owned(req.headers),
                ))
            })
        } else {
            let mut res = httparse::Response::new(&mut headers);
            res.parse(&bytes).ok().and_then(|status| {
                let httparse::Status::Complete(len) = status else {
                    return None;
                };
                Some((len, String::new(), String::new(), owned(res.headers)))
            })
        };
        if let Some((head_len, method, path, headers)) = parsed {
            let mut message = Message {
                bytes,
                head_len,
                method,
                path,
                headers,
            };
            read_body(stream, &mut message, is_request)?;
            return Some(message);
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        bytes.extend_from_slice(&chunk[..n]);
    }
}

fn owned(headers: &[httparse::Header<'_>]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|h| {
            (
                h.name.to_ascii_lowercase(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect()
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn read_body(stream: &mut TcpStream, message: &mut Message, is_request: bool) -> Option<()> {
    let mut chunk = [0u8; 16 * 1024];
    let chunked = message
        .header("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"));
    let length = message
        .header("content-length")
        .and_then(|v| v.trim().parse::<usize>().ok());
    loop {
        let have = message.bytes.len() - message.head_len;
        let done = match (length, chunked) {
            (Some(n), _) => have >= n,
            (None, true) => message.bytes.ends_with(b"0\r\n\r\n"),
            // A request without either has no body; a response without either ends at EOF.
            (None, false) => is_request,
        };
        if done {
            return Some(());
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return if is_request { None } else { Some(()) };
        }
        message.bytes.extend_from_slice(&chunk[..n]);
    }
}

/// The head with any `connection` header replaced by `connection: close`.
fn rewrite_connection_header(head: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut out = String::with_capacity(text.len() + 20);
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        if line
            .split_once(':')
            .is_some_and(|(name, _)| name.trim().eq_ignore_ascii_case("connection"))
        {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("connection: close\r\n\r\n");
    out.into_bytes()
}

/// `service:Operation /path` for an AWS request.
fn label_of(request: &Message) -> Option<String> {
    let service = request
        .header("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("http")
        .to_owned();
    let (path, query) = request
        .path
        .split_once('?')
        .unwrap_or((request.path.as_str(), ""));
    let operation = if let Some(target) = request.header("x-amz-target") {
        target.rsplit('.').next().unwrap_or(target).to_owned()
    } else if service == "s3" {
        s3_operation(&request.method, path, query)
    } else {
        let body = String::from_utf8_lossy(&request.bytes[request.head_len..]).into_owned();
        body.split('&')
            .find_map(|p| p.strip_prefix("Action="))
            .map_or_else(|| request.method.clone(), str::to_owned)
    };
    Some(format!("{service}:{operation} {path}"))
}

/// S3's operation from the method, the path (`/bucket[/key]`, path style) and the sub-resource.
fn s3_operation(method: &str, path: &str, query: &str) -> String {
    let params: Vec<(&str, &str)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    if let Some((_, id)) = params.iter().find(|(k, _)| *k == "x-id") {
        return (*id).to_owned();
    }
    let is_bucket = path.trim_matches('/').split('/').count() <= 1;
    let sub = params.first().map(|(k, _)| *k);
    let verb = match method {
        "GET" => "Get",
        "PUT" => "Put",
        "DELETE" => "Delete",
        "HEAD" => "Head",
        other => other,
    };
    match (method, sub) {
        ("GET", None) if path == "/" => "ListBuckets".into(),
        ("PUT", None) if is_bucket => "CreateBucket".into(),
        ("DELETE", None) if is_bucket => "DeleteBucket".into(),
        ("HEAD", None) if is_bucket => "HeadBucket".into(),
        ("GET", Some("list-type")) => "ListObjectsV2".into(),
        ("GET", Some("versions")) => "ListObjectVersions".into(),
        ("POST", Some("delete")) => "DeleteObjects".into(),
        (_, None) => format!("{verb}Object"),
        (_, Some("publicAccessBlock")) => format!("{verb}PublicAccessBlock"),
        (_, Some(sub)) => {
            let mut name = sub.to_owned();
            if let Some(first) = name.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            format!("{verb}Bucket{name}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::s3_operation;

    #[test]
    fn s3_operations_are_named_like_the_api() {
        assert_eq!(s3_operation("GET", "/b", "policy"), "GetBucketPolicy");
        assert_eq!(
            s3_operation("PUT", "/b", "encryption="),
            "PutBucketEncryption"
        );
        assert_eq!(
            s3_operation("PUT", "/b", "publicAccessBlock"),
            "PutPublicAccessBlock"
        );
        assert_eq!(s3_operation("PUT", "/b", ""), "CreateBucket");
        assert_eq!(s3_operation("GET", "/b", "list-type=2"), "ListObjectsV2");
        assert_eq!(s3_operation("GET", "/b/k", "x-id=GetObject"), "GetObject");
        assert_eq!(s3_operation("DELETE", "/b/", ""), "DeleteBucket");
    }
}
