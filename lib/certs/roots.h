/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_ROOTS_H
#define SEVMIG_ROOTS_H

/*
 * AMD's ARK and ASK for naples, rome, milan, genoa and turin, built in
 * (lib/certs/roots-data.c) and pinned by SHA-256 of the whole certificate: a
 * built-in root whose bytes do not hash to its pin is never returned.
 */

#include "certs/cert.h"

/* The built-in ARK/ASK of p, or NULL (unknown product, pin mismatch). */
const struct sm_amd_cert *sm_roots_ark(enum sm_product p);
const struct sm_amd_cert *sm_roots_ask(enum sm_product p);

/* The product whose built-in ARK equals ark (byte for byte), or UNKNOWN. */
enum sm_product sm_roots_product_of_ark(const struct sm_amd_cert *ark);

/* ---- the generated data (lib/certs/roots-data.c, scripts/gen-roots.sh) ---- */

struct sm_root_blob {
	enum sm_product product;
	const uint8_t *ark, *ask;
	size_t ark_len, ask_len;
	const char *ark_pin, *ask_pin; /* lowercase hex SHA-256 of the bytes */
};

extern const struct sm_root_blob sm_roots_blobs[];
extern const size_t sm_roots_nblobs;

/* 1 if the SHA-256 of buf equals pin (64 lowercase hex digits), else 0. */
int sm_roots_pin_ok(const uint8_t *buf, size_t len, const char *pin);

#endif
