//! What a resource policy lets one named caller do: "may this role use the key, read and write
//! these objects?", asked of key and bucket policies by `pipeline-key-grants`.
//!
//! IAM's rule for one request (the IAM user guide's "Policy evaluation logic" and
//! "Cross-account policy evaluation logic"): an explicit `Deny` that applies wins; otherwise the
//! request needs an `Allow`. Across accounts the resource policy must allow the caller, by its
//! ARN or by its account (which delegates the decision to that account's IAM policies), and the
//! caller's own identity policies must allow it too. A KMS key policy is needed even within the
//! key's account: unless it names the account, no IAM policy can grant the key. So the answer
//! says how the caller is let in ([`Route`]): a grant through the account root still needs the
//! role's own policies, which the finding says.
//!
//! Three-valued as everywhere: an `Allow` counts only when it certainly applies; a `Deny` that
//! may apply leaves the answer undecided, naming the statement and what could not be decided.

use super::condition::{Identity, KeyValue, Truth};
use super::{Effect, Policy, Principals, Statement};

/// The caller: an IAM role (not a session of it) in an account.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// `arn:<partition>:iam::<account>:role/<path><name>`.
    pub role_arn: &'a str,
    /// The role's account.
    pub account: &'a str,
}

impl<'a> Caller<'a> {
    /// The caller for a role ARN, `None` when the text is not a role ARN.
    pub fn of_role(role_arn: &'a str) -> Option<Self> {
        let mut parts = role_arn.splitn(6, ':');
        let (Some("arn"), Some(_), Some("iam"), Some(""), Some(account), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let valid = account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource.starts_with("role/")
            && resource.len() > "role/".len();
        valid.then_some(Self { role_arn, account })
    }

    /// The role's name, without its path.
    fn role_name(&self) -> &'a str {
        self.role_arn.rsplit('/').next().unwrap_or(self.role_arn)
    }

    /// The partition, from the ARN.
    fn partition(&self) -> &'a str {
        self.role_arn.split(':').nth(1).unwrap_or("aws")
    }
}

/// One request the caller makes.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The action, e.g. `kms:Decrypt`.
    pub action: &'static str,
    /// The resource's ARN; `None` when not known, and then only a `Resource` of `*` certainly
    /// applies.
    pub resource: Option<&'a str>,
    /// What the request says about condition keys (lower case): a value when present, `None`
    /// when absent. Keys not listed are not modelled: a condition on them is undecided. The
    /// caller's account and ARN (`aws:PrincipalAccount`, `kms:CallerAccount`,
    /// `aws:PrincipalArn`) come from the [`Caller`].
    pub context: &'a [(&'static str, Option<&'a str>)],
}

/// What CodePipeline's roles ask of a store key: decrypt artifacts and make data keys for new
/// ones. The key is not named: key policies apply to their own key (`Resource` `*`).
pub fn key_use() -> [Request<'static>; 2] {
    ["kms:Decrypt", "kms:GenerateDataKey"].map(|action| Request {
        action,
        resource: None,
        context: &[],
    })
}

/// Reading an artifact: over TLS 1.2, no encryption header.
const ARTIFACT_READ: [(&str, Option<&str>); 3] = [
    ("s3:x-amz-server-side-encryption", None),
    ("aws:securetransport", Some("true")),
    ("s3:tlsversion", Some("1.2")),
];

/// Writing an artifact: over TLS 1.2, with SSE-KMS.
const ARTIFACT_WRITE: [(&str, Option<&str>); 3] = [
    ("s3:x-amz-server-side-encryption", Some("aws:kms")),
    ("aws:securetransport", Some("true")),
    ("s3:tlsversion", Some("1.2")),
];

/// Reading and writing the artifact `object` (an object ARN) as CodePipeline's roles do.
pub fn artifact_access(object: &str) -> [Request<'_>; 2] {
    [
        Request {
            action: "s3:GetObject",
            resource: Some(object),
            context: &ARTIFACT_READ,
        },
        Request {
            action: "s3:PutObject",
            resource: Some(object),
            context: &ARTIFACT_WRITE,
        },
    ]
}

/// How a certainly applying `Allow` names the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Route {
    /// By the role's ARN.
    Role,
    /// To every principal (`"*"`), under conditions that hold for the caller.
    Everyone,
    /// By the caller's account (its id or `:root` ARN): the role's own IAM policies must also
    /// allow it.
    AccountRoot,
}

/// The answer for a caller and a set of requests, all of which it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub(crate) truth: Truth,
    /// For a grant: the weakest route among the requests (a grant through the account root
    /// anywhere needs the role's own policies).
    pub route: Option<Route>,
    /// The action that decides a refusal or an undecided answer.
    pub action: Option<&'static str>,
    /// The statement behind a refusal (a `Deny`) or an undecided answer, by index.
    pub statement: Option<usize>,
    /// What could not be decided, for an undecided answer.
    pub undecided: Option<String>,
}

impl Grant {
    /// Every request is certainly allowed by the policy.
    pub fn granted(&self) -> bool {
        self.truth == Truth::True
    }

    /// Some request is certainly not allowed.
    pub fn refused(&self) -> bool {
        self.truth == Truth::False
    }
}

/// Does `policy` let `caller` make every one of `requests`?
pub fn grant(policy: &Policy, caller: Caller<'_>, requests: &[Request<'_>]) -> Grant {
    let mut answer = Grant {
        truth: Truth::True,
        route: None,
        action: None,
        statement: None,
        undecided: None,
    };
    for request in requests {
        let one = one_request(policy, caller, request);
        match one.truth {
            Truth::False => return one,
            Truth::Unknown if answer.truth == Truth::True => answer = one,
            Truth::Unknown => {}
            Truth::True if answer.truth == Truth::True => {
                answer.route = answer.route.max(one.route);
            }
            Truth::True => {}
        }
    }
    answer
}

fn one_request(policy: &Policy, caller: Caller<'_>, request: &Request<'_>) -> Grant {
    let mut certain_allow: Option<Route> = None;
    let mut maybe_allow: Option<(usize, String)> = None;
    let mut maybe_deny: Option<(usize, String)> = None;
    for (index, statement) in policy.statements.iter().enumerate() {
        let (truth, route, why) = applies(statement, caller, request);
        match (statement.effect, truth) {
            (_, Truth::False) => {}
            (Effect::Deny, Truth::True) => {
                return Grant {
                    truth: Truth::False,
                    route: None,
                    action: Some(request.action),
                    statement: Some(index),
                    undecided: None,
                }
            }
            (Effect::Deny, Truth::Unknown) => {
                maybe_deny = maybe_deny.or(Some((index, why)));
            }
            (Effect::Allow, Truth::True) => {
                // The strongest route wins: a statement naming the role beats the root.
                certain_allow = Some(certain_allow.map_or(route, |r| r.min(route)));
            }
            (Effect::Allow, Truth::Unknown) => {
                maybe_allow = maybe_allow.or(Some((index, why)));
            }
        }
    }
    let undecided = |(statement, why): (usize, String)| Grant {
        truth: Truth::Unknown,
        route: None,
        action: Some(request.action),
        statement: Some(statement),
        undecided: Some(why),
    };
    match (certain_allow, maybe_deny, maybe_allow) {
        (Some(route), None, _) => Grant {
            truth: Truth::True,
            route: Some(route),
            action: None,
            statement: None,
            undecided: None,
        },
        // Allowed unless an undecided Deny applies: that Deny is what is undecided.
        (Some(_), Some(deny), _) => undecided(deny),
        (None, _, Some(allow)) => undecided(allow),
        (None, _, None) => Grant {
            truth: Truth::False,
            route: None,
            action: Some(request.action),
            statement: None,
            undecided: None,
        },
    }
}

/// Does `statement` apply to the caller's `request`, and how does it name the caller?
fn applies(
    statement: &Statement,
    caller: Caller<'_>,
    request: &Request<'_>,
) -> (Truth, Route, String) {
    let (mut truth, route, mut why) = names(statement, caller);
    if truth == Truth::False {
        return (Truth::False, route, why);
    }
    let mut weigh = |t: Truth, reason: &dyn Fn() -> String| match t {
        Truth::False => false,
        Truth::Unknown => {
            if truth == Truth::True {
                truth = Truth::Unknown;
                why = reason();
            }
            true
        }
        Truth::True => true,
    };
    if !weigh(statement.actions.applies_to(request.action), &|| {
        statement.actions.variable().map_or_else(
            || "the action element".to_owned(),
            |v| format!("the action element's variable {v}"),
        )
    }) {
        return (Truth::False, route, String::new());
    }
    let resource = statement.resources.applies_to_resource(request.resource);
    if !weigh(resource, &|| "a Resource other than \"*\"".to_owned()) {
        return (Truth::False, route, String::new());
    }
    for condition in &statement.conditions {
        let value = match Identity::of_key(&condition.key) {
            Some(Identity::Account) => KeyValue::Present(caller.account),
            Some(Identity::PrincipalArn) => KeyValue::Present(caller.role_arn),
            Some(Identity::Organization | Identity::OrganizationPaths) => KeyValue::Unmodelled,
            None => match request.context.iter().find(|(k, _)| *k == condition.key) {
                Some((_, Some(v))) => KeyValue::Present(v),
                Some((_, None)) => KeyValue::Absent,
                None => KeyValue::Unmodelled,
            },
        };
        let key = &condition.key;
        if !weigh(condition.evaluate(value), &|| {
            format!("the condition on {key}")
        }) {
            return (Truth::False, route, String::new());
        }
    }
    (truth, route, why)
}

/// Does the statement's principal element take in the caller, and how?
fn names(statement: &Statement, caller: Caller<'_>) -> (Truth, Route, String) {
    let session_of_role = |name: &str| {
        // arn:<partition>:sts::<account>:assumed-role/<role name>/<session>
        let prefix = format!(
            "arn:{}:sts::{}:assumed-role/{}/",
            caller.partition(),
            caller.account,
            caller.role_name()
        );
        name.len() > prefix.len() && name[..prefix.len()].eq_ignore_ascii_case(&prefix)
    };
    match statement.principals {
        Principals::Everyone => (Truth::True, Route::Everyone, String::new()),
        // NotPrincipal: everyone but the names. Naming the role does not exempt its sessions
        // (the IAM user guide: a role's assumed-role session must be named); naming a session
        // exempts that session only, and which session CodePipeline uses is not known.
        Principals::AllBut => {
            if statement.named.iter().any(|n| session_of_role(n)) {
                (
                    Truth::Unknown,
                    Route::Everyone,
                    "NotPrincipal names a session of the role".to_owned(),
                )
            } else {
                (Truth::True, Route::Everyone, String::new())
            }
        }
        Principals::Some => {
            let root = format!("arn:{}:iam::{}:root", caller.partition(), caller.account);
            let mut found = (Truth::False, Route::Role, String::new());
            for name in statement.named.iter().map(|n| &**n) {
                if name.eq_ignore_ascii_case(caller.role_arn) {
                    return (Truth::True, Route::Role, String::new());
                }
                if name == caller.account || name == root {
                    found = (Truth::True, Route::AccountRoot, String::new());
                } else if session_of_role(name) && found.0 == Truth::False {
                    found = (
                        Truth::Unknown,
                        Route::Role,
                        format!("the principal {name}, one session of the role"),
                    );
                }
            }
            found
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod differential;
