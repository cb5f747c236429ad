#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A scripted QMP peer on a unix socket (tests).

qmp-peer.py --socket PATH [--mode MODE] [--pdh F --chain F [--id-hex H]]

Serves one client at a time, forever (until killed).  It sends the QMP
greeting, accepts qmp_capabilities, and answers query-sev-capabilities
according to MODE:
  ok              pdh, cert-chain (base64 of the files), cpu0-id (when
                  --id-hex is given), cbitpos 51, reduced-phys-bits 1;
                  an event is sent before the answer
  error           {"error": {"class": "GenericError",
                             "desc": "SEV feature is not available"}}
  silent          never answer query-sev-capabilities
  silent-greeting never send the greeting
  close           close the connection instead of answering
  garbage         answer with a line that is not JSON
  bad-pdh         pdh of 100 bytes
  no-chain        no cert-chain member
Other commands get CommandNotFound, as from QEMU.
"""
import argparse
import base64
import json
import os
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--mode", default="ok")
    ap.add_argument("--pdh")
    ap.add_argument("--chain")
    ap.add_argument("--id-hex")
    args = ap.parse_args()

    def b64file(p):
        with open(p, "rb") as f:
            return base64.b64encode(f.read()).decode()

    if os.path.exists(args.socket):
        os.unlink(args.socket)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = args.socket + ".tmp"
    if os.path.exists(tmp):
        os.unlink(tmp)
    srv.bind(tmp)
    srv.listen(4)
    os.rename(tmp, args.socket)

    def send(c, obj):
        c.sendall((json.dumps(obj) + "\r\n").encode())

    def answer(c, req):
        cmd = req.get("execute")
        rid = req.get("id")

        def reply(obj):
            if rid is not None:
                obj["id"] = rid
            send(c, obj)

        if cmd == "qmp_capabilities":
            reply({"return": {}})
            return True
        if cmd != "query-sev-capabilities":
            reply({"error": {"class": "CommandNotFound",
                             "desc": "The command %s has not been found" % cmd}})
            return True
        m = args.mode
        if m == "silent":
            time.sleep(3600)
        if m == "close":
            return False
        if m == "garbage":
            c.sendall(b"this is not json\r\n")
            return True
        if m == "error":
            reply({"error": {"class": "GenericError",
                             "desc": "SEV feature is not available"}})
            return True
        ret = {"cbitpos": 51, "reduced-phys-bits": 1}
        ret["pdh"] = b64file(args.pdh)
        if m != "no-chain":
            ret["cert-chain"] = b64file(args.chain)
        if m == "bad-pdh":
            ret["pdh"] = base64.b64encode(b"\1" * 100).decode()
        if args.id_hex:
            ret["cpu0-id"] = base64.b64encode(bytes.fromhex(args.id_hex)).decode()
        send(c, {"event": "RESUME", "data": {},
                 "timestamp": {"seconds": 0, "microseconds": 0}})
        reply({"return": ret})
        return True

    while True:
        c, _ = srv.accept()
        try:
            if args.mode == "silent-greeting":
                time.sleep(3600)
            send(c, {"QMP": {"version": {"qemu": {"micro": 0, "minor": 2,
                                                  "major": 7},
                                         "package": "qmp-peer"},
                             "capabilities": ["oob"]}})
            buf = b""
            alive = True
            while alive:
                data = c.recv(65536)
                if not data:
                    break
                buf += data
                while b"\n" in buf and alive:
                    line, buf = buf.split(b"\n", 1)
                    if line.strip():
                        alive = answer(c, json.loads(line))
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
