//! Text scanners for pipeline controls: credentials in URLs, secret-named settings, e-mail
//! addresses. They report *what kind* of problem sits *where*, never the matched text: findings
//! end up in logs and on the Config dashboard, and must not repeat a secret or an address.

/// Why a URL carries credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UrlCredential {
    /// `user:secret@host`.
    Password,
    /// A token used as the user name (`ghp_…@`, `x-access-token:…@`).
    TokenUser,
    /// A query parameter that names a secret (`?access_token=`).
    SecretQuery(&'static str),
}

impl UrlCredential {
    pub(crate) fn describe(self) -> String {
        match self {
            Self::Password => "a URL with a password in its user information".into(),
            Self::TokenUser => "a URL with a token as its user name".into(),
            Self::SecretQuery(p) => format!("a URL with a secret in its {p} query parameter"),
        }
    }
}

const TOKEN_PREFIXES: [&str; 10] = [
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "x-access-token",
    "x-token-auth",
    "oauth2",
];

const SECRET_QUERY: [&str; 15] = [
    "access_token",
    "token",
    "auth_token",
    "private_token",
    "password",
    "passwd",
    "pwd",
    "secret",
    "client_secret",
    "api_key",
    "apikey",
    "sig",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
];

/// Every URL (`scheme://…`) in `text` that carries credentials.
pub(crate) fn url_credentials(text: &str) -> Option<UrlCredential> {
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let after = &rest[pos + 3..];
        let scheme_ok = rest[..pos]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | ','))
            .unwrap_or(after.len());
        if scheme_ok {
            if let Some(found) = credential_in_url(&after[..end]) {
                return Some(found);
            }
        }
        rest = &after[end..];
    }
    None
}

fn credential_in_url(url: &str) -> Option<UrlCredential> {
    let authority_end = url.find(['/', '?', '#']).unwrap_or(url.len());
    let authority = &url[..authority_end];
    if let Some((userinfo, _host)) = authority.rsplit_once('@') {
        if let Some((_user, password)) = userinfo.split_once(':') {
            if !password.is_empty() {
                return Some(UrlCredential::Password);
            }
        }
        if looks_like_token(userinfo) {
            return Some(UrlCredential::TokenUser);
        }
    }
    let query = url[authority_end..].split_once('?').map(|(_, q)| q)?;
    let query = query.split('#').next().unwrap_or_default();
    for pair in query.split(['&', ';']) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if value.is_empty() || value.chars().all(|c| c == '*') {
            continue;
        }
        if let Some(p) = SECRET_QUERY.iter().find(|p| name.eq_ignore_ascii_case(p)) {
            return Some(UrlCredential::SecretQuery(p));
        }
    }
    None
}

fn looks_like_token(user: &str) -> bool {
    let lower = user.to_ascii_lowercase();
    if TOKEN_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return true;
    }
    // A long, mixed letter-and-digit user name is a token, not a login such as `git`.
    user.len() >= 24
        && user.chars().any(|c| c.is_ascii_digit())
        && user.chars().any(|c| c.is_ascii_alphabetic())
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}

/// True when a configuration key names a secret (`OAuthToken`, `GitHubToken`, `DbPassword`…).
pub(crate) fn names_secret(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    [
        "token",
        "password",
        "passwd",
        "secret",
        "apikey",
        "api_key",
        "privatekey",
        "private_key",
    ]
    .iter()
    .any(|s| lower.ends_with(s))
}

/// True when an environment-variable name says it holds a secret. Names that point at a secret
/// elsewhere (`…_ARN`, `…_ID`, `…_NAME`, `…_PATH`) do not.
pub(crate) fn env_name_says_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let words: Vec<&str> = upper.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    if matches!(
        words.last(),
        Some(&("ARN" | "ID" | "NAME" | "PATH" | "URL" | "FILE"))
    ) {
        return false;
    }
    words.iter().any(|w| {
        matches!(
            *w,
            "TOKEN" | "PASSWORD" | "PASSWD" | "PWD" | "SECRET" | "APIKEY" | "CREDENTIALS"
        )
    }) || upper.contains("API_KEY")
        || upper.contains("PRIVATE_KEY")
        || upper.contains("SECRET_ACCESS_KEY")
}

/// True when a value is not a secret in plain text: masked, a dynamic reference, a variable.
pub(crate) fn is_reference_or_masked(value: &str) -> bool {
    let v = value.trim();
    v.is_empty()
        || v.chars().all(|c| c == '*')
        || (v.starts_with("{{resolve:") && v.ends_with("}}"))
        || (v.starts_with("#{") && v.ends_with('}'))
        || (v.starts_with("${") && v.ends_with('}'))
}

/// The name of the first PLAINTEXT variable whose name says secret, in CodeBuild's
/// `EnvironmentVariables` JSON.
pub(crate) fn plaintext_secret_variable(json: &str) -> Result<Option<String>, &'static str> {
    if is_reference_or_masked(json) {
        return Ok(None);
    }
    let list: serde_json::Value = serde_json::from_str(json).map_err(|_| "is not valid JSON")?;
    let list = list.as_array().ok_or("is not a JSON list")?;
    for var in list {
        let text = |k: &str| var.get(k).and_then(serde_json::Value::as_str);
        let (name, value) = (
            text("name").unwrap_or_default(),
            text("value").unwrap_or_default(),
        );
        if text("type")
            .unwrap_or("PLAINTEXT")
            .eq_ignore_ascii_case("PLAINTEXT")
            && env_name_says_secret(name)
            && !is_reference_or_masked(value)
            && !value.starts_with("arn:")
        {
            return Ok(Some(name.to_owned()));
        }
    }
    Ok(None)
}

/// True when `text` holds an e-mail address (`local@domain.tld`). A lone `@` is not one.
pub(crate) fn contains_email(text: &str) -> bool {
    let bytes = text.as_bytes();
    for (at, _) in text.match_indices('@') {
        let local = bytes[..at]
            .iter()
            .rev()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b))
            .count();
        if local == 0 {
            continue;
        }
        let domain: &str = {
            let tail = &text[at + 1..];
            let len = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
                .unwrap_or(tail.len());
            tail[..len].trim_end_matches(['.', '-'])
        };
        let labels: Vec<&str> = domain.split('.').collect();
        let tld_ok = labels
            .last()
            .is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
        if labels.len() >= 2 && tld_ok && labels.iter().all(|l| !l.is_empty()) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_credentials_in_urls() {
        assert_eq!(
            url_credentials("https://bob:hunter2@git.example.com/r.git"),
            Some(UrlCredential::Password)
        );
        assert_eq!(
            url_credentials(
                "clone https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r"
            ),
            Some(UrlCredential::TokenUser)
        );
        assert_eq!(
            url_credentials("https://x-access-token:abc@github.com/o/r"),
            Some(UrlCredential::Password)
        );
        assert_eq!(
            url_credentials("https://glpat-abcdefghij@gitlab.com/o/r"),
            Some(UrlCredential::TokenUser)
        );
        assert_eq!(
            url_credentials("https://api.example.com/hook?access_token=abc123"),
            Some(UrlCredential::SecretQuery("access_token"))
        );
        assert_eq!(
            url_credentials(
                "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4&X-Amz-Signature=deadbeef"
            ),
            Some(UrlCredential::SecretQuery("x-amz-signature"))
        );
        assert_eq!(
            url_credentials("https://h/p?Token=t1#frag"),
            Some(UrlCredential::SecretQuery("token"))
        );
    }

    #[test]
    fn leaves_plain_urls_and_bare_users_alone() {
        for ok in [
            "git@github.com:org/repo.git",
            "ssh://git@host.example.com/org/repo",
            "https://github.com/org/repo",
            "https://user@host.example.com/path",
            "https://h/p?token=",
            "https://h/p?token=****",
            "https://h/p?page=2&sort=asc",
            "no url here at all",
            "://starts-with-separator:secret@host",
        ] {
            assert_eq!(url_credentials(ok), None, "{ok}");
        }
    }

    #[test]
    fn secret_names_and_values() {
        assert!(names_secret("OAuthToken"));
        assert!(names_secret("WebhookSecret"));
        assert!(names_secret("DbPassword"));
        assert!(!names_secret("Owner"));
        assert!(!names_secret("ConnectionArn"));
        assert!(env_name_says_secret("GITHUB_TOKEN"));
        assert!(env_name_says_secret("AWS_SECRET_ACCESS_KEY"));
        assert!(env_name_says_secret("db-password"));
        assert!(!env_name_says_secret("TOKEN_SECRET_ARN"));
        assert!(!env_name_says_secret("STAGE"));
        assert!(is_reference_or_masked("****"));
        assert!(is_reference_or_masked(
            "{{resolve:secretsmanager:gh:SecretString:token}}"
        ));
        assert!(is_reference_or_masked("#{SourceVariables.CommitId}"));
        assert!(!is_reference_or_masked("ghp_plaintext"));
    }

    #[test]
    fn finds_email_addresses_but_not_lone_at_signs() {
        assert!(contains_email("owner jane.doe+ci@example.co.uk"));
        assert!(contains_email("a@b.io"));
        for ok in [
            "deploy@prod",
            "@team",
            "v1@2",
            "user@host.1",
            "name@",
            "release-@-stage",
        ] {
            assert!(!contains_email(ok), "{ok}");
        }
    }
}
