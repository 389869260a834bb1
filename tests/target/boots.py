"""The target boots that `tools/test` runs (each boot is one test suite).

Each entry of BOOTS is a dict:
  name     suite name of the boot-level checks (and of build/test-logs/NAME.log)
  uboot    True: boot through U-Boot (-bios, bootz); False: QEMU direct -kernel
  mem      RAM, as for QEMU -m ("1G", "256M", "6G")
  smp      number of CPUs (default 1)
  highmem  -M virt,highmem=on (implied when mem > 3G; default False)
  virt     -M virt,virtualization=on: U-Boot enters the kernel in HYP mode
  args     kernel command line (/chosen/bootargs)
  timeout  seconds before the boot is killed and failed (default 60)
  status   expected QEMU exit status: 0 all passed, 1 a test failed, 2 panic
  expect   [(check_name, regex)]: each must match (re.search) some console line
  reject   [(check_name, regex)]: none may match any console line; when left
           out: [("no_panic", r"PANIC:")] unless status is 2
  ktap     True: the boot must print KTAP (at least one result); every KTAP
           leaf result it prints is counted anyway (default: True when args
           has ktest= other than ktest=panic)
  suites   names of in-kernel KTAP suites this boot runs, so that
           `tools/test SUITE` selects it (optional)

Every check is one test: `ok boot_uboot.banner`; the exit status is the test
`exit_status`; KTAP results are reported as `BOOT/suite.test`.
"""

BOOTS = [
    dict(
        name="boot_uboot",
        uboot=True, mem="1G", smp=1,
        args="ktest=all",
        timeout=60,
        status=0,
        expect=[
            ("uboot", r"U-Boot 20"),
            ("banner", r"Cairn [0-9]"),
            ("ram", r"ram: 1024 MiB in 1 bank"),
            ("mem", r"mem: ram 1024 MiB in 1 bank, frame table [0-9]+ KiB backed \(8 B/page\), heap 16384 KiB, [0-9]+ device ranges"),
            ("devices", r"devices: [0-9]+ "),
            ("archive", r"archive: [0-9]+ files"),
        ],
        ktap=True,
    ),
    dict(
        name="boot_uboot_hyp",
        uboot=True, virt=True, mem="512M", smp=1,
        args="ktest=all",
        timeout=60,
        status=0,
        expect=[
            ("uboot", r"U-Boot 20"),
            ("banner", r"Cairn [0-9]"),
            ("hyp", r"entered in HYP mode"),
            ("ram", r"ram: 512 MiB in 1 bank"),
            ("mem", r"mem: ram 512 MiB in 1 bank, frame table [0-9]+ KiB backed \(8 B/page\), heap 8192 KiB, [0-9]+ device ranges"),
        ],
        ktap=True,
    ),
    dict(
        name="boot_uboot_128m",
        uboot=True, mem="128M", smp=1,
        args="ktest=all",
        timeout=60,
        status=0,
        expect=[
            ("uboot", r"U-Boot 20"),
            ("banner", r"Cairn [0-9]"),
            ("ram", r"ram: 128 MiB in 1 bank"),
            ("mem", r"mem: ram 128 MiB in 1 bank, frame table [0-9]+ KiB backed \(8 B/page\), heap 2048 KiB, [0-9]+ device ranges"),
        ],
        ktap=True,
    ),
    dict(
        name="boot_direct_6g",
        uboot=False, mem="6G", highmem=True, smp=1,
        args="ktest=all",
        timeout=90,
        status=0,
        expect=[
            ("banner", r"Cairn [0-9]"),
            ("ram", r"ram: 6144 MiB in 1 bank"),
            ("high_memory_zeroed", r"^ +ok [0-9]+ test_high_memory_zero_reuse$"),
            ("mem", r"mem: ram 6144 MiB in 1 bank, frame table [0-9]+ KiB backed \(8 B/page\), heap 65536 KiB, [0-9]+ device ranges"),
        ],
        ktap=True,
    ),
    dict(
        name="boot_direct_smp4",
        uboot=False, mem="1G", smp=4,
        args="ktest=all",
        timeout=90,
        status=0,
        expect=[
            ("banner", r"Cairn [0-9]"),
            ("cpus", r"cpus: 4\b"),
        ],
        ktap=True,
    ),
    dict(
        name="panic",
        uboot=False, mem="256M", smp=1,
        args="ktest=panic",
        timeout=60,
        status=2,
        expect=[
            ("panic", r"PANIC:"),
            ("registers", r"\br0 *[=:]"),
            ("backtrace", r"backtrace:"),
            ("symbolized_frame", r"<[a-z_0-9]+\+0x[0-9a-f]+>"),
        ],
        reject=[],
        ktap=False,
    ),
    dict(
        name="boot_uboot_2g",
        uboot=True, mem="2G", smp=1,
        args="ktest=boot,mmu",
        timeout=60,
        status=0,
        expect=[
            ("banner", r"Cairn [0-9]"),
            ("ram", r"ram: 2048 MiB in 1 bank"),
            ("mem", r"mem: ram 2048 MiB in 1 bank, frame table [0-9]+ KiB backed \(8 B/page\), heap 32768 KiB, [0-9]+ device ranges"),
        ],
        ktap=True,
    ),
    dict(
        # An unexpected kernel data abort: full decoded report, then exit 2.
        name="fault_report",
        uboot=False, mem="256M", smp=1,
        args="ktest=fault",
        timeout=60,
        status=2,
        expect=[
            ("panic", r"PANIC: unexpected data abort in kernel \(SVC mode\)"),
            ("decoded", r"data abort: translation fault, level 1, read \(status 0x05\) at 0x00000010"),
            ("dfar", r"DFSR 0x[0-9a-f]{8}  DFAR 0x00000010"),
            ("pc_symbolized", r"pc +0xf[0-9a-f]{7} <kernel_main\+0x[0-9a-f]+>"),
            ("registers", r"\br0 = 0x[0-9a-f]{8}"),
            ("backtrace", r"backtrace:"),
        ],
        reject=[],
        ktap=False,
    ),
]
