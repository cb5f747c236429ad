// SPDX-License-Identifier: MIT
/*
 * fuzz-sim-devstate: the device state an incoming simulated VMM
 * (sevmig-sim run --incoming, lib/sim/sim-vmm.c) loads.  It comes from the
 * archive, carried unchanged by sevmig-import, so whoever wrote the
 * archive chooses it; the VMM must validate it (sevmig-endpoint(7)).
 *
 * One incoming VMM is made at start-up on a simulated host in a private
 * temporary directory: 8 KiB of RAM, two vCPUs, SEV-ES, as the es archive
 * seed's source guest.  Each input is loaded through the VMM's endpoint
 * callbacks the way the endpoint server drives them: load_device_state
 * after the importer's claim, with the input's size, the bytes in pieces (the first input byte picks
 * the piece size, as pipe reads would cut them), then the end with
 * complete set.
 *
 * Checks: a refusal is a verification or usage error with a message.
 */
#include "fuzz-common.h"

#include "endpoint/endpoint-server.h"
#include "fw/fw-sim.h"
#include "sim/sim-vmm.h"

static char dir[] = "/tmp/sevmig-fuzz-sim.XXXXXX";
static char plat[sizeof(dir) + 8];
static struct sm_sim_vmm *vmm;
static const struct sm_eps_ops *ops;

static void cleanup(void)
{
	char cmd[sizeof(dir) + 16];

	sm_sim_vmm_free(vmm);
	/* The simulated host's files: certificates, keys, platform.json. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		dprintf(2, "fuzz: cannot remove '%s'\n", dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sm_sim_platform_opts po;
	struct sm_sim_vmm_opts vo;
	struct sm_err e;

	(void)argc;
	(void)argv;
	fz_log_init();
	if (!mkdtemp(dir))
		fz_fail("mkdtemp: %s", strerror(errno));
	atexit(cleanup);
	snprintf(plat, sizeof(plat), "%s/host", dir);
	memset(&po, 0, sizeof(po));
	po.product = SM_PRODUCT_NAPLES; /* RSA-2048: a quick start */
	if (sm_fw_sim_platform_init(plat, &po, &e) < 0)
		fz_fail("platform init: %s", e.msg);
	memset(&vo, 0, sizeof(vo));
	vo.platform_dir = plat;
	vo.mem_size = 8192;
	vo.vcpus = 2;
	vo.es = 1;
	vo.policy = 0x5;
	vo.incoming = 1;
	if (sm_sim_vmm_new(&vo, &vmm, &e) < 0)
		fz_fail("incoming VMM: %s", e.msg);
	ops = sm_sim_vmm_ops();
	/* An importer claims the VM before it loads anything. */
	if (ops->claim(vmm, &e) < 0)
		fz_fail("claim: %s", e.msg);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sm_err e;
	size_t piece, off;
	int rc;

	if (size < 1)
		return 0;
	fz_quiet();
	piece = (size_t)data[0] * 7 + 1;
	data++;
	size--;
	if (ops->load_device_state(vmm, size, &e) < 0) {
		fz_check_err(&e, FZ(SM_EXIT_USAGE), "load");
		goto out;
	}
	for (off = 0; off < size; off += piece) {
		size_t n = size - off < piece ? size - off : piece;

		if (ops->load_device_state_data(vmm, off, data + off, n, &e) <
		    0) {
			fz_check_err(&e, FZ(SM_EXIT_VERIFY), "data");
			ops->load_device_state_end(vmm, 0, &e);
			goto out;
		}
	}
	rc = ops->load_device_state_end(vmm, 1, &e);
	if (rc < 0)
		fz_check_err(&e, FZ(SM_EXIT_VERIFY), "end");
out:
	fz_loud();
	return 0;
}
