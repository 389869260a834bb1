"""Hostile device trees for the target boots, made at test time.

Each variant starts from QEMU's own tree for the boot's machine options
(dumped with `-M virt,dumpdtb=`, with -bios for a U-Boot boot since the
firmware changes the PCIe layout), cached in build/run/hostile/, and
changes it with the FDT writer of tools/lib/fdt.py. The result is what the
kernel is handed: directly by QEMU (-dtb; QEMU still replaces every
/memory* node and writes /chosen) or by U-Boot's bootz (U-Boot rewrites the
first memory node and /chosen). So RAM banks that must reach the kernel are
named bank@..., and what a loader rewrites cannot be tested through it (no
/memory at all, a wrong initrd with -initrd given, #address-cells = 0 at
the root: QEMU refuses that itself).

VARIANTS maps a name to (function(root, boot), doc); dtb(name) gives the
callable that tests/target/boots.py puts in a boot's `dtb` field.
"""

import hashlib
import subprocess
from pathlib import Path

import fdt
import procs
from common import RUN_DIR, qemu_binary, uboot_path

HOSTILE_DIR = RUN_DIR / "hostile"
# Where QEMU and U-Boot load the kernel image (docs/boot.md).
KERNEL_DIRECT = 0x40010000
KERNEL_UBOOT = 0x40400000


def base_dtb(boot):
    """QEMU's own tree for these machine options (cached)."""
    hw = boot.hw_args()
    if boot.uboot:
        hw += ["-bios", str(uboot_path())]
    key = hashlib.sha256("\0".join(hw).encode()).hexdigest()[:10]
    path = HOSTILE_DIR / f"base-{key}.dtb"
    if path.exists():
        return path
    HOSTILE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{id(boot)}.tmp")
    cmd = [qemu_binary()] + boot.hw_args([f"dumpdtb={tmp}"]) + ["-nographic"]
    if boot.uboot:
        cmd += ["-bios", str(uboot_path())]
    r = procs.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                  stderr=subprocess.STDOUT, timeout=60)
    if r.returncode != 0 or not tmp.exists():
        raise RuntimeError("dumping the QEMU DTB failed: " + r.stdout.decode("utf-8", "replace"))
    tmp.replace(path)
    return path


def kernel_at(boot):
    return KERNEL_UBOOT if boot.uboot else KERNEL_DIRECT


def _reg2(base, size):
    """A reg entry for the root's 2+2 cells."""
    return (base >> 32, base & 0xFFFFFFFF, size >> 32, size & 0xFFFFFFFF)


# ---- the variants: each changes the root Node of QEMU's tree in place

def device_in_ram(root, boot):
    # A device whose registers are RAM the kernel would hand out.
    root.add("evil@4f000000", {"compatible": "cairn,evil", "reg": _reg2(0x4F000000, 0x10000)})


def device_reg_wraps(root, boot):
    root.add("wrap@fffffffffffff000", {"compatible": "cairn,wrap",
                                        "reg": _reg2(0xFFFFFFFFFFFFF000, 0x2000)})


def devices_overlap(root, boot):
    # Two devices on the same registers, one of them the board's UART.
    root.add("twin@9000000", {"compatible": "cairn,twin", "reg": _reg2(0x09000000, 0x1000)})


def many_devices(root, boot):
    for i in range(300):
        a = 0x20000000 + i * 0x1000
        root.add(f"dev@{a:x}", {"compatible": "cairn,dev", "reg": _reg2(a, 0x1000)})


def many_regs(root, boot):
    root.add("regs@21000000", {"compatible": "cairn,regs",
                               "reg": sum((_reg2(0x21000000 + i * 0x1000, 0x1000)
                                           for i in range(6)), ())})


def many_cpus(root, boot):
    cpus = root.find("/cpus")
    for i in range(1, 20):
        cpus.add(f"cpu@{i}", {"device_type": "cpu", "compatible": "arm,cortex-a15", "reg": i})


def absent_cpus(root, boot):
    # /cpus names more CPUs than the machine has: two in cluster 0 that do
    # not exist (PSCI CPU_ON refuses them) and one in cluster 1, which the
    # kernel cannot index and does not try.
    cpus = root.find("/cpus")
    n = len([c for c in cpus.children if c.name.startswith("cpu@")])
    for i in range(n, n + 2):
        cpus.add(f"cpu@{i}", {"device_type": "cpu", "compatible": "arm,cortex-a15", "reg": i})
    cpus.add("cpu@100", {"device_type": "cpu", "compatible": "arm,cortex-a15", "reg": 0x100})


def bank_beyond_40_bits(root, boot):
    # 2 MiB of "RAM" beyond the 40-bit physical address space: left out.
    # (A bank straddling 1 TiB is cut there the same way, but QEMU has no
    # RAM up there to make one true, and a false bank is used like RAM.)
    a = 1 << 40
    root.add(f"bank@{a:x}", {"device_type": "memory", "reg": _reg2(a, 0x200000)})


def many_banks(root, boot):
    # 20 more banks, 1 MiB each, in the PCIe MMIO window's lower half:
    # never RAM, so the 15 the kernel keeps are left alone by the boot
    # (nothing there is touched unless handed out).
    for i in range(20):
        a = 0x100000000 + i * 0x200000
        root.add(f"bank@{a:x}", {"device_type": "memory", "reg": _reg2(a, 0x100000)})


def zero_bank(root, boot):
    root.add("bank@50000000", {"device_type": "memory", "reg": _reg2(0x50000000, 0)})


def bank_wraps(root, boot):
    root.add("bank@fffffffffff00000", {"device_type": "memory",
                                       "reg": _reg2(0xFFFFFFFFFFF00000, 0x200000)})


def bank_overlaps_ram(root, boot):
    root.add("bank@48000000", {"device_type": "memory", "reg": _reg2(0x48000000, 0x100000)})


def many_reserved(root, boot):
    # 100 /memreserve/ entries 64 KiB apart at the top of RAM, plus
    # /reserved-memory children: merged, never dropped.
    for i in range(100):
        root.memreserve.append((0x4E000000 + i * 0x10000, 0x1000))


def reserved_outside_ram(root, boot):
    root.memreserve.append((0x200000000, 0x100000))
    rm = root.find("/reserved-memory", create=True)
    rm.set_cells("#address-cells", 2).set_cells("#size-cells", 2).set_raw("ranges")
    rm.add("far@300000000", {"reg": _reg2(0x300000000, 0x1000), "no-map": b""})


def reserved_over_kernel(root, boot):
    rm = root.find("/reserved-memory", create=True)
    rm.set_cells("#address-cells", 2).set_cells("#size-cells", 2).set_raw("ranges")
    k = kernel_at(boot)
    rm.add(f"kernel@{k:x}", {"reg": _reg2(k, 0x100000), "no-map": b""})


def reserved_wraps(root, boot):
    root.memreserve.append((0xFFFFFFFFFFFFF000, 0x2000))


def initrd_outside_ram(root, boot):
    ch = root.find("/chosen")
    ch.set_cells("linux,initrd-start", 0x80000000)
    ch.set_cells("linux,initrd-end", 0x80100000)


def initrd_over_kernel(root, boot):
    ch = root.find("/chosen")
    k = kernel_at(boot)
    ch.set_cells("linux,initrd-start", k)
    ch.set_cells("linux,initrd-end", k + 0x10000)


def initrd_backwards(root, boot):
    ch = root.find("/chosen")
    ch.set_cells("linux,initrd-start", 0x49000000)
    ch.set_cells("linux,initrd-end", 0x48000000)


def stdout_nowhere(root, boot):
    root.find("/chosen").set_str("stdout-path", "/nowhere@1234:115200n8")


def absurd_depth(root, boot):
    n = root
    for i in range(40):
        n = n.add(f"level{i}")


def many_nodes(root, boot):
    # About 150 KiB of tree: more than the kernel's 128 KiB copy.
    for i in range(4000):
        root.add(f"filler{i}", {"compatible": "cairn,filler", "status": "disabled"})


def past_the_index(root, boot):
    # 1100 nodes more (18 KiB): past the 1024 the device-tree index holds,
    # well inside the kernel's 128 KiB copy.
    for i in range(1100):
        root.add(f"f{i}")


def many_properties(root, boot):
    n = root.add("props")
    for i in range(3000):
        n.set_cells(f"p{i}", i)


def bogus_cells(root, boot):
    bus = root.add("bus@30000000", {"#address-cells": 7, "#size-cells": 1,
                                    "compatible": "simple-bus", "ranges": b""})
    bus.add("dev@0", {"reg": (0, 0, 0, 0, 0, 0, 0x30000000, 0x1000)})


def irq_loop(root, boot):
    a = root.add("ica", {"interrupt-controller": b"", "#interrupt-cells": 3,
                         "phandle": 0x7001, "interrupt-parent": 0x7002})
    b = root.add("icb", {"interrupt-controller": b"", "#interrupt-cells": 3,
                         "phandle": 0x7002, "interrupt-parent": 0x7001})
    del a, b
    root.add("looped@22000000", {"compatible": "cairn,looped", "reg": _reg2(0x22000000, 0x1000),
                                 "interrupt-parent": 0x7001, "interrupts": (0, 5, 4)})


VARIANTS = {f.__name__: f for f in [
    device_in_ram, device_reg_wraps, devices_overlap, many_devices, many_regs, many_cpus, absent_cpus,
    many_banks, bank_beyond_40_bits, zero_bank, bank_wraps, bank_overlaps_ram, many_reserved,
    reserved_outside_ram, reserved_over_kernel, reserved_wraps, initrd_outside_ram,
    initrd_over_kernel, initrd_backwards, stdout_nowhere, absurd_depth, many_nodes,
    past_the_index, many_properties, bogus_cells, irq_loop]}


def make(name, boot):
    """Write variant `name` for this boot's options; returns its path."""
    root = fdt.load(base_dtb(boot))
    VARIANTS[name](root, boot)
    blob = root.to_dtb()
    mode = "uboot" if boot.uboot else "direct"
    path = Path(HOSTILE_DIR) / f"{name}-{mode}-{hashlib.sha256(blob).hexdigest()[:8]}.dtb"
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{id(boot)}.tmp")
        tmp.write_bytes(blob)
        tmp.replace(path)
    return path


def dtb(name):
    """The `dtb` field of a boot: variant `name`, made when the boot runs."""
    if name not in VARIANTS:
        raise KeyError(f"no hostile device tree {name!r}")
    return lambda boot: make(name, boot)
