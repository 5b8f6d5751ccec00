"""cpxd as a child process for the test and benchmark scripts: a free port, a start that waits for
"cpxd: ready" (with a demo market), and a SIGTERM stop."""
import atexit, json, os, signal, socket, subprocess, sys, time

_started = []


@atexit.register
def _kill_leftovers():
    """A test that fails (sys.exit) while its cpxd runs must not leave the server running."""
    for p in _started:
        if p.poll() is None:
            p.kill()
            p.wait()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def write_config(path, settings):
    with open(path, "w") as f:
        json.dump(settings, f)
    return path


def start(cpxd, config, data, env=None, timeout_s=60):
    """Starts `cpxd --config CONFIG --demo --data-dir DATA`; returns (process, its output lines so far)."""
    p = subprocess.Popen([cpxd, "--config", config, "--demo", "--data-dir", data], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, env=env)
    _started.append(p)
    lines = []
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "cpxd: ready" in line:
            return p, lines
    p.kill()
    sys.exit("cpxd did not become ready:\n" + "".join(lines))


def tomorrow_symbols(lines):
    """The demo's books for tomorrow, as cpxd prints them at start."""
    return [l for l in lines if "tomorrow's demo books" in l][0].split(":", 2)[2].split()


def stop(p, require_clean=False):
    """SIGTERM; with require_clean, exits unless cpxd said it stopped cleanly with exit code 0."""
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=60)
    if require_clean and (p.returncode != 0 or "stopped cleanly" not in (out or "")):
        sys.exit(f"cpxd did not stop cleanly (exit {p.returncode}):\n{out}")
    return out
