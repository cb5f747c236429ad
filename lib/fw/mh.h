/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_MH_H
#define SEVMIG_MH_H

/*
 * The guest-assisted migration helper (MH): the interface a helper inside
 * the guest offers the host, and the helper's own rules.  It stands where
 * the PSP stands for the PSP method, which is why it lives beside the
 * firmware seam.  docs/sevmig-archive.5 ("The migration helper") is the
 * reference; in short:
 *
 * Mailbox (the QEMU RFC's, where it defined anything): two shared pages
 * per helper.  Helper i's mailbox is at SM_MH_MAILBOX_GPA + i * 0x2000
 * (helper 0 at the RFC's 0x820000):
 *   +0x000  command block: u64 cmd_type, u64 gpa, i32 prefetch (0),
 *           i32 ret, i32 go, i32 done
 *   +0x800  page header: u32 len, then len (<= 1024) bytes
 *   +0x1000 the 4 KiB transport page
 * The host writes the fields, ret = -1, done = 0, a barrier, go = 1, and
 * waits (bounded) for done; the helper clears go, works, writes ret and
 * sets done.  Both sides also wake the other with a futex on go and done
 * (the words are in a shared mapping), so neither spins for long.
 *
 * Envelope (the page header's data, 68 bytes, little-endian):
 *   0x00 u8 version 1, 0x01 u8 alg 1 (AES-256-GCM), 0x02 u16 flags 0,
 *   0x04 u32 reserved 0, 0x08 u64 gpa, 0x10 u64 seq,
 *   0x18 u8 session_id[16], 0x28 u8 iv[12], 0x34 u8 tag[16]
 * iv = seq (8 bytes LE) || 4 zero bytes; AAD = bytes 0x00..0x27; the key
 * Ks = HKDF-SHA256(ikm K, salt session_id, info "sevmig-mh-v1"), 32 bytes;
 * plaintext the 4096-byte page.  END: gpa = all ones, seq = the number of
 * page records (one past the last page's seq), plaintext = the END block:
 *   0x00 char[16] "sevmig-mh-end-v1", 0x10 u64 count of page records,
 *   0x18 u8[32] SHA-256 over count entries (u64 gpa, u64 seq) in seq
 *   order 0..count-1, zeros to 4096.
 *
 * The core below is the helper's logic without threads or memory: the
 * simulator's helper threads (sim/) wrap it around a guest; the unit
 * tests drive it directly.  Returns SM_MH_OK, SM_MH_INVALID (a malformed
 * or out-of-order request) or SM_MH_AUTH (authentication failed).
 */

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define SM_MH_MAILBOX_GPA 0x820000ull
#define SM_MH_MAILBOX_STRIDE 0x2000ull
#define SM_MH_MAX_HELPERS 8u
#define SM_MH_HDR_OFF 0x800u
#define SM_MH_PAGE_OFF 0x1000u
#define SM_MH_HDR_MAX 1024u
#define SM_MH_ENV_LEN 68u
#define SM_MH_AAD_LEN 40u
#define SM_MH_KEY_LEN 32u
#define SM_MH_SID_LEN 16u
#define SM_MH_END_GPA UINT64_MAX
/* What an archive record of the MH carries: u32 len, envelope, page. */
#define SM_MH_REC_LEN (4u + SM_MH_ENV_LEN + 4096u)
#define SM_MH_END_MAGIC "sevmig-mh-end-v1"

/* The launch-secret GUID whose 32-byte data is the owner's key K. */
#define SM_MH_KEY_GUID "d6bf1556-0082-48ae-a8bc-e16a13d76f44"
extern const uint8_t sm_mh_key_guid[16]; /* as OVMF stores it */

enum sm_mh_cmd {
	SM_MH_INIT = 0,
	SM_MH_ENCRYPT = 1,
	SM_MH_DECRYPT = 2,
	SM_MH_RESET = 3,
	SM_MH_END = 4,
};

enum sm_mh_ret { SM_MH_OK = 0, SM_MH_INVALID = -1, SM_MH_AUTH = -2 };

/* The command block's fields, at the start of the mailbox. */
struct sm_mh_cmdblk {
	uint64_t cmd_type;
	uint64_t gpa;
	int32_t prefetch;
	int32_t ret;
	int32_t go;
	int32_t done;
};

struct sm_mh_env {
	uint8_t version, alg;
	uint16_t flags;
	uint32_t reserved;
	uint64_t gpa, seq;
	uint8_t sid[SM_MH_SID_LEN];
	uint8_t iv[12];
	uint8_t tag[16];
};

void sm_mh_env_encode(const struct sm_mh_env *v, uint8_t out[SM_MH_ENV_LEN]);
void sm_mh_env_decode(const uint8_t in[SM_MH_ENV_LEN], struct sm_mh_env *v);

/* ---- the helper's core ---- */

enum sm_mh_role { SM_MH_SOURCE, SM_MH_TARGET };

struct sm_mh_core;

/* A core for a guest of npages pages (bounds seq).  0 or -1 (ENOMEM). */
int sm_mh_core_new(enum sm_mh_role role, uint64_t npages,
		   struct sm_mh_core **c);
void sm_mh_core_free(struct sm_mh_core *c);
/* The owner's key K, found in the guest's secret table; wiped on free. */
void sm_mh_core_set_key(struct sm_mh_core *c, const uint8_t key[SM_MH_KEY_LEN]);
int sm_mh_core_has_key(const struct sm_mh_core *c);
/*
 * INIT: source, a fresh random session (sid may be NULL; a test passes
 * one); target, forget any session.  RESET: forget everything of the
 * session (the source may INIT again).
 */
int sm_mh_core_init(struct sm_mh_core *c, const uint8_t *sid);
int sm_mh_core_reset(struct sm_mh_core *c);
/*
 * Source: seal one page; hdr gets u32 len then the envelope
 * (4 + SM_MH_ENV_LEN bytes), out the ciphertext.  Safe from several
 * threads at once (the seq counter is taken under a lock).
 */
int sm_mh_core_encrypt(struct sm_mh_core *c, uint64_t gpa,
		       const uint8_t plain[4096], uint8_t *hdr,
		       uint8_t out[4096]);
/* Source: the END record (same form); no ENCRYPT after it. */
int sm_mh_core_end(struct sm_mh_core *c, uint8_t *hdr, uint8_t out[4096]);
/*
 * Target: open one page record for gpa (the envelope must name it);
 * plain is written only when everything holds.  hdr_len: the bytes at
 * hdr (u32 len and what follows).
 */
int sm_mh_core_decrypt(struct sm_mh_core *c, uint64_t gpa, const uint8_t *hdr,
		       size_t hdr_len, const uint8_t in[4096],
		       uint8_t plain[4096]);
/* Target: check the END record against what arrived. */
int sm_mh_core_accept_end(struct sm_mh_core *c, const uint8_t *hdr,
			  size_t hdr_len, const uint8_t in[4096]);
/* A received guest that runs becomes a source: role changes, K stays. */
void sm_mh_core_set_role(struct sm_mh_core *c, enum sm_mh_role role);
enum sm_mh_role sm_mh_core_role(const struct sm_mh_core *c);
/* Source: END was produced.  Target: a valid END was accepted. */
int sm_mh_core_ended(const struct sm_mh_core *c);
/* Source: a session is open (INIT ran, no RESET since). */
int sm_mh_core_active(const struct sm_mh_core *c);

/* ---- the mailbox handshake ---- */

/*
 * Host side: one command through the mailbox at mb (mapped shared),
 * waiting at most timeout_ms for done.  *ret gets the helper's answer.
 * 0, or -1 with e set (SM_EXIT_VM: the helper did not answer in time).
 */
int sm_mh_call(uint8_t *mb, uint64_t cmd, uint64_t gpa, int timeout_ms,
	       int32_t *ret, struct sm_err *e);
/* The same in two steps, so a host can keep several helpers busy. */
void sm_mh_post(uint8_t *mb, uint64_t cmd, uint64_t gpa);
/* spin_us: how long to watch done before sleeping on it. */
int sm_mh_collect(uint8_t *mb, int timeout_ms, int spin_us, int32_t *ret,
		  struct sm_err *e);
/*
 * Helper side: wait up to timeout_ms for go; 1 with *cmd and *gpa read
 * (go cleared), 0 on time-out.  Then sm_mh_done(mb, ret).
 */
int sm_mh_wait(uint8_t *mb, int timeout_ms, uint64_t *cmd, uint64_t *gpa);
void sm_mh_done(uint8_t *mb, int32_t ret);

#endif
