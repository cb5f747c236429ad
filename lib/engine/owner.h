/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_OWNER_H
#define SEVMIG_OWNER_H

/*
 * The guest owner's side of an SEV launch (sevmig-owner, issue 14):
 * the expected launch measurement (owner-measure.c) and the LAUNCH_SECRET
 * packet with its OVMF secret table (owner-secret.c), byte-exact with
 * virtee's sevctl (`measurement build`, `secret build`); the inputs they
 * share (owner.c).  The crypto is fw/sevcrypto.h's, the same the
 * simulated firmware's LAUNCH_MEASURE and LAUNCH_SECRET use.  Nothing here prints;
 * every failure is an sm_err: a bad argument or input file is
 * SM_EXIT_USAGE, a measurement that does not match SM_EXIT_VERIFY.
 */

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "certs/cert.h"
#include "fw/sevcrypto.h"

#define SM_LAUNCH_KEY_LEN 16u
#define SM_MEASURE_LEN 32u
#define SM_MNONCE_LEN 16u
#define SM_MEASURE_BLOB_LEN (SM_MEASURE_LEN + SM_MNONCE_LEN)
#define SM_LAUNCH_DIGEST_LEN 32u
#define SM_SECRET_HDR_LEN SM_PKT_HDR_LEN
#define SM_SECRET_IV_LEN 16u

/* The platform and guest fields LAUNCH_MEASURE covers. */
struct sm_launch_info {
	uint8_t api_major;
	uint8_t api_minor;
	uint8_t build;
	uint32_t policy;
};

#define SM_GUID_LEN 16u
#define SM_GUID_STR_LEN 36u
/* The most LAUNCH_SECRET payload OVMF's secret area takes (sevctl's). */
#define SM_OWNER_SECRET_MAX 16384u

/*
 * Parse "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (either case) into the
 * 16 bytes EFI stores: the first three fields little-endian, the rest as
 * written (uuid's to_bytes_le).  0, or -1.
 */
int sm_guid_parse(const char *s, uint8_t out[SM_GUID_LEN]);
/* The lowercase text form of a GUID in EFI byte order; out holds 37. */
void sm_guid_format(const uint8_t g[SM_GUID_LEN], char *out);

/*
 * Read a TEK or TIK file (what names it in messages: "TIK").  It must hold
 * exactly 16 bytes: anything else is SM_EXIT_USAGE, "TIK 'f' is N bytes,
 * not 16".  A failed read is SM_EXIT_IO.
 */
int sm_owner_load_key(const char *path, const char *what,
		      uint8_t key[SM_LAUNCH_KEY_LEN], struct sm_err *e);

/*
 * Decode a base64 argument (opt names it: "--nonce") that must decode to
 * exactly len bytes.  SM_EXIT_USAGE otherwise: "--nonce: 'x' is not
 * base64" or "--nonce: 'x' decodes to N bytes, not LEN".
 */
int sm_owner_b64_arg(const char *opt, const char *b64, uint8_t *out, size_t len,
		     struct sm_err *e);

/*
 * OVMF's GUIDed table, the footer at 0x20 bytes before the end of the
 * firmware image (OvmfPkg/ResetVector: entries {data, u16 len, GUID}
 * read backwards from the footer GUID 96b582de-1fb2-45f7-baea-
 * a366c55a082d).  Finds the entry with guid: 0 with *data and *len set
 * (pointing into fw), 1 when the table has no such entry, -1 with e set
 * (SM_EXIT_UNSUPPORTED) when fw has no table or a malformed one.
 */
int sm_ovmf_table_find(const uint8_t *fw, size_t fw_len,
		       const uint8_t guid[SM_GUID_LEN], const uint8_t **data,
		       size_t *len, struct sm_err *e);

/* What `sevmig-owner measure` takes (sevctl measurement build's arguments). */
struct sm_owner_measure_args {
	struct sm_launch_info li;
	uint8_t tik[SM_LAUNCH_KEY_LEN];
	uint8_t mnonce[SM_MNONCE_LEN];
	int have_digest; /* --launch-digest, else the files below */
	uint8_t digest[SM_LAUNCH_DIGEST_LEN];
	const char *firmware;
	const char *kernel, *initrd, *cmdline; /* all three or none */
	unsigned num_cpus; /* SEV-ES (policy bit 2): VMSAs measured */
	const char *vmsa_cpu0, *vmsa_cpu1;
};

/*
 * The launch digest LAUNCH_UPDATE_DATA/VMSA accumulate for these inputs:
 * SHA-256 of the firmware image, then (with --kernel) QEMU's SEV hashes
 * table of the cmdline (with its NUL), initrd and kernel padded to 16,
 * then (SEV-ES) the VMSA of cpu 0 and that of cpu 1 for every other cpu.
 * The kernel hashes need a firmware whose OVMF table names a SEV hashes
 * table area (GUID 7255371f-3a3b-4b04-927b-1da6efa8d454) large enough.
 * With have_digest, copies the given digest.  0, or -1 with e set.
 */
int sm_owner_launch_digest(const struct sm_owner_measure_args *a,
			   uint8_t ld[SM_LAUNCH_DIGEST_LEN], struct sm_err *e);

/* The blob LAUNCH_MEASURE would return: MEASURE || MNONCE.  0 or -1. */
int sm_owner_measure(const struct sm_owner_measure_args *a,
		     uint8_t blob[SM_MEASURE_BLOB_LEN],
		     uint8_t ld[SM_LAUNCH_DIGEST_LEN], struct sm_err *e);

/*
 * Compare the firmware's blob with the expected one in constant time: 0,
 * or -1 with SM_EXIT_VERIFY ("the launch measurement does not match: ...").
 */
int sm_owner_measure_check(const uint8_t want[SM_MEASURE_BLOB_LEN],
			   const uint8_t got[SM_MEASURE_BLOB_LEN],
			   struct sm_err *e);

/*
 * The -J report of `sevmig-owner measure` (schema sevmig-owner-measure/1):
 * the inputs, the launch digest, the blob and, when given (the firmware's
 * blob) is not NULL, whether it matches.  A malloc'd string, or NULL.
 */
char *sm_owner_measure_json(const struct sm_owner_measure_args *a,
			    const uint8_t blob[SM_MEASURE_BLOB_LEN],
			    const uint8_t ld[SM_LAUNCH_DIGEST_LEN],
			    const uint8_t *given);

/* One --secret GUID:FILE. */
struct sm_owner_secret {
	uint8_t guid[SM_GUID_LEN];
	const char *path;
};

/*
 * Parse "GUID:FILE" (the FILE part points into s).  SM_EXIT_USAGE on a
 * missing colon or a GUID that does not parse.
 */
int sm_owner_secret_parse(const char *s, struct sm_owner_secret *out,
			  struct sm_err *e);

/* What `sevmig-owner secret` takes. */
struct sm_owner_secret_args {
	uint8_t tek[SM_LAUNCH_KEY_LEN];
	uint8_t tik[SM_LAUNCH_KEY_LEN];
	uint8_t measure[SM_MEASURE_LEN]; /* from the launch measure blob */
	int have_iv; /* else a random IV */
	uint8_t iv[SM_SECRET_IV_LEN];
	const struct sm_owner_secret *secrets;
	size_t nsecrets;
};

/*
 * Build the OVMF secret table (GUID 1e74f542-71dd-4d66-963e-ef4287ff173b,
 * u32 total length, entries {GUID, u32 len, data}) from the secrets'
 * files, pad it to 16 and seal it: hdr gets the 0x34-byte LAUNCH_SECRET
 * header, *payload (malloc'd, the caller frees) the ciphertext of
 * *payload_len bytes.  A table over SM_OWNER_SECRET_MAX is SM_EXIT_USAGE.
 */
int sm_owner_secret_build(const struct sm_owner_secret_args *a,
			  uint8_t hdr[SM_SECRET_HDR_LEN], uint8_t **payload,
			  size_t *payload_len, struct sm_err *e);

/* The files `sevmig-owner session` writes, named as sevctl names them. */
#define SM_OWNER_GODH_FILE "vm_godh.b64"
#define SM_OWNER_SESSION_FILE "vm_session.b64"
#define SM_OWNER_TEK_FILE "vm_tek.bin"
#define SM_OWNER_TIK_FILE "vm_tik.bin"

/* What `sevmig-owner session` takes. */
struct sm_owner_session_args {
	const char *
		bundle; /* the platform's chain: anything sm_certs_load reads */
	const char *ark; /* --ark FILE: trust this root, else AMD's built-in */
	uint32_t policy;
	int have_keys; /* --tek and --tik, else random */
	uint8_t tek[SM_LAUNCH_KEY_LEN], tik[SM_LAUNCH_KEY_LEN];
	const char *dir; /* output directory (created, 0700), NULL: "." */
};

struct sm_owner_session_out {
	struct sm_verify_result verify; /* every link of the chain */
	enum sm_product product;
};

/*
 * Verify the platform's chain (SM_EXIT_VERIFY, out->verify telling which
 * link failed), then make a GODH key pair (P-384), TEK and TIK, and write
 * to dir: the GODH certificate and the session blob in base64 (0644),
 * the TEK and TIK (16 bytes each, 0600).  The GODH private key is not
 * kept.  Files are written atomically, each whole or not at all.
 */
int sm_owner_session(const struct sm_owner_session_args *a,
		     struct sm_owner_session_out *out, struct sm_err *e);

/*
 * The -J report of a session (schema sevmig-owner-session/1): the
 * policy, the product whose built-in ARK verified the chain (null with
 * --ark), the root trusted (the --ark path, or
 * null for AMD's built-in roots) and the paths of the four files; never
 * the keys or the session blob.  malloc'd, or NULL.
 */
char *sm_owner_session_json(const struct sm_owner_session_args *a,
			    const struct sm_owner_session_out *out);

/*
 * The -J report of a secret (schema sevmig-owner-secret/1): the MEASURE
 * the secret is bound to, the paths and sizes of the header and payload,
 * and each entry's GUID and file; never the keys or the data.
 */
char *sm_owner_secret_json(const struct sm_owner_secret_args *a,
			   const char *header, const char *payload,
			   size_t payload_len);

/* The six policy flags (bits 0-5) in bit order. */
#define SM_POLICY_NFLAGS 6

/* A guest policy as sm_owner_policy_decode explains it. */
struct sm_owner_policy {
	uint32_t policy;
	struct {
		const char *name; /* "NODBG", ... */
		uint32_t bit;
		int set;
		const char *meaning; /* for migration, static text */
	} flag[SM_POLICY_NFLAGS];
	uint32_t reserved; /* bits 6-15 that are set (must be 0) */
	unsigned api_major, api_minor; /* the receiver's minimum API */
	int psp_migration; /* NOSEND clear */
	int redirectable; /* PSP migration with neither DOMAIN nor SEV */
	const char *migration; /* one line: where the guest may go */
};

/* Decode policy; never fails. */
void sm_owner_policy_decode(uint32_t policy, struct sm_owner_policy *p);

/* The -J report (schema sevmig-owner-policy/1), malloc'd, or NULL. */
char *sm_owner_policy_json(const struct sm_owner_policy *p);

#endif
