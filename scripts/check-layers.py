#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check-layers.py [ROOT]: the layering rules of docs/architecture.md.

Fails (exit 1, one line per breach) when
  - a file sits directly in lib/ instead of a layer folder;
  - an include runs against the allowed direction
      base -> certs -> {fw, archive, endpoint} -> {fetch, engine, sim} -> cli
    (a layer includes its own folder and any lower layer, never a sibling
    or a higher one; cmd/ may include anything);
  - an include names a header that is not written from lib/
    ("fw/fw.h", not "fw.h");
  - a NAME-internal.h is included from outside its folder;
  - an engine (lib/engine/) includes a firmware backend header
    (fw/fw-kvm.h, fw/fw-sim.h): it must go through fw/fw.h;
  - the platform names "kvm" or "sim" are compared (strcmp and friends)
    outside lib/base/platform.c, their one parser, and the firmware layer.
Prints "check-layers: ok (N files, M includes)" otherwise.
"""
import os
import re
import sys

RANK = {
    "base": 0,
    "certs": 1,
    "fw": 2, "archive": 2, "endpoint": 2,
    "fetch": 3, "engine": 3, "sim": 3,
    "cli": 4,
}
BACKEND_HEADERS = {"fw/fw-kvm.h", "fw/fw-sim.h"}
NAME_CMP = re.compile(r'\b(str|strn|strcase|mem)cmp\s*\([^;]*"(kvm|sim)"')
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(path):
    parts = path.split("/")
    if parts[0] == "lib" and len(parts) == 3:
        return parts[1]
    return None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    os.chdir(root)
    bad, nfiles, nincs = [], 0, 0
    for f in sorted(os.listdir("lib")):
        if os.path.isfile(os.path.join("lib", f)):
            bad.append(f"lib/{f}: a file directly in lib/; put it in its layer's folder")
    for d in sorted(os.listdir("lib")):
        if os.path.isdir(os.path.join("lib", d)) and d not in RANK:
            bad.append(f"lib/{d}/: not a known layer ({', '.join(RANK)})")
    sources = []
    for top in ("lib", "cmd"):
        for dirpath, _, names in os.walk(top):
            for n in names:
                if n.endswith((".c", ".h")):
                    sources.append(os.path.join(dirpath, n))
    for path in sorted(sources):
        nfiles += 1
        text = open(path, encoding="utf-8").read()
        me = layer_of(path)
        for m in INCLUDE.finditer(text):
            inc = m.group(1)
            nincs += 1
            line = text.count("\n", 0, m.start()) + 1
            where = f"{path}:{line}"
            target = os.path.join("lib", inc)
            if not os.path.isfile(target):
                # a header beside the file in cmd/ (cmd/sevmig-certs/certs.h)
                if path.startswith("cmd/") and os.path.isfile(
                        os.path.join(os.path.dirname(path), inc)):
                    continue
                bad.append(f"{where}: #include \"{inc}\" is not a header under lib/ (write it from lib/, as \"fw/fw.h\")")
                continue
            theirs = layer_of(target)
            if me is None:  # cmd/: the top, may use any layer
                if inc.endswith("-internal.h"):
                    bad.append(f"{where}: {inc} is private to lib/{theirs}/")
                continue
            if theirs != me and RANK[theirs] >= RANK[me]:
                bad.append(f"{where}: {me} includes {inc} ({theirs}): against the allowed direction")
            if inc.endswith("-internal.h") and theirs != me:
                bad.append(f"{where}: {inc} is private to lib/{theirs}/")
            if me == "engine" and inc in BACKEND_HEADERS:
                bad.append(f"{where}: an engine includes the backend header {inc}: use fw/fw.h")
        if path != "lib/base/platform.c" and me != "fw":
            for m in NAME_CMP.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                bad.append(f"{path}:{line}: compares the platform name \"{m.group(2)}\": use enum sm_platform (base/platform.h)")
    for b in bad:
        print(f"check-layers: {b}")
    if bad:
        return 1
    print(f"check-layers: ok ({nfiles} files, {nincs} includes)")
    return 0


sys.exit(main())
