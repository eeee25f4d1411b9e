"""artifact-guard on a laptop: the whole flow against moto, through the real function binaries.

1. provision two artifact stores through artifact-store (a new customer managed key; aws/s3);
2. create pipelines: compliant ones on those stores, and broken ones;
3. deliver each pipeline's CloudTrail CreatePipeline event to pipeline-check;
4. run the Config rule's periodic sweep and one change notification;
5. print the compliance dashboard;
6. judge a stack before it exists: `artifact-guard check-template` on demo/release-stack.yaml,
   then the template hook with the stack (its template behind a local stand-in for the presigned
   S3 URL) and with one pipeline resource whose store exists (read live from moto).

Everything it starts (moto, four cargo-lambda runtime emulators, the four functions, a local
endpoint for CloudFormation responses and for the hook's template) is stopped by process id; it writes only under
<target directory>/demo/ (or $DEMO_OUT). `make demo` builds the binaries first; they are found
where cargo put them (CARGO_TARGET_DIR is honoured), or in $DEMO_BIN.
"""
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv", "bin")


def target_dir():
    """Where cargo builds: asked of cargo itself, so CARGO_TARGET_DIR and .cargo/config count."""
    try:
        meta = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"],
                              capture_output=True, text=True, cwd=ROOT, check=True).stdout
        return json.loads(meta)["target_directory"]
    except (OSError, subprocess.CalledProcessError, ValueError, KeyError) as e:
        raise SystemExit(f"demo: cannot ask cargo where it builds ({e}); set DEMO_BIN to the binaries' folder")


BIN = os.environ.get("DEMO_BIN") or os.path.join(target_dir(), os.environ.get("DEMO_PROFILE", "debug"))
OUT = os.environ.get("DEMO_OUT") or os.path.join(os.path.dirname(BIN), "demo")
ACCOUNT = "123456789012"
REGION = "us-east-1"
processes = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what):
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"demo: {what} exited early (see {OUT})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"demo: {what} did not start on port {port}")


def start(args, log, env=None):
    proc = subprocess.Popen(args, cwd=ROOT, stdout=open(os.path.join(OUT, log), "w"), stderr=subprocess.STDOUT, env=env)
    processes.append(proc)
    return proc


def stop_all():
    for proc in reversed(processes):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in processes:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


class Responses(http.server.BaseHTTPRequestHandler):
    """Stands in for CloudFormation's presigned response URL."""
    received = []

    def do_PUT(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        Responses.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


class Payload(http.server.BaseHTTPRequestHandler):
    """Stands in for the presigned S3 URL of a stack hook's payload."""
    body = b"{}"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(Payload.body)))
        self.end_headers()
        self.wfile.write(Payload.body)

    def log_message(self, *args):
        pass


class Function:
    """One function binary polling its own cargo-lambda runtime emulator."""

    def __init__(self, name, env):
        self.port = free_port()
        emulator = start([os.path.join(VENV, "cargo-lambda"), "lambda", "watch", "--only-lambda-apis",
                          "-A", "127.0.0.1", "-P", str(self.port)], f"{name}-emulator.log")
        wait_port(self.port, emulator, f"the {name} emulator")
        fn_env = dict(env, AWS_LAMBDA_FUNCTION_NAME="_", AWS_LAMBDA_FUNCTION_VERSION="1",
                      AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256", AWS_LAMBDA_RUNTIME_API=f"http://127.0.0.1:{self.port}/.rt")
        start([os.path.join(BIN, name)], f"{name}.log", fn_env)
        self.name = name

    def invoke(self, event):
        path = os.path.join(OUT, f"event-{self.name}-{time.monotonic_ns()}.json")
        with open(path, "w") as f:
            json.dump(event, f)
        out = subprocess.run([os.path.join(VENV, "cargo-lambda"), "lambda", "invoke", "--invoke-address", "127.0.0.1",
                              "--invoke-port", str(self.port), "--output-format", "json", "--data-file", path, "_"],
                             cwd=ROOT, capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"demo: {self.name} failed: {out.stdout}{out.stderr}")
        return json.loads(out.stdout)


def load(path):
    with open(os.path.join(ROOT, path)) as f:
        return json.load(f)


def main():
    os.makedirs(OUT, exist_ok=True)
    import boto3  # from the project's .venv (moto's server brings it)

    moto_port = free_port()
    moto = start([os.path.join(VENV, "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)], "moto.log")
    wait_port(moto_port, moto, "moto")
    endpoint = f"http://127.0.0.1:{moto_port}"
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_REGION=REGION, AWS_ACCESS_KEY_ID="demo",
               AWS_SECRET_ACCESS_KEY="demo", AWS_EC2_METADATA_DISABLED="true", RUST_LOG="info")
    kw = dict(endpoint_url=endpoint, region_name=REGION, aws_access_key_id="demo", aws_secret_access_key="demo")
    s3, kms, iam = boto3.client("s3", **kw), boto3.client("kms", **kw), boto3.client("iam", **kw)
    codepipeline = boto3.client("codepipeline", **kw)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Responses)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    response_url = f"http://127.0.0.1:{server.server_address[1]}/cfn?X-Amz-Signature=demo"

    store_fn = Function("artifact-store", env)
    check_fn = Function("pipeline-check", env)
    rule_fn = Function("config-rule", env)
    hook_fn = Function("template-hook", env)

    # 1. Two artifact stores, through the custom resource.
    role = iam.create_role(RoleName="release-pipeline", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    stores = {}
    for logical, props in [("CmkStore", {"BucketName": "demo-store-cmk", "CreateKey": "true", "KeyUserArns": [role]}),
                           ("AwsKeyStore", {"BucketName": "demo-store-aws", "UseAwsManagedKey": "true"})]:
        event = {"RequestType": "Create", "ResponseURL": response_url, "RequestId": f"demo-{logical}",
                 "StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/demo/0001", "LogicalResourceId": logical,
                 "ResourceType": "Custom::EncryptedArtifactStore", "ResourceProperties": props}
        answered = store_fn.invoke(event)
        response = Responses.received[-1]
        if response["Status"] != "SUCCESS":
            raise SystemExit(f"demo: {logical} failed: {response['Reason']}")
        stores[logical] = response["Data"]
        data = response["Data"]
        print(f"artifact-store: provisioned {data['BucketName']} (key {data['KmsKeyId']}, score {data['Score']}), answered CloudFormation in {answered['Attempts']} attempt(s)")

    # 2. Broken stores and the pipelines.
    s3.create_bucket(Bucket="legacy-aes-store")
    s3.put_bucket_encryption(Bucket="legacy-aes-store", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY", Description="signing key")["KeyMetadata"]
    s3.create_bucket(Bucket="signing-store")
    s3.put_bucket_encryption(Bucket="signing-store", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": signing["Arn"]}}]})
    cmk, aws_store = stores["CmkStore"], stores["AwsKeyStore"]
    # A key shared too widely: its policy lets every principal of every account decrypt.
    public_policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "Partners", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}]}
    shared = kms.create_key(Description="partner key", Policy=json.dumps(public_policy))["KeyMetadata"]
    kms.enable_key_rotation(KeyId=shared["KeyId"])

    # The account around the stores: a trail that records management writes in every region,
    # validated but with log files under S3's own keys (an advisory finding), no Macie.
    s3.create_bucket(Bucket="demo-trail-logs")
    cloudtrail = boto3.client("cloudtrail", **kw)
    cloudtrail.create_trail(Name="management", S3BucketName="demo-trail-logs", IsMultiRegionTrail=True,
                            EnableLogFileValidation=True)
    cloudtrail.start_logging(Name="management")

    def pipeline(name, bucket, key=None, tags=None, source=None, deploy_role=None):
        store = {"type": "S3", "location": bucket}
        if key:
            store["encryptionKey"] = {"id": key, "type": "KMS"}
        deploy = {"name": "Deploy", "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"},
                  "configuration": {"BucketName": "site", "Extract": "true"}, "inputArtifacts": [{"name": "out"}]}
        if deploy_role:
            deploy["roleArn"] = deploy_role
        declaration = {"name": name, "roleArn": role, "artifactStore": store, "stages": [
            {"name": "Source", "actions": [{"name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
             "configuration": source or {"S3Bucket": "sources", "S3ObjectKey": f"{name}.zip"}, "outputArtifacts": [{"name": "out"}]}]},
            {"name": "Deploy", "actions": [deploy]}]}
        tag_list = [{"key": k, "value": v} for k, v in (tags or {}).items()]
        codepipeline.create_pipeline(pipeline=declaration, tags=tag_list)
        return declaration, tag_list

    pipelines = [
        pipeline("web-release", cmk["BucketName"], cmk["KmsKeyArn"], tags={"team": "web"}),
        pipeline("api-release", aws_store["BucketName"], tags={"team": "api"}),
        pipeline("legacy-batch", "legacy-aes-store"),
        pipeline("signer", "signing-store", signing["Arn"]),
        pipeline("cross-account-deploy", aws_store["BucketName"], deploy_role="arn:aws:iam::444455556666:role/deployer"),
        pipeline("nightly-report", cmk["BucketName"], cmk["KmsKeyArn"], tags={"owner": "jane.doe@example.com"}),
        pipeline("partner-release", cmk["BucketName"], shared["Arn"]),
        pipeline("mirror", cmk["BucketName"], cmk["KmsKeyArn"],
                 source={"S3Bucket": "sources", "S3ObjectKey": "https://x-access-token:ghp_DEMO0000TOKEN0000@example.com/m.zip"}),
    ]

    # 3. The CloudTrail CreatePipeline events, to pipeline-check.
    template = load("events/pipeline-check/create-pipeline.json")
    checks = {}
    for declaration, tags in pipelines:
        event = json.loads(json.dumps(template))
        event["account"] = ACCOUNT
        event["detail"]["recipientAccountId"] = ACCOUNT
        event["detail"]["requestParameters"] = {"pipeline": declaration, "tags": tags}
        result = check_fn.invoke(event)
        checks[declaration["name"]] = result["Evaluation"]["ComplianceType"]
    print(f"pipeline-check: {sum(v == 'NON_COMPLIANT' for v in checks.values())} of {len(checks)} new pipelines NON_COMPLIANT")

    # 4. The Config rule: the periodic sweep, then a change notification for one bucket.
    periodic = load("events/config-rule/periodic.json")
    periodic["accountId"] = ACCOUNT
    sweep = rule_fn.invoke(periodic)
    item = load("tests/fixtures/items/bucket-notification-shape.json")
    item.update({"resourceId": "legacy-aes-store", "resourceName": "legacy-aes-store", "ARN": "arn:aws:s3:::legacy-aes-store",
                 "awsAccountId": ACCOUNT, "awsRegion": REGION, "tags": {"artifact-guard:artifact-store": "true"}})
    item["supplementaryConfiguration"]["ServerSideEncryptionConfiguration"] = {"rules": [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256", "kmsMasterKeyID": None}}]}
    item["supplementaryConfiguration"]["BucketPolicy"] = {"policyText": None}
    change = load("events/config-rule/bucket-change.json")
    change["accountId"] = ACCOUNT
    change["invokingEvent"] = json.dumps({"configurationItem": item, "messageType": "ConfigurationItemChangeNotification",
                                          "notificationCreationTime": "2026-11-02T09:21:00.000Z", "recordVersion": "1.3"})
    changed = rule_fn.invoke(change)["evaluations"][0]
    print(f"config-rule change notification: {changed['ComplianceResourceId']} {changed['ComplianceType']}")

    # 5. The dashboard: what the Config rule reported.
    rows = []
    for e in sweep["evaluations"]:
        failing = [f["Control"] for f in e["Findings"] if f["Required"] and f["Status"] in ("FAIL", "UNKNOWN")]
        advisory = [f["Control"] for f in e["Findings"] if not f["Required"] and f["Status"] in ("FAIL", "UNKNOWN")]
        rows.append({"type": e["ComplianceResourceType"], "id": e["ComplianceResourceId"], "compliance": e["ComplianceType"],
                     "score": e["Score"], "failing": failing, "advisory": advisory})
    width = max(len(r["id"]) for r in rows)
    print()
    print(f"{'TYPE':27}  {'RESOURCE':{width}}  {'COMPLIANCE':14}  SCORE  FAILING CONTROLS")
    for r in rows:
        failing = ", ".join(r["failing"])
        if r["advisory"]:
            failing += ("; " if failing else "") + "advisory: " + ", ".join(r["advisory"])
        print(f"{r['type']:27}  {r['id']:{width}}  {r['compliance']:14}  {str(r['score']):>5}  {failing}".rstrip())
    counts = {c: sum(r["compliance"] == c for r in rows) for c in ("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE")}
    print(f"\n{len(rows)} resources: {counts['COMPLIANT']} compliant, {counts['NON_COMPLIANT']} non-compliant, "
          f"{counts['NOT_APPLICABLE']} not applicable")

    # 6. Before a stack exists: the same verdict from check-template and from the hook.
    print()
    stack_file = "demo/release-stack.yaml"
    checked = subprocess.run([os.path.join(BIN, "artifact-guard"), "check-template", stack_file, "--format", "json",
                              "--parameters", f"AWS::AccountId={ACCOUNT},AWS::StackName=demo"],
                             cwd=ROOT, capture_output=True, text=True)
    if checked.returncode not in (0, 1):
        raise SystemExit(f"demo: check-template failed: {checked.stderr}")
    template_verdicts = {e["ComplianceResourceId"]: e["ComplianceType"] for e in json.loads(checked.stdout)["evaluations"]}
    print(f"check-template {stack_file}: " + ", ".join(f"{k} {v}" for k, v in template_verdicts.items())
          + f" (exit {checked.returncode})")
    payloads = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Payload)
    threading.Thread(target=payloads.serve_forever, daemon=True).start()
    with open(os.path.join(ROOT, stack_file)) as f:
        Payload.body = json.dumps({"template": f.read(), "previousTemplate": ""}).encode()
    stack_event = load("events/template-hook/stack-create.json")
    stack_event["stackId"] = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/demo/0002"
    stack_event["requestData"]["payload"] = f"http://127.0.0.1:{payloads.server_address[1]}/payload.json?X-Amz-Signature=demo"
    stopped = hook_fn.invoke(stack_event)
    print(f"template-hook, stack demo: {stopped['hookStatus']} {stopped.get('errorCode', '')}".rstrip()
          + " (FailureMode FAIL stops the stack here; WARN, the default, lets it go on with this warning)")
    print(f"  {stopped['message'][:600]}")
    resource_event = load("events/template-hook/pipeline-create.json")
    resource_event["requestData"]["targetModel"]["resourceProperties"]["ArtifactStore"] = {
        "Type": "S3", "Location": cmk["BucketName"], "EncryptionKey": {"Type": "KMS", "Id": cmk["KmsKeyArn"]}}
    resource_event["requestData"]["targetModel"]["resourceProperties"]["RoleArn"] = role
    passed = hook_fn.invoke(resource_event)
    print(f"template-hook, pipeline resource on {cmk['BucketName']} (read live): {passed['hookStatus']}")
    with open(os.path.join(OUT, "dashboard.json"), "w") as f:
        json.dump({"rows": rows, "pipeline_check": checks, "change": changed, "stores": stores,
                   "shared_key": shared["KeyId"], "check_template": template_verdicts,
                   "hook": {"stack": stopped, "pipeline": passed}}, f, indent=2)


if __name__ == "__main__":
    started = time.time()
    try:
        main()
    finally:
        stop_all()
    print(f"(demo finished in {time.time() - started:.1f} s; logs in {os.path.relpath(OUT, ROOT)})")
