#!/usr/bin/env python3
"""Crash test for the durable journal (docs/PRODUCT.md §5, §10).

Drives cpx-replay in durable mode (--journal, --flush) with a stream of orders and cancels, kills it with
SIGKILL at random moments after it said it was ready (recovered, input next), restarts it, and at the end
checks the journal against the client's own log of acknowledgements (events the process wrote, which it
does only after the command is durable):

  * every acknowledged order and trade is in the journal's replay, with the same fields;
  * no order id, trade id or client order id appears twice;
  * the journal is gap-free and decodes (a full --replay-events succeeds);
  * recovery from the newest snapshot gives the same state hash as a full replay;
  * the ledger is balanced (debits = credits), no cash or escrow account is negative, engine credit equals
    ledger cash for every participant, and the durable ledger equals the one a full replay rebuilds.

  * at least --min-acked-orders orders and --min-acked-trades trades were acknowledged: a run that checked
    next to nothing fails (it once passed with 0 acknowledged orders, every kill before readiness).

A process that is not ready in time, or exits before it is ready, fails the test. One that refuses to start
because the kill tore the write-ahead log's last record (cpx-replay exit 3, journal_torn_tail: a write cut
in the middle, never acknowledged) is restarted with --accept-torn-tail and counted in the summary
(torn_tails_accepted); the checks above still apply to it. That restart path is checked first,
deterministically: a journal whose last WAL record is cut must be refused (exit 3) and open without that
record with --accept-torn-tail.

Prints one JSON object with the figures; exits 1 on any violation. CI runs it with a small count.
"""
import argparse
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

SYMBOLS = ["NM.H100.D.2026-12-01", "GZ.ASC910B.D.2026-12-01"]


def setup_lines():
    t = "2026-11-30T09:00:00+08:00"
    lines = [
        {"cmd": "add_participant", "ts": t, "code": "S1", "kind": "cloud_vendor", "roles": ["trade_sell"]},
        {"cmd": "add_participant", "code": "S2", "kind": "state_operator", "roles": ["trade_sell"]},
        {"cmd": "add_participant", "code": "B1", "kind": "buyer", "roles": ["trade_buy"]},
        {"cmd": "add_participant", "code": "B2", "kind": "buyer", "roles": ["trade_buy"]},
    ]
    for s in SYMBOLS:
        lines.append({"cmd": "list_instrument", "symbol": s, "tick": "0.01", "max_order_qty": 100,
                      "price_band_pct": "50"})
    for sup in ["S1", "S2"]:
        for region, cls in [("NM", "H100"), ("GZ", "ASC910B")]:
            lines.append({"cmd": "register_capacity", "supplier": sup, "region": region, "class": cls,
                          "from": "2026-12-01", "to": "2026-12-02", "devices": 1000000})
    for b in ["B1", "B2"]:
        lines.append({"cmd": "deposit", "target": b, "amount": "1000000000.00"})
    return [json.dumps(x) for x in lines]


def settlement_lines(rng, trades):
    """After the delivery window: reports (by either seller; the wrong one is refused), a dispute or two,
    the dispute window passing, cash moving."""
    lines = [json.dumps({"cmd": "advance_time", "ts": "2026-12-02T01:00:00+08:00"})]
    for t in range(1, trades + 1):
        for seller in ["S1", "S2"]:
            lines.append(json.dumps({"cmd": "delivery_report", "participant": seller, "trade_id": t,
                                     "delivered_device_hours": rng.choice([24, 48, 240, 480])}))
        if rng.random() < 0.1:
            lines.append(json.dumps({"cmd": "dispute", "participant": rng.choice(["B1", "B2"]), "trade_id": t}))
        if rng.random() < 0.1:
            lines.append(json.dumps({"cmd": "withdraw", "target": rng.choice(["S1", "S2", "B1", "B2"]),
                                     "amount": "100.00"}))
    return lines


# Sent to the last run, which is never killed: the dispute window passes and reported contracts pay out.
CLOSING = [json.dumps({"cmd": "advance_time", "ts": "2026-12-03T02:00:00+08:00"})]


def order_lines(count, rng):
    lines = []
    sent = []
    base = 1795998000  # 2026-11-30T09:00+08:00 in seconds
    for n in range(count):
        ts = base + n // 10
        if rng.random() < 0.02:
            lines.append(json.dumps({"cmd": "deposit", "ts": ts, "target": rng.choice(["B1", "B2"]),
                                     "amount": "1000.00"}))
            continue
        if sent and rng.random() < 0.25:
            who, cl = rng.choice(sent)
            lines.append(json.dumps({"cmd": "cancel", "ts": ts, "participant": who, "orig_cl_ord_id": cl,
                                     "cl_ord_id": f"x{n}"}))
            continue
        side = rng.choice(["buy", "sell"])
        who = rng.choice(["B1", "B2"] if side == "buy" else ["S1", "S2"])
        price = 1800 + rng.randint(-20, 20)
        cl = f"c{n}"
        msg = {"cmd": "new_order", "ts": ts * 1000000000, "participant": who, "cl_ord_id": cl,
               "symbol": rng.choice(SYMBOLS), "side": side, "price": f"{price // 100}.{price % 100:02d}",
               "qty": rng.randint(1, 20)}
        if rng.random() < 0.1:
            msg["tif"] = "ioc"
        lines.append(json.dumps(msg))
        sent.append((who, cl))
    return lines


class Run:
    """One process: waits for it to be ready, feeds lines one at a time, records every event it writes.

    A line is sent once the previous one has produced output (or after 50 ms, for a line that produces
    none): the process reads one line at a time anyway, and a kill then leaves at most a line or two in the
    pipe, never the rest of the input (an earlier version wrote everything into the pipe at once, and a run
    killed before it was ready consumed all of it and checked nothing).
    """

    def __init__(self, replay, journal, lines, snapshot_every, accept_torn_tail=False):
        cmd = [replay, "--journal", journal, "--flush", "--snapshot-every", str(snapshot_every)]
        if accept_torn_tail:
            cmd.append("--accept-torn-tail")
        self.proc = subprocess.Popen(cmd + ["-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        self.lines = lines
        self.written = 0
        self.events = []  # every event after the ready line
        self.ready = None  # the ready line
        self.stderr = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.err_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self.err_reader.start()
        self.writer = threading.Thread(target=self._write, daemon=True)
        self.writer.start()

    def _read(self):
        for line in self.proc.stdout:
            e = json.loads(line)
            with self.cond:
                if e["ev"] == "ready" and self.ready is None:
                    self.ready = e
                elif e["ev"] != "recovered":
                    self.events.append(e)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr.append(line)

    def _write(self):
        try:
            with self.cond:
                # Short waits: the process can end a moment after its output does (no notification then).
                while self.ready is None and self.proc.poll() is None:
                    self.cond.wait(timeout=0.05)
                if self.ready is None:
                    return
            for line in self.lines:
                with self.cond:
                    seen = len(self.events)
                self.proc.stdin.write(line + "\n")
                self.proc.stdin.flush()
                self.written += 1
                with self.cond:
                    self.cond.wait_for(lambda: len(self.events) > seen or self.proc.poll() is not None, timeout=0.05)
            self.proc.stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass

    def wait_ready(self, timeout):
        """The ready line, or None when the process ended (or hung) before it."""
        end = time.monotonic() + timeout
        with self.cond:
            while self.ready is None and self.proc.poll() is None and time.monotonic() < end:
                self.cond.wait(timeout=0.05)
            return self.ready

    def wait_written(self, count, timeout):
        """Waits until `count` lines were sent (each after the one before was answered); False if the
        process ended first."""
        end = time.monotonic() + timeout
        with self.cond:
            while self.written < count or len(self.events) == 0:
                if self.proc.poll() is not None or time.monotonic() > end:
                    return False
                self.cond.wait(timeout=0.05)
        return True

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.reader.join()
        self.writer.join(timeout=5)
        self.err_reader.join(timeout=5)

    def finish(self):
        self.writer.join()
        code = self.proc.wait()
        self.reader.join()
        self.err_reader.join()
        return code, "".join(self.stderr)


def fail(summary, error, run=None):
    summary.update({"ok": False, "error": error})
    if run is not None:
        summary["stderr"] = "".join(run.stderr)[-2000:]
    print(json.dumps(summary))
    return 1


def preflight_torn_tail(replay, base):
    """The restart path the test relies on, checked first and deterministically: a journal whose last WAL
    record is cut is refused with exit 3, and opens without that record with --accept-torn-tail (the WAL
    files kept aside). Returns None, or what went wrong."""
    d = base + "-preflight"
    shutil.rmtree(d, ignore_errors=True)
    lines = "\n".join(setup_lines()) + "\n"
    first = subprocess.run([replay, "--journal", d, "-"], input=lines, capture_output=True, text=True)
    ready = [json.loads(l) for l in first.stdout.splitlines() if '"ready"' in l]
    if first.returncode != 0 or not ready:
        return f"preflight: a fresh journal did not start: exit {first.returncode} {first.stderr[-500:]}"
    written = ready[0]["next_seq"] - 1 + len(setup_lines())  # one command per input line
    wal = sorted(glob.glob(os.path.join(d, "[0-9]*.log")))[-1]
    os.truncate(wal, os.path.getsize(wal) - 10)  # into the last record: the last command's batch
    refused = subprocess.run([replay, "--journal", d, "-"], input="", capture_output=True, text=True)
    if refused.returncode != 3 or "journal_torn_tail" not in refused.stderr:
        return f"preflight: a cut WAL tail gave exit {refused.returncode}, not 3: {refused.stderr[-500:]}"
    accepted = subprocess.run([replay, "--journal", d, "--accept-torn-tail", "-"], input="", capture_output=True,
                              text=True)
    ready = [json.loads(l) for l in accepted.stdout.splitlines() if '"ready"' in l]
    if accepted.returncode != 0 or not ready or ready[0]["next_seq"] != written:
        return (f"preflight: --accept-torn-tail gave exit {accepted.returncode}, {ready}, expected next_seq "
                f"{written}: {accepted.stderr[-500:]}")
    if not glob.glob(os.path.join(d, "torn-tail-*", os.path.basename(wal))):
        return "preflight: the WAL was not kept aside"
    shutil.rmtree(d, ignore_errors=True)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--replay", default="build/bin/cpx-replay")
    ap.add_argument("--dir", default="var/crash-test")
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--commands", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--snapshot-every", type=int, default=97)
    ap.add_argument("--min-acked-orders", type=int, default=None,
                    help="fail unless at least this many orders were acknowledged (default: commands / 4)")
    ap.add_argument("--min-acked-trades", type=int, default=None,
                    help="fail unless at least this many trades were acknowledged (default: commands / 40)")
    ap.add_argument("--ready-timeout", type=float, default=120.0,
                    help="seconds a restarted process may take to recover and say it is ready")
    args = ap.parse_args()
    min_orders = args.commands // 4 if args.min_acked_orders is None else args.min_acked_orders
    min_trades = args.commands // 40 if args.min_acked_trades is None else args.min_acked_trades

    summary = {"kills": 0}
    why = preflight_torn_tail(args.replay, args.dir)
    if why:
        return fail(summary, why)

    rng = random.Random(args.seed)
    shutil.rmtree(args.dir, ignore_errors=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.dir)), exist_ok=True)
    pending = setup_lines() + order_lines(args.commands, rng) + settlement_lines(rng, args.commands // 4)
    total = len(pending)
    acks = []
    kills_done = 0
    restarts = 0
    torn_tails = 0
    accept_torn_tail = False
    started = time.monotonic()
    while True:
        final_run = kills_done >= args.kills
        run = Run(args.replay, args.dir, pending + (CLOSING if final_run else []), args.snapshot_every, accept_torn_tail)
        restarts += 1
        if run.wait_ready(args.ready_timeout) is None:
            code = run.proc.poll()
            if code is None:
                run.kill()
                return fail(summary, f"run {restarts} not ready after {args.ready_timeout} s", run)
            run.finish()
            if code == 3 and not accept_torn_tail:
                # The kill tore the WAL's last record (a write cut in the middle): never acknowledged,
                # since acknowledgements wait for the sync. Accept it, count it; every acknowledged
                # order must still be there (checked below).
                torn_tails += 1
                accept_torn_tail = True
                continue
            return fail(summary, f"run {restarts} exited {code} before it was ready", run)
        accept_torn_tail = False
        if not final_run:
            # Kill at a random point after readiness: after a random number of lines (at most a fair
            # share of what is left, so the input never runs out before the last kill), then a random
            # few milliseconds into the next command (mid-fsync, mid-output, between commands).
            share = max(1, len(pending) // (args.kills - kills_done + 1))
            target = rng.randint(1, share)
            if not run.wait_written(target, args.ready_timeout):
                code = run.proc.poll()
                run.kill()
                return fail(summary, f"run {restarts} exited {code} before {target} lines were answered", run)
            time.sleep(rng.uniform(0, 0.005))
            run.kill()
            kills_done += 1
            summary["kills"] = kills_done
            acks.extend(run.events)
            # Lines the writer got into the pipe may or may not have been journaled: they are not
            # resent (an unacknowledged command is at most once), the next run starts after them.
            pending = pending[run.written:]
            continue
        code, err = run.finish()
        acks.extend(run.events)
        if code != 0:
            return fail(summary, f"final run exited {code}", run)
        break

    problems = []
    full = subprocess.run([args.replay, "--journal", args.dir, "--replay-events"], capture_output=True, text=True)
    if full.returncode != 0:
        print(json.dumps({"ok": False, "error": "full replay failed (gap or corruption)", "stderr": full.stderr[-2000:]}))
        return 1
    replayed = [json.loads(l) for l in full.stdout.splitlines()]
    accepted = {}
    cl_ids = {}
    trades = {}
    for e in replayed:
        if e["ev"] == "accepted":
            if e["order_id"] in accepted:
                problems.append(f"order {e['order_id']} accepted twice")
            accepted[e["order_id"]] = e
            key = (e["participant"], e.get("cl_ord_id"))
            if key in cl_ids:
                problems.append(f"client order id {key} accepted twice")
            cl_ids[key] = e["order_id"]
        elif e["ev"] == "trade":
            if e["trade_id"] in trades:
                problems.append(f"trade {e['trade_id']} appears twice")
            trades[e["trade_id"]] = e
    acked_orders = acked_trades = 0
    for e in acks:
        if e["ev"] == "accepted":
            acked_orders += 1
            got = accepted.get(e["order_id"])
            if got is None or got.get("cl_ord_id") != e.get("cl_ord_id") or got["qty"] != e["qty"]:
                problems.append(f"acknowledged order {e['order_id']} ({e.get('cl_ord_id')}) missing or different")
        elif e["ev"] == "trade":
            acked_trades += 1
            if trades.get(e["trade_id"]) != e:
                problems.append(f"acknowledged trade {e['trade_id']} missing or different")
    final = replayed[-1] if replayed and replayed[-1]["ev"] == "state_hash" else {}
    final_hash = final.get("hash")
    if not final.get("ledger_ok"):
        problems.append("ledger check failed after recovery: " + full.stderr.strip()[-500:])
    if not final.get("durable_ledger_matches"):
        problems.append("the durable ledger differs from the replayed one")
    settled = sum(1 for e in replayed if e["ev"] == "settled")
    again = subprocess.run([args.replay, "--journal", args.dir, "-"], input="", capture_output=True, text=True)
    recovered = [json.loads(l) for l in again.stdout.splitlines() if '"recovered"' in l]
    if not recovered or recovered[0]["hash"] != final_hash:
        problems.append(f"snapshot recovery hash {recovered[0]['hash'] if recovered else None} != full replay {final_hash}")
    if acked_orders < min_orders:
        problems.append(f"only {acked_orders} orders acknowledged, fewer than --min-acked-orders {min_orders}: "
                        "the test checked too little")
    if acked_trades < min_trades:
        problems.append(f"only {acked_trades} trades acknowledged, fewer than --min-acked-trades {min_trades}: "
                        "the test checked too little")
    summary = {
        "ok": not problems, "kills": kills_done, "runs": restarts, "torn_tails_accepted": torn_tails,
        "lines_offered": total, "journaled_commands": replayed[-1].get("commands") if replayed else 0,
        "acknowledged_orders": acked_orders, "acknowledged_trades": acked_trades,
        "orders_in_journal": len(accepted), "trades_in_journal": len(trades), "contracts_settled": settled,
        "ledger_transfers": final.get("transfers"),
        "snapshot_seq": recovered[0].get("snapshot_seq") if recovered else None,
        "seconds": round(time.monotonic() - started, 1),
        "problems": problems[:20],
    }
    print(json.dumps(summary))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
