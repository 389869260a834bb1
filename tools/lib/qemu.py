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

U-Boot's 2 s boot delay is removed by booting with a DTB dumped from QEMU itself
(same machine options) plus `/config/bootdelay = -2`; the patched DTBs are cached
in build/run/, keyed by the options.
"""

import hashlib
import os
import re
import shlex
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from common import RUN_DIR, archive_path, image_path, qemu_binary, uboot_path

SEMIHOSTING = ["-semihosting-config", "enable=on,target=native"]
ICOUNT = ["-icount", "shift=0,sleep=off"]
DEFAULT_GDB_PORT = 1234
UBOOT_RAM_LIMIT_MIB = 2048
NO_HIGHMEM_RAM_LIMIT_MIB = 3072


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

    @property
    def mem_mib(self):
        return parse_mem(self.mem)

    def machine(self, extra=()):
        opts = ["virt"]
        if self.highmem or self.mem_mib > NO_HIGHMEM_RAM_LIMIT_MIB:
            opts.append("highmem=on")
        if self.virt:
            opts.append("virtualization=on")
        opts.extend(extra)
        return ",".join(opts)

    def hw_args(self, machine_extra=()):
        """Options that shape the device tree: same for the dump and the boot."""
        return ["-M", self.machine(machine_extra), "-cpu", "cortex-a15",
                "-m", format_mem(self.mem_mib), "-smp", str(self.smp)]


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
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
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
        cmd += ["-dtb", str(uboot_dtb(boot)) if dtb else "<patched DTB>"]
    cmd += ["-kernel", str(image)]
    if boot.use_initrd:
        initrd = boot.initrd or archive_path()
        if initrd is not None:
            cmd += ["-initrd", str(initrd)]
    if boot.args:
        cmd += ["-append", boot.args]
    if boot.disk is not None:
        # The first virtio-mmio device takes the last transport
        # (0x0a003e00 on virt), the one dts/system.dts gives `blk`.
        cmd += ["-drive", f"file={boot.disk},if=none,format=raw,id=disk0",
                "-device", "virtio-blk-device,drive=disk0"]
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


def make_disk(path, size=DISK_SIZE):
    """A zeroed raw disk image at path (kept if it already exists)."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            f.truncate(size)
    return path


def qemu_errors(lines):
    """QEMU's own error messages among console lines (e.g. a missing image)."""
    return [l for l in lines if re.match(r"qemu-system-\w+: ", l)]


@dataclass
class RunResult:
    status: int            # QEMU's exit status (None if killed)
    lines: list            # console lines (no line ends, no CRs)
    timed_out: bool
    seconds: float
    killed_reason: str = ""


def run_console(cmd, timeout=None, log_path=None, kill_on=(), on_line=None, send=None):
    """Run QEMU with stdin=/dev/null, capturing the console (stdout+stderr).

    send: (matcher, bytes): console input, written to QEMU's stdin once a
    console line matches (the guest's UART receives it; stdin then stays
    open until QEMU exits).
    timeout: seconds, then QEMU is killed (timed_out=True).
    kill_on: [(matcher, grace_seconds)], matcher having .search(line) (a compiled
    regex, say); when one matches a console line, QEMU is killed grace seconds
    later unless it exits first (e.g. U-Boot resetting in a loop after a crash).
    log_path: console log, written as it arrives.
    on_line: called with each console line as it arrives.
    """
    start = time.monotonic()
    log = open(log_path, "w", encoding="utf-8", errors="replace") if log_path else None
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if send else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []
    tripped = []
    pending = [send] if send else []

    def reader():
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n").replace("\r", "")
            lines.append(line)
            if log:
                log.write(line + "\n")
                log.flush()
            if on_line:
                on_line(line)
            if pending and pending[0][0].search(line):
                try:
                    proc.stdin.write(pending[0][1])
                    proc.stdin.flush()
                except (BrokenPipeError, OSError):
                    pass
                pending.clear()
            if not tripped:
                for matcher, grace in kill_on:
                    if matcher.search(line):
                        tripped.append((time.monotonic() + grace, line))
                        break

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    timed_out = False
    reason = ""
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
            proc.kill()
            proc.wait()
            break
    t.join(timeout=5)
    if log:
        if reason:
            log.write(f"### {reason}\n")
        log.close()
    status = None if reason else proc.returncode
    return RunResult(status, lines, timed_out, time.monotonic() - start, reason)
