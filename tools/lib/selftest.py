#!/usr/bin/env python3
"""Self-test of the tools' helpers (KTAP parser, cpio writer, QEMU command lines).

Prints KTAP for one suite, `tools`, like a host test program, and exits 1 on
failure; tools/test runs it as the host suite `tools`. Standard library only,
no QEMU needed.
"""

import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cpio  # noqa: E402
import ktap  # noqa: E402
import qemu  # noqa: E402
import sysdesc  # noqa: E402

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def results(text, default=""):
    rep = ktap.parse(text.splitlines(), default)
    return [(r.full_name, r.status) for r in rep.results]


HTEST = """\
KTAP version 1
1..1
    KTAP version 1
    # Subtest: fdt
    1..3
    ok 1 header
    # tests/host/test_fdt.c:42: assertion failed: n == 3
    not ok 2 walk
    ok 3 props # SKIP no fixture
not ok 1 fdt
"""


@case
def ktap_htest_output():
    rep = ktap.parse(HTEST.splitlines(), "fdt")
    got = [(r.full_name, r.status) for r in rep.results]
    assert got == [("fdt.header", "ok"), ("fdt.walk", "fail"), ("fdt.props", "skip")], got
    assert rep.results[1].context == ["# tests/host/test_fdt.c:42: assertion failed: n == 3"]
    assert rep.results[2].directive == "SKIP no fixture"


@case
def ktap_console_with_log_lines():
    text = """\
[    0.000100] Cairn 1.0 booting
KTAP version 1
1..2
    KTAP version 1
    # Subtest: alloc
    1..1
[    0.000200] alloc: some log line
    ok 1 - one
ok 1 alloc
[    0.000300]     KTAP version 1
    # Subtest: sched
    1..1
    ok 1 yield
ok 2 sched
[    0.000400] done
"""
    assert results(text) == [("alloc.one", "ok"), ("sched.yield", "ok")], results(text)


@case
def ktap_cut_off_output_fails_once_per_level():
    text = "KTAP version 1\n1..2\n    KTAP version 1\n    # Subtest: a\n    1..3\n    ok 1 x\n"
    assert results(text) == [("a.x", "ok"), ("a.plan", "fail"), ("plan", "fail")], results(text)
    text = "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: a\n    1..2\n    ok 1 x\n"
    assert results(text) == [("a.x", "ok"), ("a.plan", "fail")], results(text)


@case
def ktap_suite_failure_without_failing_children():
    text = "KTAP version 1\n1..2\nnot ok 1 init_failed_suite\n" \
           "    KTAP version 1\n    # Subtest: b\n    1..1\n    ok 1 x\nnot ok 2 b\n"
    assert results(text) == [("init_failed_suite", "fail"), ("b.x", "ok"), ("b", "fail")], \
        results(text)


@case
def ktap_old_kunit_format_and_nesting():
    text = """\
TAP version 14
1..2
    # Subtest: outer
    1..1
        KTAP version 1
        # Subtest: inner
        1..1
        not ok 1 deep
    not ok 1 inner
not ok 1 outer
ok 2 whole_suite # SKIP no hardware
"""
    assert results(text) == [("outer.inner.deep", "fail"), ("whole_suite", "skip")], \
        results(text)


@case
def ktap_no_ktap_no_results():
    assert results("U-Boot 2023.01\nok so far\nnot a test\n") == []


@case
def cpio_newc_layout():
    blob = cpio.archive([("a", b"xyz"), ("system.dtb", b"\xd0\x0d\xfe\xed" * 3)])
    assert blob == cpio.archive([("a", b"xyz"), ("system.dtb", b"\xd0\x0d\xfe\xed" * 3)])
    entries = cpio.read(blob)
    assert [(n, d) for n, d, _ in entries] == [("a", b"xyz"),
                                               ("system.dtb", b"\xd0\x0d\xfe\xed" * 3)]
    for i, (_, _, f) in enumerate(entries, 1):
        ino, mode, uid, gid, nlink, mtime = f[:6]
        assert (ino, mode, uid, gid, nlink, mtime) == (i, 0o100644, 0, 0, 1, 0), f
    assert blob.endswith(b"TRAILER!!!\0\0\0\0") and len(blob) % 4 == 0
    assert blob[:6] == b"070701" and blob.index(b"070701", 6) % 4 == 0


@case
def qemu_mem_sizes():
    assert qemu.parse_mem("1G") == 1024 and qemu.parse_mem("128M") == 128
    assert qemu.parse_mem("6g") == 6144 and qemu.parse_mem("512") == 512
    for bad in ("", "1.5G", "lots", "0"):
        try:
            qemu.parse_mem(bad)
        except ValueError:
            continue
        raise AssertionError(f"parse_mem({bad!r}) accepted")


@case
def qemu_direct_command():
    b = qemu.Boot(uboot=False, mem="6G", smp=4, icount=True, args="ktest=all x",
                  image=Path("k.img"), initrd=Path("a.cpio"), gdb=4321)
    cmd = qemu.command(b)
    s = " ".join(cmd)
    assert "-M virt,highmem=on -cpu cortex-a15 -m 6G -smp 4 -nographic" in s, s
    assert "-bios" not in cmd and "-dtb" not in cmd
    assert cmd[cmd.index("-kernel") + 1] == "k.img" and cmd[cmd.index("-initrd") + 1] == "a.cpio"
    assert cmd[cmd.index("-append") + 1] == "ktest=all x"
    assert "-semihosting-config enable=on,target=native" in s
    assert "-icount shift=0,sleep=off" in s and "-gdb tcp::4321 -S" in s


@case
def qemu_uboot_command():
    b = qemu.Boot(uboot=True, mem="512M", virt=True, image=Path("k.img"), use_initrd=False,
                  gdb=qemu.DEFAULT_GDB_PORT)
    cmd = qemu.command(b, dtb=False)
    assert cmd[cmd.index("-M") + 1] == "virt,virtualization=on"
    assert "-bios" in cmd and "-dtb" in cmd and "-initrd" not in cmd and "-append" not in cmd
    assert cmd[-2:] == ["-s", "-S"]


HW_DTS = """/dts-v1/;
/ {
	#address-cells = <2>;
	#size-cells = <2>;
	memory@40000000 { device_type = "memory"; reg = <0 0x40000000 0 0x40000000>; };
	intc@8000000 { compatible = "arm,cortex-a15-gic"; reg = <0 0x8000000 0 0x10000>; };
	pl011@9000000 { compatible = "arm,pl011"; reg = <0 0x9000000 0 0x1000>; };
	pl031@9010000 { compatible = "arm,pl031"; reg = <0 0x9010000 0 0x1000>; };
	virtio_mmio@a003e00 { compatible = "virtio,mmio"; reg = <0 0xa003e00 0 0x200>; };
	pl061@9030000 { compatible = "arm,pl061"; reg = <0 0x9030000 0 0x1000>; };
};
"""

# The same with QEMU virt's PCI host bridge (what dts/system.dts's pci server holds).
HW_DTS_PCI = HW_DTS.rstrip().rstrip("};").rstrip() + """
	pcie@10000000 {
		compatible = "pci-host-ecam-generic"; device_type = "pci";
		#address-cells = <3>; #size-cells = <2>;
		reg = <0x40 0x10000000 0 0x10000000>;
		ranges = <0x1000000 0 0 0 0x3eff0000 0 0x10000
			  0x2000000 0 0x10000000 0 0x10000000 0 0x2eff0000
			  0x3000000 0x80 0 0x80 0 0x80 0>;
	};
};
"""


def _dtb(text, tmp):
    path = Path(tmp) / "x.dts"
    path.write_text(text)
    return sysdesc.compile(str(path))


@case
def sysdesc_accepts_system_dts():
    import tempfile
    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as tmp:
        hw = _dtb(HW_DTS_PCI, tmp)
        sysdesc.check(sysdesc.compile(str(root / "dts/system.dts")), hw,
                      {"uart", "rtc", "shell", "blk", "pci", "rng"})


@case
def sysdesc_rejects_each_mistake():
    import tempfile
    root = Path(__file__).resolve().parents[2]
    fixtures = sorted((root / "tests/fixtures/sysdesc").glob("*.dts"))
    assert len(fixtures) >= 10, fixtures
    with tempfile.TemporaryDirectory() as tmp:
        hw = _dtb(HW_DTS_PCI, tmp)
        for f in fixtures:
            blob = sysdesc.compile(str(f))
            expect = sysdesc.strings(sysdesc.fdt_nodes(blob)["/"]["expect"])[0]
            try:
                sysdesc.check(blob, hw, {"uart", "rtc", "shell", "blk", "pci", "rng"})
            except sysdesc.DescError as e:
                assert expect in str(e), (f.name, str(e), expect)
            else:
                raise AssertionError("%s accepted" % f.name)


@case
def sysdesc_counts_pci_windows():
    """A PCI host bridge's memory and I/O windows are device ranges (the
    kernel adds them); its configuration space is not."""
    import tempfile
    hw = HW_DTS.rstrip().rstrip("};").rstrip() + """
	pcie@10000000 {
		device_type = "pci";
		compatible = "pci-host-ecam-generic";
		#address-cells = <3>;
		#size-cells = <2>;
		reg = <0x40 0x10000000 0 0x10000000>;
		ranges = <0x1000000 0 0 0 0x3eff0000 0 0x10000>,
			 <0x2000000 0 0x10000000 0 0x10000000 0 0x2eff0000>,
			 <0x0000000 0 0 0 0x0b000000 0 0x10000>,
			 <0x3000000 0x80 0 0x80 0 0x80 0>;
	};
};
"""
    sysd = """/dts-v1/;
/ {
	compatible = "cairn,system-v1";
	servers {
		x { program = "uart"; priority = <10>; quota = <1 0 0 4096>; regions = <%s>; };
	};
};
"""
    with tempfile.TemporaryDirectory() as tmp:
        hwb = _dtb(hw, tmp)
        for region in ("0x80 0x40000000 0 0x40000000", "0 0x20000000 0 0x1000",
                       "0 0x3eff0000 0 0x10000"):
            sysdesc.check(_dtb(sysd % region, tmp), hwb, {"uart"})
        try:
            sysdesc.check(_dtb(sysd % "0 0x0b000000 0 0x1000", tmp), hwb, {"uart"})
        except sysdesc.DescError as e:
            assert "falls outside" in str(e), str(e)
        else:
            raise AssertionError("a region in configuration space accepted")


def main():
    print("KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: tools")
    print(f"    1..{len(CASES)}")
    failures = 0
    for i, fn in enumerate(CASES, 1):
        try:
            fn()
        except Exception:
            failures += 1
            for line in traceback.format_exc().rstrip().splitlines():
                print(f"    # {line}")
            print(f"    not ok {i} {fn.__name__}")
        else:
            print(f"    ok {i} {fn.__name__}")
    print(f"{'not ok' if failures else 'ok'} 1 tools")
    return 1 if failures else 0


if __name__ == "__main__":
    if any(a in ("-h", "--help") for a in sys.argv[1:]):
        print(__doc__.strip())
        sys.exit(0)
    sys.exit(main())
