//! Sessions in other accounts: the organization pattern, where a central function assumes an
//! execution role that each member account grants it. A session is everything the function
//! reads and writes in one account, with that account's own scope cache (scope is per account:
//! one account's pipelines never put another's bucket in scope).

use std::sync::Arc;

use super::ScopeCache;

/// One account's readers, evaluation sink and scope cache.
pub struct Session<S, E> {
    /// The account's facts.
    pub sources: S,
    /// Where the account's evaluations go (`PutEvaluations` must be called in the account whose
    /// rule sent the result token).
    pub sink: E,
    /// The account's scope index, reused across warm invocations.
    pub scope_cache: ScopeCache,
}

/// A role that could not be assumed: names the role and account, and says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "sts:AssumeRole of {role_arn} failed ({reason}); in account {account}, the role must exist \
     and its trust policy must allow sts:AssumeRole to this function's role (deploy the member \
     template, org/member.yaml, to the account)"
)]
pub struct SessionError {
    /// The role's ARN.
    pub role_arn: String,
    /// The account it is in.
    pub account: String,
    /// What STS answered.
    pub reason: String,
}

/// Whatever a function keeps per member account (its clients), by the role it assumed there;
/// cached across warm invocations until shortly before the credentials expire.
// Used through generics only, never as a trait object.
#[allow(async_fn_in_trait)]
pub trait AccountSessions {
    /// One account's clients: the Config rule's [`Session`], the pipeline check's readers and
    /// transition control.
    type Session;

    /// The session of `role_arn` in `account`.
    async fn session(
        &self,
        role_arn: &str,
        account: &str,
    ) -> Result<Arc<Self::Session>, SessionError>;

    /// `sts:AssumeRole` calls made so far.
    fn assumed(&self) -> u64;
}

/// No sessions in other accounts (a single-account deployment): every role is refused.
pub struct NoSessions<T>(std::marker::PhantomData<fn() -> T>);

impl<T> Default for NoSessions<T> {
    fn default() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<T> AccountSessions for NoSessions<T> {
    type Session = T;

    async fn session(&self, role_arn: &str, account: &str) -> Result<Arc<T>, SessionError> {
        Err(SessionError {
            role_arn: role_arn.to_owned(),
            account: account.to_owned(),
            reason: "this deployment assumes no roles".into(),
        })
    }

    fn assumed(&self) -> u64 {
        0
    }
}

/// Sessions given up front, by role ARN, recording every role asked for: a port
/// implementation for handler tests (and any tool that already holds its clients). A role it
/// was not given cannot be assumed.
pub struct FixedSessions<T> {
    /// The sessions, by role ARN.
    pub sessions: std::collections::HashMap<String, Arc<T>>,
    /// Every role asked for, in order.
    pub asked: std::sync::Mutex<Vec<String>>,
}

impl<T> Default for FixedSessions<T> {
    fn default() -> Self {
        Self {
            sessions: std::collections::HashMap::new(),
            asked: std::sync::Mutex::new(Vec::new()),
        }
    }
}

impl<T> FixedSessions<T> {
    /// The roles asked for so far.
    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

impl<T> AccountSessions for FixedSessions<T> {
    type Session = T;

    async fn session(&self, role_arn: &str, account: &str) -> Result<Arc<T>, SessionError> {
        if let Ok(mut asked) = self.asked.lock() {
            asked.push(role_arn.to_owned());
        }
        self.sessions
            .get(role_arn)
            .cloned()
            .ok_or_else(|| SessionError {
                role_arn: role_arn.to_owned(),
                account: account.to_owned(),
                reason: "AccessDenied: not authorized to perform sts:AssumeRole".into(),
            })
    }

    fn assumed(&self) -> u64 {
        self.asked().len() as u64
    }
}

/// The function's own account and partition, learned from its ARN
/// (`arn:<partition>:lambda:<region>:<account>:function:<name>`) on the first invocation.
#[derive(Debug, Default)]
pub struct Home(std::sync::OnceLock<(String, String)>);

impl Home {
    /// A home known in advance (tests, the CLI).
    pub fn known(account: &str, partition: &str) -> Self {
        let home = Self::default();
        let _ = home.0.set((account.to_owned(), partition.to_owned()));
        home
    }

    /// Learns the home from the invoked function's ARN; later calls change nothing.
    pub fn learn(&self, function_arn: &str) {
        let parts: Vec<&str> = function_arn.split(':').collect();
        if parts.len() >= 5 && parts[0] == "arn" && is_account_id(parts[4]) {
            let _ = self.0.set((parts[4].to_owned(), parts[1].to_owned()));
        }
    }

    pub fn account(&self) -> Option<&str> {
        self.0.get().map(|(a, _)| a.as_str())
    }

    pub fn partition(&self) -> Option<&str> {
        self.0.get().map(|(_, p)| p.as_str())
    }
}

/// Twelve digits: what an AWS account id is.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}
