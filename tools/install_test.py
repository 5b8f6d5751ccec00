#!/usr/bin/env python3
"""CPX installed runs without its source tree (issue 17): `cmake --install BUILD --prefix ROOT` puts the
programs, the reference data and FIX dictionary, the configuration and the systemd unit in their places;
every installed program answers --version; ROOT/bin/cpxd, started from an empty directory with the
installed configuration, seeds the demo market from ROOT/share/cpx/config, serves /health and stops cleanly;
`systemd-analyze verify` accepts the unit (when systemd-analyze is there).

  tools/install_test.py --build build --dir /tmp/cpx-install-test
"""
import argparse, json, os, re, shutil, subprocess, sys, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cpxd_process import free_port, start, stop, write_config  # noqa: E402

PROGRAMS = ["cpxd", "cpx-admin", "cpx-replay", "cpx-auction", "cpx-load"]


def fail(text):
    sys.exit("install test: " + text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--dir", required=True)
    a = ap.parse_args()
    work = os.path.abspath(a.dir)
    shutil.rmtree(work, ignore_errors=True)
    root, empty = os.path.join(work, "root"), os.path.join(work, "empty")
    os.makedirs(empty)
    r = subprocess.run(["cmake", "--install", a.build, "--prefix", root], capture_output=True, text=True)
    if r.returncode != 0:
        fail("cmake --install failed:\n" + r.stdout + r.stderr)

    for name in PROGRAMS:
        r = subprocess.run([os.path.join(root, "bin", name), "--version"], capture_output=True, text=True, cwd=empty)
        if r.returncode != 0 or not re.fullmatch(re.escape(name) + r" \d+\.\d+\.\d+\n", r.stdout):
            fail(f"{name} --version answered {r.returncode} {r.stdout!r}")
    for path in ["share/cpx/config/regions.json", "share/cpx/config/chip_classes.json", "share/cpx/config/network.json",
                 "share/cpx/config/fix/FIX44-CPX.xml", "etc/cpx/cpxd.json", "lib/systemd/system/cpxd.service",
                 "share/doc/cpx/OPERATIONS.md"]:
        if not os.path.isfile(os.path.join(root, path)):
            fail(f"{path} is not installed")
    unit = open(os.path.join(root, "lib/systemd/system/cpxd.service")).read()
    exec_start = f"ExecStart={root}/bin/cpxd --config {root}/etc/cpx/cpxd.json --data-dir /var/lib/cpx"
    if exec_start not in unit or "Type=notify" not in unit:
        fail("the unit does not start the installed cpxd with Type=notify:\n" + unit)
    if shutil.which("systemd-analyze"):
        r = subprocess.run(["systemd-analyze", "verify", os.path.join(root, "lib/systemd/system/cpxd.service")],
                           capture_output=True, text=True)
        if r.returncode != 0:
            fail("systemd-analyze verify refused the unit:\n" + r.stdout + r.stderr)
    else:
        print("install test: systemd-analyze is not installed; the unit was not verified")

    # The installed configuration with free ports, plain listeners only (TLS is tested elsewhere).
    settings = json.load(open(os.path.join(root, "etc/cpx/cpxd.json")))
    http = free_port()
    settings.update({"http_port": http, "https_port": -1, "fix_port": free_port(), "fix_tls_port": -1})
    config = write_config(os.path.join(work, "cpxd.json"), settings)
    os.chdir(empty)  # no config/ here: cpxd must find its own under ROOT/share/cpx
    p, _ = start(os.path.join(root, "bin", "cpxd"), config, os.path.join(work, "data"))
    try:
        health = json.load(urllib.request.urlopen(f"http://127.0.0.1:{http}/health", timeout=10))
        if health.get("status") != "ok":
            fail(f"/health: {health}")
        instruments = json.load(urllib.request.urlopen(f"http://127.0.0.1:{http}/instruments", timeout=10))
        listed = instruments.get("instruments", [])
        if not any(i.get("symbol", "").startswith("NM.H100.") for i in listed):
            fail(f"the demo market was not seeded from the installed reference data: {str(instruments)[:300]}")
    finally:
        stop(p, require_clean=True)
    print(f"install test: ok ({len(PROGRAMS)} programs, {len(listed)} instruments listed by the installed cpxd)")


if __name__ == "__main__":
    main()
