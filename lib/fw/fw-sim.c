// SPDX-License-Identifier: MIT
/*
 * The simulated PSP (one idea: the firmware; the host's files are
 * sim-platform.c).  It applies the rules of AMD's SEV firmware (ASPFW
 * sev_mcmd.c as summarised in shared/reference/sev-migration-protocol.md
 * section 1) and, in front of them, the checks KVM makes before it issues
 * a command (section 3.3), so a caller sees the same errno and the same
 * firmware status on both backends: KVM-level refusals are EINVAL with no
 * status, firmware refusals EIO with the status.
 *
 * Guest memory: private pages are AES-128-XTS ciphertext under the
 * guest's 32-byte VEK, tweak = little-endian GPA of the 4 KiB page.  Real
 * hardware tweaks with the host physical address; the GPA keeps a page's
 * ciphertext stable across the simulated VMM's memfd offsets.
 *
 * The transport (session blob, packet header, MAC) is lib/sevcrypto, the
 * bytes real firmware makes.
 */
#include "fw/fw-sim.h"

#include <fcntl.h>
#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base/bytes.h"
#include "base/log.h"
#include "base/ossl.h"
#include "fw/sevcrypto.h"
#include "fw/sim-platform.h"
#include "base/util.h"

#define CTX_MAGIC "SMSIMCTX"
#define CTX_VERSION 1u
#define KVM_BLOB_MAX 0x4000u /* SEV_FW_BLOB_MAX_SIZE */
#define PLAT_INIT 1
#define PLAT_WORKING 2
/* VMSAs are kept encrypted under the VEK at a tweak no GPA uses. */
#define VMSA_TWEAK(v) (0xffffffff00000000ull | ((uint64_t)(v) << 12))
/*
 * Packet IVs are drawn from the DRBG a pool at a time: RAND_bytes costs
 * about as much for 16 bytes as for 4 KiB, a fifth of a page's crypto.
 * Each IV is used once and the pool is wiped when the channel closes.
 */
#define IV_POOL 4096u

/*
 * A guest context: the first page of the memfd; VMSA pages follow.  Both
 * the VMM and sevmig map it shared, so a state change by one is seen by
 * the other (they never run commands at the same time: hand-off).
 */
struct simctx {
	char magic[8];
	uint32_t version;
	uint32_t nvcpus;
	uint8_t chip_id[SM_SIM_CHIP_ID_LEN]; /* the platform this guest lives on */
	uint32_t handle, policy, state, active, es, asid;
	uint32_t channel; /* TEK/TIK valid */
	uint8_t vek[32];
	uint8_t tek[16], tik[16];
	/* LAUNCH_MEASURE's MEASURE, which LAUNCH_SECRET's MAC covers */
	uint8_t measure[32];
};

_Static_assert(sizeof(struct simctx) <= SM_PAGE_SIZE,
	       "context header fits a page");

struct sim {
	char dir[PATH_MAX];
	struct sm_sim_platform plat; /* its certificates, keys and info */

	int ctx_fd;
	struct simctx *ctx;
	size_t ctx_size;
	unsigned recv_nvcpus;

	EVP_CIPHER_CTX *xts_enc, *xts_dec; /* keyed with ctx->vek */
	struct sm_pkt *pkt; /* keyed with pkt_keys */
	uint8_t pkt_keys[32]; /* TEK||TIK pkt was made with */
	uint8_t page[SM_PAGE_SIZE]; /* plaintext scratch */
	uint8_t ivs[IV_POOL]; /* unused packet IVs from ivpos */
	unsigned ivs_gen; /* fork_gen when the pool was drawn */
	size_t ivpos;
	/* LUPDATE: the launch digest so far (the launching process's own) */
	struct sm_sha256 *ld;
	uint8_t test_mnonce[16]; /* sm_fw_sim_test_mnonce, when set */
	int have_test_mnonce;
};

static struct sim *sim_of(struct sm_fw *fw)
{
	return fw->priv;
}

/* A firmware refusal: EIO with the status, as KVM reports it. */
static int fw_status(struct sm_fw *fw, struct sm_err *e, const char *cmd,
		     uint32_t status)
{
	return sm_fw_fail(fw, e, cmd, EIO, status);
}

/* A refusal KVM makes before the firmware sees the command. */
static int kvm_einval(struct sm_fw *fw, struct sm_err *e, const char *cmd,
		      const char *why)
{
	pr_debug("%s refused by the (simulated) kernel: %s", cmd, why);
	return sm_fw_fail(fw, e, cmd, EINVAL, 0);
}

/* ---- the guest context ---- */

static void ctx_unbind(struct sim *s)
{
	EVP_CIPHER_CTX_free(s->xts_enc);
	EVP_CIPHER_CTX_free(s->xts_dec);
	s->xts_enc = s->xts_dec = NULL;
	sm_pkt_free(s->pkt);
	s->pkt = NULL;
	sm_wipe(s->pkt_keys, sizeof(s->pkt_keys));
}

static int need_channel(struct sim *s, struct sm_err *e);

/* Key the reusable contexts from the context's VEK and channel keys. */
static int ctx_bind(struct sim *s, struct sm_err *e)
{
	int rc;

	ctx_unbind(s);
	if (!s->ctx || s->ctx->state == SM_GUEST_UNINIT)
		return 0;
	s->xts_enc = EVP_CIPHER_CTX_new();
	s->xts_dec = EVP_CIPHER_CTX_new();
	if (!s->xts_enc || !s->xts_dec ||
	    EVP_EncryptInit_ex2(s->xts_enc, EVP_aes_128_xts(), s->ctx->vek,
				NULL, NULL) != 1 ||
	    EVP_DecryptInit_ex2(s->xts_dec, EVP_aes_128_xts(), s->ctx->vek,
				NULL, NULL) != 1) {
		ctx_unbind(s);
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "setting up the guest memory cipher failed");
	}
	if (!s->ctx->channel)
		return 0;
	rc = need_channel(s, e);
	if (rc)
		ctx_unbind(s);
	return rc;
}

void sm_fw_sim_detach(struct sm_fw *fw)
{
	struct sim *s;

	if (!fw || !fw->priv)
		return;
	s = sim_of(fw);
	ctx_unbind(s);
	if (s->ctx)
		munmap(s->ctx, s->ctx_size);
	if (s->ctx_fd >= 0)
		close(s->ctx_fd);
	s->ctx = NULL;
	s->ctx_fd = -1;
	s->ctx_size = 0;
}

static int ctx_map(struct sim *s, int fd, size_t size, struct sm_err *e)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return sm_err_errno(e, SM_EXIT_VM, errno,
				    "mapping guest context failed");
	s->ctx = p;
	s->ctx_fd = fd;
	s->ctx_size = size;
	return 0;
}

/* A new context memfd in UNINIT for nvcpus vCPUs, attached to s. */
static int ctx_create(struct sim *s, unsigned nvcpus, struct sm_err *e)
{
	size_t size = (size_t)SM_PAGE_SIZE * (1 + nvcpus);
	int fd, err;

	fd = memfd_create("sevmig-sim-context",
			  MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return sm_err_errno(e, SM_EXIT_VM, errno,
				    "creating guest context failed");
	/*
	 * Sealed at its size: every process maps it, and one that shrank it
	 * would make the others die of SIGBUS mid-command.
	 */
	if (ftruncate(fd, (off_t)size) != 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) !=
		    0) {
		err = errno;
		close(fd);
		return sm_err_errno(e, SM_EXIT_VM, err,
				    "creating guest context failed");
	}
	if (ctx_map(s, fd, size, e)) {
		close(fd);
		return -1;
	}
	memcpy(s->ctx->magic, CTX_MAGIC, 8);
	s->ctx->version = CTX_VERSION;
	s->ctx->nvcpus = nvcpus;
	memcpy(s->ctx->chip_id, s->plat.info.chip_id, SM_SIM_CHIP_ID_LEN);
	s->ctx->state = SM_GUEST_UNINIT;
	return 0;
}

/* Fresh identity and VEK for a context becoming a live guest. */
static int ctx_activate(struct sim *s, uint32_t policy, struct sm_err *e)
{
	struct simctx *c = s->ctx;
	uint32_t r;

	do {
		if (sm_random(&c->handle, sizeof(c->handle)))
			goto err_rand;
	} while (c->handle == 0);
	if (sm_random(&r, sizeof(r)))
		goto err_rand;
	c->asid = 1 + r % 509;
	/* XTS refuses equal key halves; redraw in that (2^-128) case. */
	do {
		if (sm_random(c->vek, sizeof(c->vek)))
			goto err_rand;
	} while (!memcmp(c->vek, c->vek + 16, 16));
	c->policy = policy;
	c->es = !!(policy & SM_POLICY_ES);
	c->active = 1;
	return 0;
err_rand:
	return sm_err_ossl(e, SM_EXIT_FAILURE, "no random bytes");
}

static void ctx_close_channel(struct sim *s)
{
	sm_wipe(s->ctx->tek, sizeof(s->ctx->tek));
	sm_wipe(s->ctx->tik, sizeof(s->ctx->tik));
	s->ctx->channel = 0;
	sm_pkt_free(s->pkt);
	s->pkt = NULL;
	sm_wipe(s->pkt_keys, sizeof(s->pkt_keys));
	sm_wipe(s->ivs, sizeof(s->ivs));
	s->ivpos = IV_POOL;
}

/*
 * A child made by fork() inherits the parent's unused IVs: were both to
 * seal under the same keys, an IV would repeat, which CTR mode must never
 * do.  A fork bumps the child's generation, so its pool is drawn afresh.
 */
static unsigned fork_gen;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void)
{
	fork_gen++;
}

static void fork_watch(void)
{
	(void)pthread_atfork(NULL, NULL, on_fork_child);
}

/* A fresh random packet IV (the firmware's TRNG draw).  0 or -1. */
static int next_iv(struct sim *s, uint8_t iv[16])
{
	if (s->ivpos + 16 > IV_POOL || s->ivs_gen != fork_gen) {
		(void)pthread_once(&fork_once, fork_watch);
		if (sm_random(s->ivs, sizeof(s->ivs)))
			return -1;
		s->ivpos = 0;
		s->ivs_gen = fork_gen;
	}
	memcpy(iv, s->ivs + s->ivpos, 16);
	sm_wipe(s->ivs + s->ivpos, 16);
	s->ivpos += 16;
	return 0;
}

/* The guest memory cipher, one 4 KiB data unit at a time. */
static int xts(struct sim *s, int enc, uint64_t gpa, const uint8_t *in,
	       uint8_t *out)
{
	EVP_CIPHER_CTX *c = enc ? s->xts_enc : s->xts_dec;
	uint8_t tweak[16] = { 0 };
	int n = 0;

	sm_put_le64(tweak, gpa & ~(uint64_t)(SM_PAGE_SIZE - 1));
	if (!c || EVP_CipherInit_ex2(c, NULL, NULL, tweak, enc, NULL) != 1 ||
	    EVP_CipherUpdate(c, out, &n, in, SM_PAGE_SIZE) != 1 ||
	    n != (int)SM_PAGE_SIZE)
		return -1;
	return 0;
}

/*
 * The vCPU count as the mapping holds it: the size was checked at attach
 * and is sealed, whereas the header field is shared memory any process
 * holding the context can write.  Indexing by it could run off the map.
 */
static unsigned nvcpus_of(const struct sim *s)
{
	return (unsigned)(s->ctx_size / SM_PAGE_SIZE - 1);
}

/*
 * The packet contexts for the channel in the shared context, (re)made
 * when another process opened (or reopened) the channel since they were
 * keyed: this process must never seal with a channel's old keys.  0, or
 * -1 when there is no channel (the caller reports the guest state).
 */
static int need_channel(struct sim *s, struct sm_err *e)
{
	struct sm_tk tk;
	int rc;

	if (!s->ctx->channel)
		return -1;
	if (s->pkt && !sm_ct_memcmp(s->pkt_keys, s->ctx->tek, 16) &&
	    !sm_ct_memcmp(s->pkt_keys + 16, s->ctx->tik, 16))
		return 0;
	sm_pkt_free(s->pkt);
	s->pkt = NULL;
	memcpy(tk.tek, s->ctx->tek, 16);
	memcpy(tk.tik, s->ctx->tik, 16);
	rc = sm_pkt_new(&s->pkt, &tk, e);
	if (rc == 0)
		memcpy(s->pkt_keys, &tk, sizeof(s->pkt_keys));
	sm_wipe(&tk, sizeof(tk));
	return rc;
}

static uint8_t *vmsa_slot(struct sim *s, unsigned vcpu)
{
	return (uint8_t *)s->ctx + (size_t)SM_PAGE_SIZE * (1 + vcpu);
}

int sm_fw_sim_attach(struct sm_fw *fw, int ctx_fd, struct sm_err *e)
{
	struct sim *s = sim_of(fw);
	struct simctx hdr;
	struct stat st;
	int fd, seals;

	if (s->ctx)
		return sm_err_set(e, SM_EXIT_VM,
				  "attaching guest context: one is already "
				  "attached");
	if (fstat(ctx_fd, &st) != 0)
		return sm_err_errno(e, SM_EXIT_VM, errno,
				    "attaching guest context failed");
	/* Whoever handed it over must not be able to shrink it under us. */
	seals = fcntl(ctx_fd, F_GET_SEALS);
	if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) !=
				 (F_SEAL_SHRINK | F_SEAL_GROW))
		return sm_err_set(e, SM_EXIT_VM,
				  "attaching guest context: not a sealed "
				  "simulated guest context");
	if (pread(ctx_fd, &hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
	    memcmp(hdr.magic, CTX_MAGIC, 8) || hdr.version != CTX_VERSION ||
	    hdr.nvcpus == 0 || hdr.nvcpus > SM_SIM_MAX_VCPUS ||
	    (size_t)st.st_size != (size_t)SM_PAGE_SIZE * (1 + hdr.nvcpus))
		return sm_err_set(e, SM_EXIT_VM,
				  "attaching guest context: not a simulated "
				  "guest context");
	/* A context is bound to the chip it lives on, as an ASID is. */
	if (memcmp(hdr.chip_id, s->plat.info.chip_id, SM_SIM_CHIP_ID_LEN))
		return sm_err_set(e, SM_EXIT_VM,
				  "attaching guest context: it belongs to "
				  "another simulated platform than '%s'",
				  s->dir);
	fd = fcntl(ctx_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return sm_err_errno(e, SM_EXIT_VM, errno,
				    "attaching guest context failed");
	if (ctx_map(s, fd, (size_t)st.st_size, e)) {
		close(fd);
		return -1;
	}
	if (ctx_bind(s, e)) {
		sm_fw_sim_detach(fw);
		return -1;
	}
	return 0;
}

int sm_fw_sim_context_fd(struct sm_fw *fw)
{
	struct sim *s = fw && fw->priv ? sim_of(fw) : NULL;

	return s && s->ctx ? s->ctx_fd : -1;
}

unsigned sm_fw_sim_context_vcpus(struct sm_fw *fw)
{
	struct sim *s = fw && fw->priv ? sim_of(fw) : NULL;

	return s && s->ctx ? nvcpus_of(s) : 0;
}

int sm_fw_sim_prepare_receive(struct sm_fw *fw, unsigned nvcpus,
			      struct sm_err *e)
{
	if (nvcpus == 0 || nvcpus > SM_SIM_MAX_VCPUS)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "bad vCPU count %u (1 to %u)", nvcpus,
				  SM_SIM_MAX_VCPUS);
	sim_of(fw)->recv_nvcpus = nvcpus;
	return 0;
}

int sm_fw_sim_launch(struct sm_fw *fw, uint32_t policy, unsigned nvcpus,
		     struct sm_err *e)
{
	struct sim *s = sim_of(fw);
	unsigned i;

	if (s->ctx)
		return sm_err_set(e, SM_EXIT_VM,
				  "LAUNCH_START failed: a "
				  "guest context is already attached");
	if (nvcpus == 0 || nvcpus > SM_SIM_MAX_VCPUS)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "bad vCPU count %u (1 to %u)", nvcpus,
				  SM_SIM_MAX_VCPUS);
	fw->fw_error = 0;
	fw->sys_errno = 0;
	if ((policy & SM_POLICY_ES) && !s->plat.info.es)
		return fw_status(fw, e, "LAUNCH_START", SM_FW_UNSUPPORTED);
	if (ctx_create(s, nvcpus, e))
		return -1;
	if (ctx_activate(s, policy, e))
		goto err_detach;
	/* LAUNCH_START..LAUNCH_FINISH in one step. */
	s->ctx->state = SM_GUEST_RUNNING;
	if (ctx_bind(s, e))
		goto err_detach;
	memset(s->page, 0, SM_PAGE_SIZE);
	for (i = 0; i < nvcpus; i++)
		if (xts(s, 1, VMSA_TWEAK(i), s->page, vmsa_slot(s, i)))
			goto err_cipher;
	return 0;

err_cipher:
	sm_err_ossl(e, SM_EXIT_FAILURE, "encrypting VMSA failed");
err_detach:
	sm_fw_sim_detach(fw);
	return -1;
}

/* ---- launch: the guest owner's commands (issue 14) ---- */

/* The launch commands need a context in state want. */
static int need_launch_state(struct sm_fw *fw, const char *cmd, uint32_t want,
			     struct sm_err *e)
{
	struct sim *s = sim_of(fw);

	fw->fw_error = 0;
	fw->sys_errno = 0;
	if (!s->ctx || s->ctx->state == SM_GUEST_UNINIT)
		return fw_status(fw, e, cmd, SM_FW_INVALID_GUEST);
	if (s->ctx->state != want)
		return fw_status(fw, e, cmd, SM_FW_INVALID_GUEST_STATE);
	return 0;
}

int sm_fw_sim_launch_start(struct sm_fw *fw, const struct sm_fw_sim_launch *a,
			   struct sm_err *e)
{
	static const char cmd[] = "LAUNCH_START";
	struct sim *s = sim_of(fw);
	uint8_t z[SM_ECDH_Z_LEN];
	struct sm_sev_cert godh;
	struct sm_err why;
	struct sm_tk tk;
	unsigned i;
	int rc = -1;

	fw->fw_error = 0;
	fw->sys_errno = 0;
	if (!a->godh != !a->session)
		return kvm_einval(fw, e, cmd,
				  "a GODH without a session or "
				  "a session without a GODH");
	if (a->nvcpus == 0 || a->nvcpus > SM_SIM_MAX_VCPUS)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "bad vCPU count %u (1 to %u)", a->nvcpus,
				  SM_SIM_MAX_VCPUS);
	if (s->ctx && s->ctx->state != SM_GUEST_UNINIT)
		return fw_status(fw, e, cmd, SM_FW_INVALID_GUEST_STATE);
	if ((a->policy & SM_POLICY_ES) && !s->plat.info.es)
		return fw_status(fw, e, cmd, SM_FW_UNSUPPORTED);
	if (a->godh) {
		/* The owner's key: DH with our PDH, as RECEIVE_START. */
		if (sm_sev_cert_pdh_sane(a->godh, SM_SEV_CERT_LEN, &why) ||
		    sm_sev_cert_parse(a->godh, SM_SEV_CERT_LEN, &godh, &why) ||
		    sm_key_ecdh(s->plat.pdh_key, &godh, z, &why)) {
			pr_debug("LAUNCH_START: GODH: %s", why.msg);
			return fw_status(fw, e, cmd, SM_FW_INVALID_CERTIFICATE);
		}
		rc = sm_session_open(z, sizeof(z), a->session, a->policy, &tk,
				     &why);
		sm_wipe(z, sizeof(z));
		if (rc) {
			pr_debug("LAUNCH_START: %s", why.msg);
			return fw_status(fw, e, cmd,
					 why.code == SM_EXIT_VERIFY ?
						 SM_FW_BAD_MEASUREMENT :
						 SM_FW_HWERROR_PLATFORM);
		}
		rc = -1;
	} else if (sm_random(&tk, sizeof(tk))) {
		/* No owner session: keys of the firmware's own. */
		return sm_err_ossl(e, SM_EXIT_FAILURE, "no random bytes");
	}
	sm_fw_sim_detach(fw); /* an UNINIT context, if any */
	sm_sha256_free(s->ld);
	s->ld = NULL;
	if (ctx_create(s, a->nvcpus, e) || ctx_activate(s, a->policy, e) ||
	    sm_sha256_new(&s->ld))
		goto err_detach;
	memcpy(s->ctx->tek, tk.tek, 16);
	memcpy(s->ctx->tik, tk.tik, 16);
	s->ctx->channel = 1;
	s->ctx->state = SM_GUEST_LUPDATE;
	if (ctx_bind(s, e))
		goto err_detach;
	memset(s->page, 0, SM_PAGE_SIZE);
	for (i = 0; i < a->nvcpus; i++)
		if (xts(s, 1, VMSA_TWEAK(i), s->page, vmsa_slot(s, i))) {
			sm_err_ossl(e, SM_EXIT_FAILURE,
				    "encrypting VMSA failed");
			goto err_detach;
		}
	rc = 0;
	goto out;

err_detach:
	if (!e->msg[0])
		sm_err_set(e, SM_EXIT_FAILURE, "LAUNCH_START failed");
	sm_fw_sim_detach(fw);
out:
	sm_wipe(&tk, sizeof(tk));
	return rc;
}

int sm_fw_sim_launch_update_data(struct sm_fw *fw, const void *data, size_t len,
				 struct sm_err *e)
{
	static const char cmd[] = "LAUNCH_UPDATE_DATA";
	struct sim *s = sim_of(fw);

	if (!data || len == 0)
		return kvm_einval(fw, e, cmd, "no data");
	if (need_launch_state(fw, cmd, SM_GUEST_LUPDATE, e))
		return -1;
	if (len % 16)
		return fw_status(fw, e, cmd, SM_FW_INVALID_LENGTH);
	if (sm_sha256_update(s->ld, data, len))
		return sm_err_ossl(e, SM_EXIT_FAILURE, "%s: digest failed",
				   cmd);
	return 0;
}

int sm_fw_sim_launch_update_vmsa(struct sm_fw *fw, unsigned vcpu,
				 const uint8_t vmsa[SM_PAGE_SIZE],
				 struct sm_err *e)
{
	static const char cmd[] = "LAUNCH_UPDATE_VMSA";
	struct sim *s = sim_of(fw);

	if (need_launch_state(fw, cmd, SM_GUEST_LUPDATE, e))
		return -1;
	if (!s->ctx->es)
		return fw_status(fw, e, cmd, SM_FW_INVALID_GUEST);
	if (vcpu >= nvcpus_of(s))
		return kvm_einval(fw, e, cmd, "no such vCPU");
	if (sm_sha256_update(s->ld, vmsa, SM_PAGE_SIZE) ||
	    xts(s, 1, VMSA_TWEAK(vcpu), vmsa, vmsa_slot(s, vcpu)))
		return sm_err_ossl(e, SM_EXIT_FAILURE, "%s failed", cmd);
	return 0;
}

void sm_fw_sim_test_mnonce(struct sm_fw *fw, const uint8_t nonce[16])
{
	struct sim *s = sim_of(fw);

	memcpy(s->test_mnonce, nonce, 16);
	s->have_test_mnonce = 1;
}

int sm_fw_sim_launch_measure(struct sm_fw *fw,
			     uint8_t out[SM_FW_LAUNCH_MEASURE_LEN],
			     struct sm_err *e)
{
	static const char cmd[] = "LAUNCH_MEASURE";
	struct sim *s = sim_of(fw);
	uint8_t msg[1 + 3 + 4 + 32 + 16], *mnonce = msg + 40;

	if (need_launch_state(fw, cmd, SM_GUEST_LUPDATE, e))
		return -1;
	msg[0] = SM_PKT_CTX_MEASURE;
	msg[1] = s->plat.info.api_major;
	msg[2] = s->plat.info.api_minor;
	msg[3] = s->plat.info.build;
	sm_put_le32(msg + 4, s->ctx->policy);
	if (sm_sha256_final(s->ld, msg + 8))
		return sm_err_ossl(e, SM_EXIT_FAILURE, "%s: digest failed",
				   cmd);
	sm_sha256_free(s->ld);
	s->ld = NULL;
	if (s->have_test_mnonce)
		memcpy(mnonce, s->test_mnonce, 16);
	else if (sm_random(mnonce, 16))
		return sm_err_ossl(e, SM_EXIT_FAILURE, "no random bytes");
	if (sm_hmac_sha256(s->ctx->tik, 16, msg, sizeof(msg), s->ctx->measure))
		return sm_err_ossl(e, SM_EXIT_FAILURE, "%s: HMAC failed", cmd);
	memcpy(out, s->ctx->measure, 32);
	memcpy(out + 32, mnonce, 16);
	s->ctx->state = SM_GUEST_LSECRET;
	return 0;
}

int sm_fw_sim_launch_secret(struct sm_fw *fw, const uint8_t hdr[SM_PKT_HDR_LEN],
			    const uint8_t *trans, size_t len, uint8_t *plain,
			    struct sm_err *e)
{
	static const char cmd[] = "LAUNCH_SECRET";
	struct sim *s = sim_of(fw);
	struct sm_err why;

	if (!hdr || !trans || len == 0)
		return kvm_einval(fw, e, cmd, "missing header or data");
	if (len > KVM_BLOB_MAX)
		return kvm_einval(fw, e, cmd, "data over 0x4000");
	if (need_launch_state(fw, cmd, SM_GUEST_LSECRET, e))
		return -1;
	if (len % 16)
		return fw_status(fw, e, cmd, SM_FW_INVALID_LENGTH);
	if (need_channel(s, e))
		return -1;
	/* A wrong MAC (another launch, key or MEASURE) changes nothing. */
	if (sm_pkt_open_secret(s->pkt, s->ctx->measure, hdr, trans, len, plain,
			       &why)) {
		pr_debug("LAUNCH_SECRET: %s", why.msg);
		return fw_status(fw, e, cmd,
				 why.code == SM_EXIT_VERIFY ?
					 SM_FW_BAD_MEASUREMENT :
					 SM_FW_INVALID_PARAM);
	}
	return 0;
}

int sm_fw_sim_launch_finish(struct sm_fw *fw, struct sm_err *e)
{
	struct sim *s = sim_of(fw);

	if (need_launch_state(fw, "LAUNCH_FINISH", SM_GUEST_LSECRET, e))
		return -1;
	ctx_close_channel(s);
	sm_wipe(s->ctx->measure, sizeof(s->ctx->measure));
	s->ctx->state = SM_GUEST_RUNNING;
	return 0;
}

/*
 * The launch ops of the table: the commands above, with the argument
 * checks KVM makes (sizes of the GODH and session, the 16 KiB blob limit)
 * and LAUNCH_MEASURE's length query.
 */
static int op_launch_start(struct sm_fw *fw, struct sm_fw_launch_start *a,
			   struct sm_err *e)
{
	static const char cmd[] = "LAUNCH_START";
	struct sm_fw_sim_launch l = { .policy = a->policy,
				      .nvcpus = a->nvcpus,
				      .godh = a->godh,
				      .session = a->session };
	struct sim *s = sim_of(fw);

	if ((a->godh && a->godh_len > KVM_BLOB_MAX) ||
	    (a->session && a->session_len > KVM_BLOB_MAX))
		return kvm_einval(fw, e, cmd, "blob over 0x4000");
	if ((a->godh && a->godh_len != SM_SEV_CERT_LEN) ||
	    (a->session && a->session_len != SM_SESSION_LEN))
		return fw_status(fw, e, cmd, SM_FW_INVALID_LENGTH);
	if (sm_fw_sim_launch_start(fw, &l, e))
		return -1;
	a->handle = s->ctx->handle;
	return 0;
}

static int op_launch_update_data(struct sm_fw *fw, void *addr, size_t len,
				 struct sm_err *e)
{
	return sm_fw_sim_launch_update_data(fw, addr, len, e);
}

static int op_launch_update_vmsa(struct sm_fw *fw, const uint8_t *const *vmsas,
				 unsigned n, struct sm_err *e)
{
	unsigned i;

	if (!vmsas || !n)
		return kvm_einval(fw, e, "LAUNCH_UPDATE_VMSA", "no VMSAs");
	for (i = 0; i < n; i++)
		if (sm_fw_sim_launch_update_vmsa(fw, i, vmsas[i], e))
			return -1;
	return 0;
}

static int op_launch_measure(struct sm_fw *fw, uint8_t *out, uint32_t *len,
			     struct sm_err *e)
{
	static const char cmd[] = "LAUNCH_MEASURE";

	if (need_launch_state(fw, cmd, SM_GUEST_LUPDATE, e))
		return -1;
	if (!out || *len < SM_FW_LAUNCH_MEASURE_LEN) {
		*len = SM_FW_LAUNCH_MEASURE_LEN;
		return fw_status(fw, e, cmd, SM_FW_INVALID_LENGTH);
	}
	if (sm_fw_sim_launch_measure(fw, out, e))
		return -1;
	*len = SM_FW_LAUNCH_MEASURE_LEN;
	return 0;
}

static int op_launch_secret(struct sm_fw *fw,
			    const struct sm_fw_launch_secret *a,
			    struct sm_err *e)
{
	static const char cmd[] = "LAUNCH_SECRET";

	if (!a->hdr || !a->hdr_len || !a->guest || !a->guest_len)
		return kvm_einval(fw, e, cmd, "missing header or guest buffer");
	if (a->hdr_len > KVM_BLOB_MAX)
		return kvm_einval(fw, e, cmd, "header over 0x4000");
	if (a->hdr_len != SM_PKT_HDR_LEN || a->guest_len != a->trans_len)
		return fw_status(fw, e, cmd, SM_FW_INVALID_LENGTH);
	return sm_fw_sim_launch_secret(fw, a->hdr, a->trans, a->trans_len,
				       a->guest, e);
}

static int guest_view(struct sm_fw *fw, int enc, uint64_t gpa,
		      const uint8_t *in, uint8_t *out, struct sm_err *e)
{
	struct sim *s = sim_of(fw);

	if (!s->ctx || s->ctx->state == SM_GUEST_UNINIT)
		return sm_err_set(e, SM_EXIT_VM,
				  "guest memory access: no live guest context");
	if (gpa % SM_PAGE_SIZE)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "guest memory access: GPA 0x%llx is not "
				  "page-aligned",
				  (unsigned long long)gpa);
	if (xts(s, enc, gpa, in, out))
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "guest memory cipher failed");
	return 0;
}

int sm_fw_sim_guest_write(struct sm_fw *fw, uint64_t gpa, const uint8_t *plain,
			  uint8_t *cipher, struct sm_err *e)
{
	return guest_view(fw, 1, gpa, plain, cipher, e);
}

int sm_fw_sim_guest_read(struct sm_fw *fw, uint64_t gpa, const uint8_t *cipher,
			 uint8_t *plain, struct sm_err *e)
{
	return guest_view(fw, 0, gpa, cipher, plain, e);
}

static int vmsa_check(struct sim *s, unsigned vcpu, struct sm_err *e)
{
	if (!s->ctx || s->ctx->state == SM_GUEST_UNINIT)
		return sm_err_set(e, SM_EXIT_VM,
				  "VMSA access: no live guest "
				  "context");
	if (!s->ctx->es)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "VMSA access: the guest is not SEV-ES");
	if (vcpu >= nvcpus_of(s))
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "VMSA access: no vCPU %u (the guest has %u)",
				  vcpu, nvcpus_of(s));
	return 0;
}

int sm_fw_sim_vmsa_write(struct sm_fw *fw, unsigned vcpu, const uint8_t *plain,
			 struct sm_err *e)
{
	struct sim *s = sim_of(fw);

	if (vmsa_check(s, vcpu, e))
		return -1;
	if (xts(s, 1, VMSA_TWEAK(vcpu), plain, vmsa_slot(s, vcpu)))
		return sm_err_ossl(e, SM_EXIT_FAILURE, "VMSA cipher failed");
	return 0;
}

int sm_fw_sim_vmsa_read(struct sm_fw *fw, unsigned vcpu, uint8_t *plain,
			struct sm_err *e)
{
	struct sim *s = sim_of(fw);

	if (vmsa_check(s, vcpu, e))
		return -1;
	if (xts(s, 0, VMSA_TWEAK(vcpu), vmsa_slot(s, vcpu), plain))
		return sm_err_ossl(e, SM_EXIT_FAILURE, "VMSA cipher failed");
	return 0;
}

static int need_guest(struct sm_fw *fw, struct sm_err *e, const char *cmd);

/* Decommission: the context is no guest any more. */
static void ctx_decommission(struct sim *s)
{
	ctx_close_channel(s);
	ctx_unbind(s);
	sm_wipe(s->ctx->vek, sizeof(s->ctx->vek));
	memset((uint8_t *)s->ctx + SM_PAGE_SIZE, 0, s->ctx_size - SM_PAGE_SIZE);
	s->ctx->handle = 0;
	s->ctx->asid = 0;
	s->ctx->active = 0;
	s->ctx->state = SM_GUEST_UNINIT;
}

int sm_fw_sim_decommission(struct sm_fw *fw, struct sm_err *e)
{
	fw->fw_error = 0;
	fw->sys_errno = 0;
	if (need_guest(fw, e, "DECOMMISSION"))
		return -1;
	ctx_decommission(sim_of(fw));
	return 0;
}

int sm_fw_sim_recover(struct sm_fw *fw, struct sm_err *e)
{
	struct sim *s = sim_of(fw);

	if (!s->ctx)
		return sm_err_set(e, SM_EXIT_VM,
				  "recovering guest context: none attached");
	switch (s->ctx->state) {
	case SM_GUEST_SUPDATE:
		if (sm_fw_send_cancel(fw, e))
			return -1;
		pr_info("guest left in SUPDATE: SEND_CANCEL, back to RUNNING");
		break;
	case SM_GUEST_RUPDATE:
		ctx_decommission(s);
		pr_info("guest left in RUPDATE: decommissioned");
		break;
	default:
		break;
	}
	return (int)s->ctx->state;
}

int sm_fw_sim_platform_info(struct sm_fw *fw, struct sm_sim_platform_info *i,
			    struct sm_err *e)
{
	(void)e;
	*i = sim_of(fw)->plat.info;
	return 0;
}

/* ---- the ops ---- */

static int op_platform_status(struct sm_fw *fw,
			      struct sm_fw_platform_status *st,
			      struct sm_err *e)
{
	struct sim *s = sim_of(fw);

	(void)e;
	memset(st, 0, sizeof(*st));
	st->api_major = s->plat.info.api_major;
	st->api_minor = s->plat.info.api_minor;
	st->build = s->plat.info.build;
	st->es = s->plat.info.es;
	st->guest_count = s->ctx && s->ctx->state != SM_GUEST_UNINIT;
	st->state = st->guest_count ? PLAT_WORKING : PLAT_INIT;
	return 0;
}

static int op_pdh_cert_export(struct sm_fw *fw, uint8_t pdh[SM_SEV_CERT_LEN],
			      uint8_t chain[SM_SEV_CHAIN_LEN], struct sm_err *e)
{
	struct sim *s = sim_of(fw);
	uint8_t *cek = chain + 2 * SM_SEV_CERT_LEN;

	(void)e;
	memcpy(pdh, s->plat.pdh.raw, SM_SEV_CERT_LEN);
	memcpy(chain, s->plat.pek.raw, SM_SEV_CERT_LEN);
	memcpy(chain + SM_SEV_CERT_LEN, s->plat.oca.raw, SM_SEV_CERT_LEN);
	/*
	 * The firmware exports its CEK unsigned (both slots empty); the
	 * ASK-signed copy is what the KDS serves, here DIR/cek.cert.
	 */
	memcpy(cek, s->plat.cek.raw, SM_SEV_BODY_LEN);
	memset(cek + SM_SEV_BODY_LEN, 0, SM_SEV_CERT_LEN - SM_SEV_BODY_LEN);
	cek[0x414] = 0x00;
	cek[0x415] = 0x10; /* SIG1_USAGE = INVALID (0x1000) */
	cek[0x61c] = 0x00;
	cek[0x61d] = 0x10; /* SIG2_USAGE = INVALID */
	return 0;
}

/* No context, or a decommissioned one: the handle names no guest. */
static int need_guest(struct sm_fw *fw, struct sm_err *e, const char *cmd)
{
	struct sim *s = sim_of(fw);

	if (!s->ctx || s->ctx->state == SM_GUEST_UNINIT)
		return fw_status(fw, e, cmd, SM_FW_INVALID_GUEST);
	return 0;
}

static int op_guest_status(struct sm_fw *fw, struct sm_fw_guest_status *st,
			   struct sm_err *e)
{
	struct sim *s = sim_of(fw);

	if (need_guest(fw, e, "GUEST_STATUS"))
		return -1;
	st->handle = s->ctx->handle;
	st->policy = s->ctx->policy;
	st->asid = s->ctx->asid;
	st->state = (uint8_t)s->ctx->state;
	return 0;
}

/*
 * SEV policy bit (ASPFW validate_platform): the target chain
 * PDH<-PEK<-CEK<-ASK<-ARK, where the ARK is the one this firmware trusts
 * (real firmware: AMD's root built in; here: the platform's ark.cert).
 * OCA is not part of it.  Every failure is INVALID_CERTIFICATE.
 */
static int check_sev_chain(struct sim *s, const struct sm_sev_cert *pdh,
			   const struct sm_sev_cert *pek,
			   const struct sm_sev_cert *cek, const uint8_t *amd,
			   size_t amd_len, struct sm_err *e)
{
	struct sm_amd_cert ask, ark;
	size_t used = 0, used2 = 0;

	if (sm_amd_cert_parse(amd, amd_len, &ask, &used, e) ||
	    sm_amd_cert_parse(amd + used, amd_len - used, &ark, &used2, e))
		return sm_err_prefix(e, "AMD certificates");
	if (used + used2 != amd_len)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "AMD certificates: %zu bytes left over",
				  amd_len - used - used2);
	if (ask.usage != SM_USAGE_ASK || ark.usage != SM_USAGE_ARK ||
	    cek->usage != SM_USAGE_CEK || pek->usage != SM_USAGE_PEK)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "certificates in the wrong places");
	if (ark.len != s->plat.ark.len ||
	    memcmp(ark.raw, s->plat.ark.raw, ark.len))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "the ARK is not the one this firmware "
				  "trusts");
	if (sm_amd_cert_verify(&ark, &ark, e) ||
	    sm_amd_cert_verify(&ark, &ask, e) ||
	    sm_sev_cert_verify_by_amd(&ask, cek, e) ||
	    sm_sev_cert_verify(cek, pek, e) || sm_sev_cert_verify(pek, pdh, e))
		return -1;
	return 0;
}

/*
 * DOMAIN policy bit (ASPFW validate_domain): OCA self-signed, PEK<-OCA,
 * PDH<-PEK, and the OCA byte-identical to this platform's own: the
 * guest may move only between hosts of one owner.
 */
static int check_domain(struct sim *s, const struct sm_sev_cert *pdh,
			const struct sm_sev_cert *pek,
			const struct sm_sev_cert *oca, struct sm_err *e)
{
	if (oca->usage != SM_USAGE_OCA || pek->usage != SM_USAGE_PEK)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "certificates in the wrong places");
	if (sm_sev_cert_verify(oca, oca, e) ||
	    sm_sev_cert_verify(oca, pek, e) || sm_sev_cert_verify(pek, pdh, e))
		return -1;
	if (memcmp(oca->raw, s->plat.oca.raw, SM_SEV_CERT_LEN))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "the target's OCA is not this platform's "
				  "OCA");
	return 0;
}

static int op_send_start(struct sm_fw *fw, struct sm_fw_send_start *a,
			 struct sm_err *e)
{
	static const char cmd[] = "SEND_START";
	struct sim *s = sim_of(fw);
	struct sm_sev_cert pdh, pek, oca, cek;
	uint8_t z[SM_ECDH_Z_LEN], nonce[16], iv[16];
	struct sm_tk tk;
	struct sm_err why;
	uint32_t policy;
	int rc = -1;

	/* KVM: session_len 0 is the length query, sent as a zeroed buffer. */
	if (a->session_len != 0) {
		if (!a->pdh || !a->pdh_len || !a->session ||
		    a->session_len > KVM_BLOB_MAX)
			return kvm_einval(fw, e, cmd, "missing PDH or session");
		if (!a->plat_certs || !a->plat_certs_len || !a->amd_certs ||
		    !a->amd_certs_len || a->pdh_len > KVM_BLOB_MAX ||
		    a->plat_certs_len > KVM_BLOB_MAX ||
		    a->amd_certs_len > KVM_BLOB_MAX)
			return kvm_einval(fw, e, cmd,
					  "certificate buffers must be "
					  "non-empty and at most 0x4000 bytes");
	}
	if (need_guest(fw, e, cmd))
		return -1;
	if (a->session_len != SM_SESSION_LEN) {
		a->session_len = SM_SESSION_LEN;
		return fw_status(fw, e, cmd, SM_FW_INVALID_LENGTH);
	}
	if (s->ctx->state != SM_GUEST_RUNNING)
		return fw_status(fw, e, cmd, SM_FW_INVALID_GUEST_STATE);
	policy = s->ctx->policy;
	a->policy = policy;
	if (policy & SM_POLICY_NOSEND)
		return fw_status(fw, e, cmd, SM_FW_POLICY_FAILURE);
	if (a->pdh_len != SM_SEV_CERT_LEN)
		return fw_status(fw, e, cmd, SM_FW_INVALID_LENGTH);
	if (policy & (SM_POLICY_SEV | SM_POLICY_DOMAIN)) {
		if (a->plat_certs_len != SM_SEV_CHAIN_LEN)
			return fw_status(fw, e, cmd, SM_FW_INVALID_LENGTH);
		if (sm_sev_cert_parse(a->pdh, a->pdh_len, &pdh, &why) ||
		    sm_sev_cert_parse(a->plat_certs, SM_SEV_CERT_LEN, &pek,
				      &why) ||
		    sm_sev_cert_parse(a->plat_certs + SM_SEV_CERT_LEN,
				      SM_SEV_CERT_LEN, &oca, &why) ||
		    sm_sev_cert_parse(a->plat_certs + 2 * SM_SEV_CERT_LEN,
				      SM_SEV_CERT_LEN, &cek, &why))
			goto bad_cert;
	}
	if (policy & SM_POLICY_SEV) {
		if (check_sev_chain(s, &pdh, &pek, &cek, a->amd_certs,
				    a->amd_certs_len, &why))
			goto bad_cert;
		/* Only a validated PEK's API version is trustworthy. */
		if (pek.api_major < SM_POLICY_API_MAJOR(policy) ||
		    (pek.api_major == SM_POLICY_API_MAJOR(policy) &&
		     pek.api_minor < SM_POLICY_API_MINOR(policy))) {
			pr_debug("target API %u.%u below the policy's %u.%u",
				 pek.api_major, pek.api_minor,
				 SM_POLICY_API_MAJOR(policy),
				 SM_POLICY_API_MINOR(policy));
			return fw_status(fw, e, cmd, SM_FW_POLICY_FAILURE);
		}
	}
	if ((policy & SM_POLICY_DOMAIN) &&
	    check_domain(s, &pdh, &pek, &oca, &why))
		goto bad_cert;
	/* The channel (ASPFW sev_channel_open_client): only a sane PDH. */
	if (sm_sev_cert_pdh_sane(a->pdh, a->pdh_len, &why) ||
	    sm_sev_cert_parse(a->pdh, a->pdh_len, &pdh, &why))
		goto bad_cert;
	if (sm_key_ecdh(s->plat.pdh_key, &pdh, z, &why))
		goto bad_cert;
	if (sm_random(nonce, 16) || sm_random(iv, 16) ||
	    sm_random(&tk, sizeof(tk))) {
		sm_err_ossl(e, SM_EXIT_FAILURE, "no random bytes");
		goto out;
	}
	if (sm_session_build(z, sizeof(z), nonce, iv, &tk, policy, a->session,
			     e))
		goto out;
	memcpy(s->ctx->tek, tk.tek, 16);
	memcpy(s->ctx->tik, tk.tik, 16);
	s->ctx->channel = 1;
	if (need_channel(s, e)) {
		ctx_close_channel(s);
		goto out;
	}
	s->ctx->state = SM_GUEST_SUPDATE;
	rc = 0;
	goto out;

bad_cert:
	pr_debug("SEND_START: target certificate: %s", why.msg);
	rc = fw_status(fw, e, cmd, SM_FW_INVALID_CERTIFICATE);
out:
	sm_wipe(z, sizeof(z));
	sm_wipe(&tk, sizeof(tk));
	return rc;
}

/*
 * The KVM part of SEND/RECEIVE_UPDATE_DATA: pointers present, one call
 * within one 4 KiB page of the caller's mapping (KVM pins that page).  The
 * simulation also needs the mapping's page offset to match the GPA's.
 */
static int kvm_xfer_check(struct sm_fw *fw, struct sm_fw_xfer *x,
			  const char *cmd, struct sm_err *e)
{
	uintptr_t off = (uintptr_t)x->guest & (SM_PAGE_SIZE - 1);

	/* KVM wants every buffer and a non-zero guest_len (both ways). */
	if (!x->hdr || !x->guest || !x->trans || !x->guest_len)
		return kvm_einval(fw, e, cmd, "missing buffer");
	if (x->guest_len > SM_PAGE_SIZE || off + x->guest_len > SM_PAGE_SIZE)
		return kvm_einval(fw, e, cmd, "the range crosses a 4 KiB page");
	if (off != (x->gpa & (SM_PAGE_SIZE - 1)))
		return kvm_einval(fw, e, cmd,
				  "the mapping's page offset is not the GPA's");
	return 0;
}

static int send_update(struct sm_fw *fw, struct sm_fw_xfer *x, int vmsa,
		       struct sm_err *e)
{
	const char *cmd = vmsa ? "SEND_UPDATE_VMSA" : "SEND_UPDATE_DATA";
	struct sim *s = sim_of(fw);
	uint8_t iv[16], *page_start;
	size_t off;

	/* KVM's length query: a zeroed command; the firmware asks for 0x34. */
	if (x->hdr_len == 0 || x->trans_len == 0) {
		x->hdr_len = SM_PKT_HDR_LEN;
		x->trans_len = 0;
		return fw_status(fw, e, cmd, SM_FW_INVALID_LENGTH);
	}
	if (!vmsa && kvm_xfer_check(fw, x, cmd, e))
		return -1;
	if (vmsa && (!x->hdr || !x->trans))
		return kvm_einval(fw, e, cmd, "missing buffer");
	if (need_guest(fw, e, cmd))
		return -1;
	if (x->hdr_len < SM_PKT_HDR_LEN) {
		x->hdr_len = SM_PKT_HDR_LEN;
		return fw_status(fw, e, cmd, SM_FW_INVALID_LENGTH);
	}
	if (s->ctx->state != SM_GUEST_SUPDATE || need_channel(s, e))
		return fw_status(fw, e, cmd, SM_FW_INVALID_GUEST_STATE);
	if (vmsa && !s->ctx->es)
		return fw_status(fw, e, cmd, SM_FW_UNSUPPORTED);
	if (!s->ctx->active)
		return fw_status(fw, e, cmd, SM_FW_INACTIVE);
	if (x->guest_len == 0 || x->guest_len > SM_FW_SCRATCH_MAX ||
	    x->guest_len % 16 || x->trans_len < x->guest_len)
		return fw_status(fw, e, cmd, SM_FW_INVALID_LENGTH);
	if (vmsa) {
		if (x->guest_len != SM_VMSA_SIZE)
			return fw_status(fw, e, cmd, SM_FW_INVALID_LENGTH);
		if (x->vcpu >= nvcpus_of(s))
			return fw_status(fw, e, cmd, SM_FW_INVALID_PARAM);
		if (xts(s, 0, VMSA_TWEAK(x->vcpu), vmsa_slot(s, x->vcpu),
			s->page))
			goto err_cipher;
		off = 0;
	} else {
		if (x->gpa % 16)
			return fw_status(fw, e, cmd, SM_FW_INVALID_ADDRESS);
		/* Read the whole page: XTS works on the 4 KiB data unit. */
		off = x->gpa & (SM_PAGE_SIZE - 1);
		page_start = (uint8_t *)x->guest - off;
		if (xts(s, 0, x->gpa, page_start, s->page))
			goto err_cipher;
	}
	if (next_iv(s, iv)) {
		sm_wipe(s->page, SM_PAGE_SIZE);
		return sm_err_ossl(e, SM_EXIT_FAILURE, "no random bytes");
	}
	if (sm_pkt_seal(s->pkt, iv, 0, s->page + off, x->guest_len, x->trans,
			x->hdr, e)) {
		sm_wipe(s->page, SM_PAGE_SIZE);
		return -1;
	}
	sm_wipe(s->page, SM_PAGE_SIZE);
	x->hdr_len = SM_PKT_HDR_LEN;
	x->trans_len = x->guest_len;
	return 0;

err_cipher:
	return sm_err_ossl(e, SM_EXIT_FAILURE,
			   "%s: guest memory cipher "
			   "failed",
			   cmd);
}

static int op_send_update_data(struct sm_fw *fw, struct sm_fw_xfer *x,
			       struct sm_err *e)
{
	return send_update(fw, x, 0, e);
}

static int op_send_update_vmsa(struct sm_fw *fw, struct sm_fw_xfer *x,
			       struct sm_err *e)
{
	return send_update(fw, x, 1, e);
}

/* SEND_FINISH, SEND_CANCEL, RECEIVE_FINISH: {HANDLE} only. */
static int finish(struct sm_fw *fw, const char *cmd, uint32_t from, uint32_t to,
		  struct sm_err *e)
{
	struct sim *s = sim_of(fw);

	if (need_guest(fw, e, cmd))
		return -1;
	if (s->ctx->state != from)
		return fw_status(fw, e, cmd, SM_FW_INVALID_GUEST_STATE);
	ctx_close_channel(s);
	s->ctx->state = to;
	return 0;
}

static int op_send_finish(struct sm_fw *fw, struct sm_err *e)
{
	return finish(fw, "SEND_FINISH", SM_GUEST_SUPDATE, SM_GUEST_SENT, e);
}

static int op_send_cancel(struct sm_fw *fw, struct sm_err *e)
{
	return finish(fw, "SEND_CANCEL", SM_GUEST_SUPDATE, SM_GUEST_RUNNING, e);
}

static int op_receive_finish(struct sm_fw *fw, struct sm_err *e)
{
	return finish(fw, "RECEIVE_FINISH", SM_GUEST_RUPDATE, SM_GUEST_RUNNING,
		      e);
}

static int op_receive_start(struct sm_fw *fw, struct sm_fw_receive_start *a,
			    struct sm_err *e)
{
	static const char cmd[] = "RECEIVE_START";
	struct sim *s = sim_of(fw);
	struct sm_sev_cert pdh;
	uint8_t z[SM_ECDH_Z_LEN];
	struct sm_tk tk;
	struct sm_err why;
	unsigned nvcpus;
	int rc = -1;

	if (!a->pdh || !a->pdh_len || !a->session || !a->session_len)
		return kvm_einval(fw, e, cmd, "missing PDH or session");
	if (s->ctx && s->ctx->state != SM_GUEST_UNINIT)
		return fw_status(fw, e, cmd, SM_FW_INVALID_GUEST_STATE);
	if (a->pdh_len != SM_SEV_CERT_LEN || a->session_len != SM_SESSION_LEN)
		return fw_status(fw, e, cmd, SM_FW_INVALID_LENGTH);
	/* The sender's PDH gets the sanity check only, no chain. */
	if (sm_sev_cert_pdh_sane(a->pdh, a->pdh_len, &why) ||
	    sm_sev_cert_parse(a->pdh, a->pdh_len, &pdh, &why) ||
	    sm_key_ecdh(s->plat.pdh_key, &pdh, z, &why)) {
		pr_debug("RECEIVE_START: sender PDH: %s", why.msg);
		return fw_status(fw, e, cmd, SM_FW_INVALID_CERTIFICATE);
	}
	/* WRAP_MAC and POLICY_MAC: a blob not for us, or another policy. */
	if (sm_session_open(z, sizeof(z), a->session, a->policy, &tk, &why)) {
		pr_debug("RECEIVE_START: %s", why.msg);
		rc = fw_status(fw, e, cmd,
			       why.code == SM_EXIT_VERIFY ?
				       SM_FW_BAD_MEASUREMENT :
				       SM_FW_HWERROR_PLATFORM);
		goto out;
	}
	/*
	 * Key sharing (a non-zero handle): NOKS forbids it.  The simulation
	 * keeps no table of other guests, so any other handle names none.
	 */
	if (a->handle) {
		rc = fw_status(fw, e, cmd,
			       a->policy & SM_POLICY_NOKS ?
				       SM_FW_POLICY_FAILURE :
				       SM_FW_INVALID_GUEST);
		goto out;
	}
	if ((a->policy & SM_POLICY_ES) && !s->plat.info.es) {
		rc = fw_status(fw, e, cmd, SM_FW_UNSUPPORTED);
		goto out;
	}
	nvcpus = s->recv_nvcpus ? s->recv_nvcpus : 1;
	sm_fw_sim_detach(fw); /* an UNINIT context, if any */
	if (ctx_create(s, nvcpus, e) || ctx_activate(s, a->policy, e))
		goto err_detach;
	memcpy(s->ctx->tek, tk.tek, 16);
	memcpy(s->ctx->tik, tk.tik, 16);
	s->ctx->channel = 1;
	s->ctx->state = SM_GUEST_RUPDATE;
	if (ctx_bind(s, e))
		goto err_detach;
	a->handle = s->ctx->handle;
	rc = 0;
	goto out;

err_detach:
	sm_fw_sim_detach(fw);
out:
	sm_wipe(z, sizeof(z));
	sm_wipe(&tk, sizeof(tk));
	return rc;
}

static int receive_update(struct sm_fw *fw, struct sm_fw_xfer *x, int vmsa,
			  struct sm_err *e)
{
	const char *cmd = vmsa ? "RECEIVE_UPDATE_VMSA" : "RECEIVE_UPDATE_DATA";
	struct sim *s = sim_of(fw);
	uint8_t *page_start = NULL;
	struct sm_err why;
	size_t off = 0;
	uint64_t tweak;

	if (!x->hdr_len || !x->trans_len)
		return kvm_einval(fw, e, cmd, "missing header or data");
	if (x->hdr_len > KVM_BLOB_MAX || x->trans_len > KVM_BLOB_MAX)
		return kvm_einval(fw, e, cmd, "header or data over 0x4000");
	if (!vmsa && kvm_xfer_check(fw, x, cmd, e))
		return -1;
	if (vmsa && (!x->hdr || !x->trans))
		return kvm_einval(fw, e, cmd, "missing buffer");
	if (need_guest(fw, e, cmd))
		return -1;
	if (s->ctx->state != SM_GUEST_RUPDATE || need_channel(s, e))
		return fw_status(fw, e, cmd, SM_FW_INVALID_GUEST_STATE);
	if (vmsa && !s->ctx->es)
		return fw_status(fw, e, cmd, SM_FW_UNSUPPORTED);
	if (!s->ctx->active)
		return fw_status(fw, e, cmd, SM_FW_INACTIVE);
	if (x->trans_len == 0 || x->trans_len > SM_FW_SCRATCH_MAX ||
	    x->guest_len != x->trans_len || x->trans_len % 16 ||
	    x->hdr_len < SM_PKT_HDR_LEN)
		return fw_status(fw, e, cmd, SM_FW_INVALID_LENGTH);
	if (vmsa) {
		if (x->guest_len != SM_VMSA_SIZE)
			return fw_status(fw, e, cmd, SM_FW_INVALID_LENGTH);
		if (x->vcpu >= nvcpus_of(s))
			return fw_status(fw, e, cmd, SM_FW_INVALID_PARAM);
		tweak = VMSA_TWEAK(x->vcpu);
	} else {
		if (x->gpa % 16)
			return fw_status(fw, e, cmd, SM_FW_INVALID_ADDRESS);
		off = x->gpa & (SM_PAGE_SIZE - 1);
		page_start = (uint8_t *)x->guest - off;
		tweak = x->gpa;
		/* A partial page keeps the rest of the page's contents. */
		if (x->guest_len != SM_PAGE_SIZE &&
		    xts(s, 0, tweak, page_start, s->page))
			goto err_cipher;
	}
	if (sm_pkt_open(s->pkt, x->hdr, x->trans, x->trans_len, s->page + off,
			&why)) {
		sm_wipe(s->page, SM_PAGE_SIZE);
		pr_debug("%s: %s", cmd, why.msg);
		if (why.code == SM_EXIT_UNSUPPORTED)
			return fw_status(fw, e, cmd, SM_FW_UNSUPPORTED);
		if (why.code == SM_EXIT_VERIFY)
			return fw_status(fw, e, cmd, SM_FW_BAD_MEASUREMENT);
		*e = why;
		return -1;
	}
	if (xts(s, 1, tweak, s->page,
		vmsa ? vmsa_slot(s, x->vcpu) : page_start)) {
		sm_wipe(s->page, SM_PAGE_SIZE);
		goto err_cipher;
	}
	sm_wipe(s->page, SM_PAGE_SIZE);
	return 0;

err_cipher:
	return sm_err_ossl(e, SM_EXIT_FAILURE,
			   "%s: guest memory cipher "
			   "failed",
			   cmd);
}

static int op_receive_update_data(struct sm_fw *fw, struct sm_fw_xfer *x,
				  struct sm_err *e)
{
	return receive_update(fw, x, 0, e);
}

static int op_receive_update_vmsa(struct sm_fw *fw, struct sm_fw_xfer *x,
				  struct sm_err *e)
{
	return receive_update(fw, x, 1, e);
}

static void op_close(struct sm_fw *fw)
{
	struct sim *s = sim_of(fw);

	sm_fw_sim_detach(fw);
	sm_sim_platform_free(&s->plat);
	sm_sha256_free(s->ld);
	sm_wipe(s, sizeof(*s));
	free(s);
	free(fw);
}

static const struct sm_fw_ops sim_ops = {
	.name = "sim",
	.platform_status = op_platform_status,
	.pdh_cert_export = op_pdh_cert_export,
	.guest_status = op_guest_status,
	.send_start = op_send_start,
	.send_update_data = op_send_update_data,
	.send_update_vmsa = op_send_update_vmsa,
	.send_finish = op_send_finish,
	.send_cancel = op_send_cancel,
	.receive_start = op_receive_start,
	.receive_update_data = op_receive_update_data,
	.receive_update_vmsa = op_receive_update_vmsa,
	.receive_finish = op_receive_finish,
	.launch_start = op_launch_start,
	.launch_update_data = op_launch_update_data,
	.launch_update_vmsa = op_launch_update_vmsa,
	.launch_measure = op_launch_measure,
	.launch_secret = op_launch_secret,
	.launch_finish = sm_fw_sim_launch_finish,
	.prepare_receive = sm_fw_sim_prepare_receive,
	.context_fd = sm_fw_sim_context_fd,
	.close = op_close,
};

int sm_fw_sim_open(const char *platform_dir, struct sm_fw **out,
		   struct sm_err *e)
{
	struct sm_fw *fw;
	struct sim *s;

	*out = NULL;
	fw = calloc(1, sizeof(*fw));
	s = calloc(1, sizeof(*s));
	if (!fw || !s) {
		free(fw);
		free(s);
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	}
	s->ctx_fd = -1;
	s->ivpos = IV_POOL;
	fw->ops = &sim_ops;
	fw->priv = s;
	if (snprintf(s->dir, sizeof(s->dir), "%s", platform_dir) >=
	    (int)sizeof(s->dir)) {
		sm_err_set(e, SM_EXIT_USAGE, "path too long '%s'",
			   platform_dir);
		goto err_close;
	}
	if (sm_sim_platform_load(platform_dir, &s->plat, e)) {
		sm_err_prefix(e, "opening simulated platform '%s'",
			      platform_dir);
		goto err_close;
	}
	*out = fw;
	return 0;

err_close:
	op_close(fw);
	return -1;
}
