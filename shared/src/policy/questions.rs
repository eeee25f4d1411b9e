//! The three questions the bucket controls ask of a bucket policy.
//!
//! Each question names actions (`s3:PutObject`, or every S3 action that applies to objects), the
//! bucket's objects, every principal, and the classes of request context that must all be
//! denied. A request is denied when some `Deny` statement certainly applies to it: principal
//! `*`, its action in the statement's `Action`/`NotAction`, its object in the statement's
//! `Resource`/`NotResource`, and conditions certainly true for its class. Statements combine
//! freely: for each class and each action, the statements that certainly apply are collected and
//! their resource elements must cover every object together, which [`coverage`] decides exactly.
//! Allows never matter: an explicit deny wins over any allow.
//!
//! [`coverage`]: super::coverage

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

// Every bucket policy of a snapshot is judged: foldhash rather than SipHash for these small maps.
use foldhash::fast::RandomState;

use serde::{Deserialize, Serialize};

use super::condition::{KeyValue, Truth};
use super::coverage::{objects_covered, Coverage};
use super::s3_actions::{self, OBJECT_ACTIONS, PUT_OBJECT};
use super::{Effect, NameSet, Policy, Principals, Statement};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
            // S3 takes this header only beside `aws:kms`/`aws:kms:dsse` (the user guide's
            // "Specifying server-side encryption with AWS KMS"); an upload without one, or
            // relying on default encryption, carries none. With KMS it may name any key or
            // none: the guide does not say what the context holds then, so it stays undecided.
            "s3:x-amz-server-side-encryption-aws-kms-key-id" => {
                if self.sse >= 3 {
                    KeyValue::Unmodelled
                } else {
                    KeyValue::Absent
                }
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

    fn write_sse(self, out: &mut String) {
        match self.sse() {
            None => out.push_str("without an x-amz-server-side-encryption header"),
            Some(v) => {
                out.push_str("with x-amz-server-side-encryption ");
                out.push_str(v);
            }
        }
    }

    fn write_transport(self, out: &mut String) {
        match self.tls_version() {
            None => out.push_str("over plain HTTP"),
            Some(v) => {
                out.push_str("over TLS ");
                out.push_str(v);
            }
        }
    }
}

/// Which question a gap answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Question {
    UnencryptedUploads,
    InsecureTransport,
    OldTls,
}

impl Question {
    fn classes(self) -> impl Iterator<Item = RequestClass> {
        match self {
            Self::UnencryptedUploads => RequestClass::all(SSE_NOT_KMS, ANY_TRANSPORT),
            Self::InsecureTransport => RequestClass::all(SSE_ANY, PLAIN_HTTP..PLAIN_HTTP + 1),
            Self::OldTls => RequestClass::all(SSE_ANY, OLD_TLS),
        }
    }

    fn actions(self) -> std::ops::Range<usize> {
        match self {
            Self::UnencryptedUploads => PUT_OBJECT..PUT_OBJECT + 1,
            Self::InsecureTransport | Self::OldTls => 0..OBJECT_ACTIONS.len(),
        }
    }
}

/// Why a question is not answered "denied": the first request that is not certainly denied,
/// described by what the question is about, and the element that left it open. Kept small
/// (indexes, and text only where a policy supplied it) because every bucket of a snapshot
/// carries three of these; the sentence is made on demand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    question: Question,
    class: RequestClass,
    /// The open request's action.
    action: u8,
    /// No action of the question is denied for this class (the detail then names none).
    every_action_open: bool,
    /// Whether the other request property matters (some other value of it is denied).
    other_property_matters: bool,
    /// The texts a policy supplied, boxed once so that the common gap (no statement at all)
    /// stays 16 bytes.
    texts: Option<Box<GapTexts>>,
}

/// The parts of a gap that come from the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct GapTexts {
    /// An object no applying statement covers, when some statement covers others.
    object: Option<Box<str>>,
    /// What could not be decided and so did not count: a condition key, a policy variable.
    undecided: Option<Box<str>>,
}

impl Gap {
    fn object(&self) -> Option<&str> {
        self.texts.as_ref().and_then(|t| t.object.as_deref())
    }

    fn undecided(&self) -> Option<&str> {
        self.texts.as_ref().and_then(|t| t.undecided.as_deref())
    }
}

#[cfg(test)]
impl Gap {
    /// The open request: SSE header, TLS version (none: plain HTTP), action, object (none:
    /// any), and whether something was undecided.
    pub(crate) fn witness(
        &self,
    ) -> (
        Option<&'static str>,
        Option<&'static str>,
        &'static str,
        Option<&str>,
        bool,
    ) {
        (
            self.class.sse(),
            self.class.tls_version(),
            OBJECT_ACTIONS[usize::from(self.action)],
            self.object(),
            self.undecided().is_some(),
        )
    }
}

impl Gap {
    /// The sentence a finding shows, appended piece by piece: it is written for every failing
    /// bucket of a snapshot, and `fmt` machinery cost several times the text's length.
    fn write(&self, out: &mut String) {
        let action = if self.every_action_open && self.question != Question::UnencryptedUploads {
            "S3 requests on objects"
        } else {
            OBJECT_ACTIONS[usize::from(self.action)]
        };
        match self.question {
            Question::UnencryptedUploads => {
                out.push_str("s3:PutObject ");
                self.class.write_sse(out);
                if self.other_property_matters {
                    out.push(' ');
                    self.class.write_transport(out);
                }
            }
            Question::InsecureTransport | Question::OldTls => {
                out.push_str(action);
                out.push(' ');
                self.class.write_transport(out);
                if self.other_property_matters {
                    out.push(' ');
                    self.class.write_sse(out);
                }
            }
        }
        out.push_str(" is not denied to every principal");
        match self.object() {
            Some(object) => {
                out.push_str(" (not on ");
                out.push_str(object);
                out.push(')');
            }
            None => out.push_str(" on the bucket's objects"),
        }
        if let Some(what) = self.undecided() {
            out.push_str("; a Deny that depends on ");
            out.push_str(what);
            out.push_str(" cannot be decided, so it does not count");
        }
    }
}

impl fmt::Display for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::with_capacity(256);
        self.write(&mut text);
        f.write_str(&text)
    }
}

/// The answer to one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyVerdict {
    /// Every request the question names is denied.
    Denied,
    /// The bucket has no policy, so nothing is denied.
    NoPolicy,
    /// At least one request is not certainly denied.
    NotDenied(Gap),
}

impl PolicyVerdict {
    /// True for [`PolicyVerdict::Denied`].
    pub fn is_denied(&self) -> bool {
        matches!(self, Self::Denied)
    }
}

impl PolicyVerdict {
    /// The verdict as a finding's detail: a fixed text, or the gap rendered once into a string
    /// sized for it (a gap's sentence is about 200 bytes; growing from empty cost a fifth of the
    /// engine's time in reallocations).
    pub fn describe(&self) -> Cow<'static, str> {
        match self {
            Self::Denied => Cow::Borrowed("denied by the bucket policy"),
            Self::NoPolicy => Cow::Borrowed("the bucket has no bucket policy"),
            Self::NotDenied(gap) => {
                let mut text = String::with_capacity(256);
                gap.write(&mut text);
                Cow::Owned(text)
            }
        }
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyAnswers {
    /// Is `s3:PutObject` without SSE-KMS denied to everyone on every object?
    pub unencrypted_uploads: PolicyVerdict,
    /// Is every S3 object action over plain HTTP denied to everyone on every object?
    pub insecure_transport: PolicyVerdict,
    /// Is every S3 object action over TLS 1.0/1.1 denied to everyone on every object?
    pub old_tls: PolicyVerdict,
    /// Whether any statement is an `Allow`: without one the policy grants no one anything.
    pub allows: bool,
    /// The policy's text when it has an `Allow` statement, for the questions asked per caller
    /// (`pipeline-key-grants`: may another account's role read and write the artifacts?).
    /// Policies of only Denies, the usual artifact store's, keep no text.
    pub document: Option<Box<str>>,
}

impl PolicyAnswers {
    /// The answers for a bucket without a policy: nothing is denied.
    pub fn no_policy() -> Self {
        Self {
            unencrypted_uploads: PolicyVerdict::NoPolicy,
            insecure_transport: PolicyVerdict::NoPolicy,
            old_tls: PolicyVerdict::NoPolicy,
            allows: false,
            document: None,
        }
    }

    /// Asks the three questions of `policy` for the objects of `bucket_arn`
    /// (`arn:<partition>:s3:::<name>`).
    pub fn of(policy: &Policy, bucket_arn: &str) -> Self {
        let mut judge = Judge::new(policy, format!("{bucket_arn}/"));
        Self {
            unencrypted_uploads: judge.verdict(Question::UnencryptedUploads),
            insecure_transport: judge.verdict(Question::InsecureTransport),
            old_tls: judge.verdict(Question::OldTls),
            allows: policy
                .statements
                .iter()
                .any(|s| s.effect == super::Effect::Allow),
            document: None,
        }
    }
}

/// Open request: an object left open (when some statement covers others) and what was
/// undecided.
type Open = (Option<String>, Option<String>);

/// Answers questions about one policy. Object actions whose action elements decide alike form
/// one group (usually two: `s3:PutObject` and the rest), and which unions of resource elements
/// cover the bucket's objects is remembered, so a policy costs a handful of coverage checks.
struct Judge<'p> {
    /// The `Deny` statements to every principal.
    denies: Vec<&'p Statement>,
    /// `Deny` statements to named principals or with `NotPrincipal`. Together they can deny
    /// everyone (`Principal` X with `NotPrincipal` X); artifact-guard does not combine
    /// principals, so where one could apply the gap says so instead of looking certain.
    partial: Vec<(&'p Statement, Vec<Truth>)>,
    /// For each object action, its group.
    group_of: Vec<usize>,
    /// For each group, whether each deny's action element applies to its actions.
    groups: Vec<Vec<Truth>>,
    prefix: String,
    covered: HashMap<Vec<usize>, Coverage, RandomState>,
}

impl<'p> Judge<'p> {
    fn new(policy: &'p Policy, prefix: String) -> Self {
        let denies: Vec<&Statement> = policy
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Deny && s.principals == Principals::Everyone)
            .collect();
        let partial = policy
            .statements
            .iter()
            .filter(|s| {
                s.effect == Effect::Deny
                    && matches!(s.principals, Principals::Some | Principals::AllBut)
            })
            .map(|s| {
                let actions = OBJECT_ACTIONS
                    .iter()
                    .map(|a| s.actions.applies_to(a))
                    .collect();
                (s, actions)
            })
            .collect();
        let mut groups: Vec<Vec<Truth>> = Vec::new();
        let group_of = s3_actions::lower_case()
            .iter()
            .map(|action| {
                let column: Vec<Truth> = denies
                    .iter()
                    .map(|s| s.actions.applies_to(action))
                    .collect();
                groups.iter().position(|g| *g == column).unwrap_or_else(|| {
                    groups.push(column);
                    groups.len() - 1
                })
            })
            .collect();
        Self {
            denies,
            partial,
            group_of,
            groups,
            prefix,
            covered: HashMap::default(),
        }
    }

    /// Each statement's conditions, decided for one class; with what left one undecided.
    fn conditions(&self, class: RequestClass) -> Vec<Result<bool, String>> {
        self.denies.iter().map(|s| applies(s, class)).collect()
    }

    fn verdict(&mut self, question: Question) -> PolicyVerdict {
        for class in question.classes() {
            let conditions = self.conditions(class);
            let mut by_group: HashMap<usize, Option<Open>, RandomState> = HashMap::default();
            let mut denied_actions = 0usize;
            let mut first_gap = None;
            for action in question.actions() {
                let group = self.group_of[action];
                let open = match by_group.get(&group) {
                    Some(open) if self.partial.is_empty() => open.clone(),
                    _ => {
                        let open = self.open_request(class, &conditions, action);
                        by_group.insert(group, open.clone());
                        open
                    }
                };
                match open {
                    None => denied_actions += 1,
                    Some(open) => {
                        first_gap.get_or_insert((action, open));
                    }
                }
            }
            let Some((action, (object, undecided))) = first_gap else {
                continue;
            };
            let other_property_matters = self.other_property_matters(question, class, action);
            return PolicyVerdict::NotDenied(Gap {
                question,
                class,
                action: u8::try_from(action).unwrap_or(u8::MAX),
                every_action_open: denied_actions == 0,
                other_property_matters,
                texts: (object.is_some() || undecided.is_some()).then(|| {
                    Box::new(GapTexts {
                        object: object.map(Box::from),
                        // A condition key or variable comes from the policy: repeated cut,
                        // like any input.
                        undecided: undecided.map(|u| crate::quote::cut(&u).into()),
                    })
                }),
            });
        }
        PolicyVerdict::Denied
    }

    /// `None` when every object is denied for this action and class; otherwise an object left
    /// open (when some statement covers others) and what was undecided.
    fn open_request(
        &mut self,
        class: RequestClass,
        conditions: &[Result<bool, String>],
        action: usize,
    ) -> Option<Open> {
        let group = self.group_of[action];
        let mut applying = Vec::new();
        let mut undecided: Option<String> = self
            .partial
            .iter()
            .any(|(s, actions)| actions[action] != Truth::False && applies(s, class) != Ok(false))
            .then(|| "its Principal element (named principals, or NotPrincipal)".to_owned());
        let column = &self.groups[group];
        for (i, (statement, condition)) in self.denies.iter().zip(conditions).enumerate() {
            match (column[i], condition) {
                (Truth::False, _) | (_, Ok(false)) => {}
                (Truth::True, Ok(true)) => applying.push(i),
                (Truth::Unknown, _) => {
                    undecided.get_or_insert_with(|| {
                        let var = statement.actions.variable().unwrap_or("a policy variable");
                        format!("{var} in its action element")
                    });
                }
                (Truth::True, Err(key)) => {
                    undecided.get_or_insert_with(|| key.clone());
                }
            }
        }
        let coverage = match self.covered.get(&applying) {
            Some(c) => c.clone(),
            None => {
                let sets: Vec<&NameSet> = applying
                    .iter()
                    .map(|&i| &self.denies[i].resources)
                    .collect();
                let c = objects_covered(&self.prefix, &sets);
                self.covered.insert(applying.clone(), c.clone());
                c
            }
        };
        match coverage {
            Coverage::Covered => None,
            Coverage::TooComplex => {
                Some((
                    None,
                    Some(undecided.unwrap_or_else(|| {
                        "resource patterns too many to compare exactly".to_owned()
                    })),
                ))
            }
            Coverage::Gap(object) => {
                let variable = applying
                    .iter()
                    .find_map(|&i| self.denies[i].resources.variable())
                    .map(|v| format!("{v} in its resource element"));
                let object = (!applying.is_empty()).then_some(object);
                Some((object, undecided.or(variable)))
            }
        }
    }

    /// Whether the request property the question does not range over by name (the transport
    /// for uploads, the encryption header for transport) decides the gap: some other value of
    /// it, for the same action, is denied.
    fn other_property_matters(
        &mut self,
        question: Question,
        class: RequestClass,
        action: usize,
    ) -> bool {
        let others: Vec<RequestClass> = match question {
            Question::UnencryptedUploads => ANY_TRANSPORT
                .map(|transport| RequestClass { transport, ..class })
                .collect(),
            Question::InsecureTransport | Question::OldTls => {
                SSE_ANY.map(|sse| RequestClass { sse, ..class }).collect()
            }
        };
        others.into_iter().filter(|o| *o != class).any(|other| {
            let conditions = self.conditions(other);
            self.open_request(other, &conditions, action).is_none()
        })
    }
}

/// `Ok(true)` when every condition certainly holds, `Ok(false)` when one certainly fails,
/// `Err(what)` when the answer hangs on a condition the model cannot decide.
fn applies(statement: &Statement, class: RequestClass) -> Result<bool, String> {
    let mut undecided = None;
    for condition in &statement.conditions {
        match condition.evaluate(class.value_of(&condition.key)) {
            Truth::True => {}
            Truth::False => return Ok(false),
            Truth::Unknown => {
                undecided.get_or_insert_with(|| match condition.variable() {
                    Some(var) => format!("{var} in a condition on {}", condition.key),
                    None => condition.key.clone(),
                });
            }
        }
    }
    undecided.map_or(Ok(true), Err)
}
