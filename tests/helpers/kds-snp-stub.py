#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A stand-in for AMD's KDS SEV-SNP paths, on 127.0.0.1 only (tests).

kds-snp-stub.py --port-file F --log F [--serve PATH=FILE]... [--script STEP,...]
(PATH=FILE splits at the last "=": a query string has its own)

Answers GET requests whose path and query string equal one of the --serve
PATHs exactly (as AMD's KDS spells them, e.g.
/vcek/v1/Milan/<hex>?blSPL=2&teeSPL=0&snpSPL=5&ucodeSPL=68) with the bytes
of FILE; anything else is 404.  One scripted step per request, in order,
the last one repeating:
  ok          the exact-path answer above
  CODE        that HTTP status, empty body
  CODE:N      the same plus "Retry-After: N"
  html        200 with an HTML page (a captive portal, a CDN)
The port (chosen by the kernel) is written to --port-file once the server
listens; each request is appended to --log as "GET PATH".
"""
import argparse
import http.server
import os
import sys
import threading


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--serve", action="append", default=[])
    ap.add_argument("--script", default="ok")
    args = ap.parse_args()

    served = {}
    for s in args.serve:
        path, _, f = s.rpartition("=")
        with open(f, "rb") as fh:
            served[path] = fh.read()
    steps = args.script.split(",")
    lock = threading.Lock()
    state = {"n": 0}

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
                with open(args.log, "a") as f:
                    f.write("GET %s\n" % self.path)
            step = steps[min(i, len(steps) - 1)]
            if step == "ok":
                if self.path in served:
                    self.send(200, served[self.path],
                              [("Content-Type", "application/octet-stream")])
                else:
                    self.send(404)
            elif step == "html":
                self.send(200, b"<html><body><h1>Service Unavailable</h1>"
                          b"</body></html>\n",
                          [("Content-Type", "text/html")])
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
