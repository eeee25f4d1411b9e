"""artifact-guard across an organization, on a laptop: three accounts on one moto server.

The default moto account (123456789012) is the organization's management account and runs the
central functions, as the delegated administrator would; two member accounts hold the pipelines.

1. make the organization and fill both members (tests/moto/account.py, through each member's
   artifact-guard-execution role);
2. the central config-rule judges a member from a periodic event and from a change event,
   through the member's role, reporting in the member account;
3. the central pipeline-check judges a CreatePipeline forwarded from a member;
4. `artifact-guard scan --role-name … --organization` reports every member: a table on stdout,
   and an HTML page (plus a screenshot of it when Debian's Chromium is installed).

Writes only under <target directory>/demo-org/ (or $DEMO_ORG_OUT); stops what it starts.
"""
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo  # noqa: E402  (the single-account demo's process and function helpers)

# Its own output folder, beside the single-account demo's (DEMO_ORG_OUT to choose another).
demo.OUT = os.environ.get("DEMO_ORG_OUT") or os.path.join(os.path.dirname(demo.BIN), "demo-org")

CENTRAL = "123456789012"
ROLE = "artifact-guard-execution"
REGION = demo.REGION


def member_role(account):
    return f"arn:aws:iam::{account}:role/{ROLE}"


def run_python(*args, env=None):
    out = subprocess.run([os.path.join(demo.VENV, "python"), *args], cwd=demo.ROOT, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"demo-org: {args[0]} failed: {out.stderr}")
    return json.loads(out.stdout)


def main():
    os.makedirs(demo.OUT, exist_ok=True)
    moto_port = demo.free_port()
    moto = demo.start([os.path.join(demo.VENV, "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)], "moto.log")
    demo.wait_port(moto_port, moto, "moto")
    endpoint = f"http://127.0.0.1:{moto_port}"
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_REGION=REGION, AWS_ACCESS_KEY_ID="demo",
               AWS_SECRET_ACCESS_KEY="demo", AWS_EC2_METADATA_DISABLED="true", RUST_LOG="info",
               AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")

    # 1. The organization: the management account and two members, each with pipelines.
    members = run_python("tests/moto/organization.py", endpoint)["members"]
    for member, prefix in zip(members, ("build-", "web-")):
        run_python("tests/moto/account.py", endpoint, member_role(member), prefix)
    print(f"organization: management {CENTRAL}, members {', '.join(members)}")

    rule_fn = demo.Function("config-rule", env)
    check_fn = demo.Function("pipeline-check", dict(env, MODE="report",
                             RULE_PARAMETERS=json.dumps({"executionRoleName": ROLE})))
    parameters = json.dumps({"executionRoleName": ROLE})
    org_rule_arn = f"arn:aws:config:{REGION}:{{}}:config-rule/aws-service-rule/config-multiaccountsetup.amazonaws.com/config-rule-demo"

    # 2. The central Config rule, for the first member: its periodic sweep, then a change.
    member = members[0]
    periodic = demo.load("events/config-rule/periodic.json")
    periodic.update(accountId=member, ruleParameters=parameters, configRuleArn=org_rule_arn.format(member),
                    configRuleName="OrgConfigRule-artifact-guard-demo")
    invoking = json.loads(periodic["invokingEvent"])
    invoking["awsAccountId"] = member
    periodic["invokingEvent"] = json.dumps(invoking)
    sweep = rule_fn.invoke(periodic)["evaluations"]
    non_compliant = sum(e["ComplianceType"] == "NON_COMPLIANT" for e in sweep)
    print(f"config-rule periodic sweep of {member}: {len(sweep)} resources, {non_compliant} non-compliant")
    accounts = {e.get("AccountId") for e in sweep}
    if accounts != {member}:
        raise SystemExit(f"demo-org: the sweep reported accounts {accounts}, not only {member}")

    item = demo.load("tests/fixtures/items/bucket-notification-shape.json")
    bucket = "build-store-aes"
    item.update({"resourceId": bucket, "resourceName": bucket, "ARN": f"arn:aws:s3:::{bucket}",
                 "awsAccountId": member, "awsRegion": REGION, "tags": {"artifact-guard:artifact-store": "true"}})
    item["supplementaryConfiguration"]["ServerSideEncryptionConfiguration"] = {"rules": [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256", "kmsMasterKeyID": None}}]}
    item["supplementaryConfiguration"]["BucketPolicy"] = {"policyText": None}
    change = demo.load("events/config-rule/bucket-change.json")
    change.update(accountId=member, ruleParameters=parameters, configRuleArn=org_rule_arn.format(member))
    change["invokingEvent"] = json.dumps({"configurationItem": item, "messageType": "ConfigurationItemChangeNotification",
                                          "notificationCreationTime": "2026-12-01T09:21:00.000Z", "recordVersion": "1.3"})
    changed = rule_fn.invoke(change)["evaluations"][0]
    print(f"config-rule change in {member}: {changed['ComplianceResourceId']} {changed['ComplianceType']}")

    # 3. A CreatePipeline forwarded from the second member to the central bus.
    forwarded_member = members[1]
    event = demo.load("events/pipeline-check/create-pipeline.json")
    event["account"] = forwarded_member
    event["detail"]["recipientAccountId"] = forwarded_member
    event["detail"]["requestParameters"] = {"pipeline": {"name": "aes"}}
    checked = check_fn.invoke(event)
    print(f"pipeline-check of {forwarded_member}'s pipeline aes: {checked['Evaluation']['ComplianceType']}")

    # 4. The whole organization from the command line.
    scan = [os.path.join(demo.BIN, "artifact-guard"), "scan", "--role-name", ROLE, "--organization"]
    table = subprocess.run([*scan, "--format", "table"], cwd=demo.ROOT, env=env, capture_output=True, text=True)
    print()
    print(table.stdout, end="")
    print(table.stderr, end="", file=sys.stderr)
    report = json.loads(subprocess.run([*scan, "--format", "json"], cwd=demo.ROOT, env=env,
                                       capture_output=True, text=True).stdout)
    page = os.path.join(demo.OUT, "org-report.html")
    with open(page, "w") as f:
        subprocess.run([*scan, "--format", "html"], cwd=demo.ROOT, env=env, stdout=f, stderr=subprocess.DEVNULL)
    shot = os.path.join(demo.OUT, "org-report.png")
    if shutil.which("chromium"):
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={os.path.join(demo.OUT, 'chromium')}", "--hide-scrollbars",
                        "--window-size=1400,1100", f"--screenshot={shot}", f"file://{page}"],
                       capture_output=True)
    print(f"HTML report: {os.path.relpath(page, demo.ROOT)}" + (f" (screenshot {os.path.relpath(shot, demo.ROOT)})" if os.path.exists(shot) else ""))
    with open(os.path.join(demo.OUT, "organization.json"), "w") as f:
        json.dump({"members": members, "sweep": sweep, "change": changed, "pipeline_check": checked,
                   "scan": report, "scan_exit": table.returncode}, f, indent=2)


if __name__ == "__main__":
    started = time.time()
    try:
        main()
    finally:
        demo.stop_all()
    print(f"(organization demo finished in {time.time() - started:.1f} s; logs in {os.path.relpath(demo.OUT, demo.ROOT)})")
