#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check-messages.py [ROOT | -]: messages meant for users say things in
plain language (issue 18).

With ROOT (default "."): scans the format strings of every message call in
lib/ and cmd/ (sm_err_set, sm_err_errno, sm_err_prefix, sm_err_ossl,
pr_err, pr_warn, pr_info, warnings, fprintf to stderr, usage errors) and
fails, one line per breach, when one
  - names a sevmig function or identifier (sm_..., sv_..., __func__);
  - is a bare C library call name ("signalfd", "poll"), not a sentence;
  - nests quotes: a '...' span holding a "..." span, or the reverse.
With "-": reads text (a command's standard error) on stdin and applies
the same rules to every line, ignoring what a quoted path may hold.
Prints "check-messages: ok (N messages)" otherwise.
"""
import os
import re
import sys

CALLS = re.compile(
    r"\b(sm_err_set|sm_err_errno|sm_err_prefix|sm_err_ossl|pr_err|pr_warn|"
    r"pr_info|exp_warn|warn|notice|sm_cli_usage_error|sm_cli_sub_usage|"
    r"fprintf\s*\(\s*stderr)\s*\(?(.*?)\);", re.S)
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')
IDENT = re.compile(r"\b(?:sm|sv)_[a-z0-9_]+\b|__func__")
BARE_CALLS = {"signalfd", "poll", "mmap", "read", "write", "open", "ioctl",
              "fcntl", "socket", "connect", "bind", "listen", "accept",
              "pipe", "fork", "dup", "dup2", "mkstemp", "ftruncate",
              "memfd_create", "pthread_create", "sendmsg", "recvmsg",
              "epoll_wait", "eventfd", "munmap", "madvise", "mlock"}
# A single-quoted span opens after a blank, '(' or '=' (not an apostrophe
# inside a word, as in "target's") and closes before a blank, end or
# punctuation.
SQ = re.compile(r"(?:^|(?<=[\s(=]))'([^']*)'(?=$|[\s),.;:!?\]])")
DQ = re.compile(r'"([^"]*)"')


def nested(text):
    for m in SQ.finditer(text):
        if '"' in m.group(1):
            return m.group(0)
    for m in DQ.finditer(text):
        if SQ.search(m.group(1)):
            return m.group(0)
    return None


def check_text(text):
    """The breaches in one message, as strings."""
    bad = []
    m = IDENT.search(text)
    if m:
        bad.append("names the internal identifier %s" % m.group(0))
    if text.strip() in BARE_CALLS:
        bad.append("is only the C call %r: say what failed" % text.strip())
    n = nested(text)
    if n:
        bad.append("nests quotes: %s" % n)
    return bad


def scan_sources(root):
    bad, n = [], 0
    for top in ("lib", "cmd"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if not name.endswith(".c"):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                text = open(path, encoding="utf-8").read()
                for m in CALLS.finditer(text):
                    lits = LITERAL.findall(m.group(2))
                    if not lits:
                        continue
                    fmt = "".join(lits).replace('\\"', '"').replace("\\n", "")
                    n += 1
                    line = text.count("\n", 0, m.start()) + 1
                    for b in check_text(fmt):
                        bad.append("%s:%d: %s" % (rel, line, b))
    return bad, n


def scan_stream(stream):
    bad, n = [], 0
    for i, line in enumerate(stream, 1):
        line = line.rstrip("\n")
        if not line:
            continue
        n += 1
        for b in check_text(line):
            bad.append("stderr line %d: %s: %s" % (i, b, line))
    return bad, n


def main():
    arg = sys.argv[1] if len(sys.argv) > 1 else "."
    bad, n = scan_stream(sys.stdin) if arg == "-" else scan_sources(arg)
    for b in bad:
        print("check-messages: %s" % b)
    if bad:
        return 1
    print("check-messages: ok (%d messages)" % n)
    return 0


sys.exit(main())
