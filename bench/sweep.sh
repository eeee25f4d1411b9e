#!/usr/bin/env bash
# The periodic sweep against moto: PIPELINES pipelines (default 1000) on one protected bucket and
# key per ten pipelines. Delivers a ScheduledNotification to the built config-rule binary through
# cargo-lambda's Lambda Runtime API emulator and reports wall time and the function's own count of
# AWS calls. Everything it starts is stopped by process id.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${PIPELINES:-1000}"
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
.venv/bin/python bench/moto_pipelines.py "http://127.0.0.1:$moto_port" "$count"
AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
AWS_EC2_METADATA_DISABLED=true AWS_LAMBDA_FUNCTION_NAME=_ AWS_LAMBDA_FUNCTION_VERSION=1 AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 \
AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$rt_port/.rt" ./target/release/config-rule > "$out/config-rule.log" 2>&1 & pids+=($!)
start=$(date +%s.%N)
.venv/bin/cargo-lambda lambda invoke --invoke-address 127.0.0.1 --invoke-port "$rt_port" -o json \
  --data-file events/config-rule/periodic.json _ > "$out/sweep-result.json"
end=$(date +%s.%N)
evaluations=$(.venv/bin/python -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["evaluations"]))' "$out/sweep-result.json")
summary=$(grep -o 'api_calls=[0-9]*' "$out/config-rule.log" | tail -1)
calls=${summary#api_calls=}
echo "pipelines: $count, evaluations: $evaluations"
echo "sweep wall time: $(.venv/bin/python -c "print(f'{$end - $start:.2f} s')")"
echo "AWS calls: $calls ($(.venv/bin/python -c "print(f'{$calls / $evaluations:.2f}')") per assessed resource)"
