#!/usr/bin/env python3
"""The day-ahead auction through cpx-replay (tests/data/auction_day.jsonl): the auction clears, contracts
are made and settled, carriers and the revenue-sharing party are paid, the ledger balances; the same run
through a journal ends in the same state and its replay (which never solves: the result is in the
journaled clear_auction) gives the same awards; the exported day file re-solves offline with cpx-auction
to the very contracts the engine made.

usage: auction_day_test.py --replay cpx-replay --auction cpx-auction --input auction_day.jsonl --dir WORKDIR
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
CONTRACTS = 18


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, file=sys.stderr)


def units(text):
    return int(Decimal(text) * 10000)


def replay(args, cwd):
    p = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        print(p.stderr, file=sys.stderr)
    check(p.returncode == 0, f"{' '.join(args[1:])}: exit {p.returncode}")
    return [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--replay", required=True)
    ap.add_argument("--auction", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--dir", required=True)
    a = ap.parse_args()
    replay_bin, auction_bin, scenario = (os.path.abspath(p) for p in (a.replay, a.auction, a.input))
    work = os.path.abspath(a.dir)
    shutil.rmtree(work, ignore_errors=True)
    plain, durable = os.path.join(work, "plain"), os.path.join(work, "durable")
    os.makedirs(plain)
    os.makedirs(durable)

    # ---- one run in memory
    events = replay([replay_bin, scenario], plain)
    by = lambda ev: [e for e in events if e.get("ev") == ev]
    check(by("error") == [], f"no error lines: {by('error')}")
    check(by("rejected") == [], f"no rejected commands: {by('rejected')}")
    states = [e["state"] for e in by("auction_state")]
    check(states == ["open", "closed", "cleared"], f"auction states {states}")
    cleared = by("auction_state")[-1]
    check(cleared.get("contracts") == CONTRACTS and cleared.get("accepted_bids") == 3, f"cleared: {cleared}")
    solved = by("auction_solved")
    check(len(solved) == 1 and solved[0]["stats"]["proven_optimal"] is True, "one proven-optimal solve")
    check(solved and solved[0]["state"] == "cleared", "the solve cleared the auction")
    exported = by("auction_exported")
    check(len(exported) == 1 and exported[0]["offers"] == 18 and exported[0]["bids"] == 4, f"exported: {exported}")
    awards = by("auction_award")
    check(len(awards) == CONTRACTS, f"{len(awards)} awards")
    done = {e["cl_ord_id"]: e for e in by("auction_done")}
    check(done["sz-local"]["status"] == "rejected", "the local bid is rejected")
    check(done["nm-13"]["status"] == "cancelled", "the withdrawn offer is cancelled")
    check(done["bj-train"]["accepted_scu_per_hour"] == 148350, "the training block gets all of it")

    # Settlement: every contract reported and paid out; each escrow splits exactly.
    settled = by("settled")
    check(len(settled) == CONTRACTS, f"{len(settled)} contracts settled")
    carriers, shares = {}, {}
    for s in settled:
        transport = units(s.get("transport", "0"))
        check(units(s["escrow"]) == units(s["supplier_gross"]) + units(s["fees"]) + units(s["refund"]) + transport,
              f"trade {s['trade_id']}: escrow = supplier + fees + refund + transport")
        check(sum(units(v) for v in s["payouts"].values()) == units(s["supplier_gross"]), f"trade {s['trade_id']}: payouts")
        for c in s.get("carriers", []):
            carriers[c["carrier"]] = carriers.get(c["carrier"], 0) + units(c["amount"])
        if s["seller"] == "HWCLOUD":
            shares[s["trade_id"]] = s["payouts"]
    check(carriers.get("CTNET", 0) > 0 and carriers.get("CUNET", 0) > 0, f"carriers paid: {carriers}")
    check(sum(carriers.values()) == sum(units(w["transport_fee"]) for w in awards), "carriers get every award's transport")
    check(len(shares) == 4 and all(set(p) == {"HWCLOUD", "GZBD"} for p in shares.values()), "80/20 revenue share")
    for p in shares.values():
        hw, gz = units(p["HWCLOUD"]), units(p["GZBD"])
        check(abs(hw - 4 * gz) <= 4, f"80/20 split {p}")
    refunds = {s["trade_id"]: units(s["refund"]) for s in settled if units(s["refund"]) > 0}
    check(list(refunds) == [12], f"only the short delivery is refunded: {refunds}")
    final = events[-1]
    check(final["ev"] == "state_hash" and final["errors"] == 0 and final["open_orders"] == 0, f"final: {final}")

    # ---- the same through a journal: same state; the replay of the journal re-makes the awards and
    # checks the ledger (debits = credits, no negative cash, engine credit = cash + escrow).
    journal = os.path.join(durable, "journal")
    durable_events = replay([replay_bin, "--journal", journal, scenario], durable)
    check(durable_events and durable_events[-1].get("hash") == final["hash"], "journaled run ends in the same state")
    replayed = replay([replay_bin, "--journal", journal, "--replay-events"], durable)
    last = replayed[-1] if replayed else {}
    check(last.get("ledger_ok") is True, f"ledger balanced: {last}")
    check(last.get("durable_ledger_matches") is True, "durable ledger matches")
    check(last.get("hash") == final["hash"], "replayed journal: same state hash")
    check(len([e for e in replayed if e.get("ev") == "auction_award"]) == CONTRACTS, "the journaled clear_auction re-makes the awards")
    check(not any(e.get("ev") == "auction_solved" for e in replayed), "a replay does not solve")

    # ---- the tool's commands refused: an error line each, nothing applied, the replay goes on
    bad_input = os.path.join(work, "bad_tool_lines.jsonl")
    with open(bad_input, "w") as f:
        f.write("\n".join([
            '{"cmd": "open_auction", "ts": "2026-11-30T09:00:00+08:00", "day": "2026-12-02", "gate_closure": "2026-12-01T12:00:00+08:00"}',
            '{"cmd": "run_auction", "day": "2026-12-02"}',
            '{"cmd": "export_auction", "day": "2026-12-02", "file": "never.json"}',
            '{"cmd": "run_auction"}',
            '{"cmd": "run_auction", "day": "2026-12-09"}',
            '{"cmd": "run_auction", "day": 20261202}',
            '{"cmd": 7, "note": "run_auction"}',
            '{"cmd": "advance_time", "ts": "2026-12-01T12:00:00+08:00"}',
            '{"cmd": "export_auction", "day": "2026-12-02"}',
            '{"cmd": "export_auction", "day": "2026-12-02", "file": "/proc/no/such/dir/day.json"}',
            '{"cmd": "run_auction", "day": "2026-12-02", "gap": -1}',
            '{"cmd": "run_auction", "day": "2026-12-02", "participant": "NOBODY"}',
            '{"cmd": "run_auction", "day": "2026-12-02"}',
            '{"cmd": "run_auction", "day": "2026-12-02"}',
        ]) + "\n")
    lines = replay([replay_bin, bad_input], work)
    errors = [(e["line"], e["reason"]) for e in lines if e.get("ev") == "error"]
    check(errors == [(2, "auction_not_closed"), (3, "auction_not_closed"), (4, "malformed_request"), (5, "unknown_auction"),
                     (6, "malformed_request"), (7, "malformed_request"), (9, "malformed_request"), (10, "output_failed"),
                     (11, "malformed_request"), (12, "unknown_participant"), (14, "auction_not_closed")],
          f"tool refusals: {errors}")
    check([e["state"] for e in lines if e.get("ev") == "auction_solved"] == ["cleared"], "the one good run_auction clears")
    check(not os.path.exists(os.path.join(work, "never.json")), "nothing exported before the gate")

    # ---- the exported day, solved offline, makes the engine's contracts
    day_file = os.path.join(plain, "auction_day_2026-12-02.json")
    check(os.path.exists(day_file), "export_auction wrote the day file")
    p = subprocess.run([auction_bin, "solve", day_file, "--out", os.path.join(work, "offline")], capture_output=True, text=True,
                       timeout=300)
    check(p.returncode == 0, f"cpx-auction solve: {p.stderr}")
    if p.returncode == 0:
        summary = json.loads(p.stdout)
        check(summary["contracts"] == CONTRACTS, "offline: the same number of contracts")
        check(units(summary["buyers_pay"]) ==
              sum(units(w["notional"]) + units(w["buyer_fee"]) + units(w["transport_fee"]) for w in awards),
              "offline: buyers pay what the engine escrowed")
        with open(os.path.join(work, "offline", "payments.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        for row, w in zip(rows, awards):
            same = (int(row["hour"]), row["region"], row["class"], row["buyer"], row["seller"], int(row["bid_id"]),
                    int(row["offer_id"]), int(row["devices"]), row["cny_per_device_hour"], row["notional"],
                    row["buyer_fee"], row["seller_fee"], row["transport"]) == \
                   (w["hour"], w["region"], w["class"], w["buyer"], w["seller"], w["bid_id"], w["offer_id"], w["devices"],
                    w["price"], w["notional"], w["buyer_fee"], w["seller_fee"], w["transport_fee"])
            check(same, f"offline contract {row} is the engine's {w}")

    if FAILURES:
        print(f"{len(FAILURES)} failure(s)", file=sys.stderr)
        return 1
    print("auction_day_test: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
