//! Resource Groups Tagging API: buckets and keys tagged `artifact-guard:artifact-store` = `true`,
//! in one paged query instead of reading every bucket's and key's tags.

use aws_sdk_resourcegroupstagging::types::TagFilter;

use super::{source_error, AwsAccount};
use crate::facts::ARTIFACT_STORE_TAG;
use crate::live::{SourceError, TaggedResourceFinder, TaggedStores};

impl TaggedResourceFinder for AwsAccount {
    async fn tagged_stores(&self) -> Result<TaggedStores, SourceError> {
        let filter = TagFilter::builder()
            .key(ARTIFACT_STORE_TAG)
            // Tag filters match values exactly; the engine accepts any case of "true".
            .values("true")
            .values("True")
            .values("TRUE")
            .build();
        let mut found = TaggedStores::default();
        let mut token: Option<String> = None;
        loop {
            self.calls.add();
            let out = self
                .tagging
                .get_resources()
                .tag_filters(filter.clone())
                .resource_type_filters("s3:bucket")
                .resource_type_filters("kms:key")
                .set_pagination_token(token)
                .send()
                .await
                .map_err(|e| source_error("tag:GetResources", &e))?;
            for mapping in out.resource_tag_mapping_list() {
                let Some(arn) = mapping.resource_arn() else {
                    continue;
                };
                if let Some(bucket) = arn.split(":::").nth(1).filter(|_| arn.contains(":s3:")) {
                    found.buckets.push(bucket.to_owned());
                } else if arn.contains(":kms:") {
                    found.keys.push(arn.to_owned());
                }
            }
            token = out
                .pagination_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                return Ok(found);
            }
        }
    }
}
