"""Shared helpers for Cairn's developer tools: paths, setup and build.

Debugging knobs (environment variables), honoured by every tool:
  CAIRN_NO_BUILD=1     do not run ninja (use whatever is in build/ or the
                       files named below)
  CAIRN_NO_SETUP=1     do not run tools/setup
  CAIRN_IMAGE=PATH     kernel image to boot instead of build/cairn.img
  CAIRN_ARCHIVE=PATH   boot archive instead of build/archive.cpio
                       (empty: boot without -initrd)
  CAIRN_ELF=PATH       kernel ELF (symbols) instead of build/kernel.elf
  CAIRN_HOST_TESTS=DIR directory of host test programs instead of build/host
  CAIRN_QEMU=PATH      qemu-system-arm binary
  CAIRN_UBOOT=PATH     U-Boot binary instead of /usr/lib/u-boot/qemu_arm/u-boot.bin
  CAIRN_TEST_LOGS=DIR  where tools/test writes its logs instead of build/test-logs
"""

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import procs

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
RUN_DIR = BUILD / "run"
TEST_LOGS = Path(os.environ.get("CAIRN_TEST_LOGS") or BUILD / "test-logs")
FIXTURES_REL = "build/fixtures"


def env_path(name, default):
    v = os.environ.get(name)
    if v is None:
        return Path(default)
    if v == "":
        return None
    return Path(v).expanduser().resolve()


def image_path():
    return env_path("CAIRN_IMAGE", BUILD / "cairn.img")


def archive_path():
    return env_path("CAIRN_ARCHIVE", BUILD / "archive.cpio")


def elf_path():
    return env_path("CAIRN_ELF", BUILD / "kernel.elf")


def host_tests_dir():
    return env_path("CAIRN_HOST_TESTS", BUILD / "host")


def qemu_binary():
    return os.environ.get("CAIRN_QEMU") or "qemu-system-arm"


def uboot_path():
    return Path(os.environ.get("CAIRN_UBOOT") or "/usr/lib/u-boot/qemu_arm/u-boot.bin")


def prog():
    return "tools/" + Path(sys.argv[0]).name


def die(msg, status=2):
    print(f"{prog()}: {msg}", file=sys.stderr)
    sys.exit(status)


def warn(msg):
    print(f"{prog()}: warning: {msg}", file=sys.stderr)


def setup():
    """Run tools/setup (a fast no-op when everything is installed)."""
    if os.environ.get("CAIRN_NO_SETUP") == "1":
        return
    r = subprocess.run([str(ROOT / "tools" / "setup")], stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        die(f"tools/setup failed (status {r.returncode})", r.returncode or 1)
    # Tools started from this one need not check again.
    os.environ["CAIRN_NO_SETUP"] = "1"


def build(quiet_ok=True):
    """Run `ninja -C ROOT`, quietly unless it fails.

    Returns (ok, output). On failure the output has already been printed to
    stderr. Skipped (ok) when CAIRN_NO_BUILD=1.
    """
    if os.environ.get("CAIRN_NO_BUILD") == "1":
        return True, ""
    # One ninja at a time in this tree: tools started side by side take
    # turns (the second finds the build done). ninja runs in a process
    # group of its own and dies with this tool (procs.run).
    BUILD.mkdir(parents=True, exist_ok=True)
    with open(BUILD / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            r = procs.run(["ninja", "-C", str(ROOT)], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        except FileNotFoundError:
            msg = "ninja not found (run tools/setup)"
            print(f"{prog()}: {msg}", file=sys.stderr)
            return False, msg
    out = r.stdout.decode("utf-8", "replace")
    if r.returncode != 0:
        sys.stderr.write(out)
        print(f"{prog()}: build failed (ninja -C {ROOT} exited with status {r.returncode})",
              file=sys.stderr)
        return False, out
    if not quiet_ok:
        sys.stderr.write(out)
    return True, out


def build_or_exit():
    ok, _ = build()
    if not ok:
        sys.exit(1)


def rel(path):
    """Path relative to the repo root when inside it (for messages)."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)
