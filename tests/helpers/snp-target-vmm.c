// SPDX-License-Identifier: MIT
/*
 * snp-target-vmm: a scripted incoming SNP VMM for tests of
 * sevmig-certs fetch snp-target: (tests/bats/14-certs-snp-target.bats).
 * It serves hello and snp-target on SOCK (docs/sevmig-endpoint.7) as an
 * incoming SNP guest's SVSM would, signing with the simulated host DIR's
 * SNP identity (sevmig-sim platform init): a fresh P-384 key and nonce,
 * a version 3 report whose REPORT_DATA is SHA-512(x || y || nonce).
 *
 *   snp-target-vmm [OPTIONS] SOCK DIR
 *     --vcek-from DIR2     serve DIR2's VCEK and chain (another chip)
 *     --measurement HEX    the report's measurement (48 bytes; default
 *                          0x11 repeated)
 *     --policy HEX         the report's guest policy (default 0x30000)
 *     --break WHAT         binding: REPORT_DATA over another nonce;
 *                          report: flip a byte of the signed report;
 *                          pub: a public key that is not on P-384 (its
 *                          binding right)
 *
 * It prints "ready" on stdout once it listens and runs until killed.
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/bytes.h"
#include "base/util.h"
#include "certs/snp-target.h"
#include "endpoint/endpoint-server.h"
#include "fw/sim-snp.h"

struct vmm {
	const char *dir;
	struct sm_sim_snp *snp, *vcek_from;
	uint8_t measurement[SM_SNP_MEASUREMENT_LEN];
	uint64_t policy;
	const char *brk;
	int mem_fd;
};

static int hello(void *a, struct sm_ep_hello *h, struct sm_err *e)
{
	struct vmm *v = a;

	(void)e;
	strcpy(h->platform, "sim");
	snprintf(h->platform_dir, sizeof(h->platform_dir), "%s", v->dir);
	strcpy(h->role, "incoming");
	strcpy(h->state, "incoming");
	h->vcpus = 1;
	h->svsm_mailboxes = 1;
	h->snp_policy = v->policy;
	h->nranges = 1;
	h->ranges[0] = (struct sm_ep_range){ 0, 0x1000, 0, 0 };
	h->mem_size = 0x1000;
	h->nfds = 1;
	h->fds[0] = v->mem_fd;
	return 0;
}

/* A fresh P-384 public key, 0x04 || x || y. */
static int new_pub(uint8_t pub[SM_SNP_TARGET_PUB_LEN], struct sm_err *e)
{
	EVP_PKEY *k = EVP_EC_gen("P-384");
	size_t n = 0;
	int ok = k &&
		 EVP_PKEY_get_octet_string_param(
			 k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub,
			 SM_SNP_TARGET_PUB_LEN, &n) == 1 &&
		 n == SM_SNP_TARGET_PUB_LEN && pub[0] == 0x04;

	EVP_PKEY_free(k);
	if (!ok)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "cannot make a P-384 key");
	return 0;
}

static int target(void *a, struct sm_ep_snp_target *t, struct sm_err *e)
{
	struct vmm *v = a;
	const struct sm_sim_snp *cs = v->vcek_from ? v->vcek_from : v->snp;
	uint8_t *r = t->report, other[SM_SNP_TARGET_NONCE_LEN];
	const uint8_t *der;
	const char *chain;
	size_t len;

	if (new_pub(t->pub, e) < 0 ||
	    RAND_bytes(t->nonce, sizeof(t->nonce)) != 1)
		return -1;
	if (v->brk && !strcmp(v->brk, "pub"))
		t->pub[96] ^= 1; /* y changed: off the curve */
	memset(r, 0, SM_SNP_REPORT_LEN);
	sm_put_le32(r + 0x000, 3);
	sm_put_le64(r + 0x008, v->policy);
	memcpy(r + SM_SNP_OFF_MEASUREMENT, v->measurement,
	       SM_SNP_MEASUREMENT_LEN);
	if (RAND_bytes(r + SM_SNP_OFF_REPORT_ID, 32) != 1)
		return sm_err_set(e, SM_EXIT_FAILURE, "no random bytes");
	memset(r + SM_SNP_OFF_REPORT_ID_MA, 0xff, 32);
	memcpy(other, t->nonce, sizeof(other));
	if (v->brk && !strcmp(v->brk, "binding"))
		other[0] ^= 1;
	sm_snp_target_binding(t->pub, other, r + SM_SNP_OFF_REPORT_DATA);
	if (sm_sim_snp_sign(v->snp, r, e) < 0)
		return -1;
	if (v->brk && !strcmp(v->brk, "report"))
		r[SM_SNP_OFF_MEASUREMENT] ^= 0x80;
	der = sm_sim_snp_vcek_der(cs, &len);
	if (len > sizeof(t->vcek))
		return sm_err_set(e, SM_EXIT_FAILURE, "VCEK too large");
	memcpy(t->vcek, der, len);
	t->vcek_len = len;
	chain = sm_sim_snp_chain_pem(cs, &len);
	snprintf(t->chain, sizeof(t->chain), "%s", chain);
	return 0;
}

static const struct sm_eps_ops ops = {
	.hello = hello,
	.snp_target = target,
};

static void usage(void)
{
	fprintf(stderr,
		"usage: snp-target-vmm [--vcek-from DIR2] [--measurement HEX] "
		"[--policy HEX] [--break binding|report|pub] SOCK DIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "vcek-from", required_argument, NULL, 'f' },
		{ "measurement", required_argument, NULL, 'm' },
		{ "policy", required_argument, NULL, 'p' },
		{ "break", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	struct vmm v;
	struct sm_eps *s;
	struct sm_err e;
	const char *from = NULL;
	int c;

	memset(&v, 0, sizeof(v));
	memset(v.measurement, 0x11, sizeof(v.measurement));
	v.policy = 0x30000;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			from = optarg;
			break;
		case 'm':
			if (sm_hex_decode(optarg, v.measurement,
					  sizeof(v.measurement)) !=
			    (ssize_t)sizeof(v.measurement))
				usage();
			break;
		case 'p':
			if (sm_parse_uint(optarg, UINT64_MAX, &v.policy) < 0)
				usage();
			break;
		case 'b':
			if (strcmp(optarg, "binding") &&
			    strcmp(optarg, "report") && strcmp(optarg, "pub"))
				usage();
			v.brk = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	v.dir = argv[optind + 1];
	signal(SIGPIPE, SIG_IGN);
	v.mem_fd = memfd_create("snp-target-vmm", 0);
	if (v.mem_fd < 0 || ftruncate(v.mem_fd, 0x1000) < 0) {
		perror("memfd");
		return 1;
	}
	if (sm_sim_snp_load(v.dir, &v.snp, &e) < 0 ||
	    (from && sm_sim_snp_load(from, &v.vcek_from, &e) < 0) ||
	    sm_eps_open(argv[optind], &ops, &v, &s, &e) < 0) {
		fprintf(stderr, "snp-target-vmm: %s\n", e.msg);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	if (sm_eps_run(s, -1, &e) < 0)
		fprintf(stderr, "snp-target-vmm: %s\n", e.msg);
	sm_eps_close(s);
	sm_sim_snp_free(v.snp);
	sm_sim_snp_free(v.vcek_from);
	return 0;
}
