"""Writes a CSV of N valid accesses for the import benchmark.

Reads the demo database (SQLite) for sites and the price table of lot 6A
(which covers any municipality), and emits rows whose bandwidth has a price
for the site's area, so every row passes validation.
Usage: python3 scripts/gen_accesses.py DEMO.db N > accesses.csv
"""
import csv
import sqlite3
import sys

db, n = sys.argv[1], int(sys.argv[2])
con = sqlite3.connect(db)
lot_id, = con.execute("SELECT id FROM lots WHERE code = '6A'").fetchone()
priced = {}
for bw, area in con.execute("SELECT bandwidth_mbps, area FROM prices WHERE lot_id = ? AND service = 'SCM'", (lot_id,)):
    priced.setdefault(area, []).append(bw)
sites = [(sid, area) for sid, area in con.execute("SELECT id, area FROM sites ORDER BY id") if area in priced]
out = csv.writer(sys.stdout, delimiter=";", lineterminator="\n")
out.writerow(["site_id", "lot_code", "bandwidth_mbps", "redundancy", "technology", "probe_targets", "activated_at"])
for i in range(n):
    sid, area = sites[i % len(sites)]
    bws = sorted(priced[area])
    bw = bws[i % len(bws)]
    ip = f"172.{16 + (i >> 16) % 16}.{(i >> 8) & 255}.{i & 255}"
    if i % 10 == 0:
        ip2 = f"172.{32 + (i >> 16) % 16}.{(i >> 8) & 255}.{i & 255}"
        out.writerow([sid, "6A", bw, "non_critical", "terrestrial", f"{ip}|{ip2}", "2024-01-01T00:00:00-03:00"])
    else:
        out.writerow([sid, "6A", bw, "none", "terrestrial", ip, "2024-01-01T00:00:00-03:00"])
