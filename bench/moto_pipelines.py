"""Fills a moto server with N pipelines for the sweep benchmark: one artifact bucket and one KMS
key per 10 pipelines (as teams share stores), every bucket protected.

Usage: python moto_pipelines.py ENDPOINT_URL N [CONFIG_ITEMS_FILE]
As a module, fill(kw, n, prefix) does the same with boto3 client arguments kw (for another
account's credentials) and bucket names starting with prefix (bucket names are global).
"""
import json
import sys

import boto3


def fill(kw, count, prefix=""):
    """The pipelines, buckets and keys, in the account of kw's credentials; returns the CodePipeline client."""
    s3, kms = boto3.client("s3", **kw), boto3.client("kms", **kw)
    codepipeline, iam = boto3.client("codepipeline", **kw), boto3.client("iam", **kw)
    role = iam.create_role(RoleName="pipeline", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    stores = []
    for i in range((count + 9) // 10):
        key = kms.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]
        name = f"{prefix}artifacts-{i:04d}"
        s3.create_bucket(Bucket=name)
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]})
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{name}/*",
             "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{name}/*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
        stores.append((name, key))
    for i in range(count):
        bucket, key = stores[i // 10]
        codepipeline.create_pipeline(pipeline={"name": f"pipeline-{i:04d}", "roleArn": role,
            "artifactStore": {"type": "S3", "location": bucket, "encryptionKey": {"id": key, "type": "KMS"}},
            "stages": [
                {"name": "Source", "actions": [{"name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                 "configuration": {"S3Bucket": "sources", "S3ObjectKey": f"{i}.zip"}, "outputArtifacts": [{"name": "out"}]}]},
                {"name": "Deploy", "actions": [{"name": "Deploy", "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"},
                 "configuration": {"BucketName": "site", "Extract": "true"}, "inputArtifacts": [{"name": "out"}]}]}]},
            tags=[{"key": "team", "value": f"team-{i % 40}"}])
    return codepipeline


# What AWS Config would hold for these pipelines if it records AWS::CodePipeline::Pipeline:
# BatchGetResourceConfig's base items (no tags), written next to the other bench output for
# bench/config_standin.py. The definitions are moto's own GetPipeline answers.
if __name__ == "__main__":
    endpoint, count = sys.argv[1], int(sys.argv[2])
    codepipeline = fill(dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                             aws_secret_access_key="testing"), count)
if __name__ == "__main__" and len(sys.argv) > 3:
    items = {}
    for page in codepipeline.get_paginator("list_pipelines").paginate():
        for summary in page["pipelines"]:
            name = summary["name"]
            got = codepipeline.get_pipeline(name=name)
            got.pop("ResponseMetadata", None)
            items[name] = {
                "version": "1.3", "accountId": "123456789012", "configurationItemCaptureTime": 1795000000.0,
                "configurationItemStatus": "OK", "configurationStateId": "1",
                "arn": f"arn:aws:codepipeline:us-east-1:123456789012:{name}",
                "resourceType": "AWS::CodePipeline::Pipeline", "resourceId": name, "resourceName": name,
                "awsRegion": "us-east-1", "configuration": json.dumps(got, default=str), "supplementaryConfiguration": {},
            }
    with open(sys.argv[3], "w") as out:
        json.dump(items, out)
