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

/// Query parameters that carry a credential or a signature by their documented formats, beyond
/// what [`names_secret`] finds in a parameter's name: AWS SigV4 presigned URLs (`X-Amz-…`), AWS
/// SigV2 query authentication (`AWSAccessKeyId`, `Signature`), OAuth 2.0 (RFC 6749/6750:
/// `access_token`, `refresh_token`, `id_token`, `client_secret`), Google Cloud Storage
/// signed URLs (`X-Goog-…`, `GoogleAccessId`), Azure shared access signatures (`sig`),
/// GitLab's `private_token`. Compared case-insensitively.
const SECRET_QUERY: [&str; 14] = [
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "awsaccesskeyid",
    "signature",
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "x-goog-signature",
    "x-goog-credential",
    "googleaccessid",
    "sig",
    "private_token",
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
        if names_secret(name) {
            return Some(UrlCredential::SecretQuery("secret-named"));
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

/// True when a name (a configuration key, an environment variable, a query parameter) says it
/// holds a secret, in any case and with any separators: `OAuthToken`, `GitHubToken`,
/// `DbPassword`, `DB_PASS`, `db-pwd`, `PASSWD`, `CREDENTIALS`, `API_KEY`, `apiKey`,
/// `PRIVATE_KEY`, `CLIENT_SECRET`, `AWS_SECRET_ACCESS_KEY`, `session_token`. The name is split
/// into words (at separators and at lower-to-upper case changes); a secret word, or a key word
/// after a qualifying one (`api key`, `private key`, `secret key`…), makes it secret. Names that
/// point at a secret kept elsewhere (ending in `ARN`, `ID`, `NAME`, `PATH`, `URL`, `FILE`,
/// `TYPE`, `ENABLED`) do not.
pub(crate) fn names_secret(name: &str) -> bool {
    let words = words(name);
    if matches!(
        words.last().map(String::as_str),
        Some(
            "arn"
                | "id"
                | "name"
                | "path"
                | "url"
                | "uri"
                | "file"
                | "type"
                | "enabled"
                | "length"
                | "policy"
        )
    ) {
        return false;
    }
    let secret_word = |w: &str| {
        matches!(
            w,
            "token"
                | "tokens"
                | "password"
                | "passwords"
                | "passwd"
                | "pwd"
                | "pass"
                | "passphrase"
                | "secret"
                | "secrets"
                | "credential"
                | "credentials"
                | "creds"
                | "apikey"
                | "privatekey"
                | "secretkey"
                | "accesstoken"
                | "authtoken"
                | "oauthtoken"
                | "connectionstring"
        )
    };
    let qualifies_key = |w: &str| {
        matches!(
            w,
            "api"
                | "private"
                | "secret"
                | "auth"
                | "access"
                | "signing"
                | "encryption"
                | "master"
                | "license"
        )
    };
    words.iter().any(|w| secret_word(w))
        || words
            .windows(2)
            .any(|pair| pair[1] == "key" && qualifies_key(&pair[0]))
        || words
            .windows(2)
            .any(|pair| pair[0] == "connection" && pair[1] == "string")
}

/// The lower-case words of a name: split at anything not a letter or digit, and where a lower
/// case letter or digit is followed by an upper case one (`OAuthToken` → `o`, `auth`, `token`;
/// `DBPassword` → `dbpassword`, unless a lower case follows: `DBPass` → `dbpass`).
fn words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous: Option<char> = None;
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            previous = None;
            continue;
        }
        let boundary = match previous {
            Some(p) if c.is_ascii_uppercase() => {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    // The last capital of a run starts the next word: `DBPassword`.
                    || (p.is_ascii_uppercase()
                        && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase()))
            }
            _ => false,
        };
        if boundary && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current.push(c.to_ascii_lowercase());
        previous = Some(c);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// True when an environment-variable name says it holds a secret: the same words as
/// [`names_secret`].
pub(crate) fn env_name_says_secret(name: &str) -> bool {
    names_secret(name)
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
        let tail = &text[at + 1..];
        let len = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
            .unwrap_or(tail.len());
        // `git@github.com:org/repo.git` is an SSH remote, not an address.
        if tail[len..].starts_with(':') {
            continue;
        }
        let domain = tail[..len].trim_end_matches(['.', '-']);
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
            Some(UrlCredential::SecretQuery("secret-named"))
        );
        // Documented formats: SigV2 query authentication, SigV4 presigned, OAuth 2.0, Google
        // Cloud Storage signed URLs, Azure SAS, GitLab.
        for (url, parameter) in [
            (
                "https://b.s3.amazonaws.com/k?AWSAccessKeyId=AKIA&Expires=1&Signature=abc",
                "awsaccesskeyid",
            ),
            (
                "https://b.s3.amazonaws.com/k?Expires=1&Signature=abc",
                "signature",
            ),
            (
                "https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA%2F2026",
                "x-amz-credential",
            ),
            (
                "https://b.s3.amazonaws.com/k?X-Amz-Security-Token=FQo",
                "x-amz-security-token",
            ),
            ("https://h/cb?refresh_token=r", "refresh_token"),
            ("https://h/cb?id_token=eyJ", "id_token"),
            ("https://h/cb?client_secret=s", "client_secret"),
            (
                "https://storage.googleapis.com/b/o?X-Goog-Signature=ab",
                "x-goog-signature",
            ),
            (
                "https://storage.googleapis.com/b/o?GoogleAccessId=sa&Signature=ab",
                "googleaccessid",
            ),
            ("https://a.blob.core.windows.net/c/b?sv=2022&sig=abc", "sig"),
            (
                "https://gitlab.com/api/v4/p?private_token=glpat",
                "private_token",
            ),
        ] {
            assert_eq!(
                url_credentials(url),
                Some(UrlCredential::SecretQuery(parameter)),
                "{url}"
            );
        }
        for url in [
            "https://h/p?api_key=k",
            "https://h/p?apiKey=k",
            "https://h/p?PASSWORD=k",
            "https://h/p?pwd=k",
            "https://h/p?session-token=k",
            "https://h/p?Credentials=k",
        ] {
            assert_eq!(
                url_credentials(url),
                Some(UrlCredential::SecretQuery("secret-named")),
                "{url}"
            );
        }
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
        // Any case, any separator.
        for name in [
            "PASS",
            "db_pass",
            "PWD",
            "db-pwd",
            "PASSWD",
            "CREDENTIAL",
            "Credentials",
            "API_KEY",
            "apiKey",
            "ApiKey",
            "api-key",
            "PRIVATE_KEY",
            "privateKey",
            "CLIENT_SECRET",
            "clientSecret",
            "DBPassword",
            "npmAuthToken",
            "SESSION_TOKEN",
            "secret_key",
            "CONNECTION_STRING",
            "license-key",
            "SSH_PASSPHRASE",
        ] {
            assert!(names_secret(name), "{name}");
        }
        for name in [
            "PASSWORD_ARN",
            "ApiKeyId",
            "TokenName",
            "SecretsManagerArn",
            "KEY",
            "Monkey",
            "Bypass",
            "Passage",
            "AWS_ACCESS_KEY_ID",
            "OAuthTokenEnabled",
            "PasswordPolicy",
        ] {
            assert!(!names_secret(name), "{name}");
        }
        assert_eq!(words("OAuthToken"), ["o", "auth", "token"]);
        assert_eq!(words("DBPassword"), ["db", "password"]);
        assert_eq!(words("API_KEY2"), ["api", "key2"]);
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
            "git@github.com:org/repo.git",
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
