#!/usr/bin/env python3
"""The tools end what they start: suite `procs`.

Starts tools/run, tools/test and tools/bench the way users and scripts do
(a pipe into a reader that stops early, `timeout`'s SIGTERM, SIGKILL,
Ctrl-C to the foreground group, a terminal that closes, two runs side by
side, a persistent disk another run holds) and checks how each ends: its
exit status, what it said, and that nothing it started is left running.

What is left is found by pid, not by name: while a tool runs, every process
descending from it is recorded (pid and start time, from /proc); this
program is a child subreaper (PR_SET_CHILD_SUBREAPER), so an orphan of the
tool becomes its child and stays findable; after the tool ends, each
recorded process must be gone (or a zombie: dead, waiting to be reaped)
within a few seconds. Anything left is reported and killed.

Needs the built kernel and archive (tools/test builds them first); runs the
tools with CAIRN_NO_BUILD=1. Prints KTAP like a host test program.
"""

import ctypes
import os
import pty
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import qemu  # noqa: E402

TOOLS = common.ROOT / "tools"
PR_SET_CHILD_SUBREAPER = 36
WAIT = 60        # seconds to wait for a console line (boots share 2 cores)
GONE_WITHIN = 5  # seconds for what a tool started to go after it ended
BANNER = r"Cairn [0-9]"
SHELL = r"Cairn shell"  # the shell's banner, just before its first prompt
SECTOR0 = r"^000: 00 00 00 00"  # `blk read 0` of a zeroed disk: the disk is served

CASES = []
STARTED = []  # every Tracked of the running case (cleaned up after it)


def case(fn):
    CASES.append(fn)
    return fn


def env():
    e = dict(os.environ)
    e.update(CAIRN_NO_BUILD="1", CAIRN_NO_SETUP="1", PYTHONUNBUFFERED="1")
    return e


# ------------------------------------------------------------ process table

def _stat(pid):
    """(ppid, start time, state) of pid from /proc, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    fields = data[data.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[19]), fields[0]


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return " ".join(a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a)
    except OSError:
        return "?"


def _exe(pid):
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


class Tracked:
    """A tool started by this test, and every process descending from it,
    recorded while it runs."""

    def __init__(self, argv, **kw):
        kw.setdefault("stdin", subprocess.DEVNULL)
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.STDOUT)
        kw.setdefault("env", env())
        self.proc = subprocess.Popen([str(a) for a in argv], cwd=common.ROOT, **kw)
        self.pid = self.proc.pid
        STARTED.append(self)
        self.seen = {}  # pid -> (start time, cmdline, exe)
        self.lines = []
        self._cv = threading.Condition()
        self._done = threading.Event()
        self._eof = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()
        if self.proc.stdout is not None and kw["stdout"] == subprocess.PIPE:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            with self._cv:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\r\n"))
                self._cv.notify_all()
        with self._cv:
            self._eof.set()
            self._cv.notify_all()

    def feed(self, line):
        """For output read elsewhere (a pty)."""
        with self._cv:
            self.lines.append(line)
            self._cv.notify_all()

    def send(self, text):
        """Console input through tools/run's stdin (held until the prompt)."""
        self.proc.stdin.write(text.encode())
        self.proc.stdin.close()

    def _watch(self):
        while not self._done.is_set():
            self.scan()
            time.sleep(0.05)

    def scan(self):
        family = {self.pid}
        table = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                st = _stat(int(d))
                if st is not None:
                    table[int(d)] = st
        grew = True
        while grew:
            grew = False
            for pid, (ppid, start, _) in table.items():
                if ppid in family and pid not in family:
                    family.add(pid)
                    grew = True
        # Orphans of the tool are this process's children now (subreaper):
        # those already recorded stay recorded by pid. What a process runs
        # is read again while it lives (it may be seen between fork and exec).
        for pid in family - {self.pid}:
            old = self.seen.get(pid)
            if old is None or old[0] == table[pid][1]:
                exe = _exe(pid)
                if exe or old is None:
                    self.seen[pid] = (table[pid][1], _cmdline(pid), exe)

    def wait_line(self, rx, timeout=WAIT):
        rx = re.compile(rx)
        end = time.monotonic() + timeout
        with self._cv:
            while True:
                for l in self.lines:
                    if rx.search(l):
                        return l
                left = end - time.monotonic()
                if left <= 0 or self._eof.is_set():
                    raise AssertionError(f"no output line matching /{rx.pattern}/ within "
                                         f"{timeout} s; last lines: {self.lines[-8:]}")
                self._cv.wait(min(left, 0.2))

    def qemus(self):
        return [p for p, (_, _, exe) in self.seen.items() if "qemu-system" in exe]

    def wait_qemu(self, timeout=WAIT):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.qemus():
                return self.qemus()
            time.sleep(0.05)
        raise AssertionError(f"no QEMU started by pid {self.pid} within {timeout} s")

    def signal(self, sig, group=False):
        if group:
            os.killpg(self.pid, sig)
        else:
            os.kill(self.pid, sig)

    def wait(self, timeout=WAIT):
        try:
            status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.proc.args[0]} (pid {self.pid}) did not end within "
                                 f"{timeout} s")
        finally:
            self._done.set()
        time.sleep(0.1)
        with self._cv:
            return status

    def output(self):
        with self._cv:
            return list(self.lines)

    def left_behind(self):
        """Recorded processes still alive GONE_WITHIN s after the tool ended
        (killed here, so that a failure leaves nothing either)."""
        end = time.monotonic() + GONE_WITHIN
        while True:
            alive = []
            for pid, (start, cmd, _) in sorted(self.seen.items()):
                st = _stat(pid)
                if st is None or st[1] != start:
                    continue
                if st[2] == "Z":
                    try:
                        os.waitpid(pid, os.WNOHANG)  # an orphan we inherited
                    except ChildProcessError:
                        pass
                    continue
                alive.append((pid, cmd))
            if not alive or time.monotonic() >= end:
                break
            time.sleep(0.05)
        for pid, _ in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        return alive


def check_nothing_left(t):
    left = t.left_behind()
    assert not left, "left running after pid %d ended: %s" % (
        t.pid, "; ".join(f"pid {p} ({c})" for p, c in left))


def check_status(t, want, status):
    assert status == want, f"exit status {status}, expected {want}; last lines: " \
                           f"{t.output()[-8:]}"


def run_tool(*args, **kw):
    return Tracked([sys.executable, TOOLS / args[0]] + list(args[1:]), **kw)


# ------------------------------------------------------------ cases

@case
def run_normal_exit():
    """Input from a pipe: held until the prompt; `poweroff` ends the guest."""
    t = run_tool("run", "--direct", "--no-disk", stdin=subprocess.PIPE)
    t.proc.stdin.write(b"poweroff\n")
    t.proc.stdin.close()
    status = t.wait()
    assert t.qemus(), "no QEMU was seen: the check below would prove nothing"
    check_status(t, 0, status)
    check_nothing_left(t)


@case
def run_reader_gone():
    """`tools/run | grep -m1 Cairn`: the reader stops after the banner while
    the guest idles at its prompt, writing nothing more."""
    r, w = os.pipe()
    t = run_tool("run", "--direct", "--no-disk", stdout=w)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        for raw in f:
            if re.search(BANNER, raw.decode("utf-8", "replace")):
                break
        else:
            raise AssertionError("no banner on the pipe")
        t.wait_qemu()
    status = t.wait()
    check_status(t, 128 + signal.SIGPIPE, status)
    check_nothing_left(t)


@case
def run_sigterm():
    """`timeout` sends SIGTERM."""
    t = run_tool("run", "--direct", "--no-disk")
    t.wait_line(SHELL)
    t.wait_qemu()
    t.signal(signal.SIGTERM)
    check_status(t, 128 + signal.SIGTERM, t.wait())
    check_nothing_left(t)


@case
def run_sigkill():
    """SIGKILL cannot be caught: QEMU must die with its parent anyway."""
    t = run_tool("run", "--direct", "--no-disk")
    t.wait_line(SHELL)
    t.wait_qemu()
    t.signal(signal.SIGKILL)
    check_status(t, -signal.SIGKILL, t.wait())
    check_nothing_left(t)


@case
def run_ctrl_c():
    """Ctrl-C: SIGINT to the terminal's foreground process group, which is
    the tool's (started here as a group of its own)."""
    t = run_tool("run", "--direct", "--no-disk", process_group=0)
    t.wait_line(SHELL)
    t.wait_qemu()
    t.signal(signal.SIGINT, group=True)
    check_status(t, 128 + signal.SIGINT, t.wait())
    check_nothing_left(t)


@case
def run_timeout_option():
    t = run_tool("run", "--direct", "--no-disk", "--timeout", "3")
    t.wait_qemu()
    check_status(t, 124, t.wait())
    assert any("--timeout 3" in l for l in t.output()), t.output()[-4:]
    check_nothing_left(t)


@case
def run_terminal_closed():
    """On a terminal (QEMU owns the console, raw); the terminal closes: SIGHUP."""
    master, slave = pty.openpty()

    def own_terminal():
        os.setsid()
        os.close(os.open(os.ttyname(0), os.O_RDWR))  # the pty becomes the controlling tty

    t = run_tool("run", "--direct", "--no-disk", stdin=slave, stdout=slave, stderr=slave,
                 preexec_fn=own_terminal)
    os.close(slave)
    buf = b""
    end = time.monotonic() + WAIT
    try:
        while b"cairn> " not in buf:
            if time.monotonic() > end:
                raise AssertionError(f"no prompt on the terminal: {buf[-200:]!r}")
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
        t.feed(buf.decode("utf-8", "replace"))
        t.wait_qemu()
    finally:
        os.close(master)  # hang up
    status = t.wait()
    assert status in (128 + signal.SIGHUP, -signal.SIGHUP), \
        f"exit status {status}, expected {128 + signal.SIGHUP} (SIGHUP)"
    check_nothing_left(t)


@case
def runs_side_by_side():
    """Two runs with the default disk at once: both boot, both disks served."""
    a = run_tool("run", "--direct", stdin=subprocess.PIPE)
    b = run_tool("run", "--direct", stdin=subprocess.PIPE)
    try:
        for t in (a, b):
            t.send("blk read 0\n")
        for t in (a, b):
            t.wait_line(SECTOR0)
            errs = qemu.qemu_errors(t.output())
            assert not errs, f"pid {t.pid}: {errs}"
    finally:
        for t in (a, b):
            t.signal(signal.SIGTERM)
    for t in (a, b):
        check_status(t, 128 + signal.SIGTERM, t.wait())
        check_nothing_left(t)


@case
def named_disk_in_use():
    """A persistent image another run holds: refused in the tool's words,
    naming the holder; free again once the holder ends."""
    with tempfile.TemporaryDirectory() as tmp:
        disk = Path(tmp) / "shared.img"
        a = run_tool("run", "--direct", "--disk", disk, stdin=subprocess.PIPE)
        try:
            a.send("blk read 0\n")
            a.wait_line(SECTOR0)
            b = run_tool("run", "--direct", "--disk", disk)
            status = b.wait()
            check_status(b, 2, status)
            msg = " ".join(b.output())
            assert "is in use by another run" in msg and f"pid {a.pid} " in msg, msg
            assert not b.qemus(), "the refused run started a QEMU"
            check_nothing_left(b)
        finally:
            a.signal(signal.SIGTERM)
        a.wait()
        check_nothing_left(a)
        c = run_tool("run", "--direct", "--disk", disk, stdin=subprocess.PIPE)
        c.send("blk read 0\n")
        c.wait_line(SECTOR0)
        c.signal(signal.SIGTERM)
        check_status(c, 128 + signal.SIGTERM, c.wait())
        check_nothing_left(c)


TEST_BOOTS = '''
BOOTS = [
    dict(name="quick", uboot=False, mem="256M", args="", input="blk read 0\\npoweroff\\n",
         disk=True, timeout=120, status=0, expect=[("disk", r"^000: 00 00 00 00")]),
    dict(name="idle", uboot=False, mem="256M", args="", disk=True, timeout=300, status=0,
         expect=[("never", r"a line the idle boot never prints")]),
]
'''


@case
def test_ctrl_c():
    """tools/test interrupted while a boot runs: that boot stopped, the
    totals of what finished printed last, a line saying so, non-zero.
    Meanwhile a tools/run beside it boots and serves its own disk."""
    with tempfile.TemporaryDirectory() as tmp:
        boots = Path(tmp) / "boots.py"
        boots.write_text(TEST_BOOTS)
        logs = Path(tmp) / "logs"
        t = Tracked([sys.executable, TOOLS / "test", "-j", "2", "quick", "idle"],
                    process_group=0, env=dict(env(), CAIRN_BOOTS=str(boots),
                                              CAIRN_TEST_LOGS=str(logs)))
        t.wait_line(r"^PASS  boot quick")
        assert len(t.qemus()) >= 2, f"expected both boots' QEMUs, saw {t.qemus()}"
        # tools/run beside tools/test, which still runs `idle` (with a disk).
        r = run_tool("run", "--direct", stdin=subprocess.PIPE)
        r.send("blk read 0\n")
        r.wait_line(SECTOR0)
        assert not qemu.qemu_errors(r.output()), r.output()[-4:]
        r.signal(signal.SIGTERM)
        check_status(r, 128 + signal.SIGTERM, r.wait())
        check_nothing_left(r)
        t.signal(signal.SIGINT, group=True)
        status = t.wait()
        out = t.output()
        check_status(t, 128 + signal.SIGINT, status)
        assert any(re.search(r"interrupted by SIGINT: 1 of 2 suites finished, 1 stopped "
                             r"\(boot idle\)", l) for l in out), out[-6:]
        assert re.fullmatch(r"[1-9][0-9]* passed, 0 failed", out[-1]), out[-3:]
        check_nothing_left(t)
        # Both boots had a disk, side by side: each private (snapshot mode).
        for name in ("quick", "idle"):
            cmd = (logs / f"{name}.cmd").read_text()
            assert re.search(r"-drive \S*snapshot=on", cmd), cmd
    blank = qemu.BLANK_DISK.read_bytes()
    assert not blank.strip(b"\0"), "the shared blank disk was written"


@case
def bench_sigterm():
    t = run_tool("bench", "--timeout", "120")
    t.wait_qemu()
    t.signal(signal.SIGTERM)
    check_status(t, 128 + signal.SIGTERM, t.wait())
    check_nothing_left(t)


def cleanup():
    """Kill whatever a case started and left (a failed case leaves nothing)."""
    for t in STARTED:
        if t.proc.poll() is None:
            t.proc.kill()
        t.wait()
        t.left_behind()
    STARTED.clear()


def main():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print(f"# cannot become a child subreaper (errno {ctypes.get_errno()})")
    missing = [p for p in (common.image_path(), common.archive_path()) if not p.exists()]
    print("KTAP version 1")
    print(f"1..{len(CASES)}")
    failed = 0
    for i, fn in enumerate(CASES, 1):
        if missing:
            print(f"ok {i} {fn.__name__} # SKIP not built: {missing[0]}")
            continue
        start = time.monotonic()
        try:
            fn()
            print(f"# {fn.__name__}: {time.monotonic() - start:.1f} s")
            print(f"ok {i} {fn.__name__}", flush=True)
        except Exception:
            failed += 1
            for line in traceback.format_exc().rstrip().splitlines():
                print(f"# {line}")
            print(f"not ok {i} {fn.__name__}", flush=True)
        finally:
            cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
