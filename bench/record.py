"""Writes one benchmark's fresh output into BENCHMARKS.md, between its markers
`<!-- bench:NAME -->` and `<!-- /bench:NAME -->`, with when, where and how it was measured.
The prose around the markers (what the figures mean, what changed them) is kept.

Usage: python bench/record.py NAME "COMMAND" < OUTPUT
  NAME=engine reads criterion's estimates from target/criterion instead of stdin.
"""
import json
import os
import platform
import re
import subprocess
import sys
from datetime import datetime, timezone

name, command = sys.argv[1], sys.argv[2]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True, cwd=root).stdout.strip()
    except OSError:
        return ""


def machine():
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem_kb = 0
    return (f"{os.cpu_count()} × {cpu or platform.processor()}, {mem_kb / 1024 / 1024:.0f} GiB, "
            f"{platform.system()} {platform.release()}; {run('rustc', '--version')}")


def engine_table():
    """Median time per snapshot and resources per second for each criterion benchmark."""
    rows = ["| benchmark | median per snapshot | resources per second |", "| --- | --- | --- |"]
    base = os.path.join(root, "target/criterion/engine")
    for bench in sorted(os.listdir(base)):
        estimates = os.path.join(base, bench, "new/estimates.json")
        benchmark = os.path.join(base, bench, "new/benchmark.json")
        if not os.path.exists(estimates):
            continue
        median_ns = json.load(open(estimates))["median"]["point_estimate"]
        elements = (json.load(open(benchmark)).get("throughput") or {}).get("Elements")
        rate = f"{elements / (median_ns / 1e9):,.0f}" if elements else "-"
        rows.append(f"| `engine/{bench}` | {median_ns / 1e6:.1f} ms | {rate} |")
    return "\n".join(rows)


output = engine_table() if name == "engine" else sys.stdin.read().strip()
if not output.lstrip().startswith("|"):
    output = "```\n" + output + "\n```"
stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
commit = run("git", "rev-parse", "--short", "HEAD") or "unknown"
# BENCHMARKS.md itself changes as the steps record; any other change means the figures are not
# those of the commit named.
dirty = " (uncommitted changes)" if run("git", "status", "--porcelain", "--untracked-files=no",
                                        "--", ".", ":!BENCHMARKS.md") else ""
block = (f"<!-- bench:{name} -->\n_Measured {stamp} at commit `{commit}`{dirty} on {machine()}. "
         f"Command: `{command}`._\n\n{output}\n<!-- /bench:{name} -->")

path = os.path.join(root, "BENCHMARKS.md")
text = open(path).read()
pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
if not pattern.search(text):
    sys.exit(f"BENCHMARKS.md has no <!-- bench:{name} --> block")
open(path, "w").write(pattern.sub(lambda _: block, text))
print(f"BENCHMARKS.md: {name} updated")
