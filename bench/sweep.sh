#!/usr/bin/env bash
# The periodic sweep against moto: PIPELINES pipelines (default 500) on one protected bucket and
# key per ten pipelines, swept twice: against moto alone, and with a stand-in for AWS Config
# recording the pipelines (bench/config_standin.py). Delivers a ScheduledNotification to the built config-rule binary through
# cargo-lambda's Lambda Runtime API emulator and reports wall time and the function's own count of
# AWS calls. Everything it starts is stopped by process id.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${PIPELINES:-500}"
make --quiet venv
cargo build --release --quiet -p config-rule
free_port() { .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
moto_port=$(free_port); rt_port=$(free_port)
out=bench/out; mkdir -p "$out"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
.venv/bin/moto_server -H 127.0.0.1 -p "$moto_port" > "$out/moto.log" 2>&1 & pids+=($!)
.venv/bin/cargo-lambda lambda watch --only-lambda-apis -A 127.0.0.1 -P "$rt_port" > "$out/watch.log" 2>&1 & pids+=($!)
for _ in $(seq 1 300); do
  (exec 3<>"/dev/tcp/127.0.0.1/$moto_port") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$rt_port") 2>/dev/null && break
  sleep 0.1
done
echo "creating $count pipelines in moto…" >&2
.venv/bin/python bench/moto_pipelines.py "http://127.0.0.1:$moto_port" "$count" "$out/config-pipelines.json"
# One sweep through the built binary with AWS_ENDPOINT_URL=$2; prints wall time and calls.
sweep() {
  local label="$1" endpoint="$2" log="$out/config-rule-$1.log"
  AWS_ENDPOINT_URL="$endpoint" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
  AWS_EC2_METADATA_DISABLED=true AWS_LAMBDA_FUNCTION_NAME=_ AWS_LAMBDA_FUNCTION_VERSION=1 AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 \
  AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$rt_port/.rt" "${TARGET_DIR:-target}"/release/config-rule > "$log" 2>&1 &
  local function_pid=$!
  local start end
  start=$(date +%s.%N)
  .venv/bin/cargo-lambda lambda invoke --invoke-address 127.0.0.1 --invoke-port "$rt_port" -o json \
    --data-file events/config-rule/periodic.json _ > "$out/sweep-result-$label.json"
  end=$(date +%s.%N)
  kill "$function_pid"; wait "$function_pid" 2>/dev/null || true
  local evaluations calls
  evaluations=$(.venv/bin/python -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["evaluations"]))' "$out/sweep-result-$label.json")
  calls=$(grep -o 'api_calls=[0-9]*' "$log" | tail -1); calls=${calls#api_calls=}
  echo "$label: $count pipelines, $evaluations evaluations, wall time $(.venv/bin/python -c "print(f'{$end - $start:.2f} s')"), AWS calls $calls ($(.venv/bin/python -c "print(f'{$calls / $evaluations:.2f}')") per assessed resource)"
}

# 1. moto alone: its Config records no pipelines (and its bucket items do not parse in the Rust
#    SDK), so every pipeline costs GetPipeline + ListTagsForResource and every bucket 5 S3 calls.
sweep "moto" "http://127.0.0.1:$moto_port"
# 2. Config recording the pipelines (bench/config_standin.py in front of moto): definitions come
#    100 at a time from BatchGetResourceConfig, tags from ListTagsForResource.
standin_port=$(free_port)
.venv/bin/python bench/config_standin.py "$standin_port" "http://127.0.0.1:$moto_port" "$out/config-pipelines.json" > "$out/standin.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$standin_port") 2>/dev/null && break; sleep 0.1; done
sweep "config-records-pipelines" "http://127.0.0.1:$standin_port"
