"""Hostile boot archives for the target boots, made at test time.

Each variant starts from the archive the build made (build/archive.cpio,
read with tools/lib/cpio.py) and changes one thing in it; the result is
what QEMU (-initrd) or U-Boot (qfw load, bootz) hands the kernel, so the
kernel's cpio reader, its loader of the root task and the root task's
reading of the system description and loading of the servers all see it
through the real boot path. Four families:

  SERVER_ELF  a server program that lies about its segments: the archive
              gets it as "bad", and system.dtb two more servers, `bad`
              (which runs it and provides "bad") and `badclient` (which
              uses "bad"); the four real servers and the shell must run.
  ROOT_ELF    the root task's own ELF ("root") lying the same ways.
  SYSDESC     system.dtb replaced: the fixtures of tests/fixtures/sysdesc
              (compiled by the build into build/sysdesc/) and trees made
              here with the FDT writer of tools/lib/fdt.py (what dtc would
              not write: unterminated strings, duplicate node names, ...).
  CPIO        the archive itself damaged: headers, sizes, names, trailer.

Each variant is a function of the base entries [(name, bytes)] returning
the archive bytes. initrd(family, name) gives the callable that
tests/target/boots.py puts in a boot's `initrd` field; the files are
cached in build/run/hostile/ under a hash of their contents.
"""

import hashlib
import os
import struct
import threading
from pathlib import Path

import cpio
import fdt
from common import BUILD, RUN_DIR, archive_path

HOSTILE_DIR = RUN_DIR / "hostile"


def base_entries():
    """The build's archive as [(name, bytes)], in order."""
    return [(n, d) for n, d, _ in cpio.read(Path(archive_path()).read_bytes())]


def replaced(entries, name, data):
    """entries with file `name` given `data` (added at the end if absent;
    data None: removed)."""
    out, seen = [], False
    for n, d in entries:
        if n == name:
            seen = True
            if data is not None:
                out.append((n, data))
        else:
            out.append((n, d))
    if not seen and data is not None:
        out.append((name, data))
    return out


def file_of(entries, name):
    return next(d for n, d in entries if n == name)


# ---------------------------------------------------------------- ELF edits

PT_LOAD = 1
PH = {"type": 0, "offset": 4, "vaddr": 8, "paddr": 12, "filesz": 16, "memsz": 20,
      "flags": 24, "align": 28}


class Elf:
    """An ELF32 file to change in place: header words and program headers
    found by their flags (5 text, 4 rodata, 6 data)."""

    def __init__(self, data):
        self.b = bytearray(data)

    def u32(self, off):
        return struct.unpack_from("<I", self.b, off)[0]

    def set32(self, off, v):
        struct.pack_into("<I", self.b, off, v & 0xFFFFFFFF)

    def set16(self, off, v):
        struct.pack_into("<H", self.b, off, v & 0xFFFF)

    def ph(self, flags):
        """Offset of the first loadable program header with these flags."""
        phoff, phnum = self.u32(28), struct.unpack_from("<H", self.b, 44)[0]
        for i in range(phnum):
            p = phoff + 32 * i
            if self.u32(p) == PT_LOAD and self.u32(p + 20) and self.u32(p + 24) == flags:
                return p
        raise ValueError(f"no loadable segment with flags {flags}")

    def seg(self, which, **fields):
        p = self.ph(which)
        for k, v in fields.items():
            self.set32(p + PH[k], v)
        return self

    def get(self, flags, field):
        return self.u32(self.ph(flags) + PH[field])

    def bytes(self):
        return bytes(self.b)


TEXT, DATA = 5, 6


def _e(fn):
    """An ELF edit from a function of an Elf (changed in place)."""
    def edit(data):
        e = Elf(data)
        out = fn(e)
        return out if isinstance(out, bytes) else e.bytes()
    return edit


# name: (edit of the program's bytes, the loader's reason, error). The
# reasons are the parser's (kernel/fw/elf.c) or the loader's own (the
# windows of user/lib/spawn.c and kernel/boot/roottask.c).
ELF_LIES = {
    "filesz_above_memsz": (_e(lambda e: e.seg(DATA, filesz=e.get(DATA, "memsz") + 0x100)),
                           "segment file size exceeds its memory size", "E_FORMAT"),
    "data_past_end": (_e(lambda e: e.seg(TEXT, offset=len(e.b) - 0x10)),
                      "segment data beyond the file", "E_TRUNC"),
    "offset_wraps": (_e(lambda e: e.seg(TEXT, offset=0xFFFFF000)),
                     "segment data beyond the file", "E_TRUNC"),
    "wraps_32_bits": (_e(lambda e: e.seg(DATA, vaddr=0xFFFFF000, memsz=0x2000,
                                         filesz=min(e.get(DATA, "filesz"), 0x1000))),
                      "segment outside the user address space", "E_RANGE"),
    "kernel_address": (_e(lambda e: e.seg(DATA, vaddr=0xC0000000)),
                       "segment outside the user address space", "E_RANGE"),
    "crosses_kernel": (_e(lambda e: e.seg(DATA, vaddr=0xBFFFF000, memsz=0x2000,
                                          filesz=min(e.get(DATA, "filesz"), 0x1000))),
                       "segment outside the user address space", "E_RANGE"),
    "at_zero": (_e(lambda e: e.seg(DATA, vaddr=0)),
                r"segment below 0x10000 \(null pointers would not fault\)", "E_RANGE"),
    "overlapping": (_e(lambda e: e.seg(DATA, vaddr=e.get(TEXT, "vaddr"))),
                    "segments overlap or share a page", "E_EXIST"),
    "writable_executable": (_e(lambda e: e.seg(TEXT, flags=7)),
                            "segment both writable and executable", "E_PERM"),
    "phnum_huge": (_e(lambda e: e.set16(44, 0xFFFF)),
                   "program headers beyond the file", "E_TRUNC"),
    "phoff_outside": (_e(lambda e: e.set32(28, len(e.b) + 0x1000)),
                      "program headers beyond the file", "E_TRUNC"),
    "entry_outside": (_e(lambda e: e.set32(24, 0x00500000)),
                      "entry point outside the executable segments", "E_INVAL"),
    "entry_in_data": (_e(lambda e: e.set32(24, e.get(DATA, "vaddr"))),
                      "entry point outside the executable segments", "E_INVAL"),
    "no_segments": (_e(lambda e: e.set16(44, 0)), "no loadable segment", "E_RANGE"),
    "truncated": (lambda d: d[:0x1100], "segment data beyond the file", "E_TRUNC"),
    "truncated_header": (lambda d: d[:40], "shorter than an ELF header", "E_TRUNC"),
    "empty": (lambda d: b"", "shorter than an ELF header", "E_TRUNC"),
    "not_elf": (lambda d: b"#!/bin/sh\necho not a program\n" + bytes(64),
                r"not an ELF file \(magic\)", "E_FORMAT"),
    "wrong_machine": (_e(lambda e: e.set16(18, 62)), "not an ARM executable", "E_FORMAT"),
    "wrong_class": (_e(lambda e: e.b.__setitem__(4, 2)), "not ELF32", "E_FORMAT"),
    "big_endian": (_e(lambda e: e.b.__setitem__(5, 2)), "not little-endian", "E_FORMAT"),
    "shared_object": (_e(lambda e: e.set16(16, 3)), r"not an executable \(ET_EXEC\)",
                      "E_FORMAT"),
}

# Lies only one of the loaders can see: the windows it keeps, and sizes.
SERVER_ONLY = {
    "over_ipc_buffer": (_e(lambda e: e.seg(DATA, vaddr=0x00100000)),
                        "a segment covers the IPC buffer page at 0x00100000", "E_EXIST"),
    "over_stack": (_e(lambda e: e.seg(DATA, vaddr=0x7FFFE000)),
                   "a segment covers the stack below 0x80000000", "E_EXIST"),
    "huge_segment": (_e(lambda e: e.seg(DATA, memsz=0x04000000)),
                     "a segment larger than 4 MiB", "E_RANGE"),
    # 1 MiB of bss against the 16 pages of its quota: refused after some
    # of it was allocated, which must all come back.
    "beyond_quota": (_e(lambda e: e.seg(DATA, memsz=0x00100000)),
                     "memory for its segments", "E_NOMEM"),
}
ROOT_ONLY = {
    "over_bootinfo": (_e(lambda e: e.seg(DATA, vaddr=0x00100000)),
                      "a segment covers the boot info and IPC buffer pages at 0x00100000",
                      "E_EXIST"),
    "over_dtb_window": (_e(lambda e: e.seg(DATA, vaddr=0x0F000000)),
                        "a segment covers the device-tree window at 0x0f000000", "E_EXIST"),
    "over_archive_window": (_e(lambda e: e.seg(DATA, vaddr=0x10000000)),
                            "a segment covers the boot-archive window at 0x10000000",
                            "E_EXIST"),
    "over_free_range": (_e(lambda e: e.seg(DATA, vaddr=0x30000000)),
                        "a segment covers the root task's free range 0x20000000-0x70000000",
                        "E_EXIST"),
    "over_stack": (_e(lambda e: e.seg(DATA, vaddr=0x7FFFE000)),
                   "a segment covers the stack below 0x80000000", "E_EXIST"),
}
SERVER_ELF = {**ELF_LIES, **SERVER_ONLY}
ROOT_ELF = {**ELF_LIES, **ROOT_ONLY}

# The program the server lies are made from: small, two segments.
SERVER_BASE_PROGRAM = "rtc"


def with_bad_server(entries, program):
    """The archive with `program` as "bad", and system.dtb with the
    servers `bad` (runs it, provides "bad") and `badclient` (uses it)."""
    root = fdt.parse(file_of(entries, "system.dtb"))
    servers = root.find("/servers")
    servers.add("bad", {"program": "bad", "priority": 90, "quota": (16, 0, 0, 32768),
                        "provides": "bad"})
    servers.add("badclient", {"program": "utest", "priority": 90,
                              "quota": (16, 0, 0, 32768), "uses": "bad"})
    entries = replaced(entries, "system.dtb", root.to_dtb())
    return replaced(entries, "bad", program)


def server_elf(name):
    edit = SERVER_ELF[name][0]
    return lambda entries: cpio.archive(
        with_bad_server(entries, edit(file_of(entries, SERVER_BASE_PROGRAM))))


def root_elf(name):
    edit = ROOT_ELF[name][0]
    return lambda entries: cpio.archive(replaced(entries, "root", edit(file_of(entries, "root"))))


# ---------------------------------------------------------------- system descriptions

def _sys(fn):
    """A system.dtb variant from a function of the description's root Node
    (and the entries, for ones that change the archive too)."""
    def make(entries):
        root = fdt.parse(file_of(entries, "system.dtb"))
        out = fn(root, entries)
        if isinstance(out, list):
            entries, blob = out, root.to_dtb()
        else:
            blob = out if isinstance(out, bytes) else root.to_dtb()
        return cpio.archive(replaced(entries, "system.dtb", blob))
    return make


def _server(root, name):
    return root.find("/servers/" + name)


def _extra(root, name="x", **props):
    p = {"program": "utest", "priority": 10, "quota": (1, 0, 0, 4096)}
    p.update(props)
    return root.find("/servers").add(name, p)


def _deep(root, entries):
    n = _server(root, "uart")
    for i in range(40):
        n = n.add(f"level{i}")


def _many_servers(count):
    def fn(root, entries):
        for i in range(count):
            _extra(root, f"s{i}")
    return fn


def _dup_program(root, entries):
    return entries + [("uart", file_of(entries, "uart"))]


SYSDESC_MADE = {
    "too_many_servers": _sys(_many_servers(13)),
    "thousand_servers": _sys(_many_servers(1000)),
    "deep_nesting": _sys(_deep),
    "program_unterminated": _sys(lambda r, e: _server(r, "uart").set_raw("program", b"uart")),
    "program_empty": _sys(lambda r, e: _server(r, "uart").set_raw("program", b"\0")),
    "program_huge": _sys(lambda r, e: _server(r, "uart").set_str("program", "A" * 60000)),
    "devices_unterminated": _sys(lambda r, e: _server(r, "uart").set_raw(
        "devices", b"/pl011@9000000")),
    "uses_unterminated": _sys(lambda r, e: _server(r, "shell").set_raw(
        "uses", b"console\0time\0root\0blk")),
    "devices_huge": _sys(lambda r, e: _server(r, "uart").set_str(
        "devices", *["/pl011@9000000"] * 1000)),
    "quota_huge": _sys(lambda r, e: _server(r, "uart").set_cells("quota", *range(1000))),
    "regions_huge": _sys(lambda r, e: _server(r, "uart").set_cells(
        "regions", *[0, 0x09030000, 0, 0x1000] * 10000)),
    "priority_two_cells": _sys(lambda r, e: _server(r, "uart").set_cells("priority", 0, 200)),
    "too_many_uses": _sys(lambda r, e: _server(r, "shell").set_str(
        "uses", *["console"] * 9)),
    "too_many_provides": _sys(lambda r, e: _server(r, "uart").set_str(
        "provides", "console", "c2", "c3")),
    "duplicate_name": _sys(lambda r, e: r.find("/servers").children.append(
        fdt.Node("uart", dict(_server(r, "uart").props)))),
    "provides_root": _sys(lambda r, e: _server(r, "rtc").set_str("provides", "root")),
    "program_twice_in_archive": _sys(_dup_program),
    "not_a_tree": _sys(lambda r, e: b"this is not a device tree\n" * 10),
    "truncated_tree": _sys(lambda r, e: r.to_dtb()[:200]),
}


def _no_system_dtb(entries):
    return cpio.archive(replaced(entries, "system.dtb", None))


SYSDESC_MADE["no_system_dtb"] = _no_system_dtb


def sysdesc_fixture(name):
    """A fixture of tests/fixtures/sysdesc (build/sysdesc/NAME.dtb) as system.dtb."""
    path = BUILD / "sysdesc" / f"{name}.dtb"
    return lambda entries: cpio.archive(replaced(entries, "system.dtb", path.read_bytes()))


def sysdesc(name):
    return SYSDESC_MADE[name] if name in SYSDESC_MADE else sysdesc_fixture(name)


# ---------------------------------------------------------------- damaged cpio

HDR = 110                       # a newc header
FIELD = {"ino": 0, "mode": 1, "filesize": 6, "namesize": 11, "check": 12}


def _field(blob, header_off, field, text):
    """blob with header field `field` of the header at header_off set to
    the 8 characters `text` (a number is written as hex)."""
    if isinstance(text, int):
        text = b"%08X" % (text & 0xFFFFFFFF)
    b = bytearray(blob)
    o = header_off + 6 + 8 * FIELD[field]
    b[o:o + 8] = text
    return bytes(b)


def _second_header(entries):
    """Offset of the second header of cpio.archive(entries)."""
    name, data = entries[0]
    return len(cpio.header(name, len(data), 1, cpio.FILE_MODE)) + len(data) + (-len(data) % 4)


def _trailer_header(blob):
    return blob.rindex(b"070701")


def _checksummed(entries):
    """Every header 070702, with a checksum one off in the first."""
    blob = bytearray(cpio.archive(entries))
    off = 0
    while True:
        off = blob.find(b"070701", off)
        if off < 0:
            break
        blob[off:off + 6] = b"070702"
        off += 6
    return _field(bytes(blob), 0, "check", sum(entries[0][1]) + 1)


CPIO = {
    "bad_magic": lambda e: b"070707" + cpio.archive(e)[6:],
    "bad_magic_later": lambda e: (lambda a, o: a[:o] + b"07070X" + a[o + 6:])(
        cpio.archive(e), _second_header(e)),
    "garbage": lambda e: bytes((i * 151 + 7) & 0xFF for i in range(8192)),
    "bad_hex_digit": lambda e: _field(cpio.archive(e), 0, "filesize", b"0000G000"),
    "truncated_header": lambda e: cpio.archive(e)[:_second_header(e) + 50],
    "truncated_in_data": lambda e: cpio.archive(e)[:_second_header(e) + HDR + 200],
    "name_past_end": lambda e: (lambda a: _field(a, _trailer_header(a), "namesize", 0x10000))(
        cpio.archive(e)),
    "namesize_zero": lambda e: _field(cpio.archive(e), 0, "namesize", 0),
    "name_unterminated": lambda e: _field(cpio.archive(e), 0, "namesize",
                                          len(e[0][0].encode())),
    "filesize_wraps": lambda e: _field(cpio.archive(e), 0, "filesize", 0xFFFFFFFF),
    "filesize_past_end": lambda e: _field(cpio.archive(e), 0, "filesize",
                                          len(cpio.archive(e))),
    "no_trailer": lambda e: cpio.archive(e)[:_trailer_header(cpio.archive(e))],
    "bad_checksum": _checksummed,
    "duplicate_root": lambda e: cpio.archive(e + [("root", file_of(e, "root"))]),
    "duplicate_system_dtb": lambda e: cpio.archive(e + [("system.dtb",
                                                         file_of(e, "system.dtb"))]),
    "no_root": lambda e: cpio.archive(replaced(e, "root", None)),
    "empty": lambda e: b"",
}

FAMILIES = {
    "server_elf": server_elf,
    "root_elf": root_elf,
    "sysdesc": sysdesc,
    "cpio": lambda name: CPIO[name],
}


def make(family, name):
    """Write variant `name` of `family`; returns its path."""
    blob = FAMILIES[family](name)(base_entries())
    HOSTILE_DIR.mkdir(parents=True, exist_ok=True)
    path = HOSTILE_DIR / f"{family}-{name}-{hashlib.sha256(blob).hexdigest()[:8]}.cpio"
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(blob)
        tmp.replace(path)
        # Variants of earlier builds are not used again.
        for old in HOSTILE_DIR.glob(f"{family}-{name}-*.cpio"):
            if old != path:
                old.unlink(missing_ok=True)
    return path


def initrd(family, name):
    """The `initrd` field of a boot: variant `name` of `family`, made when
    the boot runs."""
    FAMILIES[family](name)      # KeyError now for a name that does not exist
    return lambda boot: make(family, name)
