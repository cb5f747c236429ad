#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mh-decode: an independent decoder of a sevmig archive made by a guest's
migration helper (sevmig-export --method mh), written from the format as
issue 15 and sevmig-archive(5) state it, using nothing of lib/: Python's
tarfile for the pax stream, pyca/cryptography for HKDF-SHA256 and
AES-256-GCM.

    mh-decode.py KEYFILE < ARCHIVE

KEYFILE holds the owner's 32-byte key K.  Every record of kind 5 (a
helper's private page) is opened with K; the END record (kind 6) is
opened and its count and (gpa, seq) hash checked.  Prints

    opened N
    end count N hash ok
    unmarked GPA...      (pages whose plaintext does not begin with the
                          simulated guest's "sevmig-private-page gpa=..."
                          line: the secret table's)

and exits 0, or prints the first failure and exits 1.
"""
import hashlib
import json
import struct
import sys
import tarfile

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def fail(msg):
    print("mh-decode: " + msg, file=sys.stderr)
    sys.exit(1)


def session_key(k, sid):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=sid,
                info=b"sevmig-mh-v1").derive(k)


def open_record(k, data, keys):
    """data: u32 len, the 68-byte envelope, the 4096-byte page."""
    (hlen,) = struct.unpack_from("<I", data, 0)
    if hlen != 68 or len(data) != 4 + 68 + 4096:
        fail("page header of %d bytes" % hlen)
    env = data[4:4 + 68]
    ver, alg, flags, res, gpa, seq = struct.unpack_from("<BBHIQQ", env, 0)
    sid, iv, tag = env[24:40], env[40:52], env[52:68]
    if (ver, alg, flags, res) != (1, 1, 0, 0):
        fail("envelope version/alg/flags/reserved %r" % ((ver, alg, flags, res),))
    if iv != struct.pack("<Q", seq) + b"\0" * 4:
        fail("iv is not the seq's")
    if sid not in keys:
        keys[sid] = session_key(k, sid)
    try:
        plain = AESGCM(keys[sid]).decrypt(iv, data[4 + 68:] + tag, env[:40])
    except InvalidTag:
        fail("record for gpa 0x%x (seq %d) does not open with this key" % (gpa, seq))
    return gpa, seq, sid, plain


def main():
    if len(sys.argv) != 2:
        fail("usage: mh-decode.py KEYFILE < ARCHIVE")
    k = open(sys.argv[1], "rb").read()
    if len(k) != 32:
        fail("the key is %d bytes, not 32" % len(k))
    tar = tarfile.open(fileobj=sys.stdin.buffer, mode="r|")
    manifest = None
    pages = {}  # seq -> gpa
    sids = set()
    keys = {}
    unmarked = []
    end = None
    for m in tar:
        body = tar.extractfile(m).read() if m.isfile() else b""
        if m.name == "sevmig/manifest.json":
            manifest = json.loads(body)
            if manifest.get("method") != "mh" or "mh" not in manifest["features"]:
                fail("not a migration helper's archive")
            continue
        if not m.name.startswith("sevmig/pages/"):
            continue
        magic, ver, nrec, _chunk, _first = struct.unpack_from("<8sIIQQ", body, 0)
        if magic != b"SEVMIGPC" or ver != 1:
            fail("bad chunk " + m.name)
        off = 32
        for _ in range(nrec):
            _idx, gpa, kind, dlen = struct.unpack_from("<QQII", body, off)
            data = body[off + 80:off + 80 + dlen]
            off += 80 + dlen
            if kind not in (5, 6):
                continue
            egpa, seq, sid, plain = open_record(k, data, keys)
            sids.add(sid)
            if kind == 6:
                if egpa != 0xFFFFFFFFFFFFFFFF:
                    fail("END names gpa 0x%x" % egpa)
                end = (seq, plain)
                continue
            if egpa != gpa:
                fail("record for gpa 0x%x sealed for 0x%x" % (gpa, egpa))
            if seq in pages:
                fail("seq %d twice" % seq)
            pages[seq] = gpa
            mark = b"sevmig-private-page gpa=0x%016x\n" % gpa
            if not plain.startswith(mark):
                unmarked.append("0x%x" % gpa)
    if manifest is None or end is None:
        fail("no manifest or no END record")
    if len(sids) != 1:
        fail("%d session ids in one stream" % len(sids))
    seq, blk = end
    if blk[:16] != b"sevmig-mh-end-v1":
        fail("END block magic")
    (count,) = struct.unpack_from("<Q", blk, 16)
    h = hashlib.sha256()
    for s in range(count):
        if s not in pages:
            fail("seq %d missing" % s)
        h.update(struct.pack("<QQ", pages[s], s))
    ok = (count == len(pages) and seq == count and blk[24:56] == h.digest()
          and blk[56:] == b"\0" * (4096 - 56))
    if not ok:
        fail("END does not match the records")
    print("opened %d" % len(pages))
    print("end count %d hash ok" % count)
    print("unmarked " + " ".join(unmarked))


if __name__ == "__main__":
    main()
