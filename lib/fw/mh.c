// SPDX-License-Identifier: MIT
/*
 * The guest-assisted migration helper's logic and its mailbox (mh.h):
 * the envelope, the session key, the rules a target helper enforces
 * (gpa, seq, session, tag, END), and the go/done handshake.  OpenSSL 3
 * EVP (through fw/pagecrypt.h) for AES-256-GCM, HKDF and SHA-256.
 */
#include "fw/mh.h"

#include <errno.h>
#include <linux/futex.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/bytes.h"
#include "base/ossl.h"
#include "base/util.h"
#include "fw/pagecrypt.h"

/* d6bf1556-0082-48ae-a8bc-e16a13d76f44, the first three fields LE */
const uint8_t sm_mh_key_guid[16] = { 0x56, 0x15, 0xbf, 0xd6, 0x82, 0x00,
				     0xae, 0x48, 0xa8, 0xbc, 0xe1, 0x6a,
				     0x13, 0xd7, 0x6f, 0x44 };

void sm_mh_env_encode(const struct sm_mh_env *v, uint8_t out[SM_MH_ENV_LEN])
{
	out[0] = v->version;
	out[1] = v->alg;
	sm_put_le16(out + 2, v->flags);
	sm_put_le32(out + 4, v->reserved);
	sm_put_le64(out + 0x08, v->gpa);
	sm_put_le64(out + 0x10, v->seq);
	memcpy(out + 0x18, v->sid, SM_MH_SID_LEN);
	memcpy(out + 0x28, v->iv, sizeof(v->iv));
	memcpy(out + 0x34, v->tag, sizeof(v->tag));
}

void sm_mh_env_decode(const uint8_t in[SM_MH_ENV_LEN], struct sm_mh_env *v)
{
	v->version = in[0];
	v->alg = in[1];
	v->flags = sm_get_le16(in + 2);
	v->reserved = sm_get_le32(in + 4);
	v->gpa = sm_get_le64(in + 0x08);
	v->seq = sm_get_le64(in + 0x10);
	memcpy(v->sid, in + 0x18, SM_MH_SID_LEN);
	memcpy(v->iv, in + 0x28, sizeof(v->iv));
	memcpy(v->tag, in + 0x34, sizeof(v->tag));
}

struct sm_mh_core {
	enum sm_mh_role role;
	uint64_t npages;
	pthread_mutex_t lock;
	uint8_t key[SM_MH_KEY_LEN];
	int has_key;
	int active; /* a session: sid and ks are set */
	int ended;
	uint8_t sid[SM_MH_SID_LEN];
	uint8_t ks[SM_MH_KEY_LEN];
	uint64_t next_seq; /* source: the next seq to hand out */
	uint64_t received; /* target: distinct page records opened */
	uint64_t max_seq; /* target: the highest seq opened, plus one */
	uint64_t gen; /* counts RESETs: work begun before one is dropped */
	uint64_t *gpas; /* gpa of each seq */
	uint8_t *seen; /* target: a bit per seq */
};

int sm_mh_core_new(enum sm_mh_role role, uint64_t npages,
		   struct sm_mh_core **out)
{
	struct sm_mh_core *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return -1;
	c->role = role;
	c->npages = npages;
	c->gpas = calloc(npages ? npages : 1, sizeof(*c->gpas));
	c->seen = calloc(npages / 8 + 1, 1);
	if (!c->gpas || !c->seen || pthread_mutex_init(&c->lock, NULL)) {
		free(c->gpas);
		free(c->seen);
		free(c);
		return -1;
	}
	*out = c;
	return 0;
}

void sm_mh_core_free(struct sm_mh_core *c)
{
	if (!c)
		return;
	sm_wipe(c->key, sizeof(c->key));
	sm_wipe(c->ks, sizeof(c->ks));
	pthread_mutex_destroy(&c->lock);
	free(c->gpas);
	free(c->seen);
	free(c);
}

void sm_mh_core_set_key(struct sm_mh_core *c, const uint8_t key[SM_MH_KEY_LEN])
{
	pthread_mutex_lock(&c->lock);
	memcpy(c->key, key, SM_MH_KEY_LEN);
	c->has_key = 1;
	pthread_mutex_unlock(&c->lock);
}

int sm_mh_core_has_key(const struct sm_mh_core *c)
{
	return c->has_key;
}

static int derive(const uint8_t key[SM_MH_KEY_LEN],
		  const uint8_t sid[SM_MH_SID_LEN], uint8_t ks[SM_MH_KEY_LEN])
{
	static const char info[] = "sevmig-mh-v1";

	return sm_pc_hkdf(SM_PC_SHA256, key, SM_MH_KEY_LEN, sid, SM_MH_SID_LEN,
			  (const uint8_t *)info, sizeof(info) - 1, ks,
			  SM_MH_KEY_LEN);
}

static void forget(struct sm_mh_core *c)
{
	c->gen++;
	c->active = 0;
	c->ended = 0;
	c->next_seq = 0;
	c->received = 0;
	c->max_seq = 0;
	sm_wipe(c->ks, sizeof(c->ks));
	memset(c->sid, 0, sizeof(c->sid));
	memset(c->seen, 0, c->npages / 8 + 1);
}

int sm_mh_core_init(struct sm_mh_core *c, const uint8_t *sid)
{
	int rc = SM_MH_OK;

	pthread_mutex_lock(&c->lock);
	forget(c);
	if (c->role == SM_MH_SOURCE) {
		if (!c->has_key)
			rc = SM_MH_INVALID;
		else if (sid)
			memcpy(c->sid, sid, SM_MH_SID_LEN);
		else if (RAND_bytes(c->sid, SM_MH_SID_LEN) != 1)
			rc = SM_MH_INVALID;
		if (rc == SM_MH_OK && derive(c->key, c->sid, c->ks))
			rc = SM_MH_INVALID;
		c->active = rc == SM_MH_OK;
	} else if (!c->has_key) {
		rc = SM_MH_INVALID;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int sm_mh_core_reset(struct sm_mh_core *c)
{
	pthread_mutex_lock(&c->lock);
	forget(c);
	pthread_mutex_unlock(&c->lock);
	return SM_MH_OK;
}

void sm_mh_core_set_role(struct sm_mh_core *c, enum sm_mh_role role)
{
	pthread_mutex_lock(&c->lock);
	forget(c);
	c->role = role;
	pthread_mutex_unlock(&c->lock);
}

enum sm_mh_role sm_mh_core_role(const struct sm_mh_core *c)
{
	return c->role;
}

int sm_mh_core_ended(const struct sm_mh_core *c)
{
	return __atomic_load_n(&c->ended, __ATOMIC_ACQUIRE);
}

int sm_mh_core_active(const struct sm_mh_core *c)
{
	return __atomic_load_n(&c->active, __ATOMIC_ACQUIRE);
}

/* Seal plain as record (gpa, seq) under the session; hdr: len, envelope. */
static int seal(const uint8_t ks[SM_MH_KEY_LEN],
		const uint8_t sid[SM_MH_SID_LEN], uint64_t gpa, uint64_t seq,
		const uint8_t *plain, uint8_t *hdr, uint8_t out[4096])
{
	struct sm_mh_env v = { .version = 1, .alg = 1, .gpa = gpa, .seq = seq };
	uint8_t *env = hdr + 4;

	memcpy(v.sid, sid, SM_MH_SID_LEN);
	sm_pc_iv(seq, v.iv);
	sm_put_le32(hdr, SM_MH_ENV_LEN);
	sm_mh_env_encode(&v, env);
	if (sm_pc_gcm_page(1, ks, v.iv, env, SM_MH_AAD_LEN, plain, out, v.tag))
		return SM_MH_INVALID;
	memcpy(env + 0x34, v.tag, sizeof(v.tag));
	return SM_MH_OK;
}

int sm_mh_core_encrypt(struct sm_mh_core *c, uint64_t gpa,
		       const uint8_t plain[4096], uint8_t *hdr,
		       uint8_t out[4096])
{
	uint8_t ks[SM_MH_KEY_LEN], sid[SM_MH_SID_LEN];
	uint64_t seq;
	int rc;

	if (c->role != SM_MH_SOURCE || gpa % 4096 || gpa == SM_MH_END_GPA)
		return SM_MH_INVALID;
	pthread_mutex_lock(&c->lock);
	if (!c->active || c->ended || c->next_seq >= c->npages) {
		pthread_mutex_unlock(&c->lock);
		return SM_MH_INVALID;
	}
	seq = c->next_seq++;
	c->gpas[seq] = gpa;
	memcpy(ks, c->ks, sizeof(ks));
	memcpy(sid, c->sid, sizeof(sid));
	pthread_mutex_unlock(&c->lock);
	rc = seal(ks, sid, gpa, seq, plain, hdr, out);
	sm_wipe(ks, sizeof(ks));
	return rc;
}

/* The END block: magic, count, SHA-256 of (gpa, seq) in seq order. */
static int end_block(const uint64_t *gpas, uint64_t count, uint8_t blk[4096])
{
	struct sm_sha256 *h = NULL;
	uint8_t pair[16];
	uint64_t i;
	int rc = -1;

	memset(blk, 0, 4096);
	memcpy(blk, SM_MH_END_MAGIC, 16);
	sm_put_le64(blk + 0x10, count);
	if (sm_sha256_new(&h))
		return -1;
	for (i = 0; i < count; i++) {
		sm_put_le64(pair, gpas[i]);
		sm_put_le64(pair + 8, i);
		if (sm_sha256_update(h, pair, sizeof(pair)))
			goto out;
	}
	rc = sm_sha256_final(h, blk + 0x18);
out:
	sm_sha256_free(h);
	return rc;
}

int sm_mh_core_end(struct sm_mh_core *c, uint8_t *hdr, uint8_t out[4096])
{
	uint8_t blk[4096];
	int rc;

	if (c->role != SM_MH_SOURCE)
		return SM_MH_INVALID;
	pthread_mutex_lock(&c->lock);
	if (!c->active || c->ended || end_block(c->gpas, c->next_seq, blk)) {
		pthread_mutex_unlock(&c->lock);
		return SM_MH_INVALID;
	}
	rc = seal(c->ks, c->sid, SM_MH_END_GPA, c->next_seq, blk, hdr, out);
	if (rc == SM_MH_OK)
		__atomic_store_n(&c->ended, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/*
 * Target: parse and authenticate one record.  The session is the
 * first authentic record's; after that only its records open.  0 with
 * v filled and plain written, or an sm_mh_ret.
 */
static int open_rec(struct sm_mh_core *c, const uint8_t *hdr, size_t hdr_len,
		    const uint8_t in[4096], struct sm_mh_env *v,
		    uint8_t plain[4096], uint64_t *gen)
{
	uint8_t ks[SM_MH_KEY_LEN], iv[12];
	int have, rc = SM_MH_OK;

	if (c->role != SM_MH_TARGET || hdr_len < 4 + SM_MH_ENV_LEN ||
	    sm_get_le32(hdr) != SM_MH_ENV_LEN)
		return SM_MH_INVALID;
	sm_mh_env_decode(hdr + 4, v);
	if (v->version != 1 || v->alg != 1 || v->flags || v->reserved)
		return SM_MH_INVALID;
	sm_pc_iv(v->seq, iv);
	if (memcmp(iv, v->iv, sizeof(iv)) != 0)
		return SM_MH_AUTH;
	pthread_mutex_lock(&c->lock);
	if (!c->has_key) {
		pthread_mutex_unlock(&c->lock);
		return SM_MH_INVALID;
	}
	if (c->ended) {
		pthread_mutex_unlock(&c->lock);
		return SM_MH_AUTH;
	}
	have = c->active;
	*gen = c->gen;
	if (have && memcmp(v->sid, c->sid, SM_MH_SID_LEN) != 0)
		rc = SM_MH_AUTH;
	else if (have)
		memcpy(ks, c->ks, sizeof(ks));
	else if (derive(c->key, v->sid, ks))
		rc = SM_MH_INVALID;
	pthread_mutex_unlock(&c->lock);
	if (rc != SM_MH_OK)
		return rc;
	if (sm_pc_gcm_page(0, ks, v->iv, hdr + 4, SM_MH_AAD_LEN, in, plain,
			   v->tag))
		rc = SM_MH_AUTH;
	if (rc == SM_MH_OK && !have) {
		pthread_mutex_lock(&c->lock);
		if (c->gen != *gen) {
			rc = SM_MH_INVALID; /* a RESET came in between */
		} else if (!c->active) {
			memcpy(c->sid, v->sid, SM_MH_SID_LEN);
			memcpy(c->ks, ks, sizeof(ks));
			__atomic_store_n(&c->active, 1, __ATOMIC_RELEASE);
		} else if (memcmp(v->sid, c->sid, SM_MH_SID_LEN) != 0) {
			rc = SM_MH_AUTH;
		}
		pthread_mutex_unlock(&c->lock);
	}
	sm_wipe(ks, sizeof(ks));
	if (rc != SM_MH_OK)
		sm_wipe(plain, 4096);
	return rc;
}

int sm_mh_core_decrypt(struct sm_mh_core *c, uint64_t gpa, const uint8_t *hdr,
		       size_t hdr_len, const uint8_t in[4096],
		       uint8_t plain[4096])
{
	struct sm_mh_env v;
	uint64_t gen;
	int rc;

	if (gpa % 4096 || gpa == SM_MH_END_GPA)
		return SM_MH_INVALID;
	rc = open_rec(c, hdr, hdr_len, in, &v, plain, &gen);
	if (rc != SM_MH_OK)
		return rc;
	pthread_mutex_lock(&c->lock);
	if (c->gen != gen)
		rc = SM_MH_INVALID; /* a RESET came in between: not this one's */
	else if (v.gpa != gpa || v.seq >= c->npages || c->ended ||
		 (c->seen[v.seq / 8] & (1u << (v.seq % 8))))
		rc = SM_MH_AUTH;
	else {
		c->seen[v.seq / 8] |= (uint8_t)(1u << (v.seq % 8));
		c->gpas[v.seq] = gpa;
		c->received++;
		if (v.seq + 1 > c->max_seq)
			c->max_seq = v.seq + 1;
	}
	pthread_mutex_unlock(&c->lock);
	if (rc != SM_MH_OK)
		sm_wipe(plain, 4096);
	return rc;
}

int sm_mh_core_accept_end(struct sm_mh_core *c, const uint8_t *hdr,
			  size_t hdr_len, const uint8_t in[4096])
{
	uint8_t blk[4096], want[4096];
	struct sm_mh_env v;
	uint64_t count, gen;
	int rc;

	rc = open_rec(c, hdr, hdr_len, in, &v, blk, &gen);
	if (rc != SM_MH_OK)
		return rc;
	count = sm_get_le64(blk + 0x10);
	pthread_mutex_lock(&c->lock);
	if (c->gen != gen || v.gpa != SM_MH_END_GPA || c->ended ||
	    v.seq != count || count != c->received || c->max_seq > count ||
	    end_block(c->gpas, count, want) || memcmp(blk, want, 4096) != 0)
		rc = SM_MH_AUTH;
	else
		__atomic_store_n(&c->ended, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&c->lock);
	sm_wipe(blk, sizeof(blk));
	return rc;
}

/* ---- the handshake ---- */

#define F_RET 0x14
#define F_GO 0x18
#define F_DONE 0x1c
/*
 * Beyond the RFC's 32 bytes, in the same page: "a waiter sleeps on go"
 * and "on done", so a side that finds its peer spinning makes no system
 * call to wake it (the words are hints; a lost one costs one 50 ms poll).
 */
#define F_SLEEP_GO 0x20
#define F_SLEEP_DONE 0x24
/*
 * Before sleeping on the futex a helper watches go for this long: during
 * a migration the next command comes within microseconds, and on this
 * machine (itself a VM) every futex system call and wakeup costs more
 * than a page's sealing (make bench, docs/performance.md).  The host's
 * watch is its caller's (method-mh: only with one helper; with several,
 * a spinning host takes the CPU the helpers need).
 */
#define HELPER_SPIN_SECONDS 200e-6

static int32_t *word(uint8_t *mb, size_t off)
{
	return (int32_t *)(void *)(mb + off);
}

/* Wake a sleeper on w, if the hint says one may be there. */
static void fwake(int32_t *w, int32_t *sleeping)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(sleeping, __ATOMIC_RELAXED))
		syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Wait until *w == want, at most until deadline (sm_now seconds). */
static int fwait(int32_t *w, int32_t *sleeping, int32_t want, double deadline,
		 double spin)
{
	double spin_end = sm_now() + spin;
	unsigned i;

	for (i = 0;; i++) {
		if (__atomic_load_n(w, __ATOMIC_ACQUIRE) == want)
			return 1;
		if ((i & 63) == 63 && sm_now() >= spin_end)
			break;
		relax();
	}
	for (;;) {
		int32_t cur;
		double left = deadline - sm_now();
		struct timespec ts;

		/* Say so before the last look, so a waker cannot miss us. */
		__atomic_store_n(sleeping, 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		cur = __atomic_load_n(w, __ATOMIC_ACQUIRE);
		if (cur == want || left <= 0) {
			__atomic_store_n(sleeping, 0, __ATOMIC_RELAXED);
			return cur == want;
		}
		if (left > 0.05)
			left = 0.05; /* a peer that never wakes us: poll */
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		syscall(SYS_futex, w, FUTEX_WAIT, cur, &ts, NULL, 0);
		__atomic_store_n(sleeping, 0, __ATOMIC_RELAXED);
	}
}

void sm_mh_post(uint8_t *mb, uint64_t cmd, uint64_t gpa)
{
	sm_put_le64(mb, cmd);
	sm_put_le64(mb + 8, gpa);
	sm_put_le32(mb + 0x10, 0);
	__atomic_store_n(word(mb, F_RET), -1, __ATOMIC_RELAXED);
	__atomic_store_n(word(mb, F_DONE), 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(word(mb, F_GO), 1, __ATOMIC_RELEASE);
	fwake(word(mb, F_GO), word(mb, F_SLEEP_GO));
}

int sm_mh_collect(uint8_t *mb, int timeout_ms, int spin_us, int32_t *ret,
		  struct sm_err *e)
{
	if (!fwait(word(mb, F_DONE), word(mb, F_SLEEP_DONE), 1,
		   sm_now() + timeout_ms / 1000.0, spin_us * 1e-6)) {
		/* Withdraw the request if the helper has not taken it. */
		int32_t one = 1;

		__atomic_compare_exchange_n(word(mb, F_GO), &one, 0, 0,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
		return sm_err_set(
			e, SM_EXIT_VM,
			"the migration helper did not answer within %d ms",
			timeout_ms);
	}
	*ret = __atomic_load_n(word(mb, F_RET), __ATOMIC_ACQUIRE);
	return 0;
}

int sm_mh_call(uint8_t *mb, uint64_t cmd, uint64_t gpa, int timeout_ms,
	       int32_t *ret, struct sm_err *e)
{
	sm_mh_post(mb, cmd, gpa);
	return sm_mh_collect(mb, timeout_ms, 100, ret, e);
}

int sm_mh_wait(uint8_t *mb, int timeout_ms, uint64_t *cmd, uint64_t *gpa)
{
	int32_t one = 1;

	if (!fwait(word(mb, F_GO), word(mb, F_SLEEP_GO), 1,
		   sm_now() + timeout_ms / 1000.0, HELPER_SPIN_SECONDS))
		return 0;
	/* Take the request: the host may have withdrawn it meanwhile. */
	if (!__atomic_compare_exchange_n(word(mb, F_GO), &one, 0, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return 0;
	*cmd = sm_get_le64(mb);
	*gpa = sm_get_le64(mb + 8);
	return 1;
}

void sm_mh_done(uint8_t *mb, int32_t ret)
{
	__atomic_store_n(word(mb, F_RET), ret, __ATOMIC_RELAXED);
	__atomic_store_n(word(mb, F_DONE), 1, __ATOMIC_RELEASE);
	fwake(word(mb, F_DONE), word(mb, F_SLEEP_DONE));
}
