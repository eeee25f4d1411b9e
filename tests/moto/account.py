"""Creates a small account in a moto server for the integration tests (and the demo): KMS keys,
artifact buckets (one protected, one on AES256, one on an asymmetric key, one tagged),
pipelines that use them, and a logging CloudTrail trail and Macie for the account itself. Prints the created key ids as JSON on stdout.

Usage: python account.py ENDPOINT_URL [ROLE_ARN [BUCKET_PREFIX]]
With ROLE_ARN, the account is made in that role's account, through sts:AssumeRole (moto keeps a
backend per account), as an organization member would be. BUCKET_PREFIX starts every bucket
name: bucket names are global, so a second account needs its own.
"""
import json
import sys

import boto3

endpoint = sys.argv[1]
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
prefix = sys.argv[3] if len(sys.argv) > 3 else ""
if len(sys.argv) > 2 and sys.argv[2]:
    creds = boto3.client("sts", **kw).assume_role(RoleArn=sys.argv[2], RoleSessionName="setup")["Credentials"]
    kw.update(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
              aws_session_token=creds["SessionToken"])
s3 = boto3.client("s3", **kw)
kms = boto3.client("kms", **kw)
codepipeline = boto3.client("codepipeline", **kw)
iam = boto3.client("iam", **kw)

symmetric = kms.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT", Description="artifact key")["KeyMetadata"]
kms.enable_key_rotation(KeyId=symmetric["KeyId"])
asymmetric = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY", Description="signing key")["KeyMetadata"]


def bucket(name, key=None, aes=False, policy=True, tags=None):
    name = prefix + name
    s3.create_bucket(Bucket=name)
    rule = {"SSEAlgorithm": "AES256"} if aes else {"SSEAlgorithm": "aws:kms", **({"KMSMasterKeyID": key} if key else {})}
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": rule, "BucketKeyEnabled": True}]},
    )
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if tags:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})
    if policy:
        # Objects only: moto applies bucket policies to its own plain-HTTP requests, so a deny on
        # the bucket ARN itself would also deny the reads under test.
        objects = f"arn:aws:s3:::{name}/*"
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyUnEncryptedObjectUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": objects, "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
            {"Sid": "DenyInsecureConnections", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": objects, "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "DenyOldTls", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": objects, "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}},
        ]}))


bucket("store-good", key=symmetric["Arn"])
bucket("store-aes", aes=True, policy=False)
bucket("store-asym", key=asymmetric["Arn"])
bucket("store-tagged", key=symmetric["Arn"], tags={"artifact-guard:artifact-store": "true"})
bucket("team-logs", aes=True, policy=False)

role = iam.create_role(
    RoleName="pipeline",
    AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
)["Role"]["Arn"]


def pipeline(name, store, key=None, tags=None, source=None):
    artifact_store = {"type": "S3", "location": prefix + store}
    if key:
        artifact_store["encryptionKey"] = {"id": key, "type": "KMS"}
    codepipeline.create_pipeline(
        pipeline={"name": name, "roleArn": role, "artifactStore": artifact_store, "stages": [
            {"name": "Source", "actions": [{
                "name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                "configuration": source or {"S3Bucket": "sources", "S3ObjectKey": f"{name}.zip"},
                "outputArtifacts": [{"name": "out"}]}]},
            {"name": "Deploy", "actions": [{
                "name": "Deploy", "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"},
                "configuration": {"BucketName": "site", "Extract": "true"}, "inputArtifacts": [{"name": "out"}]}]},
        ]},
        tags=[{"key": k, "value": v} for k, v in (tags or {}).items()],
    )


pipeline("good", "store-good", symmetric["Arn"], tags={"team": "web"})
pipeline("aes", "store-aes")
pipeline("asym", "store-asym", asymmetric["Arn"])
pipeline("mail", "store-good", symmetric["Arn"], tags={"owner": "jane@example.com"})
pipeline("token", "store-good", symmetric["Arn"], source={"S3Bucket": "sources", "S3ObjectKey": "https://x-access-token:ghp_EXAMPLE0000EXAMPLE0000@example.com/a.zip"})

topic = boto3.client("sns", **kw).create_topic(Name="artifact-guard")["TopicArn"]

# The account around the stores: a multi-region trail that records management writes, with
# validated, KMS-encrypted log files, and Macie. (moto reports the root user without MFA.)
trail_bucket = prefix + "trail-logs"
s3.create_bucket(Bucket=trail_bucket)
cloudtrail = boto3.client("cloudtrail", **kw)
cloudtrail.create_trail(Name="management", S3BucketName=trail_bucket, IsMultiRegionTrail=True,
                        EnableLogFileValidation=True, KmsKeyId=symmetric["Arn"])
cloudtrail.put_event_selectors(TrailName="management", EventSelectors=[
    {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}])
cloudtrail.start_logging(Name="management")
boto3.client("macie2", **kw).enable_macie()

print(json.dumps({"symmetric": symmetric["KeyId"], "asymmetric": asymmetric["KeyId"], "topic": topic}))
