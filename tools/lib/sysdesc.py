"""Checking a Cairn system description against a hardware device tree.

The same rules and the same messages as the root task's check at boot
(user/root/system.c), so a mistake is caught at build time first:

  /: compatible is not "cairn,system-v1"
  /servers: missing
  /servers/NAME: missing property "program" / "priority"
  /servers/NAME: program: "X" is not in the boot archive
  /servers/NAME: priority: N is above 254
  /servers/NAME: quota: needs <direct dma32 high heap-bytes>
  /servers/NAME: quota: pages|heap bytes beyond what exists (N available)
  /servers/NAME: devices: no hardware node "/path"
  /servers/NAME: devices: "/path" has no registers
  /servers/NAME: devices: "/path" is the kernel's
  /servers/NAME: devices: "/path" is also given to /servers/OTHER
  /servers/NAME: devices: "/path" overlaps a range given to /servers/OTHER
  /servers/NAME: regions: needs <base-hi base-lo size-hi size-lo>..., ...
  /servers/NAME: regions: B+S is empty, wraps or is not page aligned
  /servers/NAME: regions: B+S falls outside the hardware's device ranges
  /servers/NAME: regions: B+S overlaps a range given to /servers/OTHER
  /servers/NAME...: node name longer than 23 characters
  /servers/NAME: provides: "svc" is also provided by /servers/OTHER
  /servers/NAME: provides: "root" is the root task's service
  /servers/NAME: uses: no server provides "svc"

Device trees are read from DTB bytes (fdt_nodes); the system description
is compiled with dtc first (compile).
"""

import struct
import subprocess

SERVER_PRIO_MAX = 254
ROOT_PRIO = 128                 # user/root/root.h


class DescError(Exception):
    pass


def fdt_nodes(blob):
    """{path: {prop: bytes}} of a flattened device tree."""
    magic, total, off_struct, off_strings = struct.unpack(">IIII", blob[:16])
    if magic != 0xD00DFEED or total > len(blob):
        raise DescError("not a device tree")
    nodes, stack, pos = {}, [], off_struct

    def string(off):
        end = blob.index(b"\0", off_strings + off)
        return blob[off_strings + off:end].decode()

    while True:
        (tag,) = struct.unpack(">I", blob[pos:pos + 4])
        pos += 4
        if tag == 1:                                    # BEGIN_NODE
            end = blob.index(b"\0", pos)
            name = blob[pos:end].decode()
            pos = (end + 4) & ~3
            stack.append(name)
            path = "/" + "/".join(n for n in stack[1:]) if len(stack) > 1 else "/"
            nodes[path] = {}
        elif tag == 2:                                  # END_NODE
            stack.pop()
        elif tag == 3:                                  # PROP
            length, nameoff = struct.unpack(">II", blob[pos:pos + 8])
            pos += 8
            path = "/" + "/".join(n for n in stack[1:]) if len(stack) > 1 else "/"
            nodes[path][string(nameoff)] = blob[pos:pos + length]
            pos = (pos + length + 3) & ~3
        elif tag == 4:                                  # NOP
            continue
        elif tag == 9:                                  # END
            return nodes
        else:
            raise DescError("bad structure tag %d" % tag)


def strings(val):
    return [s.decode() for s in val.split(b"\0")[:-1]] if val else []


def cells(val):
    return [struct.unpack(">I", val[i:i + 4])[0] for i in range(0, len(val), 4)]


def compile(dts_path):
    r = subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", dts_path], capture_output=True)
    if r.returncode:
        raise DescError("%s: dtc: %s" % (dts_path, r.stderr.decode().strip()))
    return r.stdout


def ram_pages(hw):
    total = 0
    for path, props in hw.items():
        if props.get("device_type") == b"memory\0" and "reg" in props:
            c = cells(props["reg"])
            for i in range(0, len(c) - 3, 4):           # 2 address + 2 size cells (virt)
                total += ((c[i + 2] << 32) | c[i + 3]) >> 12
    return total


def device_spans(hw):
    """Page-rounded [base, end) of every `reg` entry of the hardware tree
    (two address and two size cells, as on QEMU virt), memory excluded,
    and of every window of a PCI host bridge (`ranges` entries of a
    device_type "pci" node: 3-cell PCI address, 2-cell CPU address, 2-cell
    size; configuration space is none), as the kernel makes them device
    ranges too."""
    out = []
    for path, props in hw.items():
        if "reg" not in props or props.get("device_type") == b"memory\0" or path == "/":
            continue
        c = cells(props["reg"])
        for i in range(0, len(c) - 3, 4):
            b, z = (c[i] << 32) | c[i + 1], (c[i + 2] << 32) | c[i + 3]
            out.append((b & ~0xfff, (b + z + 0xfff) & ~0xfff))
        if props.get("device_type") == b"pci\0" and "ranges" in props:
            c = cells(props["ranges"])
            for i in range(0, len(c) - 6, 7):
                if (c[i] >> 24) & 3 == 0:
                    continue
                b, z = (c[i + 3] << 32) | c[i + 4], (c[i + 5] << 32) | c[i + 6]
                out.append((b & ~0xfff, (b + z + 0xfff) & ~0xfff))
    return out


def node_span(node):
    c = cells(node["reg"])
    b, z = (c[0] << 32) | c[1], (c[2] << 32) | c[3]
    return (b & ~0xfff, (b + z + 0xfff) & ~0xfff)


def check(sysdtb, hwdtb, programs, heap_bytes=None):
    """Raise DescError with the root task's message for the first mistake."""
    s = fdt_nodes(sysdtb)
    hw = fdt_nodes(hwdtb)
    if "cairn,system-v1" not in strings(s["/"].get("compatible", b"")):
        raise DescError('/: compatible is not "cairn,system-v1"')
    names = [p[len("/servers/"):] for p in s if p.startswith("/servers/")
             and "/" not in p[len("/servers/"):]]
    if "/servers" not in s:
        raise DescError("/servers: missing")
    avail = [ram_pages(hw), 1 << 32, 1 << 32, heap_bytes if heap_bytes else 1 << 32]
    sums = [0, 0, 0, 0]
    holders, provided, users = {}, {"root"}, []
    spans = []                          # (base, end, server) given so far
    hwspans = device_spans(hw)
    for nm in names:
        props = s["/servers/" + nm]
        where = "/servers/%s" % nm
        if len(nm) > 23:
            raise DescError("/servers/%.32s...: node name longer than 23 characters" % nm)
        if "program" not in props:
            raise DescError('%s: missing property "program"' % where)
        prog = strings(props["program"])[0]
        if prog not in programs:
            raise DescError('%s: program: "%s" is not in the boot archive' % (where, prog))
        if "priority" not in props:
            raise DescError('%s: missing property "priority"' % where)
        prio = cells(props["priority"])[0]
        if prio > SERVER_PRIO_MAX:
            raise DescError("%s: priority: %d is above %d" % (where, prio, SERVER_PRIO_MAX))
        q = cells(props.get("quota", b""))
        if len(q) != 4:
            raise DescError("%s: quota: needs <direct dma32 high heap-bytes>" % where)
        for i in range(4):              # (dma32 is checked with direct: RAM below 4 GiB)
            sums[i] += q[i]
            if sums[i] > avail[i]:
                raise DescError("%s: quota: %s beyond what exists (%d available)"
                                % (where, "heap bytes" if i == 3 else "pages", avail[i]))
        for dev in strings(props.get("devices", b"")):
            node = hw.get(dev)
            if node is None:
                raise DescError('%s: devices: no hardware node "%s"' % (where, dev))
            if "reg" not in node:
                raise DescError('%s: devices: "%s" has no registers' % (where, dev))
            if any("gic" in c for c in strings(node.get("compatible", b""))):
                raise DescError('%s: devices: "%s" is the kernel\'s' % (where, dev))
            b, e = node_span(node)
            for ob, oe, other in spans:
                if b < oe and ob < e and other != nm and dev not in holders:
                    raise DescError('%s: devices: "%s" overlaps a range given to /servers/%s'
                                    % (where, dev, other))
            if dev in holders:
                raise DescError('%s: devices: "%s" is also given to /servers/%s'
                                % (where, dev, holders[dev]))
            holders[dev] = nm
            spans.append((b, e, nm))
        if "regions" in props:
            c = cells(props["regions"])
            if len(c) % 4 or len(c) // 4 + len(strings(props.get("devices", b""))) > 8:
                raise DescError("%s: regions: needs <base-hi base-lo size-hi size-lo>..., "
                                "at most 8 ranges with the devices" % where)
            for i in range(0, len(c), 4):
                b, z = (c[i] << 32) | c[i + 1], (c[i + 2] << 32) | c[i + 3]
                if not z or (b | z) & 0xfff:
                    raise DescError("%s: regions: 0x%x+0x%x is empty, wraps or is not page "
                                    "aligned" % (where, b, z))
                if not any(hb <= b and b + z <= he for hb, he in hwspans):
                    raise DescError("%s: regions: 0x%x+0x%x falls outside the hardware's "
                                    "device ranges" % (where, b, z))
                for ob, oe, other in spans:
                    if b < oe and ob < b + z:
                        raise DescError("%s: regions: 0x%x+0x%x overlaps a range given to "
                                        "/servers/%s" % (where, b, z, other))
                spans.append((b, b + z, nm))
        # A PCI host bridge brings its bus windows (after the regions).
        for dev in strings(props.get("devices", b"")):
            node = hw[dev]
            if node.get("device_type") != b"pci\0" or "ranges" not in node:
                continue
            c = cells(node["ranges"])
            for i in range(0, len(c) - 6, 7):
                if (c[i] >> 24) & 3 == 0:
                    continue
                b, z = (c[i + 3] << 32) | c[i + 4], (c[i + 5] << 32) | c[i + 6]
                b, e = b & ~0xfff, (b + z + 0xfff) & ~0xfff
                for ob, oe, other in spans:
                    if b < oe and ob < e and other != nm:
                        raise DescError('%s: devices: "%s": its window 0x%x+0x%x overlaps a '
                                        "range given to /servers/%s" % (where, dev, b, e - b,
                                                                         other))
                spans.append((b, e, nm))
        if "pci-device" in props:
            c = cells(props["pci-device"])
            if not c or len(c) % 2 or len(c) > 8 or any(x > 0xffff for x in c) or \
                    any(not (c[i] or c[i + 1]) for i in range(0, len(c), 2)) or \
                    "pci" not in strings(props.get("uses", b"")):
                raise DescError('%s: pci-device: needs <vendor device>... (16 bits each, at '
                                'most 4) and uses "pci"' % where)
        users += [(nm, u) for u in strings(props.get("uses", b""))]
    prio = {nm: cells(s["/servers/" + nm]["priority"])[0] for nm in names}
    bus = [nm for nm in names if "pci" in strings(s["/servers/" + nm].get("provides", b""))]
    for nm in names:
        if "pci-device" in s["/servers/" + nm] and bus and prio[bus[0]] <= ROOT_PRIO:
            raise DescError("/servers/%s: pci-device: the pci server's priority %d is not "
                            "above the root task's %d" % (nm, prio[bus[0]], ROOT_PRIO))
    providers = {}
    for nm in names:
        for svc in strings(s["/servers/" + nm].get("provides", b"")):
            if svc == "root":
                raise DescError('/servers/%s: provides: "root" is the root task\'s service' % nm)
            if svc in providers:
                raise DescError('/servers/%s: provides: "%s" is also provided by /servers/%s'
                                % (nm, svc, providers[svc]))
            providers[svc] = nm
            provided.add(svc)
    for nm, u in users:
        if u not in provided:
            raise DescError('/servers/%s: uses: no server provides "%s"' % (nm, u))
