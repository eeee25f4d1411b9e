"""Puts N objects (two versions each) into a bucket in moto. moto applies bucket policies to its
own plain-HTTP requests, so the TLS deny in artifact-guard's policy is removed first (real S3
over TLS would accept these uploads with the policy in place).

Usage: python fill_bucket.py ENDPOINT_URL BUCKET N
"""
import sys

import boto3

endpoint, bucket, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
s3.delete_bucket_policy(Bucket=bucket)
for i in range(count):
    for version in (b"v1", b"v2"):
        s3.put_object(Bucket=bucket, Key=f"artifacts/{i}.zip", Body=version, ServerSideEncryption="aws:kms")
