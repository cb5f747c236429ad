#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Search files for secrets in every encoding a careless log line would use.

secret-scan.py FILE... -- NAME=HEX...

For each secret (hex on the command line) and each file, look for its raw
bytes, lowercase and uppercase hex, hex with ':' or ' ' between bytes, and
base64 (standard and URL-safe) at each of the three alignments a secret
can have inside a longer encoded blob.  Prints one line per hit,
"FILE: NAME (ENCODING)", and exits 1 if there was any, 0 if none, 2 on a
usage error.  A missing file is an error: a test must not pass because
the file it meant to scan was never written.
"""
import base64
import sys


def encodings(secret):
    h = secret.hex()
    yield "raw", secret
    yield "hex", h.encode()
    yield "HEX", h.upper().encode()
    for sep in (":", " "):
        pairs = [h[i:i + 2] for i in range(0, len(h), 2)]
        yield "hex with '%s'" % sep, sep.join(pairs).encode()
        yield "HEX with '%s'" % sep, sep.join(pairs).upper().encode()
    for k in range(3):
        for name, enc in (("base64", base64.b64encode),
                          ("base64url", base64.urlsafe_b64encode)):
            full = enc(b"\0" * k + secret)
            # Drop the characters that depend on the neighbours.
            lead = (k * 4 + 2) // 3 + 1
            core = full[lead:-4]
            if len(core) >= 12:
                yield "%s at offset %d" % (name, k), core


def main(argv):
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    i = argv.index("--")
    files, secrets = argv[:i], argv[i + 1:]
    if not files or not secrets:
        print(__doc__, file=sys.stderr)
        return 2
    found = 0
    for f in files:
        with open(f, "rb") as fh:
            data = fh.read()
        for s in secrets:
            name, _, hx = s.partition("=")
            secret = bytes.fromhex(hx)
            if len(secret) < 16:
                print("secret-scan: %s is too short to search for" % name,
                      file=sys.stderr)
                return 2
            for enc, needle in encodings(secret):
                if needle in data:
                    print("%s: %s (%s)" % (f, name, enc))
                    found += 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
