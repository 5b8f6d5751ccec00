#!/usr/bin/env python3
"""cpxd end to end as a process: start it with the demo market, read a book over HTTP,
stop with SIGTERM (exit 0, "stopped cleanly"), start again on the same data directory and check that the
journal was recovered: the same durable sequence (or later: the clock ticks) and the same book."""
import argparse, json, re, os, shutil, sys, urllib.request

from cpxd_process import free_port, start, stop, tomorrow_symbols, write_config


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        return json.loads(r.read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cpxd", required=True)
    ap.add_argument("--dir", required=True)
    a = ap.parse_args()
    shutil.rmtree(a.dir, ignore_errors=True)
    os.makedirs(a.dir)
    http = free_port()
    config = write_config(os.path.join(a.dir, "cpxd.json"),
                          {"http_port": http, "https_port": -1, "fix_port": -1, "fix_tls_port": -1, "snapshot_every": 50})
    data = os.path.join(a.dir, "data")
    p, lines = start(a.cpxd, config, data)
    symbol = tomorrow_symbols(lines)[0]
    seq1 = get(http, "/health")["durable_seq"]
    book1 = get(http, f"/book/{symbol}?depth=10")
    stop(p, require_clean=True)
    p, lines = start(a.cpxd, config, data)
    recovered = [l for l in lines if "recovered" in l]
    if not recovered:
        sys.exit("the restart did not recover from the journal:\n" + "".join(lines))
    # Snapshots are written off the engine thread every 50 commands: the restart must start from one.
    m = re.search(r"\(snapshot (\d+) \+", recovered[0])
    if not m or int(m.group(1)) == 0:
        sys.exit("the restart did not start from a snapshot: " + recovered[0])
    seq2 = get(http, "/health")["durable_seq"]
    book2 = get(http, f"/book/{symbol}?depth=10")
    stop(p, require_clean=True)
    if seq2 < seq1:
        sys.exit(f"durable sequence went back: {seq1} -> {seq2}")
    if book1["bids"] != book2["bids"] or book1["asks"] != book2["asks"]:
        sys.exit(f"book differs after restart:\n{book1}\n{book2}")
    print(f"ok: {symbol} book identical after SIGTERM + restart; durable seq {seq1} -> {seq2}")


if __name__ == "__main__":
    main()
