"""Fills a moto server with N pipelines for the sweep benchmark: one artifact bucket and one KMS
key per 10 pipelines (as teams share stores), every bucket protected.

Usage: python moto_pipelines.py ENDPOINT_URL N
"""
import json
import sys

import boto3

endpoint, count = sys.argv[1], int(sys.argv[2])
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
s3, kms = boto3.client("s3", **kw), boto3.client("kms", **kw)
codepipeline, iam = boto3.client("codepipeline", **kw), boto3.client("iam", **kw)
role = iam.create_role(RoleName="pipeline", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
stores = []
for i in range((count + 9) // 10):
    key = kms.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]
    name = f"artifacts-{i:04d}"
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
