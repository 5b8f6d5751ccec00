#!/usr/bin/env python3
"""cpx-admin against a running cpxd (rehearsal clock, demo market): every subcommand, its answer checked
against what the exchange then shows, and its error paths (exit codes 1 refused, 2 usage, 3 no server or
credentials refused). Also a second server without the rehearsal clock, where moving time is refused."""
import argparse, datetime, json, os, shutil, subprocess, sys

from cpxd_process import free_port, start, stop, tomorrow_symbols, write_config

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL:", what, flush=True)


def start_server(cpxd, d, rehearsal):
    os.makedirs(d)
    http, https = free_port(), free_port()
    cfg = write_config(os.path.join(d, "cpxd.json"), {"http_port": http, "https_port": https, "fix_port": -1,
                                                      "fix_tls_port": -1, "rehearsal_clock": rehearsal})
    p, lines = start(cpxd, cfg, os.path.join(d, "data"))
    return p, (http, https), lines


class Admin:
    def __init__(self, exe, port, key="key-ops1", secret="secret-ops1"):
        self.exe, self.port, self.key, self.secret = exe, port, key, secret

    def run(self, *args, rc=0, json_out=True, key=None, secret=None, url=None, no_key=False):
        cmd = [self.exe, "--url", url or f"http://127.0.0.1:{self.port}"]
        if not no_key:
            cmd += ["--key", key or self.key, "--secret", secret or self.secret]
        if json_out:
            cmd.append("--json")
        cmd += list(args)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        check(r.returncode == rc, f"{' '.join(args)}: exit {r.returncode}, expected {rc}; stderr: {r.stderr.strip()}")
        return r

    def answer(self, *args):
        r = self.run(*args)
        try:
            return json.loads(r.stdout.splitlines()[0]) if r.stdout else {}
        except (json.JSONDecodeError, IndexError):
            check(False, f"{' '.join(args)}: not JSON: {r.stdout!r}")
            return {}


def balances(a, code):
    rows = a.answer("balances", code)["participants"]
    return rows[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cpxd", required=True)
    ap.add_argument("--admin", required=True)
    ap.add_argument("--dir", required=True)
    o = ap.parse_args()
    shutil.rmtree(o.dir, ignore_errors=True)
    os.makedirs(o.dir)
    p, (port, tls_port), lines = start_server(o.cpxd, os.path.join(o.dir, "rehearsal"), True)
    tomorrow = tomorrow_symbols(lines)[0]  # NM.H100.D.<day>
    day = tomorrow.rsplit(".", 1)[1]
    last_day = (datetime.date.fromisoformat(day) + datetime.timedelta(days=2)).isoformat()
    next_day = (datetime.date.fromisoformat(day) + datetime.timedelta(days=1)).isoformat()
    a = Admin(o.admin, port)
    try:
        # --- help and usage errors ---
        r = a.run("--help", json_out=False)
        check("exit codes" in r.stdout and "users create" in r.stdout and "clock advance" in r.stdout, "--help lists commands")
        for sub in (["users", "create"], ["cash", "deposit"], ["statement"], ["clock", "advance"], ["batch"]):
            r = a.run(*sub, "--help", json_out=False)
            check(r.stdout.startswith("usage: cpx-admin " + " ".join(sub)), f"{sub} --help")
        a.run("frobnicate", rc=2)
        r = a.run("users", "frob", rc=2)
        check("did you mean" in r.stderr and "users create" in r.stderr, "unknown subcommand suggests the right ones")
        a.run("users", "create", "x", rc=2)                     # --participant missing
        a.run("cash", "deposit", "BJAI", rc=2)                  # amount missing
        a.run("balances", "--bogus", "1", rc=2)
        r = a.run("balances", rc=2, no_key=True)
        check("CPX_KEY" in r.stderr, "missing key says how to give one")
        a.run("balances", rc=3, secret="not-the-secret")        # 401
        r = a.run("balances", rc=3, key="key-bjai", secret="secret-bjai")  # not an operator: 403
        check("operator" in r.stderr, "a non-operator is told why")
        r = a.run("balances", rc=3, url=f"http://127.0.0.1:{free_port()}")
        check("is cpxd running" in r.stderr, "no server says so")
        a.run("clock", "advance", "soon", rc=2)
        # https: trusted with --cacert (the server's self-signed certificate), refused without it
        cert = os.path.join(o.dir, "rehearsal", "data", "tls", "server.crt")
        r = a.run("--cacert", cert, "balances", "BJAI", url=f"https://localhost:{tls_port}")
        check(json.loads(r.stdout)["participants"][0]["code"] == "BJAI", "balances over https")
        r = a.run("balances", "BJAI", rc=3, url=f"https://localhost:{tls_port}")
        check("certificate" in r.stderr and "--cacert" in r.stderr, "an untrusted certificate is refused: " + r.stderr)

        # --- participants ---
        a.run("participants", "add", "WXDC", "--name", "West Data Centre", "--kind", "state_operator", "--roles", "trade_sell")
        a.run("participants", "add", "LOADBUY", "--name", "Load Buyer", "--kind", "buyer", "--roles", "trade_buy")
        codes = [x["code"] for x in a.answer("participants", "list")["participants"]]
        check("WXDC" in codes and "LOADBUY" in codes, "participants list shows the new ones")
        a.run("participants", "add", "WXDC", "--name", "again", "--kind", "buyer", "--roles", "trade_buy", rc=1)
        a.run("participants", "add", "BAD1", "--name", "x", "--kind", "pirate", "--roles", "trade_buy", rc=1)

        # --- users and credentials ---
        cred = a.answer("users", "create", "wx-trader", "--participant", "WXDC")
        check(cred.get("participant") == "WXDC" and len(cred.get("api_secret", "")) == 64 and cred.get("password"), "credentials")
        a.run("users", "create", "wx-trader", "--participant", "WXDC", rc=1)      # exists
        a.run("users", "create", "ghost", "--participant", "NOPE", rc=1)         # unknown participant
        a.run("users", "create", "bad name", "--participant", "WXDC", rc=1)      # not a plain name
        buyer = a.answer("users", "create", "lb", "--participant", "LOADBUY")
        users = {u["username"]: u for u in a.answer("users", "list")["users"]}
        check(users["wx-trader"]["enabled"] and users["wx-trader"]["api_key"] == cred["api_key"], "users list")
        check("api_secret" not in users["wx-trader"], "users list never shows secrets")

        # --- capacity, revenue share, cash ---
        a.run("capacity", "register", "--supplier", "WXDC", "--region", "NX", "--class", "H20", "--devices", "10",
              "--from", f"{day}T00:00:00+08:00", "--to", f"{next_day}T00:00:00+08:00", rc=0)
        a.run("capacity", "register", "--supplier", "WXDC", "--region", "XX", "--class", "H20", "--devices", "10",
              "--from", f"{day}T00:00:00+08:00", "--to", f"{next_day}T00:00:00+08:00", rc=1)   # unknown region
        a.run("capacity", "register", "--supplier", "WXDC", "--region", "NX", rc=2)
        a.run("revenue-share", "set", "--supplier", "WXDC", "WXDC=7000", "CTNET=3000")
        a.run("revenue-share", "set", "--supplier", "WXDC", "WXDC=7000", "CTNET=2000", rc=1)  # not 10000
        a.run("revenue-share", "set", "--supplier", "WXDC", "WXDC:7000", rc=2)
        a.run("cash", "deposit", "LOADBUY", "100000.00")
        a.run("cash", "withdraw", "LOADBUY", "2500.50")
        check(balances(a, "LOADBUY")["cash"] == "97499.5000", "deposit and withdrawal to the fen")
        a.run("cash", "withdraw", "LOADBUY", "1000000.00", rc=1)
        a.run("cash", "deposit", "NOBODY", "1.00", rc=1)

        # --- listing and rules ---
        sym = f"NX.H20.D.{day}"
        a.run("instruments", "add", sym, "--tick", "0.01", "--lot", "1", "--price-band-pct", "50", rc=1)  # demo lists it already
        new_sym = f"NX.H20.H.{day}T10"
        a.run("instruments", "add", new_sym, "--tick", "0.01", "--lot", "1", "--max-order-qty", "500")
        links = a.answer("network", "list")["links"]
        check(len(links) == 56 and {l["carrier"] for l in links} == {"CTNET", "CMNET", "CUNET"}, "network list")
        listed = {i["symbol"]: i for i in a.answer("instruments", "list")["instruments"]}
        check(new_sym in listed and listed[new_sym]["max_order_qty"] == 500, "instruments add then list")
        a.run("rules", "fees", "--maker-bps", "2", "--taker-bps", "6")
        a.run("rules", "reference-price", sym, "4.20")
        listed = {i["symbol"]: i for i in a.answer("instruments", "list")["instruments"]}
        check(listed[sym].get("reference_price") == "4.2000", "reference price set")

        # --- trading as participants, halt/resume, mass cancel ---
        wx = ["--as-key", cred["api_key"], "--as-secret", cred["api_secret"]]
        lb = ["--as-key", buyer["api_key"], "--as-secret", buyer["api_secret"]]
        a.run("order", "new", new_sym, "sell", "8", "4.30", *wx, json_out=False)
        a.run("order", "new", new_sym, "sell", "5", "4.40", *wx, rc=1, json_out=False)   # beyond the 10 devices registered
        a.run("halt", new_sym)
        a.run("order", "new", new_sym, "buy", "2", "4.30", *lb, rc=1, json_out=False)
        a.run("resume", new_sym)
        r = a.run("order", "new", new_sym, "buy", "3", "4.30", *lb, json_out=False)
        check("trade " in r.stdout or '"ev":"trade"' in r.stdout, "the buy trades against the registered supplier: " + r.stdout)
        r = a.run("order", "new", new_sym, "buy", "1", "3.80", *lb)
        resting = json.loads(r.stdout.splitlines()[0])
        check(resting.get("ev") == "accepted", "a resting buy: " + r.stdout)
        check(balances(a, "LOADBUY")["open_orders"] == 1, "it rests after the tool exits")
        r = a.run("order", "cancel", str(resting.get("order_id", 0)), *lb, json_out=False)
        check(r.stdout.startswith("cancelled"), "order cancel: " + r.stdout)
        a.run("order", "cancel", "999999", *lb, rc=1, json_out=False)
        check(balances(a, "LOADBUY")["open_orders"] == 0, "cancelled")
        a.run("order", "new", new_sym, "buy", "1", "3.90", *lb, json_out=False)
        check(balances(a, "LOADBUY")["open_orders"] == 1, "one resting buy")
        a.run("mass-cancel", "--participant", "LOADBUY", "--symbol", new_sym)
        check(balances(a, "LOADBUY")["open_orders"] == 0, "mass cancel took it")
        a.run("order", "new", sym, "buy", "1", "4.00", "--as-key", cred["api_key"], "--as-secret", "wrong", rc=3, json_out=False)

        # --- contracts, delivery, disputes, settlement ---
        ks = [k for k in a.answer("contracts", "list", "--participant", "WXDC")["contracts"]]
        check(len(ks) == 1 and ks[0]["qty"] == 3 and ks[0]["state"] == "escrowed", f"one escrowed contract: {ks}")
        tid = str(ks[0]["trade_id"]) if ks else "0"
        a.run("delivery", "report", tid, "--delivered", "3", rc=1)     # before the window ends
        a.run("delivery", "report", "abc", "--delivered", "3", rc=2)
        clock = a.answer("clock", "advance", "2d")
        check(clock.get("rehearsal") is True, "clock advanced")
        a.run("delivery", "report", tid, "--delivered", "3")
        a.run("disputes", "open", tid, *lb, json_out=False)
        check([k["trade_id"] for k in a.answer("disputes", "list")["contracts"]] == [int(tid)], "disputes list")
        a.run("disputes", "resolve", tid, "--delivered", "4", rc=1)    # more than the 3 contracted
        a.run("disputes", "resolve", tid, "--delivered", "2")
        k = a.answer("contracts", "list", "--participant", "WXDC")["contracts"][0]
        check(k["state"] == "settled" and k["delivered_device_hours"] == 2, f"settled on 2 device-hours: {k}")

        # --- balances and statements, to the fen ---
        bal = balances(a, "WXDC")
        st = a.answer("statement", "WXDC")["statement"]
        check(st["closing_balance"] == bal["cash"], f"statement closes at the balance: {st['closing_balance']} vs {bal['cash']}")
        check(bal["cash"] != "0.0000", "the supplier was paid")
        ctnet = a.answer("statement", "CTNET")["statement"]
        check(any(l["kind"] == "payout" for l in ctnet["lines"]), "the revenue-share party was paid")
        csv = a.run("statement", "WXDC", "--csv", json_out=False).stdout
        check(csv.startswith("ts,transfer_id,kind") and f",{bal['cash']}" in csv.splitlines()[-1], "CSV statement")
        a.run("statement", "NOPE", rc=1)

        # --- batch with progress, stopping at a refusal ---
        batch = os.path.join(o.dir, "batch.jsonl")
        with open(batch, "w") as f:
            f.write('{"cmd":"deposit","target":"LOADBUY","amount":"1.00"}\n')
            f.write('# comment lines are skipped\n')
            f.write('{"cmd":"deposit","target":"NOPE","amount":"1.00"}\n')
            f.write('{"cmd":"deposit","target":"LOADBUY","amount":"2.00"}\n')
        before = balances(a, "LOADBUY")["cash"]
        a.run("batch", batch, rc=1)
        r = a.run("batch", batch, "--keep-going", rc=1)
        check(json.loads(r.stdout) == {"requests": 3, "ok": 2, "refused": 1}, "batch summary " + r.stdout)
        after = balances(a, "LOADBUY")["cash"]
        check(float(after) - float(before) == 4.0, "batch applied 1 + 1 + 2")

        # --- users: rotate, disable, enable ---
        later = f"NX.H20.D.{last_day}"  # still trading after the two days the clock moved
        new = a.answer("users", "rotate", "lb")
        a.run("order", "new", later, "buy", "1", "3.50", *lb, rc=3, json_out=False)   # old key
        lb2 = ["--as-key", new["api_key"], "--as-secret", new["api_secret"]]
        a.run("order", "new", later, "buy", "1", "3.50", *lb2, json_out=False)
        a.run("users", "disable", "lb")
        a.run("order", "new", later, "buy", "1", "3.50", *lb2, rc=3, json_out=False)
        a.run("users", "enable", "lb")
        a.run("order", "new", later, "buy", "1", "3.50", *lb2, json_out=False)
        a.run("users", "rotate", "nobody", rc=1)

        # --- the audit log: intact, then broken by hand ---
        v = a.answer("audit", "verify")
        check(v.get("ok") is True and v.get("entries", 0) > 20, f"audit intact: {v}")
        log = os.path.join(o.dir, "rehearsal", "data", "audit.log")
        with open(log) as f:
            entries = f.readlines()
        entries[3] = entries[3].replace('"actor":"', '"actor":"x', 1)  # a changed actor, hash left as it was
        with open(log, "w") as f:
            f.writelines(entries)
        r = a.run("audit", "verify", rc=1, json_out=False)
        check("BROKEN at line 4" in r.stdout, "tampering found: " + r.stdout)
    finally:
        stop(p)

    # --- a production server: the clock is not the operator's ---
    p2, (port2, _), _ = start_server(o.cpxd, os.path.join(o.dir, "production"), False)
    try:
        b = Admin(o.admin, port2)
        r = b.run("clock", "advance", "1h", rc=1, json_out=False)
        check("rehearsal" in r.stderr, "moving time is refused outside rehearsal: " + r.stderr)
        check(b.answer("clock", "show").get("rehearsal") is False, "clock show says so")
    finally:
        stop(p2)
    shutil.rmtree(o.dir, ignore_errors=True)
    if FAILS:
        sys.exit(f"{len(FAILS)} checks failed")
    print("cpx-admin: all checks passed")


if __name__ == "__main__":
    main()
