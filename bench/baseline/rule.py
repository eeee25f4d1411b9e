"""The Python baseline for the cold-start benchmark: what a typical Python AWS Config rule does at
start (boto3 S3, KMS and Config clients) and for one bucket change event (read the item, look up
its KMS key and rotation, check the policy, PutEvaluations). It speaks the Lambda Runtime API
directly, like a custom runtime, so both sides are measured the same way.
"""
import json
import os
import urllib.request

import boto3

API = f"http://{os.environ['AWS_LAMBDA_RUNTIME_API']}/2018-06-01/runtime/invocation"
s3 = boto3.client("s3")
kms = boto3.client("kms")
config = boto3.client("config")


def evaluate(event):
    invoking = json.loads(event["invokingEvent"])
    item = invoking["configurationItem"]
    supplementary = item["supplementaryConfiguration"]
    default = supplementary["ServerSideEncryptionConfiguration"]["rules"][0]["applyServerSideEncryptionByDefault"]
    compliant = default["sseAlgorithm"] in ("aws:kms", "aws:kms:dsse")
    key_id = default.get("kmsMasterKeyID")
    if key_id:
        metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        rotation = kms.get_key_rotation_status(KeyId=metadata["KeyId"])["KeyRotationEnabled"]
        kms.get_key_policy(KeyId=metadata["KeyId"], PolicyName="default")  # read as config-rule does
        compliant = compliant and metadata["KeySpec"] == "SYMMETRIC_DEFAULT" and metadata["KeyState"] == "Enabled" and rotation
    policy = json.loads(supplementary["BucketPolicy"]["policyText"] or "{}")
    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    denies_http = any(s.get("Effect") == "Deny" and "aws:SecureTransport" in json.dumps(s.get("Condition", {})) for s in statements)
    compliant = compliant and denies_http
    evaluation = {"ComplianceResourceType": item["resourceType"], "ComplianceResourceId": item["resourceId"],
                  "ComplianceType": "COMPLIANT" if compliant else "NON_COMPLIANT",
                  "OrderingTimestamp": item["configurationItemCaptureTime"]}
    config.put_evaluations(Evaluations=[evaluation], ResultToken=event["resultToken"], TestMode=event["resultToken"] == "TESTMODE")
    return {"evaluations": [evaluation]}


while True:
    with urllib.request.urlopen(f"{API}/next") as response:
        request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(response.read())
    body = json.dumps(evaluate(event)).encode()
    urllib.request.urlopen(urllib.request.Request(f"{API}/{request_id}/response", data=body, method="POST")).read()
