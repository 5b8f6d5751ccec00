#!/usr/bin/env python3
"""cpxd end to end as a process: start it with the demo market, read a book over HTTP, trade, stop with
SIGTERM (exit 0, "stopped cleanly"), start again on the same data directory and check that the journal
was recovered: the same durable sequence (or later: the clock ticks), the same book and public tape, and the same orders,
fills and balances for the participant who traded (docs/API.md §6.13: signed GETs)."""
from decimal import Decimal
import argparse, hashlib, hmac, json, re, os, secrets, shutil, sys, time, urllib.error, urllib.request

from cpxd_process import free_port, start, stop, tomorrow_symbols, write_config


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        return json.loads(r.read())


def signed(port, method, path, key, secret, body=""):
    """A request signed as docs/API.md §6.2 says: HMAC-SHA256 over "<ts>\\n<nonce>\\n<METHOD> <path>\\n<body>"."""
    ts, nonce = str(time.time_ns()), secrets.token_hex(8)
    payload = f"{method} {path}\n{body}"
    sig = hmac.new(secret.encode(), f"{ts}\n{nonce}\n{payload}".encode(), hashlib.sha256).hexdigest()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body.encode() if body else None, method=method,
                                 headers={"X-CPX-Key": key, "X-CPX-Timestamp": ts, "X-CPX-Nonce": nonce,
                                          "X-CPX-Signature": sig})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read().decode().splitlines()[0])
    except urllib.error.HTTPError as e:
        sys.exit(f"{method} {path} {body}: HTTP {e.code}: {e.read().decode()}")


def own_state(port):
    """What BJAI can find out about itself."""
    ask = lambda path: signed(port, "GET", path, "key-bjai", "secret-bjai")
    return {"orders": ask("/orders?status=all&limit=20")["orders"], "open": ask("/orders")["orders"],
            "fills": ask("/fills?limit=1000")["fills"], "balances": ask("/balances")}


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
    # BJAI trades over REST (docs/API.md §6.14): one buy rests, one takes the best offer.
    book0 = get(http, f"/book/{symbol}?depth=10")
    ask = book0["asks"][0]["price"]
    low = str((Decimal(ask) * Decimal("0.9")).quantize(Decimal("0.01")))  # within the price band, below every ask
    for cl, price, tif in (("rs-rest", low, "gtc"), ("rs-ioc", ask, "ioc")):
        order = json.dumps({"cl_ord_id": cl, "symbol": symbol, "side": "buy", "price": price, "qty": 1, "tif": tif})
        answer = signed(http, "POST", "/orders", "key-bjai", "secret-bjai", order)
        if not any(e.get("ev") == "accepted" for e in answer.get("events", [])):
            sys.exit(f"order {cl} refused: {answer}")
    before = own_state(http)
    if len(before["fills"]) < 1 or not any(o["cl_ord_id"] == "rs-rest" for o in before["open"]):
        sys.exit(f"BJAI's trade is not in its own state: {before}")
    seq1 = get(http, "/health")["durable_seq"]
    book1 = get(http, f"/book/{symbol}?depth=10")
    tape1 = get(http, f"/trades?symbol={symbol}&after=0")
    if not tape1["trades"] or tape1["more"]:
        sys.exit(f"the public tape does not show the trade: {tape1}")
    # A request with a bad signature: a failed login, in the event log.
    try:
        urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{http}/balances", headers={
            "X-CPX-Key": "key-bjai", "X-CPX-Timestamp": str(time.time_ns()), "X-CPX-Nonce": secrets.token_hex(8),
            "X-CPX-Signature": "00"}), timeout=10)
        sys.exit("a bad signature was accepted")
    except urllib.error.HTTPError as e:
        if e.code != 401:
            sys.exit(f"a bad signature got {e.code}, not 401")
    out = stop(p, require_clean=True)
    # cpxd's event log (stderr): JSON lines with time, level and event (docs/OPERATIONS.md, "Logs").
    events = [json.loads(l) for l in (lines + out.splitlines()) if l.startswith("{")]
    if not all({"ts", "level", "event"} <= e.keys() for e in events):
        sys.exit(f"an event log line lacks ts, level or event: {events}")
    kinds = {e["event"] for e in events}
    if not {"started", "login_failed", "stopping", "stopped"} <= kinds:
        sys.exit(f"the event log lacks started, login_failed, stopping or stopped: {sorted(kinds)}")
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
    after = own_state(http)
    tape2 = get(http, f"/trades?symbol={symbol}&after=0")
    stop(p, require_clean=True)
    if tape2 != tape1:
        sys.exit(f"the public tape differs after restart:\n{tape1}\n{tape2}")
    if after != before:
        sys.exit(f"BJAI's orders, fills or balances differ after restart:\n{before}\n{after}")
    if seq2 < seq1:
        sys.exit(f"durable sequence went back: {seq1} -> {seq2}")
    if book1["bids"] != book2["bids"] or book1["asks"] != book2["asks"]:
        sys.exit(f"book differs after restart:\n{book1}\n{book2}")
    print(f"ok: {symbol} book and public tape ({len(tape2['trades'])} trades), and BJAI's {len(after['orders'])} orders, {len(after['fills'])} fills and balances "
          f"identical after SIGTERM + restart; durable seq {seq1} -> {seq2}")


if __name__ == "__main__":
    main()
