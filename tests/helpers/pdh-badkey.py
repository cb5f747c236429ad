#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pdh-badkey.py MODE PDH_IN PEK_KEY PDH_OUT

Replace the public key of a SEV PDH certificate with one that is not a
valid P-384 point, then sign it again with the platform's real PEK key
(PEM, as sevmig-sim platform init writes pek.key), so that the PEK's
signature on it is genuine and only the key itself is wrong.

MODE:
  off-curve  the real key with the last bit of Qy flipped
  infinity   Qx = Qy = 0 (the point at infinity has no affine form)
  big-x      Qx = p, the field prime (a coordinate >= p)

Uses the openssl command for the signature and only the standard
library otherwise.  Offsets: sevmig-certs.1 and the AMD SEV API spec
(appendix C): Qx at 0x14, Qy at 0x5c, each 72 bytes little-endian;
signature slots at 0x414 + i * 0x208 (usage, algo, then R and S of 72
bytes each, little-endian); the signed body is the first 0x414 bytes.
"""
import subprocess
import sys

P384 = 2**384 - 2**128 - 2**96 + 2**32 - 1  # the field prime
QX, QY, COORD = 0x14, 0x5C, 72
BODY = 0x414
PEK_USAGE = 0x1002


def le(n, size):
    return n.to_bytes(size, "little")


def der_ints(sig):
    """r and s from a DER ECDSA-Sig-Value (SEQUENCE of two INTEGERs)."""
    def length(b, i):
        n = b[i]
        if n < 0x80:
            return n, i + 1
        k = n & 0x7F
        return int.from_bytes(b[i + 1:i + 1 + k], "big"), i + 1 + k

    assert sig[0] == 0x30
    _, i = length(sig, 1)
    out = []
    for _ in range(2):
        assert sig[i] == 0x02
        n, i = length(sig, i + 1)
        out.append(int.from_bytes(sig[i:i + n], "big"))
        i += n
    return out


def main():
    mode, pdh_in, key, pdh_out = sys.argv[1:5]
    c = bytearray(open(pdh_in, "rb").read())
    if mode == "off-curve":
        c[QY] ^= 1
    elif mode == "infinity":
        c[QX:QX + COORD] = bytes(COORD)
        c[QY:QY + COORD] = bytes(COORD)
    elif mode == "big-x":
        c[QX:QX + COORD] = le(P384, COORD)
    else:
        sys.exit("unknown mode " + mode)
    der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
                         input=bytes(c[:BODY]), capture_output=True,
                         check=True).stdout
    r, s = der_ints(der)
    for slot in range(2):
        off = 0x414 + slot * 0x208
        if int.from_bytes(c[off:off + 4], "little") == PEK_USAGE:
            sig = off + 8
            c[sig:sig + 0x200] = bytes(0x200)
            c[sig:sig + COORD] = le(r, COORD)
            c[sig + COORD:sig + 2 * COORD] = le(s, COORD)
            break
    else:
        sys.exit("no PEK signature slot in " + pdh_in)
    open(pdh_out, "wb").write(c)


main()
