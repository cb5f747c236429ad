// SPDX-License-Identifier: MIT
/* TEMPORARY stand-in for the fw engineer's platform.c; delete on merge. */
#ifdef SEVMIG_SIM_UNITY
#include "fw-sim.h"

const char cmd_platform_synopsis[] = " sevmig-sim platform init DIR\n";

int cmd_platform(int argc, char **argv)
{
	struct sm_err e;

	/* Options (--ark-bits N, ...) are accepted and ignored. */
	if (argc < 3 || strcmp(argv[1], "init"))
		return sim_try_help("platform");
	if (sm_fw_sim_platform_init(argv[argc - 1], NULL, &e))
		return sm_cli_report(&e);
	return 0;
}
#endif /* SEVMIG_SIM_UNITY */
