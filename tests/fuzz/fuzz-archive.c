// SPDX-License-Identifier: MIT
/*
 * fuzz-archive: a whole sevmig archive stream, as sevmig-import reads it
 * from a file, a pipe or ssh: the pax reader (lib/archive/archive.c, libarchive),
 * the entry order and names, the manifest, source PDH, session, shared
 * regions, every chunk and record checked against the manifest, the
 * device state and the trailer's counts and digest (lib/engine/import.c with
 * --check, so no VM and no firmware).  Then the report sevmig-import
 * writes with --report or -J (sm_report_encode), which must never fail.
 *
 * The input goes into a memfd the importer opens by its /proc path, as
 * it opens -i FILE.  Checks: failures are verification, transport or
 * unsupported-format errors with a message; a valid archive reaches the
 * end state with counts that add up and agree with the manifest; the
 * report encodes; no descriptor is left open; and no entry reads back
 * more bytes than the whole input holds (the device state is the one
 * entry read in full before the trailer can refuse it).
 */
#include "fuzz-common.h"

#include <sys/mman.h>

#include "engine/import.h"
#include "archive/manifest.h"
#include "base/util.h"

#define IMPORT_ERRS \
	(FZ(SM_EXIT_VERIFY) | FZ(SM_EXIT_IO) | FZ(SM_EXIT_UNSUPPORTED))

static int mfd = -1;
static char input[64];
static struct sm_import_result res; /* 2 KiB of manifest: off the stack */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_log_init();
	mfd = memfd_create("fuzz-archive", MFD_CLOEXEC);
	if (mfd < 0)
		fz_fail("memfd_create: %s", strerror(errno));
	snprintf(input, sizeof(input), "/proc/self/fd/%d", mfd);
	return 0;
}

static void check_result(int rc, const struct sm_err *e)
{
	const struct sm_report *r = &res.report;
	const struct sm_manifest *m = &res.manifest;
	struct sm_err e2;
	char *json = NULL;
	size_t len;

	if (rc < 0) {
		fz_check_err(e, IMPORT_ERRS, "import --check");
		if (res.state == SM_IMP_DONE)
			fz_fail("failed in state done: %s", e->msg);
		if (!r->error || strcmp(r->result, "failed"))
			fz_fail("a failure reported as '%s'", r->result);
	} else {
		if (res.state != SM_IMP_DONE || strcmp(r->result, "valid"))
			fz_fail("valid archive in state %s, result '%s'",
				sm_import_state_name(res.state), r->result);
		if (r->records != m->records ||
		    r->counts.private_pages + r->counts.shared_pages +
				    r->counts.zero_pages + r->counts.vmsas !=
			    r->records ||
		    r->counts.vmsas != (m->es ? m->vcpus : 0) ||
		    !r->have_digest)
			fz_fail("a valid archive whose counts do not add up");
	}
	if (sm_report_encode(r, &json, &len, &e2) < 0)
		fz_fail("report: %s (for '%s')", e2.msg,
			r->error ? r->error : "valid");
	if (strlen(json) != len)
		fz_fail("report of %zu bytes, said %zu", strlen(json), len);
	free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sm_import_opts o;
	struct sm_err e;
	int rc, fds0;

	fz_quiet();
	if (ftruncate(mfd, 0) < 0 || lseek(mfd, 0, SEEK_SET) < 0 ||
	    (size && sm_write_full(mfd, data, size) < 0))
		fz_fail("memfd: %s", strerror(errno));
	fds0 = fz_count_fds();
	memset(&o, 0, sizeof(o));
	o.input = input;
	o.check = 1;
	o.ack_fd = -1;
	rc = sm_import(&o, &res, &e);
	check_result(rc, &e);
	/* Read whole unless it ended early (a truncated stream). */
	if (res.report.device_state_size > size &&
	    (rc == 0 || e.code != SM_EXIT_IO))
		fz_fail("a device state of %llu bytes read from %zu",
			(unsigned long long)res.report.device_state_size, size);
	if (fz_count_fds() != fds0)
		fz_fail("%d descriptors leaked", fz_count_fds() - fds0);
	fz_loud();
	return 0;
}
