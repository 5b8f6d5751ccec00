#!/usr/bin/env python3
"""cpxd on a disk that fills up (issue "Hardening", defect 4): cpxd's data directory on a small tmpfs, the
rest of it filled with a ballast file while the exchange runs.

Checks, in order: the process stays up (it used to abort on RocksDB's assertion, exit 134); an operator's
request that cannot be put on record is refused `unavailable` (it used to be served with no audit entry);
/health answers 503 and says why; reads still work; once the ballast is removed writing resumes by itself,
/health is 200, a deposit is accepted and shows in the balances; a SIGTERM stops it cleanly and a restart
recovers the same balance with an intact audit chain (which records how many entries were lost).

Needs root (it mounts a tmpfs): when not run as root it says so and exits 77, which CTest reports as
skipped. CI runs as root. Prints one JSON object with what it saw."""
from decimal import Decimal
import argparse, json, os, shutil, subprocess, sys, tempfile, time, urllib.error, urllib.request

from cpxd_process import free_port, start, stop, write_config

SKIP = 77


def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def until(what, check, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.2)
    sys.exit(f"timed out after {seconds} s waiting for: {what}")


def admin(args, port, *command):
    env = dict(os.environ, CPX_URL=f"http://127.0.0.1:{port}", CPX_KEY="key-ops1", CPX_SECRET="secret-ops1")
    return subprocess.run([args.admin, "--json", *command], capture_output=True, text=True, env=env, timeout=60)


def cash(answer):
    return Decimal(json.loads(answer.stdout)["participants"][0]["cash"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cpxd", required=True)
    ap.add_argument("--admin", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--size-mb", type=int, default=160)  # RocksDB resumes once a memtable flush fits (64 MB)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print(json.dumps({"ok": None, "skipped": "needs root to mount a tmpfs"}))
        return SKIP
    shutil.rmtree(a.dir, ignore_errors=True)
    os.makedirs(a.dir)
    mount = tempfile.mkdtemp(prefix="cpx-full-", dir=a.dir)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={a.size_mb}m", "tmpfs", mount], check=True)
    p = None
    try:
        http = free_port()
        config = write_config(os.path.join(a.dir, "cpxd.json"),
                              {"http_port": http, "https_port": -1, "fix_port": -1, "fix_tls_port": -1,
                               "auction_schedule": False})
        data = os.path.join(mount, "data")
        p, _ = start(a.cpxd, config, data)
        seq_before = get(http, "/health")[1]["durable_seq"]

        # Fill the disk: everything but a few pages goes to the ballast.
        ballast = os.path.join(mount, "ballast")
        st = os.statvfs(mount)
        subprocess.run(["fallocate", "-l", str(st.f_bavail * st.f_frsize - 4096), ballast], check=True)
        # The first write that needs a new page fails: operators' requests (each one an audit entry) until
        # one is refused. (The journal's write-ahead log has space set aside by RocksDB ahead of time, so
        # on a small market the audit log meets the full disk first; the journal's own path is tested
        # with a failing file system in sequencer_test and journal_test.)
        refused = None
        for i in range(200):
            r = admin(a, http, "cash", "deposit", "BJAI", "1.00")
            if r.returncode != 0:
                refused = r
                break
        if refused is None:
            sys.exit("200 operator requests on a full disk were all served")
        status, health = until("/health 503 with its reason",
                               lambda: (lambda r: r if r[0] == 503 and r[1]["problems"] else None)(get(http, "/health")), 30)
        if p.poll() is not None:
            sys.exit(f"cpxd exited ({p.returncode}) on the full disk")
        deposit_full = admin(a, http, "cash", "deposit", "BJAI", "1000.00")
        book_status, book = get(http, "/instruments")

        # Room again: writing resumes by itself.
        os.remove(ballast)
        until("/health 200 once the disk has room", lambda: get(http, "/health")[0] == 200, 120)
        ready_again = get(http, "/health")[1].get("ready")
        cash_before = cash(admin(a, http, "balances", "BJAI"))
        deposit = admin(a, http, "cash", "deposit", "BJAI", "1234.56")
        balances = admin(a, http, "balances", "BJAI")
        seq_after = get(http, "/health")[1]["durable_seq"]
        stop(p, require_clean=True)
        p, _ = start(a.cpxd, config, data)
        balances_again = admin(a, http, "balances", "BJAI")
        audit = admin(a, http, "audit", "verify")
        stop(p, require_clean=True)
        p = None

        problems = []
        if health.get("ready") is not False:
            problems.append(f"/health on a full disk does not say ready: false: {health}")
        if ready_again is not True:
            problems.append(f"/health once the disk has room does not say ready: true ({ready_again})")
        if book_status != 200:
            problems.append(f"a read on the full disk (nothing to write) was not answered: {book_status} {book}")
        if "unavailable" not in (refused.stdout + refused.stderr):
            problems.append(f"the refused request does not say unavailable: {refused.stdout} {refused.stderr}")
        if deposit_full.returncode == 0 or "unavailable" not in (deposit_full.stdout + deposit_full.stderr):
            problems.append(f"a deposit on the full disk was not refused as unavailable: {deposit_full.stdout} {deposit_full.stderr}")
        if deposit.returncode != 0:
            problems.append(f"the deposit after the disk freed failed: {deposit.stdout} {deposit.stderr}")
        if cash(balances) - cash_before != Decimal("1234.56"):
            problems.append(f"the deposit is not in the balances: {balances.stdout}")
        if balances.stdout != balances_again.stdout:
            problems.append(f"balances differ after the restart:\n{balances.stdout}\n{balances_again.stdout}")
        if audit.returncode != 0 or '"ok":true' not in audit.stdout.replace(" ", ""):
            problems.append(f"the audit chain does not verify after the full disk: {audit.stdout} {audit.stderr}")
        if seq_after <= seq_before:
            problems.append(f"the journal did not move after the disk freed: {seq_before} -> {seq_after}")
        print(json.dumps({"ok": not problems, "requests_served_before_full": i, "full_disk_health": health,
                          "durable_seq": [seq_before, seq_after], "problems": problems}))
        return 0 if not problems else 1
    finally:
        if p is not None and p.poll() is None:
            p.kill()
            p.wait()
        subprocess.run(["umount", "-l", mount])


if __name__ == "__main__":
    sys.exit(main())
