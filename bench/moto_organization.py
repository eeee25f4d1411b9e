"""Fills a moto server with an organization for the organization sweep benchmark: the default
account as management account, ACCOUNTS member accounts, and in each member PIPELINES pipelines
(bench/moto_pipelines.py: one protected bucket and key per ten), made through each member's
execution role (moto's STS answers AssumeRole for any role; its credentials act in that account).

Usage: python moto_organization.py ENDPOINT_URL ACCOUNTS PIPELINES ROLE_NAME
"""
import os
import sys

import boto3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from moto_pipelines import fill  # noqa: E402

endpoint, accounts, pipelines, role = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
org = boto3.client("organizations", **kw)
org.create_organization(FeatureSet="ALL")
sts = boto3.client("sts", **kw)
for n in range(accounts):
    member = org.create_account(Email=f"member-{n}@example.com", AccountName=f"member-{n}")["CreateAccountStatus"]["AccountId"]
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/{role}", RoleSessionName="fill")["Credentials"]
    fill(dict(kw, aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
              aws_session_token=creds["SessionToken"]), pipelines, prefix=f"m{n:03d}-")
