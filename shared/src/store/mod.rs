//! What a `Custom::EncryptedArtifactStore` provisions, from its properties: the validated
//! specification ([`spec`]) and the bucket and key policies it writes ([`policy`]). Pure, so that
//! the custom resource that provisions a store and `check-template`, which judges one before it
//! exists, read the same properties the same way.

pub mod policy;
pub mod spec;
