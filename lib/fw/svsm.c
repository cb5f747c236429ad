// SPDX-License-Identifier: MIT
/*
 * The SVSM's migration core (svsm.h): the target's key pair and its
 * REPORT_DATA, the source's check of the target's report and the
 * transport key, the start record, the records in SNP's metadata-entry
 * layout, the END block, and the rules a target SVSM enforces.  The page
 * sealing is fw/pagecrypt's, ECDH and keys certs/keys', the report's
 * signature certs/snp-verify's.
 */
#include "fw/svsm.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/ossl.h"
#include "base/util.h"
#include "certs/cert.h"
#include "certs/snp-report.h"
#include "fw/pagecrypt.h"

#define KDF_INFO_LEN (sizeof(SM_SVSM_KDF_INFO) - 1)
#define SW_TYPE_SHIFT 56
#define SW_STATE_MAX_BITS 0xffffffull

void sm_svsm_entry_encode(const struct sm_svsm_entry *v,
			  uint8_t out[SM_SVSM_ENTRY_LEN])
{
	sm_put_le64(out, v->software_data);
	sm_put_le64(out + 0x08, v->iv);
	memcpy(out + 0x10, v->tag, sizeof(v->tag));
	sm_put_le64(out + 0x20, v->mdata);
	sm_put_le64(out + 0x28, v->vmpl);
	memcpy(out + 0x30, v->reserved, sizeof(v->reserved));
}

void sm_svsm_entry_decode(const uint8_t in[SM_SVSM_ENTRY_LEN],
			  struct sm_svsm_entry *v)
{
	v->software_data = sm_get_le64(in);
	v->iv = sm_get_le64(in + 0x08);
	memcpy(v->tag, in + 0x10, sizeof(v->tag));
	v->mdata = sm_get_le64(in + 0x20);
	v->vmpl = sm_get_le64(in + 0x28);
	memcpy(v->reserved, in + 0x30, sizeof(v->reserved));
}

/* ---- the LOAD blob ---- */

int sm_svsm_load_build(const struct sm_svsm_target *t, uint8_t **blob,
		       size_t *len)
{
	size_t n;
	uint8_t *b;

	*blob = NULL;
	*len = 0;
	if (!t->report || !t->pub || !t->nonce || !t->vcek || !t->vcek_len ||
	    t->vcek_len > SM_SVSM_VCEK_MAX || (t->chain_len && !t->chain) ||
	    t->chain_len > SM_SVSM_LOAD_MAX)
		return -1;
	n = SM_SVSM_LD_DATA + t->vcek_len + t->chain_len;
	if (n > SM_SVSM_LOAD_MAX)
		return -1;
	b = calloc(1, n);
	if (!b)
		return -1;
	memcpy(b + SM_SVSM_LD_REPORT, t->report, SM_SNP_REPORT_LEN);
	memcpy(b + SM_SVSM_LD_PUB, t->pub, SM_SVSM_PUB_LEN);
	memcpy(b + SM_SVSM_LD_NONCE, t->nonce, SM_SVSM_NONCE_LEN);
	sm_put_le32(b + SM_SVSM_LD_VCEK_LEN, (uint32_t)t->vcek_len);
	sm_put_le32(b + SM_SVSM_LD_CHAIN_LEN, (uint32_t)t->chain_len);
	memcpy(b + SM_SVSM_LD_DATA, t->vcek, t->vcek_len);
	if (t->chain_len)
		memcpy(b + SM_SVSM_LD_DATA + t->vcek_len, t->chain,
		       t->chain_len);
	*blob = b;
	*len = n;
	return 0;
}

int sm_svsm_load_parse(const uint8_t *b, size_t len, struct sm_svsm_target *t)
{
	uint32_t vl, cl;

	memset(t, 0, sizeof(*t));
	if (len < SM_SVSM_LD_DATA || len > SM_SVSM_LOAD_MAX ||
	    !sm_all_zero(b + SM_SVSM_TDATA_LEN,
			 SM_SVSM_LD_VCEK_LEN - SM_SVSM_TDATA_LEN) ||
	    sm_get_le32(b + SM_SVSM_LD_CHAIN_LEN + 4))
		return SM_SVSM_INVALID;
	vl = sm_get_le32(b + SM_SVSM_LD_VCEK_LEN);
	cl = sm_get_le32(b + SM_SVSM_LD_CHAIN_LEN);
	if (!vl || vl > SM_SVSM_VCEK_MAX || cl > SM_SVSM_LOAD_MAX ||
	    (size_t)SM_SVSM_LD_DATA + vl + cl != len)
		return SM_SVSM_INVALID;
	t->report = b + SM_SVSM_LD_REPORT;
	t->pub = b + SM_SVSM_LD_PUB;
	t->nonce = b + SM_SVSM_LD_NONCE;
	t->vcek = b + SM_SVSM_LD_DATA;
	t->vcek_len = vl;
	t->chain = cl ? b + SM_SVSM_LD_DATA + vl : NULL;
	t->chain_len = cl;
	return SM_SVSM_OK;
}

/* ---- the core ---- */

/* What the END hash covers of each record. */
struct meta {
	uint64_t sw, mdata, vmpl;
};

struct sm_svsm_core {
	enum sm_svsm_role role;
	uint64_t npages;
	uint32_t nvcpus;
	uint64_t cap; /* records a session may hold before END */
	pthread_mutex_t lock;
	/* target: the key pair of one migration */
	struct sm_key *key;
	uint8_t pub[SM_SVSM_PUB_LEN];
	uint8_t nonce[SM_SVSM_NONCE_LEN];
	int spent;
	uint8_t spent_sid[SM_SVSM_SID_LEN]; /* the migration it serves */
	/* the session */
	int active, ended;
	uint64_t gen; /* counts forgets: work begun before one is dropped */
	uint8_t sid[SM_SVSM_SID_LEN];
	uint8_t kt[SM_SVSM_KEY_LEN];
	uint64_t next_seq; /* source: the next seq to hand out */
	uint64_t max_seq; /* target: the highest seq opened, plus one */
	struct sm_svsm_counts n; /* sealed or opened */
	uint32_t state_total; /* 0: no STATE record yet */
	struct meta *meta; /* per seq */
	uint8_t *seen; /* target: a bit per seq */
	uint8_t *vcpu_seen; /* a byte per vCPU */
	uint8_t *chunk_seen; /* a byte per state chunk */
	/* source: LOAD */
	uint8_t *load;
	size_t load_len, load_total;
};

static void forget(struct sm_svsm_core *c)
{
	c->gen++;
	__atomic_store_n(&c->active, 0, __ATOMIC_RELEASE);
	c->next_seq = 0;
	c->max_seq = 0;
	memset(&c->n, 0, sizeof(c->n));
	c->state_total = 0;
	sm_wipe(c->kt, sizeof(c->kt));
	memset(c->sid, 0, sizeof(c->sid));
	memset(c->seen, 0, c->cap / 8 + 1);
	memset(c->vcpu_seen, 0, c->nvcpus);
	memset(c->chunk_seen, 0, SM_SVSM_STATE_MAX);
}

static void drop_load(struct sm_svsm_core *c)
{
	if (c->load)
		sm_wipe(c->load, c->load_total);
	free(c->load);
	c->load = NULL;
	c->load_len = c->load_total = 0;
}

/* Target, lock held: a new key pair and nonce. */
static int keygen_locked(struct sm_svsm_core *c)
{
	struct sm_err e;

	sm_key_free(c->key);
	c->key = NULL;
	c->spent = 1; /* until a new pair is complete */
	if (sm_key_generate_ec(&c->key, &e) ||
	    sm_key_ec_point(c->key, c->pub, &e) ||
	    sm_random(c->nonce, sizeof(c->nonce))) {
		sm_key_free(c->key);
		c->key = NULL;
		return -1;
	}
	c->spent = 0;
	return 0;
}

int sm_svsm_core_new(enum sm_svsm_role role, uint64_t npages, uint32_t nvcpus,
		     struct sm_svsm_core **out)
{
	struct sm_svsm_core *c;

	*out = NULL;
	if (!nvcpus || npages > (UINT64_MAX >> 13))
		return -1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	c->role = role;
	c->npages = npages;
	c->nvcpus = nvcpus;
	c->cap = npages + nvcpus + SM_SVSM_STATE_MAX;
	c->meta = calloc(c->cap, sizeof(*c->meta));
	c->seen = calloc(c->cap / 8 + 1, 1);
	c->vcpu_seen = calloc(nvcpus, 1);
	c->chunk_seen = calloc(SM_SVSM_STATE_MAX, 1);
	if (!c->meta || !c->seen || !c->vcpu_seen || !c->chunk_seen ||
	    pthread_mutex_init(&c->lock, NULL)) {
		free(c->meta);
		free(c->seen);
		free(c->vcpu_seen);
		free(c->chunk_seen);
		free(c);
		return -1;
	}
	if (role == SM_SVSM_TARGET && keygen_locked(c)) {
		sm_svsm_core_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

void sm_svsm_core_free(struct sm_svsm_core *c)
{
	if (!c)
		return;
	sm_key_free(c->key);
	sm_wipe(c->kt, sizeof(c->kt));
	drop_load(c);
	pthread_mutex_destroy(&c->lock);
	free(c->meta);
	free(c->seen);
	free(c->vcpu_seen);
	free(c->chunk_seen);
	free(c);
}

int sm_svsm_core_keygen(struct sm_svsm_core *c)
{
	int rc = SM_SVSM_INVALID;

	pthread_mutex_lock(&c->lock);
	if (c->role == SM_SVSM_TARGET) {
		forget(c);
		rc = keygen_locked(c) ? SM_SVSM_INVALID : SM_SVSM_OK;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* SHA-512(x || y || nonce): pub is 0x04 || x || y. */
static int report_data_of(const uint8_t pub[SM_SVSM_PUB_LEN],
			  const uint8_t nonce[SM_SVSM_NONCE_LEN],
			  uint8_t out[SM_SVSM_REPORT_DATA_LEN])
{
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	unsigned n = 0;
	int ok;

	ok = x && EVP_DigestInit_ex(x, EVP_sha512(), NULL) == 1 &&
	     EVP_DigestUpdate(x, pub + 1, SM_SVSM_PUB_LEN - 1) == 1 &&
	     EVP_DigestUpdate(x, nonce, SM_SVSM_NONCE_LEN) == 1 &&
	     EVP_DigestFinal_ex(x, out, &n) == 1 &&
	     n == SM_SVSM_REPORT_DATA_LEN;
	EVP_MD_CTX_free(x);
	return ok ? 0 : -1;
}

int sm_svsm_core_target_key(struct sm_svsm_core *c,
			    uint8_t pub[SM_SVSM_PUB_LEN],
			    uint8_t nonce[SM_SVSM_NONCE_LEN],
			    uint8_t report_data[SM_SVSM_REPORT_DATA_LEN])
{
	int rc = SM_SVSM_OK;

	pthread_mutex_lock(&c->lock);
	if (c->role != SM_SVSM_TARGET || !c->key)
		rc = SM_SVSM_INVALID;
	else if (report_data && report_data_of(c->pub, c->nonce, report_data))
		rc = SM_SVSM_INVALID;
	if (rc == SM_SVSM_OK && pub)
		memcpy(pub, c->pub, SM_SVSM_PUB_LEN);
	if (rc == SM_SVSM_OK && nonce)
		memcpy(nonce, c->nonce, SM_SVSM_NONCE_LEN);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int sm_svsm_core_spent(const struct sm_svsm_core *c)
{
	return __atomic_load_n(&c->spent, __ATOMIC_ACQUIRE);
}

/* Kt = HKDF-SHA384(z, sid, info || src id || dst id || nonce). */
static int derive(const uint8_t z[48], const uint8_t sid[SM_SVSM_SID_LEN],
		  const uint8_t *src_id, const uint8_t *dst_id,
		  const uint8_t *nonce, uint8_t kt[SM_SVSM_KEY_LEN])
{
	uint8_t info[KDF_INFO_LEN + 2 * SM_SVSM_REPORT_ID_LEN +
		     SM_SVSM_NONCE_LEN];

	memcpy(info, SM_SVSM_KDF_INFO, KDF_INFO_LEN);
	memcpy(info + KDF_INFO_LEN, src_id, SM_SVSM_REPORT_ID_LEN);
	memcpy(info + KDF_INFO_LEN + SM_SVSM_REPORT_ID_LEN, dst_id,
	       SM_SVSM_REPORT_ID_LEN);
	memcpy(info + KDF_INFO_LEN + 2 * SM_SVSM_REPORT_ID_LEN, nonce,
	       SM_SVSM_NONCE_LEN);
	return sm_pc_hkdf(SM_PC_SHA384, z, 48, sid, SM_SVSM_SID_LEN, info,
			  sizeof(info), kt, SM_SVSM_KEY_LEN);
}

/* The start record's offsets. */
enum {
	ST_VERSION = 0x010,
	ST_SUITE = 0x014,
	ST_SID = 0x018,
	ST_SRC_PUB = 0x028,
	ST_RSVD1 = 0x089,
	ST_SRC_ID = 0x090,
	ST_DST_ID = 0x0b0,
	ST_NONCE = 0x0d0,
	ST_DST_PUB = 0x0f0,
	ST_RSVD2 = 0x151,
};

/*
 * Source: is this the report of the target that holds pub?  REPORT_DATA
 * must bind pub and nonce, and the VCEK must have signed the report.
 */
static int check_target(const struct sm_svsm_target *t, struct sm_snp_report *r)
{
	uint8_t rd[SM_SVSM_REPORT_DATA_LEN];
	struct sm_err e;

	if (sm_snp_report_parse(t->report, SM_SNP_REPORT_LEN, "target report",
				r, &e))
		return SM_SVSM_INVALID;
	if (report_data_of(t->pub, t->nonce, rd))
		return SM_SVSM_INVALID;
	if (sm_ct_memcmp(rd, r->raw + SM_SNP_OFF_REPORT_DATA, sizeof(rd)))
		return SM_SVSM_AUTH;
	if (sm_snp_verify_signature(r, t->vcek, t->vcek_len, &e))
		return SM_SVSM_AUTH;
	/*
	 * CHAIN CHECK PLUGS IN HERE: the VCEK's chain (t->chain, ASK then
	 * ARK) up to a trusted ARK, with sm_snp_verify and an ARK override
	 * once struct sm_snp_verify_opts has one.  Until then the core
	 * trusts the VCEK it is given; the exporter has verified the chain
	 * of the target's bundle before it loads it here.
	 */
	return SM_SVSM_OK;
}

int sm_svsm_core_start_source(struct sm_svsm_core *c,
			      const struct sm_svsm_target *t,
			      const uint8_t my_report_id[SM_SVSM_REPORT_ID_LEN],
			      const uint8_t *sid,
			      uint8_t start[SM_SVSM_START_LEN])
{
	struct sm_snp_report *r = NULL;
	struct sm_key *eph = NULL;
	uint8_t z[48], kt[SM_SVSM_KEY_LEN], s[SM_SVSM_SID_LEN];
	struct sm_err e;
	int rc;

	if (!t->report || !t->pub || !t->nonce || !t->vcek || !t->vcek_len ||
	    t->vcek_len > SM_SVSM_VCEK_MAX || t->pub[0] != 0x04)
		return SM_SVSM_INVALID;
	pthread_mutex_lock(&c->lock);
	rc = c->role != SM_SVSM_SOURCE || c->ended ? SM_SVSM_INVALID :
						     SM_SVSM_OK;
	pthread_mutex_unlock(&c->lock);
	if (rc != SM_SVSM_OK)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r)
		return SM_SVSM_INVALID;
	rc = check_target(t, r);
	if (rc != SM_SVSM_OK)
		goto out;
	rc = SM_SVSM_INVALID;
	if (sid)
		memcpy(s, sid, sizeof(s));
	else if (sm_random(s, sizeof(s)))
		goto out;
	memset(start, 0, SM_SVSM_START_LEN);
	if (sm_key_generate_ec(&eph, &e) ||
	    sm_key_ec_point(eph, start + ST_SRC_PUB, &e) ||
	    sm_key_ecdh_point(eph, t->pub, z, &e))
		goto out;
	if (derive(z, s, my_report_id, r->raw + SM_SNP_OFF_REPORT_ID, t->nonce,
		   kt))
		goto out;
	memcpy(start, SM_SVSM_START_MAGIC, 16);
	sm_put_le32(start + ST_VERSION, 1);
	sm_put_le32(start + ST_SUITE, 1);
	memcpy(start + ST_SID, s, sizeof(s));
	memcpy(start + ST_SRC_ID, my_report_id, SM_SVSM_REPORT_ID_LEN);
	memcpy(start + ST_DST_ID, r->raw + SM_SNP_OFF_REPORT_ID,
	       SM_SVSM_REPORT_ID_LEN);
	memcpy(start + ST_NONCE, t->nonce, SM_SVSM_NONCE_LEN);
	memcpy(start + ST_DST_PUB, t->pub, SM_SVSM_PUB_LEN);
	pthread_mutex_lock(&c->lock);
	if (c->role == SM_SVSM_SOURCE && !c->ended) {
		forget(c);
		memcpy(c->sid, s, sizeof(s));
		memcpy(c->kt, kt, sizeof(kt));
		__atomic_store_n(&c->active, 1, __ATOMIC_RELEASE);
		rc = SM_SVSM_OK;
	}
	pthread_mutex_unlock(&c->lock);
out:
	if (rc != SM_SVSM_OK)
		memset(start, 0, SM_SVSM_START_LEN);
	sm_key_free(eph);
	sm_wipe(z, sizeof(z));
	sm_wipe(kt, sizeof(kt));
	free(r);
	return rc;
}

int sm_svsm_core_load(struct sm_svsm_core *c, uint64_t off,
		      const uint8_t *piece, size_t len, size_t total)
{
	int rc = SM_SVSM_INVALID;

	if (!len || len > SM_PAGE_SIZE || total < SM_SVSM_LD_DATA ||
	    total > SM_SVSM_LOAD_MAX || off > total || len > total - off)
		return SM_SVSM_INVALID;
	pthread_mutex_lock(&c->lock);
	if (c->role != SM_SVSM_SOURCE || c->ended)
		goto out;
	if (off == 0) {
		drop_load(c);
		c->load = calloc(1, total);
		if (!c->load)
			goto out;
		c->load_total = total;
	} else if (!c->load || off != c->load_len || total != c->load_total) {
		goto out;
	}
	memcpy(c->load + off, piece, len);
	c->load_len = off + len;
	rc = SM_SVSM_OK;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int sm_svsm_core_start_loaded(struct sm_svsm_core *c,
			      const uint8_t my_report_id[SM_SVSM_REPORT_ID_LEN],
			      uint8_t start[SM_SVSM_START_LEN])
{
	struct sm_svsm_target t;
	uint8_t *blob = NULL;
	size_t len = 0;
	int rc;

	pthread_mutex_lock(&c->lock);
	if (c->load && c->load_len == c->load_total) {
		blob = c->load;
		len = c->load_len;
		c->load = NULL;
		c->load_len = c->load_total = 0;
	}
	pthread_mutex_unlock(&c->lock);
	if (!blob)
		return SM_SVSM_INVALID;
	rc = sm_svsm_load_parse(blob, len, &t);
	if (rc == SM_SVSM_OK)
		rc = sm_svsm_core_start_source(c, &t, my_report_id, NULL,
					       start);
	sm_wipe(blob, len);
	free(blob);
	return rc;
}

int sm_svsm_core_start_target(struct sm_svsm_core *c,
			      const uint8_t my_report_id[SM_SVSM_REPORT_ID_LEN],
			      const uint8_t *st, size_t len)
{
	uint8_t z[48];
	struct sm_err e;
	int rc = SM_SVSM_INVALID;

	if (len != SM_SVSM_START_LEN ||
	    memcmp(st, SM_SVSM_START_MAGIC, 16) != 0 ||
	    sm_get_le32(st + ST_VERSION) != 1 ||
	    sm_get_le32(st + ST_SUITE) != 1 ||
	    !sm_all_zero(st + ST_RSVD1, ST_SRC_ID - ST_RSVD1) ||
	    !sm_all_zero(st + ST_RSVD2, SM_SVSM_START_LEN - ST_RSVD2) ||
	    st[ST_SRC_PUB] != 0x04)
		return SM_SVSM_INVALID;
	pthread_mutex_lock(&c->lock);
	if (c->role != SM_SVSM_TARGET || !c->key || c->ended)
		goto out;
	rc = SM_SVSM_AUTH;
	/*
	 * A spent key pair takes its own migration's start record again (the
	 * same stream, imported again after a cut), no other.
	 */
	if ((c->spent &&
	     sm_ct_memcmp(st + ST_SID, c->spent_sid, SM_SVSM_SID_LEN)) ||
	    sm_ct_memcmp(st + ST_DST_PUB, c->pub, SM_SVSM_PUB_LEN) ||
	    sm_ct_memcmp(st + ST_NONCE, c->nonce, SM_SVSM_NONCE_LEN) ||
	    sm_ct_memcmp(st + ST_DST_ID, my_report_id, SM_SVSM_REPORT_ID_LEN))
		goto out;
	rc = SM_SVSM_INVALID;
	forget(c);
	if (sm_key_ecdh_point(c->key, st + ST_SRC_PUB, z, &e) ||
	    derive(z, st + ST_SID, st + ST_SRC_ID, my_report_id, c->nonce,
		   c->kt))
		goto out;
	/* One migration per key pair: it serves no other session. */
	__atomic_store_n(&c->spent, 1, __ATOMIC_RELEASE);
	memcpy(c->spent_sid, st + ST_SID, SM_SVSM_SID_LEN);
	memcpy(c->sid, st + ST_SID, SM_SVSM_SID_LEN);
	__atomic_store_n(&c->active, 1, __ATOMIC_RELEASE);
	rc = SM_SVSM_OK;
out:
	pthread_mutex_unlock(&c->lock);
	sm_wipe(z, sizeof(z));
	return rc;
}

/* ---- records ---- */

static uint64_t sw_of(unsigned type, uint64_t low)
{
	return (uint64_t)type << SW_TYPE_SHIFT | low;
}

/* The entry's fields as the header defines them for its type. */
static int entry_ok(const struct sm_svsm_entry *v)
{
	uint64_t sw = v->software_data, flags = v->mdata & 0xfff;
	unsigned type = sm_svsm_sw_type(sw), i;
	uint32_t total;

	if (!sm_all_zero(v->reserved, sizeof(v->reserved)) ||
	    (v->vmpl >> 32) != 0 || !(flags & SM_SVSM_MD_VALID) ||
	    (flags &
	     ~(SM_SVSM_MD_VALID | SM_SVSM_MD_VALIDATED | SM_SVSM_MD_VMSA)))
		return 0;
	for (i = 0; i < 4; i++)
		if ((v->vmpl >> (8 * i)) & 0xf0)
			return 0;
	switch (type) {
	case SM_SVSM_REC_PAGE:
		return (sw & ~(0xffull << SW_TYPE_SHIFT)) == 0 &&
		       !(flags & SM_SVSM_MD_VMSA);
	case SM_SVSM_REC_VMSA:
		return (sw >> 32 & 0xffffff) == 0 &&
		       flags == (SM_SVSM_MD_VALID | SM_SVSM_MD_VALIDATED |
				 SM_SVSM_MD_VMSA) &&
		       v->vmpl == 0;
	case SM_SVSM_REC_STATE:
		total = sm_svsm_sw_total(sw);
		return (sw >> 48 & 0xff) == 0 && total >= 1 &&
		       total <= SM_SVSM_STATE_MAX &&
		       sm_svsm_sw_index(sw) < total &&
		       v->mdata == SM_SVSM_MD_VALID && v->vmpl == 0;
	case SM_SVSM_REC_END:
		return (sw & ~(0xffull << SW_TYPE_SHIFT)) == 0 &&
		       v->mdata == SM_SVSM_MD_VALID && v->vmpl == 0;
	default:
		return 0;
	}
}

/* AAD: the entry with its tag zeroed, sid, seq. */
static void aad_of(const uint8_t entry[SM_SVSM_ENTRY_LEN],
		   const uint8_t sid[SM_SVSM_SID_LEN], uint64_t seq,
		   uint8_t aad[SM_SVSM_AAD_LEN])
{
	memcpy(aad, entry, SM_SVSM_ENTRY_LEN);
	memset(aad + 0x10, 0, 16);
	memcpy(aad + SM_SVSM_ENTRY_LEN, sid, SM_SVSM_SID_LEN);
	sm_put_le64(aad + SM_SVSM_ENTRY_LEN + SM_SVSM_SID_LEN, seq);
}

/* The END block over meta[0 .. records-1]. */
static int end_block(const struct sm_svsm_core *c, uint8_t blk[4096])
{
	struct sm_sha256 *h = NULL;
	uint64_t i, records = c->n.records;
	uint8_t q[32];
	int rc = -1;

	memset(blk, 0, 4096);
	memcpy(blk, SM_SVSM_END_MAGIC, 16);
	sm_put_le64(blk + 0x10, c->n.pages);
	sm_put_le64(blk + 0x18, c->n.vmsas);
	sm_put_le64(blk + 0x20, c->n.states);
	sm_put_le64(blk + 0x28, records);
	if (sm_sha256_new(&h))
		return -1;
	for (i = 0; i < records; i++) {
		sm_put_le64(q, c->meta[i].sw);
		sm_put_le64(q + 8, c->meta[i].mdata);
		sm_put_le64(q + 16, c->meta[i].vmpl);
		sm_put_le64(q + 24, i);
		if (sm_sha256_update(h, q, sizeof(q)))
			goto out;
	}
	rc = sm_sha256_final(h, blk + 0x30);
out:
	sm_sha256_free(h);
	return rc;
}

/*
 * Lock held: count a record of software_data sw: pages up to npages,
 * each vCPU and each chunk once, one chunk total.  0, or fail (the
 * caller's refusal) when it may not be.
 */
static int count_rec(struct sm_svsm_core *c, uint64_t sw, int fail)
{
	uint32_t i = sm_svsm_sw_index(sw), total = sm_svsm_sw_total(sw);

	switch (sm_svsm_sw_type(sw)) {
	case SM_SVSM_REC_PAGE:
		if (c->n.pages >= c->npages)
			return fail;
		c->n.pages++;
		break;
	case SM_SVSM_REC_VMSA:
		if (i >= c->nvcpus || c->vcpu_seen[i])
			return fail;
		c->vcpu_seen[i] = 1;
		c->n.vmsas++;
		break;
	case SM_SVSM_REC_STATE:
		if ((c->state_total && total != c->state_total) ||
		    c->chunk_seen[i])
			return fail;
		c->state_total = total;
		c->chunk_seen[i] = 1;
		c->n.states++;
		break;
	default:
		return fail;
	}
	return 0;
}

/* Source, lock held: claim the next seq for v, if it may be sealed. */
static int claim(struct sm_svsm_core *c, struct sm_svsm_entry *v)
{
	if (c->role != SM_SVSM_SOURCE || !c->active || c->ended ||
	    c->next_seq >= c->cap ||
	    count_rec(c, v->software_data, SM_SVSM_INVALID))
		return SM_SVSM_INVALID;
	v->iv = c->next_seq++;
	c->meta[v->iv] = (struct meta){ v->software_data, v->mdata, v->vmpl };
	c->n.records = c->next_seq;
	return SM_SVSM_OK;
}

/* Seal plain under the session as entry v (iv set). */
static int seal(const uint8_t kt[SM_SVSM_KEY_LEN],
		const uint8_t sid[SM_SVSM_SID_LEN], struct sm_svsm_entry *v,
		const uint8_t *plain, uint8_t entry[SM_SVSM_ENTRY_LEN],
		uint8_t ct[4096])
{
	uint8_t aad[SM_SVSM_AAD_LEN], iv[SM_PC_IV_LEN];

	memset(v->tag, 0, sizeof(v->tag));
	sm_svsm_entry_encode(v, entry);
	aad_of(entry, sid, v->iv, aad);
	sm_pc_iv(v->iv, iv);
	if (sm_pc_gcm_page(1, kt, iv, aad, sizeof(aad), plain, ct, v->tag))
		return SM_SVSM_INVALID;
	memcpy(entry + 0x10, v->tag, sizeof(v->tag));
	return SM_SVSM_OK;
}

static int seal_rec(struct sm_svsm_core *c, struct sm_svsm_entry *v,
		    const uint8_t plain[4096], uint8_t entry[SM_SVSM_ENTRY_LEN],
		    uint8_t ct[4096])
{
	uint8_t kt[SM_SVSM_KEY_LEN], sid[SM_SVSM_SID_LEN];
	int rc;

	if (!entry_ok(v))
		return SM_SVSM_INVALID;
	pthread_mutex_lock(&c->lock);
	rc = claim(c, v);
	memcpy(kt, c->kt, sizeof(kt));
	memcpy(sid, c->sid, sizeof(sid));
	pthread_mutex_unlock(&c->lock);
	if (rc == SM_SVSM_OK)
		rc = seal(kt, sid, v, plain, entry, ct);
	sm_wipe(kt, sizeof(kt));
	return rc;
}

int sm_svsm_core_seal_page(struct sm_svsm_core *c, uint64_t gpa,
			   const uint8_t plain[4096], int validated,
			   uint64_t vmpl, uint8_t entry[SM_SVSM_ENTRY_LEN],
			   uint8_t ct[4096])
{
	struct sm_svsm_entry v = {
		.software_data = sw_of(SM_SVSM_REC_PAGE, 0),
		.mdata = gpa | SM_SVSM_MD_VALID |
			 (validated ? SM_SVSM_MD_VALIDATED : 0),
		.vmpl = vmpl,
	};

	if (gpa % SM_PAGE_SIZE || (validated != 0 && validated != 1))
		return SM_SVSM_INVALID;
	return seal_rec(c, &v, plain, entry, ct);
}

int sm_svsm_core_seal_vmsa(struct sm_svsm_core *c, uint32_t vcpu, uint64_t gpa,
			   const uint8_t plain[4096],
			   uint8_t entry[SM_SVSM_ENTRY_LEN], uint8_t ct[4096])
{
	struct sm_svsm_entry v = {
		.software_data = sw_of(SM_SVSM_REC_VMSA, vcpu),
		.mdata = gpa | SM_SVSM_MD_VALID | SM_SVSM_MD_VALIDATED |
			 SM_SVSM_MD_VMSA,
	};

	if (gpa % SM_PAGE_SIZE)
		return SM_SVSM_INVALID;
	return seal_rec(c, &v, plain, entry, ct);
}

int sm_svsm_core_seal_state(struct sm_svsm_core *c, uint32_t index,
			    uint32_t total, const uint8_t plain[4096],
			    uint8_t entry[SM_SVSM_ENTRY_LEN], uint8_t ct[4096])
{
	struct sm_svsm_entry v = { .mdata = SM_SVSM_MD_VALID };

	if (total < 1 || total > SM_SVSM_STATE_MAX || index >= total)
		return SM_SVSM_INVALID;
	v.software_data = sw_of(SM_SVSM_REC_STATE,
				(uint64_t)total << 24 | (uint64_t)index);
	return seal_rec(c, &v, plain, entry, ct);
}

int sm_svsm_core_seal_end(struct sm_svsm_core *c,
			  uint8_t entry[SM_SVSM_ENTRY_LEN], uint8_t ct[4096])
{
	struct sm_svsm_entry v = {
		.software_data = sw_of(SM_SVSM_REC_END, 0),
		.mdata = SM_SVSM_MD_VALID,
	};
	uint8_t blk[4096];
	int rc = SM_SVSM_INVALID;

	pthread_mutex_lock(&c->lock);
	if (c->role != SM_SVSM_SOURCE || !c->active || c->ended ||
	    c->n.vmsas != c->nvcpus || c->n.states != c->state_total ||
	    end_block(c, blk))
		goto out;
	v.iv = c->next_seq;
	rc = seal(c->kt, c->sid, &v, blk, entry, ct);
	if (rc == SM_SVSM_OK) {
		/* Nothing more leaves: the caller erases the guest's keys. */
		__atomic_store_n(&c->ended, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&c->active, 0, __ATOMIC_RELEASE);
		sm_wipe(c->kt, sizeof(c->kt));
	}
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/*
 * Target: check and authenticate one record of type want (its entry's
 * index, gpa checked by the caller's pre() beforehand).  0 with v filled,
 * plain written and *gen the session's, or an sm_svsm_ret (plain wiped).
 */
static int open_rec(struct sm_svsm_core *c, unsigned want,
		    const uint8_t entry[SM_SVSM_ENTRY_LEN], const uint8_t *ct,
		    struct sm_svsm_entry *v, uint8_t plain[4096], uint64_t *gen)
{
	uint8_t kt[SM_SVSM_KEY_LEN], aad[SM_SVSM_AAD_LEN], iv[SM_PC_IV_LEN];
	int rc = SM_SVSM_OK;

	sm_svsm_entry_decode(entry, v);
	if (!entry_ok(v))
		return SM_SVSM_INVALID;
	pthread_mutex_lock(&c->lock);
	if (c->role != SM_SVSM_TARGET)
		rc = SM_SVSM_INVALID;
	else if (c->ended)
		rc = SM_SVSM_AUTH; /* nothing after END */
	else if (!c->active)
		rc = SM_SVSM_INVALID;
	else if (sm_svsm_sw_type(v->software_data) != want)
		rc = SM_SVSM_AUTH;
	else if (want != SM_SVSM_REC_END && /* END's seq: accept_end's */
		 (v->iv >= c->cap ||
		  (c->seen[v->iv / 8] & (1u << (v->iv % 8)))))
		rc = SM_SVSM_AUTH;
	memcpy(kt, c->kt, sizeof(kt));
	aad_of(entry, c->sid, v->iv, aad);
	*gen = c->gen;
	pthread_mutex_unlock(&c->lock);
	if (rc == SM_SVSM_OK) {
		sm_pc_iv(v->iv, iv);
		if (sm_pc_gcm_page(0, kt, iv, aad, sizeof(aad), ct, plain,
				   v->tag))
			rc = SM_SVSM_AUTH;
	}
	sm_wipe(kt, sizeof(kt));
	if (rc != SM_SVSM_OK)
		sm_wipe(plain, 4096);
	return rc;
}

/*
 * Target, lock held: the record v (authentic, of session gen) is taken:
 * its seq once, and counted.
 */
static int take(struct sm_svsm_core *c, const struct sm_svsm_entry *v,
		uint64_t gen)
{
	if (c->gen != gen)
		return SM_SVSM_INVALID; /* a RESET came in between */
	if (c->ended || (c->seen[v->iv / 8] & (1u << (v->iv % 8))) ||
	    count_rec(c, v->software_data, SM_SVSM_AUTH))
		return SM_SVSM_AUTH;
	c->seen[v->iv / 8] |= (uint8_t)(1u << (v->iv % 8));
	c->meta[v->iv] = (struct meta){ v->software_data, v->mdata, v->vmpl };
	c->n.records++;
	if (v->iv + 1 > c->max_seq)
		c->max_seq = v->iv + 1;
	return SM_SVSM_OK;
}

static int open_take(struct sm_svsm_core *c, unsigned want,
		     const uint8_t entry[SM_SVSM_ENTRY_LEN],
		     const uint8_t ct[4096], struct sm_svsm_entry *v,
		     uint8_t plain[4096])
{
	uint64_t gen;
	int rc = open_rec(c, want, entry, ct, v, plain, &gen);

	if (rc != SM_SVSM_OK)
		return rc;
	pthread_mutex_lock(&c->lock);
	rc = take(c, v, gen);
	pthread_mutex_unlock(&c->lock);
	if (rc != SM_SVSM_OK)
		sm_wipe(plain, 4096);
	return rc;
}

int sm_svsm_core_open_page(struct sm_svsm_core *c, uint64_t gpa,
			   const uint8_t entry[SM_SVSM_ENTRY_LEN],
			   const uint8_t ct[4096], uint8_t plain[4096],
			   int *validated, uint64_t *vmpl)
{
	struct sm_svsm_entry v;
	int rc;

	if (gpa % SM_PAGE_SIZE)
		return SM_SVSM_INVALID;
	if ((sm_get_le64(entry + 0x20) & SM_SVSM_MD_GPA_MASK) != gpa)
		return SM_SVSM_AUTH; /* not the page asked for */
	rc = open_take(c, SM_SVSM_REC_PAGE, entry, ct, &v, plain);
	if (rc != SM_SVSM_OK)
		return rc;
	if (validated)
		*validated = !!(v.mdata & SM_SVSM_MD_VALIDATED);
	if (vmpl)
		*vmpl = v.vmpl;
	return SM_SVSM_OK;
}

/* A VMSA or STATE record for the vCPU or chunk index, no other. */
static int open_indexed(struct sm_svsm_core *c, unsigned type, uint32_t index,
			const uint8_t entry[SM_SVSM_ENTRY_LEN],
			const uint8_t ct[4096], uint8_t plain[4096],
			struct sm_svsm_entry *v)
{
	uint64_t sw = sm_get_le64(entry);

	if (sm_svsm_sw_type(sw) == type && sm_svsm_sw_index(sw) != index)
		return SM_SVSM_AUTH; /* another vCPU's, another chunk */
	return open_take(c, type, entry, ct, v, plain);
}

int sm_svsm_core_open_vmsa(struct sm_svsm_core *c, uint32_t vcpu,
			   const uint8_t entry[SM_SVSM_ENTRY_LEN],
			   const uint8_t ct[4096], uint8_t plain[4096],
			   uint64_t *gpa)
{
	struct sm_svsm_entry v;
	int rc = open_indexed(c, SM_SVSM_REC_VMSA, vcpu, entry, ct, plain, &v);

	if (rc == SM_SVSM_OK && gpa)
		*gpa = v.mdata & SM_SVSM_MD_GPA_MASK;
	return rc;
}

int sm_svsm_core_open_state(struct sm_svsm_core *c, uint32_t index,
			    const uint8_t entry[SM_SVSM_ENTRY_LEN],
			    const uint8_t ct[4096], uint8_t plain[4096],
			    uint32_t *total)
{
	struct sm_svsm_entry v;
	int rc =
		open_indexed(c, SM_SVSM_REC_STATE, index, entry, ct, plain, &v);

	if (rc == SM_SVSM_OK && total)
		*total = sm_svsm_sw_total(v.software_data);
	return rc;
}

int sm_svsm_core_accept_end(struct sm_svsm_core *c,
			    const uint8_t entry[SM_SVSM_ENTRY_LEN],
			    const uint8_t ct[4096])
{
	uint8_t blk[4096], want[4096];
	struct sm_svsm_entry v;
	uint64_t gen;
	int rc;

	rc = open_rec(c, SM_SVSM_REC_END, entry, ct, &v, blk, &gen);
	if (rc != SM_SVSM_OK)
		return rc;
	pthread_mutex_lock(&c->lock);
	if (c->gen != gen)
		rc = SM_SVSM_INVALID;
	else if (c->ended || v.iv != c->n.records ||
		 c->max_seq > c->n.records || c->n.vmsas != c->nvcpus ||
		 c->n.states != c->state_total || end_block(c, want) ||
		 sm_ct_memcmp(blk, want, sizeof(blk)))
		rc = SM_SVSM_AUTH;
	else {
		__atomic_store_n(&c->ended, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&c->active, 0, __ATOMIC_RELEASE);
		sm_wipe(c->kt, sizeof(c->kt));
	}
	pthread_mutex_unlock(&c->lock);
	sm_wipe(blk, sizeof(blk));
	return rc;
}

/* ---- session and role ---- */

int sm_svsm_core_reset(struct sm_svsm_core *c)
{
	pthread_mutex_lock(&c->lock);
	forget(c);
	drop_load(c);
	/*
	 * The guest stays where it was: a source whose END went out but which
	 * was not released (the export was abandoned) may move again later;
	 * a target forgets what it received (its key pair stays spent).
	 */
	__atomic_store_n(&c->ended, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&c->lock);
	return SM_SVSM_OK;
}

int sm_svsm_core_set_role(struct sm_svsm_core *c, enum sm_svsm_role role)
{
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	forget(c);
	drop_load(c);
	__atomic_store_n(&c->ended, 0, __ATOMIC_RELEASE);
	c->role = role;
	sm_key_free(c->key);
	c->key = NULL;
	c->spent = 0;
	if (role == SM_SVSM_TARGET)
		rc = keygen_locked(c);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

enum sm_svsm_role sm_svsm_core_role(const struct sm_svsm_core *c)
{
	return c->role;
}

int sm_svsm_core_ended(const struct sm_svsm_core *c)
{
	return __atomic_load_n(&c->ended, __ATOMIC_ACQUIRE);
}

int sm_svsm_core_active(const struct sm_svsm_core *c)
{
	return __atomic_load_n(&c->active, __ATOMIC_ACQUIRE);
}

void sm_svsm_core_counts(struct sm_svsm_core *c, struct sm_svsm_counts *n)
{
	pthread_mutex_lock(&c->lock);
	*n = c->n;
	pthread_mutex_unlock(&c->lock);
}
