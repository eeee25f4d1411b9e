//! Settings from the environment, read once at init; a bad value stops the function at start
//! with a message that names the variable.

use std::time::Duration;

use artifact_guard::aws::CallLimits;
use artifact_guard::live::SCOPE_CACHE_TTL;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `CONCURRENCY`: reads in flight during a sweep (default 16).
    pub concurrency: usize,
    /// `SCOPE_CACHE_SECONDS`: how long the pipelines' store list is reused (default 300).
    pub scope_cache_ttl: Duration,
    /// `AWS_OPERATION_TIMEOUT_SECONDS`: per AWS operation, retries included (default 20).
    pub limits: CallLimits,
}

#[derive(Debug, thiserror::Error)]
#[error("environment variable {name}={value:?} is invalid: {problem}")]
pub struct SettingsError {
    name: &'static str,
    value: String,
    problem: &'static str,
}

impl Settings {
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let number =
            |name: &'static str, default: u64, min: u64, max: u64| -> Result<u64, SettingsError> {
                match lookup(name) {
                    None => Ok(default),
                    Some(value) => match value.trim().parse::<u64>() {
                        Ok(n) if (min..=max).contains(&n) => Ok(n),
                        _ => Err(SettingsError {
                            name,
                            value,
                            problem: "expected a whole number in range",
                        }),
                    },
                }
            };
        let limits = CallLimits {
            operation_timeout: Duration::from_secs(number(
                "AWS_OPERATION_TIMEOUT_SECONDS",
                20,
                1,
                600,
            )?),
            ..CallLimits::default()
        };
        Ok(Self {
            concurrency: usize::try_from(number("CONCURRENCY", 16, 1, 256)?).unwrap_or(16),
            scope_cache_ttl: Duration::from_secs(number(
                "SCOPE_CACHE_SECONDS",
                SCOPE_CACHE_TTL.as_secs(),
                0,
                3600,
            )?),
            limits,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bad_values() {
        let s = Settings::from_lookup(|_| None).unwrap();
        assert_eq!(s.concurrency, 16);
        assert_eq!(s.scope_cache_ttl, Duration::from_secs(300));
        let s = Settings::from_lookup(|k| (k == "CONCURRENCY").then(|| "4".into())).unwrap();
        assert_eq!(s.concurrency, 4);
        let e = Settings::from_lookup(|k| (k == "CONCURRENCY").then(|| "zero".into())).unwrap_err();
        assert!(e.to_string().contains("CONCURRENCY"), "{e}");
        let e = Settings::from_lookup(|k| (k == "SCOPE_CACHE_SECONDS").then(|| "99999".into()))
            .unwrap_err();
        assert!(e.to_string().contains("SCOPE_CACHE_SECONDS"), "{e}");
    }
}
