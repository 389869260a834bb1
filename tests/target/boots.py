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
  status   expected QEMU exit status: 0 all passed, 1 a test failed, 2 panic;
           or "running": once every `expect` line has appeared, the machine
           must run on for 1.5 s (no exit, no reset), and is then stopped
  expect   [(check_name, regex)]: each must match (re.search) some console line
  reject   [(check_name, regex)]: none may match any console line; when left
           out: [("no_panic", r"PANIC:")] unless status is 2
  ktap     True: the boot must print KTAP (at least one result); every KTAP
           leaf result it prints is counted anyway (default: True when args
           has ktest= other than ktest=panic)
  suites   names of in-kernel KTAP suites this boot runs, so that
           `tools/test SUITE` selects it (optional)
  input    console input (text), sent once a console line matches
           input_after (default r"Cairn shell": the shell's banner)
  disk     True: a fresh zeroed 1 MiB disk image for the virtio block device
  reboots  how many machine restarts the boot may do (default 0)
  dtb      a callable (the qemu.Boot) -> path of the device tree the kernel is
           handed, made at test time (direct: -dtb; U-Boot: given to bootz)
  initrd   a callable (the qemu.Boot) -> path of the boot archive, or False
           for none (tools/lib/hostile_archive.py makes hostile ones)
  devices  more QEMU -device options (PCI devices behind the host bridge)
  steps    [(regex, kind, text)]: things done while the machine runs, in
           order. Each step waits for a console line matching regex that
           comes after the previous step was taken, then either types text
           on the console (kind "input") or runs it as a command of QEMU's
           human monitor (kind "monitor", e.g. "device_add
           virtio-rng-pci,bus=rp0,id=hp1"; the harness opens the monitor on
           a Unix socket of its own, -monitor unix:PATH,server,nowait). The
           monitor's answer joins the console lines as "monitor> COMMAND"
           then "monitor: LINE", for expect and reject to look at. A step
           still waiting when the machine stops fails the check `steps`.
           Let each step wait for the guest's answer to the one before (not
           for the echo of typed input), so that nothing races.
  same     [(check_name, regex, n)]: regex must match at least n console
           lines, all with the same groups (figures that must come back to
           the same value: a regex without groups only counts lines)

Every check is one test: `ok boot_uboot.banner`; the exit status is the test
`exit_status`; KTAP results are reported as `BOOT/suite.test`.
"""


def ram_checks(mib, heap_kib):
    """The banner's RAM line and the memory summary for a single bank."""
    return [
        ("ram", r"ram: %d MiB in 1 bank" % mib),
        ("mem", r"mem: ram %d MiB in 1 bank, frame table [0-9]+ KiB backed "
                r"\(8 B/page\), heap %d KiB, [0-9]+ device ranges" % (mib, heap_kib)),
    ]


def kernel_boot(name, mem, heap_kib, uboot=True, args="ktest=all", extra=(), **kw):
    """A boot that runs in-kernel suites and must exit 0 with all passed."""
    expect = [("banner", r"Cairn [0-9]")]
    if uboot:
        expect.insert(0, ("uboot", r"U-Boot 20"))
    expect += ram_checks(int(mem[:-1]) * (1024 if mem.endswith("G") else 1), heap_kib)
    expect += list(extra)
    return dict(name=name, uboot=uboot, mem=mem, smp=kw.pop("smp", 1), args=args,
                timeout=kw.pop("timeout", 60), status=0, expect=expect, ktap=True,
                disk=kw.pop("disk", True), **kw)


def smp_checks(n):
    """The cpus suite saw each of the n CPUs count its own ticks."""
    return [("ticks_cpu%d" % i, r"^ +# cpu %d: [0-9]+ ticks \([0-9]+ during the test\)$" % i)
            for i in range(n)] + [("every_cpu_ticks", r"^ +ok [0-9]+ test_every_cpu_ticks$")]


def failing_boot(name, args, expect):
    """A boot that must stop the kernel on purpose (exit status 2)."""
    return dict(name=name, uboot=False, mem="256M", smp=1, args=args, timeout=60,
                status=2, expect=expect, reject=[], ktap=False)


BOOTS = [
    kernel_boot("boot_uboot", "1G", 16384, extra=[
        ("devices", r"devices: [0-9]+ "),
        ("archive", r"archive: [0-9]+ files"),
        ("root_task", r"root: started, [0-9]+ device ranges"),
        ("uart_server_output", r"^uart server says: console check 4711$"),
        ("driver_fault_reported", r"root: server rtc: data abort at pc 0x[0-9a-f]{8}, "
                                  r"address 0x10000000"),
        ("console_after_fault", r"^console still served after the rtc fault$"),
        # The 64-bit PCIe window is there (also through U-Boot): the
        # 1 GiB block cases run, not skipped.
        ("gib_block", r"^ +ok [0-9]+ test_gib_block_mapped_as_one_block$"),
        ("gib_of_2m_blocks", r"^ +ok [0-9]+ test_gib_of_2m_blocks$"),
    ]),
    kernel_boot("boot_uboot_hyp", "512M", 8192, virt=True, extra=[
        ("hyp", r"entered in HYP mode"),
    ]),
    kernel_boot("boot_uboot_128m", "128M", 2048),
    kernel_boot("boot_uboot_2g", "2G", 32768, args="ktest=boot,mmu,mem"),
    kernel_boot("boot_direct_6g", "6G", 65536, uboot=False, highmem=True, timeout=90, extra=[
        ("high_memory_zeroed", r"^ +ok [0-9]+ test_high_memory_zero_reuse$"),
    ]),
    # Machines of every legal size. 16 GiB and 64 GiB (the most the frame
    # table indexes: 2^24 pages) are used whole and run every suite.
    kernel_boot("boot_direct_16g", "16G", 65536, uboot=False, timeout=120, extra=[
        ("high_memory_zeroed", r"^ +ok [0-9]+ test_high_memory_zero_reuse$"),
    ], reject=[("no_panic", r"PANIC:"), ("nothing_left_out", r"left out")]),
    kernel_boot("boot_direct_64g", "64G", 65536, uboot=False, timeout=180, extra=[
        ("high_memory_zeroed", r"^ +ok [0-9]+ test_high_memory_zero_reuse$"),
    ], reject=[("no_panic", r"PANIC:"), ("nothing_left_out", r"left out")]),
    # Beyond that (QEMU takes up to 255 GiB): the kernel says what it leaves
    # out and why, and runs on the 64 GiB it can describe.
    dict(name="boot_direct_255g", uboot=False, mem="255G", smp=1, args="ktest=boot,mem",
         timeout=120, status=0, ktap=True, disk=True, expect=[
             ("ram", r"ram: 261120 MiB in 1 bank"),
             ("left_out", r"warning: mem: 195584 MiB of RAM at and above 0x1040000000 left "
                          r"out: the frame table indexes at most 65536 MiB of RAM span"),
             ("mem", r"mem: ram 65536 MiB in 1 bank, frame table [0-9]+ KiB backed "
                     r"\(8 B/page\), heap 65536 KiB"),
         ]),
    # Through U-Boot, which passes on 2 GiB of /memory: the harness adds
    # mem=6G@0x40000000 (as tools/run --mem 6G does) and the kernel uses it.
    kernel_boot("boot_uboot_6g", "6G", 65536, timeout=90, extra=[
        ("mem_arg", r"ram: from the command line \(mem=\), replacing the device tree's "
                    r"2048 MiB in 1 bank"),
        ("cmdline", r'cmdline: ".*mem=6G@0x40000000"'),
        ("high_memory_zeroed", r"^ +ok [0-9]+ test_high_memory_zero_reuse$"),
    ]),
    # A mem= that contradicts the device tree is refused with the reason;
    # the kernel runs on /memory.
    kernel_boot("boot_uboot_bad_mem_arg", "1G", 16384, args="ktest=boot,mem mem=2G@0x08000000",
                extra=[("refused", r"warning: mem=2G@0x08000000: overlaps the registers of "
                                   r"/[a-z0-9@,._-]+ at 0x00[0-9a-f]+ \(E_BUSY\); using the "
                                   r"device tree's /memory")]),
    kernel_boot("boot_direct_smp4", "1G", 16384, uboot=False, smp=4, timeout=90, extra=[
        ("cpus", r"cpus: 4 online$"),
        ("gib_block", r"^ +ok [0-9]+ test_gib_block_mapped_as_one_block$"),
        # CPUs in parallel (no instruction counting): the pairs are served
        # during the revoke, so the case passes rather than skips.
        ("revoke_beside_ipc", r"^ +ok [0-9]+ test_revoke_100k_beside_ipc$"),
    ] + smp_checks(4)),
    # A disk write survives a restart of the machine: the first boot writes
    # a sector and resets (PSCI SYSTEM_RESET), the second finds it.
    dict(name="blk_persist", uboot=True, mem="1G", smp=1, args="ktest=blk_persist",
         timeout=60, status=0, ktap=True, disk=True, reboots=1,
         expect=[("written", r"# blk_persist: sector written; restarting the machine"),
                 ("found", r"# blk_persist: the sector written before the restart is there")]),
    # The system as a user sees it: U-Boot, the kernel, the root task
    # starting the servers of dts/system.dts, the shell on the uart server.
    # Console input is sent after the shell's banner; `poweroff` ends it
    # with status 0.
    dict(name="shell_session", uboot=True, mem="1G", smp=1, args="", timeout=60, status=0,
         ktap=False, disk=True,
         input="help\nps\ndevices\ndate\ncaps uart\nmem\nbogus\nblk read 0\nlog\n"
               "test faults\npoweroff\n",
         expect=[
             ("console_handoff", r"console: handed to user level"),
             ("shell_banner", r"^Cairn shell\. Type `help` for the commands\.$"),
             ("echo", r"^cairn> ps$"),
             ("help", r"^  caps NAME +the capabilities server NAME was given$"),
             ("ps_uart", r"^uart +200 +recv +[0-9]+/64 +[0-9]+/65536 +0$"),
             ("ps_shell", r"^shell +100 +(runnable|reply|send) "),
             ("devices_uart", r"^pl011@9000000 +0x0009000000 +4K +device +uart$"),
             ("devices_rtc", r"^pl031@9010000 +0x0009010000 +4K +device +rtc$"),
             ("devices_window", r"^pcie@10000000 +0x8000000000 +536870912K +window +pci$"),
             # (ECAM: 256 MiB above 4 GiB, or 16 MiB at 0x3f000000 as U-Boot's
             # tree has it)
             ("devices_ecam", r"^pcie@10000000 +0x(4010000000 +262144|003f000000 +16384)K "
                              r"+device +pci$"),
             ("pci_host_bridge", r"^00:00\.0 +1b36:0008 060000 "),
             ("date", r"^20[0-9]{2}-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9] UTC$"),
             ("caps_device", r"^8 +device +rw-- +0x0009000000 \+1 pages$"),
             ("caps_irq", r"^16 +irq +rw-- +line 33$"),
             ("mem", r"^direct +[0-9]+ +[0-9]+ +[0-9]+ pages$"),
             ("unknown", r"^bogus: unknown command"),
             ("blk_read", r"^1f0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  \.{16}$"),
             ("log", r"root: loaded [0-9]+ segments"),
             ("mem_caches", r"^  thread +[0-9]+ objects +[0-9]+ bytes$"),
             ("frame_table", r"^frame table: [0-9]+ KiB backed"),
             ("test_from_shell", r"^ok 1 faults$"),
             ("test_result", r"^test: 0 failures$"),
             ("poweroff", r"^powering off$"),
         ]),
    # PCI devices behind the host bridge: the pci server enumerates them,
    # 64-bit BARs in the window above 4 GiB, 32-bit and I/O BARs below,
    # and holds exactly the bridge's ranges and interrupt lines.
    dict(name="pci_devices", uboot=True, mem="1G", smp=1, args="", timeout=60, status=0,
         ktap=False, disk=True,
         devices=("virtio-rng-pci", "pci-testdev", "virtio-rng-pci,addr=0x5.0x0"),
         input="devices\ncaps pci\nrng\npoweroff\n",
         expect=[
             ("enumerated", r"^pci: [5-9] functions on 1 bus; windows io 0x003eff0000\+0M "
                            r"mem32 0x0010000000\+751M mem64 0x8000000000\+524288M$"),
             ("rng_64bit_bar", r"^pci:   BAR4 mem64 pref 16K at 0x80000[0-9a-f]{5}$"),
             ("rng_32bit_bar", r"^pci:   BAR1 mem32 4K at 0x00100[0-9a-f]{5}$"),
             ("testdev_io_bar", r"^pci:   BAR1 io    256B at 0x003eff[0-9a-f]{4}$"),
             ("slot5", r"^pci: 00:05\.0 +1af4:1005 00ff00 INTA"),
             ("listed_by_shell", r"^00:05\.0 +1af4:1005 00ff00 INTA pci$"),
             ("holder_rng", r"^00:02\.0 +1af4:1005 00ff00 INTA rng$"),
             ("caps_ecam", r"^8 +device +rw-- +0x(4010000000 \+65536|003f000000 \+4096) "
                           r"pages$"),
             ("caps_io", r"^9 +device +rwp- +0x003eff0000 \+16 pages$"),
             ("caps_mem32", r"^10 +device +rwp- +0x0010000000 \+192496 pages$"),
             ("caps_mem64", r"^11 +device +rwp- +0x8000000000 \+134217728 pages$"),
             ("caps_irqs", r"^23 +irq +rw-- +line 38 \(bridge\)$"),
             ("caps_nothing_else", r"^1 +endpoint +r--- +pci \(receive\)$"),
             # The rng driver over it: claimed through the bus server, its
             # BARs as capabilities in the replies, its interrupt forwarded.
             # (its own first line may land in the log ring once the console
             # is the uart server's: the shell's read is the check)
             ("rng_shell", r"^rng:( [0-9a-f]{2}){16}$"),
             ("poweroff", r"^powering off$"),
         ],
         reject=[("no_panic", r"PANIC:"), ("unassigned", r"unassigned"),
                 ("extra_cap", r"^1[2-9] +device ")]),
    # Behind a PCIe root port: the bridge gets bus numbers and windows,
    # the modern-only virtio-rng-pci behind it BARs inside them, its INTx
    # swizzled through the port, and the rng driver (any of its IDs) works.
    dict(name="pci_root_port", uboot=False, mem="1G", smp=1, args="", timeout=60, status=0,
         ktap=False, disk=True,
         devices=("pcie-root-port,id=rp0,chassis=1", "virtio-rng-pci,bus=rp0"),
         input="devices\nrng\npoweroff\n",
         expect=[
             ("two_buses", r"^pci: [0-9]+ functions on 2 buses;"),
             ("bridge", r"^00:02\.0 +1b36:000c 060400 INTA bridge$"),
             ("behind", r"^01:00\.0 +1af4:1044 00ff00 INTA rng$"),
             ("bar_mem32_in_bridge", r"^  BAR1 mem32 4K at 0x0010[89a-f][0-9a-f]{5}$"),
             ("bar_mem64_in_bridge", r"^  BAR4 mem64 pref 16K at 0x8004000000$"),
             ("rng_shell", r"^rng:( [0-9a-f]{2}){16}$"),
             ("poweroff", r"^powering off$"),
         ],
         reject=[("no_panic", r"PANIC:"), ("unassigned", r"unassigned")]),
    # Run-time add and remove of a PCIe device (the root port's native
    # hot-plug, its interrupt on the port's INTx): added with QEMU's
    # monitor into an empty pcie-root-port, the device gets BARs in the
    # port's windows and its driver, works (`rng`); removed (device_del:
    # the attention button, the bus server revokes the BAR capabilities,
    # then powers the slot off, which is when QEMU lets the card go), the
    # driver is told and lets go; the driver touching its old mapping
    # faults and is restarted; added, used and removed again; a card
    # whose BAR does not fit the port's window is refused; one no driver
    # knows is held by pci and removed; a bridge is refused (no bus
    # numbers are kept for one). The kernel heap and frame table
    # figures are the same before the first add and after the last remove.
    dict(name="pci_hotplug", uboot=False, mem="1G", smp=1, args="", timeout=90, status=0,
         ktap=False, disk=True,
         devices=("pcie-root-port,id=rp0,chassis=1,slot=1",),
         steps=[
             (r"Cairn shell", "input", "kmem\ndevices\n"),
             (r"^  slot 1 hot-plug: empty", "monitor",
              "device_add virtio-rng-pci,bus=rp0,id=hp1"),
             (r"rng: virtio-rng-pci at 01:00\.0: 16 bytes from the device", "input",
              "rng\ndevices\n"),
             # (the whole listing first: its slot row is read from the port,
             # and the hot-added device's rows, its last, come after it)
             (r"^  BAR4 mem64 pref 16K at 0x8004000000$", "monitor", "device_del hp1"),
             (r"pci: slot 1: empty, powered off$", "input", "rng\n"),
             (r"^rng: no random bytes", "input", "rng probe\n"),
             (r"root: server rng: data abort", "input", "ps\n"),
             (r"^rng +[0-9]+ ", "monitor", "device_add virtio-rng-pci,bus=rp0,id=hp2"),
             (r"rng: virtio-rng-pci at 01:00\.0: 16 bytes from the device", "input",
              "rng\n"),
             (r"^rng:( [0-9a-f]{2}){16}$", "monitor", "device_del hp2"),
             (r"pci: slot 1: empty, powered off$", "monitor",
              "device_add pci-testdev,bus=rp0,id=big,membar=134217728"),
             (r"pci: slot 1: empty, powered off$", "monitor",
              "device_add pci-testdev,bus=rp0,id=nodrv"),
             (r"pci: slot 1: 01:00\.0 1b36:0005 added", "monitor", "device_del nodrv"),
             (r"pci: slot 1: empty, powered off$", "monitor",
              "device_add pcie-pci-bridge,bus=rp0,id=br"),
             (r"pci: slot 1: empty, powered off$", "input", "devices\nkmem\n"),
             (r"^kmem: heap", "input", "poweroff\n"),
         ],
         expect=[
             ("empty_slot_listed", r"^  slot 1 hot-plug: empty, powered off; room for "
                                   r"mem32 8192K, mem64 pref 65536K, io 4096B$"),
             ("slot_found", r"pci: slot 1 at 00:0[0-9a-f]\.0: native hot-plug, bus 01, "
                            r"interrupt on INT[A-D]"),
             ("added", r"pci: slot 1: 01:00\.0 1af4:1044 added, its driver told$"),
             ("bar_mem32_in_window", r"pci:   BAR1 mem32 4K at 0x0010[89a-f][0-9a-f]{5}$"),
             ("bar_mem64_in_window", r"pci:   BAR4 mem64 pref 16K at 0x8004000000$"),
             ("listed_hot_added", r"^01:00\.0 +1af4:1044 00ff00 INTA rng \(hot-added\)$"),
             ("slot_listed_on", r"^  slot 1 hot-plug: bus 01, powered on$"),
             ("rng_shell", r"^rng:( [0-9a-f]{2}){16}$"),
             ("driver_told", r"rng: virtio-rng-pci at 01:00\.0 is gone: detached \(its BAR "
                            r"capabilities were revoked\)$"),
             ("no_bytes_when_gone", r"^rng: no random bytes \(-4\)$"),
             ("probe_after_remove", r"rng: probing the device's status register at "
                                    r"0x2[0-5][0-9a-f]{6} \(the device is gone\)$"),
             # A translation fault (LPAE status 0x205..0x207): no mapping
             # is left of the BAR, not a device that stopped answering.
             ("fault_reported", r"root: server rng: data abort at pc 0x[0-9a-f]{8}, "
                                r"address 0x2[0-5][0-9a-f]{6} \(status 0x20[5-7]\); "
                                r"restarting it$"),
             # (pci-testdev's membar is a 32-bit prefetchable BAR)
             ("refused_too_big", r"pci: slot 1: device refused: 01:00\.0 BAR2 mem32 pref "
                                 r"131072K does not fit the port's mem32 window \(8192K\); "
                                 r"slot powered off$"),
             ("no_driver_added", r"pci: slot 1: 01:00\.0 1b36:0005 added: no driver for "
                                 r"it, held by pci$"),
             ("no_driver_removed", r"pci: slot 1: 01:00\.0 1b36:0005 removed \(attention "
                                   r"button\): no driver held it$"),
             ("refused_bridge", r"pci: slot 1: device refused: 01:00\.0 is a bridge \(header "
                                r"type 1\): no bus numbers are kept for one; slot powered off$"),
             ("empty_again", r"^  slot 1 hot-plug: empty, powered off; room for mem32 8192K"),
             ("poweroff", r"^powering off$"),
         ],
         same=[
             ("kernel_memory_same", r"^kmem: heap ([0-9]+) bytes free, frame table ([0-9]+) "
                                    r"bytes backed$", 2),
             ("attached_twice", r"rng: virtio-rng-pci at 01:00\.0: 16 bytes from the "
                                r"device:", 2),
             ("revoked_twice", r"pci: slot 1: 01:00\.0 1af4:1044 removed \(attention "
                               r"button\): 2 BAR capabilities revoked from rng, its "
                               r"interrupt no longer forwarded$", 2),
             ("emptied_five_times", r"pci: slot 1: empty, powered off$", 5),
         ],
         reject=[("no_panic", r"PANIC:"), ("unassigned", r"unassigned"),
                 ("monitor_errors", r"^monitor: .*([Ee]rror|failed|[Uu]nknown)"),
                 ("no_other_fault", r"root: server (?!rng: data abort).*(abort|fault)"),
                 ("watch_refused", r"rng: the bus server cannot tell us")]),
    # A device present at start behind a hot-plug port is removed like a
    # hot-added one, and the slot takes a new card afterwards.
    dict(name="pci_hotplug_at_start", uboot=False, mem="1G", smp=1, args="", timeout=60,
         status=0, ktap=False, disk=True,
         devices=("pcie-root-port,id=rp0,chassis=1,slot=2", "virtio-rng-pci,bus=rp0,id=cold"),
         steps=[
             (r"Cairn shell", "input", "rng\n"),
             (r"^rng:( [0-9a-f]{2}){16}$", "monitor", "device_del cold"),
             (r"pci: slot 2: empty, powered off$", "input", "rng\ndevices\n"),
             (r"^  slot 2 hot-plug: empty", "monitor", "device_add virtio-rng-pci,bus=rp0,id=hot"),
             (r"rng: virtio-rng-pci at 01:00\.0: 16 bytes from the device", "input",
              "rng\npoweroff\n"),
         ],
         expect=[
             ("at_start", r"^pci: slot 2 at 00:02\.0: native hot-plug, bus 01, .*; a card is in "
                          r"it$"),
             ("removed", r"pci: slot 2: 01:00\.0 1af4:1044 removed \(attention button\): 2 "
                         r"BAR capabilities revoked from rng, its interrupt no longer "
                         r"forwarded$"),
             ("driver_told", r"rng: virtio-rng-pci at 01:00\.0 is gone: detached \(its BAR "
                             r"capabilities were revoked\)$"),
             ("no_bytes_when_gone", r"^rng: no random bytes \(-4\)$"),
             ("added_again", r"pci: slot 2: 01:00\.0 1af4:1044 added, its driver told$"),
             ("poweroff", r"^powering off$"),
         ],
         same=[("bytes_before_and_after", r"^rng:(?: [0-9a-f]{2}){16}$", 2)],
         reject=[("no_panic", r"PANIC:"), ("no_fault", r"root: server .*(abort|fault)")]),
    # The bus server's authority seen by clients (user suite `pci`): no
    # grant, no device; the granted driver gets exactly its BARs.
    dict(name="pci_devices_ktest", uboot=False, mem="256M", smp=1, args="ktest=pci",
         timeout=60, status=0, ktap=True, disk=True, devices=("virtio-rng-pci",),
         expect=[("rng_driver", r"^rng: virtio-rng-pci at 00:0[0-9]\.0: 16 bytes from the "
                                r"device:")]),
    failing_boot("panic", "ktest=panic", [
        ("panic", r"PANIC:"),
        ("registers", r"\br0 *[=:]"),
        ("backtrace", r"backtrace:"),
        ("symbolized_frame", r"<[a-z_0-9]+\+0x[0-9a-f]+>"),
    ]),
    # An unexpected kernel data abort: full decoded report, then exit 2.
    failing_boot("fault_report", "ktest=fault", [
        ("panic", r"PANIC: unexpected data abort in kernel \(SVC mode\)"),
        ("decoded", r"data abort: translation fault, level 1, read \(status 0x05\) "
                    r"at 0x00000010"),
        ("dfar", r"DFSR 0x[0-9a-f]{8}  DFAR 0x00000010"),
        ("pc_symbolized", r"pc +0xf[0-9a-f]{7} <kernel_main\+0x[0-9a-f]+>"),
        ("registers", r"\br0 = 0x[0-9a-f]{8}"),
        ("backtrace", r"backtrace:"),
    ]),
]


def hostile_dt_boots():
    """Hostile device trees (tools/lib/hostile.py), each handed to the
    kernel directly (-dtb) and by U-Boot's bootz: the kernel's exact
    answer and exit status. Status 0: it warned and ran to `poweroff`;
    2: it said what is wrong and stopped."""
    import hostile

    cases = [
        ("device_in_ram", 0, True, r"warning: mem: device range overlaps RAM"),
        ("device_reg_wraps", 0, True, r"warning: mem: device range wraps around the address space"),
        ("many_devices", 0, True, r"warning: dt: 212 devices beyond the first 128 ignored "
                                  r"\(no device ranges for them\)"),
        ("many_regs", 0, True, r"warning: dt: 2 reg entries beyond 4 per device ignored"),
        ("many_cpus", 0, True, r"warning: dt: 4 cpus beyond the first 16 ignored"),
        ("bank_beyond_40_bits", 0, True, r"warning: mem: 2048 KiB of RAM beyond the 40-bit "
                                         r"physical address space left out"),
        ("zero_bank", 0, True, r"warning: dt: 1 zero-sized memory bank entry skipped"),
        ("many_reserved", 0, True, r"warning: dt: more than 32 reserved ranges: 6[89] merged into "
                                   r"their nearest, [0-9]+ KiB between them reserved too"),
        ("irq_loop", 0, True, r"device /looped@22000000: interrupt parent 0x7001 unusable \(loop\)"),
        ("many_properties", 0, True, r"poweroff requested"),
        ("past_the_index", 0, True, r"warning: dt: not indexed, every lookup walks the tree: "
                                    r"more than 1024 nodes \(the index holds 1024\)"),
        ("stdout_nowhere", 0, True, r"warning: console: /chosen/stdout-path unusable \(E_NOENT\); "
                                    r"using the board UART"),
        ("initrd_outside_ram", 0, False, r"warning: archive: 0x80000000-0x80100000 is not in the "
                                         r"direct map; ignored"),
        ("initrd_over_kernel", 0, False, r"warning: archive: 0x40(01|40)0000-0x40(02|41)0000 overlaps "
                                         r"the kernel image; ignored"),
        ("initrd_backwards", 2, False, r"PANIC: boot: device tree: initrd end 0x48000000 below its "
                                       r"start 0x49000000 \(E_RANGE\)"),
        ("bank_wraps", 2, True, r"PANIC: boot: device tree: memory bank 0xfffffffffff00000\+0x200000 "
                                r"in /bank@fffffffffff00000 wraps around \(E_RANGE\)"),
        ("bank_overlaps_ram", 2, True, r"PANIC: boot: device tree: memory bank 0x48000000\+0x100000 in "
                                       r"/bank@48000000 overlaps 0x40000000\+0x10000000 \(E_RANGE\)"),
        ("reserved_wraps", 2, True, r"PANIC: boot: device tree: reserved range "
                                    r"0xfffffffffffff000\+0x2000 wraps around \(E_RANGE\)"),
        ("absurd_depth", 2, True, r"PANIC: boot: malformed device tree: nodes nested deeper than 32 "
                                  r"at structure offset 0x[0-9a-f]+ \(E_DEPTH\)"),
        ("many_nodes", 2, True, r"PANIC: boot: device tree copy failed: device tree needs 0x[0-9a-f]+ "
                                r"bytes, buffer has 0x20000 \(E_NOMEM\)"),
        ("bogus_cells", 2, True, r"PANIC: boot: device tree: absurd #address-cells in "
                                 r"/bus@30000000 \(more than 4\) \(E_RANGE\)"),
    ]
    boots = []
    for name, status, initrd, rx in cases:
        for uboot in (False, True):
            expect = [("answer", rx)]
            if status == 0:
                expect.append(("ran", r"poweroff requested on the command line"))
            boots.append(dict(
                name=f"hostile_dt_{name}_{'uboot' if uboot else 'direct'}", uboot=uboot,
                mem="256M", args="poweroff", timeout=20, status=status, ktap=False,
                expect=expect, dtb=hostile.dtb(name),
                **({} if initrd else {"initrd": lambda boot: False})))
    # Past the index the whole system runs, the kernel and the root task
    # walking the tree for every lookup.
    boots.append(dict(
        name="hostile_dt_past_the_index_system", uboot=False, mem="256M", args="", timeout=30,
        status=0, ktap=False, disk=True, dtb=hostile.dtb("past_the_index"),
        input="ps\npoweroff\n",
        expect=[
            ("kernel", r"warning: dt: not indexed, every lookup walks the tree: more than 1024 "
                       r"nodes \(the index holds 1024\)"),
            ("root", r"^root: hardware device tree not indexed, every lookup walks it: more "
                     r"than 1024 nodes \(the index holds 1024\)$"),
            ("shell", r"^Cairn shell\. Type `help` for the commands\.$"),
            ("ps_uart", r"^uart +200 +recv "),
            ("ps_blk", r"^blk +180 +recv "),
            ("poweroff", r"^powering off$"),
        ]))
    return boots


BOOTS += hostile_dt_boots()


def _boot(name):
    """The boot of BOOTS called name."""
    return next(b for b in BOOTS if b["name"] == name)


def smp_boots():
    """Secondary CPUs (kernel/boot/smp.c): 2 to 8 of them, directly and
    through U-Boot (SVC, and HYP with the smc conduit), each counted online
    and seen ticking by the smp suite; and a /cpus that lists CPUs the
    machine does not have, each reported while the others run."""
    import hostile

    boots = [
        kernel_boot("boot_direct_smp2", "1G", 16384, uboot=False, smp=2, args="ktest=cpus,smp,timer",
                    extra=[("cpus", r"cpus: 2 online$")] + smp_checks(2)),
        # Eight guest CPUs on a host of fewer cores: counted instructions
        # (QEMU runs the CPUs in turn), since with one host thread per CPU
        # every lock waits for CPUs the host is not running at the time.
        # About 150 s here: a CPU spinning in user mode keeps its turn until
        # QEMU's round-robin kick, and the smp suite stops such spinners
        # (IPIs the others wait for) many times.
        kernel_boot("boot_direct_smp8", "1G", 16384, uboot=False, smp=8, timeout=300,
                    icount=True, args="ktest=cpus,smp,timer,uipc",
                    extra=[("cpus", r"cpus: 8 online$")] + smp_checks(8)),
        # The main U-Boot boot, its checks and every suite of ktest=all
        # but dos (whose throughput bounds are timing checks; it runs at 4
        # CPUs in boot_direct_smp4), at 4 CPUs.
        kernel_boot("boot_uboot_smp4", "1G", 16384, smp=4, timeout=120,
                    args="ktest=timer,boot,cpus,ipc,mem,mmu,exceptions,uspace,runtime,"
                         "cap_revoke,fuzz_found,smp,blocks,faults,uipc,sysdesc,drivers",
                    extra=[e for e in _boot("boot_uboot")["expect"]
                           if e[0] not in ("uboot", "banner", "ram", "mem")]
                    + [("cpus", r"cpus: 4 online$")] + smp_checks(4)),
        kernel_boot("boot_uboot_hyp_smp2", "512M", 8192, smp=2, virt=True, args="ktest=cpus,smp",
                    extra=[("hyp", r"entered in HYP mode"), ("cpus", r"cpus: 2 online$")]
                    + smp_checks(2)),
    ]
    absent = [
        ("absent_2", r"warning: cpu 2: did not come up \(PSCI error -2, INVALID_PARAMETERS\)$"),
        ("absent_3", r"warning: cpu 3: did not come up \(PSCI error -2, INVALID_PARAMETERS\)$"),
        ("cluster_1", r"warning: cpu 4: did not come up \(MPIDR 0x100: this kernel runs at "
                      r"most 8 CPUs, affinity 0-7 of cluster 0\)$"),
        ("cpus", r"cpus: 2 online \(of 5 in the device tree\)$"),
    ]
    # A CPU that starts but never checks in (smp.hold=2 makes CPU 2 hold
    # before it): the bound, the report, the three others running.
    boots.append(kernel_boot("boot_direct_smp4_hold", "1G", 16384, uboot=False, smp=4,
                             args="ktest=cpus,smp smp.hold=2", extra=[
                                 ("no_checkin", r"warning: cpu 2: did not come up \(no check-in "
                                                r"within 1000 ms\)$"),
                                 ("cpus", r"cpus: 3 online \(of 4 in the device tree\)$"),
                             ] + [c for c in smp_checks(4) if c[0] != "ticks_cpu2"],
                             reject=[("no_panic", r"PANIC:"), ("held_ticks", r"# cpu 2:")]))
    for uboot in (False, True):
        mode = "uboot" if uboot else "direct"
        boots.append(kernel_boot(f"hostile_cpus_{mode}", "1G", 16384, uboot=uboot, smp=2,
                                 args="ktest=cpus,smp", dtb=hostile.dtb("absent_cpus"),
                                 extra=absent + smp_checks(2)))
    return boots


BOOTS += smp_boots()


def smp4_boots():
    """Boots of the list above again with 4 CPUs, the same checks plus
    "cpus: 4 online": the system (the shell session, the PCI drivers and
    hot-plug, a disk write across a machine reset) and the kernel's own
    panic and fault reports with the secondaries running. Not repeated:
    the boots whose subject is the RAM's size or layout (128M to 255G,
    mem=), the hostile device trees, archives and programs (parsed and
    refused before the secondaries start, or by the root task, which runs
    on the boot CPU), the boots that already have several-CPU versions
    (boot_direct_smp4, fuzz_smp4, boot_uboot_smp4 and those of
    smp_boots()), and the second fuzz seeds (several CPUs make an icount
    run several times longer: fuzz_smp4 has one seed)."""
    boots = []
    for name in ("shell_session", "blk_persist", "pci_devices", "pci_devices_ktest",
                 "pci_hotplug", "panic", "fault_report"):
        b = dict(_boot(name), name=name + "_smp4", smp=4)
        b["timeout"] = b["timeout"] + 60
        b["expect"] = list(b["expect"]) + [("cpus", r"cpus: 4 online$")]
        boots.append(b)
    return boots


BOOTS += smp4_boots()


def _re(text):
    """A regex matching `text` literally."""
    import re
    return re.escape(text)


def hostile_archive_boots():
    """Hostile boot archives (tools/lib/hostile_archive.py) through the
    real boot path: the kernel's or the root task's exact answer, and the
    system still running (the remaining servers and the shell answer, the
    kernel idles, or it runs to `poweroff`)."""
    import hostile_archive as ha

    boots = []
    # A server whose ELF lies: refused with the reason, its client refused
    # with it, the rest of the system up (ps through the shell), and the
    # root task's account with exactly the running servers' quotas carved
    # (452 pages: uart, rtc, 64 + 4 dma32 for blk, pci, rng, shell; 458752
    # heap bytes).
    for name, (_, why, err) in ha.SERVER_ELF.items():
        boots.append(dict(
            name=f"hostile_elf_server_{name}", uboot=name == "writable_executable",
            mem="256M", args="", timeout=30, status=0, ktap=False, disk=True,
            initrd=ha.initrd("server_elf", name),
            input="ps\ncaps bad\nmem\npoweroff\n",
            expect=[
                ("refused", r'^root: server bad refused: program "bad": %s \(%s\)$' % (why, err)),
                ("client_refused", r'^root: server badclient refused: it uses "bad" of '
                                   r'/servers/bad, which was refused$'),
                ("summary", r"^root: 6 of 8 servers started, 2 refused$"),
                ("shell", r"^Cairn shell\. Type `help` for the commands\.$"),
                ("ps_uart", r"^uart +200 +recv "),
                ("ps_rtc", r"^rtc +150 +recv "),
                ("ps_blk", r"^blk +180 +recv "),
                ("ps_shell", r"^shell +100 +(runnable|reply|send) "),
                ("ps_bad", r'^bad +90 refused +program "bad": '),
                ("ps_client", r'^badclient +90 refused +it uses "bad"'),
                ("caps_bad", r"^bad was refused: it has no capabilities$"),
                ("ps_pci", r"^pci +160 +recv "),
                ("ps_rng", r"^rng +140 +recv "),
                ("carved_pages", r"^direct +[0-9]+ +[0-9]+ +452 pages$"),
                ("carved_heap", r"^kheap +[0-9]+ +[0-9]+ +458752 bytes$"),
                # Objects alive: the root task's and the six servers'.
                ("threads", r"^  thread +7 objects "),
                ("accounts", r"^  account +7 objects "),
                ("cspaces", r"^  cspace +7 objects "),
                ("vspaces", r"^  vspace +7 objects "),
                ("poweroff", r"^powering off$"),
            ]))
    # The root task's own ELF lying: the kernel refuses it before it
    # allocates anything for it, says why, and idles.
    for name, (_, why, err) in ha.ROOT_ELF.items():
        boots.append(dict(
            name=f"hostile_elf_root_{name}", uboot=name == "writable_executable",
            mem="256M", args="", timeout=20, status="running", ktap=False,
            initrd=ha.initrd("root_elf", name),
            expect=[
                ("refused", r'error: root: cannot start the program "root" of the boot '
                            r'archive: %s \(%s\)$' % (why, err)),
                ("idles", r"boot complete; no root task, idling"),
            ]))
    # With ktest=: the kernel's suites pass but the user-level ones never
    # ran, which is a failure (exit 1), not a pass.
    boots.append(dict(
        name="hostile_elf_root_ktest", uboot=False, mem="256M", args="ktest=boot",
        timeout=30, status=1, ktap=True, initrd=ha.initrd("root_elf", "writable_executable"),
        expect=[("refused", r'root: cannot start the program "root" of the boot archive: '
                            r'segment both writable and executable \(E_PERM\)'),
                ("counted", r"error: ktest: the user-level suites did not run "
                            r"\(no root task\)")]))
    # System descriptions: rejected whole, with node and property named;
    # the root task says so and the machine runs on.
    sysdesc = {
        "bad-compatible": _re('/: compatible is not "cairn,system-v1"'),
        "bad-priority": _re("/servers/x: priority: 255 is above 254"),
        "bad-quota": _re("/servers/x: quota: needs <direct dma32 high heap-bytes>"),
        "huge-quota": r"/servers/x: quota: pages beyond what exists \([0-9]+ available\)",
        "kernel-device": _re('/servers/x: devices: "/intc@8000000" is the kernel\'s'),
        "missing-node": _re('/servers/x: devices: no hardware node "/nosuch@0"'),
        "no-priority": _re('/servers/x: missing property "priority"'),
        "no-program": _re('/servers/uart: missing property "program"'),
        "no-provider": _re('/servers/x: uses: no server provides "nosuch"'),
        "no-servers": _re("/servers: missing"),
        "region-bad-cells": _re("/servers/x: regions: needs <base-hi base-lo size-hi size-lo>"
                                "..., at most 8 ranges with the devices"),
        "region-outside": _re("/servers/x: regions: 0xb000000+0x1000 falls outside the "
                              "hardware's device ranges"),
        "region-overlap": _re("/servers/b: regions: 0x9030000+0x1000 overlaps a range given "
                              "to /servers/a"),
        "region-unaligned": _re("/servers/x: regions: 0x9030100+0x1000 is empty, wraps or is "
                                "not page aligned"),
        "shared-device": _re('/servers/b: devices: "/pl011@9000000" is also given to '
                             '/servers/a'),
        "unknown-program": _re('/servers/x: program: "nosuch" is not in the boot archive'),
        "long-name": _re("/servers/a_server_name_of_thirty_chars...: node name longer than "
                         "23 characters"),
        "service-twice": _re('/servers/b: provides: "console" is also provided by /servers/a'),
        "window-overlap": _re('/servers/b: devices: "/pcie@10000000": its window '
                              '0x10000000+0x2eff0000 overlaps a range given to /servers/a'),
        "pci-device-no-bus": _re('/servers/x: pci-device: needs <vendor device>... (16 '
                                 'bits each, at most 4) and uses "pci"'),
        "pci-bus-below-root": _re("/servers/x: pci-device: the pci server's priority 100 is "
                                  "not above the root task's 128"),
        "region-in-window": _re("/servers/b: regions: 0x8000000000+0x1000 overlaps a range "
                                "given to /servers/a"),
        "too_many_servers": _re("/servers: more than 16 servers"),
        "thousand_servers": _re("/servers: more than 16 servers"),
        "deep_nesting": r"system\.dtb: not a device tree \(nodes nested deeper than 32 at "
                        r"structure offset 0x[0-9a-f]+\)",
        "program_unterminated": _re("/servers/uart: program: not a NUL-terminated name"),
        "program_empty": _re("/servers/uart: program: not a NUL-terminated name"),
        "program_huge": _re('/servers/uart: program: "' + "A" * 40 +
                            '" is not in the boot archive'),
        "devices_unterminated": _re("/servers/uart: devices: not a list of paths"),
        "uses_unterminated": _re("/servers/shell: uses: not a list of names"),
        "devices_huge": _re("/servers/uart: devices: more than 8"),
        "quota_huge": _re("/servers/uart: quota: needs <direct dma32 high heap-bytes>"),
        "regions_huge": _re("/servers/uart: regions: needs <base-hi base-lo size-hi size-lo>"
                            "..., at most 8 ranges with the devices"),
        "priority_two_cells": _re("/servers/uart: priority: needs one cell"),
        "too_many_uses": _re("/servers/shell: uses: more than 8"),
        "too_many_provides": _re("/servers/uart: provides: more than 2"),
        "duplicate_name": _re("/servers/uart: a second server of that name"),
        "provides_root": _re('/servers/rtc: provides: "root" is the root task\'s service'),
        "program_twice_in_archive": _re('/servers/uart: program: "uart" is in the boot '
                                        'archive more than once'),
        "not_a_tree": r"system\.dtb: not a device tree \(.+\)",
        "truncated_tree": r"system\.dtb: not a device tree \(.+\)",
        "no_system_dtb": _re("no system.dtb in the boot archive"),
    }
    for name, rx in sysdesc.items():
        boots.append(dict(
            name=f"hostile_sysdesc_{name.replace('-', '_')}", uboot=name == "shared-device",
            mem="256M", args="", timeout=20, status="running", ktap=False,
            initrd=ha.initrd("sysdesc", name),
            expect=[("rejected", r"^root: system description rejected: %s$" % rx)]))
    # Damaged archives: the kernel refuses the archive with the offset and
    # reason, through both loaders, and runs on to `poweroff`.
    cpio_cases = {
        "bad_magic": r"offset 0: bad magic \(not 070701 newc\) \(E_FORMAT\)",
        "bad_magic_later": r"offset [1-9][0-9]*: bad magic \(not 070701 newc\) \(E_FORMAT\)",
        "garbage": r"offset 0: bad magic \(not 070701 newc\) \(E_FORMAT\)",
        "bad_hex_digit": r"offset 0: bad hex digit in c_filesize \(E_FORMAT\)",
        "truncated_header": r"offset [1-9][0-9]*: header runs past the end of the archive "
                            r"\(E_TRUNC\)",
        "truncated_in_data": r"offset [1-9][0-9]*: c_filesize runs past the end of the "
                             r"archive \(E_TRUNC\)",
        "name_past_end": r"offset [1-9][0-9]*: name runs past the end of the archive "
                         r"\(E_TRUNC\)",
        "namesize_zero": r"offset 0: c_namesize is 0 \(no room for the NUL\) \(E_FORMAT\)",
        "name_unterminated": r"offset 0: name is not NUL-terminated within c_namesize "
                             r"\(E_FORMAT\)",
        "filesize_wraps": r"offset 0: c_filesize runs past the end of the archive \(E_TRUNC\)",
        "filesize_past_end": r"offset 0: c_filesize runs past the end of the archive "
                             r"\(E_TRUNC\)",
        "no_trailer": r"offset [1-9][0-9]*: archive ends without a TRAILER!!! entry "
                      r"\(E_TRUNC\)",
        "bad_checksum": r"offset 0: data checksum \(070702 c_check\) mismatch \(E_FORMAT\)",
        "duplicate_root": r'offset [1-9][0-9]*: a second file named "root" \(E_EXIST\)',
        "duplicate_system_dtb": r'offset [1-9][0-9]*: a second file named "system\.dtb" '
                                r'\(E_EXIST\)',
    }
    for name, rx in cpio_cases.items():
        for uboot in (False, True):
            boots.append(dict(
                name=f"hostile_cpio_{name}_{'uboot' if uboot else 'direct'}", uboot=uboot,
                mem="256M", args="poweroff", timeout=20, status=0, ktap=False,
                initrd=ha.initrd("cpio", name),
                expect=[("answer", r"warning: archive: rejected at " + rx),
                        ("ran", r"poweroff requested on the command line")]))
    # An empty archive file: QEMU's direct loader then writes no initrd
    # properties; U-Boot's `qfw load` loads nothing but bootz is still
    # given $filesize (the kernel image's size) of zeroed RAM at
    # ramdisk_addr_r, which the kernel refuses like any other garbage.
    for uboot, rx in ((False, r"warning: archive: none \(no /chosen/linux,initrd-start\)"),
                      (True, r"warning: archive: rejected at offset 0: bad magic \(not "
                             r"070701 newc\) \(E_FORMAT\)")):
        boots.append(dict(
            name=f"hostile_cpio_empty_{'uboot' if uboot else 'direct'}", uboot=uboot,
            mem="256M", args="poweroff", timeout=20, status=0, ktap=False,
            initrd=ha.initrd("cpio", "empty"),
            expect=[("answer", rx), ("ran", r"poweroff requested on the command line")]))
    # An archive without the root task: said, and the kernel idles.
    for uboot in (False, True):
        mode = "uboot" if uboot else "direct"
        boots.append(dict(
            name=f"hostile_cpio_no_root_{mode}", uboot=uboot, mem="256M", args="",
            timeout=20, status="running", ktap=False, initrd=ha.initrd("cpio", "no_root"),
            expect=[("archive", r"archive: [0-9]+ files"),
                    ("no_root", r'warning: root: no program "root" in the boot archive'),
                    ("idles", r"boot complete; no root task, idling")]))
    return boots


BOOTS += hostile_archive_boots()


def fuzz_boots():
    """The system-call fuzzer (user/fuzz, docs/reliability.md "Syscall fuzzer"):
    seeds 1 to 4 of 1,000,000 calls each, two to a boot, beside the running
    servers, under -icount so that every run makes the same calls with the same
    outcomes. Each seed must end with the walkers clean, the fuzzer's account
    empty and the console answering; a failure names its seed and call index."""
    boots = []
    for name, first in (("fuzz", 1), ("fuzz_b", 3)):
        expect = []
        for s in (first, first + 1):
            expect += [
                (f"seed_{s}_calls", r"# fuzz: seed %d: 1000000 calls in [0-9]+ ticks "
                                    r"\([0-9]+ calls/s\), 1[0-9] of 19 error codes" % s),
                (f"seed_{s}_console", r"^fuzz: the console still answers after seed %d$" % s),
            ]
        boots.append(dict(name=name, uboot=False, mem="512M", smp=1, icount=True,
                          args=f"ktest=fuzz fuzz.seed={first} fuzz.seeds=2 fuzz.calls=1000000",
                          timeout=300, status=0, ktap=True, disk=True, expect=expect,
                          reject=[("no_panic", r"PANIC:"), ("no_kernel_error", r"\] error: ")]))
    # A machine of 16 GiB: the high pools and the sparse frame table under
    # the same calls.
    boots.append(dict(name="fuzz_16g", uboot=False, mem="16G", smp=1, icount=True,
                      args="ktest=fuzz fuzz.seed=1000 fuzz.seeds=1 fuzz.calls=250000",
                      timeout=240, status=0, ktap=True, disk=True,
                      expect=[("console", r"^fuzz: the console still answers after seed 1000$")],
                      reject=[("no_panic", r"PANIC:"), ("no_kernel_error", r"\] error: ")]))
    # Four CPUs online (the secondaries idle on their own ticks) under the
    # same calls.
    boots.append(dict(name="fuzz_smp4", uboot=False, mem="512M", smp=4, icount=True,
                      args="ktest=fuzz fuzz.seed=2000 fuzz.seeds=1 fuzz.calls=250000",
                      timeout=240, status=0, ktap=True, disk=True,
                      expect=[("cpus", r"cpus: 4 online"),
                              ("console", r"^fuzz: the console still answers after seed 2000$")],
                      reject=[("no_panic", r"PANIC:"), ("no_kernel_error", r"\] error: ")]))
    return boots


BOOTS += fuzz_boots()
