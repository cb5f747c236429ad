#!/usr/bin/env bats
# sevmig-certs fetch snp-target:SOCK (and over ssh) and snp-target verify:
# an incoming SEV-SNP guest's target bundle (docs/sevmig-snp.7 TARGET
# BUNDLE).  The VM is tests/helpers/snp-target-vmm, a scripted incoming
# SNP VMM that signs with a simulated host's SNP identity and can break
# what it serves; each refusal is checked with its exit code and message.

load helpers
load sshd
bats_require_minimum_version 1.8.0

setup_file() {
	A=$BATS_FILE_TMPDIR/a
	B=$BATS_FILE_TMPDIR/b
	sevmig-sim platform init --ark-bits 2048 "$A" >/dev/null
	sevmig-sim platform init --ark-from "$A" "$B" >/dev/null
}

setup() {
	A=$BATS_FILE_TMPDIR/a
	B=$BATS_FILE_TMPDIR/b
	T=$BATS_TEST_TMPDIR
}

teardown() {
	local p
	sshd_stop
	[ -f "$T/pids" ] || return 0
	while read -r p; do kill "$p" 2>/dev/null || true; done <"$T/pids"
	while read -r p; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done <"$T/pids"
}

# vmm NAME [snp-target-vmm options]: serve $T/NAME.sock for host $A.
vmm() {
	local name=$1
	shift
	snp-target-vmm "$@" "$T/$name.sock" "$A" >"$T/$name.log" 2>&1 3>&- &
	echo $! >>"$T/pids"
	wait_for_path "$T/$name.sock" 10
}

# A fetched, verified bundle in $T/t.json.
good_bundle() {
	vmm t
	sevmig-certs fetch --ark "$A/snp-ark.pem" -o "$T/t.json" "snp-target:$T/t.sock"
}

# edit KEY VALUE: $T/t.json with one field replaced, into $T/e.json.
edit() {
	jq --arg v "$2" ".$1 = \$v" "$T/t.json" >"$T/e.json"
}

@test "fetch snp-target: prints a verified bundle that snp-target verify accepts" {
	vmm t
	run -0 --separate-stderr sevmig-certs fetch --ark "$A/snp-ark.pem" "snp-target:$T/t.sock"
	assert_equal "$stderr" ""
	printf '%s\n' "$output" >"$T/t.json"
	run -0 jq -r '.schema, .source, .host, .product, .policy, .reported_tcb, (.public_key | length), (.nonce | length)' "$T/t.json"
	assert_output "sevmig-snp-target/1
snp-target:$T/t.sock
sim:$A
milan
0x30000
bl=3 tee=0 snp=8 ucode=115
194
64"
	run -0 --separate-stderr sevmig-certs snp-target verify --ark "$A/snp-ark.pem" \
		--expect-measurement "$(printf '11%.0s' {1..48})" --expect-policy 0x30000 \
		--min-tcb bl=3,snp=8 "$T/t.json"
	assert_equal "$stderr" ""
	assert_line "ok    ARK is trusted: the ARK from the bundle's cert_chain has the key of the ARK --ark names ('$A/snp-ark.pem')"
	assert_line "ok    public key: 0x04 || x || y, a point on P-384"
	assert_line "ok    key binding: REPORT_DATA is SHA-512(x || y || nonce)"
	assert_line "ok    measurement: 1111111111111111..., expected 1111111111111111..."
	refute_line --partial "FAIL"
	run -0 sevmig-certs snp-target verify -J --ark "$A/snp-ark.pem" "$T/t.json"
	run -0 jq -r '.schema, .ok' <<<"$output"
	assert_output "sevmig-certs-report-verify/1
true"
	# the VM's own simulated host's ARK, as the ssh remote trusts it
	run -0 --separate-stderr sevmig-certs fetch --ark-from-vm -o "$T/t2.json" "snp-target:$T/t.sock"
	assert_equal "$stderr" ""
}

@test "fetch snp-target: without --ark, AMD's roots reject the simulated chain and the error names the --ark" {
	vmm t
	run -3 --separate-stderr sevmig-certs fetch -o "$T/out.json" "snp-target:$T/t.sock"
	assert_output ""
	assert_equal "$stderr" "sevmig-certs: target from 'snp-target:$T/t.sock' not printed: SNP target verification failed: ARK is pinned: the ARK from the bundle's cert_chain is not AMD's milan root key; the VCEK says it is a simulated host's (OU=sevmig simulator): give --ark $A/snp-ark.pem"
	[ ! -e "$T/out.json" ]
	# the same for a saved bundle
	good_bundle
	run -3 --separate-stderr sevmig-certs snp-target verify "$T/t.json"
	assert_line --partial "FAIL  ARK is pinned: "
	assert_equal "$stderr" "sevmig-certs: target bundle '$T/t.json': SNP target verification failed: ARK is pinned: the ARK from the bundle's cert_chain is not AMD's milan root key; the VCEK says it is a simulated host's (OU=sevmig simulator): give --ark $A/snp-ark.pem"
	# another host's ARK is not this one's
	sevmig-sim platform init --ark-bits 2048 "$T/c" >/dev/null
	run -3 --separate-stderr sevmig-certs snp-target verify --ark "$T/c/snp-ark.pem" "$T/t.json"
	assert_equal "$stderr" "sevmig-certs: target bundle '$T/t.json': SNP target verification failed: ARK is trusted: the ARK from the bundle's cert_chain is not the ARK --ark names ('$T/c/snp-ark.pem')"
}

@test "fetch snp-target: a target that breaks the report, the binding, the key or the chip is refused with exit 3, nothing printed" {
	local sock
	vmm binding --break binding
	vmm report --break report
	vmm pub --break pub
	vmm chip --vcek-from "$B"
	for sock in binding report pub chip; do
		run -3 --separate-stderr sevmig-certs fetch --ark "$A/snp-ark.pem" "snp-target:$T/$sock.sock"
		assert_output ""
		case $sock in
		binding) want="key binding: the report does not bind the key: REPORT_DATA is not SHA-512(x || y || nonce)" ;;
		report | chip) want="report signature: bad ECDSA P-384 signature by the VCEK" ;;
		pub) want="public key: the public key is not a point on P-384" ;;
		esac
		assert_equal "$stderr" "sevmig-certs: target from 'snp-target:$T/$sock.sock' not printed: SNP target verification failed: $want"
	done
	# the other chip's VCEK: its chip id says so too
	run -3 sevmig-certs fetch -v --ark "$A/snp-ark.pem" "snp-target:$T/chip.sock"
	assert_line --partial "FAIL chip id: the report's chip id is not the VCEK's hwID (another chip)"
}

@test "snp-target verify: an expectation the target misses fails with exit 3 and names it" {
	good_bundle
	run -3 --separate-stderr sevmig-certs snp-target verify --ark "$A/snp-ark.pem" \
		--expect-measurement "$(printf '12%.0s' {1..48})" "$T/t.json"
	assert_line "FAIL  measurement: 1111111111111111..., expected 1212121212121212..."
	assert_equal "$stderr" "sevmig-certs: target bundle '$T/t.json': SNP target verification failed: measurement: 1111111111111111..., expected 1212121212121212..."
	run -3 --separate-stderr sevmig-certs snp-target verify --ark "$A/snp-ark.pem" --expect-policy 0x30001 "$T/t.json"
	assert_equal "$stderr" "sevmig-certs: target bundle '$T/t.json': SNP target verification failed: policy: 0x30000, expected 0x30001"
	run -3 --separate-stderr sevmig-certs snp-target verify --ark "$A/snp-ark.pem" --min-tcb ucode=116 "$T/t.json"
	assert_equal "$stderr" "sevmig-certs: target bundle '$T/t.json': SNP target verification failed: minimum TCB: reported ucode=115 is below 116"
	run -3 --separate-stderr sevmig-certs snp-target verify --ark "$A/snp-ark.pem" --expect-report-id "$(printf '00%.0s' {1..32})" "$T/t.json"
	assert_equal "$stderr" "sevmig-certs: target bundle '$T/t.json': SNP target verification failed: report id: --expect-report-id"
	run -2 --separate-stderr sevmig-certs snp-target verify --expect-measurement 00 "$T/t.json"
	assert_equal "${stderr_lines[0]}" "sevmig-certs: bad --expect-measurement '00': expected 96 hex digits"
}

@test "snp-target verify: a malformed bundle is refused with exit 3 naming the field" {
	good_bundle
	local pub nonce
	pub=$(jq -r .public_key "$T/t.json")
	nonce=$(jq -r .nonce "$T/t.json")
	edit public_key "${pub:0:192}"
	run -3 --separate-stderr sevmig-certs snp-target verify --ark "$A/snp-ark.pem" "$T/e.json"
	assert_output ""
	assert_equal "$stderr" "sevmig-certs: target bundle '$T/e.json': bundle field 'public_key' is not 194 hexadecimal digits (97 bytes)"
	edit public_key "${pub:0:192}$(printf %02x $(((0x${pub:192:2}) ^ 1)))"
	run -3 --separate-stderr sevmig-certs snp-target verify --ark "$A/snp-ark.pem" "$T/e.json"
	assert_equal "$stderr" "sevmig-certs: target bundle '$T/e.json': bundle field 'public_key' is not a point on P-384"
	edit nonce "x${nonce:1}"
	run -3 --separate-stderr sevmig-certs snp-target verify --ark "$A/snp-ark.pem" "$T/e.json"
	assert_equal "$stderr" "sevmig-certs: target bundle '$T/e.json': bundle field 'nonce' is not 64 hexadecimal digits (32 bytes)"
	# another nonce, well formed: the report does not bind it
	edit nonce "$(printf '%02x' $(((0x${nonce:0:2}) ^ 1)))${nonce:2}"
	run -3 --separate-stderr sevmig-certs snp-target verify --ark "$A/snp-ark.pem" "$T/e.json"
	assert_line "FAIL  key binding: the report does not bind the key: REPORT_DATA is not SHA-512(x || y || nonce)"
	assert_equal "$stderr" "sevmig-certs: target bundle '$T/e.json': SNP target verification failed: key binding: the report does not bind the key: REPORT_DATA is not SHA-512(x || y || nonce)"
	edit policy 0x1
	run -3 --separate-stderr sevmig-certs snp-target verify --ark "$A/snp-ark.pem" "$T/e.json"
	assert_equal "$stderr" "sevmig-certs: target bundle '$T/e.json': bundle field 'policy' is '0x1' but the report says '0x30000'"
	jq '.extra = "x"' "$T/t.json" >"$T/e.json"
	run -3 --separate-stderr sevmig-certs snp-target verify --ark "$A/snp-ark.pem" "$T/e.json"
	assert_equal "$stderr" "sevmig-certs: target bundle '$T/e.json': unknown bundle field 'extra'"
	edit schema sevmig-snp-target/2
	run -6 --separate-stderr sevmig-certs snp-target verify --ark "$A/snp-ark.pem" "$T/e.json"
	assert_equal "$stderr" "sevmig-certs: target bundle '$T/e.json': unsupported bundle schema 'sevmig-snp-target/2' (this version reads 'sevmig-snp-target/1')"
	# a flipped byte of the report
	local rep
	rep=$(jq -r .report "$T/t.json")
	edit report "${rep:0:400}$(printf %02x $(((0x${rep:400:2}) ^ 1)))${rep:402}"
	run -3 --separate-stderr sevmig-certs snp-target verify --ark "$A/snp-ark.pem" "$T/e.json"
	assert_equal "$stderr" "sevmig-certs: target bundle '$T/e.json': SNP target verification failed: report signature: bad ECDSA P-384 signature by the VCEK"
}

@test "fetch snp-target: option misuse exits 2" {
	run -2 --separate-stderr sevmig-certs fetch --ark-from-vm sim:/x
	assert_equal "${stderr_lines[0]}" "sevmig-certs: --ark-from-vm is for snp-target:SOCK on the VM's own host (over ssh, name the trusted ARK with --ark)"
	run -2 --separate-stderr sevmig-certs fetch --ark-from-vm --ark x snp-target:/x
	assert_equal "${stderr_lines[0]}" "sevmig-certs: --ark and --ark-from-vm exclude each other"
	run -2 --separate-stderr sevmig-certs fetch snp-target:
	assert_equal "$stderr" "sevmig-certs: bad source 'snp-target:': no socket path"
}

@test "fetch ssh://HOST/snp-target:SOCK: the remote proves it with its host's ARK, the local side with --ark" {
	sshd_start
	export SEVMIG_REMOTE_CERTS=$SEVMIG_BUILD/bin/sevmig-certs
	vmm t
	local src="ssh://127.0.0.1:$SSHD_PORT/snp-target:$T/t.sock"
	run -0 --separate-stderr sevmig-certs fetch --ark "$A/snp-ark.pem" -o "$T/r.json" "$src"
	assert_equal "$stderr" ""
	run -0 jq -r .source "$T/r.json"
	assert_output "$src (snp-target:$T/t.sock)"
	run -0 sevmig-certs snp-target verify --ark "$A/snp-ark.pem" "$T/r.json"
	# without --ark locally: refused here, not trusted because the remote was
	run -3 --separate-stderr sevmig-certs fetch "$src"
	assert_output ""
	assert_equal "$stderr" "sevmig-certs: target from '$src' not printed: SNP target verification failed: ARK is pinned: the ARK from the bundle's cert_chain is not AMD's milan root key; the VCEK says it is a simulated host's (OU=sevmig simulator): give --ark $A/snp-ark.pem (a path on the VM's host: copy that file here)"
	# a remote target that does not bind its key: the remote refuses it
	vmm binding --break binding
	run -3 --separate-stderr sevmig-certs fetch --ark "$A/snp-ark.pem" "ssh://127.0.0.1:$SSHD_PORT/snp-target:$T/binding.sock"
	assert_equal "$stderr" "sevmig-certs: remote 'fetch' on '127.0.0.1' exited with status 3: sevmig-certs: target from 'snp-target:$T/binding.sock' not printed: SNP target verification failed: key binding: the report does not bind the key: REPORT_DATA is not SHA-512(x || y || nonce)"
}

@test "fetch snp-target: from sevmig-sim run --incoming --snp, the simulator's own SVSM" {
	sevmig-sim run --help | grep -q -- '--snp' ||
		skip "sevmig-sim run has no --snp yet (the simulated SNP guest)"
	sevmig-sim run --platform "$A" --socket "$T/sim.sock" --mem 16M \
		--incoming --snp >"$T/sim.log" 2>&1 3>&- &
	echo $! >>"$T/pids"
	local i
	for ((i = 0; i < 300; i++)); do
		sevmig-sim ctl --timeout 5 "$T/sim.sock" status >/dev/null 2>&1 && break
		sleep 0.1
	done
	run -0 --separate-stderr sevmig-certs fetch --ark "$A/snp-ark.pem" -o "$T/s.json" "snp-target:$T/sim.sock"
	assert_equal "$stderr" ""
	run -0 sevmig-certs snp-target verify --ark "$A/snp-ark.pem" "$T/s.json"
	assert_line "ok    key binding: REPORT_DATA is SHA-512(x || y || nonce)"
	run -0 jq -r .host "$T/s.json"
	assert_output "sim:$A"
	run -3 --separate-stderr sevmig-certs fetch "snp-target:$T/sim.sock"
	assert_output ""
	assert_equal "$stderr" "sevmig-certs: target from 'snp-target:$T/sim.sock' not printed: SNP target verification failed: ARK is pinned: the ARK from the bundle's cert_chain is not AMD's milan root key; the VCEK says it is a simulated host's (OU=sevmig simulator): give --ark $A/snp-ark.pem"
}
