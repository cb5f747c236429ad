#!/usr/bin/env bats
# sevmig-owner measure and secret: every expected value of
# ../shared/testdata/sevctl-vectors/README.md (read where the files lie),
# and the bad inputs, each with its exit code and message.

load helpers
bats_require_minimum_version 1.8.0

setup() {
	VEC=${SEVMIG_SEVCTL_VECTORS:-$SEVMIG_ROOT/../shared/testdata/sevctl-vectors}
	[ -f "$VEC/README.md" ] || skip "sevctl vectors not found at '$VEC'"
	FW=$VEC/OVMF.amdsev.fd_trimmed_edk2-ovmf-20220126gitbb1bba3d77-4.el9
	M=(--api-major 0x01 --api-minor 40 --build-id 40 --policy 0x03
		--tik "$VEC/measurement/tik1.bin" --nonce wxP6tRHCFrFQWxsuqZA8QA==)
	ES_BLOB=/o0nzDKE5XgtVnUZWPhUea/WZYrTKLExR7KCwuMdbActvpWfXTFk21KMZIAAhQny
	ES=(--api-major 1 --api-minor 49 --build-id 6 --policy 0x05
		--tik "$VEC/measurement/tik1.bin" --firmware "$FW" --num-cpus 4
		--vmsa-cpu0 "$VEC/vmsa0.bin" --vmsa-cpu1 "$VEC/vmsa1.bin")
	S=$VEC/secret
	SEC_BLOB=TLeA7607lZQntLjRY1/i+sbtdSZ+75zxpz4Px9hzpBLwItF5Q2o4prA++3ZZv9ZS
	SEC=(--tik "$S/tik1.bin" --tek "$S/tek1.bin" --launch-measure-blob "$SEC_BLOB")
	IV=(--iv rFR07U3TLH2YnsUj2SVZ7A==)
	cd "$BATS_TEST_TMPDIR" || return 1
}

@test "owner: --help lists measure, secret, policy and session" {
	run -0 --separate-stderr sevmig-owner --help
	assert_line " sevmig-owner measure [options] --tik FILE"
	assert_line " sevmig-owner policy [-J] POLICY"
	assert_line " sevmig-owner session [-J] [--policy P] [--tek FILE --tik FILE] [--ark FILE] [-o DIR] BUNDLE"
	assert_line --partial " sevmig-owner secret [-J] --tik FILE"
	[ -z "$stderr" ]
}

@test "owner: no command or an unknown one is a usage error" {
	run -2 --separate-stderr sevmig-owner
	assert_equal "$stderr" "sevmig-owner: no command given
Try 'sevmig-owner --help' for more information."
	run -2 --separate-stderr sevmig-owner frob
	assert_equal "$stderr" "sevmig-owner: unknown command 'frob' (commands: measure secret policy session)
Try 'sevmig-owner --help' for more information."
	run -2 --separate-stderr sevmig-owner measure --bogus
	assert_equal "${stderr_lines[1]}" "Try 'sevmig-owner measure --help' for more information."
}

@test "owner measure: a launch digest gives sevctl's blob" {
	run -0 --separate-stderr sevmig-owner measure "${M[@]}" \
		--launch-digest xkvRAfyaSizgonxAjZIAkR8TmolUabBKQKb6KJCDDSM=
	assert_output lswbxWxI9gckya16JQvdFtpYmNO4b+3inAPpqsgoBI7DE/q1EcIWsVBbGy6pkDxA
	[ -z "$stderr" ]
}

@test "owner measure: the OVMF image gives sevctl's blob" {
	run -0 --separate-stderr sevmig-owner measure "${M[@]}" --firmware "$FW"
	assert_output oMDewIouJSpbpNRHj7Mk3p08H2dPZQdsZMU14qIymBnDE/q1EcIWsVBbGy6pkDxA
}

@test "owner measure: kernel, initrd and cmdline go in OVMF's hashes table" {
	run -0 --separate-stderr sevmig-owner measure "${M[@]}" --firmware "$FW" \
		--kernel "$VEC/measurement/vmlinuz-fake" --initrd "$VEC/measurement/initrd-fake" \
		--cmdline 'foo bar baz fake kernel=cmdline'
	assert_output h3auYbWQnVW7EGLWN4Hf9SN0oEYMPU2sK4bLnefWPwvDE/q1EcIWsVBbGy6pkDxA
}

@test "owner measure: SEV-ES with the firmware's blob matches and exits 0" {
	run -0 --separate-stderr sevmig-owner measure "${ES[@]}" --launch-measure-blob "$ES_BLOB"
	assert_output "$ES_BLOB"
	[ -z "$stderr" ]
	run -0 --separate-stderr sevmig-owner measure -J "${ES[@]}" --launch-measure-blob "$ES_BLOB"
	run -0 jq -r '[.schema, .blob, .match, .policy] | @tsv' <<<"$output"
	assert_output "sevmig-owner-measure/1	$ES_BLOB	true	0x5"
}

@test "owner measure: a blob for another TIK exits 3" {
	head -c 16 /dev/zero >tik0.bin
	run -3 --separate-stderr sevmig-owner measure "${ES[@]}" --tik tik0.bin \
		--launch-measure-blob "$ES_BLOB"
	assert_equal "$stderr" "sevmig-owner: the launch measurement does not match: another TIK, nonce, platform, policy or image"
}

@test "owner measure: a blob for another nonce exits 3" {
	local other
	other=$(base64 -d <<<"$ES_BLOB" | head -c 47 | { cat; printf 'x'; } | base64 -w0)
	run -3 --separate-stderr sevmig-owner measure "${ES[@]}" --launch-measure-blob "$other"
	assert_equal "$stderr" "sevmig-owner: the launch measurement does not match: another TIK, nonce, platform, policy or image"
	# the expected blob for that nonce is still printed
	[ "${output: -20}" = "${other: -20}" ]
}

@test "owner measure: a TIK of the wrong size exits 2" {
	head -c 17 /dev/zero >tik17.bin
	run -2 --separate-stderr sevmig-owner measure "${M[@]}" --tik tik17.bin --firmware "$FW"
	assert_equal "$stderr" "sevmig-owner: --tik 'tik17.bin' is 17 bytes, not 16"
	[ -z "$output" ]
}

@test "owner measure: base64 that does not decode exits 2" {
	run -2 --separate-stderr sevmig-owner measure "${M[@]}" --nonce 'not*base64' --firmware "$FW"
	assert_equal "$stderr" "sevmig-owner: --nonce: 'not*base64' is not base64"
	run -2 --separate-stderr sevmig-owner measure "${ES[@]}" --launch-measure-blob AAAA
	assert_equal "$stderr" "sevmig-owner: --launch-measure-blob: 'AAAA' decodes to 3 bytes, not 48"
}

@test "owner measure: missing or conflicting inputs are usage errors" {
	run -2 --separate-stderr sevmig-owner measure "${M[@]}"
	assert_equal "$stderr" "sevmig-owner: one of --launch-digest or --firmware is needed"
	run -2 --separate-stderr sevmig-owner measure --policy 5 --firmware "$FW"
	assert_equal "$stderr" "sevmig-owner: --api-major is needed
Try 'sevmig-owner measure --help' for more information."
	run -2 --separate-stderr sevmig-owner measure "${ES[@]}" --num-cpus 0 --nonce wxP6tRHCFrFQWxsuqZA8QA==
	assert_equal "${stderr_lines[0]}" "sevmig-owner: --num-cpus: at least 1 vCPU"
	run -2 --separate-stderr sevmig-owner measure "${M[@]}" --firmware "$FW" --kernel "$FW"
	assert_equal "$stderr" "sevmig-owner: --kernel, --initrd and --cmdline go together"
	run -2 --separate-stderr sevmig-owner measure "${M[@]}" --launch-measure-blob "$ES_BLOB" --firmware "$FW"
	assert_equal "${stderr_lines[0]}" "sevmig-owner: --nonce and --launch-measure-blob exclude each other"
	run -2 --separate-stderr sevmig-owner measure "${M[@]}" --launch-digest xkvRAfyaSizgonxAjZIAkR8TmolUabBKQKb6KJCDDSM= --firmware "$FW"
	assert_equal "$stderr" "sevmig-owner: --launch-digest excludes --firmware, --kernel, --initrd, --cmdline and the VMSAs"
}

@test "owner measure: --kernel needs a firmware with a SEV hashes table area" {
	run -6 --separate-stderr sevmig-owner measure "${M[@]}" --firmware "$VEC/vmsa0.bin" \
		--kernel "$VEC/measurement/vmlinuz-fake" --initrd "$VEC/measurement/initrd-fake" --cmdline x
	assert_equal "$stderr" "sevmig-owner: firmware '$VEC/vmsa0.bin' cannot take --kernel: no OVMF table footer (GUID 96b582de-1fb2-45f7-baea-a366c55a082d) 0x30 bytes before the image's end"
}

@test "owner secret: one secret gives sevctl's header and payload" {
	run -0 --separate-stderr sevmig-owner secret "${SEC[@]}" "${IV[@]}" \
		--secret "736869e5-84f0-4973-92ec-06879ce3da0b:$S/secret1.txt" h.bin p.bin
	[ -z "$output" ] && [ -z "$stderr" ]
	assert_equal "$(base64 -w0 h.bin)" AAAAAKxUdO1N0yx9mJ7FI9klWey8FSzeYQ4X8K71VzNKLU/KQsIsQxLjtbhaPUewqshX5Q==
	assert_equal "$(base64 -w0 p.bin)" 0U3e5PcXv0UW+H4tSBFKOdCYfKE1+j38Bc2fuO16mYiyI+sWx7INfn+lgYj56GL12yyinDa+lVfCCwD/2w5cPA==
	assert_equal "$(stat -c %a h.bin p.bin)" "600
600"
}

@test "owner secret: -J reports the files, sizes, MEASURE and GUIDs, never the keys" {
	run -0 --separate-stderr sevmig-owner secret -J "${SEC[@]}" "${IV[@]}" \
		--secret "736869e5-84f0-4973-92ec-06879ce3da0b:$S/secret1.txt" \
		--secret "736869E5-AAAA-4973-92ec-06879ce3da0b:$S/secret2.txt" h.bin p.bin
	[ -z "$stderr" ]
	local measure
	measure=$(base64 -d <<<"$SEC_BLOB" | head -c 32 | base64 -w0)
	run -0 jq -r '[.schema, .header, .header_len, .payload, .payload_len, .measure, (.secrets | map(.guid + "=" + .file) | join(","))] | @tsv' <<<"$output"
	assert_output "sevmig-owner-secret/1	h.bin	52	p.bin	96	$measure	736869e5-84f0-4973-92ec-06879ce3da0b=$S/secret1.txt,736869e5-aaaa-4973-92ec-06879ce3da0b=$S/secret2.txt"
	assert_equal "$(stat -c %s p.bin)" 96
	# the same files as without -J
	assert_equal "$(base64 -w0 h.bin)" AAAAAKxUdO1N0yx9mJ7FI9klWeyZ3r0dOEKHUOhIRqzGYYvTJgdMtBPL1nK6GD9aGET7Ng==
}

@test "owner secret: -J prints nothing when the secret cannot be built" {
	head -c 16345 /dev/zero >big.bin
	run -2 --separate-stderr sevmig-owner secret -J "${SEC[@]}" \
		--secret "736869e5-84f0-4973-92ec-06879ce3da0b:big.bin" h.bin p.bin
	assert_output ''
	assert_equal "$stderr" "sevmig-owner: the secret table is 16400 bytes padded, over the 16384 bytes of OVMF's secret area"
	[ ! -e h.bin ] && [ ! -e p.bin ]
}

@test "owner secret: two secrets give sevctl's header and payload" {
	run -0 --separate-stderr sevmig-owner secret "${SEC[@]}" "${IV[@]}" \
		--secret "736869e5-84f0-4973-92ec-06879ce3da0b:$S/secret1.txt" \
		--secret "736869e5-aaaa-4973-92ec-06879ce3da0b:$S/secret2.txt" h.bin p.bin
	assert_equal "$(base64 -w0 h.bin)" AAAAAKxUdO1N0yx9mJ7FI9klWeyZ3r0dOEKHUOhIRqzGYYvTJgdMtBPL1nK6GD9aGET7Ng==
	assert_equal "$(base64 -w0 p.bin)" 0U3e5PcXv0UW+H4tSBFKObWYfKE1+j38Bc2fuO16mYiyI+sWx7INfn+lgYj56GL12yyinDa+lVfCC+WWs332lpLNUX1ZI3YK7vYgtys4X+uGxEIlkIQ90v8/w8ZFmQMe
}

@test "owner secret: 16343 and 16344 bytes fill the 16384-byte maximum" {
	local f
	for f in secret3.txt secret4.txt; do
		run -0 --separate-stderr sevmig-owner secret "${SEC[@]}" "${IV[@]}" \
			--secret "23058844-597b-42fb-8259-a0f5d9d495af:$S/$f" h.bin p.bin
		assert_equal "$(stat -c %s p.bin)" 16384
	done
}

@test "owner secret: a payload over 16 KiB exits 2 and writes nothing" {
	head -c 16345 /dev/zero >big
	run -2 --separate-stderr sevmig-owner secret "${SEC[@]}" \
		--secret "23058844-597b-42fb-8259-a0f5d9d495af:big" h.bin p.bin
	assert_equal "$stderr" "sevmig-owner: the secret table is 16400 bytes padded, over the 16384 bytes of OVMF's secret area"
	[ ! -e h.bin ] && [ ! -e p.bin ]
}

@test "owner secret: without --iv two runs differ" {
	run -0 sevmig-owner secret "${SEC[@]}" --secret "736869e5-84f0-4973-92ec-06879ce3da0b:$S/secret1.txt" h1 p1
	run -0 sevmig-owner secret "${SEC[@]}" --secret "736869e5-84f0-4973-92ec-06879ce3da0b:$S/secret1.txt" h2 p2
	run ! cmp -s h1 h2
	run ! cmp -s p1 p2
}

@test "owner secret: a GUID that does not parse exits 2" {
	run -2 --separate-stderr sevmig-owner secret "${SEC[@]}" \
		--secret "736869e5-84f0-4973-92ec-06879ce3da0g:$S/secret1.txt" h.bin p.bin
	assert_equal "$stderr" "sevmig-owner: --secret: '736869e5-84f0-4973-92ec-06879ce3da0g' is not a GUID"
	run -2 --separate-stderr sevmig-owner secret "${SEC[@]}" --secret "$S/secret1.txt" h.bin p.bin
	assert_equal "$stderr" "sevmig-owner: --secret '$S/secret1.txt' is not GUID:FILE"
}

@test "owner secret: a TEK of the wrong size exits 2" {
	head -c 15 /dev/zero >tek15.bin
	run -2 --separate-stderr sevmig-owner secret "${SEC[@]}" --tek tek15.bin \
		--secret "736869e5-84f0-4973-92ec-06879ce3da0b:$S/secret1.txt" h.bin p.bin
	assert_equal "$stderr" "sevmig-owner: --tek 'tek15.bin' is 15 bytes, not 16"
	[ ! -e h.bin ]
}

@test "owner secret: base64 that does not decode exits 2" {
	run -2 --separate-stderr sevmig-owner secret "${SEC[@]}" --iv '%%%' \
		--secret "736869e5-84f0-4973-92ec-06879ce3da0b:$S/secret1.txt" h.bin p.bin
	assert_equal "$stderr" "sevmig-owner: --iv: '%%%' is not base64"
	run -2 --separate-stderr sevmig-owner secret --tik "$S/tik1.bin" --tek "$S/tek1.bin" \
		--launch-measure-blob 'TLeA!' --secret "736869e5-84f0-4973-92ec-06879ce3da0b:$S/secret1.txt" h.bin p.bin
	assert_equal "$stderr" "sevmig-owner: --launch-measure-blob: 'TLeA!' is not base64"
}

@test "owner secret: HEADER and PAYLOAD are needed" {
	run -2 --separate-stderr sevmig-owner secret "${SEC[@]}" --secret "736869e5-84f0-4973-92ec-06879ce3da0b:$S/secret1.txt" h.bin
	assert_equal "$stderr" "sevmig-owner: HEADER and PAYLOAD are needed
Try 'sevmig-owner secret --help' for more information."
}

@test "owner policy: neither DOMAIN nor SEV lets the host redirect a PSP migration" {
	run -0 --separate-stderr sevmig-owner policy 0x3
	assert_line "policy 0x3"
	assert_line "NOSEND  clear the PSP may migrate the guest (SEND_START allowed)"
	assert_line "migration: PSP migration to any platform: with neither DOMAIN nor SEV, SEND_START checks no chain, so the host may redirect the guest to a platform (or a key) of its choosing"
	[ -z "$stderr" ]
}

@test "owner policy: NOSEND means no PSP migration" {
	run -0 sevmig-owner policy 8
	assert_line "NOSEND  set   no PSP migration: SEND_START fails (only a guest-assisted migration can move it)"
	assert_line "migration: no PSP migration (NOSEND)"
}

@test "owner policy: SEV with an API minimum, ES, and -J" {
	run -0 sevmig-owner policy 0x31010025
	assert_line "API     1.49  the target's SEV API must be at least 1.49"
	assert_line --partial "ES      set   SEV-ES: register state is encrypted"
	assert_line "migration: PSP migration only to a genuine AMD platform (SEV)"
	run -0 --separate-stderr sevmig-owner policy -J 0x31010025
	run -0 jq -r '[.schema, .policy, .api_major, .api_minor, .psp_migration, .host_may_redirect, (.flags | map(select(.set).name) | join(","))] | @tsv' <<<"$output"
	assert_output "sevmig-owner-policy/1	0x31010025	1	49	true	false	NODBG,ES,SEV"
}

@test "owner policy: a policy that is not a 32-bit number exits 2" {
	run -2 --separate-stderr sevmig-owner policy 0x100000000
	assert_equal "$stderr" "sevmig-owner: POLICY: '0x100000000' is not a number from 0 to 4294967295
Try 'sevmig-owner policy --help' for more information."
	run -2 --separate-stderr sevmig-owner policy
	assert_equal "${stderr_lines[0]}" "sevmig-owner: one POLICY is needed"
}

@test "owner session: a verified simulated host gets sevctl's four files" {
	load sim-platform
	sim_platform host-a >/dev/null
	sevmig-certs fetch sim:host-a >a.json
	head -c 16 /dev/urandom >tek.bin
	head -c 16 /dev/urandom >tik.bin
	run -0 --separate-stderr sevmig-owner session --policy 0x5 --tek tek.bin --tik tik.bin \
		--ark host-a/ark.cert -o launch a.json
	assert_equal "$output" "platform chain verified up to the ARK in 'host-a/ark.cert' (--ark)
policy 0x5
launch/vm_godh.b64
launch/vm_session.b64
launch/vm_tek.bin
launch/vm_tik.bin"
	[ -z "$stderr" ]
	cmp tek.bin launch/vm_tek.bin
	cmp tik.bin launch/vm_tik.bin
	assert_equal "$(stat -c %a launch/vm_tek.bin launch/vm_tik.bin)" "600
600"
	assert_equal "$(base64 -d launch/vm_godh.b64 | wc -c)" 2084
	assert_equal "$(base64 -d launch/vm_session.b64 | wc -c)" 128
	# the GODH is a PDH-usage ECDH certificate the firmware accepts
	base64 -d launch/vm_godh.b64 >godh.cert
	run -0 --separate-stderr sevmig-certs show -J godh.cert
	run -0 jq -r '.files[0].certificates[0] | [.usage, .algorithm, .key.curve] | @tsv' <<<"$output"
	assert_output "PDH	ECDH_SHA256	P-384"
	# without --tek/--tik the keys are random and differ per session
	run -0 sevmig-owner session -q --ark host-a/ark.cert -o l2 a.json
	[ -z "$output" ]
	run ! cmp -s launch/vm_tek.bin l2/vm_tek.bin
}

@test "owner session: -J names the root and the four files, never the keys" {
	load sim-platform
	sim_platform host-a >/dev/null
	sevmig-certs fetch sim:host-a >a.json
	run -0 --separate-stderr sevmig-owner session -J --policy 0x5 --ark host-a/ark.cert -o launch a.json
	[ -z "$stderr" ]
	local json=$output
	run -0 jq -r '[.schema, .policy, (.product | tostring), .ark, .verified, .files.godh, .files.session, .files.tek, .files.tik] | @tsv' <<<"$json"
	assert_output "sevmig-owner-session/1	0x5	null	host-a/ark.cert	true	launch/vm_godh.b64	launch/vm_session.b64	launch/vm_tek.bin	launch/vm_tik.bin"
	run -0 jq -r 'keys | join(",")' <<<"$json"
	assert_output "ark,files,policy,product,schema,verified"
	# -q silences the text report, not the JSON one asked for
	run -0 --separate-stderr sevmig-owner session -J -q --ark host-a/ark.cert -o l2 a.json
	run -0 jq -r '.ark, .files.tik' <<<"$output"
	assert_output "host-a/ark.cert
l2/vm_tik.bin"
}

@test "owner session: -J prints nothing when the chain does not verify" {
	load sim-platform
	sim_platform host-a >/dev/null
	sevmig-certs fetch sim:host-a >a.json
	run -3 --separate-stderr sevmig-owner session -J -o out a.json
	assert_output ''
	assert_equal "$stderr" "sevmig-owner: certificate chain verification failed: ARK is trusted: no trusted root: the product is unknown (name it with --product, or give --ark)"
}

@test "owner session: a chain that does not verify exits 3 and writes nothing" {
	load sim-platform
	sim_platform host-a >/dev/null
	sevmig-certs fetch sim:host-a >a.json
	run -3 --separate-stderr sevmig-owner session -o out a.json
	assert_equal "$stderr" "sevmig-owner: certificate chain verification failed: ARK is trusted: no trusted root: the product is unknown (name it with --product, or give --ark)"
	[ ! -e out ]
}

@test "owner session: wrong key sizes and a lone --tek are usage errors" {
	head -c 15 /dev/zero >tek15.bin
	head -c 16 /dev/zero >tik.bin
	run -2 --separate-stderr sevmig-owner session --tek tek15.bin --tik tik.bin a.json
	assert_equal "$stderr" "sevmig-owner: --tek 'tek15.bin' is 15 bytes, not 16"
	run -2 --separate-stderr sevmig-owner session --tek tik.bin a.json
	assert_equal "$stderr" "sevmig-owner: --tek and --tik go together
Try 'sevmig-owner session --help' for more information."
}
