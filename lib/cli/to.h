/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_CLI_TO_H
#define SEVMIG_CLI_TO_H

/*
 * sevmig-export --to ssh://[USER@]HOST[:PORT]/PATH/vm.sock: the safe path
 * as the short one.  Over that ssh the target host fetches its own chain
 * for the VM at PATH (sevmig-certs fetch vm:PATH), which is then verified
 * here as any bundle; a simulated target's own ARK is trusted (there is
 * no AMD root for it), and said so; the export runs two-way, its
 * importer "ssh ... sevmig-import --ack PATH".
 *
 * Environment: SEVMIG_SSH (the ssh command, as for fetch),
 * SEVMIG_REMOTE_CERTS and SEVMIG_REMOTE_IMPORT (the programs on the
 * target; default sevmig-certs and sevmig-import).
 */

#include <limits.h>

#include "base/err.h"

struct sm_cli_to {
	char bundle[PATH_MAX]; /* the verified-to-be bundle, a temp file */
	int sim; /* a simulated target: trust the bundle's own ARK */
	char exec[8192]; /* the --exec command */
	char source[PATH_MAX + 600]; /* what was fetched */
};

/*
 * Fetch the target's chain over ssh into a temporary file and build the
 * importer's command.  SM_EXIT_USAGE for a URL that is not
 * ssh://[USER@]HOST[:PORT]/PATH or holds characters a remote shell would
 * read; fetch's errors otherwise.
 */
int sm_cli_to_prepare(const char *url, struct sm_cli_to *t, struct sm_err *e);
/* Remove the temporary bundle. */
void sm_cli_to_cleanup(struct sm_cli_to *t);

#endif
