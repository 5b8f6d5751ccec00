#!/usr/bin/env python3
"""End-to-end benchmark (docs/PRODUCT.md §9, docs/BENCHMARKS.md): cpxd and cpx-load on this machine over loopback,
journal durable (every acknowledgement after its fsync'd write). Starts a fresh cpxd with the demo market and
no rate limits, sets the load up through cpx-admin (buyers and sellers with cash, capacity and users, a new
hourly instrument without a price band), runs cpx-load scenarios and prints one JSON object per scenario,
with the CPU seconds cpxd and cpx-load used (from /proc) for the CPU split.

  bench/e2e.py [--build build] [--duration 10] [--scenario ws-100k ...]
  bench/e2e.py --abuse [--scenario ws-10k ...]   each scenario twice, back to back: on a quiet server, then
      while cpx-abuse holds 5,000 idle connections and sends 1,000 failed logins a second from 250 addresses
      (docs/BENCHMARKS.md, "Under abuse"); one more JSON object per scenario with the p50/p99 ratios
"""
import argparse, datetime, json, os, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from cpxd_process import free_port, start, stop, tomorrow_symbols, write_config  # noqa: E402

SCENARIOS = {
    # name: (proto, sessions, rate, mix)
    "ws-100k": ("ws", 4, 100000, "50,45,5"),
    "ws-50k": ("ws", 4, 50000, "50,45,5"),
    "ws-max": ("ws", 4, 0, "50,45,5"),
    "fix-50k": ("fix", 4, 50000, "50,45,5"),
    "fix-25k": ("fix", 4, 25000, "50,45,5"),
    "fix-max": ("fix", 4, 0, "50,45,5"),
    # small and quick: CTest runs them (--check) to see cpx-load, cpxd and cpx-admin work together
    "ws-smoke": ("ws", 2, 2000, "40,40,20"),
    "fix-smoke": ("fix", 2, 2000, "40,40,20"),
    # the traffic other sessions keep up while the server is abused (--abuse)
    "ws-10k": ("ws", 4, 10000, "50,45,5"),
    "fix-5k": ("fix", 4, 5000, "50,45,5"),
}


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--scenario", action="append")
    ap.add_argument("--keep", action="store_true", help="keep the data directory")
    ap.add_argument("--abuse", action="store_true", help="run each scenario quiet, then under cpx-abuse")
    ap.add_argument("--abuse-idle", type=int, default=5000)
    ap.add_argument("--abuse-logins", type=int, default=1000)
    ap.add_argument("--abuse-nice", type=int, default=0,
                    help="run cpx-abuse at this nice level (19: it takes only CPU the exchange leaves, as an attacker on "
                         "another machine would)")
    ap.add_argument("--fix-dictionary", help="cpxd's FIX data dictionary (A/B of the dictionary's validation cost)")
    ap.add_argument("--check", action="store_true",
                    help="fail unless every request was answered, orders were acknowledged and crossing orders filled")
    a = ap.parse_args()
    bin_dir = os.path.join(a.build, "bin")
    names = a.scenario or ["ws-100k", "fix-50k"]
    if a.duration <= 1:
        sys.exit("--duration must be more than the 1 s warm-up")
    for n in names:
        if n not in SCENARIOS:
            sys.exit(f"unknown scenario {n}: {', '.join(SCENARIOS)}")

    work = tempfile.mkdtemp(prefix="cpx-e2e-", dir=os.environ.get("CPX_BENCH_DIR"))
    http, fix = free_port(), free_port()
    sessions = max(SCENARIOS[n][1] for n in names)
    cfg = write_config(os.path.join(work, "cpxd.json"),
                       {"http_port": http, "https_port": -1, "fix_port": fix, "fix_tls_port": -1, "requests_per_s": 0,
                        # LOAD{2i} is buyer LOADB{i}'s CompID, LOAD{2i+1} seller LOADS{i}'s (CompIDs are bound).
                        "fix_sessions": [{"target_comp_id": f"LOAD{i}", "participant": f"LOAD{'BS'[i % 2]}{i // 2}"}
                                         for i in range(2 * sessions)] +
                                        [{"target_comp_id": "ABUSE", "participant": "GUESSED"}],
                        **({"fix_dictionary": os.path.abspath(a.fix_dictionary)} if a.fix_dictionary else {})})
    env = dict(os.environ)
    if os.environ.get("CPXD_PRELOAD"):  # A/B runs of an allocator without relinking
        env["LD_PRELOAD"] = os.environ["CPXD_PRELOAD"]
    server, lines = start(os.path.join(bin_dir, "cpxd"), cfg, os.path.join(work, "data"), env=env)
    day = tomorrow_symbols(lines)[0].rsplit(".", 1)[1]
    next_day = (datetime.date.fromisoformat(day) + datetime.timedelta(days=1)).isoformat()
    symbol = f"NM.H100.H.{day}T12"

    def admin(*args):
        r = subprocess.run([os.path.join(bin_dir, "cpx-admin"), "--url", f"http://127.0.0.1:{http}", "--key", "key-ops1",
                            "--secret", "secret-ops1", "--json", *args], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"cpx-admin {' '.join(args)}: {r.stderr}")
        return json.loads(r.stdout.splitlines()[0]) if r.stdout else {}

    admin("instruments", "add", symbol, "--tick", "0.01", "--lot", "1", "--max-order-qty", "1000", "--price-band-pct", "0")
    ws_creds, fix_creds = [], []
    for i in range(sessions):
        for side, kind, role in (("buy", "buyer", "trade_buy"), ("sell", "cloud_vendor", "trade_sell")):
            code = f"LOAD{'B' if side == 'buy' else 'S'}{i}"
            admin("participants", "add", code, "--name", f"Load {side} {i}", "--kind", kind, "--roles", role,
                  "--max-open-orders", "100000")
            if side == "buy":
                admin("cash", "deposit", code, "1000000000.00")
            else:
                admin("capacity", "register", "--supplier", code, "--region", "NM", "--class", "H100", "--devices", "100000000",
                      "--from", f"{day}T00:00:00+08:00", "--to", f"{next_day}T00:00:00+08:00")
            c = admin("users", "create", code.lower(), "--participant", code)
            ws_creds.append(f"{c['api_key']}:{c['api_secret']}:{side}")
            fix_creds.append(f"{code.lower()}:{c['password']}:LOAD{2 * i + (0 if side == 'buy' else 1)}:{side}")

    if a.abuse:  # the user whose password cpx-abuse guesses (locked out meanwhile: not one cpx-load uses)
        admin("participants", "add", "GUESSED", "--name", "Guessed", "--kind", "buyer", "--roles", "trade_buy")
        admin("users", "create", "guessed", "--participant", "GUESSED")

    def abuse(duration):
        return subprocess.Popen(["nice", "-n", str(a.abuse_nice), os.path.join(bin_dir, "cpx-abuse"), "--web-port", str(http), "--fix-port", str(fix),
                                 "--fix-comp-id", "ABUSE", "--fix-user", "guessed", "--idle", str(a.abuse_idle),
                                 "--bad-logins", str(a.abuse_logins), "--duration", str(duration)],
                                stdout=subprocess.PIPE, text=True)

    results = []
    runs = [(n, False) for n in names] if not a.abuse else [(n, under) for n in names for under in (False, True)]
    try:
        for n, under_abuse in runs:
            proto, count, rate, mix = SCENARIOS[n]
            creds = (ws_creds if proto == "ws" else fix_creds)[:count]
            cmd = [os.path.join(bin_dir, "cpx-load"), "--warmup", str(min(1.0, a.duration / 4)), "--proto", proto, "--port", str(http if proto == "ws" else fix),
                   "--symbol", symbol, "--sessions", str(count), "--rate", str(rate), "--duration", str(a.duration),
                   "--mix", mix, "--scenario", n, "--no-progress"]
            for c in creds:
                cmd += ["--cred", c]
            server_cpu = cpu_seconds(server.pid)
            attacker = None
            if under_abuse:
                attacker = abuse(a.duration + 4)
                time.sleep(2)  # the idle connections are open and the flood is on before the load starts
            t0 = time.time()
            load = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
            out = load.stdout.read()
            _, status, usage = os.wait4(load.pid, 0)  # the load generator's own CPU time
            load.returncode = os.waitstatus_to_exitcode(status)
            load_cpu = usage.ru_utime + usage.ru_stime
            wall = time.time() - t0
            if not out.strip():
                sys.exit(f"cpx-load failed (exit {load.returncode})")
            res = json.loads(out.splitlines()[-1])
            res["cpu_s"] = {"cpxd": round(cpu_seconds(server.pid) - server_cpu, 2), "cpx_load": round(load_cpu, 2),
                            "wall_s": round(wall, 2), "cores": os.cpu_count()}
            if attacker is not None:
                res["scenario"] = n + "+abuse"
                res["abuse"] = json.loads(attacker.stdout.read().strip().splitlines()[-1])
                _, _, usage = os.wait4(attacker.pid, 0)
                res["cpu_s"]["cpx_abuse"] = round(usage.ru_utime + usage.ru_stime, 2)
            print(json.dumps(res), flush=True)
            results.append(res)
            if under_abuse:
                quiet = results[-2]["ack_latency_us"]
                loud = res["ack_latency_us"]
                print(json.dumps({"scenario": n + "-abuse-ratio", "p50_ratio": round(loud["p50"] / max(quiet["p50"], 1), 2),
                                  "p99_ratio": round(loud["p99"] / max(quiet["p99"], 1), 2),
                                  "quiet_p99_us": quiet["p99"], "abused_p99_us": loud["p99"]}), flush=True)
            if a.check:
                problems = []
                if load.returncode != 0 or res["errors"]:
                    problems.append(f"cpx-load exit {load.returncode}: {res['errors']}")
                if res["unanswered"] != 0 or res["sent"] < rate * a.duration * 0.9:
                    problems.append(f"sent {res['sent']}, unanswered {res['unanswered']}")
                if res["acked"] < res["sent"] * 0.8 or res["fills"] == 0 or res["fill_latency_us"].get("samples", 0) == 0:
                    problems.append(f"acked {res['acked']} of {res['sent']}, fills {res['fills']}")
                if set(res["rejects"]) - {"unknown_order"}:
                    problems.append(f"unexpected rejects {res['rejects']}")
                if problems:
                    sys.exit(f"{n}: " + "; ".join(problems))
    finally:
        stop(server)
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
