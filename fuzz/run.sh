#!/usr/bin/env bash
# Runs every fuzz target for SECONDS seconds (default 60) from seed corpora made of the
# project's fixtures, and prints executions and findings per target. Crashes are kept under
# fuzz/artifacts/<target>/; the run fails if any target finds one.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
toolchain="${NIGHTLY:-nightly}"
fuzz="${CARGO_FUZZ:-.tools/bin/cargo-fuzz}"
corpus=fuzz/corpus
rm -rf "$corpus"
mkdir -p "$corpus"/{policy,config_item,snapshot,cfn_request,cloudtrail_event,config_event,template}
.venv/bin/python - <<'PY'
import gzip, json, glob, os
corpus = "fuzz/corpus"
snapshot = json.load(open("examples/snapshot.json"))
n = 0
for item in snapshot["configurationItems"]:
    n += 1
    json.dump(item, open(f"{corpus}/config_item/snapshot-{n}.json", "w"))
    text = (item.get("supplementaryConfiguration") or {}).get("BucketPolicy", {}).get("policyText")
    if text:
        open(f"{corpus}/policy/snapshot-{n}.json", "w").write(text)
for path in glob.glob("tests/fixtures/items/*.json"):
    open(f"{corpus}/config_item/{os.path.basename(path)}", "w").write(open(path).read())
open(f"{corpus}/snapshot/example.json", "w").write(open("examples/snapshot.json").read())
open(f"{corpus}/snapshot/example.json.gz", "wb").write(gzip.compress(open("examples/snapshot.json", "rb").read()))
for path in glob.glob("events/artifact-store/*.json"):
    open(f"{corpus}/cfn_request/{os.path.basename(path)}", "w").write(open(path).read())
for path in glob.glob("events/config-rule/*.json"):
    open(f"{corpus}/config_event/{os.path.basename(path)}", "w").write(open(path).read())
for path in glob.glob("tests/templates/*") + ["examples/pipeline-stack.yaml", "template.yaml"]:
    open(f"{corpus}/template/{os.path.basename(path)}", "w").write(open(path).read())
for path in glob.glob("events/pipeline-check/*.json"):
    open(f"{corpus}/cloudtrail_event/{os.path.basename(path)}", "w").write(open(path).read())
PY
status=0
for target in policy config_item snapshot cfn_request cloudtrail_event config_event template; do
  log="fuzz/${target}.log"
  if cargo "+$toolchain" fuzz run --fuzz-dir fuzz "$target" "$corpus/$target" -- \
      -max_total_time="$seconds" -max_len=262144 -rss_limit_mb=1024 -timeout=10 > "$log" 2>&1; then
    found=0
  else
    found=1
    status=1
  fi
  runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  echo "$target: ${runs} executions in ${seconds} s, findings: ${found} (log: $log)"
done
exit "$status"
