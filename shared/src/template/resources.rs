//! What `Ref` and `Fn::GetAtt` give for each resource type artifact-guard reads, and the names
//! CloudFormation would generate. Generated names and ids are placeholders that follow AWS's
//! formats, so that an ARN built from them reads as one (`arn:aws:kms:…:key/ArtifactKey`).

use std::collections::HashMap;

use super::resolve::{Resolved, Resolver, ResourceValues};
use super::yaml::Node;
use crate::store::spec::derived_bucket_name;

/// A resource as the template declares it.
#[derive(Debug, Clone, Copy)]
pub struct Declared<'t> {
    /// `Type`.
    pub type_name: &'t str,
    /// The resource's node (`Type`, `Properties`, `Condition`…).
    pub node: &'t Node,
}

impl<'t> Declared<'t> {
    /// `Properties.<name>`.
    pub fn property(&self, name: &str) -> Option<&'t Node> {
        self.node.get("Properties").and_then(|p| p.get(name))
    }
}

/// The template's resources, by logical id.
pub struct Resources<'t> {
    pub(crate) declared: HashMap<&'t str, Declared<'t>>,
}

impl<'t> Resources<'t> {
    /// The `Resources` section's entries that have a `Type`.
    pub fn of(template: &'t Node) -> Self {
        let declared = template
            .get("Resources")
            .map(|r| r.entries())
            .unwrap_or_default()
            .iter()
            .filter_map(|(id, node)| {
                let type_name = node.get("Type")?.as_scalar()?;
                Some((&**id, Declared { type_name, node }))
            })
            .collect();
        Self { declared }
    }

    /// A name property's value, or the name CloudFormation would generate. A name the
    /// template does not determine is a placeholder too: `Ref` still names the same resource,
    /// which is what joins a pipeline to its bucket; where the name itself is judged (a
    /// pipeline's), it is read from the property, unknown and all.
    fn name(&self, r: &Resolver<'_>, id: &str, property: &str) -> Resolved {
        let declared = self.declared.get(id);
        match declared
            .and_then(|d| d.property(property))
            .map(|n| r.resolve(n))
        {
            Some(Resolved::Text(name)) => Resolved::Text(name),
            _ => Resolved::Text(generated_name(&r.pseudo.stack_name, id).into()),
        }
    }
}

/// `stack-logicalid-generated`: CloudFormation's pattern (stack, logical id, a random suffix),
/// lower case so that it is also a valid bucket name.
pub fn generated_name(stack: &str, logical_id: &str) -> String {
    format!("{stack}-{logical_id}-generated").to_ascii_lowercase()
}

/// The name of the bucket a `Custom::EncryptedArtifactStore` creates when `BucketName` is not
/// set: the provider's own derivation from the stack and logical id.
pub fn store_bucket_name(r: &Resolver<'_>, id: &str) -> String {
    let p = &r.pseudo;
    let stack_id = format!(
        "arn:{}:cloudformation:{}:{}:stack/{}/00000000-0000-0000-0000-000000000000",
        p.partition, p.region, p.account, p.stack_name
    );
    derived_bucket_name(&stack_id, id)
}

/// The placeholder id of a key the template creates: its logical id (key ids are not secret,
/// and a finding that names `ArtifactKey` is the clearest).
pub fn key_id(logical_id: &str) -> String {
    logical_id.to_owned()
}

impl ResourceValues for Resources<'_> {
    fn declares(&self, logical_id: &str) -> bool {
        self.declared.contains_key(logical_id)
    }

    fn reference(&self, r: &Resolver<'_>, id: &str) -> Resolved {
        let Some(d) = self.declared.get(id) else {
            return Resolved::Null;
        };
        match d.type_name {
            "AWS::S3::Bucket" => self.name(r, id, "BucketName"),
            "AWS::KMS::Key" => Resolved::Text(key_id(id).into()),
            "AWS::KMS::Alias" => self.name(r, id, "AliasName"),
            "AWS::IAM::Role" => self.name(r, id, "RoleName"),
            "AWS::CodePipeline::Pipeline" => self.name(r, id, "Name"),
            "Custom::EncryptedArtifactStore" => self.attribute(r, id, "BucketName"),
            _ => Resolved::Text(generated_name(&r.pseudo.stack_name, id).into()),
        }
    }

    fn attribute(&self, r: &Resolver<'_>, id: &str, attribute: &str) -> Resolved {
        let Some(d) = self.declared.get(id) else {
            return Resolved::Null;
        };
        let p = &r.pseudo;
        let with = |value: Resolved, f: &dyn Fn(&str) -> String| match value {
            Resolved::Text(t) => Resolved::Text(f(&t).into()),
            other => other,
        };
        match (d.type_name, attribute) {
            ("AWS::S3::Bucket", "Arn") => with(self.reference(r, id), &|n| {
                format!("arn:{}:s3:::{n}", p.partition)
            }),
            ("AWS::S3::Bucket", "DomainName") => {
                with(self.reference(r, id), &|n| format!("{n}.s3.amazonaws.com"))
            }
            ("AWS::S3::Bucket", "RegionalDomainName") => with(self.reference(r, id), &|n| {
                format!("{n}.s3.{}.amazonaws.com", p.region)
            }),
            ("AWS::KMS::Key", "Arn") => Resolved::Text(
                format!(
                    "arn:{}:kms:{}:{}:key/{}",
                    p.partition,
                    p.region,
                    p.account,
                    key_id(id)
                )
                .into(),
            ),
            ("AWS::KMS::Key", "KeyId") => Resolved::Text(key_id(id).into()),
            ("AWS::IAM::Role", "Arn") => {
                let path = match d.property("Path").map(|n| r.resolve(n)) {
                    Some(Resolved::Text(path)) => path.to_string(),
                    _ => "/".to_owned(),
                };
                with(self.reference(r, id), &|n| {
                    format!("arn:{}:iam::{}:role{path}{n}", p.partition, p.account)
                })
            }
            ("Custom::EncryptedArtifactStore", _) => self.store_attribute(r, id, d, attribute),
            _ => Resolved::Text(format!("{}-{id}-{attribute}", p.stack_name).into()),
        }
    }
}

impl Resources<'_> {
    fn store_attribute(
        &self,
        r: &Resolver<'_>,
        id: &str,
        d: &Declared<'_>,
        attribute: &str,
    ) -> Resolved {
        let p = &r.pseudo;
        let bucket = || match d.property("BucketName").map(|n| r.resolve(n)) {
            Some(Resolved::Text(name)) => Resolved::Text(name),
            _ => Resolved::Text(store_bucket_name(r, id).into()),
        };
        let text = |name: &str| d.property(name).map(|n| r.resolve(n));
        let flag = |name: &str| matches!(text(name), Some(Resolved::Text(t)) if t.eq_ignore_ascii_case("true"));
        let key_arn = || match text("KmsKeyArn") {
            Some(v @ (Resolved::Text(_) | Resolved::Unknown(_))) => v,
            _ if flag("UseAwsManagedKey") => Resolved::Text(
                format!(
                    "arn:{}:kms:{}:{}:alias/aws/s3",
                    p.partition, p.region, p.account
                )
                .into(),
            ),
            _ => Resolved::Text(
                format!(
                    "arn:{}:kms:{}:{}:key/{}",
                    p.partition,
                    p.region,
                    p.account,
                    store_key_id(id)
                )
                .into(),
            ),
        };
        match attribute {
            "BucketName" => bucket(),
            "BucketArn" => match bucket() {
                Resolved::Text(n) => Resolved::Text(format!("arn:{}:s3:::{n}", p.partition).into()),
                other => other,
            },
            "KmsKeyArn" => key_arn(),
            "KmsKeyId" => match key_arn() {
                Resolved::Text(arn) => Resolved::Text(
                    arn.rsplit_once(":key/")
                        .map_or_else(|| "alias/aws/s3".to_owned(), |(_, k)| k.to_owned())
                        .into(),
                ),
                other => other,
            },
            _ => Resolved::Text(format!("{}-{id}-{attribute}", p.stack_name).into()),
        }
    }
}

/// The placeholder id of the key a `Custom::EncryptedArtifactStore` creates.
pub fn store_key_id(logical_id: &str) -> String {
    format!("{logical_id}Key")
}
