// SPDX-License-Identifier: MIT
/*
 * bench-crypto [SECONDS]: micro-benchmark of the per-page hot paths (not a
 * test; make bench runs it).  Prints, for one 4 KiB page:
 *   sevcrypto seal and open (AES-128-CTR + HMAC-SHA256, reused contexts);
 *   the reference loop: raw EVP XTS decrypt + CTR encrypt + HMAC-SHA256
 *   of one page with every context reused, the single-core ceiling the
 *   export pipeline is measured against;
 *   fw-sim SEND_UPDATE_DATA (XTS decrypt under the VEK, seal) and
 *   RECEIVE_UPDATE_DATA (open, XTS encrypt under the new VEK), each also
 *   as a fraction of the reference loop.
 * Each runs for SECONDS (default 1) of this thread's CPU time, and rates
 * are per CPU second: other load on the machine does not skew them.
 */
#include <dirent.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "fw/fw-sim.h"
#include "fw/fw.h"
#include "fw/sevcrypto.h"
#include "base/util.h"

#define PG 4096u
#define RING 64 /* pages cycled through, so caches behave like a guest's */

/* This thread's CPU time in seconds. */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double ref_pps; /* pages/s of the reference loop */

static double report(const char *what, unsigned long n, double secs)
{
	double pps = n / secs;

	printf("%-36s %9.1f MiB/s %10.0f pages/s %7.2f us/page", what,
	       pps * PG / (1024.0 * 1024.0), pps, 1e6 / pps);
	if (ref_pps > 0)
		printf("  %.2fx ref", pps / ref_pps);
	printf("\n");
	return pps;
}

static void die(const char *what, const struct sm_err *e)
{
	fprintf(stderr, "bench-crypto: %s: %s\n", what, e->msg);
	exit(1);
}

static void bench_sevcrypto(double secs)
{
	uint8_t *plain, *trans, hdr[RING][SM_PKT_HDR_LEN], iv[16] = { 0 };
	struct sm_pkt *p;
	struct sm_tk tk;
	struct sm_err e;
	unsigned long n;
	double t0, t;

	plain = malloc(RING * PG);
	trans = malloc(RING * PG);
	if (!plain || !trans) {
		fprintf(stderr, "bench-crypto: out of memory\n");
		exit(1);
	}
	memset(plain, 0x5a, RING * PG);
	memset(&tk, 0x11, sizeof(tk));
	if (sm_pkt_new(&p, &tk, &e))
		die("sm_pkt_new", &e);
	t0 = cpu_now();
	for (n = 0; (t = cpu_now() - t0) < secs; n++) {
		iv[0] = (uint8_t)n;
		if (sm_pkt_seal(p, iv, 0, plain + (n % RING) * PG, PG,
				trans + (n % RING) * PG, hdr[n % RING], &e))
			die("sm_pkt_seal", &e);
	}
	report("sevcrypto seal (4 KiB)", n, t);
	/* Open what was sealed: the first RING packets are all valid. */
	t0 = cpu_now();
	for (n = 0; (t = cpu_now() - t0) < secs; n++) {
		if (sm_pkt_open(p, hdr[n % RING], trans + (n % RING) * PG, PG,
				plain + (n % RING) * PG, &e))
			die("sm_pkt_open", &e);
	}
	report("sevcrypto open (4 KiB)", n, t);
	sm_pkt_free(p);
	free(plain);
	free(trans);
}

/*
 * The reference: what one core does per page with nothing but OpenSSL,
 * every context created once and only its IV or tweak changed per page.
 */
static void bench_reference(double secs)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	uint8_t key[32], tweak[16] = { 0 }, iv[16] = { 0 }, aad[29] = { 2 };
	uint8_t *ram, *plain, *trans, mac[32];
	EVP_CIPHER_CTX *xts, *ctr;
	EVP_MAC_CTX *hm;
	EVP_MAC *m;
	unsigned long n;
	size_t ml;
	double t0, t;
	int k;

	ram = malloc(RING * PG);
	plain = malloc(PG);
	trans = malloc(RING * PG);
	xts = EVP_CIPHER_CTX_new();
	ctr = EVP_CIPHER_CTX_new();
	m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	hm = m ? EVP_MAC_CTX_new(m) : NULL;
	for (k = 0; k < 32; k++)
		key[k] = (uint8_t)(k * 13 + 1);
	if (!ram || !plain || !trans || !xts || !ctr || !hm ||
	    EVP_DecryptInit_ex2(xts, EVP_aes_128_xts(), key, NULL, NULL) != 1 ||
	    EVP_EncryptInit_ex2(ctr, EVP_aes_128_ctr(), key, NULL, NULL) != 1 ||
	    EVP_MAC_init(hm, key + 16, 16, params) != 1) {
		fprintf(stderr, "bench-crypto: reference setup failed\n");
		exit(1);
	}
	memset(ram, 0x5a, RING * PG);
	t0 = cpu_now();
	for (n = 0; (t = cpu_now() - t0) < secs; n++) {
		uint8_t *tr = trans + (n % RING) * PG;

		tweak[0] = (uint8_t)n;
		iv[0] = (uint8_t)n;
		if (EVP_CipherInit_ex2(xts, NULL, NULL, tweak, 0, NULL) != 1 ||
		    EVP_CipherUpdate(xts, plain, &k, ram + (n % RING) * PG,
				     PG) != 1 ||
		    EVP_CipherInit_ex2(ctr, NULL, NULL, iv, 1, NULL) != 1 ||
		    EVP_CipherUpdate(ctr, tr, &k, plain, PG) != 1 ||
		    EVP_MAC_init(hm, NULL, 0, NULL) != 1 ||
		    EVP_MAC_update(hm, aad, sizeof(aad)) != 1 ||
		    EVP_MAC_update(hm, tr, PG) != 1 ||
		    EVP_MAC_final(hm, mac, &ml, sizeof(mac)) != 1) {
			fprintf(stderr,
				"bench-crypto: reference loop failed\n");
			exit(1);
		}
	}
	ref_pps = 0;
	ref_pps = report("reference XTS-dec+CTR+HMAC (4 KiB)", n, t);
	EVP_MAC_CTX_free(hm);
	EVP_MAC_free(m);
	EVP_CIPHER_CTX_free(xts);
	EVP_CIPHER_CTX_free(ctr);
	free(ram);
	free(plain);
	free(trans);
}

static void rmtree(const char *dir)
{
	char path[4200];
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((d = readdir(dp)) != NULL) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (unlink(path) != 0)
			rmtree(path);
	}
	closedir(dp);
	rmdir(dir);
}

static void bench_fw_sim(double secs)
{
	uint8_t pdh[SM_SEV_CERT_LEN], chain[SM_SEV_CHAIN_LEN];
	uint8_t session[SM_SESSION_LEN], plat[SM_SEV_CHAIN_LEN];
	uint8_t hdr[RING][SM_PKT_HDR_LEN], *ram, *trans, *ram2;
	char root[] = "/tmp/bench-crypto.XXXXXX", a[64], b[64];
	struct sm_sim_platform_opts o;
	struct sm_fw_send_start ss;
	struct sm_fw_receive_start rs;
	struct sm_fw *src, *dst;
	struct sm_fw_xfer x;
	struct sm_err e;
	unsigned long n, i;
	double t0, t;

	if (!mkdtemp(root)) {
		perror("bench-crypto: mkdtemp");
		exit(1);
	}
	snprintf(a, sizeof(a), "%s/a", root);
	snprintf(b, sizeof(b), "%s/b", root);
	memset(&o, 0, sizeof(o));
	o.ark_bits = 2048;
	if (sm_fw_sim_platform_init(a, &o, &e))
		die("platform init", &e);
	o.ark_bits = 0;
	o.ark_from = a;
	if (sm_fw_sim_platform_init(b, &o, &e))
		die("platform init", &e);
	ram = aligned_alloc(PG, RING * PG);
	ram2 = aligned_alloc(PG, RING * PG);
	trans = malloc(RING * PG);
	if (!ram || !ram2 || !trans) {
		fprintf(stderr, "bench-crypto: out of memory\n");
		exit(1);
	}
	if (sm_fw_sim_open(a, &src, &e) || sm_fw_sim_open(b, &dst, &e) ||
	    sm_fw_sim_launch(src, 0x1, 1, &e))
		die("open", &e);
	memset(ram2, 0x33, PG);
	for (i = 0; i < RING; i++)
		if (sm_fw_sim_guest_write(src, i * PG, ram2, ram + i * PG, &e))
			die("guest write", &e);
	/* The target's own PEK||OCA||CEK; the policy reads none of it. */
	if (sm_fw_pdh_cert_export(dst, pdh, plat, &e))
		die("PDH_CERT_EXPORT", &e);
	memset(&ss, 0, sizeof(ss));
	ss.pdh = pdh;
	ss.pdh_len = SM_SEV_CERT_LEN;
	ss.plat_certs = plat;
	ss.plat_certs_len = SM_SEV_CHAIN_LEN;
	ss.amd_certs = plat; /* unused without the SEV bit, but non-empty */
	ss.amd_certs_len = SM_SEV_CERT_LEN;
	ss.session = session;
	ss.session_len = SM_SESSION_LEN;
	if (sm_fw_send_start(src, &ss, &e))
		die("SEND_START", &e);
	t0 = cpu_now();
	for (n = 0; (t = cpu_now() - t0) < secs; n++) {
		i = n % RING;
		memset(&x, 0, sizeof(x));
		x.hdr = hdr[i];
		x.hdr_len = SM_PKT_HDR_LEN;
		x.guest = ram + i * PG;
		x.guest_len = PG;
		x.gpa = i * PG;
		x.trans = trans + i * PG;
		x.trans_len = PG;
		if (sm_fw_send_update_data(src, &x, &e))
			die("SEND_UPDATE_DATA", &e);
	}
	report("fw-sim SEND_UPDATE_DATA (4 KiB)", n, t);

	memset(&rs, 0, sizeof(rs));
	if (sm_fw_pdh_cert_export(src, pdh, chain, &e))
		die("PDH_CERT_EXPORT", &e);
	rs.policy = 0x1;
	rs.pdh = pdh;
	rs.pdh_len = SM_SEV_CERT_LEN;
	rs.session = session;
	rs.session_len = SM_SESSION_LEN;
	if (sm_fw_receive_start(dst, &rs, &e))
		die("RECEIVE_START", &e);
	t0 = cpu_now();
	for (n = 0; (t = cpu_now() - t0) < secs; n++) {
		i = n % RING;
		memset(&x, 0, sizeof(x));
		x.hdr = hdr[i];
		x.hdr_len = SM_PKT_HDR_LEN;
		x.guest = ram2 + i * PG;
		x.guest_len = PG;
		x.gpa = i * PG;
		x.trans = trans + i * PG;
		x.trans_len = PG;
		if (sm_fw_receive_update_data(dst, &x, &e))
			die("RECEIVE_UPDATE_DATA", &e);
	}
	report("fw-sim RECEIVE_UPDATE_DATA (4 KiB)", n, t);
	sm_fw_close(src);
	sm_fw_close(dst);
	free(ram);
	free(ram2);
	free(trans);
	rmtree(root);
}

int main(int argc, char **argv)
{
	double secs = 1.0;

	if (argc > 2 || (argc == 2 && (secs = atof(argv[1])) <= 0)) {
		fprintf(stderr, "usage: bench-crypto [SECONDS]\n");
		return 2;
	}
	bench_reference(secs);
	bench_sevcrypto(secs);
	bench_fw_sim(secs);
	return 0;
}
