#!/usr/bin/env python3
"""The day-ahead auction end to end (docs/PRODUCT.md §3.3, §4, §7) against a real cpxd: a rehearsal server with the
demo market and no auction schedule. Through cpx-admin: open / list / offer / bid / withdraw with every
refusal's reason and exit code; `clock advance` past the gate; the server solves and clears the day; then
`auction show` prices, contracts, balances to the fen, `monitor` figures, the reference price the day book
took, HTTP /auctions and /auction/DAY (400 for a malformed day, 404 for an unknown one). Then cpxd is stopped
with SIGTERM and started again on the same data: the same results. Finally delivery and payout to the fen.

Helpers (Admin, check) are cpx_admin_test.py's; CTest runs this as cpx_auction_e2e."""
import argparse, datetime, json, os, shutil, sys, time, urllib.error, urllib.request
from decimal import Decimal

import cpx_admin_test as base
from cpx_admin_test import Admin, check
from cpxd_process import free_port, start, stop, tomorrow_symbols, write_config

CNY = Decimal("0.0001")


def start_server(cpxd, d, ports=None):
    http, https = ports or (free_port(), free_port())
    os.makedirs(d, exist_ok=True)
    cfg = write_config(os.path.join(d, "cpxd.json"), {"http_port": http, "https_port": https, "fix_port": -1,
                                                      "fix_tls_port": -1, "rehearsal_clock": True,
                                                      "auction_schedule": False, "auction_time_limit_s": 30,
                                                      "snapshot_every": 10})
    p, lines = start(cpxd, cfg, os.path.join(d, "data"))
    return p, (http, https), lines


def http_get(port, path):
    """(status, parsed JSON body) of a GET."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def refused(r, reason):
    """A participant or operator request refused with this reason (exit code 1)."""
    check(r.returncode == 1 and f"refused: {reason}" in r.stderr, f"refused with {reason}: exit {r.returncode}, {r.stderr.strip()}")


def wait_for(what, probe, timeout_s=60):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        v = probe()
        if v:
            return v
        time.sleep(0.2)
    check(False, f"timed out waiting for {what}")
    return None


def balances(a):
    b = a.answer("balances")
    return {p["code"]: p for p in b.get("participants", [])}, b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cpxd", required=True)
    ap.add_argument("--admin", required=True)
    ap.add_argument("--dir", required=True)
    o = ap.parse_args()
    shutil.rmtree(o.dir, ignore_errors=True)
    os.makedirs(o.dir)
    d = os.path.join(o.dir, "server")
    p, (port, tls_port), lines = start_server(o.cpxd, d)
    tomorrow = datetime.date.fromisoformat(tomorrow_symbols(lines)[0].rsplit(".", 1)[1])
    day = (tomorrow + datetime.timedelta(days=1)).isoformat()      # the auction's delivery day
    day2 = (tomorrow + datetime.timedelta(days=2)).isoformat()     # a second day, left open
    no_day = (tomorrow + datetime.timedelta(days=5)).isoformat()   # no auction
    a = Admin(o.admin, port)
    nmdc = ["--as-key", "key-nmdc", "--as-secret", "secret-nmdc"]
    hw = ["--as-key", "key-hwcloud", "--as-secret", "secret-hwcloud"]
    bjai = ["--as-key", "key-bjai", "--as-secret", "secret-bjai"]
    sz = ["--as-key", "key-szauto", "--as-secret", "secret-szauto"]
    shr = ["--as-key", "key-shrender", "--as-secret", "secret-shrender"]
    try:
        # --- opening days ---
        check(a.answer("auction", "list").get("auctions") == [], "no auction before one is opened")
        a.run("auction", "open", day, json_out=False)
        refused(a.run("auction", "open", day, rc=1, json_out=False), "duplicate_code")
        now = a.answer("clock", "show")["now_text"]
        past = (datetime.datetime.fromisoformat(now[:19] + "+08:00") - datetime.timedelta(hours=1)).isoformat()
        refused(a.run("auction", "open", day2, "--gate", past, rc=1, json_out=False), "listing_too_late")
        refused(a.run("auction", "open", day2, "--gate", f"{day2}T01:00:00+08:00", rc=1, json_out=False), "listing_too_late")
        a.run("auction", "open", "2026-1-1", rc=2, json_out=False)
        a.run("auction", "open", "tomorrow-x", rc=2, json_out=False)
        a.run("auction", "open", day2, json_out=False)
        r = a.run("auction", "open", day2, rc=3, key="key-bjai", secret="secret-bjai", json_out=False)
        check("operator" in r.stderr, "opening an auction takes an operator: " + r.stderr)
        listed = {x["day"]: x for x in a.answer("auction", "list")["auctions"]}
        gate = f"{tomorrow.isoformat()}T12:00:00+08:00"
        check(listed.get(day, {}).get("state") == "open" and listed[day].get("gate_closure") == gate,
              f"auction list shows the day open with its default gate (12:00 the day before): {listed}")
        check(listed.get(day2, {}).get("state") == "open", "and the second day")
        # Public reads need no operator key.
        r = a.run("auction", "list", no_key=True, json_out=False)
        check(day in r.stdout and "open" in r.stdout, "auction list without a key: " + r.stdout)

        # --- offers (each with the supplier's own key only) ---
        def offer(*args, rc=0, who=nmdc):
            return a.run("auction", "offer", *args, *who, rc=rc, no_key=True)

        r = offer(day, "NM", "H100", "10", "64", "17.50", "--cl-ord-id", "nm-h10")
        o10 = json.loads(r.stdout.splitlines()[0]) if r.returncode == 0 else {}
        check(o10.get("ev") == "auction_accepted" and o10.get("side") == "offer" and o10.get("devices") == 64 and
              o10.get("price") == "17.5000" and o10.get("participant") == "NMDC", f"offer accepted: {o10}")
        offer(day, "NM", "H100", "11", "64", "17.50")
        # NMDC registered 1024 NM H100 devices; its demo asks hold 192 of them for all of that day.
        refused(offer(day, "NM", "H100", "12", "833", "17.50", rc=1), "capacity_exceeded")
        r = offer(day, "NM", "H100", "12", "832", "17.50")
        w = json.loads(r.stdout.splitlines()[0]).get("order_id", 0) if r.returncode == 0 else 0
        refused(a.run("auction", "withdraw", day, str(w), *bjai, rc=1, no_key=True), "unknown_order")  # someone else's order looks like none
        a.run("auction", "withdraw", day, str(w), *nmdc, no_key=True)
        refused(a.run("auction", "withdraw", day, str(w), *nmdc, rc=1, no_key=True), "unknown_order")
        r = offer(day, "NM", "H100", "12", "832", "17.50")  # the withdrawal gave the 832 devices back
        w2 = json.loads(r.stdout.splitlines()[0]).get("order_id", 0) if r.returncode == 0 else 0
        a.run("auction", "withdraw", day, str(w2), *nmdc, no_key=True)
        offer(day, "JJJ", "H100", "10", "32", "24.00", who=hw)
        refused(offer(no_day, "NM", "H100", "10", "1", "17.50", rc=1), "unknown_auction")
        refused(offer(day, "NM", "H100", "24", "1", "17.50", rc=1), "invalid_hours")
        refused(offer(day, "NM", "H100", "10", "1", "0", rc=1), "invalid_price")
        refused(offer(day, "XX", "H100", "10", "1", "17.50", rc=1), "unknown_region")
        refused(offer(day, "NM", "H100", "10", "1", "17.50", rc=1, who=bjai), "role_missing")
        offer(day, "NM", "H100", "x", "1", "17.50", rc=2)
        offer(day, "NM", "H100", "10", "1", "17.50", rc=3, who=["--as-key", "key-nmdc", "--as-secret", "wrong"])
        a.run("auction", "offer", day, "NM", "H100", "10", "1", "17.50", rc=2, no_key=True)  # no key at all

        # --- bids ---
        bal0, _ = balances(a)
        r = a.run("auction", "bid", day, "10", "2", "31648", "0.0200", "--classes", "H100", "--origin", "JJJ",
                  "--data-gb-per-hour", "100", "--min-ratio", "0.5", "--cl-ord-id", "bj-1", *bjai, no_key=True)
        b1 = json.loads(r.stdout.splitlines()[0]) if r.returncode == 0 else {}
        check(b1.get("ev") == "auction_accepted" and b1.get("side") == "bid" and b1.get("scu_per_hour") == 31648 and
              b1.get("limit_cny_per_scu_hour") == "0.02000000" and b1.get("min_ratio") == "0.5000", f"bid accepted: {b1}")
        reserve = Decimal(b1.get("reserve", "0"))
        # 31648 SCU x 2 h x 0.02 = 1265.92 CNY, plus the fee at 10 bps and the rounding allowance.
        check(Decimal("1265.92") < reserve < Decimal("1268.00"), f"the bid's reserve {reserve}")
        bal1, _ = balances(a)
        check(Decimal(bal1["BJAI"]["reserved_by_open_buys"]) - Decimal(bal0["BJAI"]["reserved_by_open_buys"]) == reserve and
              bal1["BJAI"]["cash"] == bal0["BJAI"]["cash"], f"the reserve is held, no cash moves: {bal0['BJAI']} -> {bal1['BJAI']}")
        # SZAUTO has 300,000 CNY: 316,480 SCU x 2 h at 0.50 does not fit, at 0.05 it does.
        r = a.run("auction", "bid", day, "10", "2", "316480", "0.5000", "--classes", "H100", "--origin", "JJJ", *sz,
                  rc=1, no_key=True)
        refused(r, "credit_exceeded")
        a.run("auction", "bid", day, "10", "2", "316480", "0.0500", "--classes", "H100", "--origin", "JJJ", *sz, no_key=True)
        r = a.run("auction", "bid", day, "10", "1", "989", "0.0300", "--classes", "H100", "--origin", "YRD", *shr, no_key=True)
        sh = json.loads(r.stdout.splitlines()[0]).get("order_id", 0) if r.returncode == 0 else 0
        check(balances(a)[0]["SHRENDER"]["reserved_by_open_buys"] != "0.0000", "SHRENDER's bid holds credit")
        a.run("auction", "withdraw", day, str(sh), *shr, no_key=True)
        check(balances(a)[0]["SHRENDER"]["reserved_by_open_buys"] == "0.0000", "withdrawing it gives the credit back")
        bid = ["auction", "bid", day, "10", "1", "989", "0.0300", "--origin", "JJJ"]
        refused(a.run(*bid, "--classes", "H100", *nmdc, rc=1, no_key=True), "role_missing")
        refused(a.run(*bid, "--classes", "H100,CPU-X86-64V", *bjai, rc=1, no_key=True), "invalid_value")
        refused(a.run(*bid[:-1], "XX", "--classes", "H100", *bjai, rc=1, no_key=True), "unknown_region")
        refused(a.run("auction", "bid", day, "20", "5", "989", "0.03", "--classes", "H100", "--origin", "JJJ", *bjai,
                      rc=1, no_key=True), "invalid_hours")
        refused(a.run("auction", "bid", no_day, "10", "1", "989", "0.03", "--classes", "H100", "--origin", "JJJ", *bjai,
                      rc=1, no_key=True), "unknown_auction")
        a.run("auction", "bid", day, "10", "1", "989", "0.03", "--origin", "JJJ", *bjai, rc=2, no_key=True)  # no --classes
        refused(a.run("auction", "cancel", day2, rc=1, json_out=False), "auction_not_closed")  # still open

        # --- monitoring before the gate: the open offers count as offered ---
        window = ["--from", f"{day}T00:00:00+08:00", "--to", f"{(tomorrow + datetime.timedelta(days=2)).isoformat()}T00:00:00+08:00"]
        zones = {(z["region"], z["class"]): z for z in a.answer("monitor", *window)["zones"]}
        nm = zones.get(("NM", "H100"), {})
        check(nm.get("registered_device_hours") == 1024 * 24 and nm.get("offered_device_hours") == 192 * 24 + 64 + 64 and
              nm.get("sold_device_hours") == 0, f"monitor before the gate: {nm}")

        # --- the gate: move the clock past it; the server solves and clears the day ---
        now = datetime.datetime.fromisoformat(a.answer("clock", "show")["now_text"][:19] + "+08:00")
        to_gate = int((datetime.datetime.fromisoformat(gate) - now).total_seconds()) + 60
        a.run("clock", "advance", f"{to_gate}s", json_out=False)
        listed = wait_for("the day to clear", lambda: {x["day"]: x for x in a.answer("auction", "list")["auctions"]
                                                       if x["day"] == day and x["state"] == "cleared"})
        row = (listed or {}).get(day, {})
        check(row.get("clearing") == "cleared" and row.get("offers") == 5 and row.get("bids") == 3,
              f"auction list: cleared, 5 offers and 3 bids received (withdrawn ones too): {row}")
        refused(offer(day, "NM", "H100", "13", "1", "17.50", rc=1), "auction_closed")
        refused(a.run("auction", "withdraw", day, str(o10.get("order_id", 0)), *nmdc, rc=1, no_key=True), "auction_closed")
        refused(a.run("auction", "rerun", day, rc=1, json_out=False), "auction_not_closed")
        refused(a.run("auction", "rerun", no_day, rc=1, json_out=False), "unknown_auction")
        refused(a.run("auction", "cancel", day, rc=1, json_out=False), "auction_not_closed")

        # --- the result: NM is cheapest landed (17.50 / 989 + 2.00 CNY of transport per hour); o10 and o11 are
        # half taken, so they set NM's price: 17.50 per device-hour. SZAUTO's 320 devices per hour cannot
        # be found in one zone: rejected although in the money (paradoxically rejected).
        show = a.answer("auction", "show", day)
        check(show.get("state") == "cleared" and show.get("clearing") == "cleared", f"auction show: {show.get('state')}")
        check(show.get("accepted_bids") == 1 and show.get("paradoxically_rejected_bids") == 1, f"bids: {show}")
        solver = show.get("solver", {})
        check(solver.get("proven_optimal") is True and solver.get("blocks_accepted") == 1 and
              solver.get("blocks_paradoxically_rejected") == 1, f"solver figures: {solver}")
        summary = show.get("clearing_summary", {})
        check(summary.get("proven_optimal") is True and Decimal(summary.get("welfare_cny", "0")) > 0 and
              summary.get("solve_ms", -1) >= summary.get("first_mip_ms", -1) >= 0, f"journaled summary: {summary}")
        prices = {(x["region"], x["hour"]): x for x in show.get("prices", [])}
        for h in (10, 11):
            x = prices.get(("NM", h), {})
            check(x.get("price_cny_per_device_hour") == "17.5000" and x.get("traded_devices") == 32 and
                  x.get("offered_devices") == 64 and Decimal(x.get("price_cny_per_scu_hour", "0")) * 989 >= Decimal("17.5"),
                  f"NM hour {h}: {x}")
        check(prices.get(("JJJ", 10), {}).get("traded_devices") == 0, "nothing trades in JJJ")
        check(("NM", 12) not in prices, "the withdrawn hour-12 offers never reached the solver")
        flows = {(f["from"], f["to"], f["hour"]): f for f in show.get("flows", [])}
        for h in (10, 11):
            f = flows.get(("JJJ", "NM", h), {})
            check(f.get("flow_gb") == "100.000000" and f.get("carrier") == "CTNET" and
                  f.get("congestion_cny_per_gb") == "0.00000000", f"JJJ->NM hour {h}: {f}")
        r = a.run("auction", "show", day, no_key=True, json_out=False)
        check("cleared" in r.stdout and "17.5000" in r.stdout and "zone prices where devices traded" in r.stdout,
              "auction show as text: " + r.stdout)
        refused(a.run("auction", "show", "xyz", rc=1, json_out=False), "malformed_request")
        refused(a.run("auction", "show", no_day, rc=1, json_out=False), "unknown_auction")

        # --- HTTP ---
        status, body = http_get(port, "/auctions")
        days = {x["day"]: x for x in body.get("auctions", [])}
        check(status == 200 and days.get(day, {}).get("state") == "cleared" and days[day].get("gate_closure") == gate and
              days.get(day2, {}).get("state") == "open", f"/auctions: {status} {body}")
        status, body = http_get(port, f"/auction/{day}")
        check(status == 200 and body.get("ev") == "auction" and body.get("day") == day and body.get("prices") == show.get("prices")
              and body.get("flows") == show.get("flows"), f"/auction/{day}: {status}")
        status, body = http_get(port, "/auction/xyz")
        check(status == 400 and body.get("reason") == "malformed_request", f"/auction/xyz: {status} {body}")
        status, body = http_get(port, f"/auction/{no_day}")
        check(status == 404 and body.get("reason") == "unknown_auction", f"/auction/{no_day}: {status} {body}")
        status, body = http_get(port, f"/auction/{day2}")
        check(status == 200 and body.get("state") == "open" and "prices" not in body, f"an open day has no prices yet: {body}")

        # --- contracts and money, to the fen ---
        tariff = next(Decimal(l["tariff_cny_per_gb"]) for l in a.answer("network", "list")["links"]
                      if l["from"] == "JJJ" and l["to"] == "NM")
        leg = (100 * tariff).quantize(CNY)  # 100 GB an hour for the 32 devices (all of the block's SCU)
        ks = a.answer("contracts", "list")["contracts"]
        check(len(ks) == 2, f"two contracts: {ks}")
        for k, h in zip(ks, (10, 11)):
            check(k["symbol"] == f"auction:NM.H100.{day}T{h}" and k["buyer"] == "BJAI" and k["seller"] == "NMDC" and
                  k["qty"] == 32 and k["hours"] == 1 and k["price"] == "17.5000" and k["notional"] == "560.0000" and
                  k["state"] == "escrowed" and k["transport"] == [{"amount": str(leg), "carrier": "CTNET"}], f"contract {k}")
        fee = (Decimal("560") * 5 / 10000).quantize(CNY)  # the maker fee, 5 bps
        escrow = 2 * (Decimal("560") + fee + leg)
        bal2, whole = balances(a)
        bj = bal2["BJAI"]
        check(Decimal(bj["cash"]) == Decimal(bal0["BJAI"]["cash"]) - escrow and Decimal(bj["escrowed_unsettled"]) == escrow,
              f"BJAI paid {escrow} into escrow: {bj}")
        # BJAI's demo bids sat in tomorrow's books, whose gate has passed: nothing is reserved any more.
        check(bj["reserved_by_open_buys"] == "0.0000" and bj["available"] == bj["cash"], f"BJAI's reserve is released: {bj}")
        for code in ("SZAUTO", "SHRENDER"):
            check(bal2[code]["reserved_by_open_buys"] == "0.0000" and bal2[code]["cash"] == bal0[code]["cash"],
                  f"{code}: nothing held, nothing paid: {bal2[code]}")
        check(Decimal(whole["escrow_total"]) == escrow, f"escrow held {whole['escrow_total']}")
        # The day book of the delivery day takes the auction's price as its reference price.
        listed = {i["symbol"]: i for i in a.answer("instruments", "list")["instruments"]}
        check(listed.get(f"NM.H100.D.{day}", {}).get("reference_price") == "17.5000",
              f"reference price of NM.H100.D.{day}: {listed.get(f'NM.H100.D.{day}')}")

        # --- monitoring after clearing ---
        mon = a.answer("monitor", *window)
        zones = {(z["region"], z["class"]): z for z in mon["zones"]}
        nm = zones.get(("NM", "H100"), {})
        check(nm.get("registered_device_hours") == 24576 and nm.get("offered_device_hours") == 192 * 24 and
              nm.get("sold_device_hours") == 64 and nm.get("utilisation") == "0.0026", f"monitor after clearing: {nm}")
        r = a.run("monitor", *window, no_key=True, json_out=False)
        check("NM" in r.stdout and "0.0026" in r.stdout, "monitor as text, without a key: " + r.stdout)

        # --- recovery: SIGTERM, start again on the same data, the same results ---
        before = {"list": a.answer("auction", "list"), "show": a.answer("auction", "show", day),
                  "contracts": a.answer("contracts", "list"), "balances": a.answer("balances"), "monitor": mon,
                  "day2": http_get(port, f"/auction/{day2}")[1]}
    finally:
        stop(p, require_clean=True)

    p, _, lines = start_server(o.cpxd, d, (port, tls_port))
    try:
        # Recovery went through a snapshot taken after the clearing (auction state inside) plus the tail.
        rec = [l for l in lines if l.startswith("recovered")]
        check(rec and "(snapshot 0 " not in rec[0], f"recovered from a snapshot: {rec}")
        print(rec[0].strip() if rec else "no recovery line", flush=True)
        after = {"list": a.answer("auction", "list"), "show": a.answer("auction", "show", day),
                 "contracts": a.answer("contracts", "list"), "balances": a.answer("balances"),
                 "monitor": a.answer("monitor", *window), "day2": http_get(port, f"/auction/{day2}")[1]}
        # The run's "solver" figures are not journaled and are gone; the journaled "clearing_summary" stays.
        for v in (before, after):
            v["show"].pop("solver", None)
            for x in v["list"].get("auctions", []):
                x.pop("solver", None)
        for k in before:
            check(before[k] == after[k], f"after the restart, {k} is the same:\n  before {before[k]}\n  after  {after[k]}")

        # --- delivery and payout, to the fen ---
        a.run("clock", "advance", "24h", json_out=False)  # past the delivered hours
        ks = a.answer("contracts", "list")["contracts"]
        ids = [str(k["trade_id"]) for k in ks]
        a.run("delivery", "report", ids[0], "--delivered", "32")
        a.run("delivery", "report", ids[1], "--delivered", "16")  # half delivered: half refunded
        a.run("clock", "advance", "25h", json_out=False)          # past the dispute window
        wait_for("the payouts", lambda: all(k["state"] == "settled" for k in a.answer("contracts", "list")["contracts"]))
        bal3, whole = balances(a)
        half_fee = (Decimal("280") * 5 / 10000).quantize(CNY)
        nmdc_gets = (Decimal("560") - fee) + (Decimal("280") - half_fee)
        fees = 2 * fee + 2 * half_fee
        refund = (Decimal("560") + fee + leg) - (Decimal("280") - half_fee) - 2 * half_fee - leg
        check(Decimal(bal3["NMDC"]["cash"]) == nmdc_gets, f"NMDC is paid {nmdc_gets}: {bal3['NMDC']['cash']}")
        check(Decimal(bal3["CTNET"]["cash"]) == 2 * leg, f"CTNET is paid both legs in full: {bal3['CTNET']['cash']}")
        check(Decimal(whole["exchange_fees"]) == fees, f"fees {fees}: {whole['exchange_fees']}")
        check(Decimal(bal3["BJAI"]["cash"]) == Decimal(bal0["BJAI"]["cash"]) - escrow + refund and
              bal3["BJAI"]["escrowed_unsettled"] == "0.0000", f"BJAI refunded {refund}: {bal3['BJAI']}")
        check(Decimal(whole["escrow_total"]) == 0, "no escrow left")
        st = a.answer("statement", "NMDC")["statement"]
        check(Decimal(st["closing_balance"]) == nmdc_gets, f"NMDC's statement closes at its cash: {st['closing_balance']}")

        # --- a day whose gate and delivery start pass in one step (cpxd down over both): never cleared, it is
        # cancelled through the journal and BJAI's reserve is released ---
        day4 = (tomorrow + datetime.timedelta(days=3)).isoformat()
        late_gate = f"{(tomorrow + datetime.timedelta(days=2)).isoformat()}T23:00:00+08:00"
        a.run("auction", "open", day4, "--gate", late_gate, json_out=False)
        a.run("auction", "bid", day4, "10", "2", "31648", "0.0200", "--classes", "H100", "--origin", "JJJ", *bjai, no_key=True)
        held = Decimal(balances(a)[0]["BJAI"]["reserved_by_open_buys"])
        check(held > 0, f"the day-4 bid holds a reserve: {held}")
        a.run("clock", "advance", "12h", json_out=False)  # past the gate (23:00) and the day's start (00:00)
        gone = wait_for("the undelivered day to be cancelled",
                        lambda: {x["day"]: x for x in a.answer("auction", "list")["auctions"]
                                 if x["day"] == day4 and x["state"] == "cancelled"})
        check(bool(gone), f"day {day4} cancelled at its delivery start")
        check(balances(a)[0]["BJAI"]["reserved_by_open_buys"] == "0.0000", "and BJAI's reserve released")
        check(not any(k["symbol"].startswith(f"auction:") and day4 in k["symbol"] for k in a.answer("contracts", "list")["contracts"]),
              "no contract for the cancelled day")
    finally:
        stop(p, require_clean=True)
    shutil.rmtree(o.dir, ignore_errors=True)
    if base.FAILS:
        sys.exit(f"{len(base.FAILS)} checks failed")
    print("cpx auction end to end: all checks passed")


if __name__ == "__main__":
    main()
