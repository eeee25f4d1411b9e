"""Splits a generated snapshot (bench/src/lib.rs writes one configuration item per line) into
one gzip-compressed snapshot file per account under OUTDIR, in AWS Config's delivery layout
(AWSLogs/<account>/Config/<region>/<date>/ConfigSnapshot/<file>.json.gz): the folder of an
organization's delivery bucket, for `make bench-snapshot-files`.

Usage: python split_snapshot.py SNAPSHOT OUTDIR
"""
import gzip
import os
import re
import sys

source, outdir = sys.argv[1], sys.argv[2]
header = b'{"fileVersion":"1.0","configSnapshotId":"bench","configurationItems":[\n'
account_of = re.compile(rb'"awsAccountId":"(\d{12})"')
region_of = re.compile(rb'"awsRegion":"([a-z0-9-]+)"')
files = {}  # (account, region) -> [gzip file, items written]

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
        place = (account_of.search(item).group(1).decode(), region_of.search(item).group(1).decode())
        if place not in files:
            account, region = place
            name = f"{account}_Config_{region}_ConfigSnapshot_20261201T000000Z_bench.json.gz"
            path = os.path.join(outdir, "AWSLogs", account, "Config", region, "2026/12/1/ConfigSnapshot", name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            out = gzip.open(path, "wb", compresslevel=1)
            out.write(header)
            files[place] = [out, 0]
        entry = files[place]
        if entry[1]:
            entry[0].write(b",\n")
        entry[0].write(item)
        entry[1] += 1

for out, _ in files.values():
    out.write(b"\n]}\n")
    out.close()
print(f"{len(files)} files", file=sys.stderr)
