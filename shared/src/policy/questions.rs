//! The three questions the bucket controls ask of a bucket policy.
//!
//! Each question names an action (one action, or every S3 action), the bucket's objects, every
//! principal, and a set of request contexts that must all be denied. A context is denied when
//! some `Deny` statement certainly applies to it: principal `*`, an action set and resource set
//! that cover the question, and conditions that are certainly true there. Different statements
//! may cover different contexts, so a requirement can be met by their union. Allows never
//! matter: an explicit deny wins over any allow.

use std::fmt;

use super::condition::{KeyValue, Truth};
use super::{Effect, Policy, Principals, Statement};

/// Header values: absent, the two S3 accepts besides KMS, and the two KMS forms. The first
/// three are "anything but KMS".
const SSE: [Option<&str>; 5] = [
    None,
    Some("AES256"),
    Some("aws:fsx"),
    Some("aws:kms"),
    Some("aws:kms:dsse"),
];
const SSE_NOT_KMS: std::ops::Range<u8> = 0..3;
const SSE_ANY: std::ops::Range<u8> = 0..5;
/// Plain HTTP (`aws:SecureTransport` false, no TLS version), then TLS 1.0 to 1.3.
const TLS: [Option<&str>; 5] = [None, Some("1.0"), Some("1.1"), Some("1.2"), Some("1.3")];
const PLAIN_HTTP: u8 = 0;
const ANY_TRANSPORT: std::ops::Range<u8> = 0..5;
const OLD_TLS: std::ops::Range<u8> = 1..3;

/// One class of request, as seen by the condition keys artifact-guard models: indexes into
/// [`SSE`] and [`TLS`], two bytes, so that a [`Gap`] stays small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RequestClass {
    sse: u8,
    transport: u8,
}

impl RequestClass {
    fn all(sse: std::ops::Range<u8>, transport: std::ops::Range<u8>) -> impl Iterator<Item = Self> {
        sse.flat_map(move |sse| {
            transport
                .clone()
                .map(move |transport| Self { sse, transport })
        })
    }

    fn sse(self) -> Option<&'static str> {
        SSE[usize::from(self.sse)]
    }

    fn tls_version(self) -> Option<&'static str> {
        TLS[usize::from(self.transport)]
    }

    fn value_of(self, key: &str) -> KeyValue<'static> {
        match key {
            "s3:x-amz-server-side-encryption" => {
                self.sse().map_or(KeyValue::Absent, KeyValue::Present)
            }
            "aws:securetransport" => KeyValue::Present(if self.transport == PLAIN_HTTP {
                "false"
            } else {
                "true"
            }),
            "s3:tlsversion" => self
                .tls_version()
                .map_or(KeyValue::Absent, KeyValue::Present),
            _ => KeyValue::Unmodelled,
        }
    }

    fn describe(self) -> String {
        let sse = match self.sse() {
            None => "without an x-amz-server-side-encryption header".to_owned(),
            Some(v) => format!("with x-amz-server-side-encryption {v}"),
        };
        let transport = match self.tls_version() {
            None => "over plain HTTP".to_owned(),
            Some(v) => format!("over TLS {v}"),
        };
        format!("{sse} {transport}")
    }
}

/// Which question a gap answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Question {
    UnencryptedUploads,
    InsecureTransport,
    OldTls,
}

/// Why a question is not answered "denied": the first request class that is not certainly
/// denied, and the condition key that left it undecided, if any. Kept small (the class is an
/// index) because every bucket of a snapshot carries three of these; the text is made on demand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    question: Question,
    class: RequestClass,
    undecided: Option<Box<str>>,
}

impl fmt::Display for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let action = match self.question {
            Question::UnencryptedUploads => "s3:PutObject",
            Question::InsecureTransport | Question::OldTls => "every S3 action",
        };
        write!(
            f,
            "{action} {} is not denied to every principal on every object",
            self.class.describe()
        )?;
        if let Some(key) = &self.undecided {
            write!(
                f,
                " (a Deny conditioned on {key} cannot be decided, so it does not count)"
            )?;
        }
        Ok(())
    }
}

/// The answer to one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyVerdict {
    /// Every context the question names is denied.
    Denied,
    /// The bucket has no policy, so nothing is denied.
    NoPolicy,
    /// At least one context is not certainly denied.
    NotDenied(Gap),
}

impl PolicyVerdict {
    /// True for [`PolicyVerdict::Denied`].
    pub fn is_denied(&self) -> bool {
        matches!(self, Self::Denied)
    }
}

impl fmt::Display for PolicyVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Denied => f.write_str("denied by the bucket policy"),
            Self::NoPolicy => f.write_str("the bucket has no bucket policy"),
            Self::NotDenied(gap) => gap.fmt(f),
        }
    }
}

/// The answers to the three questions, computed once per policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyAnswers {
    /// Is `s3:PutObject` without SSE-KMS denied to everyone on every object?
    pub unencrypted_uploads: PolicyVerdict,
    /// Is every S3 action over plain HTTP denied to everyone on every object?
    pub insecure_transport: PolicyVerdict,
    /// Is every S3 action over TLS 1.0/1.1 denied to everyone on every object?
    pub old_tls: PolicyVerdict,
}

impl PolicyAnswers {
    /// The answers for a bucket without a policy: nothing is denied.
    pub fn no_policy() -> Self {
        Self {
            unencrypted_uploads: PolicyVerdict::NoPolicy,
            insecure_transport: PolicyVerdict::NoPolicy,
            old_tls: PolicyVerdict::NoPolicy,
        }
    }

    /// Asks the three questions of `policy` for the objects of `bucket_arn`
    /// (`arn:<partition>:s3:::<name>`).
    pub fn of(policy: &Policy, bucket_arn: &str) -> Self {
        let objects = format!("{bucket_arn}/");
        let denies: Vec<&Statement> = policy
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Deny && s.principals == Principals::Everyone)
            .filter(|s| s.resources.applies_to_all_with_prefix(&objects))
            .collect();
        let put_object: Vec<&Statement> = denies
            .iter()
            .copied()
            .filter(|s| s.actions.applies_to("s3:putobject"))
            .collect();
        let every_action: Vec<&Statement> = denies
            .iter()
            .copied()
            .filter(|s| s.actions.applies_to_all_with_prefix("s3:"))
            .collect();

        let uploads = RequestClass::all(SSE_NOT_KMS, ANY_TRANSPORT);
        let plain_http = RequestClass::all(SSE_ANY, PLAIN_HTTP..PLAIN_HTTP + 1);
        let old_tls = RequestClass::all(SSE_ANY, OLD_TLS);
        Self {
            unencrypted_uploads: verdict(&put_object, uploads, Question::UnencryptedUploads),
            insecure_transport: verdict(&every_action, plain_http, Question::InsecureTransport),
            old_tls: verdict(&every_action, old_tls, Question::OldTls),
        }
    }
}

fn verdict(
    statements: &[&Statement],
    classes: impl Iterator<Item = RequestClass>,
    question: Question,
) -> PolicyVerdict {
    for class in classes {
        let mut undecided: Option<&str> = None;
        let denied = statements.iter().any(|s| match applies(s, class) {
            Ok(applies) => applies,
            Err(key) => {
                undecided.get_or_insert(key);
                false
            }
        });
        if !denied {
            return PolicyVerdict::NotDenied(Gap {
                question,
                class,
                undecided: undecided.map(Box::from),
            });
        }
    }
    PolicyVerdict::Denied
}

/// `Ok(true)` when every condition certainly holds, `Ok(false)` when one certainly fails,
/// `Err(key)` when the answer hangs on a condition the model cannot decide.
fn applies(statement: &Statement, class: RequestClass) -> Result<bool, &str> {
    let mut undecided = None;
    for condition in &statement.conditions {
        match condition.evaluate(class.value_of(&condition.key)) {
            Truth::True => {}
            Truth::False => return Ok(false),
            Truth::Unknown => {
                undecided.get_or_insert(condition.key.as_str());
            }
        }
    }
    undecided.map_or(Ok(true), Err)
}
