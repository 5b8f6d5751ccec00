#!/usr/bin/env python3
"""cpx-auction end to end (docs/AUCTION_FILES.md): example -> solve -> check, the money identity of
balances.csv, a tampered result refused, bad input and usage errors with their exit codes.

usage: auction_cli_test.py --auction build/bin/cpx-auction --dir WORKDIR
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(args, cwd):
    p = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def units(text):
    """CNY with four decimals as integer units (exact)."""
    d = Decimal(text)
    check(d == d.quantize(Decimal("0.0001")), f"{text} has more than four decimals")
    return int(d * 10000)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--auction", required=True)
    ap.add_argument("--dir", required=True)
    a = ap.parse_args()
    tool = os.path.abspath(a.auction)
    work = os.path.abspath(a.dir)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)

    # Help and usage.
    for sub in ["solve", "check", "example"]:
        rc, out, _ = run([tool, sub, "--help"], work)
        check(rc == 0 and out.startswith("usage: cpx-auction " + sub), f"{sub} --help")
    rc, out, _ = run([tool, "--help"], work)
    check(rc == 0 and "commands:" in out, "--help")
    for args, what in [([], "no command"), (["frobnicate"], "unknown command"), (["solve", "x.json"], "solve without --out"),
                       (["solve", "--out", "o"], "solve without a file"), (["solve", "x.json", "--out", "o", "--gap", "2"], "bad --gap"),
                       (["check", "x.json"], "check with one file"), (["example"], "example without --out"),
                       (["example", "--out", "x.json", "--day", "2026-13-01"], "bad --day")]:
        rc, _, err = run([tool] + args, work)
        check(rc == 2, f"{what}: exit 2, got {rc}")
        check(err.startswith("cpx-auction: "), f"{what}: says why")

    # example -> solve -> check.
    rc, out, err = run([tool, "example", "--out", "day.json"], work)
    check(rc == 0, f"example: {err}")
    check(json.loads(out)["ok"] is True, "example prints ok")
    day = json.load(open(os.path.join(work, "day.json")))
    check(day["format"] == "cpx-auction-day/1", "example format")
    rc, out, err = run([tool, "solve", "day.json", "--out", "out"], work)
    check(rc == 0, f"solve: {err}")
    summary = json.loads(out.strip().splitlines()[-1])
    check(summary["ok"] and summary["balanced"], "solve summary balanced")
    check(summary["solver"]["proven_optimal"] is True, "proven optimal")
    check(summary["contracts"] > 0, "contracts made")
    check(summary["bids_with_other_routes"] == [], "the example's routes are the frozen ones")
    for name in ["result.json", "prices.csv", "acceptances.csv", "allocations.csv", "flows.csv", "payments.csv", "balances.csv"]:
        check(os.path.exists(os.path.join(work, "out", name)), f"{name} written")

    # The money identity over balances.csv, to the unit.
    rows = read_csv(os.path.join(work, "out", "balances.csv"))
    people = [r for r in rows if not r["participant"].startswith("(")]
    exchange = [r for r in rows if r["participant"] == "(exchange)"][0]
    total = [r for r in rows if r["participant"] == "(total)"][0]
    pays = sum(units(r["buyer_pays"]) for r in people)
    sellers = sum(units(r["seller_receives"]) for r in people)
    carriers = sum(units(r["carrier_receives"]) for r in people)
    fees = units(exchange["exchange_receives"])
    check(pays == sellers + carriers + fees, f"buyers pay {pays} = sellers {sellers} + carriers {carriers} + fees {fees}")
    check(sum(units(r["net"]) for r in rows if r is not total) == 0, "nets sum to zero")
    check(units(total["buyer_pays"]) == pays, "total row")
    check(pays == units(summary["buyers_pay"]), "summary buyers_pay")
    check(carriers > 0, "carriers are paid")
    # payments.csv: contracts add up to the balances; each contract's buyer cost is its parts.
    payments = read_csv(os.path.join(work, "out", "payments.csv"))
    check(len(payments) == summary["contracts"], "a payments row per contract")
    check(sum(units(p["buyer_cost"]) for p in payments) == pays, "payments sum to what buyers pay")
    carrier_cols = [k for k in payments[0] if k.startswith("transport_")]
    for p in payments:
        check(units(p["buyer_cost"]) == units(p["notional"]) + units(p["buyer_fee"]) + units(p["transport"]), "buyer cost parts")
        check(units(p["transport"]) == sum(units(p[c]) for c in carrier_cols), "transport per carrier")
    # Congestion: the example's GBA->NM link is full while the night block runs.
    flows = read_csv(os.path.join(work, "out", "flows.csv"))
    full = [f for f in flows if f["from"] == "GBA" and f["to"] == "NM" and Decimal(f["flow_gb"]) == Decimal(f["capacity_gb"])]
    check(len(full) == 8, f"GBA->NM full for the 8 night hours, got {len(full)}")
    check(sum(units(f["carrier_receipts"]) for f in flows) == carriers, "flows.csv receipts = carriers' balances")
    # allocations.csv: the local inference bid is rejected.
    alloc = read_csv(os.path.join(work, "out", "allocations.csv"))
    check([r["status"] for r in alloc if r["bid_id"] == "2004"] == ["rejected"], "bid 2004 rejected")

    rc, out, err = run([tool, "check", "day.json", "out/result.json", "--out", "rederived"], work)
    check(rc == 0, f"check: {err}")
    checked = json.loads(out)
    check(checked["rules"] == "hold" and checked["payments"] == "match", "check holds")
    check(checked["buyers_pay"] == summary["buyers_pay"], "check re-derives the same money")
    for name in ["prices.csv", "acceptances.csv", "allocations.csv", "flows.csv", "payments.csv", "balances.csv"]:
        check(open(os.path.join(work, "out", name)).read() == open(os.path.join(work, "rederived", name)).read(),
              f"{name} re-derived identically")

    # Deterministic, and --recompute-routes gives the same day (its routes are the frozen ones).
    rc, _, err = run([tool, "solve", "day.json", "--out", "again", "--recompute-routes", "--time-limit", "120"], work)
    check(rc == 0, f"solve --recompute-routes: {err}")
    for name in ["prices.csv", "payments.csv", "balances.csv", "flows.csv"]:
        check(open(os.path.join(work, "out", name)).read() == open(os.path.join(work, "again", name)).read(),
              f"{name} the same with recomputed routes")

    # The same file twice: every output file the same, byte for byte (result.json keeps no times).
    rc, out2, err = run([tool, "solve", "day.json", "--out", "twice"], work)
    check(rc == 0 and "seconds_total" in out2, f"solve again (times on stdout): {err}")
    for name in ["result.json", "prices.csv", "acceptances.csv", "allocations.csv", "flows.csv", "payments.csv", "balances.csv"]:
        check(open(os.path.join(work, "out", name), "rb").read() == open(os.path.join(work, "twice", name), "rb").read(),
              f"{name} byte for byte the same on a second solve")
    check("seconds_total" not in open(os.path.join(work, "out", "result.json")).read(), "result.json has no times")

    # Tampered results are refused.
    result = json.load(open(os.path.join(work, "out", "result.json")))
    bad = json.loads(json.dumps(result))
    bad["payments"][0]["notional"] = "0.0001"
    json.dump(bad, open(os.path.join(work, "bad_payments.json"), "w"))
    rc, _, err = run([tool, "check", "day.json", "bad_payments.json"], work)
    check(rc == 1 and "payments[0] in result.json is" in err, f"tampered payment refused: {rc} {err}")
    bad = json.loads(json.dumps(result))
    for p in bad["prices"]:
        if p["region"] == "NM" and p["class"] == "H100":
            p["cny_per_scu_hour"] = "0.00010000"
    json.dump(bad, open(os.path.join(work, "bad_prices.json"), "w"))
    rc, _, err = run([tool, "check", "day.json", "bad_prices.json"], work)
    check(rc == 1 and "breaks the auction rules" in err, f"tampered price refused: {rc} {err}")
    bad = json.loads(json.dumps(result))
    bad["allocations"] = bad["allocations"][1:]
    json.dump(bad, open(os.path.join(work, "bad_alloc.json"), "w"))
    rc, _, err = run([tool, "check", "day.json", "bad_alloc.json"], work)
    check(rc == 1, f"a dropped allocation refused: {rc} {err}")

    # A bad day file: exit 1, the entry named.
    broken = json.loads(json.dumps(day))
    broken["offers"][3]["price"] = 24.5
    json.dump(broken, open(os.path.join(work, "broken.json"), "w"))
    rc, _, err = run([tool, "solve", "broken.json", "--out", "never"], work)
    check(rc == 1 and 'offers[3] (id 1004): field "price" is a JSON number' in err, f"float price refused: {rc} {err}")
    check(not os.path.exists(os.path.join(work, "never")), "nothing written for a bad file")
    rc, _, err = run([tool, "solve", "missing.json", "--out", "never"], work)
    check(rc == 1 and "cannot open missing.json" in err, "missing file")
    rc, _, err = run([tool, "check", "day.json", "missing.json"], work)
    check(rc == 1 and "cannot open missing.json" in err, "missing result")

    if FAILURES:
        print(f"{len(FAILURES)} failure(s)", file=sys.stderr)
        return 1
    print("auction_cli_test: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
