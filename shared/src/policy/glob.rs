//! IAM wildcards (`*` any run of characters, `?` any one character), evaluated as a small NFA
//! with no backtracking: cost O(pattern length × input length), so hostile patterns such as
//! `*a*a*a*…` cannot blow up.
//!
//! In a `2012-10-17` policy, `${…}` is a policy variable, substituted per request
//! (`${aws:username}`), except the escapes `${*}`, `${?}` and `${$}` for a literal `*`, `?` and
//! `$`. A pattern holding a variable never certainly matches anything, and may match whatever
//! its variable reads as `*` matches. In older policies (`2008-10-17`, or no `Version`) `${…}` is
//! literal text.

/// Whether `${…}` is a policy variable (a `2012-10-17` policy) or literal text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Variables,
    Literal,
}

/// One element of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    Lit(char),
    /// `?`
    One,
    /// `*`, or a policy variable read as `*` (see [`Glob::variable`]).
    Star,
}

/// One compiled wildcard pattern. Public so that `make bench-engine` can measure matching cost
/// on hostile patterns; the engine is its only other user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    pub(crate) tokens: Vec<Token>,
    case_insensitive: bool,
    /// The first policy variable in the pattern, as written (`${aws:username}`).
    variable: Option<Box<str>>,
    /// Most policy patterns are a literal (`s3:PutObject`) or a literal and one trailing `*`
    /// (`s3:*`, `arn:aws:s3:::bucket/*`): those are answered by string comparison.
    simple: Option<Simple>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Simple {
    Literal(String),
    Prefix(String),
}

impl Simple {
    fn of(tokens: &[Token]) -> Option<Self> {
        let head: String = tokens
            .iter()
            .map_while(|t| match t {
                Token::Lit(c) => Some(*c),
                _ => None,
            })
            .collect();
        match &tokens[head.chars().count()..] {
            [] => Some(Self::Literal(head)),
            [Token::Star] => Some(Self::Prefix(head)),
            _ => None,
        }
    }
}

impl Glob {
    /// Actions are case-insensitive in IAM; `${…}` is literal (the older dialect).
    pub fn case_insensitive(pattern: &str) -> Self {
        Self::parse(pattern, true, Dialect::Literal)
    }

    /// Resources and condition values are case-sensitive; `${…}` is literal.
    pub fn case_sensitive(pattern: &str) -> Self {
        Self::parse(pattern, false, Dialect::Literal)
    }

    pub(crate) fn parse(pattern: &str, case_insensitive: bool, dialect: Dialect) -> Self {
        let mut tokens = Vec::with_capacity(pattern.len());
        let mut variable = None;
        let mut rest = pattern;
        while let Some(c) = rest.chars().next() {
            if dialect == Dialect::Variables && rest.starts_with("${") {
                if let Some(end) = rest.find('}') {
                    let inner = &rest[2..end];
                    match inner {
                        "*" => tokens.push(Token::Lit('*')),
                        "?" => tokens.push(Token::Lit('?')),
                        "$" => tokens.push(Token::Lit('$')),
                        _ => {
                            variable.get_or_insert_with(|| Box::from(&rest[..=end]));
                            tokens.push(Token::Star);
                        }
                    }
                    rest = &rest[end + 1..];
                    continue;
                }
            }
            tokens.push(match c {
                '*' => Token::Star,
                '?' => Token::One,
                c if case_insensitive => Token::Lit(c.to_lowercase().next().unwrap_or(c)),
                c => Token::Lit(c),
            });
            rest = &rest[c.len_utf8()..];
        }
        let simple = Simple::of(&tokens);
        Self {
            tokens,
            case_insensitive,
            variable,
            simple,
        }
    }

    /// A `StringLike` value whose `${*}` and `${?}` escapes were replaced by the private-use
    /// placeholders U+E001 and U+E002: those match a literal `*` and `?`.
    pub(crate) fn with_literal_placeholders(pattern: &str) -> Self {
        let mut glob = Self::parse(pattern, false, Dialect::Literal);
        for token in &mut glob.tokens {
            match token {
                Token::Lit('\u{E001}') => *token = Token::Lit('*'),
                Token::Lit('\u{E002}') => *token = Token::Lit('?'),
                _ => {}
            }
        }
        glob.simple = Simple::of(&glob.tokens);
        glob
    }

    /// The first policy variable of the pattern, if it has one.
    pub(crate) fn variable(&self) -> Option<&str> {
        self.variable.as_deref()
    }

    /// The text as the pattern compares it.
    fn fold<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        if self.case_insensitive && text.chars().any(char::is_uppercase) {
            std::borrow::Cow::Owned(text.to_lowercase())
        } else {
            std::borrow::Cow::Borrowed(text)
        }
    }

    /// True when the pattern, its variables read as `*`, matches `text`: for a pattern without
    /// variables, exactly "matches"; with one, "may match for some request".
    pub fn matches(&self, text: &str) -> bool {
        match &self.simple {
            Some(Simple::Literal(l)) => return *l == *self.fold(text),
            Some(Simple::Prefix(p)) => return self.fold(text).starts_with(p.as_str()),
            None => {}
        }
        let folded = self.fold(text);
        let mut states = self.start();
        for c in folded.chars() {
            states = self.step(&states, c);
            if !states.iter().any(|&s| s) {
                return false;
            }
        }
        self.accepts(&states)
    }

    /// True when the pattern is a literal prefix of `prefix` and a trailing `*` (or just `*`),
    /// so that it matches every name starting with `prefix`, for every request. A sufficient
    /// test, not a complete one: the coverage automaton decides the rest.
    pub(crate) fn covers_every_name_with(&self, prefix: &str) -> bool {
        self.variable.is_none()
            && matches!(&self.simple, Some(Simple::Prefix(p)) if self.fold(prefix).starts_with(p.as_str()))
    }

    /// True when the pattern matches `text` for every request: it matches and has no variable.
    pub(crate) fn certainly_matches(&self, text: &str) -> bool {
        self.variable.is_none() && self.matches(text)
    }

    /// The NFA's start states: position 0 and whatever `*` lets it skip.
    pub(crate) fn start(&self) -> Vec<bool> {
        let mut states = vec![false; self.tokens.len() + 1];
        states[0] = true;
        self.close(&mut states);
        states
    }

    /// The states after reading `c` (already folded for a case-insensitive pattern).
    pub(crate) fn step(&self, states: &[bool], c: char) -> Vec<bool> {
        let mut next = vec![false; self.tokens.len() + 1];
        for (i, token) in self.tokens.iter().enumerate().filter(|&(i, _)| states[i]) {
            match *token {
                Token::Star => next[i] = true,
                Token::One => next[i + 1] = true,
                Token::Lit(p) if p == c => next[i + 1] = true,
                Token::Lit(_) => {}
            }
        }
        self.close(&mut next);
        next
    }

    /// Whether these states accept.
    pub(crate) fn accepts(&self, states: &[bool]) -> bool {
        states[self.tokens.len()]
    }

    /// A `*` may match nothing: every live `*` state also makes the state after it live.
    fn close(&self, states: &mut [bool]) {
        for (i, token) in self.tokens.iter().enumerate() {
            if states[i] && *token == Token::Star {
                states[i + 1] = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Dialect, Glob};

    #[test]
    fn matches_literals_and_wildcards() {
        let g = Glob::case_insensitive("s3:Put*");
        assert!(g.matches("s3:putobject"));
        assert!(g.matches("S3:PUTOBJECTACL"));
        assert!(!g.matches("s3:getobject"));
        assert!(Glob::case_insensitive("s3:?etObject").matches("s3:GetObject"));
        assert!(!Glob::case_sensitive("arn:aws:s3:::B/*").matches("arn:aws:s3:::b/x"));
        assert!(Glob::case_sensitive("").matches(""));
        assert!(!Glob::case_sensitive("").matches("a"));
        assert!(Glob::case_sensitive("a*b?c").matches("axxbyc"));
        assert!(!Glob::case_sensitive("a*b?c").matches("abc"));
    }

    /// IAM user guide, "IAM policy elements: Variables and tags", "Specifying special
    /// characters": `${*}`, `${?}` and `${$}` are literal characters.
    #[test]
    fn escapes_are_literal_characters_in_a_2012_policy() {
        let g = Glob::parse("arn:aws:s3:::b/${*}${?}${$}", false, Dialect::Variables);
        assert!(g.certainly_matches("arn:aws:s3:::b/*?$"));
        assert!(!g.matches("arn:aws:s3:::b/x?$"));
        assert_eq!(g.variable(), None);
    }

    /// Same page: variables are replaced per request in a `2012-10-17` policy, and are literal
    /// text in older ones ("IAM JSON policy elements: Version").
    #[test]
    fn variables_are_substituted_in_2012_and_literal_before() {
        let v = Glob::parse(
            "arn:aws:s3:::b/${aws:username}/*",
            false,
            Dialect::Variables,
        );
        assert_eq!(v.variable(), Some("${aws:username}"));
        assert!(v.matches("arn:aws:s3:::b/alice/x"), "may match");
        assert!(!v.certainly_matches("arn:aws:s3:::b/alice/x"));
        assert!(!v.matches("arn:aws:s3:::other/alice/x"));
        let literal = Glob::parse("arn:aws:s3:::b/${aws:username}/*", false, Dialect::Literal);
        assert_eq!(literal.variable(), None);
        assert!(literal.certainly_matches("arn:aws:s3:::b/${aws:username}/x"));
        assert!(!literal.matches("arn:aws:s3:::b/alice/x"));
    }

    /// The answer only: the cost (linear in pattern × text) is measured by `make bench-engine`
    /// (`wildcard/*`), and nextest's slow-timeout ends a run that hangs here.
    #[test]
    fn hostile_patterns_are_decided() {
        let pattern = "*a".repeat(2_000);
        assert!(!Glob::case_sensitive(&pattern).matches(&("a".repeat(4_000) + "b")));
        assert!(Glob::case_sensitive(&pattern).matches(&"a".repeat(4_000)));
        assert!(!Glob::case_sensitive(&pattern).matches(&"a".repeat(1_999)));
    }

    proptest::proptest! {
        #[test]
        fn the_string_fast_paths_agree_with_the_automaton(
            pattern in "[ab/*?]{0,6}",
            text in "[abAB/]{0,6}",
            insensitive in proptest::bool::ANY,
        ) {
            let fast = if insensitive { Glob::case_insensitive(&pattern) } else { Glob::case_sensitive(&pattern) };
            let slow = Glob { simple: None, ..fast.clone() };
            proptest::prop_assert_eq!(fast.matches(&text), slow.matches(&text));
        }
    }
}
