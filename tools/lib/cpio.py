"""Deterministic cpio "newc" (SVR4, magic 070701, no CRC) archives.

Every entry is a regular file with mode 0100644, uid/gid 0, mtime 0, nlink 1,
device numbers 0 and inode numbers 1, 2, 3... in order; the archive ends with
the TRAILER!!! entry. Header (110 bytes) + name + NUL is padded to a multiple
of 4 bytes, and so is the file data. Same inputs give the same bytes.
"""

MAGIC = b"070701"
TRAILER = "TRAILER!!!"
FILE_MODE = 0o100644


def _pad4(n):
    return (4 - n % 4) % 4


def header(name, size, ino, mode, nlink=1):
    raw = name.encode("utf-8") + b"\0"
    fields = (ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, len(raw), 0)
    h = MAGIC + b"".join(b"%08X" % f for f in fields)
    assert len(h) == 110
    return h + raw + b"\0" * _pad4(len(h) + len(raw))


def archive(entries):
    """entries: iterable of (name, bytes). Returns the archive bytes."""
    out = []
    for ino, (name, data) in enumerate(entries, 1):
        out.append(header(name, len(data), ino, FILE_MODE))
        out.append(data)
        out.append(b"\0" * _pad4(len(data)))
    out.append(header(TRAILER, 0, 0, 0))
    return b"".join(out)


def read(blob):
    """Parse a newc archive into [(name, bytes, header fields)] (for tests)."""
    entries = []
    off = 0
    while True:
        if blob[off:off + 6] != MAGIC:
            raise ValueError(f"bad cpio magic at offset {off}")
        f = [int(blob[off + 6 + 8 * i:off + 14 + 8 * i], 16) for i in range(13)]
        namesize, size = f[11], f[6]
        name = blob[off + 110:off + 110 + namesize - 1].decode("utf-8")
        off += 110 + namesize
        off += _pad4(off)
        if name == TRAILER:
            return entries
        entries.append((name, blob[off:off + size], f))
        off += size
        off += _pad4(off)
