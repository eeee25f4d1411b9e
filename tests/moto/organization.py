"""Makes the default moto account (123456789012) an organization's management account with two
member accounts, and prints the members' ids as JSON: {"members": [ID, ID]}.

Usage: python organization.py ENDPOINT_URL
"""
import json
import sys

import boto3

kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="testing",
          aws_secret_access_key="testing")
org = boto3.client("organizations", **kw)
org.create_organization(FeatureSet="ALL")
members = []
for name in ("build", "web"):
    status = org.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
    members.append(status["AccountId"])
print(json.dumps({"members": members}))
