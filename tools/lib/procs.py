"""Child processes that end with the tool that started them.

Every QEMU (and every other program a tool waits for) is started through
spawn(), which ties it to the tool:

  - PR_SET_PDEATHSIG(SIGKILL) (Linux): the kernel kills the child when the
    tool dies, however it dies, SIGKILL included. The signal follows the
    *thread* that forked the child: spawn from the main thread or from a
    thread that waits for the child (tools/test's pool workers do);
  - a process group of its own (unless it must share the terminal), so that
    a terminal's Ctrl-C reaches the tool alone, which then stops its
    children itself, group and all.

guard(main) runs a tool's main(): SIGINT, SIGTERM and SIGHUP raise
Interrupted in the main thread, and so does the reader of stdout going
away (SIGPIPE: a write failing, or a watcher noticing the far end of the
pipe closed while nothing is being written). However main() ends, every
child still running is killed before the tool exits, with 128 + the signal
number when a signal stopped it (quietly, for a vanished reader).
"""

import ctypes
import errno
import os
import select
import signal
import stat
import subprocess
import sys
import threading

PR_SET_PDEATHSIG = 1
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE)


def _load_prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
    fn.restype = ctypes.c_int
    return fn


_prctl = _load_prctl()


class Interrupted(KeyboardInterrupt):
    """A stop signal reached the tool (SIGPIPE: its stdout's reader is gone)."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self):
        return signal.Signals(self.signum).name

    @property
    def status(self):
        return 128 + self.signum


_lock = threading.Lock()
_children = []               # Popen objects, pruned once they are reaped
_closed = threading.Event()  # stop_all() ran: later children are killed at once
_stopping = threading.Event()  # a stop signal was raised; later ones are ignored


def _preexec(parent, own_group, then):
    def preexec():
        if own_group:
            os.setpgid(0, 0)
        if _prctl is not None:
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent:  # the tool died before the prctl took
                os._exit(255)
        if then is not None:
            then()
    return preexec


def spawn(cmd, own_group=True, preexec=None, **kw):
    """subprocess.Popen(cmd, **kw) for a child tied to this process.

    own_group: the child leads a new process group (the default; a child
    that reads the terminal must stay in the tool's, the foreground, group).
    start_new_session=True gives it a session (and so a group) of its own.
    preexec: a function run in the child after that, before the exec.
    """
    session = kw.get("start_new_session", False)
    proc = subprocess.Popen(cmd, preexec_fn=_preexec(os.getpid(), own_group and not session,
                                                     preexec), **kw)
    proc.own_group = own_group or session
    with _lock:
        _children[:] = [c for c in _children if c.returncode is None]
        _children.append(proc)
    if _closed.is_set():
        kill(proc)
    return proc


def _signal(proc, sig=signal.SIGKILL):
    if proc.returncode is not None:
        return
    try:
        if proc.own_group:
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def kill(proc):
    """SIGKILL a spawned child (with its process group when it has one), reap it."""
    _signal(proc)
    proc.wait()


def stop_all():
    """Kill every spawned child still running, and any spawned from now on."""
    _closed.set()
    with _lock:
        procs = list(_children)
    for p in procs:
        _signal(p)
    for p in procs:
        p.wait()


def stopping():
    """True once stop_all() ran: what runs now is being stopped."""
    return _closed.is_set()


def run(cmd, timeout=None, **kw):
    """subprocess.run(cmd, timeout=..., **kw) through spawn(): the child (and
    its group) is killed on timeout (TimeoutExpired, with the output so far)
    or when anything else interrupts the wait."""
    proc = spawn(cmd, **kw)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill(proc)
        out, err = proc.communicate()
        raise subprocess.TimeoutExpired(proc.args, timeout, out, err)
    except BaseException:
        kill(proc)
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _on_signal(signum, frame):
    if _stopping.is_set():
        return
    _stopping.set()
    raise Interrupted(signum)


def catch_stop_signals():
    for s in STOP_SIGNALS:
        signal.signal(s, _on_signal)


def watch_stdout():
    """When stdout is a pipe or a socket, a thread waits for its reader to go
    away and then delivers SIGPIPE to the main thread: the tool stops even
    when it has nothing to write (a guest idling at its prompt)."""
    try:
        mode = os.fstat(1).st_mode
    except OSError:
        return
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return
    main = threading.main_thread().ident

    def watch():
        p = select.poll()
        p.register(1, 0)  # POLLERR (no reader left) and POLLHUP are always reported
        while True:
            if any(ev & (select.POLLERR | select.POLLHUP | select.POLLNVAL)
                   for _, ev in p.poll()):
                signal.pthread_kill(main, signal.SIGPIPE)
                return

    threading.Thread(target=watch, name="stdout-watch", daemon=True).start()


def quiet_stdout():
    """Point stdout at /dev/null (its reader is gone: nothing more to say)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass


def reader_gone(e):
    """True for the error of writing to a stdout nobody reads any more (a
    closed pipe, a hung-up terminal)."""
    return isinstance(e, OSError) and e.errno in (errno.EPIPE, errno.EIO)


def guard(main):
    """Run a tool's main() and exit with its status; see the module text."""
    catch_stop_signals()
    watch_stdout()
    try:
        try:
            status = main()
            sys.stdout.flush()
        except OSError as e:
            if not reader_gone(e):
                raise
            _stopping.set()
            raise Interrupted(signal.SIGPIPE)
    except Interrupted as e:
        _stopping.set()
        stop_all()
        if e.signum == signal.SIGPIPE:
            quiet_stdout()
        status = e.status
    finally:
        stop_all()
    sys.exit(status)
