"""A KTAP (and TAP 13) parser for host test output and kernel consoles.

Input is any sequence of lines; lines that are not KTAP (kernel log lines,
U-Boot output) are ignored, so a whole serial console can be parsed. KTAP lines
may be indented by 4 spaces per nesting level, and may carry a kernel log
timestamp prefix "[    1.234567] " (stripped).

    KTAP version 1
    1..1
        KTAP version 1
        # Subtest: fdt
        1..2
        # a diagnostic line
        ok 1 parse_header
        not ok 2 walk_nodes
    not ok 1 fdt

parse() returns a Report: the leaf results (suite = innermost "# Subtest:"
name, nested names joined with '.'), plan violations (fewer results than
"1..N" promised) and suite results that failed without a failing child.
"""

import re
from dataclasses import dataclass, field

_TS = re.compile(r"^\[\s*\d+(?:\.\d+)?\] ")
_VERSION = re.compile(r"^(?:K?TAP) version \d+\s*$")
_PLAN = re.compile(r"^1\.\.(\d+)\b")
_RESULT = re.compile(r"^(not ok|ok)\s+(\d+)\b(?:\s+-)?\s*(.*?)\s*$")
_SUBTEST = re.compile(r"^#\s*Subtest:\s*(.*?)\s*$")
_DIRECTIVE = re.compile(r"(?:^|\s)#\s*(SKIP|TODO|XFAIL)\b\s*(.*)$", re.IGNORECASE)

OK, FAIL, SKIP = "ok", "fail", "skip"


@dataclass
class Result:
    suite: str          # dotted suite path ('' for results outside any suite)
    name: str
    status: str         # OK, FAIL or SKIP
    directive: str = ""
    context: list = field(default_factory=list)   # lines since the previous result

    @property
    def full_name(self):
        return _join(self.suite, self.name)


@dataclass
class Report:
    results: list = field(default_factory=list)
    documents: int = 0      # KTAP documents (top level) seen

    @property
    def failed(self):
        return [r for r in self.results if r.status == FAIL]

    def count(self, status):
        return sum(1 for r in self.results if r.status == status)


class _Doc:
    def __init__(self, indent, name=None):
        self.indent = indent
        self.name = name
        self.plan = None
        self.nresults = 0
        self.leaf_failures = 0     # failures recorded inside (any depth)
        self.leaves = 0            # leaf results recorded inside (any depth)
        self.accounted = 0         # missing results already reported by a child
        self.short = False         # reported fewer results than planned


def _strip(line):
    line = line.rstrip("\r\n").replace("\r", "")
    m = _TS.match(line)
    if m:
        line = line[m.end():]
    line = line.expandtabs(4)
    body = line.lstrip(" ")
    return len(line) - len(body), body.rstrip()


def parse(lines, default_suite="", context_limit=30):
    """Parse KTAP out of lines (an iterable of str). See module docstring.

    default_suite names results that are not inside any named subtest.
    """
    rep = Report()
    stack = []          # open documents, outermost first
    context = []        # lines since the previous result line

    def path():
        names = [d.name for d in stack if d.name]
        if not names and default_suite:
            names = [default_suite]
        return ".".join(names)

    def add(suite, name, status, directive="", ctx=()):
        rep.results.append(Result(suite, name, status, directive, list(ctx)))
        for d in stack:
            d.leaves += 1
            if status == FAIL:
                d.leaf_failures += 1

    def close_top(summarized=False):
        """Pop the innermost document, checking its plan.

        A subtest that ends without its summary result line (output cut off)
        and reported its own shortfall also explains one missing result of its
        parent: that one is not reported twice.
        """
        doc = stack[-1]
        missing = (doc.plan or 0) - doc.nresults - doc.accounted
        if doc.plan is not None and missing > 0:
            add(path(), "plan", FAIL, ctx=[
                f"# plan said 1..{doc.plan} but only {doc.nresults} result(s) "
                f"were printed (output cut off?)"] + context[-context_limit:])
        doc.short = doc.nresults < doc.plan if doc.plan is not None else doc.accounted > 0
        stack.pop()
        if stack and not summarized and doc.short:
            stack[-1].accounted += 1
        return doc

    def close_deeper_than(indent, summarized=False):
        """Close the documents nested deeper than indent; the outermost of them
        (the direct child of the remaining top) is returned and, with
        summarized, is the one the current result line summarizes."""
        child = None
        while len(stack) > 1 and stack[-1].indent > indent:
            direct = len(stack) == 2 or stack[-2].indent <= indent
            child = close_top(summarized and direct)
        if stack and stack[-1].indent > indent:
            stack[-1].indent = indent   # less indented than the top level
        return child

    def new_root(indent, name=None):
        while stack:
            close_top()
        stack.append(_Doc(indent, name))
        rep.documents += 1

    for raw in lines:
        indent, body = _strip(raw)
        if not body:
            continue

        if _VERSION.match(body):
            if not stack:
                new_root(indent)
            elif indent <= stack[0].indent:
                if stack[0].plan is not None or stack[0].nresults or len(stack) > 1:
                    new_root(indent)        # a second top-level document
            else:
                close_deeper_than(indent)
                top = stack[-1]
                if indent == top.indent and (top.plan is not None or top.nresults):
                    close_top()             # sibling without a summary result
                    stack.append(_Doc(indent))
                elif indent > top.indent:
                    stack.append(_Doc(indent))
            continue

        m = _SUBTEST.match(body)
        if m:
            name = m.group(1)
            context.append(body)
            if not stack:
                new_root(indent, name)
                continue
            if indent < stack[-1].indent:
                close_deeper_than(indent)
            top = stack[-1]
            if indent > top.indent:
                stack.append(_Doc(indent, name))
            elif top.name is None and top.nresults == 0:
                top.name = name
            elif len(stack) > 1:
                close_top()                 # sibling without a summary result
                stack.append(_Doc(indent, name))
            continue

        m = _PLAN.match(body)
        if m:
            if not stack:
                new_root(indent)
            elif indent > stack[-1].indent:
                stack.append(_Doc(indent))
            else:
                close_deeper_than(indent)
            if stack[-1].plan is None:
                stack[-1].plan = int(m.group(1))
            continue

        m = _RESULT.match(body)
        if m:
            desc = m.group(3)
            directive = ""
            d = _DIRECTIVE.search(desc)
            if d:
                directive = (d.group(1).upper() + " " + d.group(2)).strip()
                desc = desc[:d.start()].strip()
            elif " #" in desc or desc.startswith("#"):
                desc = desc.split("#", 1)[0].strip()
            name = desc or f"test_{m.group(2)}"
            if directive:
                status = SKIP
            else:
                status = OK if m.group(1) == "ok" else FAIL
            if not stack:
                new_root(indent)
            child = None
            if indent < stack[-1].indent:
                # Summary result of the subtest that just ended; name it first.
                level = sum(1 for doc in stack if doc.indent <= indent) or 1
                if level < len(stack) and stack[level].name is None:
                    stack[level].name = name
                child = close_deeper_than(indent, summarized=True)
            stack[-1].nresults += 1
            if child is not None:
                # Counted only when it says something its children did not.
                suite = _join(path(), child.name)
                if status == FAIL and child.leaf_failures == 0:
                    add(suite, "", FAIL, directive, context[-context_limit:] + [body])
                elif status == SKIP and child.leaves == 0:
                    add(suite, "", SKIP, directive)
            else:
                add(path(), name, status, directive, context[-context_limit:])
            context = []
            continue

        context.append(body if body.startswith("#") else raw.rstrip("\r\n"))
        if len(context) > 4 * context_limit:
            del context[:-context_limit]

    while stack:
        close_top()
    return rep


def _join(a, b):
    return f"{a}.{b}" if a and b else (a or b or "")
