/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_SVSM_H
#define SEVMIG_SVSM_H

/*
 * The SVSM's migration core for --method svsm (issue 17): what the
 * guest's VMPL0 firmware (the SVSM) does to move an SNP guest, without
 * threads or guest memory, and its wire formats.  It stands where the PSP
 * stands for the PSP method and the helper for the mh method, beside the
 * firmware seam.  The simulator's SVSM (sim/vmm-svsm.c) wraps it around a
 * guest; the unit tests (tests/unit/test-svsm.c) drive it directly.
 * docs/sevmig-archive.5 ("The SVSM's records") is the reference; every
 * integer is little-endian unless said otherwise.
 *
 * ---- Keys (shared/reference/migration-methods.md B.8, B.9) ----
 *
 * The TARGET's core holds an ephemeral EC P-384 key pair and a 32-byte
 * random nonce (made by sm_svsm_core_new and sm_svsm_core_keygen):
 *   pub          97 bytes, the uncompressed point 0x04 || x || y
 *                (x, y 48-byte big-endian each)
 *   REPORT_DATA  SHA-512(x || y || nonce), 64 bytes (COCONUT's
 *                convention), what the target SVSM asks its PSP to put
 *                in its attestation report
 * A key pair serves one migration: it is spent when a start record
 * naming it is accepted (sm_svsm_core_start_target) and stays spent
 * through RESET; a start of another session against it is SM_SVSM_AUTH
 * ("a second migration to a used target key"), while the same start
 * record may come again (the same stream imported again after a cut: a
 * guest is never lost to a broken import).  sm_svsm_core_keygen makes a
 * new one.
 *
 * The SOURCE's core, given the target's report (0x4A0 bytes), pub, nonce
 * and VCEK (DER), checks REPORT_DATA == SHA-512(x || y || nonce) and the
 * report's ECDSA P-384/SHA-384 signature (bytes 0x000-0x29f; r, s
 * little-endian 72-byte fields at 0x2a0, 0x2e8) by the VCEK's key, else
 * SM_SVSM_AUTH.  (The VCEK's chain to an ARK is not checked here yet: the
 * exporter checks it; svsm.c has one marked place where it plugs in.)
 * Then an ephemeral P-384 key of its own, a random 16-byte session id
 * (sid), and the transport key
 *   Kt = HKDF-SHA384(ikm  = the ECDH shared secret (the 48-byte
 *                           big-endian x coordinate),
 *                    salt = sid,
 *                    info = "sevmig-svsm-v1" (14 bytes, no NUL)
 *                           || source report_id[32]
 *                           || target report_id[32] || nonce[32]),
 *        32 bytes, the AES-256-GCM key of every record of the session.
 * report_id is the 32-byte field at 0x140 of each side's own report.
 *
 * ---- The start record (SM_SVSM_START_LEN = 0x160 bytes) ----
 *
 *   0x000 char[16] "sevmig-svsm-st-1" (no NUL)
 *   0x010 u32      version, 1
 *   0x014 u32      suite, 1: P-384 ECDH, HKDF-SHA384, AES-256-GCM
 *   0x018 u8[16]   session id
 *   0x028 u8[97]   source pub (0x04 || x || y)
 *   0x089 u8[7]    reserved, 0
 *   0x090 u8[32]   source report_id
 *   0x0b0 u8[32]   target report_id
 *   0x0d0 u8[32]   nonce (the target's)
 *   0x0f0 u8[97]   target pub
 *   0x151 u8[15]   reserved, 0
 * The source writes it to the stream before any record.  The target
 * accepts it only if target pub, nonce and target report_id are its own
 * (else SM_SVSM_AUTH), its key pair is not spent (else SM_SVSM_AUTH), and
 * magic, version, suite and reserved bytes are as above (else
 * SM_SVSM_INVALID).  Nothing in it is secret; it is not signed: a start
 * record changed on the way gives a Kt under which no record opens.
 *
 * ---- A record: a 64-byte entry (SNP's metadata entry, B.3) + 4096 ----
 *
 *   0x00 u64     software_data: bits 63-56 the record type
 *                  (1 PAGE, 2 VMSA, 3 STATE, 4 END), and
 *                  PAGE, END: bits 55-0 zero
 *                  VMSA:  bits 31-0 the vCPU index, 55-32 zero
 *                  STATE: bits 23-0 the chunk index, 47-24 the number
 *                         of chunks (1 .. SM_SVSM_STATE_MAX), 55-48 zero
 *   0x08 u64     iv: seq, the record's number in its session (one
 *                counter for every record type, from 0)
 *   0x10 u8[16]  GCM tag
 *   0x20 u64     mdata: bit 0 valid (1), bit 1 page_validated, bit 2
 *                vmsa, bit 3 metadata (0), bit 4 page_size (0: 4 KiB),
 *                bits 11-5 zero, bits 63-12 gpa >> 12 (the word is the
 *                gpa with the flags in its low 12 bits)
 *                  PAGE:  the page's gpa, validated as the RMP had it
 *                  VMSA:  the VMSA page's gpa, validated 1, vmsa 1
 *                  STATE, END: gpa 0, validated 0, vmsa 0
 *   0x28 u64     vmpl: the RMP's VMPL permission bytes, byte i the mask
 *                of VMPL i (bit 0 read, 1 write, 2 user execute, 3
 *                supervisor execute; bits 7-4 zero) for i = 0..3 (byte 0
 *                is recorded as given: the hardware does not restrict
 *                VMPL0), bytes 4-7 zero.  PAGE: as the RMP had them;
 *                other types: 0
 *   0x30 u8[16]  reserved, 0
 * then 4096 bytes of AES-256-GCM ciphertext under Kt with
 *   IV  = iv (8 bytes LE) || 4 zero bytes
 *   AAD = the 64-byte entry with its tag field (0x10-0x1f) zeroed
 *         || sid[16] || seq (u64 LE): SM_SVSM_AAD_LEN = 88 bytes
 * Plaintext: PAGE the guest page; VMSA the vCPU's 4096-byte save area;
 * STATE chunk index of the SVSM's own state (a simulated vTPM, say),
 * zero-padded; END the END block:
 *   0x00 char[16] "sevmig-svsm-end1" (no NUL)
 *   0x10 u64      PAGE records
 *   0x18 u64      VMSA records (= the guest's vCPUs)
 *   0x20 u64      STATE records (= the number of chunks, 0 allowed)
 *   0x28 u64      records before END (the sum; = END's own seq)
 *   0x30 u8[32]   SHA-256 over, for each seq 0 .. records-1 in order,
 *                 the record's u64 software_data, u64 mdata, u64 vmpl,
 *                 u64 seq (32 bytes each, LE)
 *   0x50          zeros to 4096
 * SM_SVSM_REC_LEN = 64 + 4096: how a record travels (entry, then ct).
 *
 * ---- What the target refuses ----
 *
 * SM_SVSM_INVALID (-1): malformed input (reserved bits or bytes, a bad
 * mdata or vmpl word, a type field outside 1-4), a call in the wrong role
 * or before a start; SM_SVSM_AUTH (-2): a record that is not the one
 * asked for or cannot be genuine: a tag that does not verify (a flipped
 * byte of entry or ct, another session, another key), a type other than
 * the open function's, another gpa than expected (PAGE), another vCPU
 * (VMSA) or chunk (STATE) than expected, a seq already opened, a vCPU or
 * chunk already opened, a chunk total that differs from the first one's,
 * anything after a valid END, and an END whose counts or hash differ from
 * what was opened, or that comes before all nvcpus VMSAs and all chunks.
 * Only after a valid END is the target's core ended: the importer must
 * not resume the guest before.
 *
 * The SOURCE's core is ended by seal_end (which needs every vCPU's VMSA
 * and every state chunk sealed first), and refuses any further seal and
 * any new start.  When the VMM releases the guest (its target holds it),
 * the guest's keys are erased (the imi_en = 0 rule: no second copy).
 * RESET (before or after END): the export is abandoned before release,
 * the source guest runs on, a later export is a NEW session (start again,
 * new sid and key); the never-clone rules of the engines and the VMM
 * (holds, two-way commit) decide which copy may run, as for every method.
 * RESET on the target forgets the session and what it received; the key
 * pair stays spent.
 *
 * ---- The mailbox ----
 *
 * The simulator's SVSM talks to the host through the migration helper's
 * mailbox machinery (fw/mh.h: sm_mh_post, sm_mh_collect, sm_mh_call on
 * the host, sm_mh_wait, sm_mh_done in the SVSM), the same layout, at its
 * own GPA: mailbox i at SM_SVSM_MAILBOX_GPA + i * SM_SVSM_MAILBOX_STRIDE
 * (0x830000, just above the helpers' 8 at 0x820000-0x82ffff), up to
 * SM_SVSM_MAX_MAILBOXES, one per SVSM thread, shared (host-visible)
 * pages:
 *   +0x000  command block: u64 cmd, u64 gpa, i32 prefetch (0), i32 ret,
 *           i32 go, i32 done (ret: SM_SVSM_OK/INVALID/AUTH)
 *   +0x800  header area: u32 len, then len (<= 1024) bytes
 *   +0x1000 the 4 KiB transport page
 * not COCONUT's MigrationPage (B.2): that page has no return code, no
 * room for a metadata entry beside a 4 KiB buffer (its buffer at 0x0a
 * runs past the page), a big-endian count and no wake-up; this one is
 * tested, has all three, and lets several SVSM threads seal at once.
 * Commands (enum sm_svsm_cmd; numbers apart from the helper's 0-4 so a
 * host that mistakes one for the other gets SM_SVSM_INVALID):
 *   KEYGEN       target: a new key pair and nonce; the SVSM gets its
 *                report for REPORT_DATA and writes report || pub || nonce
 *                (the first SM_SVSM_TDATA_LEN bytes of the LOAD layout)
 *                to the transport page, header len = SM_SVSM_TDATA_LEN
 *   TARGET_INFO  target: the same for the current key pair (no new one)
 *   LOAD         source: gpa = byte offset; header: len 8, u32 piece
 *                length (1..4096), u32 total (<= SM_SVSM_LOAD_MAX);
 *                the transport page holds the piece.  Offset 0 starts a
 *                new blob, each piece must start where the last ended.
 *   START_SOURCE source: check the loaded blob (the LOAD layout below),
 *                start the session; out: header len SM_SVSM_START_LEN
 *                and the start record
 *   START_TARGET target: in: header len SM_SVSM_START_LEN, start record
 *   ENCRYPT      source: seal the private page at gpa; out: header len
 *                64 and the entry, the transport page the ciphertext
 *   DECRYPT      target: in the same; open it for gpa, restore the page,
 *                its validated state and VMPL permissions
 *   VMSA_OUT/IN  the same for the VMSA of vCPU gpa (the index)
 *   STATE_OUT/IN the same for state chunk gpa (the index); the host
 *                reads the total from software_data
 *   END          source: out the END record; target: in, accept it
 *   RESET        see above
 * The host sends every command but ENCRYPT and DECRYPT to mailbox 0.
 *
 * ---- The LOAD blob (what START_SOURCE checks) ----
 *
 *   0x000 u8[0x4a0] the target's report
 *   0x4a0 u8[97]    the target's pub
 *   0x501 u8[32]    the target's nonce
 *   0x521 u8[3]     reserved, 0  (SM_SVSM_TDATA_LEN = 0x521 ends here)
 *   0x524 u32       VCEK length (DER, 1 .. 8192)
 *   0x528 u32       chain length (PEM, ASK then ARK; 0: none; not yet
 *                   checked by the core)
 *   0x52c u32       reserved, 0
 *   0x530           the VCEK, then the chain; nothing after
 */

#include <stddef.h>
#include <stdint.h>

#define SM_SVSM_MAILBOX_GPA 0x830000ull
#define SM_SVSM_MAILBOX_STRIDE 0x2000ull
#define SM_SVSM_MAX_MAILBOXES 8u
/* the header area and transport page: SM_MH_HDR_OFF, SM_MH_PAGE_OFF */

#define SM_SVSM_PUB_LEN 97u
#define SM_SVSM_NONCE_LEN 32u
#define SM_SVSM_SID_LEN 16u
#define SM_SVSM_REPORT_ID_LEN 32u
#define SM_SVSM_REPORT_DATA_LEN 64u
#define SM_SVSM_KEY_LEN 32u
#define SM_SVSM_ENTRY_LEN 64u
#define SM_SVSM_AAD_LEN 88u
#define SM_SVSM_REC_LEN (SM_SVSM_ENTRY_LEN + 4096u)
#define SM_SVSM_START_LEN 0x160u
#define SM_SVSM_START_MAGIC "sevmig-svsm-st-1"
#define SM_SVSM_END_MAGIC "sevmig-svsm-end1"
#define SM_SVSM_KDF_INFO "sevmig-svsm-v1"
#define SM_SVSM_STATE_MAX 4096u /* chunks: 16 MiB of SVSM state */
#define SM_SVSM_VCEK_MAX 8192u
#define SM_SVSM_LOAD_MAX 0x8000u

/* The LOAD blob's offsets. */
enum {
	SM_SVSM_LD_REPORT = 0x000,
	SM_SVSM_LD_PUB = 0x4a0,
	SM_SVSM_LD_NONCE = 0x501,
	SM_SVSM_TDATA_LEN = 0x521,
	SM_SVSM_LD_VCEK_LEN = 0x524,
	SM_SVSM_LD_CHAIN_LEN = 0x528,
	SM_SVSM_LD_DATA = 0x530,
};

enum sm_svsm_cmd {
	SM_SVSM_CMD_KEYGEN = 0x10,
	SM_SVSM_CMD_TARGET_INFO = 0x11,
	SM_SVSM_CMD_LOAD = 0x12,
	SM_SVSM_CMD_START_SOURCE = 0x13,
	SM_SVSM_CMD_START_TARGET = 0x14,
	SM_SVSM_CMD_ENCRYPT = 0x15,
	SM_SVSM_CMD_DECRYPT = 0x16,
	SM_SVSM_CMD_VMSA_OUT = 0x17,
	SM_SVSM_CMD_VMSA_IN = 0x18,
	SM_SVSM_CMD_STATE_OUT = 0x19,
	SM_SVSM_CMD_STATE_IN = 0x1a,
	SM_SVSM_CMD_END = 0x1b,
	SM_SVSM_CMD_RESET = 0x1c,
};

enum sm_svsm_ret {
	SM_SVSM_OK = 0,
	SM_SVSM_INVALID = -1,
	SM_SVSM_AUTH = -2,
};

/* software_data's type byte (bits 63-56). */
enum sm_svsm_rec {
	SM_SVSM_REC_PAGE = 1,
	SM_SVSM_REC_VMSA = 2,
	SM_SVSM_REC_STATE = 3,
	SM_SVSM_REC_END = 4,
};

/* mdata's flag bits; the rest of the low 12 bits is zero. */
#define SM_SVSM_MD_VALID 0x1ull
#define SM_SVSM_MD_VALIDATED 0x2ull
#define SM_SVSM_MD_VMSA 0x4ull
#define SM_SVSM_MD_METADATA 0x8ull
#define SM_SVSM_MD_2M 0x10ull
#define SM_SVSM_MD_GPA_MASK (~0xfffull)

/* The 64-byte entry, decoded. */
struct sm_svsm_entry {
	uint64_t software_data;
	uint64_t iv; /* seq */
	uint8_t tag[16];
	uint64_t mdata;
	uint64_t vmpl;
	uint8_t reserved[16];
};

void sm_svsm_entry_encode(const struct sm_svsm_entry *v,
			  uint8_t out[SM_SVSM_ENTRY_LEN]);
void sm_svsm_entry_decode(const uint8_t in[SM_SVSM_ENTRY_LEN],
			  struct sm_svsm_entry *v);

static inline unsigned sm_svsm_sw_type(uint64_t sw)
{
	return (unsigned)(sw >> 56);
}
/* VMSA: the vCPU; STATE: the chunk index. */
static inline uint32_t sm_svsm_sw_index(uint64_t sw)
{
	return sm_svsm_sw_type(sw) == SM_SVSM_REC_STATE ?
		       (uint32_t)(sw & 0xffffff) :
		       (uint32_t)sw;
}
/* STATE: the number of chunks. */
static inline uint32_t sm_svsm_sw_total(uint64_t sw)
{
	return (uint32_t)((sw >> 24) & 0xffffff);
}

/* What the source is given about the target (pointers, not copies). */
struct sm_svsm_target {
	const uint8_t *report; /* SM_SNP_REPORT_LEN (0x4a0) bytes */
	const uint8_t *pub; /* SM_SVSM_PUB_LEN */
	const uint8_t *nonce; /* SM_SVSM_NONCE_LEN */
	const uint8_t *vcek; /* DER */
	size_t vcek_len;
	const uint8_t *chain; /* PEM ASK || ARK, or NULL (not checked yet) */
	size_t chain_len;
};

/* The LOAD blob of t, malloc'd into *blob.  0, or -1 (too large, ENOMEM). */
int sm_svsm_load_build(const struct sm_svsm_target *t, uint8_t **blob,
		       size_t *len);
/* t's pointers into blob.  SM_SVSM_OK or SM_SVSM_INVALID. */
int sm_svsm_load_parse(const uint8_t *blob, size_t len,
		       struct sm_svsm_target *t);

/* ---- the SVSM's core ---- */

enum sm_svsm_role { SM_SVSM_SOURCE, SM_SVSM_TARGET };

struct sm_svsm_core;

/*
 * A core for a guest of at most npages private pages and nvcpus vCPUs
 * (1 or more); a target's has its first key pair.  0, or -1 (ENOMEM, a
 * key that could not be made, nvcpus 0).
 */
int sm_svsm_core_new(enum sm_svsm_role role, uint64_t npages, uint32_t nvcpus,
		     struct sm_svsm_core **c);
void sm_svsm_core_free(struct sm_svsm_core *c); /* wipes every key */
/* Target: a new key pair and nonce, not spent; forgets any session. */
int sm_svsm_core_keygen(struct sm_svsm_core *c);
/*
 * Target: the current key pair's pub, nonce and REPORT_DATA (each may be
 * NULL).  SM_SVSM_INVALID for a source.
 */
int sm_svsm_core_target_key(struct sm_svsm_core *c,
			    uint8_t pub[SM_SVSM_PUB_LEN],
			    uint8_t nonce[SM_SVSM_NONCE_LEN],
			    uint8_t report_data[SM_SVSM_REPORT_DATA_LEN]);
/* Target: the key pair has served a start (a new one is needed). */
int sm_svsm_core_spent(const struct sm_svsm_core *c);

/*
 * Source: check the target (t) and start a session: my_report_id is the
 * source's own report's report_id; sid may be NULL (random; a test
 * passes one).  start gets the start record.  SM_SVSM_AUTH for a report
 * that does not bind pub and nonce or is not signed by the VCEK,
 * SM_SVSM_INVALID for malformed input, an ended core, a target role.
 * A session already open is dropped first.
 */
int sm_svsm_core_start_source(struct sm_svsm_core *c,
			      const struct sm_svsm_target *t,
			      const uint8_t my_report_id[SM_SVSM_REPORT_ID_LEN],
			      const uint8_t *sid,
			      uint8_t start[SM_SVSM_START_LEN]);
/* LOAD through the core: piece len bytes at off of a blob of total. */
int sm_svsm_core_load(struct sm_svsm_core *c, uint64_t off,
		      const uint8_t *piece, size_t len, size_t total);
/* START_SOURCE on the blob LOAD assembled (INVALID if incomplete). */
int sm_svsm_core_start_loaded(struct sm_svsm_core *c,
			      const uint8_t my_report_id[SM_SVSM_REPORT_ID_LEN],
			      uint8_t start[SM_SVSM_START_LEN]);
/*
 * Target: accept a start record (len bytes) naming this core's key pair
 * and my_report_id (the target's own report's); the key pair is spent.
 */
int sm_svsm_core_start_target(struct sm_svsm_core *c,
			      const uint8_t my_report_id[SM_SVSM_REPORT_ID_LEN],
			      const uint8_t *start, size_t len);

/*
 * Source: seal one record; entry gets the 64-byte entry, ct the
 * ciphertext.  seal_page is safe from several threads at once (seq is
 * taken under a lock).  validated: 0 or 1; vmpl as in the entry.
 * seal_vmsa: each vCPU (< nvcpus) once; seal_state: each index once, one
 * total for all.  SM_SVSM_INVALID outside a session, after END, or for a
 * bad argument.
 */
int sm_svsm_core_seal_page(struct sm_svsm_core *c, uint64_t gpa,
			   const uint8_t plain[4096], int validated,
			   uint64_t vmpl, uint8_t entry[SM_SVSM_ENTRY_LEN],
			   uint8_t ct[4096]);
int sm_svsm_core_seal_vmsa(struct sm_svsm_core *c, uint32_t vcpu, uint64_t gpa,
			   const uint8_t plain[4096],
			   uint8_t entry[SM_SVSM_ENTRY_LEN], uint8_t ct[4096]);
int sm_svsm_core_seal_state(struct sm_svsm_core *c, uint32_t index,
			    uint32_t total, const uint8_t plain[4096],
			    uint8_t entry[SM_SVSM_ENTRY_LEN], uint8_t ct[4096]);
/* Source: the END record; needs all VMSAs and chunks; the core ends. */
int sm_svsm_core_seal_end(struct sm_svsm_core *c,
			  uint8_t entry[SM_SVSM_ENTRY_LEN], uint8_t ct[4096]);

/*
 * Target: open one record for what the caller expects (gpa, vCPU,
 * chunk); plain and the outputs (each may be NULL) are written only when
 * everything holds.  Safe from several threads at once.
 */
int sm_svsm_core_open_page(struct sm_svsm_core *c, uint64_t gpa,
			   const uint8_t entry[SM_SVSM_ENTRY_LEN],
			   const uint8_t ct[4096], uint8_t plain[4096],
			   int *validated, uint64_t *vmpl);
int sm_svsm_core_open_vmsa(struct sm_svsm_core *c, uint32_t vcpu,
			   const uint8_t entry[SM_SVSM_ENTRY_LEN],
			   const uint8_t ct[4096], uint8_t plain[4096],
			   uint64_t *gpa);
int sm_svsm_core_open_state(struct sm_svsm_core *c, uint32_t index,
			    const uint8_t entry[SM_SVSM_ENTRY_LEN],
			    const uint8_t ct[4096], uint8_t plain[4096],
			    uint32_t *total);
/* Target: check END against what arrived; then the core is ended. */
int sm_svsm_core_accept_end(struct sm_svsm_core *c,
			    const uint8_t entry[SM_SVSM_ENTRY_LEN],
			    const uint8_t ct[4096]);

/* Forget the session (see above).  SM_SVSM_OK. */
int sm_svsm_core_reset(struct sm_svsm_core *c);
/*
 * A received guest that runs becomes a source (or a source a target):
 * everything is forgotten, ended included; a new target gets a key pair.
 * 0, or -1 when a key pair could not be made.
 */
int sm_svsm_core_set_role(struct sm_svsm_core *c, enum sm_svsm_role role);
enum sm_svsm_role sm_svsm_core_role(const struct sm_svsm_core *c);
/*
 * Source: END was sealed (erase the guest's keys; nothing more leaves).
 * Target: a valid END was accepted (the guest may resume).
 */
int sm_svsm_core_ended(const struct sm_svsm_core *c);
/* A session is open (a start, no RESET since). */
int sm_svsm_core_active(const struct sm_svsm_core *c);

/* What a session has sealed or opened so far. */
struct sm_svsm_counts {
	uint64_t pages, vmsas, states, records;
};
void sm_svsm_core_counts(struct sm_svsm_core *c, struct sm_svsm_counts *n);

#endif
