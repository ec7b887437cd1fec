#!/usr/bin/env bash
# cli_password_prompt.sh — `aps user create` asking for the password on a terminal turns echo
# off while it reads, and puts it back however the prompt ends: a line typed, Ctrl-C, SIGTERM
# or the terminal hung up. It left echo off after Ctrl-C, so the shell it returned to showed
# nothing typed. The command runs on a real pseudo-terminal (python3's pty); the terminal's
# settings are read from its master side after the command has gone.
# Needs: APS_BIN, python3.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
command -v python3 > /dev/null || { echo "FAIL: python3 is required"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export DATABASE_URL="sqlite:///$work/aps.db" ENVIRONMENT=development LOG_LEVEL=WARNING
"$APS_BIN" migrate > /dev/null || { echo "FAIL: migrate"; exit 1; }

python3 - "$APS_BIN" << 'PY'
import os, pty, select, signal, sys, termios, time

aps = sys.argv[1]
passed = failed = 0

def check(name, want, got):
    global passed, failed
    if want == got:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {name}: expected {want!r}, got {got!r}")

def read_until(fd, text, seconds=10):
    seen = b""
    end = time.time() + seconds
    while text not in seen and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                seen += os.read(fd, 1024)
            except OSError:
                break
    return seen

def prompt(email, end):
    """Runs `aps user create` on a pty, ends its prompt with `end`; returns (echo on, status)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(aps, [aps, "user", "create", "--email", email, "--role", "user"])
    seen = read_until(fd, b"password: ")
    echo_at_prompt = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
    if end == "line":
        os.write(fd, b"a long enough password\n")
    elif end == signal.SIGINT:
        os.write(fd, b"\x03")  # Ctrl-C typed: the terminal sends SIGINT
    else:
        os.kill(pid, end)
    _, status = os.waitpid(pid, 0)
    echo_after = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
    os.close(fd)
    return b"password: " in seen, echo_at_prompt, echo_after, status

for name, end in (("a typed line", "line"), ("Ctrl-C", signal.SIGINT),
                  ("SIGTERM", signal.SIGTERM), ("a hang-up", signal.SIGHUP)):
    asked, during, after, status = prompt(f"{name.replace(' ', '-').lower()}@example.com", end)
    check(f"{name}: the prompt is shown", True, asked)
    check(f"{name}: echo is off while the password is read", False, during)
    check(f"{name}: echo is on again afterwards", True, after)
    if end == "line":
        check(f"{name}: the user is created", 0, os.waitstatus_to_exitcode(status))
    else:
        check(f"{name}: the command ends by the signal", -end, os.waitstatus_to_exitcode(status))
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
