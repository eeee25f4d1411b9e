#!/usr/bin/env bash
# Instructions the engine spends per resource (facts to evaluations, the engine/assess
# benchmark's work), counted by callgrind over three passes of the standard snapshot.
set -euo pipefail
bin=$1
passes=3
out=$(mktemp)
trap 'rm -f "$out" "$out.log"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect='*assess_times*' \
    "$bin" "$passes" > "$out.log" 2>&1 || { cat "$out.log" >&2; exit 1; }
collected=$(grep -o 'Collected : [0-9]*' "$out.log" | grep -o '[0-9]*$')
resources=$(grep -o '^[0-9]* resources' "$out.log" | grep -o '^[0-9]*' || true)
resources=${resources:-$("$bin" 0 | grep -o '^[0-9]*')}
echo "engine/assess: $collected instructions for $passes passes over $resources resources," \
    "$(( collected / (passes * resources) )) instructions per resource"
