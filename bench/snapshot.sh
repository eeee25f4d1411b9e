#!/usr/bin/env bash
# Generates a ~1 GB Config snapshot and measures `artifact-guard assess` on it: wall time and
# peak RSS (GNU time's "Maximum resident set size"). The snapshot is written under bench/out/
# and removed afterwards; SIZE=200M makes a smaller one. FILES=N splits it into N gzip files in
# Config's delivery layout (bench/split_snapshot.py) and assesses the directory.
set -euo pipefail
cd "$(dirname "$0")/.."
size="${SIZE:-1G}"
out=bench/out
mkdir -p "$out"
cargo build --release --quiet --bin artifact-guard --bin gen-snapshot
"${TARGET_DIR:-target}"/release/gen-snapshot "$out/snapshot.json" "$size"
bytes=$(stat -c %s "$out/snapshot.json")
files="${FILES:-1}"
input="$out/snapshot.json"
if [ "$files" -gt 1 ]; then
  rm -rf "$out/snapshots"
  python3 bench/split_snapshot.py "$out/snapshot.json" "$out/snapshots" "$files"
  rm -f "$out/snapshot.json"
  input="$out/snapshots"
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
echo "snapshot: $bytes bytes in $files file(s), $evaluations buckets/keys/pipelines assessed"
echo "wall time: $wall, peak RSS: $((rss_kb / 1024)) MiB"
