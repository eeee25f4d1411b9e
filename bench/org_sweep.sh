#!/usr/bin/env bash
# The organization sweep: ACCOUNTS member accounts (default 50) with PIPELINES pipelines each
# (default 20) on one moto server, read by `artifact-guard scan --role-name … --organization`
# (release build) from the management account. Reports wall time, peak RSS, the AWS calls per
# assessed resource and the AssumeRole calls per account (the scan's own summary lines).
set -euo pipefail
cd "$(dirname "$0")/.."
accounts="${ACCOUNTS:-50}"; pipelines="${PIPELINES:-20}"; role=artifact-guard-execution
make --quiet venv
cargo build --release --quiet -p artifact-guard-cli
bin="$(.venv/bin/python -c 'import json,subprocess;print(json.loads(subprocess.run(["cargo","metadata","--format-version","1","--no-deps"],capture_output=True,text=True).stdout)["target_directory"])')/release/artifact-guard"
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
out=bench/out; mkdir -p "$out"
.venv/bin/moto_server -H 127.0.0.1 -p "$port" > "$out/moto-org.log" 2>&1 & moto=$!
trap 'kill $moto 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
echo "creating $accounts accounts with $pipelines pipelines each in moto…" >&2
.venv/bin/python bench/moto_organization.py "http://127.0.0.1:$port" "$accounts" "$pipelines" "$role"
AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  /usr/bin/time -v "$bin" scan --role-name "$role" --organization --format json \
  > "$out/org-sweep.json" 2> "$out/org-sweep.log" || test $? -eq 1
.venv/bin/python - "$out/org-sweep.json" "$out/org-sweep.log" "$accounts" "$pipelines" <<'PY'
import json, re, sys
report = json.load(open(sys.argv[1])); log = open(sys.argv[2]).read()
accounts, pipelines = int(sys.argv[3]), int(sys.argv[4])
evaluations = report["evaluations"]
by_account = {}
for e in evaluations:
    by_account[e["AccountId"]] = by_account.get(e["AccountId"], 0) + 1
calls = int(re.search(r"\((\d+) AWS calls\)", log).group(1))
assumed = int(re.search(r"(\d+) AssumeRole calls for (\d+) accounts", log).group(1))
wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", log).group(1)
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", log).group(1)) // 1024
not_scanned = len(report.get("notScanned", []))
print(f"organization: {accounts} members × {pipelines} pipelines (+ the management account), "
      f"{len(evaluations)} resources assessed in {len(by_account)} accounts, {not_scanned} account-regions not scanned")
print(f"wall time {wall}, peak RSS {rss} MiB, AWS calls {calls} ({calls / max(len(evaluations), 1):.2f} per assessed resource), "
      f"AssumeRole {assumed} ({assumed / (accounts + 1):.2f} per account)")
PY
