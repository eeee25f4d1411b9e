#!/usr/bin/env bash
# Generates a ~1 GB Config snapshot and measures `artifact-guard assess` on it: wall time and
# peak RSS (GNU time's "Maximum resident set size"). The snapshot is written under bench/out/
# and removed afterwards; SIZE=200M makes a smaller one. MIX=artifacts leaves out the resource
# types artifact-guard skips (the most buckets, keys and pipelines a gigabyte holds).
# ACCOUNTS=N spreads the resources over N accounts and writes one gzip file per account in
# Config's delivery layout (bench/split_snapshot.py), and assesses the directory.
set -euo pipefail
cd "$(dirname "$0")/.."
size="${SIZE:-1G}"
out=bench/out
mkdir -p "$out"
cargo build --release --quiet --bin artifact-guard --bin gen-snapshot
accounts="${ACCOUNTS:-1}"
"${TARGET_DIR:-target}"/release/gen-snapshot "$out/snapshot.json" "$size" "${MIX:-standard}" "$accounts"
bytes=$(stat -c %s "$out/snapshot.json")
input="$out/snapshot.json"
files=1
if [ "$accounts" -gt 1 ]; then
  rm -rf "$out/snapshots"
  python3 bench/split_snapshot.py "$out/snapshot.json" "$out/snapshots"
  rm -f "$out/snapshot.json"
  input="$out/snapshots"
  files=$(find "$input" -name '*.json.gz' | wc -l)
fi
status=0
/usr/bin/time -v "${TARGET_DIR:-target}"/release/artifact-guard assess --snapshot "$input" --format json \
  > "$out/evaluations.json" 2> "$out/time.txt" || status=$?
rm -rf "$out/snapshot.json" "$out/snapshots"
if [ "$status" -gt 1 ]; then
  cat "$out/time.txt" >&2
  exit "$status"
fi
wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$out/time.txt")
rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/time.txt")
evaluations=$(grep -c '"ComplianceResourceType"' "$out/evaluations.json" || true)
seconds=$(echo "$wall" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
echo "snapshot: $bytes bytes (uncompressed) in $files file(s) of $accounts account(s), $evaluations buckets/keys/pipelines assessed"
echo "wall time: $wall ($(awk -v b="$bytes" -v s="$seconds" 'BEGIN { printf "%.0f", b / s / 1e6 }') MB/s), peak RSS: $((rss_kb / 1024)) MiB"
