//! The live reads behind [`Referenced`]: the gathering the Config rule uses for a pipeline's
//! stores, over any [`Sources`] (the AWS adapter in the function).

use artifact_guard::facts::KeyRef;
use artifact_guard::live::{gather_referenced, GatherStats, Sources};
use artifact_guard::template::TemplateFacts;

use crate::handler::Referenced;

/// Reads referenced buckets and keys from the stack's own account.
pub struct Live<S>(pub S);

impl<S: Sources> Referenced for Live<S> {
    async fn read_referenced(
        &self,
        facts: &mut TemplateFacts,
        buckets: Vec<String>,
        keys: Vec<KeyRef>,
    ) {
        let mut stats = GatherStats::default();
        let account = facts.account.to_string();
        gather_referenced(
            &self.0,
            &mut facts.inventory,
            buckets,
            keys,
            Some(&account),
            &mut stats,
        )
        .await;
        tracing::info!(
            buckets_from_s3 = stats.buckets_from_s3,
            keys_from_kms = stats.keys_from_kms,
            from_config = stats.from_config,
            "read what the template uses"
        );
    }
}
