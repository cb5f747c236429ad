/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_FORMAT_H
#define SEVMIG_FORMAT_H

/*
 * The sevmig archive format (docs/sevmig-archive.5) in one place: the
 * entries, in the order a stream carries them, and the sizes both
 * engines and the readers use.  A pax (POSIX tar) stream of regular files:
 *
 *   sevmig/manifest.json        what an importer checks before it starts
 *   sevmig/source-pdh.cert      the source platform's PDH (SEV format)
 *   sevmig/session.bin          the SEND_START session blob
 *   sevmig/shared-regions.json  the guest's shared (unencrypted) pages
 *   sevmig/pages/NNNNNNNN       chunks of page records, then VMSA records
 *   sevmig/device-state.bin     the VMM's device state, carried as is
 *   sevmig/trailer.json         counts and the digest of everything above
 */

#include "base/bytes.h"

#define SM_ENTRY_MANIFEST "sevmig/manifest.json"
#define SM_ENTRY_SOURCE_PDH "sevmig/source-pdh.cert"
#define SM_ENTRY_SESSION "sevmig/session.bin"
/* svsm: the source SVSM's start record (fw/svsm.h), instead of both */
#define SM_ENTRY_SVSM_START "sevmig/svsm-start.bin"
#define SM_SVSM_START_ENTRY_LEN 0x160u
#define SM_ENTRY_SHARED "sevmig/shared-regions.json"
#define SM_ENTRY_DEVICE_STATE "sevmig/device-state.bin"
#define SM_ENTRY_TRAILER "sevmig/trailer.json"
/*
 * Not a guest: the only entry of a dry run's probe (engine/probe.h), a
 * request that the importer describe its target and change nothing.
 */
#define SM_ENTRY_PROBE "sevmig/probe.json"

/* Page chunks: "sevmig/pages/%08llu", numbered from 0. */
#define SM_CHUNK_NAME_PREFIX "sevmig/pages/"
#define SM_CHUNK_NAME_MAX 32

#define SM_REC_PKT_HDR_LEN 0x34u /* firmware packet header */
#define SM_REC_SESSION_LEN 0x80u /* SEND_START session blob */
#define SM_REC_HDR_LEN 80u /* one record's header */
/* A migration helper's record: u32 len, its 68-byte envelope, the page. */
#define SM_REC_MH_LEN (4u + 68u + 4096u)
/* An SVSM's record: its 64-byte metadata entry, the ciphertext. */
#define SM_REC_SVSM_LEN (64u + 4096u)
#define SM_SVSM_STATE_MAX_CHUNKS 4096u
#define SM_CHUNK_HDR_LEN 32u /* one chunk's header */
#define SM_CHUNK_MAGIC "SEVMIGPC"
#define SM_CHUNK_VERSION 1u
#define SM_CHUNK_MAX_RECORDS 4096u
#define SM_CHUNK_DEFAULT_RECORDS 256u

#endif
