/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_PLATFORM_H
#define SEVMIG_PLATFORM_H

/*
 * The kind of platform a VMM runs its guests on, as the endpoint's hello
 * and the archive's manifest name it ("kvm", "sim").  The name is parsed
 * here, once, into the enum; the firmware layer picks its backend from the
 * enum (sm_fw_open_send, sm_fw_open_receive) and nothing else compares
 * the names (make check-layers).
 */

enum sm_platform {
	SM_PLATFORM_UNKNOWN = 0,
	SM_PLATFORM_SIM, /* a simulated PSP (sevmig-sim) */
	SM_PLATFORM_KVM, /* KVM with /dev/sev */
};

/* "sim" or "kvm" to the enum; SM_PLATFORM_UNKNOWN for anything else. */
enum sm_platform sm_platform_parse(const char *name);
/* The name again ("sim", "kvm"; "unknown"). */
const char *sm_platform_name(enum sm_platform p);

#endif
