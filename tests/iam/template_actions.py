"""Prints the IAM actions each function in a SAM template is granted, as JSON:
{"<Binary>": {"logical_id": "...", "actions": [...]}}, keyed by the function's
Metadata.BuildProperties.Binary (the cargo binary SAM builds for it), and those of each
AWS::IAM::Role's inline policies, keyed "role:<LogicalId>". Both branches of an
Fn::If count as granted. Uses cfn-lint's template decoder (it understands the short-form
intrinsic tags).

Usage: python template_actions.py TEMPLATE
"""
import json
import sys

from cfnlint.decode import decode


def statements(node):
    """Every policy statement under node, through Fn::If branches and lists."""
    if isinstance(node, list):
        for item in node:
            yield from statements(item)
    elif isinstance(node, dict):
        if "Fn::If" in node:
            yield from statements(node["Fn::If"][1:])
        elif "Statement" in node:
            yield from statements(node["Statement"])
        elif "Effect" in node:
            yield node


template, problems = decode(sys.argv[1])
if template is None:
    sys.exit(f"cannot read {sys.argv[1]}: {problems}")
out = {}
for logical_id, resource in template.get("Resources", {}).items():
    if resource.get("Type") != "AWS::Serverless::Function":
        continue
    binary = resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
    actions = set()
    for statement in statements(resource.get("Properties", {}).get("Policies", [])):
        if statement.get("Effect") != "Allow":
            continue
        granted = statement.get("Action", [])
        actions.update([granted] if isinstance(granted, str) else granted)
    out[binary] = {"logical_id": logical_id, "actions": sorted(actions)}
for logical_id, resource in template.get("Resources", {}).items():
    if resource.get("Type") != "AWS::IAM::Role":
        continue
    actions = set()
    resources = []
    for policy in resource.get("Properties", {}).get("Policies", []):
        for statement in statements(policy.get("PolicyDocument", {})):
            if statement.get("Effect") == "Allow":
                granted = statement.get("Action", [])
                actions.update([granted] if isinstance(granted, str) else granted)
                resources.append(statement.get("Resource"))
    trust = [
        s.get("Principal")
        for s in statements(resource.get("Properties", {}).get("AssumeRolePolicyDocument", {}))
        if s.get("Effect") == "Allow"
    ]
    out[f"role:{logical_id}"] = {
        "logical_id": logical_id,
        "actions": sorted(actions),
        "resources": json.loads(json.dumps(resources, default=str)),
        "trust": json.loads(json.dumps(trust, default=str)),
    }
print(json.dumps(out))
