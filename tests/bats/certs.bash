# Helpers for tests/bats/10-certs-*.bats.
# shellcheck shell=bash

PRODUCTS=(naples rome milan genoa turin)

# chain_dir PRODUCT DEST [roots]: DEST/{pdh,pek,oca,cek}.cert of the real
# tests-PRODUCT chain, plus the built-in ask.cert/ark.cert with "roots".
chain_dir() {
	mkdir -p "$2"
	cp "$VIRTEE/tests-$1/"{pdh,pek,oca,cek}.cert "$2/"
	if [ "${3:-}" = roots ]; then
		cp "$VIRTEE/builtin-$1/"{ask,ark}.cert "$2/"
	fi
}

# flip_byte FILE OFFSET: xor the byte at OFFSET (decimal or 0x..) with 1.
flip_byte() {
	python3 - "$1" "$2" <<'PY'
import sys
p, off = sys.argv[1], int(sys.argv[2], 0)
b = bytearray(open(p, 'rb').read())
b[off] ^= 1
open(p, 'wb').write(bytes(b))
PY
}

# make_bundle DIR OUT [PRODUCT]: a sevmig-certs/1 bundle of DIR/*.cert.
make_bundle() {
	python3 - "$@" <<'PY'
import base64, json, os, sys
d, out = sys.argv[1], sys.argv[2]
doc = {"schema": "sevmig-certs/1", "source": "test"}
if len(sys.argv) > 3:
    doc["product"] = sys.argv[3]
for k in ("pdh", "pek", "oca", "cek", "ask", "ark"):
    f = os.path.join(d, k + ".cert")
    if os.path.exists(f):
        doc[k] = base64.b64encode(open(f, "rb").read()).decode()
json.dump(doc, open(out, "w"), indent=2, sort_keys=True)
PY
}

# json_get FILE EXPR: print a Python expression over the parsed JSON `d`.
json_get() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
