//! From facts to evaluations: scope, the controls, compliance, score and annotation.
//!
//! Compliance is fail-closed: a required control that fails, or whose facts are missing
//! (UNKNOWN), makes the resource NON_COMPLIANT. The score is the share of applicable controls
//! (required and advisory) that pass, rounded down.

mod evaluation;
mod parameters;
mod scope;
pub mod snapshot;
mod spill;

use std::borrow::Cow;

pub use evaluation::{Compliance, Evaluation, ANNOTATION_LIMIT};
// The inventory is a fact store (crate::facts); re-exported where the assessment's users look.
pub use crate::facts::{Entry, Inventory, KeyLookup, Place};
pub use parameters::{ParameterError, RuleParameters, Scope};
pub use scope::ScopeIndex;
pub use spill::{Layout, Spill, SpillError, Spilled};

use crate::controls::{self, ControlId, Finding, Outcome, Status};
use crate::facts::{BucketFacts, Fact, ResourceFacts, ResourceKind, Subject};

/// Assesses resources against the controls with one set of parameters.
#[derive(Debug, Clone, Copy)]
pub struct Assessor<'a> {
    params: &'a RuleParameters,
    inventory: &'a Inventory,
    scope: &'a ScopeIndex,
}

impl<'a> Assessor<'a> {
    /// An assessor over `inventory`, which must hold every resource the assessed ones refer to
    /// (keys of buckets, buckets and keys of pipelines) for those controls to pass.
    pub fn new(
        params: &'a RuleParameters,
        inventory: &'a Inventory,
        scope: &'a ScopeIndex,
    ) -> Self {
        Self {
            params,
            inventory,
            scope,
        }
    }

    /// Every resource in the inventory, in order.
    pub fn assess_all(self) -> impl Iterator<Item = Evaluation> + 'a {
        self.inventory
            .entries()
            .iter()
            .map(move |e| self.assess(&e.subject, &e.facts))
    }

    /// One resource.
    pub fn assess(&self, subject: &Subject, facts: &ResourceFacts) -> Evaluation {
        if let ResourceFacts::Gone(reason) = facts {
            return Evaluation::not_applicable(subject, reason.to_string());
        }
        if self.is_exempt(subject) {
            return Evaluation::not_applicable(
                subject,
                "exempted by the exemptResources rule parameter".into(),
            );
        }
        if let Some(reason) = self.out_of_scope(subject, facts) {
            return Evaluation::not_applicable(subject, reason.into());
        }
        let mut outcomes = Vec::with_capacity(8);
        match facts {
            ResourceFacts::Bucket(Fact::Known(b)) => {
                controls::bucket::check(b, self.inventory, Place::of(subject), &mut outcomes)
            }
            ResourceFacts::Key(Fact::Known(k)) => controls::key::check(k, &mut outcomes),
            ResourceFacts::Pipeline(Fact::Known(p)) => {
                let judge = |name: &str| self.store_protection(name);
                let from = Place::of(subject);
                controls::pipeline::check(p, self.inventory, from, &judge, &mut outcomes)
            }
            ResourceFacts::Account(Fact::Known(a)) => {
                controls::account::check(a, subject.region.as_deref(), &mut outcomes)
            }
            ResourceFacts::Bucket(Fact::Unknown(r))
            | ResourceFacts::Key(Fact::Unknown(r))
            | ResourceFacts::Pipeline(Fact::Unknown(r))
            | ResourceFacts::Account(Fact::Unknown(r)) => {
                unreadable(subject.kind, r, &mut outcomes)
            }
            ResourceFacts::Gone(_) => {}
        }
        let findings = outcomes
            .into_iter()
            .map(|o| Finding {
                required: self.params.is_required(o.control),
                control: o.control,
                status: o.status,
                detail: o.detail,
            })
            .collect();
        Evaluation::from_findings(subject, findings)
    }

    fn is_exempt(&self, subject: &Subject) -> bool {
        let exempt = &self.params.exempt;
        !exempt.is_empty() && exempt.contains(&*subject.id)
    }

    fn out_of_scope(&self, subject: &Subject, facts: &ResourceFacts) -> Option<&'static str> {
        if self.params.scope == Scope::All {
            return None;
        }
        let in_scope = match facts {
            ResourceFacts::Bucket(Fact::Known(b)) => self.scope.bucket_in_scope(b),
            ResourceFacts::Key(Fact::Known(k)) => self.scope.key_in_scope(k),
            // The account around the stores is always in scope.
            // Unreadable resources stay in scope: they may be artifact stores (fail closed).
            _ => true,
        };
        (!in_scope).then_some(match subject.kind {
            ResourceKind::Bucket => "not an artifact store; the scope is artifact-stores",
            _ => "not used by an artifact store or pipeline; the scope is artifact-stores",
        })
    }

    /// Does bucket `name` pass all of its required controls?
    fn store_protection(&self, name: &str) -> (Status, Cow<'static, str>) {
        let (subject, bucket): (&Subject, &BucketFacts) = match self.inventory.bucket_facts(name) {
            Fact::Known(b) => b,
            Fact::Unknown(r) => return (Status::Unknown, Cow::Owned(r.into())),
        };
        let mut outcomes = Vec::with_capacity(8);
        // The bucket's key is looked up where the bucket lives, which may be another account.
        let from = Place::of(subject);
        controls::bucket::check(bucket, self.inventory, from, &mut outcomes);
        let required = || {
            outcomes
                .iter()
                .filter(|o| self.params.is_required(o.control))
        };
        let worst = required()
            .find(|o| o.status == Status::Fail)
            .or_else(|| required().find(|o| o.status == Status::Unknown));
        match worst {
            None => (Status::Pass, Cow::Borrowed("protected")),
            Some(o) => (
                o.status,
                Cow::Owned(format!("{} {}: {}", o.control, o.status.as_str(), o.detail)),
            ),
        }
    }
}

/// Facts that could not be read at all: every control of the kind is UNKNOWN, with the reason.
fn unreadable(kind: ResourceKind, reason: &str, out: &mut Vec<Outcome>) {
    let reason: Cow<'static, str> = Cow::Owned(reason.to_owned());
    out.extend(
        ControlId::ALL
            .iter()
            .filter(|c| c.kind() == kind)
            .map(|&c| Outcome::new(c, Status::Unknown, reason.clone())),
    );
}

// Its fact builders serve the other modules' tests too.
#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod organization_tests;
