#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""progress-log.py TIMING TYPESCRIPT: what a terminal showed, from script(1).

TIMING is `script -T` output (classic "DELAY BYTES" lines, or advanced
"O DELAY BYTES" ones, whose other streams are skipped); TYPESCRIPT the log,
whose first line is script's header.  The output bytes are cut into the
chunks the terminal received, in order, and then into segments at every
CR and LF.  Prints one line each:

  redraws N     chunks holding a non-final progress line of a tool, up to
                the chunk with that tool's final line ("done in")
  final TOOL    a tool whose final progress line was seen
  line TOOL     a tool that drew any progress line
  bad SEGMENT   a segment that starts like a sevmig message but is not one
                whole progress line or message: two writers mixed
"""
import re
import sys

PROGRESS = re.compile(
    r"^(sevmig-[a-z]+): +\d+% \d+/\d+ (pages|records), \d+\.\d MiB, "
    r"\d+\.\d MiB/s, (ETA \d+:\d\d|done in \d+:\d\d) *$")
MESSAGE = re.compile(r"^sevmig-[a-z]+: (warning: )?[^\r\n]*$")


def chunks(timing, data):
    off = 0
    for line in timing.splitlines():
        f = line.split()
        if not f:
            continue
        if len(f) == 3 and f[0] != "O":
            continue
        n = int(f[-1])
        yield data[off:off + n]
        off += n


def main():
    timing = open(sys.argv[1], encoding="ascii").read()
    raw = open(sys.argv[2], "rb").read()
    data = raw[raw.index(b"\n") + 1:].decode("utf-8", "replace")
    redraws, finals, tools, bad = 0, set(), set(), []
    for c in chunks(timing, data):
        drew = False
        for seg in re.split(r"[\r\n]", c):
            if not seg.startswith("sevmig-"):
                continue
            m = PROGRESS.match(seg)
            if m:
                tools.add(m.group(1))
                if m.group(3).startswith("done"):
                    finals.add(m.group(1))
                elif m.group(1) not in finals:
                    drew = True
            elif not MESSAGE.match(seg) or "% " in seg:
                bad.append(seg)
        redraws += drew
    print(f"redraws {redraws}")
    for t in sorted(finals):
        print(f"final {t}")
    for t in sorted(tools):
        print(f"line {t}")
    for b in bad:
        print(f"bad {b!r}")


main()
