"""A small flattened-device-tree reader and writer, for building test trees.

parse(blob) -> Node (the root), with the header's /memreserve/ entries in
root.memreserve; Node.to_dtb() -> bytes (format version 17, strings
deduplicated). A Node has a name, an ordered dict of properties (bytes
values) and a list of children; the helpers set cells, strings and
integers. No validation beyond what the reader needs to walk a sane blob:
this is for making trees, including wrong ones, not for trusting them.
The raw() helpers change bytes after serialisation (header fields,
truncation) for the blobs no writer would produce.
"""

import struct

MAGIC = 0xD00DFEED
BEGIN_NODE, END_NODE, PROP, NOP, END = 1, 2, 3, 4, 9
HEADER = 40


class Node:
    def __init__(self, name, props=None, children=None):
        self.name = name
        self.props = dict(props or {})
        self.children = list(children or [])
        self.memreserve = []

    # ---- navigation
    def child(self, name, create=False):
        for c in self.children:
            if c.name == name:
                return c
        if not create:
            raise KeyError(name)
        c = Node(name)
        self.children.append(c)
        return c

    def find(self, path, create=False):
        n = self
        for part in [p for p in path.split("/") if p]:
            n = n.child(part, create)
        return n

    def walk(self, path=""):
        yield path or "/", self
        for c in self.children:
            yield from c.walk(f"{path}/{c.name}")

    def remove(self, name):
        self.children = [c for c in self.children if c.name != name]

    # ---- properties
    def set_cells(self, prop, *cells):
        self.props[prop] = b"".join(struct.pack(">I", c & 0xFFFFFFFF) for c in cells)
        return self

    def set_str(self, prop, *strings):
        self.props[prop] = b"".join(s.encode() + b"\0" for s in strings)
        return self

    def set_raw(self, prop, value=b""):
        self.props[prop] = bytes(value)
        return self

    def cells(self, prop):
        v = self.props[prop]
        return list(struct.unpack(f">{len(v) // 4}I", v[: len(v) // 4 * 4]))

    def str(self, prop):
        return self.props[prop].split(b"\0")[0].decode()

    def add(self, name, props=None):
        """A child with properties {name: value}: ints and tuples or lists
        are cells, str a string, bytes the raw value."""
        c = Node(name)
        for k, v in (props or {}).items():
            if isinstance(v, str):
                c.set_str(k, v)
            elif isinstance(v, int):
                c.set_cells(k, v)
            elif isinstance(v, bytes):
                c.set_raw(k, v)
            else:
                c.set_cells(k, *v)
        self.children.append(c)
        return c

    # ---- writing
    def to_dtb(self, boot_cpuid=0):
        strings = bytearray()
        offsets = {}
        body = bytearray()

        def name_off(n):
            if n not in offsets:
                offsets[n] = len(strings)
                strings.extend(n.encode() + b"\0")
            return offsets[n]

        def emit(node):
            body.extend(struct.pack(">I", BEGIN_NODE))
            nm = node.name.encode() + b"\0"
            body.extend(nm + b"\0" * (-len(nm) % 4))
            for k, v in node.props.items():
                body.extend(struct.pack(">III", PROP, len(v), name_off(k)))
                body.extend(v + b"\0" * (-len(v) % 4))
            for c in node.children:
                emit(c)
            body.extend(struct.pack(">I", END_NODE))

        emit(self)
        body.extend(struct.pack(">I", END))
        rsv = b"".join(struct.pack(">QQ", a, s) for a, s in self.memreserve) + b"\0" * 16
        off_rsv = HEADER
        off_struct = off_rsv + len(rsv)
        off_strings = off_struct + len(body)
        total = off_strings + len(strings)
        total += -total % 8
        hdr = struct.pack(">10I", MAGIC, total, off_struct, off_strings, off_rsv, 17, 16,
                          boot_cpuid, len(strings), len(body))
        out = bytearray(hdr + rsv + body + strings)
        out.extend(b"\0" * (total - len(out)))
        return bytes(out)


def parse(blob):
    """The tree of a (sane) blob: root Node, root.memreserve filled."""
    (magic, total, off_struct, off_strings, off_rsv, version, _last, _cpu, size_strings,
     size_struct) = struct.unpack(">10I", blob[:HEADER])
    if magic != MAGIC:
        raise ValueError("not a device tree")
    rsv = []
    o = off_rsv
    while True:
        a, s = struct.unpack(">QQ", blob[o:o + 16])
        o += 16
        if a == 0 and s == 0:
            break
        rsv.append((a, s))

    def string(off):
        end = blob.index(b"\0", off_strings + off)
        return blob[off_strings + off:end].decode()

    o = off_struct
    stack = []
    root = None
    while True:
        (tag,) = struct.unpack(">I", blob[o:o + 4])
        o += 4
        if tag == BEGIN_NODE:
            end = blob.index(b"\0", o)
            n = Node(blob[o:end].decode())
            o = end + 1
            o += -o % 4
            if stack:
                stack[-1].children.append(n)
            else:
                root = n
            stack.append(n)
        elif tag == END_NODE:
            stack.pop()
        elif tag == PROP:
            ln, nameoff = struct.unpack(">II", blob[o:o + 8])
            o += 8
            stack[-1].props[string(nameoff)] = bytes(blob[o:o + ln])
            o += ln + (-ln % 4)
        elif tag == NOP:
            continue
        elif tag == END:
            break
        else:
            raise ValueError(f"bad tag {tag} at {o - 4}")
    root.memreserve = rsv
    return root


def load(path):
    with open(path, "rb") as f:
        return parse(f.read())


def set_header(blob, field, value):
    """blob with header word `field` (0 magic, 1 totalsize, 2 off_dt_struct,
    3 off_dt_strings, 4 off_mem_rsvmap, 5 version, 6 last_comp_version,
    7 boot_cpuid, 8 size_dt_strings, 9 size_dt_struct) set to value."""
    b = bytearray(blob)
    b[4 * field:4 * field + 4] = struct.pack(">I", value & 0xFFFFFFFF)
    return bytes(b)


def header(blob, field):
    return struct.unpack(">I", blob[4 * field:4 * field + 4])[0]
