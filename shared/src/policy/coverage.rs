//! Does a union of `Resource`/`NotResource` elements cover every object of a bucket?
//!
//! Object keys are one or more characters, so the objects of a bucket are the language
//! `arn:…:bucket/` Σ⁺. Each element is a regular language (a union of wildcard patterns, or the
//! complement of one), so coverage is decided exactly: the product of the patterns' automata is
//! explored breadth first from the state after the bucket prefix, over an alphabet of the
//! characters the patterns name plus one that stands for every other character. A reachable
//! product state, one or more characters past the prefix, that no element accepts is an object
//! no statement covers, and the path to it is that object's key. No sampling: a gap that exists
//! is found, and "covered" is a proof.
//!
//! A pattern with a policy variable never certainly covers anything: in a `Resource` it is left
//! out; in a `NotResource` its variable is read as `*`, the most it could carve out.

use std::collections::{HashSet, VecDeque};

use super::glob::{Glob, Token};
use super::NameSet;

/// Product states explored before giving up (a policy would need dozens of overlapping
/// wildcard patterns to get near this; giving up is "not certainly covered").
const STATE_LIMIT: usize = 20_000;

/// The answer for a union of elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Coverage {
    /// Every object is in at least one element.
    Covered,
    /// This object (its full ARN) is in none.
    Gap(String),
    /// The product grew past [`STATE_LIMIT`]: not decided, so not covered.
    TooComplex,
}

/// One element's patterns as the automaton uses them.
struct Element<'a> {
    negated: bool,
    globs: Vec<&'a Glob>,
}

/// Decides whether every object under `prefix` (`arn:…:bucket/`) is in some element of `sets`.
pub(crate) fn objects_covered(prefix: &str, sets: &[&NameSet]) -> Coverage {
    let elements: Vec<Element<'_>> = sets
        .iter()
        .map(|set| Element {
            negated: set.negated,
            // A variable in a Resource may match nothing for some caller: it covers nothing
            // certainly. In a NotResource it is kept, read as `*` (see the module comment).
            globs: set
                .patterns
                .iter()
                .filter(|g| set.negated || g.variable().is_none())
                .collect(),
        })
        .collect();
    if elements.is_empty() {
        return Coverage::Gap(format!("{prefix}…"));
    }
    // The usual case, decided without the automaton: a Resource that is `*` or a literal
    // prefix of the objects followed by `*` (`arn:aws:s3:::bucket/*`) covers every object.
    if elements
        .iter()
        .any(|e| !e.negated && e.globs.iter().any(|g| g.covers_every_name_with(prefix)))
    {
        return Coverage::Covered;
    }
    let mut alphabet: Vec<char> = elements
        .iter()
        .flat_map(|e| e.globs.iter())
        .flat_map(|g| g.tokens.iter())
        .filter_map(|t| match t {
            Token::Lit(c) => Some(*c),
            _ => None,
        })
        .collect();
    alphabet.sort_unstable();
    alphabet.dedup();
    // One character no pattern names stands for all of them.
    if let Some(other) = ('a'..='z')
        .chain('0'..='9')
        .chain(['-', '_', '.', '~', '\u{E000}'])
        .find(|c| !alphabet.contains(c))
    {
        alphabet.push(other);
    }

    let start: Vec<Vec<bool>> = elements
        .iter()
        .flat_map(|e| e.globs.iter())
        .map(|g| prefix.chars().fold(g.start(), |s, c| g.step(&s, c)))
        .collect();
    let mut seen: HashSet<Vec<Vec<bool>>, foldhash::fast::RandomState> = HashSet::default();
    let mut queue: VecDeque<(Vec<Vec<bool>>, String)> = VecDeque::new();
    queue.push_back((start, String::new()));
    while let Some((state, key)) = queue.pop_front() {
        for &c in &alphabet {
            let next: Vec<Vec<bool>> = elements
                .iter()
                .flat_map(|e| e.globs.iter())
                .zip(&state)
                .map(|(g, s)| g.step(s, c))
                .collect();
            let mut object = key.clone();
            object.push(c);
            if !accepted(&elements, &next) {
                return Coverage::Gap(format!("{prefix}{object}"));
            }
            if seen.contains(&next) {
                continue;
            }
            if seen.len() >= STATE_LIMIT {
                return Coverage::TooComplex;
            }
            seen.insert(next.clone());
            queue.push_back((next, object));
        }
    }
    Coverage::Covered
}

/// Whether some element contains the string that led to these per-glob states.
fn accepted(elements: &[Element<'_>], states: &[Vec<bool>]) -> bool {
    let mut states = states.iter();
    let mut any = false;
    for element in elements {
        let mut matched = false;
        for glob in &element.globs {
            let s = states.next().is_some_and(|s| glob.accepts(s));
            matched |= s;
        }
        any |= matched != element.negated;
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::glob::Dialect;

    fn set(negated: bool, patterns: &[&str]) -> NameSet {
        NameSet {
            negated,
            patterns: patterns
                .iter()
                .map(|p| Glob::parse(p, false, Dialect::Variables))
                .collect(),
        }
    }

    const B: &str = "arn:aws:s3:::b/";

    #[test]
    fn a_resource_and_its_complement_cover_every_object_together() {
        let logs = set(false, &["arn:aws:s3:::b/logs/*"]);
        let rest = set(true, &["arn:aws:s3:::b/logs/*"]);
        assert_eq!(objects_covered(B, &[&logs, &rest]), Coverage::Covered);
        match objects_covered(B, &[&logs]) {
            Coverage::Gap(object) => {
                assert!(object.starts_with(B) && !object.starts_with("arn:aws:s3:::b/logs/"))
            }
            other => panic!("{other:?}"),
        }
        match objects_covered(B, &[&rest]) {
            Coverage::Gap(object) => {
                assert!(object.starts_with("arn:aws:s3:::b/logs/"), "{object}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn overlapping_wildcards_are_decided_exactly() {
        // Keys starting with a, and keys not starting with a: everything.
        let a = set(false, &["arn:aws:s3:::b/a*"]);
        let not_a = set(true, &["arn:aws:s3:::b/a*", "arn:aws:s3:::other/*"]);
        assert_eq!(objects_covered(B, &[&a, &not_a]), Coverage::Covered);
        // One character keys are objects too: `b/?*` covers them, `b/??*` does not.
        assert_eq!(
            objects_covered(B, &[&set(false, &["arn:aws:s3:::b/?*"])]),
            Coverage::Covered
        );
        assert!(matches!(
            objects_covered(B, &[&set(false, &["arn:aws:s3:::b/??*"])]),
            Coverage::Gap(ref o) if o.chars().count() == B.chars().count() + 1
        ));
        // The bucket itself is not an object: `arn:aws:s3:::b` covers none of them.
        assert!(matches!(
            objects_covered(B, &[&set(false, &["arn:aws:s3:::b"])]),
            Coverage::Gap(_)
        ));
        assert_eq!(
            objects_covered(B, &[&set(false, &["*"])]),
            Coverage::Covered
        );
        assert_eq!(
            objects_covered(B, &[&set(false, &["arn:aws:s3:::b*"])]),
            Coverage::Covered
        );
    }

    #[test]
    fn variables_never_certainly_cover() {
        let user = set(false, &["arn:aws:s3:::b/*${aws:username}*"]);
        assert!(matches!(objects_covered(B, &[&user]), Coverage::Gap(_)));
        // NotResource of the caller's own folder may carve out any object.
        let carved = set(true, &["arn:aws:s3:::b/${aws:username}/*"]);
        assert!(matches!(objects_covered(B, &[&carved]), Coverage::Gap(_)));
        // Escapes are not variables.
        let star = set(false, &["arn:aws:s3:::b/*", "arn:aws:s3:::b/${*}"]);
        assert_eq!(objects_covered(B, &[&star]), Coverage::Covered);
    }
}
