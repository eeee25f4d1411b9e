"""Writes one benchmark's fresh output into BENCHMARKS.md, between its markers
`<!-- bench:NAME -->` and `<!-- /bench:NAME -->`, with when, where and how it was measured.
The prose around the markers (what the figures mean, what changed them) is kept.

Usage: python bench/record.py NAME "COMMAND" < OUTPUT
  NAME=engine reads criterion's estimates (engine/*, wildcard/*) from the target directory
  instead of stdin.
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
    """Median time and throughput for each criterion benchmark: resources per second for the
    engine, automaton steps (pattern × text characters) per second for wildcard matching."""
    rows = ["| benchmark | median | throughput |", "| --- | --- | --- |"]
    for group, unit in (("engine", "resources/s"), ("wildcard", "steps/s")):
        base = os.path.join(target_dir(), "criterion", group)
        if not os.path.isdir(base):
            continue
        for bench in sorted(os.listdir(base), key=lambda b: (len(b), b)):
            estimates = os.path.join(base, bench, "new/estimates.json")
            benchmark = os.path.join(base, bench, "new/benchmark.json")
            if not os.path.exists(estimates):
                continue
            median_ns = json.load(open(estimates))["median"]["point_estimate"]
            elements = (json.load(open(benchmark)).get("throughput") or {}).get("Elements")
            rate = f"{elements / (median_ns / 1e9):,.0f} {unit}" if elements else "-"
            rows.append(f"| `{group}/{bench}` | {median_ns / 1e6:.3f} ms | {rate} |")
    return "\n".join(rows)


def target_dir():
    """Where cargo builds (CARGO_TARGET_DIR or the workspace's target/)."""
    try:
        meta = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"],
                              capture_output=True, text=True, cwd=root, check=True).stdout
        return json.loads(meta)["target_directory"]
    except (OSError, subprocess.CalledProcessError, ValueError, KeyError):
        return os.path.join(root, "target")


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
