"""Cold start of each function binary, and of a Python baseline, against a minimal Lambda
Runtime API on loopback with the event already queued.

For each run it measures, from process start: `init`, until the first `GET .../invocation/next`
(everything the process does before it can take work), and `response`, until the response is
posted; and the process's peak RSS (VmHWM) read just after the response. The config-rule and its
Python baseline get the same bucket change event and make the same AWS calls against the same
moto server (`DescribeKey`, `GetKeyRotationStatus`, `PutEvaluations` in test mode).

Usage: python bench/coldstart.py RUNS BINARY_DIR   (prints a Markdown table)
"""
import http.server
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv", "bin")


class RuntimeApi(http.server.BaseHTTPRequestHandler):
    """Serves one queued event; records when the function first polls and when it answers."""
    protocol_version = "HTTP/1.1"
    event = b"{}"
    marks = queue.Queue()

    def do_GET(self):
        if self.path.endswith("/invocation/next"):
            RuntimeApi.marks.put(("next", time.monotonic()))
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-1")
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60_000))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench")
            self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(RuntimeApi.event)))
            self.end_headers()
            self.wfile.write(RuntimeApi.event)

    def do_PUT(self):
        # The custom resource's answer to CloudFormation's presigned URL lands here too.
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        RuntimeApi.marks.put(("error" if self.path.endswith("/error") else "response", time.monotonic(), body))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A process killed mid-poll resets its connection: expected, not worth a traceback.
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(command, env, event, runs):
    inits, responses, rss = [], [], []
    for _ in range(runs):
        # A fresh API per run: a killed process's late poll can never count for the next one.
        RuntimeApi.marks = queue.Queue()
        server = QuietServer(("127.0.0.1", 0), RuntimeApi)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        api = f"127.0.0.1:{server.server_address[1]}"
        RuntimeApi.event = json.dumps(event).replace("RUNTIME_API", api).encode()
        run_env = dict(env, AWS_LAMBDA_RUNTIME_API=api, AWS_LAMBDA_FUNCTION_NAME="bench",
                       AWS_LAMBDA_FUNCTION_VERSION="1", AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256")
        err = open("/tmp/coldstart.err", "a") if os.environ.get("COLDSTART_DEBUG") else subprocess.DEVNULL
        started = time.monotonic()
        proc = subprocess.Popen(command, env=run_env, stdout=subprocess.DEVNULL, stderr=err)
        first = RuntimeApi.marks.get(timeout=60)
        mark = RuntimeApi.marks.get(timeout=60)
        if mark[0] != "response":
            raise SystemExit(f"{command[0]}: expected a response, got {mark[0]}: {mark[2][:300] if len(mark) > 2 else ''!r}")
        rss.append(peak_rss_kib(proc.pid) / 1024)
        proc.kill()
        proc.wait()
        server.shutdown()
        server.server_close()
        inits.append((first[1] - started) * 1000)
        responses.append((mark[1] - started) * 1000)
    return statistics.median(inits), statistics.median(responses), max(rss)


def main():
    runs, binaries = int(sys.argv[1]), sys.argv[2]
    moto_port = free_port()
    moto = subprocess.Popen([os.path.join(VENV, "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", moto_port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        endpoint = f"http://127.0.0.1:{moto_port}"
        import boto3
        kms = boto3.client("kms", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="b", aws_secret_access_key="b")
        key = kms.create_key()["KeyMetadata"]
        kms.enable_key_rotation(KeyId=key["KeyId"])
        with open(os.path.join(ROOT, "events/config-rule/bucket-change.json")) as f:
            change = json.load(f)
        invoking = json.loads(change["invokingEvent"])
        rules = invoking["configurationItem"]["supplementaryConfiguration"]["ServerSideEncryptionConfiguration"]["rules"]
        rules[0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyID"] = key["Arn"]
        # The event comes from moto's account: the rule judges only its own account's events
        # unless it is given an execution role (issue 14).
        account = key["Arn"].split(":")[4]
        change["accountId"] = account
        invoking["configurationItem"]["awsAccountId"] = account
        change["invokingEvent"] = json.dumps(invoking)
        env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="b",
                   AWS_SECRET_ACCESS_KEY="b", AWS_EC2_METADATA_DISABLED="true")
        with open(os.path.join(ROOT, "events/pipeline-check/datapipeline-create.json")) as f:
            skipped = json.load(f)
        delete_marker = {"RequestType": "Delete", "ResponseURL": "http://RUNTIME_API/cfn-response", "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
                         "RequestId": "r", "LogicalResourceId": "L", "PhysicalResourceId": "artifact-guard-failed-r"}
        # The hook's pipeline request reads its store live: a bucket on the key above.
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="b", aws_secret_access_key="b")
        s3.create_bucket(Bucket="store-good")
        s3.put_bucket_encryption(Bucket="store-good", ServerSideEncryptionConfiguration={"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}}]})
        with open(os.path.join(ROOT, "events/template-hook/pipeline-create.json")) as f:
            hook_pipeline = json.load(f)
        hook_pipeline["awsAccountId"] = account
        with open(os.path.join(ROOT, "events/template-hook/key-create.json")) as f:
            hook_key = json.load(f)
        cases = [
            ("config-rule (bucket change)", [os.path.join(binaries, "config-rule")], change),
            ("Python baseline (bucket change)", [sys.executable, os.path.join(ROOT, "bench/baseline/rule.py")], change),
            ("pipeline-check (skipped event)", [os.path.join(binaries, "pipeline-check")], skipped),
            ("artifact-store (delete of a failed create)", [os.path.join(binaries, "artifact-store")], delete_marker),
            ("template-hook (key resource, no AWS call)", [os.path.join(binaries, "template-hook")], hook_key),
            ("template-hook (pipeline resource, store read live)", [os.path.join(binaries, "template-hook")], hook_pipeline),
        ]
        results = {name: measure(cmd, env, event, runs) for name, cmd, event in cases}
    finally:
        moto.kill()
        moto.wait()
    print(f"| function ({runs} cold starts each) | init median | first response median | peak RSS |")
    print("| --- | --- | --- | --- |")
    for name, (init, response, rss) in results.items():
        print(f"| {name} | {init:.1f} ms | {response:.1f} ms | {rss:.1f} MiB |")
    rust, python = results["config-rule (bucket change)"], results["Python baseline (bucket change)"]
    print(f"\nPython baseline / config-rule: init {python[0] / rust[0]:.0f}x, first response {python[1] / rust[1]:.1f}x")


if __name__ == "__main__":
    main()
