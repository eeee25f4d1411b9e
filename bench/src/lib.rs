//! A generator of realistic AWS Config snapshots for benchmarks: buckets with multi-statement
//! policies and full supplementary configuration, KMS keys, pipelines with several stages, and
//! (optionally) other resource types that the engine must skip. Deterministic for a seed.

use std::io::{self, Write};

use serde_json::{json, Value};

/// How many of each resource to generate.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// `AWS::S3::Bucket` items.
    pub buckets: usize,
    /// `AWS::KMS::Key` items.
    pub keys: usize,
    /// `AWS::CodePipeline::Pipeline` items.
    pub pipelines: usize,
    /// Items of other types (security groups, roles, network interfaces) that are skipped.
    pub others: usize,
    /// Accounts the resources are spread over, in contiguous runs (an organization's
    /// snapshots); every reference stays within its account.
    pub accounts: usize,
}

impl Shape {
    /// The shape the throughput target names: 10,000 buckets, 10,000 keys, 2,000 pipelines.
    pub const STANDARD: Shape = Shape {
        buckets: 10_000,
        keys: 10_000,
        pipelines: 2_000,
        others: 0,
        accounts: 1,
    };
}

const ACCOUNT: &str = "111122223333";
const REGION: &str = "eu-west-1";
const TIME: &str = "2026-11-02T09:15:27.431Z";

/// Small deterministic generator (SplitMix64): no dependency, same snapshot every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }
}

/// Account `a`: the first is the one of single-account snapshots.
pub fn account(a: usize) -> String {
    if a == 0 {
        ACCOUNT.to_owned()
    } else {
        format!("{}", 100_000_000_000 + a)
    }
}

/// The account (0-based) of the `i`-th of `n` resources of a kind.
fn owner(i: usize, n: usize, accounts: usize) -> usize {
    i * accounts / n.max(1)
}

/// A random one of the `n` resources of a kind that belong to account `a`.
fn within(rng: &mut Rng, a: usize, n: usize, accounts: usize) -> usize {
    let first = |a: usize| (a * n).div_ceil(accounts);
    let (lo, hi) = (first(a), first(a + 1));
    lo + rng.below(hi.saturating_sub(lo))
}

fn key_id(i: usize) -> String {
    format!("{:08x}-1111-4222-8333-{:012x}", i, i * 7919)
}

fn key_arn(i: usize, account: &str) -> String {
    format!("arn:aws:kms:{REGION}:{account}:key/{}", key_id(i))
}

fn bucket_name(i: usize) -> String {
    if i.is_multiple_of(4) {
        format!("codepipeline-{REGION}-{ACCOUNT}-{i}")
    } else {
        format!("artifacts-team-{i:06}")
    }
}

fn bucket_policy(rng: &mut Rng, name: &str) -> Value {
    let objects = format!("arn:aws:s3:::{name}/*");
    let mut statements = vec![json!({
        "Sid": "AllowPipelineRole", "Effect": "Allow",
        "Principal": {"AWS": [format!("arn:aws:iam::{ACCOUNT}:role/pipeline-{}", rng.below(500)),
                              format!("arn:aws:iam::{ACCOUNT}:role/build")]},
        "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"], "Resource": objects
    })];
    if rng.chance(85) {
        statements.push(
            json!({"Sid": "DenyUnEncryptedObjectUploads", "Effect": "Deny", "Principal": "*",
            "Action": "s3:PutObject", "Resource": objects,
            "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}),
        );
    }
    if rng.chance(85) {
        statements.push(
            json!({"Sid": "DenyInsecureConnections", "Effect": "Deny", "Principal": "*",
            "Action": "s3:*", "Resource": [format!("arn:aws:s3:::{name}"), objects],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
        );
    }
    if rng.chance(50) {
        statements.push(
            json!({"Sid": "DenyOldTls", "Effect": "Deny", "Principal": "*",
            "Action": "s3:*", "Resource": [format!("arn:aws:s3:::{name}"), objects],
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}),
        );
    }
    if rng.chance(30) {
        statements.push(json!({"Sid": "CrossAccountRead", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
            "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [format!("arn:aws:s3:::{name}"), objects],
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid"}}}));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn item(
    account: &str,
    resource_type: &str,
    id: &str,
    arn: &str,
    configuration: Value,
    supplementary: Value,
    tags: Value,
) -> Value {
    json!({
        "configurationItemVersion": "1.3", "configurationItemCaptureTime": TIME,
        "configurationStateId": 1_762_074_927_431_u64, "awsAccountId": account,
        "configurationItemStatus": "OK", "resourceType": resource_type, "resourceId": id,
        "resourceName": id, "ARN": arn, "awsRegion": REGION, "availabilityZone": "Regional",
        "resourceCreationTime": "2025-03-01T10:00:00.000Z", "tags": tags,
        "relatedEvents": [], "relationships": [],
        "configuration": configuration, "supplementaryConfiguration": supplementary
    })
}

fn bucket(rng: &mut Rng, i: usize, shape: &Shape) -> Value {
    let name = bucket_name(i);
    let a = owner(i, shape.buckets, shape.accounts);
    let account = account(a);
    let (algorithm, key) = match rng.below(10) {
        0 => ("AES256", Value::Null),
        1 => ("aws:kms", Value::Null),
        _ => {
            let key = within(rng, a, shape.keys, shape.accounts);
            ("aws:kms", json!(key_arn(key, &account)))
        }
    };
    let policy = if rng.chance(95) {
        json!(bucket_policy(rng, &name).to_string())
    } else {
        Value::Null
    };
    let mut supplementary = json!({
        "AccessControlList": "{\"grantSet\":null,\"grantList\":[],\"owner\":{\"displayName\":null,\"id\":\"b0c1\"},\"isRequesterCharged\":false}",
        "BucketAccelerateConfiguration": {"status": null},
        "BucketLoggingConfiguration": {"destinationBucketName": "access-logs", "logFilePrefix": format!("{name}/")},
        "BucketNotificationConfiguration": {"configurations": {}},
        "BucketPolicy": {"policyText": policy},
        "BucketVersioningConfiguration": {"status": if rng.chance(80) { "Enabled" } else { "Suspended" }, "isMfaDeleteEnabled": null},
        "IsRequesterPaysEnabled": false,
        "ServerSideEncryptionConfiguration": {"rules": [{"applyServerSideEncryptionByDefault":
            {"sseAlgorithm": algorithm, "kmsMasterKeyID": key}, "bucketKeyEnabled": true}]},
        "BucketLifecycleConfiguration": {"rules": [{"id": "expire-old-artifacts", "status": "Enabled",
            "noncurrentVersionExpirationInDays": 30, "filter": {"predicate": {"type": "LifecyclePrefixPredicate", "prefix": ""}}}]}
    });
    if rng.chance(90) {
        supplementary["PublicAccessBlockConfiguration"] = json!({"blockPublicAcls": true,
            "ignorePublicAcls": true, "blockPublicPolicy": true, "restrictPublicBuckets": true});
    }
    let mut tags =
        json!({"team": format!("team-{}", i % 40), "cost-center": format!("{}", 1000 + i % 97)});
    if rng.chance(20) {
        tags["artifact-guard:artifact-store"] = json!("true");
    }
    let configuration = json!({"name": name, "owner": {"displayName": null, "id": "b0c1"}, "creationDate": "2025-03-01T10:00:00.000Z"});
    item(
        &account,
        "AWS::S3::Bucket",
        &name,
        &format!("arn:aws:s3:::{name}"),
        configuration,
        supplementary,
        tags,
    )
}

fn key(rng: &mut Rng, i: usize, shape: &Shape) -> Value {
    let id = key_id(i);
    let account = account(owner(i, shape.keys, shape.accounts));
    let (spec, usage) = if rng.chance(3) {
        ("RSA_2048", "SIGN_VERIFY")
    } else {
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    };
    let state = if rng.chance(2) {
        "PendingDeletion"
    } else {
        "Enabled"
    };
    let configuration = json!({
        "keyId": id, "arn": key_arn(i, &account), "creationDate": "2025-03-01T10:00:00.000Z", "enabled": state == "Enabled",
        "description": format!("artifact key {i}"), "keyUsage": usage, "keyState": state, "origin": "AWS_KMS",
        "keyManager": if i.is_multiple_of(50) { "AWS" } else { "CUSTOMER" }, "customerMasterKeySpec": spec, "keySpec": spec,
        "encryptionAlgorithms": ["SYMMETRIC_DEFAULT"], "multiRegion": false, "awsaccountId": account
    });
    let supplementary = json!({"KeyRotationStatus": rng.chance(90)});
    item(
        &account,
        "AWS::KMS::Key",
        &id,
        &key_arn(i, &account),
        configuration,
        supplementary,
        json!({"team": format!("team-{}", i % 40)}),
    )
}

fn pipeline(rng: &mut Rng, i: usize, shape: &Shape) -> Value {
    let name = format!("pipeline-{i:05}");
    let a = owner(i, shape.pipelines, shape.accounts);
    let account = account(a);
    let bucket = within(rng, a, shape.buckets, shape.accounts);
    let mut store = json!({"type": "S3", "location": bucket_name(bucket)});
    if rng.chance(70) {
        let key = within(rng, a, shape.keys, shape.accounts);
        store["encryptionKey"] = json!({"id": key_arn(key, &account), "type": "KMS"});
    }
    let deploy_account = if rng.chance(10) {
        "444455556666"
    } else {
        &account
    };
    let env = json!([{"name": "STAGE", "value": "prod", "type": "PLAINTEXT"},
                     {"name": "NPM_TOKEN", "value": "/ci/npm-token", "type": "PARAMETER_STORE"}])
    .to_string();
    let source_config = if rng.chance(3) {
        json!({"RepositoryUrl": "https://x-access-token:ghp_EXAMPLEEXAMPLE0000@github.com/example/repo.git", "Branch": "main"})
    } else {
        json!({"ConnectionArn": format!("arn:aws:codestar-connections:{REGION}:{account}:connection/{i}"),
               "FullRepositoryId": format!("example/service-{i}"), "BranchName": "main", "DetectChanges": "true"})
    };
    let action = |name: &str,
                  category: &str,
                  provider: &str,
                  config: Value,
                  role: Option<String>| {
        let mut a = json!({"name": name, "actionTypeId": {"category": category, "owner": "AWS", "provider": provider, "version": "1"},
            "runOrder": 1, "configuration": config, "inputArtifacts": [{"name": "SourceOutput"}], "outputArtifacts": [{"name": format!("{name}Output")}]});
        if let Some(role) = role {
            a["roleArn"] = json!(role);
        }
        a
    };
    let stages = json!([
        {"name": "Source", "actions": [action("Source", "Source", "CodeStarSourceConnection", source_config, None)]},
        {"name": "Build", "actions": [
            action("Build", "Build", "CodeBuild", json!({"ProjectName": format!("{name}-build"), "EnvironmentVariables": env}), None),
            action("UnitTests", "Test", "CodeBuild", json!({"ProjectName": format!("{name}-test")}), None)]},
        {"name": "Staging", "actions": [action("DeployStaging", "Deploy", "CloudFormation",
            json!({"ActionMode": "CREATE_UPDATE", "StackName": format!("{name}-staging"), "TemplatePath": "BuildOutput::template.yaml",
                   "Capabilities": "CAPABILITY_IAM", "RoleArn": format!("arn:aws:iam::{account}:role/cfn")}),
            Some(format!("arn:aws:iam::{account}:role/deploy")))]},
        {"name": "Approval", "actions": [action("Approve", "Approval", "Manual", json!({"CustomData": "Promote to production?"}), None)]},
        {"name": "Production", "actions": [action("DeployProd", "Deploy", "CloudFormation",
            json!({"ActionMode": "CREATE_UPDATE", "StackName": format!("{name}-prod"), "TemplatePath": "BuildOutput::template.yaml"}),
            Some(format!("arn:aws:iam::{deploy_account}:role/deploy")))]}
    ]);
    let mut tags = json!({"team": format!("team-{}", i % 40)});
    if rng.chance(2) {
        tags["owner"] = json!("jane.doe@example.com");
    }
    let configuration = json!({"pipeline": {"name": name, "roleArn": format!("arn:aws:iam::{account}:role/pipeline"),
        "artifactStore": store, "stages": stages, "version": 4, "pipelineType": "V2", "executionMode": "QUEUED"},
        "metadata": {"pipelineArn": format!("arn:aws:codepipeline:{REGION}:{account}:{name}"),
                     "created": "2025-03-01T10:00:00.000Z", "updated": "2026-11-01T10:00:00.000Z"}});
    let arn = format!("arn:aws:codepipeline:{REGION}:{account}:{name}");
    item(
        &account,
        "AWS::CodePipeline::Pipeline",
        &name,
        &arn,
        configuration,
        json!({}),
        tags,
    )
}

fn other(rng: &mut Rng, i: usize, shape: &Shape) -> Value {
    let account = account(owner(i, shape.others, shape.accounts));
    let id = format!("sg-{i:017x}");
    let rules: Vec<Value> = (0..(2 + rng.below(6)))
        .map(|r| json!({"ipProtocol": "tcp", "fromPort": 443 + r, "toPort": 443 + r,
            "ipv4Ranges": [{"cidrIp": format!("10.{}.{}.0/24", r, i % 250)}], "userIdGroupPairs": [], "prefixListIds": []}))
        .collect();
    let configuration = json!({"description": "service security group", "groupName": format!("svc-{i}"),
        "ipPermissions": rules, "ownerId": account, "groupId": id, "vpcId": "vpc-0a1b2c3d"});
    let arn = format!("arn:aws:ec2:{REGION}:{account}:security-group/{id}");
    item(
        &account,
        "AWS::EC2::SecurityGroup",
        &id,
        &arn,
        configuration,
        json!({}),
        json!({"Name": format!("svc-{i}")}),
    )
}

/// Writes a snapshot of `shape` to `out`, items interleaved as Config writes them (by type
/// blocks are not guaranteed, so pipelines come first and refer to buckets that follow).
pub fn write_snapshot(shape: &Shape, seed: u64, out: &mut impl Write) -> io::Result<()> {
    let mut rng = Rng(seed);
    out.write_all(
        b"{\"fileVersion\":\"1.0\",\"configSnapshotId\":\"bench\",\"configurationItems\":[",
    )?;
    let mut first = true;
    let mut emit = |out: &mut dyn Write, v: Value| -> io::Result<()> {
        if !first {
            out.write_all(b",\n")?;
        }
        first = false;
        serde_json::to_writer(&mut *out, &v).map_err(io::Error::other)
    };
    let total = shape.buckets + shape.keys + shape.pipelines + shape.others;
    let (mut b, mut k, mut p, mut o) = (0, 0, 0, 0);
    for n in 0..total {
        // Round-robin in proportion, so every kind is spread over the whole file.
        let pick = n % 4;
        if pick == 0 && p < shape.pipelines {
            emit(out, pipeline(&mut rng, p, shape))?;
            p += 1;
        } else if pick == 1 && k < shape.keys {
            emit(out, key(&mut rng, k, shape))?;
            k += 1;
        } else if pick == 2 && o < shape.others {
            emit(out, other(&mut rng, o, shape))?;
            o += 1;
        } else if b < shape.buckets {
            emit(out, bucket(&mut rng, b, shape))?;
            b += 1;
        } else if k < shape.keys {
            emit(out, key(&mut rng, k, shape))?;
            k += 1;
        } else if p < shape.pipelines {
            emit(out, pipeline(&mut rng, p, shape))?;
            p += 1;
        } else if o < shape.others {
            emit(out, other(&mut rng, o, shape))?;
            o += 1;
        }
    }
    out.write_all(b"]}\n")
}

/// The snapshot of `shape` in memory.
pub fn snapshot_bytes(shape: &Shape, seed: u64) -> Vec<u8> {
    let mut buf = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write_snapshot(shape, seed, &mut buf);
    buf
}
