// SPDX-License-Identifier: MIT
/* Platform names to the enum and back: the one place they are compared. */
#include "base/platform.h"

#include <string.h>

enum sm_platform sm_platform_parse(const char *name)
{
	if (!name)
		return SM_PLATFORM_UNKNOWN;
	if (!strcmp(name, "sim"))
		return SM_PLATFORM_SIM;
	if (!strcmp(name, "kvm"))
		return SM_PLATFORM_KVM;
	return SM_PLATFORM_UNKNOWN;
}

const char *sm_platform_name(enum sm_platform p)
{
	switch (p) {
	case SM_PLATFORM_SIM:
		return "sim";
	case SM_PLATFORM_KVM:
		return "kvm";
	default:
		return "unknown";
	}
}
