"""Building QEMU command lines for Cairn and running boots with a captured console.

A Boot describes one boot of the `virt` machine (cortex-a15):
  uboot   True: firmware is U-Boot (-bios), which loads -kernel and runs bootz;
          False: QEMU's own direct -kernel boot
  mem     RAM size as given to -m ("1G", "256M", "6G"; a bare number is MiB)
  smp     number of CPUs
  highmem force -M virt,highmem=on (implied when mem > 3 GiB)
  virt    -M virt,virtualization=on (U-Boot enters the kernel in HYP mode)
  icount  -icount shift=0,sleep=off (1 ns of virtual time per instruction)
  args    kernel command line (-append, ends up in /chosen/bootargs)
  gdb     None, or a TCP port for QEMU's gdb stub (QEMU then waits: -S)
  devices more -device options (PCI devices: the device tree stays the same)
  monitor None, or a path: QEMU's human monitor on a Unix socket there
          (-monitor unix:PATH,server,nowait), for device_add / device_del
          at run time (see Monitor, and run_console's steps)
  disk    None, or a raw image for the virtio block device; with
          disk_private, QEMU's snapshot mode: the image is only read, the
          guest's writes go to a temporary overlay of this QEMU process
          (kept across machine resets, gone when QEMU exits)

Every QEMU is started through procs.spawn(): it dies with the tool.

U-Boot's 2 s boot delay is removed by booting with a DTB dumped from QEMU itself
(same machine options) plus `/config/bootdelay = -2`; the patched DTBs are cached
in build/run/, keyed by the options.
"""

import ctypes
import errno
import fcntl
import hashlib
import os
import re
import shlex
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import procs
from common import RUN_DIR, archive_path, image_path, qemu_binary, uboot_path

SEMIHOSTING = ["-semihosting-config", "enable=on,target=native"]
ICOUNT = ["-icount", "shift=0,sleep=off"]
DEFAULT_GDB_PORT = 1234
UBOOT_RAM_LIMIT_MIB = 2048
NO_HIGHMEM_RAM_LIMIT_MIB = 3072
# Above this, guest RAM is an unreserved backend: QEMU's default RAM is
# refused by the host's overcommit check beyond what the host has (24G on a
# 24 GiB machine), while reserve=off takes 64G or 255G and costs only the
# pages the guest touches.
BIG_RAM_MIB = 8192
RAM_BASE = 0x40000000       # QEMU virt: RAM starts at 1 GiB


class BootError(Exception):
    pass


def parse_mem(text):
    """QEMU -m size to MiB: '1G' -> 1024, '256M' -> 256, '512' -> 512."""
    m = re.fullmatch(r"\s*(\d+)\s*([kKmMgGtT]?)(?:i?[bB])?\s*", str(text))
    if not m:
        raise ValueError(f"bad memory size {text!r} (examples: 256M, 1G, 6G)")
    n = int(m.group(1))
    unit = m.group(2).upper() or "M"
    mib = {"K": n / 1024, "M": n, "G": n * 1024, "T": n * 1024 * 1024}[unit]
    if mib != int(mib) or mib <= 0:
        raise ValueError(f"bad memory size {text!r}: must be a positive whole number of MiB")
    return int(mib)


def format_mem(mib):
    return f"{mib // 1024}G" if mib % 1024 == 0 else f"{mib}M"


@dataclass
class Boot:
    uboot: bool = True
    mem: str = "1G"
    smp: int = 1
    highmem: bool = False
    virt: bool = False
    icount: bool = False
    args: str = ""
    gdb: int = None
    image: Path = None      # default: build/cairn.img (or $CAIRN_IMAGE)
    initrd: Path = None     # default: build/archive.cpio (or $CAIRN_ARCHIVE)
    use_initrd: bool = True
    disk: Path = None       # raw disk image for a virtio-blk device (None: no disk)
    disk_private: bool = False  # snapshot=on: writes stay in this QEMU process
    dtb: Path = None        # the device tree the kernel is handed (None: QEMU's own);
                            # through U-Boot, bootz is given it (see handed_dtb_args)
    devices: tuple = ()     # more QEMU -device options, e.g. "virtio-rng-pci" (PCI
                            # devices sit behind the host bridge: the tree is the same)
    monitor: Path = None    # QEMU's human monitor on this Unix socket (None: none)

    @property
    def mem_mib(self):
        return parse_mem(self.mem)

    def machine(self, extra=()):
        opts = ["virt"]
        if self.highmem or self.mem_mib > NO_HIGHMEM_RAM_LIMIT_MIB:
            opts.append("highmem=on")
        if self.virt:
            opts.append("virtualization=on")
        if self.mem_mib > BIG_RAM_MIB:
            opts.append("memory-backend=ram0")
        opts.extend(extra)
        return ",".join(opts)

    def hw_args(self, machine_extra=()):
        """Options that shape the device tree: same for the dump and the boot."""
        ram = []
        if self.mem_mib > BIG_RAM_MIB:
            ram = ["-object", f"memory-backend-ram,id=ram0,size={self.mem_mib}M,reserve=off"]
        return ["-M", self.machine(machine_extra), "-cpu", "cortex-a15",
                "-m", format_mem(self.mem_mib), "-smp", str(self.smp)] + ram

    def kernel_args(self):
        """The kernel command line QEMU is given: self.args, plus, through
        U-Boot with more RAM than the 32-bit U-Boot passes on (it rewrites
        /memory to 2 GiB), `mem=SIZE@0x40000000` describing all of it,
        unless the line already has a mem= of its own."""
        words = self.args.split()
        if self.uboot and self.mem_mib > UBOOT_RAM_LIMIT_MIB and \
                not any(w.startswith("mem=") for w in words):
            words.append(f"mem={format_mem(self.mem_mib)}@{RAM_BASE:#x}")
        return " ".join(words)


def _qemu_identity():
    """Something that changes when the QEMU binary does (for the DTB cache key)."""
    q = qemu_binary()
    path = q if os.sep in q else next(
        (os.path.join(d, q) for d in os.environ.get("PATH", "").split(os.pathsep)
         if os.access(os.path.join(d, q), os.X_OK)), q)
    try:
        st = os.stat(path)
        return f"{path}:{st.st_size}:{st.st_mtime_ns}"
    except OSError:
        return path


def uboot_dtb(boot, cache_dir=RUN_DIR):
    """Path of the QEMU DTB for these options with U-Boot's boot delay removed.

    Made once per set of options (dumped by QEMU with the same -M/-cpu/-m/-smp
    and -bios, since the firmware changes the PCIe layout), then cached.
    """
    uboot = uboot_path()
    hw = boot.hw_args() + ["-bios", str(uboot)]
    key = hashlib.sha256("\0".join(hw + [_qemu_identity(), "bootdelay=-2", "v1"])
                         .encode()).hexdigest()[:10]
    label = boot.machine().replace(",", "-").replace("=on", "")
    name = f"uboot-{label}-m{format_mem(boot.mem_mib)}-smp{boot.smp}-{key}.dtb"
    path = Path(cache_dir) / name
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        cmd = [qemu_binary()] + boot.hw_args([f"dumpdtb={tmp}"]) + \
            ["-nographic", "-bios", str(uboot)]
        r = procs.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                      stderr=subprocess.STDOUT, timeout=60)
        if r.returncode != 0 or not tmp.exists():
            raise BootError("dumping the QEMU DTB failed: " + shlex.join(cmd) + "\n" +
                            r.stdout.decode("utf-8", "replace"))
        # -p creates the /config node; -2 (0xfffffffe) = boot at once, no key check.
        cmd = ["fdtput", "-p", "-t", "x", str(tmp), "/config", "bootdelay", "fffffffe"]
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise BootError("patching the DTB failed: " + shlex.join(cmd) + "\n" +
                            r.stdout.decode("utf-8", "replace"))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


# Where a device tree for bootz is put in RAM (a -device loader blob):
# above the kernel (0x4040_0000) and the archive (0x4400_0000), far below
# U-Boot's own copy near the top of RAM (at least 256 MiB).
HANDED_DTB_ADDR = 0x48000000


def uboot_bootcmd_dtb(boot, cache_dir=RUN_DIR):
    """U-Boot's control DTB (uboot_dtb) with /config/bootcmd replaced: load
    the kernel and archive from fw_cfg as the default `qfw` target does, then
    bootz them with the tree at HANDED_DTB_ADDR instead of U-Boot's own."""
    base = uboot_dtb(boot, cache_dir)
    initrd = "$ramdisk_addr_r:$filesize" if boot.use_initrd else "-"
    cmd = (f"qfw load $kernel_addr_r $ramdisk_addr_r; "
           f"bootz $kernel_addr_r {initrd} {HANDED_DTB_ADDR:#x}")
    key = hashlib.sha256((base.name + cmd).encode()).hexdigest()[:10]
    path = base.with_name(base.stem + f"-bootcmd-{key}.dtb")
    if path.exists():
        return path
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_bytes(base.read_bytes())
        r = subprocess.run(["fdtput", "-t", "s", str(tmp), "/config", "bootcmd", cmd],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise BootError("patching the DTB's bootcmd failed:\n" +
                            r.stdout.decode("utf-8", "replace"))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def handed_dtb_args(boot, dtb=True):
    """QEMU options that hand boot.dtb to the kernel: -dtb for the direct
    boot (QEMU still writes /memory and /chosen into it); through U-Boot the
    blob is loaded into RAM at HANDED_DTB_ADDR and U-Boot's bootcmd passes
    that address to bootz (U-Boot checks it and fixes up /memory and
    /chosen, like for its own)."""
    if not boot.uboot:
        return ["-dtb", str(boot.dtb)]
    ctl = str(uboot_bootcmd_dtb(boot)) if dtb else "<patched DTB>"
    return ["-dtb", ctl, "-device",
            f"loader,file={str(boot.dtb).replace(',', ',,')},addr={HANDED_DTB_ADDR:#x},"
            f"force-raw=on"]


def command(boot, dtb=True):
    """The qemu-system-arm argv for a Boot.

    dtb=False leaves out the boot-delay DTB (and does not create it), for
    printing a command without side effects; the real command needs it.
    """
    image = boot.image or image_path()
    if image is None:
        raise BootError("no kernel image (CAIRN_IMAGE is empty)")
    cmd = [qemu_binary()] + boot.hw_args() + ["-nographic"]
    if boot.uboot:
        cmd += ["-bios", str(uboot_path())]
    if boot.dtb is not None:
        cmd += handed_dtb_args(boot, dtb)
    elif boot.uboot:
        cmd += ["-dtb", str(uboot_dtb(boot)) if dtb else "<patched DTB>"]
    cmd += ["-kernel", str(image)]
    if boot.use_initrd:
        initrd = boot.initrd or archive_path()
        if initrd is not None:
            cmd += ["-initrd", str(initrd)]
    args = boot.kernel_args()
    if args:
        cmd += ["-append", args]
    if boot.disk is not None:
        # The first virtio-mmio device takes the last transport
        # (0x0a003e00 on virt), the one dts/system.dts gives `blk`.
        private = ",snapshot=on" if boot.disk_private else ""
        cmd += ["-drive", f"file={str(boot.disk).replace(',', ',,')},if=none,format=raw,"
                          f"id=disk0{private}",
                "-device", "virtio-blk-device,drive=disk0"]
    for dev in boot.devices:
        cmd += ["-device", dev]
    if boot.monitor is not None:
        cmd += ["-monitor", f"unix:{str(boot.monitor).replace(',', ',,')},server,nowait"]
    cmd += SEMIHOSTING
    if boot.icount:
        cmd += ICOUNT
    if boot.gdb is not None:
        if boot.gdb == DEFAULT_GDB_PORT:
            cmd += ["-s", "-S"]
        else:
            cmd += ["-gdb", f"tcp::{boot.gdb}", "-S"]
    return cmd


DISK_SIZE = 1 << 20
BLANK_DISK = RUN_DIR / "blank-disk.img"


def make_disk(path, size=DISK_SIZE):
    """A zeroed raw disk image at path (kept if it already exists). Made
    under another name and linked into place, so that a run starting at the
    same moment never sees it half made."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with open(tmp, "wb") as f:
                f.truncate(size)
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path


def private_disk(boot):
    """Give boot a private zeroed disk: QEMU's snapshot mode over
    build/run/blank-disk.img, which nothing writes, so that any number of
    runs share it."""
    boot.disk = make_disk(BLANK_DISK)
    boot.disk_private = True


# QEMU locks bytes of the images it opens (file-posix.c: one byte per
# permission it holds from byte 100, one per permission it refuses to share
# from byte 200) with open file description locks. A run that names a
# persistent image also holds a lock of its own, on byte 0, from before
# QEMU starts until it ends.
QEMU_LOCK_BYTES = (100, 200)
RUN_LOCK_BYTE = 0


class _Flock(ctypes.Structure):
    _fields_ = [("l_type", ctypes.c_short), ("l_whence", ctypes.c_short),
                ("l_start", ctypes.c_int64), ("l_len", ctypes.c_int64),
                ("l_pid", ctypes.c_int)]


def _ofd_lock(fd, cmd, start, length):
    fl = _Flock(fcntl.F_WRLCK, os.SEEK_SET, start, length, 0)
    return _Flock.from_buffer_copy(fcntl.fcntl(fd, cmd, bytes(fl)))


class DiskBusy(Exception):
    def __init__(self, path, holders):
        super().__init__(path, holders)
        self.path = path
        self.holders = holders  # [(pid, name)]

    def who(self):
        if not self.holders:
            return "a process this user cannot see"
        return ", ".join(f"pid {pid} {name}" for pid, name in self.holders)


def claim_disk(path):
    """Take a persistent disk image for this run: returns a descriptor to
    keep open until the run ends (it holds the run's lock). Raises DiskBusy
    when another run, or any QEMU, has the image."""
    fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    try:
        try:
            _ofd_lock(fd, fcntl.F_OFD_SETLK, RUN_LOCK_BYTE, 1)
            free = _ofd_lock(fd, fcntl.F_OFD_GETLK, *QEMU_LOCK_BYTES).l_type == fcntl.F_UNLCK
        except OSError as e:
            if e.errno in (errno.EINVAL, errno.ENOLCK, errno.EOPNOTSUPP):
                return fd  # no locks on this file system: QEMU will not lock either
            if e.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            free = False
        if not free:
            raise DiskBusy(path, disk_holders(path))
    except BaseException:
        os.close(fd)
        raise
    return fd


def _proc_name(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return "?"
    for a in argv[:2]:
        if Path(a).parent.name == "tools":
            return "tools/" + Path(a).name
    return Path(argv[0]).name if argv else "?"


def disk_holders(path):
    """[(pid, name)] of the other processes that have path open: those
    holding locks on it, or else all of them (a scan of /proc/*/fd)."""
    st = os.stat(path)
    found = {}
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            fds = os.listdir(f"/proc/{d}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                s = os.stat(f"/proc/{d}/fd/{fd}")
                if (s.st_dev, s.st_ino) != (st.st_dev, st.st_ino):
                    continue
                with open(f"/proc/{d}/fdinfo/{fd}") as f:
                    locked = "\nlock:" in f.read()
            except OSError:
                continue
            found[int(d)] = found.get(int(d), False) or locked
    pids = sorted(p for p, locked in found.items() if locked) or sorted(found)
    return [(p, _proc_name(p)) for p in pids]


def qemu_errors(lines):
    """QEMU's own error messages among console lines (e.g. a missing image)."""
    return [l for l in lines if re.match(r"qemu-system-\w+: ", l)]


ANSI_ESCAPE = re.compile(rb"\x1b\[[0-9;]*[A-Za-z]|\x1b[()][A-Za-z0-9]")
MONITOR_PROMPT = b"(qemu) "


class Monitor:
    """QEMU's human monitor (HMP) on a Unix socket: one command at a time,
    its answer read up to the next prompt. QEMU echoes what it is sent
    with terminal escapes; those are dropped, and the echo of the command
    itself is left out of the answer."""

    def __init__(self, path, timeout=10.0):
        self.path = str(path)
        self.timeout = timeout
        self.sock = None

    def _connect(self):
        deadline = time.monotonic() + self.timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.path)
                break
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        s.settimeout(self.timeout)
        self.sock = s
        self._read_to_prompt()          # the banner

    def _read_to_prompt(self):
        data = b""
        while not data.endswith(MONITOR_PROMPT):
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            data += chunk
            data = ANSI_ESCAPE.sub(b"", data)
        return data[:-len(MONITOR_PROMPT)] if data.endswith(MONITOR_PROMPT) else data

    def command(self, text):
        """Run one monitor command; its answer as a list of lines."""
        if self.sock is None:
            self._connect()
        self.sock.sendall(text.encode() + b"\n")
        out = self._read_to_prompt().decode("utf-8", "replace").replace("\r", "")
        # The first line is QEMU's echo of the command (redrawn as it was
        # typed); the answer follows.
        return [l for l in out.split("\n")[1:] if l.strip()]

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


@dataclass
class RunResult:
    status: int            # QEMU's exit status (None if killed)
    lines: list            # console lines (no line ends, no CRs)
    timed_out: bool
    seconds: float
    killed_reason: str = ""
    steps_left: int = 0    # run_console's steps never taken


def run_console(cmd, timeout=None, log_path=None, kill_on=(), on_line=None, send=None,
                steps=(), monitor=None):
    """Run QEMU with stdin=/dev/null, capturing the console (stdout+stderr).

    send: (matcher, bytes): console input, written to QEMU's stdin once a
    console line matches (the guest's UART receives it; stdin then stays
    open until QEMU exits).
    steps: [(matcher, kind, text)], taken in order: each waits for a console
    line (after the previous step was taken) that matches, then either
    writes text to the console (kind "input") or runs it as a command of
    QEMU's monitor (kind "monitor": needs monitor, the socket's path, which
    the command line must open with -monitor). The monitor's answer is put
    among the console lines (and in the log) as "monitor: LINE", after a
    "monitor> COMMAND" line, so that checks can look at it.
    timeout: seconds, then QEMU is killed (timed_out=True).
    kill_on: [(matcher, grace_seconds)], matcher having .search(line) (a compiled
    regex, say); when one matches a console line, QEMU is killed grace seconds
    later unless it exits first (e.g. U-Boot resetting in a loop after a crash).
    log_path: console log, written as it arrives.
    on_line: called with each console line as it arrives.
    QEMU runs in a process group of its own and dies with this process; it
    is killed when anything (a signal, procs.stop_all()) interrupts the wait.
    """
    start = time.monotonic()
    log = open(log_path, "w", encoding="utf-8", errors="replace") if log_path else None
    proc = procs.spawn(cmd, stdin=subprocess.PIPE if send or steps else subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []
    tripped = []
    pending = [send] if send else []
    todo = list(steps)
    mon = Monitor(monitor) if monitor is not None else None

    def note(line):
        lines.append(line)
        if log:
            log.write(line + "\n")
            log.flush()

    def write_input(data):
        try:
            proc.stdin.write(data)
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def take_step(kind, text):
        if kind == "input":
            write_input(text.encode())
            return []
        try:
            answer = mon.command(text) if mon else ["no monitor socket for this run"]
        except OSError as e:
            answer = [f"the monitor did not answer: {e}"]
        return [f"monitor> {text}"] + [f"monitor: {l}" for l in answer]

    def steps_on(line):
        # A monitor's answer is a line like any other: a step may wait for it.
        more = [line]
        while more:
            l = more.pop(0)
            if todo and todo[0][0].search(l):
                _, kind, text = todo.pop(0)
                for m in take_step(kind, text):
                    note(m)
                    more.append(m)

    def reader():
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n").replace("\r", "")
            note(line)
            if on_line:
                on_line(line)
            if pending and pending[0][0].search(line):
                write_input(pending[0][1])
                pending.clear()
            steps_on(line)
            if not tripped:
                for matcher, grace in kill_on:
                    if matcher.search(line):
                        tripped.append((time.monotonic() + grace, line))
                        break

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    timed_out = False
    reason = ""
    try:
        while True:
            try:
                proc.wait(timeout=0.05)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if timeout is not None and now - start > timeout:
                timed_out = True
                reason = f"timed out after {timeout:g} s"
            elif tripped and now >= tripped[0][0]:
                reason = f"killed after console line: {tripped[0][1].strip()}"
            if reason:
                break
    finally:
        procs.kill(proc)
        t.join(timeout=5)
        if mon:
            mon.close()
        if log:
            if reason:
                log.write(f"### {reason}\n")
            log.close()
    if proc.returncode == -9 and not reason:
        reason = "killed (the run was stopped)"
    status = None if reason else proc.returncode
    return RunResult(status, lines, timed_out, time.monotonic() - start, reason,
                     steps_left=len(todo))
