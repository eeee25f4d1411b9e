"""Splits a generated snapshot (bench/src/lib.rs writes one configuration item per line) into
FILES gzip-compressed snapshot files under OUTDIR, in AWS Config's delivery layout, contiguous
runs of items so that each resource's references stay within the items read: the many-files
shape of an organization's delivery bucket, for `make bench-snapshot FILES=N`.

Usage: python split_snapshot.py SNAPSHOT OUTDIR FILES
"""
import gzip
import os
import sys

source, outdir, files = sys.argv[1], sys.argv[2], int(sys.argv[3])
size = os.path.getsize(source)
per_file = size // files + 1
header = b'{"fileVersion":"1.0","configSnapshotId":"bench","configurationItems":[\n'
n, written, out = 0, 0, None


def open_next():
    global n, out
    if out:
        out.write(b"\n]}\n")
        out.close()
    path = os.path.join(outdir, f"AWSLogs/111122223333/Config/eu-west-1/2026/12/1/ConfigSnapshot/part-{n:04d}.json.gz")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    out = gzip.open(path, "wb", compresslevel=1)
    out.write(header)
    n += 1
    return True


with open(source, "rb") as f:
    first = True
    for line in f:
        if first:
            line = line[line.index(b"[") + 1:]
            first = False
        item = line.rstrip(b"\n")
        if item.endswith(b"]}"):  # the last line closes the list and the document
            item = item[:-2]
        item = item.rstrip(b",")
        if not item.strip():
            continue
        if out is None or written >= per_file * n:
            open_next()
            fresh = True
        if not fresh:
            out.write(b",\n")
        out.write(item)
        fresh = False
        written += len(line)
if out:
    out.write(b"\n]}\n")
    out.close()
print(f"{n} files", file=sys.stderr)
