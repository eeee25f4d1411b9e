//! The three questions the bucket controls ask of a bucket policy.
//!
//! Each question names an action (one action, or every S3 action), the bucket's objects, every
//! principal, and a set of request contexts that must all be denied. A context is denied when
//! some `Deny` statement certainly applies to it: principal `*`, an action set and resource set
//! that cover the question, and conditions that are certainly true there. Different statements
//! may cover different contexts, so a requirement can be met by their union. Allows never
//! matter: an explicit deny wins over any allow.

use super::condition::{KeyValue, Truth};
use super::{Effect, Policy, Principals, Statement};

/// One class of request, as seen by the condition keys artifact-guard models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RequestClass {
    /// `s3:x-amz-server-side-encryption`; `None` when the header is absent.
    sse: Option<&'static str>,
    /// `aws:SecureTransport`.
    secure_transport: bool,
    /// `s3:TlsVersion`; absent on plain HTTP.
    tls_version: Option<&'static str>,
}

impl RequestClass {
    fn value_of(&self, key: &str) -> KeyValue<'static> {
        match key {
            "s3:x-amz-server-side-encryption" => {
                self.sse.map_or(KeyValue::Absent, KeyValue::Present)
            }
            "aws:securetransport" => KeyValue::Present(if self.secure_transport {
                "true"
            } else {
                "false"
            }),
            "s3:tlsversion" => self.tls_version.map_or(KeyValue::Absent, KeyValue::Present),
            _ => KeyValue::Unmodelled,
        }
    }

    fn describe(&self) -> String {
        let sse = match self.sse {
            None => "without an x-amz-server-side-encryption header".to_owned(),
            Some(v) => format!("with x-amz-server-side-encryption {v}"),
        };
        let transport = match self.tls_version {
            None => "over plain HTTP".to_owned(),
            Some(v) => format!("over TLS {v}"),
        };
        format!("{sse} {transport}")
    }
}

/// Header values: absent, the two S3 accepts besides KMS, and the two KMS forms.
const SSE_ANY: [Option<&str>; 5] = [
    None,
    Some("AES256"),
    Some("aws:fsx"),
    Some("aws:kms"),
    Some("aws:kms:dsse"),
];
const SSE_NOT_KMS: [Option<&str>; 3] = [None, Some("AES256"), Some("aws:fsx")];
const TRANSPORTS: [(bool, Option<&str>); 5] = [
    (false, None),
    (true, Some("1.0")),
    (true, Some("1.1")),
    (true, Some("1.2")),
    (true, Some("1.3")),
];
const OLD_TLS: [(bool, Option<&str>); 2] = [(true, Some("1.0")), (true, Some("1.1"))];

/// The answer to one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyVerdict {
    /// Every context the question names is denied.
    Denied,
    /// At least one context is not certainly denied; the reason names the first one.
    NotDenied(Box<str>),
}

impl PolicyVerdict {
    /// True for [`PolicyVerdict::Denied`].
    pub fn is_denied(&self) -> bool {
        matches!(self, Self::Denied)
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
        let none = || PolicyVerdict::NotDenied("the bucket has no bucket policy".into());
        Self {
            unencrypted_uploads: none(),
            insecure_transport: none(),
            old_tls: none(),
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

        let uploads = SSE_NOT_KMS.iter().flat_map(|&sse| {
            TRANSPORTS
                .iter()
                .map(move |&(secure_transport, tls_version)| RequestClass {
                    sse,
                    secure_transport,
                    tls_version,
                })
        });
        let plain_http = SSE_ANY.iter().map(|&sse| RequestClass {
            sse,
            secure_transport: false,
            tls_version: None,
        });
        let old_tls = SSE_ANY.iter().flat_map(|&sse| {
            OLD_TLS
                .iter()
                .map(move |&(secure_transport, tls_version)| RequestClass {
                    sse,
                    secure_transport,
                    tls_version,
                })
        });
        Self {
            unencrypted_uploads: verdict(&put_object, uploads, "s3:PutObject", &objects),
            insecure_transport: verdict(&every_action, plain_http, "every S3 action", &objects),
            old_tls: verdict(&every_action, old_tls, "every S3 action", &objects),
        }
    }
}

fn verdict(
    statements: &[&Statement],
    classes: impl Iterator<Item = RequestClass>,
    action: &str,
    objects: &str,
) -> PolicyVerdict {
    for class in classes {
        let mut undecided: Option<&str> = None;
        let denied = statements.iter().any(|s| match applies(s, &class) {
            Ok(applies) => applies,
            Err(key) => {
                undecided.get_or_insert(key);
                false
            }
        });
        if !denied {
            let mut reason = format!(
                "{action} {} is not denied to every principal on {objects}*",
                class.describe()
            );
            if let Some(key) = undecided {
                reason.push_str(&format!(
                    " (a Deny conditioned on {key} cannot be decided, so it does not count)"
                ));
            }
            return PolicyVerdict::NotDenied(reason.into());
        }
    }
    PolicyVerdict::Denied
}

/// `Ok(true)` when every condition certainly holds, `Ok(false)` when one certainly fails,
/// `Err(key)` when the answer hangs on a condition the model cannot decide.
fn applies<'s>(statement: &'s Statement, class: &RequestClass) -> Result<bool, &'s str> {
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
