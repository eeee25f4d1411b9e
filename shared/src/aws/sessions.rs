//! Sessions in other accounts through `sts:AssumeRole`, for the organization pattern.
//!
//! One `AssumeRole` per role and credential lifetime: a session is kept across warm
//! invocations and replaced when its credentials have less than [`REFRESH_BEFORE`] left. The
//! role is assumed when the session is made, not on its first read, so that a role that cannot
//! be assumed is reported as that, naming the role and account, before anything is judged.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::sts::AssumeRoleProvider;
use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_types::error::display::DisplayErrorContext;

use super::{AwsAccount, ConfigSink};
use crate::live::{AccountSessions, ScopeCache, Session, SessionError};

/// A session is replaced when its credentials have less than this left.
pub const REFRESH_BEFORE: Duration = Duration::from_secs(5 * 60);

/// Credentials without an expiry (never from STS) are kept this long.
const ASSUMED_LIFETIME: Duration = Duration::from_secs(15 * 60);

type Cached<T> = (Arc<T>, SystemTime);

/// Whatever a function keeps per account (its clients), made from an assumed role's
/// configuration and cached by role.
pub struct RoleCache<T> {
    base: SdkConfig,
    session_name: String,
    make: fn(&SdkConfig) -> T,
    sessions: Mutex<HashMap<String, Cached<T>>>,
    assumed: AtomicU64,
}

/// The Config rule's sessions: readers, evaluation sink and scope cache per member account.
pub type AssumedRoles = RoleCache<Session<AwsAccount, ConfigSink>>;

impl AssumedRoles {
    /// Sessions assumed with the function's own credentials as `session_name`
    /// (`artifact-guard-config-rule`: it shows in the member's CloudTrail).
    pub fn new(base: &SdkConfig, session_name: &str) -> Self {
        Self::with_maker(base, session_name, |sdk| {
            let sources = AwsAccount::new(sdk);
            Session {
                sink: ConfigSink::new(sources.config_client().clone()),
                sources,
                scope_cache: ScopeCache::default(),
            }
        })
    }
}

impl<T> RoleCache<T> {
    /// A cache that makes each account's value with `make`.
    pub fn with_maker(base: &SdkConfig, session_name: &str, make: fn(&SdkConfig) -> T) -> Self {
        Self {
            base: base.clone(),
            session_name: session_name.to_owned(),
            make,
            sessions: Mutex::new(HashMap::new()),
            assumed: AtomicU64::new(0),
        }
    }

    fn cached(&self, role_arn: &str, now: SystemTime) -> Option<Arc<T>> {
        let sessions = self.sessions.lock().ok()?;
        let (session, expiry) = sessions.get(role_arn)?;
        (*expiry > now + REFRESH_BEFORE).then(|| session.clone())
    }

    /// The value for `role_arn` in `account`: cached, or made from a fresh `AssumeRole`.
    pub async fn get(&self, role_arn: &str, account: &str) -> Result<Arc<T>, SessionError> {
        let now = SystemTime::now();
        if let Some(session) = self.cached(role_arn, now) {
            return Ok(session);
        }
        let provider = AssumeRoleProvider::builder(role_arn)
            .session_name(&self.session_name)
            .configure(&self.base)
            .build()
            .await;
        self.assumed.fetch_add(1, Ordering::Relaxed);
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|e| SessionError {
                role_arn: role_arn.to_owned(),
                account: account.to_owned(),
                reason: DisplayErrorContext(&e).to_string(),
            })?;
        let expiry = credentials.expiry().unwrap_or(now + ASSUMED_LIFETIME);
        let sdk = self
            .base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build();
        let session = Arc::new((self.make)(&sdk));
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.insert(role_arn.to_owned(), (session.clone(), expiry));
        }
        tracing::info!(role = role_arn, account, "assumed the execution role");
        Ok(session)
    }

    /// `sts:AssumeRole` calls made so far.
    pub fn assumed(&self) -> u64 {
        self.assumed.load(Ordering::Relaxed)
    }
}

impl<T> AccountSessions for RoleCache<T> {
    type Session = T;

    async fn session(&self, role_arn: &str, account: &str) -> Result<Arc<T>, SessionError> {
        self.get(role_arn, account).await
    }

    fn assumed(&self) -> u64 {
        RoleCache::assumed(self)
    }
}
