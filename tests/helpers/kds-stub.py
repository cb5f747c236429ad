#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A scripted stand-in for AMD's KDS, on 127.0.0.1 only (tests).

kds-stub.py --port-file F [--cek FILE] [--log F] [--script STEP,STEP,...]

Answers GET /cek/id/<hex> with one scripted step per request, in order; the
last step repeats.  Steps:
  ok          200, the bytes of --cek
  CODE        that HTTP status (400, 404, 429, 500, 503, ...), empty body
  CODE:N      the same plus "Retry-After: N"
  hang        read the request, never answer (until killed)
  big         200 with 100000 bytes
  short       200 with the first 100 bytes of --cek
  garbage     200 with as many pseudo-random bytes as --cek has
  html        200 with an HTML error page (a captive portal, a CDN)
  cut         200 announcing all of --cek but sending half, then closing
Any other path is 404.  The port (chosen by the kernel) is written to
--port-file once the server listens; each request line is appended to
--log as "METHOD PATH" so tests can count requests and check the id.
"""
import argparse
import http.server
import os
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--cek")
    ap.add_argument("--log")
    ap.add_argument("--script", default="ok")
    args = ap.parse_args()

    steps = args.script.split(",")
    lock = threading.Lock()
    state = {"n": 0}
    cek = b""
    if args.cek:
        with open(args.cek, "rb") as f:
            cek = f.read()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def send(self, code, body=b"", headers=()):
            self.send_response(code)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def do_GET(self):
            with lock:
                i = state["n"]
                state["n"] += 1
                if args.log:
                    with open(args.log, "a") as f:
                        f.write("GET %s\n" % self.path)
            step = steps[min(i, len(steps) - 1)]
            if not self.path.startswith("/cek/id/"):
                self.send(404)
                return
            if step == "ok":
                self.send(200, cek,
                          [("Content-Type", "application/octet-stream")])
            elif step == "hang":
                while True:
                    time.sleep(3600)
            elif step == "big":
                self.send(200, b"\0" * 100000)
            elif step == "short":
                self.send(200, cek[:100])
            elif step == "garbage":
                rnd = bytes((i * 193 + 71) % 256 for i in range(len(cek)))
                self.send(200, rnd)
            elif step == "html":
                self.send(200, b"<html><body><h1>Service Unavailable</h1>"
                          b"</body></html>\n",
                          [("Content-Type", "text/html")])
            elif step == "cut":
                self.send_response(200)
                self.send_header("Content-Length", str(len(cek)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(cek[:len(cek) // 2])
                self.wfile.flush()
                self.close_connection = True
            else:
                code, _, ra = step.partition(":")
                hdrs = [("Retry-After", ra)] if ra else []
                self.send(int(code), b"", hdrs)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
