// SPDX-License-Identifier: MIT
/*
 * secret-keys: learn the keys the secrets tests must never find in a log,
 * an archive or a memory dump, and prove each one right before printing
 * it, so that a search for a wrong key cannot pass by accident.
 *
 *   secret-keys session PDH_KEY ARCHIVE
 *	TEK and TIK of an export, from its session blob: ECDH between the
 *	target's PDH private key (PEM, the simulated host's pdh.key) and
 *	the source PDH in the archive, then the blob unwrapped.  Proved by
 *	opening the first private packet: its MAC verifies and its
 *	plaintext is the simulated guest's page for that address.  The
 *	archive may be cut short after that packet.  Prints "session HEX",
 *	"tek HEX", "tik HEX".
 *
 *   secret-keys vek VM_SOCK
 *	The VEK of the guest behind a simulated VMM, from its context memfd
 *	(taken over the endpoint and handed back; a running guest is paused
 *	and resumed).  The offset follows fw-sim.c's struct simctx; it is
 *	proved by decrypting the first private page (AES-128-XTS, the GPA
 *	as tweak) into the simulated guest's page.  Prints "vek HEX".
 *
 * Exit 0, or 1 with a message when a key cannot be learned or proved.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "archive/archive.h"
#include "certs/cert.h"
#include "endpoint/endpoint.h"
#include "archive/manifest.h"
#include "archive/records.h"
#include "fw/sevcrypto.h"
#include "sim/sim-guest.h"
#include "base/util.h"

#define PAGE 4096u
/* struct simctx (fw-sim.c): magic, version, nvcpus, chip_id[64], seven
 * u32 (handle .. channel), then vek[32], tek[16], tik[16]. */
#define CTX_VEK_OFF (8 + 4 + 4 + 64 + 7 * 4)

static int fail(const char *what, const struct sm_err *e)
{
	fprintf(stderr, "secret-keys: %s%s%s\n", what, e ? ": " : "",
		e ? e->msg : "");
	return 1;
}

static void print_hex(const char *name, const uint8_t *p, size_t n)
{
	char *hex = malloc(2 * n + 1);

	if (!hex)
		exit(1);
	sm_hex_encode(p, n, hex);
	printf("%s %s\n", name, hex);
	free(hex);
}

/* The plaintext the simulated guest keeps at gpa starts with this. */
static int is_private_page(const uint8_t *plain, uint64_t gpa)
{
	char want[64];

	snprintf(want, sizeof(want), SM_SIM_PRIVATE_MARK " gpa=0x%016" PRIx64,
		 gpa);
	return memcmp(plain, want, strlen(want)) == 0;
}

static int read_entry(struct sm_archive_r *r, const char *want, void *buf,
		      size_t max, size_t *len, struct sm_err *e)
{
	const char *name;
	uint64_t size;

	if (sm_archive_r_next(r, &name, &size, e) != 1)
		return -1;
	if (strcmp(name, want) || size > max)
		return sm_err_set(e, SM_EXIT_VERIFY, "unexpected entry '%s'",
				  name);
	*len = (size_t)size;
	return sm_archive_r_read(r, buf, (size_t)size, e);
}

static int cmd_session(const char *keypath, const char *archive)
{
	static uint8_t buf[1 << 20], data[PAGE], plain[PAGE];
	uint8_t pdh_raw[SM_SEV_CERT_LEN], session[SM_SESSION_LEN], z[48];
	uint8_t rh[SM_REC_HDR_LEN], ch[SM_CHUNK_HDR_LEN];
	struct sm_manifest m;
	struct sm_sev_cert pdh;
	struct sm_archive_r *r;
	struct sm_key *key;
	struct sm_pkt *pkt;
	struct sm_tk tk;
	struct sm_err e = { 0 };
	size_t len;
	uint32_t i;
	FILE *f;
	const char *name;
	uint64_t size;
	struct sm_chunk_hdr h;

	f = fopen(archive, "rb");
	if (!f)
		return fail("cannot open the archive", NULL);
	if (sm_key_load_pem(keypath, &key, &e))
		return fail("target PDH key", &e);
	if (sm_archive_r_open(fileno(f), &r, &e) ||
	    read_entry(r, "sevmig/manifest.json", buf, sizeof(buf), &len, &e) ||
	    sm_manifest_decode(buf, len, &m, &e) ||
	    read_entry(r, "sevmig/source-pdh.cert", pdh_raw, sizeof(pdh_raw),
		       &len, &e) ||
	    sm_sev_cert_parse(pdh_raw, len, &pdh, &e) ||
	    read_entry(r, "sevmig/session.bin", session, sizeof(session), &len,
		       &e) ||
	    read_entry(r, "sevmig/shared-regions.json", buf, sizeof(buf), &len,
		       &e))
		return fail("reading the archive", &e);
	if (sm_key_ecdh(key, &pdh, z, &e) ||
	    sm_session_open(z, sizeof(z), session, m.policy, &tk, &e) ||
	    sm_pkt_new(&pkt, &tk, &e))
		return fail("opening the session", &e);
	/* The first private packet proves TEK and TIK. */
	for (;;) {
		if (sm_archive_r_next(r, &name, &size, &e) != 1 ||
		    strncmp(name, SM_CHUNK_NAME_PREFIX,
			    strlen(SM_CHUNK_NAME_PREFIX)) ||
		    sm_archive_r_read(r, ch, sizeof(ch), &e) ||
		    sm_chunk_hdr_decode(ch, &h, &e))
			return fail("no private packet in the archive", &e);
		for (i = 0; i < h.nrecords; i++) {
			struct sm_rec rec;

			if (sm_archive_r_read(r, rh, sizeof(rh), &e) ||
			    sm_rec_decode(rh, &rec, &e) ||
			    (rec.data_len &&
			     sm_archive_r_read(r, data, rec.data_len, &e)))
				return fail("reading a record", &e);
			if (rec.kind != SM_REC_PRIVATE)
				continue;
			if (sm_pkt_open(pkt, rec.pkt_hdr, data, PAGE, plain,
					&e))
				return fail("the keys do not open a packet",
					    &e);
			if (!is_private_page(plain, rec.gpa))
				return fail(
					"a packet opened into the wrong page",
					NULL);
			print_hex("session", session, sizeof(session));
			print_hex("tek", tk.tek, sizeof(tk.tek));
			print_hex("tik", tk.tik, sizeof(tk.tik));
			sm_pkt_free(pkt);
			sm_archive_r_free(r);
			sm_key_free(key);
			fclose(f);
			return 0;
		}
	}
}

static int xts_decrypt(const uint8_t key[32], uint64_t gpa, const uint8_t *in,
		       uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t tweak[16] = { 0 };
	int n = 0, rc = -1, i;

	for (i = 0; i < 8; i++)
		tweak[i] = (uint8_t)(gpa >> (8 * i));
	if (c &&
	    EVP_DecryptInit_ex2(c, EVP_aes_128_xts(), key, tweak, NULL) == 1 &&
	    EVP_DecryptUpdate(c, out, &n, in, PAGE) == 1 && n == (int)PAGE)
		rc = 0;
	EVP_CIPHER_CTX_free(c);
	return rc;
}

static int cmd_vek(const char *sock)
{
	static uint8_t ctxhdr[PAGE], plain[PAGE];
	struct sm_ep_hello *hl = calloc(1, sizeof(*hl));
	struct sm_ep_region *sr = NULL;
	struct sm_ep_status st;
	struct sm_err e = { 0 };
	struct sm_ep *ep;
	uint64_t gpa = 0;
	size_t nsr = 0, i;
	int ctx = -1, paused = 0, rc = 1;
	const uint8_t *mem;

	if (!hl || sm_ep_connect(sock, 10, &ep, &e) ||
	    sm_ep_claim(ep, hl, &e) ||
	    sm_ep_shared_regions(ep, &sr, &nsr, &e) ||
	    sm_ep_status(ep, &st, &e))
		return fail("talking to the VMM", &e);
	if (!strcmp(st.vmm_state, "running")) {
		if (sm_ep_pause(ep, &e))
			return fail("pausing the guest", &e);
		paused = 1;
	}
	if (sm_ep_take_context(ep, &ctx, &e))
		return fail("taking the context", &e);
	if (pread(ctx, ctxhdr, sizeof(ctxhdr), 0) != (ssize_t)sizeof(ctxhdr)) {
		fail("reading the context", NULL);
		goto give_back;
	}
	/* The first page of the first range that is not shared. */
	for (i = 0; i < nsr && sr[i].gpa <= gpa; i++)
		if (gpa < sr[i].gpa + sr[i].size)
			gpa = sr[i].gpa + sr[i].size;
	if (hl->nranges == 0 || gpa >= hl->ranges[0].size) {
		fail("no private page in the first range", NULL);
		goto give_back;
	}
	mem = mmap(NULL, PAGE, PROT_READ, MAP_SHARED,
		   hl->fds[hl->ranges[0].fd_index],
		   (off_t)(hl->ranges[0].offset + gpa));
	if (mem == MAP_FAILED) {
		fail("mapping guest memory", NULL);
		goto give_back;
	}
	if (xts_decrypt(ctxhdr + CTX_VEK_OFF, hl->ranges[0].gpa + gpa, mem,
			plain) ||
	    !is_private_page(plain, hl->ranges[0].gpa + gpa)) {
		fail("the VEK is not where struct simctx puts it", NULL);
	} else {
		print_hex("vek", ctxhdr + CTX_VEK_OFF, 32);
		rc = 0;
	}
	munmap((void *)mem, PAGE);
give_back:
	sm_wipe(ctxhdr, sizeof(ctxhdr));
	if (sm_ep_return_context(ep, ctx, &e) ||
	    (paused && sm_ep_resume(ep, &e)))
		rc = fail("handing the guest back", &e);
	close(ctx);
	for (i = 0; i < (size_t)hl->nfds; i++)
		close(hl->fds[i]);
	free(hl);
	free(sr);
	sm_ep_close(ep);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "session"))
		return cmd_session(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "vek"))
		return cmd_vek(argv[2]);
	fprintf(stderr,
		"usage: secret-keys session PDH_KEY ARCHIVE | vek VM_SOCK\n");
	return 2;
}
