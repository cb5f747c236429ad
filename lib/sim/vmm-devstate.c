// SPDX-License-Identifier: MIT
/*
 * The simulated VMM's device state: the blob a source sends (header,
 * padding, SHA-256) and its checked load on an incoming VMM.
 */
#include "sim/sim-vmm.h"
#include "sim/sim-vmm-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bytes.h"
#include "fw/fw-sim.h"
#include "base/log.h"
#include "base/ossl.h"
#include "sim/sim-guest.h"
#include "base/util.h"

static void ds_build_header(struct sm_sim_vmm *v, uint8_t *h, uint64_t pad)
{
	memset(h, 0, DS_HDR);
	memcpy(h, DS_MAGIC, 16);
	sm_put_le64(h + 16, v->seed);
	sm_put_le64(h + 24, v->o.mem_size);
	sm_put_le64(h + 32, v->o.mem_split);
	sm_put_le32(h + 40, v->vcpus);
	sm_put_le32(h + 44, (uint32_t)v->es);
	sm_put_le32(h + 48, v->policy);
	sm_put_le32(h + 52, (v->migration_ready ? DS_F_READY : 0) |
				    (v->zero_shared ? DS_F_ZERO_SHARED : 0) |
				    (v->snp ? DS_F_SNP : 0));
	sm_put_le64(h + 56, pad);
	sm_put_le64(h + 64, sv_snp_policy(v));
}

int vmm_device_state(void *arg, uint64_t *size, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;
	struct sm_sha256 *h;
	uint64_t off;
	int rc = -1;

	if (v->state == V_RUNNING)
		return sm_err_set(e, SM_EXIT_VM,
				  "the guest is running: pause it first");
	if (v->state != V_PAUSED)
		return sm_err_set(e, SM_EXIT_VM,
				  "no device state: the guest is %s",
				  vstate_name[v->state]);
	v->ds_pad = v->o.device_state_size > SM_SIM_DEVSTATE_MIN ?
			    v->o.device_state_size - SM_SIM_DEVSTATE_MIN :
			    0;
	ds_build_header(v, v->ds_hdr, v->ds_pad);
	if (sm_sha256_new(&h))
		return sm_err_set(e, SM_EXIT_FAILURE, "SHA-256 failed");
	if (sm_sha256_update(h, v->ds_hdr, DS_HDR))
		goto out;
	for (off = 0; off < v->ds_pad; off += WINDOW) {
		size_t len = v->ds_pad - off < WINDOW ?
				     (size_t)(v->ds_pad - off) :
				     WINDOW;

		sm_sim_stream_fill(v->seed, off, v->win, len);
		if (sm_sha256_update(h, v->win, len))
			goto out;
	}
	if (sm_sha256_final(h, v->ds_sha))
		goto out;
	*size = DS_HDR + v->ds_pad + DS_SHA;
	rc = 0;
out:
	if (rc)
		sm_err_set(e, SM_EXIT_FAILURE, "SHA-256 failed");
	sm_sha256_free(h);
	return rc;
}

int vmm_device_state_read(void *arg, uint64_t off, void *buf, size_t len,
			  struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;
	uint8_t *p = buf;

	(void)e;
	while (len) {
		size_t k;

		if (off < DS_HDR) {
			k = DS_HDR - off < len ? (size_t)(DS_HDR - off) : len;
			memcpy(p, v->ds_hdr + off, k);
		} else if (off < DS_HDR + v->ds_pad) {
			uint64_t po = off - DS_HDR;

			k = v->ds_pad - po < len ? (size_t)(v->ds_pad - po) :
						   len;
			sm_sim_stream_fill(v->seed, po, p, k);
		} else {
			uint64_t to = off - DS_HDR - v->ds_pad;

			k = DS_SHA - to < len ? (size_t)(DS_SHA - to) : len;
			memcpy(p, v->ds_sha + to, k);
		}
		p += k;
		off += k;
		len -= k;
	}
	return 0;
}

void sv_load_free(struct sm_sim_vmm *v)
{
	if (!v->ld)
		return;
	sm_sha256_free(v->ld->sha);
	free(v->ld);
	v->ld = NULL;
}

int vmm_load_device_state(void *arg, uint64_t size, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;

	if (v->state != V_RECEIVING && v->state != V_RECEIVED)
		return sm_err_set(
			e, SM_EXIT_VM,
			"load-device-state is for an incoming VMM that is receiving, before resume");
	if (size < SM_SIM_DEVSTATE_MIN)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "device state of %" PRIu64
				  " bytes is too short (at least %u)",
				  size, SM_SIM_DEVSTATE_MIN);
	/* Another client's load is under way: leave it alone. */
	if (v->ld)
		return sm_err_set(e, SM_EXIT_VM,
				  "a device-state load is already in progress");
	v->devstate_ok = 0;
	v->ld = calloc(1, sizeof(*v->ld));
	if (!v->ld || sm_sha256_new(&v->ld->sha)) {
		sv_load_free(v);
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	}
	v->ld->size = size;
	return 0;
}

/* The header is complete: it must describe this VMM's guest. */
static int load_header(struct sm_sim_vmm *v, struct sm_err *e)
{
	const uint8_t *h = v->ld->hdr;
	size_t i;

	if (memcmp(h, DS_MAGIC, 16))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "not a sevmig-sim device state");
	for (i = 72; i < DS_HDR; i++)
		if (h[i])
			return sm_err_set(
				e, SM_EXIT_VERIFY,
				"device state header has reserved bytes set");
	v->ld->pad = sm_get_le64(h + 56);
	if (v->ld->pad > v->ld->size ||
	    v->ld->size != DS_HDR + v->ld->pad + DS_SHA)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "device state size %" PRIu64
				  " does not match its header",
				  v->ld->size);
	if (sm_get_le64(h + 24) != v->o.mem_size ||
	    sm_get_le64(h + 32) != v->o.mem_split)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "device state is for a guest of %" PRIu64
				  " bytes (split 0x%" PRIx64
				  "), this VMM has %" PRIu64
				  " (split 0x%" PRIx64 ")",
				  sm_get_le64(h + 24), sm_get_le64(h + 32),
				  v->o.mem_size, v->o.mem_split);
	if (sm_get_le32(h + 40) != v->vcpus ||
	    (int)sm_get_le32(h + 44) != v->es)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "device state is for %" PRIu32
				  " vCPUs%s, this VMM has %u%s",
				  sm_get_le32(h + 40),
				  sm_get_le32(h + 44) ? " (ES)" : "", v->vcpus,
				  v->es ? " (ES)" : "");
	if (!!(sm_get_le32(h + 52) & DS_F_SNP) != !!v->snp ||
	    sm_get_le64(h + 64) != sv_snp_policy(v))
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"device state is for %s guest (SNP policy 0x%" PRIx64
			"), this VMM runs %s (0x%" PRIx64 ")",
			sm_get_le32(h + 52) & DS_F_SNP ? "an SNP" : "a non-SNP",
			sm_get_le64(h + 64),
			v->snp ? "an SNP guest" : "no SNP guest",
			sv_snp_policy(v));
	return 0;
}

int vmm_load_data(void *arg, uint64_t off, const void *buf, size_t len,
		  struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;
	struct load *ld = v->ld;
	const uint8_t *p = buf;

	if (!ld || off != ld->got)
		return sm_err_set(e, SM_EXIT_FAILURE, "no device state load");
	while (len) {
		size_t k;

		if (ld->got < DS_HDR) {
			k = DS_HDR - ld->got < len ?
				    (size_t)(DS_HDR - ld->got) :
				    len;
			memcpy(ld->hdr + ld->got, p, k);
			if (sm_sha256_update(ld->sha, p, k))
				return sm_err_set(e, SM_EXIT_FAILURE,
						  "SHA-256 failed");
			if (ld->got + k == DS_HDR && load_header(v, e))
				return -1;
		} else if (ld->got < DS_HDR + ld->pad) {
			uint64_t po = ld->got - DS_HDR;

			k = ld->pad - po < len ? (size_t)(ld->pad - po) : len;
			if (k > WINDOW)
				k = WINDOW;
			sm_sim_stream_fill(sm_get_le64(ld->hdr + 16), po,
					   v->win, k);
			if (memcmp(v->win, p, k)) {
				size_t j = 0;

				while (v->win[j] == p[j])
					j++;
				return sm_err_set(
					e, SM_EXIT_VERIFY,
					"device state padding corrupt at byte %" PRIu64,
					ld->got + j);
			}
			if (sm_sha256_update(ld->sha, p, k))
				return sm_err_set(e, SM_EXIT_FAILURE,
						  "SHA-256 failed");
		} else {
			uint64_t to = ld->got - DS_HDR - ld->pad;

			k = DS_SHA - to < len ? (size_t)(DS_SHA - to) : len;
			memcpy(ld->tail + to, p, k);
		}
		p += k;
		len -= k;
		ld->got += k;
	}
	return 0;
}

int vmm_load_end(void *arg, int complete, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;
	struct load *ld = v->ld;
	uint8_t d[DS_SHA];
	const uint8_t *h;

	if (!complete || !ld) {
		sv_load_free(v);
		return 0;
	}
	if (sm_sha256_final(ld->sha, d)) {
		sv_load_free(v);
		return sm_err_set(e, SM_EXIT_FAILURE, "SHA-256 failed");
	}
	if (sm_ct_memcmp(d, ld->tail, DS_SHA)) {
		sv_load_free(v);
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "device state digest mismatch");
	}
	h = ld->hdr;
	v->seed = sm_get_le64(h + 16);
	v->policy = sm_get_le32(h + 48);
	v->migration_ready = !!(sm_get_le32(h + 52) & DS_F_READY);
	v->zero_shared = !!(sm_get_le32(h + 52) & DS_F_ZERO_SHARED);
	/* Carry the padding on, so the next export sends the same blob. */
	if (ld->size > v->o.device_state_size)
		v->o.device_state_size = ld->size;
	v->devstate_ok = 1;
	sv_load_free(v);
	pr_info("device state loaded");
	return 0;
}
