//! IAM wildcards (`*` any run of characters, `?` any one character), evaluated as a small NFA
//! so that the engine can ask not only "does this pattern match this name" but also "does it
//! match *every* name that starts with this prefix" and "does it match *any* of them". Those two
//! questions decide whether an `Action`/`Resource` covers all of `s3:*` or all of `bucket/*`,
//! and whether a `NotAction`/`NotResource` carves anything out of them.
//!
//! Cost is O(pattern length × input length) with no backtracking, so hostile patterns such as
//! `*a*a*a*…` cannot blow up.

/// One compiled wildcard pattern. Public so that `make bench-engine` can measure matching cost
/// on hostile patterns; the engine is its only other user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    chars: Vec<char>,
    case_insensitive: bool,
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
    fn of(chars: &[char]) -> Option<Self> {
        let head: String = chars
            .iter()
            .take_while(|&&c| c != '*' && c != '?')
            .collect();
        let rest = &chars[head.chars().count()..];
        match rest {
            [] => Some(Self::Literal(head)),
            ['*'] => Some(Self::Prefix(head)),
            _ => None,
        }
    }
}

impl Glob {
    /// Actions are case-insensitive in IAM.
    pub fn case_insensitive(pattern: &str) -> Self {
        Self::new(pattern.chars().flat_map(char::to_lowercase).collect(), true)
    }

    /// Resources and condition values are case-sensitive.
    pub fn case_sensitive(pattern: &str) -> Self {
        Self::new(pattern.chars().collect(), false)
    }

    fn new(chars: Vec<char>, case_insensitive: bool) -> Self {
        let simple = Simple::of(&chars);
        Self {
            chars,
            case_insensitive,
            simple,
        }
    }

    /// The text as the pattern compares it.
    fn fold<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        if self.case_insensitive && text.chars().any(char::is_uppercase) {
            std::borrow::Cow::Owned(text.to_lowercase())
        } else {
            std::borrow::Cow::Borrowed(text)
        }
    }

    /// True when the pattern matches `text` exactly.
    pub fn matches(&self, text: &str) -> bool {
        match &self.simple {
            Some(Simple::Literal(l)) => return *l == *self.fold(text),
            Some(Simple::Prefix(p)) => return self.fold(text).starts_with(p.as_str()),
            None => {}
        }
        let states = self.run(text);
        states[self.chars.len()]
    }

    /// True when the pattern matches every string that starts with `prefix`.
    pub(crate) fn covers_prefix(&self, prefix: &str) -> bool {
        match &self.simple {
            Some(Simple::Literal(_)) => return false,
            Some(Simple::Prefix(p)) => return self.fold(prefix).starts_with(p.as_str()),
            None => {}
        }
        let states = self.run(prefix);
        // A live state whose remaining pattern is one or more `*` accepts every suffix.
        (0..self.chars.len()).any(|i| states[i] && self.chars[i..].iter().all(|&c| c == '*'))
    }

    /// True when the pattern matches at least one string that starts with `prefix`.
    pub(crate) fn intersects_prefix(&self, prefix: &str) -> bool {
        let folded = self.fold(prefix);
        match &self.simple {
            Some(Simple::Literal(l)) => return l.starts_with(&*folded),
            Some(Simple::Prefix(p)) => {
                return folded.starts_with(p.as_str()) || p.starts_with(&*folded)
            }
            None => {}
        }
        // Any live state can still reach acceptance: read `*` as empty and `?` as any character.
        self.run(prefix).iter().any(|&live| live)
    }

    fn run(&self, text: &str) -> Vec<bool> {
        let n = self.chars.len();
        let mut states = vec![false; n + 1];
        states[0] = true;
        self.close(&mut states);
        let mut next = vec![false; n + 1];
        for c in text.chars() {
            let c = if self.case_insensitive {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                c
            };
            next.iter_mut().for_each(|s| *s = false);
            let mut any = false;
            for i in (0..n).filter(|&i| states[i]) {
                match self.chars[i] {
                    '*' => next[i] = true,
                    '?' => next[i + 1] = true,
                    p if p == c => next[i + 1] = true,
                    _ => continue,
                }
                any = true;
            }
            std::mem::swap(&mut states, &mut next);
            if !any {
                return states;
            }
            self.close(&mut states);
        }
        states
    }

    /// A `*` may match nothing: every live `*` state also makes the state after it live.
    fn close(&self, states: &mut [bool]) {
        for i in 0..self.chars.len() {
            if states[i] && self.chars[i] == '*' {
                states[i + 1] = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

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
    }

    #[test]
    fn covers_prefix_only_when_every_suffix_matches() {
        assert!(Glob::case_insensitive("*").covers_prefix("s3:"));
        assert!(Glob::case_insensitive("s3:*").covers_prefix("s3:"));
        assert!(Glob::case_insensitive("s?:**").covers_prefix("s3:"));
        assert!(Glob::case_insensitive("*:*").covers_prefix("s3:"));
        assert!(!Glob::case_insensitive("s3:Get*").covers_prefix("s3:"));
        assert!(!Glob::case_insensitive("s3:?*").covers_prefix("s3:"));
        assert!(!Glob::case_insensitive("s3:").covers_prefix("s3:"));
        let objects = "arn:aws:s3:::b/";
        assert!(Glob::case_sensitive("arn:aws:s3:::b/*").covers_prefix(objects));
        assert!(Glob::case_sensitive("arn:aws:s3:::b*").covers_prefix(objects));
        assert!(!Glob::case_sensitive("arn:aws:s3:::b").covers_prefix(objects));
        assert!(!Glob::case_sensitive("arn:aws:s3:::b/a*").covers_prefix(objects));
    }

    #[test]
    fn intersects_prefix_when_some_suffix_matches() {
        assert!(Glob::case_insensitive("s3:Get*").intersects_prefix("s3:"));
        assert!(Glob::case_insensitive("*").intersects_prefix("s3:"));
        assert!(!Glob::case_insensitive("iam:*").intersects_prefix("s3:"));
        assert!(!Glob::case_insensitive("s3").intersects_prefix("s3:"));
        assert!(Glob::case_sensitive("arn:aws:s3:::b/logs/*").intersects_prefix("arn:aws:s3:::b/"));
        assert!(!Glob::case_sensitive("arn:aws:s3:::other/*").intersects_prefix("arn:aws:s3:::b/"));
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
            proptest::prop_assert_eq!(fast.covers_prefix(&text), slow.covers_prefix(&text));
            proptest::prop_assert_eq!(fast.intersects_prefix(&text), slow.intersects_prefix(&text));
        }
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
}
