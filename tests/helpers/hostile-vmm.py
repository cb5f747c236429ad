#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A hostile VMM for tests: a proxy in front of a real VM endpoint.

hostile-vmm.py --listen SOCK --upstream SOCK [--log FILE] [RULE ...]

Every client connection to --listen gets its own connection to --upstream
(a real `sevmig-sim run`), and the two are relayed message by message, file
descriptors included (docs/sevmig-endpoint.7).  A RULE changes the reply to
one operation, as a broken or malicious VMM would:

  OP[#N]:ACTION[:ARG]     N: only the Nth reply to OP (1-based), else all

OP is a request's "op", or "load-device-state.verdict" for the verdict that
follows a load-device-state reply.  A RULE on ">OP" acts on the request
instead, before the real VMM sees it: only mute (never forward it, so no
reply comes), hangup and delay:SEC (forward it SEC seconds late: a VMM
slow to get to it).  ACTIONS:

  mute            swallow the reply and stay connected: the VMM goes silent
  hangup          close the client's connection instead of replying
  garbage         reply with a body that is not JSON
  array           reply with a JSON array, not an object
  not-reply       reply with an object that has no "ok"
  oversize        announce a 0x7fffffff-byte message, send nothing more
  empty           send a zero-length message
  truncate        send the length and half the body, then hang up
  twice           send the reply twice (the second answers nothing)
  error:CODE      {"ok":false,"error":"hostile refusal","code":CODE}
  set:PATH=JSON   set a field of the reply (PATH: dots, list indices),
                  e.g. set:memory.0.size=8388608 or set:vcpus=0
  del:PATH        remove a field
  delay:SEC       forward the reply SEC seconds late
  no-fds          drop the reply's descriptors
  fd:KIND         replace the reply's descriptors by one of KIND:
                  devnull, pipe (read end of a pipe nobody ever writes),
                  sink (write end of a pipe nobody ever reads), memfd (a
                  4 KiB memfd of zeros), many (17 of /dev/null), dup
                  (the real ones plus a copy of each)

The upstream connection closes when the client's does, so the real VMM
sees a vanished context holder exactly as it would without the proxy.
Each applied rule is logged as "OP ACTION" to --log (tests check that the
rule fired).  The proxy stops on SIGTERM or SIGINT.
"""
import argparse
import collections
import json
import os
import signal
import socket
import struct
import sys
import threading
import time

MSG_MAX = 1 << 20
FD_MAX = 16
KEEP = []  # pipe ends kept open (never written, never read)
LOG_LOCK = threading.Lock()


class Closed(Exception):
    pass


def recv_exact(sock, n, fds):
    buf = b""
    while len(buf) < n:
        data, got, _, _ = socket.recv_fds(sock, n - len(buf), FD_MAX)
        fds.extend(got)
        if not data:
            raise Closed()
        buf += data
    return buf


def recv_msg(sock):
    fds = []
    hdr = recv_exact(sock, 4, fds)
    (n,) = struct.unpack(">I", hdr)
    if n == 0 or n > MSG_MAX:
        raise Closed()
    return recv_exact(sock, n, fds), fds


def send_raw(sock, data, fds=()):
    if fds:
        socket.send_fds(sock, [data[:4]], list(fds))
        data = data[4:]
    if data:
        sock.sendall(data)


def send_msg(sock, body, fds=()):
    send_raw(sock, struct.pack(">I", len(body)) + body, fds)


def close_fds(fds):
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def set_path(obj, path, value, delete=False):
    keys = path.split(".")
    for k in keys[:-1]:
        obj = obj[int(k)] if isinstance(obj, list) else obj[k]
    last = keys[-1]
    if isinstance(obj, list):
        last = int(last)
    if delete:
        del obj[last]
    else:
        obj[last] = value


def new_fds(kind, real):
    if kind == "devnull":
        return [os.open("/dev/null", os.O_RDWR)]
    if kind == "pipe":
        r, w = os.pipe()
        KEEP.append(w)
        return [r]
    if kind == "sink":
        r, w = os.pipe()
        KEEP.append(r)
        return [w]
    if kind == "memfd":
        fd = os.memfd_create("hostile", 0)
        os.ftruncate(fd, 4096)
        return [fd]
    if kind == "many":
        return [os.open("/dev/null", os.O_RDWR) for _ in range(FD_MAX + 1)]
    if kind == "dup":
        return list(real) + [os.dup(fd) for fd in real]
    raise SystemExit("hostile-vmm: unknown fd kind '%s'" % kind)


class Rule:
    def __init__(self, text):
        head, _, rest = text.partition(":")
        self.op, _, nth = head.partition("#")
        self.nth = int(nth) if nth else 0
        self.action, _, self.arg = rest.partition(":")
        self.seen = 0
        if not self.action:
            raise SystemExit("hostile-vmm: bad rule '%s'" % text)
        self.text = text

    def matches(self, op):
        if self.op != op:
            return False
        self.seen += 1
        return self.nth == 0 or self.nth == self.seen


def log(path, line):
    if not path:
        return
    with LOG_LOCK:
        with open(path, "a") as f:
            f.write(line + "\n")


class Session:
    def __init__(self, client, args, rules):
        self.client = client
        self.args = args
        self.rules = rules
        self.ops = collections.deque()
        self.cv = threading.Condition()
        self.up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.up.connect(args.upstream)

    def close(self):
        for s in (self.client, self.up):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def requests(self):
        try:
            while True:
                body, fds = recv_msg(self.client)
                try:
                    op = json.loads(body).get("op", "?")
                except (ValueError, AttributeError):
                    op = "?"
                rule = next((r for r in self.rules if r.matches(">" + op)),
                            None)
                if rule is not None and rule.action == "delay":
                    # a VMM slow to take the request: forward it late
                    log(self.args.log, ">%s %s" % (op, rule.action))
                    time.sleep(float(rule.arg))
                elif rule is not None:
                    log(self.args.log, ">%s %s" % (op, rule.action))
                    close_fds(fds)
                    if rule.action == "hangup":
                        break
                    continue
                with self.cv:
                    self.ops.append(op)
                    self.cv.notify()
                send_msg(self.up, body, fds)
                close_fds(fds)
        except (Closed, OSError):
            pass
        self.close()

    def replies(self):
        try:
            while True:
                body, fds = recv_msg(self.up)
                with self.cv:
                    op = self.ops.popleft() if self.ops else "?"
                try:
                    rep = json.loads(body)
                except ValueError:
                    rep = None
                if (op == "load-device-state" and isinstance(rep, dict) and
                        rep.get("ok") is True):
                    with self.cv:
                        self.ops.appendleft("load-device-state.verdict")
                if not self.forward(op, body, rep, fds):
                    break
        except (Closed, OSError):
            pass
        self.close()

    def forward(self, op, body, rep, fds):
        """Send one reply, changed by the first rule for op; False: stop."""
        rule = next((r for r in self.rules if r.matches(op)), None)
        if rule is None:
            send_msg(self.client, body, fds)
            close_fds(fds)
            return True
        log(self.args.log, "%s %s" % (op, rule.action))
        a, arg = rule.action, rule.arg
        if a == "mute":
            close_fds(fds)
            return True
        if a == "hangup":
            close_fds(fds)
            return False
        if a == "garbage":
            send_msg(self.client, b"this is not json {")
        elif a == "array":
            send_msg(self.client, b"[1, 2, 3]")
        elif a == "not-reply":
            send_msg(self.client, b'{"hello": "world"}')
        elif a == "oversize":
            send_raw(self.client, struct.pack(">I", 0x7FFFFFFF), fds)
        elif a == "empty":
            send_raw(self.client, struct.pack(">I", 0), fds)
        elif a == "truncate":
            send_raw(self.client, struct.pack(">I", len(body)) +
                     body[:len(body) // 2], fds)
            close_fds(fds)
            return False
        elif a == "twice":
            send_msg(self.client, body, fds)
            send_msg(self.client, body)
        elif a == "error":
            send_msg(self.client, json.dumps(
                {"ok": False, "error": "hostile refusal",
                 "code": arg or "failed"}).encode())
        elif a in ("set", "del"):
            path, _, val = arg.partition("=")
            set_path(rep, path, None if a == "del" else json.loads(val),
                     a == "del")
            send_msg(self.client, json.dumps(rep).encode(), fds)
        elif a == "delay":
            time.sleep(float(arg))
            send_msg(self.client, body, fds)
        elif a == "no-fds":
            send_msg(self.client, body)
        elif a == "fd":
            repl = new_fds(arg, fds)
            send_msg(self.client, body, repl)
            close_fds([fd for fd in repl if fd not in fds])
        else:
            raise SystemExit("hostile-vmm: unknown action '%s'" % a)
        close_fds(fds)
        return True


def serve(args, rules):
    try:
        os.unlink(args.listen)
    except FileNotFoundError:
        pass
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = args.listen + ".tmp"
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    lsock.bind(tmp)
    os.chmod(tmp, 0o600)
    lsock.listen(8)
    os.rename(tmp, args.listen)
    while True:
        client, _ = lsock.accept()
        try:
            s = Session(client, args, rules)
        except OSError as err:
            print("hostile-vmm: upstream: %s" % err, file=sys.stderr)
            client.close()
            continue
        threading.Thread(target=s.requests, daemon=True).start()
        threading.Thread(target=s.replies, daemon=True).start()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--log")
    ap.add_argument("rules", nargs="*")
    args = ap.parse_args()
    rules = [Rule(t) for t in args.rules]
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    serve(args, rules)


if __name__ == "__main__":
    sys.exit(main())
