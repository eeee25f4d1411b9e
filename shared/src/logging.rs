//! The one log subscriber every artifact-guard binary installs, so that no secret reaches a log at
//! any level, whatever `AWS_LAMBDA_LOG_LEVEL`, `RUST_LOG` and `AWS_LAMBDA_LOG_FORMAT` say.
//!
//! artifact-guard's own code logs names, ids and counts, never an event or a payload. Its
//! dependencies do, at TRACE: the Lambda runtime writes every raw event body (a presigned
//! CloudFormation URL, a gate job's artifact credentials), the AWS SDK every request and response
//! (a pipeline's plaintext `OAuthToken`, tag values, signing inputs). So two defences, both here
//! rather than at call sites:
//! 1. **A ceiling for dependencies**: an event or span from a crate that is not artifact-guard's
//!    is dropped at TRACE, whatever the directives ask for; DEBUG and above pass (retries,
//!    connections, credential sources: useful, and payload-free).
//! 2. **A redacting writer**: every formatted line, text or JSON, is scrubbed of credential-shaped
//!    values (presigned-URL query values, a URL's user information, access keys, secret keys and
//!    session tokens, secret-named fields) before it is written. This catches what slips through
//!    above, such as a deserialization error that quotes the offending value.

use std::borrow::Cow;
use std::io::{self, Write};
use std::str::FromStr;

use tracing::level_filters::LevelFilter;
use tracing::{Level, Metadata};
use tracing_subscriber::filter::{filter_fn, EnvFilter};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// The crates whose log statements artifact-guard controls (module-path prefixes of targets).
const OWN_CRATES: [&str; 5] = [
    "artifact_guard",
    "config_rule",
    "artifact_store",
    "pipeline_check",
    "template_hook",
];

/// How a binary logs: the directives (levels) and the line format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// `EnvFilter` directives: a level (`trace`, `INFO`) or `target=level,...`.
    pub directives: String,
    /// One JSON object per line instead of text.
    pub json: bool,
    /// ANSI colours (text only).
    pub ansi: bool,
    /// The level of targets no directive names.
    pub default_level: LevelFilter,
}

impl LogSettings {
    /// A Lambda function's settings, as Lambda's advanced logging controls set them:
    /// `AWS_LAMBDA_LOG_LEVEL` first, then `RUST_LOG`, else `INFO`; `AWS_LAMBDA_LOG_FORMAT=JSON`
    /// for JSON lines. (What the runtime crate's own default subscriber reads.)
    pub fn for_lambda(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let set = |name: &str| lookup(name).filter(|d| !d.trim().is_empty());
        let directives = set("AWS_LAMBDA_LOG_LEVEL")
            .or_else(|| set("RUST_LOG"))
            .unwrap_or_else(|| "info".into());
        let json = lookup("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
        Self {
            directives,
            json,
            ansi: false,
            default_level: LevelFilter::INFO,
        }
    }

    /// The command line's settings: `RUST_LOG`, else `warn`; colour only on a terminal and
    /// never with `NO_COLOR` set to anything (<https://no-color.org>).
    pub fn for_cli(lookup: impl Fn(&str) -> Option<String>, stderr_is_terminal: bool) -> Self {
        let directives = lookup("RUST_LOG")
            .filter(|d| !d.trim().is_empty())
            .unwrap_or_else(|| "warn".into());
        let no_color = lookup("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            directives,
            json: false,
            ansi: stderr_is_terminal && !no_color,
            default_level: LevelFilter::WARN,
        }
    }

    /// The filter these directives describe. A bare level in any case (`TRACE`, Lambda's
    /// spelling) is a default level; an unparsable directive is skipped, keeping the rest.
    fn env_filter(&self) -> EnvFilter {
        let trimmed = self.directives.trim();
        match LevelFilter::from_str(trimmed) {
            Ok(level) => EnvFilter::builder()
                .with_default_directive(level.into())
                .parse_lossy(""),
            Err(_) => EnvFilter::builder()
                .with_default_directive(self.default_level.into())
                .parse_lossy(trimmed),
        }
    }
}

/// Whether an event or span may be written at all: artifact-guard's own at any level, a
/// dependency's only below TRACE.
pub fn admitted(metadata: &Metadata<'_>) -> bool {
    admits(*metadata.level(), metadata.target())
}

fn admits(level: Level, target: &str) -> bool {
    let krate = target.split("::").next().unwrap_or_default();
    level != Level::TRACE || OWN_CRATES.contains(&krate)
}

/// Installs the subscriber for the whole process, writing through `writer`. A second call (a
/// test that already installed one) changes nothing.
pub fn init<W>(settings: &LogSettings, writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let format = tracing_subscriber::fmt::layer()
        .with_target(false)
        .without_time()
        .with_ansi(settings.ansi)
        .with_writer(Redacting(writer));
    let format = if settings.json {
        format.json().boxed()
    } else {
        format.boxed()
    };
    let _already_installed = tracing_subscriber::registry()
        .with(
            format
                .with_filter(settings.env_filter())
                .with_filter(filter_fn(admitted)),
        )
        .try_init();
}

/// A Lambda function's logging: [`LogSettings::for_lambda`] from the environment, to stdout.
pub fn init_lambda() {
    init(
        &LogSettings::for_lambda(|k| std::env::var(k).ok()),
        io::stdout,
    );
}

/// Wraps a writer so that each formatted line is scrubbed by [`redact`] before it is written.
pub struct Redacting<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter(self.0.make_writer())
    }
}

/// See [`Redacting`]. The formatter writes each event with one `write_all` of the whole line,
/// so each `write` sees a complete line and a secret is never split across two calls.
pub struct RedactingWriter<W>(W);

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Replaces credential-shaped values in a log line with `REDACTED`:
/// - the value of a query parameter that carries a credential or signature (`X-Amz-Signature`,
///   `X-Amz-Credential`, `X-Amz-Security-Token`, SigV2's `Signature` and `AWSAccessKeyId`,
///   OAuth's `access_token`, ...);
/// - the value of a field whose name says it holds a credential (`secretAccessKey`,
///   `sessionToken`, `accessKeyId`, `password`, `OAuthToken`, ... in camel, snake or Pascal case;
///   quoted, JSON-escaped or `name=value`);
/// - a URL's user information (`https://user:token@host` → `https://REDACTED@host`).
pub fn redact(line: &str) -> Cow<'_, str> {
    let lower = line.to_ascii_lowercase();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for name in SECRET_NAMES {
        let mut from = 0;
        while let Some(at) = lower[from..].find(name) {
            let start = from + at;
            from = start + name.len();
            if starts_word(&lower, start) {
                if let Some(value) = value_after(&lower, from) {
                    spans.push(value);
                }
            }
        }
    }
    let mut from = 0;
    while let Some(at) = lower[from..].find("://") {
        let authority = from + at + 3;
        from = authority;
        let end = lower[authority..]
            .find(['/', '?', '#', ' ', '"', '\\', '\'', '<', '>'])
            .map_or(lower.len(), |e| authority + e);
        if let Some(at_sign) = lower[authority..end].rfind('@') {
            spans.push((authority, authority + at_sign));
        }
    }
    if spans.is_empty() {
        return Cow::Borrowed(line);
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(line.len());
    let mut written = 0;
    for (start, end) in spans {
        if start < written {
            continue;
        }
        out.push_str(&line[written..start]);
        out.push_str("REDACTED");
        written = end;
    }
    out.push_str(&line[written..]);
    Cow::Owned(out)
}

/// Lower-case names (with their separators folded as they are written) whose values are
/// credentials. A name matches at a word start, so `x-amz-signature` does not also match as
/// `signature` inside it.
const SECRET_NAMES: [&str; 22] = [
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "signature",
    "awsaccesskeyid",
    "access_token",
    "refresh_token",
    "id_token",
    "private_token",
    "client_secret",
    "secretaccesskey",
    "secret_access_key",
    "sessiontoken",
    "session_token",
    "accesskeyid",
    "access_key_id",
    "password",
    "passwd",
    "oauthtoken",
    "oauth_token",
    "apikey",
    "api_key",
];

fn starts_word(lower: &str, at: usize) -> bool {
    lower[..at]
        .chars()
        .next_back()
        .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
}

/// The value after a name: skips closing quotes (plain or JSON-escaped), then `=` or `:`, then
/// spaces and opening quotes; the value runs to the next quote, backslash, separator or space.
/// `None` when no `=`/`:` follows (the name was mentioned, not assigned) or the value is empty.
fn value_after(lower: &str, mut at: usize) -> Option<(usize, usize)> {
    let bytes = lower.as_bytes();
    while at < bytes.len() && matches!(bytes[at], b'"' | b'\\' | b'\'') {
        at += 1;
    }
    if at >= bytes.len() || !matches!(bytes[at], b'=' | b':') {
        return None;
    }
    at += 1;
    while at < bytes.len() && matches!(bytes[at], b' ' | b'"' | b'\\' | b'\'') {
        at += 1;
    }
    let start = at;
    while at < bytes.len()
        && !matches!(
            bytes[at],
            b'"' | b'\\' | b'\'' | b'&' | b',' | b';' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'
        )
    {
        at += 1;
    }
    (at > start).then_some((start, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presigned_url_query_values_are_redacted_and_the_rest_kept() {
        let line = "url=https://cfn.s3.amazonaws.com/arn/req?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F2026&X-Amz-Signature=abc123 done";
        assert_eq!(
            redact(line),
            "url=https://cfn.s3.amazonaws.com/arn/req?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED done"
        );
    }

    #[test]
    fn credentials_in_json_text_and_escaped_json_are_redacted() {
        let json = r#"{"accessKeyId":"ASIAX","secretAccessKey":"s3cr3t","sessionToken":"tok"}"#;
        assert_eq!(
            redact(json),
            r#"{"accessKeyId":"REDACTED","secretAccessKey":"REDACTED","sessionToken":"REDACTED"}"#
        );
        let escaped = r#"{"body":"{\"OAuthToken\": \"ghp_x\", \"Owner\":\"me\"}"}"#;
        assert_eq!(
            redact(escaped),
            r#"{"body":"{\"OAuthToken\": \"REDACTED\", \"Owner\":\"me\"}"}"#
        );
        let debug = r#"Credentials { access_key_id: "AKIA", secret_access_key: "x" }"#;
        assert_eq!(
            redact(debug),
            r#"Credentials { access_key_id: "REDACTED", secret_access_key: "REDACTED" }"#
        );
    }

    #[test]
    fn url_user_information_is_redacted() {
        assert_eq!(
            redact("source https://ci:ghp_tok@github.com/org/repo.git?x=1"),
            "source https://REDACTED@github.com/org/repo.git?x=1"
        );
        assert_eq!(
            redact("clone git@github.com:org/repo.git"),
            "clone git@github.com:org/repo.git"
        );
    }

    #[test]
    fn names_mentioned_without_a_value_and_lookalike_names_are_left_alone() {
        for line in [
            "the signature was checked",
            "bucket=my-password-store",
            "x_signature_count=3",
            "no secrets here",
        ] {
            assert_eq!(redact(line), line);
        }
    }

    #[test]
    fn dependencies_are_cut_at_trace_and_own_crates_are_not() {
        assert!(!admits(
            Level::TRACE,
            "lambda_runtime::layers::api_response"
        ));
        assert!(!admits(
            Level::TRACE,
            "aws_smithy_runtime::client::orchestrator"
        ));
        assert!(admits(
            Level::DEBUG,
            "aws_smithy_runtime::client::orchestrator"
        ));
        assert!(admits(Level::TRACE, "artifact_guard::live::gather"));
        assert!(admits(Level::TRACE, "config_rule::handler"));
        assert!(!admits(Level::TRACE, "artifact_guardian"));
    }

    #[test]
    fn lambda_settings_follow_the_advanced_logging_controls() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let s = LogSettings::for_lambda(env(&[
            ("AWS_LAMBDA_LOG_LEVEL", "TRACE"),
            ("RUST_LOG", "warn"),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ]));
        assert_eq!(
            s,
            LogSettings {
                directives: "TRACE".into(),
                json: true,
                ansi: false,
                default_level: LevelFilter::INFO,
            }
        );
        let s = LogSettings::for_lambda(env(&[("RUST_LOG", "config_rule=debug")]));
        assert_eq!(
            (s.directives.as_str(), s.json),
            ("config_rule=debug", false)
        );
        assert_eq!(LogSettings::for_lambda(env(&[])).directives, "info");
        let s =
            LogSettings::for_lambda(env(&[("AWS_LAMBDA_LOG_LEVEL", ""), ("RUST_LOG", "trace")]));
        assert_eq!(s.directives, "trace", "an empty variable counts as unset");
        assert_eq!(
            LogSettings::for_lambda(env(&[("AWS_LAMBDA_LOG_LEVEL", "TRACE")]))
                .env_filter()
                .max_level_hint(),
            Some(LevelFilter::TRACE)
        );
    }

    #[test]
    fn the_cli_colours_only_a_terminal_without_no_color() {
        let none = |_: &str| None;
        assert!(LogSettings::for_cli(none, true).ansi);
        assert!(!LogSettings::for_cli(none, false).ansi);
        let no_color = |k: &str| (k == "NO_COLOR").then(|| "1".to_owned());
        assert!(!LogSettings::for_cli(no_color, true).ansi);
        let empty = |k: &str| (k == "NO_COLOR").then(String::new);
        assert!(LogSettings::for_cli(empty, true).ansi);
    }
}
