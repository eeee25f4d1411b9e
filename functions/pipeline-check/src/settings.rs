//! Settings from the environment, read once at init; a bad value stops the function at start
//! with a message that names the variable.

use artifact_guard::RuleParameters;

/// `MODE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Assess, log and notify (the default).
    Report,
    /// Also stop artifacts: disable stage transitions of a NON_COMPLIANT pipeline.
    Enforce,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub mode: Mode,
    /// `NOTIFY_TOPIC_ARN`: where findings are published, if set.
    pub notify_topic_arn: Option<String>,
    /// `RULE_PARAMETERS`: the same JSON as the Config rule's `InputParameters`.
    pub parameters: RuleParameters,
}

#[derive(Debug, thiserror::Error)]
#[error("environment variable {name} is invalid: {problem}")]
pub struct SettingsError {
    name: &'static str,
    problem: String,
}

impl Settings {
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let mode = match lookup("MODE").as_deref().map(str::trim) {
            None | Some("") | Some("report") => Mode::Report,
            Some("enforce") => Mode::Enforce,
            Some(other) => {
                return Err(SettingsError {
                    name: "MODE",
                    problem: format!("{other:?}; use report or enforce"),
                })
            }
        };
        let notify_topic_arn = match lookup("NOTIFY_TOPIC_ARN")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
        {
            Some(arn) if arn.starts_with("arn:") && arn.split(':').nth(2) == Some("sns") => {
                Some(arn)
            }
            Some(other) => {
                return Err(SettingsError {
                    name: "NOTIFY_TOPIC_ARN",
                    problem: format!("{other:?} is not an SNS topic ARN"),
                })
            }
            None => None,
        };
        let parameters = RuleParameters::from_json(&lookup("RULE_PARAMETERS").unwrap_or_default())
            .map_err(|e| SettingsError {
                name: "RULE_PARAMETERS",
                problem: e.to_string(),
            })?;
        Ok(Self {
            mode,
            notify_topic_arn,
            parameters,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bad_values() {
        let s = Settings::from_lookup(|_| None).unwrap();
        assert_eq!((s.mode, s.notify_topic_arn), (Mode::Report, None));
        let s = Settings::from_lookup(|k| match k {
            "MODE" => Some("enforce".into()),
            "NOTIFY_TOPIC_ARN" => Some("arn:aws:sns:eu-west-1:111122223333:artifact-guard".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.mode, Mode::Enforce);
        for (name, value) in [
            ("MODE", "block"),
            ("NOTIFY_TOPIC_ARN", "arn:aws:sqs:eu-west-1:1:q"),
            ("RULE_PARAMETERS", "{\"scope\":1}"),
        ] {
            let e = Settings::from_lookup(|k| (k == name).then(|| value.to_owned())).unwrap_err();
            assert!(e.to_string().contains(name), "{e}");
        }
    }
}
