#!/usr/bin/env bash
# Prints a table of each function's arm64 release binary and Lambda zip (after `make package`).
set -euo pipefail
cd "$(dirname "$0")/.."
mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1000000 }'; }
echo "| function | arm64 binary | zip (target: under 5 MB) |"
echo "| --- | --- | --- |"
for f in "$@"; do
  binary=$(stat -c %s "${TARGET_DIR:-target}/aarch64-unknown-linux-gnu/release/$f")
  zip=$(stat -c %s "${TARGET_DIR:-target}/lambda/$f/bootstrap.zip")
  echo "| $f | $(mb "$binary") | $(mb "$zip") |"
done
