"""`make run`: the web server and the worker side by side; Ctrl-C (or SIGTERM) stops both,
and if either one exits, the other is stopped too."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

HOST_PORT = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8000"
PYTHON = sys.executable


def main() -> int:
    # Both children start with SIGINT at its default, even if this runner was started in the
    # background (where the shell ignores it), so Ctrl-C reaches them.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    children = [
        subprocess.Popen([PYTHON, "manage.py", "run_huey", "--quiet"]),
        subprocess.Popen([PYTHON, "manage.py", "runserver", HOST_PORT, "--noreload"]),
    ]

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        stop()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
    print("\nweb server and worker stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
