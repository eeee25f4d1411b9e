//! Who a resource policy lets in: "can a stranger be allowed these actions?", asked of a key
//! policy by `key-policy-not-public`.
//!
//! A stranger is any caller in an account, and an organization, that the policy names nowhere:
//! the public. IAM's rule for one request (the IAM user guide's "Policy evaluation logic"): an
//! explicit `Deny` that applies wins; otherwise an `Allow` that applies allows. So a stranger is
//! allowed an action when some `Allow` statement applies to it and no `Deny` does. Each is
//! three-valued, and undecided stays undecided in both directions: an `Allow` under a condition
//! the engine cannot read may let strangers in (never a pass), a `Deny` under one may not keep
//! them out (never a pass either).
//!
//! Strangers differ in one way the conditions can see: inside some organization (the
//! organization keys are present, naming no organization of the policy) or outside any (they are
//! absent). Both are asked; either one let in makes the policy public.

use super::condition::{Identity, Truth};
use super::{Effect, Policy, Principals, Statement};

/// What the policy lets a stranger do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrangerAccess {
    /// Allowed (`True`), kept out (`False`), or undecided.
    pub(crate) truth: Truth,
    /// The statement and action that decide it: for `True`, the `Allow` that lets strangers
    /// in; for `Unknown`, the statement the engine could not decide; for `False`, none.
    pub witness: Option<Witness>,
}

/// The statement behind an answer, for the finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// The statement's index in `Statement`.
    pub statement: usize,
    /// The action it was asked about, e.g. `kms:Decrypt`.
    pub action: &'static str,
    /// For an undecided statement, what could not be decided (a condition key, a resource).
    pub undecided: Option<String>,
}

impl StrangerAccess {
    /// True when a stranger is certainly allowed.
    pub fn allowed(&self) -> bool {
        self.truth == Truth::True
    }

    /// True when every stranger is certainly kept out.
    pub fn denied(&self) -> bool {
        self.truth == Truth::False
    }
}

/// Can a stranger be allowed any of `actions` on `resource` (an ARN; `None` when the caller
/// does not know it, and then only a `Resource` of `*` is certain to apply)?
pub fn stranger_access(
    policy: &Policy,
    actions: &[&'static str],
    resource: Option<&str>,
) -> StrangerAccess {
    let mut undecided: Option<Witness> = None;
    for in_organization in [false, true] {
        for &action in actions {
            let verdict = Judged::of(policy, action, resource, in_organization);
            match verdict.allowed() {
                (Truth::True, witness) => {
                    return StrangerAccess {
                        truth: Truth::True,
                        witness,
                    }
                }
                (Truth::Unknown, witness) => {
                    undecided = undecided.or(witness);
                }
                (Truth::False, _) => {}
            }
        }
    }
    match undecided {
        Some(w) => StrangerAccess {
            truth: Truth::Unknown,
            witness: Some(w),
        },
        None => StrangerAccess {
            truth: Truth::False,
            witness: None,
        },
    }
}

/// Each statement's answer for one action and one kind of stranger.
struct Judged {
    allow: Vec<(usize, Truth, Option<String>)>,
    deny: Vec<(usize, Truth, Option<String>)>,
    action: &'static str,
}

impl Judged {
    fn of(policy: &Policy, action: &'static str, resource: Option<&str>, in_org: bool) -> Self {
        let mut judged = Self {
            allow: Vec::new(),
            deny: Vec::new(),
            action,
        };
        for (index, statement) in policy.statements.iter().enumerate() {
            let (truth, why) = applies(statement, action, resource, in_org);
            if truth == Truth::False {
                continue;
            }
            match statement.effect {
                Effect::Allow => judged.allow.push((index, truth, why)),
                Effect::Deny => judged.deny.push((index, truth, why)),
            }
        }
        judged
    }

    /// Allowed = some Allow applies AND no Deny applies, in three values, with the statement
    /// that decides it.
    fn allowed(self) -> (Truth, Option<Witness>) {
        let witness = |(statement, _, undecided): &(usize, Truth, Option<String>)| Witness {
            statement: *statement,
            action: self.action,
            undecided: undecided.clone(),
        };
        let certain_deny = self.deny.iter().any(|(_, t, _)| *t == Truth::True);
        if certain_deny {
            return (Truth::False, None);
        }
        let certain_allow = self.allow.iter().find(|(_, t, _)| *t == Truth::True);
        let maybe_allow = self.allow.iter().find(|(_, t, _)| *t == Truth::Unknown);
        let maybe_deny = self.deny.first();
        match (certain_allow, maybe_allow, maybe_deny) {
            (None, None, _) => (Truth::False, None),
            (Some(allow), _, None) => (Truth::True, Some(witness(allow))),
            // Allowed, unless an undecided Deny applies: that Deny is what is undecided.
            (Some(_), _, Some(deny)) => (Truth::Unknown, Some(witness(deny))),
            (None, Some(allow), _) => (Truth::Unknown, Some(witness(allow))),
        }
    }
}

/// Does `statement` apply to a stranger's request for `action` on `resource`?
fn applies(
    statement: &Statement,
    action: &str,
    resource: Option<&str>,
    in_organization: bool,
) -> (Truth, Option<String>) {
    if statement.principals == Principals::Some {
        // It names its principals, and a stranger is named nowhere.
        return (Truth::False, None);
    }
    let mut result = (Truth::True, None);
    let mut weigh = |truth: Truth, why: &dyn Fn() -> String| match truth {
        Truth::False => false,
        Truth::Unknown => {
            if result.0 == Truth::True {
                result = (Truth::Unknown, Some(why()));
            }
            true
        }
        Truth::True => true,
    };
    let action_applies = statement.actions.applies_to(action);
    if !weigh(action_applies, &|| {
        statement.actions.variable().map_or_else(
            || "the action element".to_owned(),
            |v| format!("the action element's variable {v}"),
        )
    }) {
        return (Truth::False, None);
    }
    let resource_applies = statement.resources.applies_to_resource(resource);
    if !weigh(resource_applies, &|| {
        "a Resource other than \"*\"".to_owned()
    }) {
        return (Truth::False, None);
    }
    for condition in &statement.conditions {
        let truth = match Identity::of_key(&condition.key) {
            Some(identity) => condition.evaluate_for_stranger(identity, in_organization),
            None => Truth::Unknown,
        };
        let key = &condition.key;
        if !weigh(truth, &|| format!("the condition on {key}")) {
            return (Truth::False, None);
        }
    }
    result
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod differential;
