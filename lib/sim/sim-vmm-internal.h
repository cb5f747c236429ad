/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_SIM_VMM_INTERNAL_H
#define SEVMIG_SIM_VMM_INTERNAL_H

/*
 * The simulated VMM's state, shared by sim-vmm.c (states, the endpoint's
 * callbacks, running), vmm-ram.c (guest memory: layout, content, digest,
 * check) and vmm-devstate.c (the device state it sends and loads).
 * Public API: sim-vmm.h.
 */

#include <limits.h>
#include <stdint.h>

#include "base/ossl.h"
#include "endpoint/endpoint-server.h"
#include "fw/fw-sim.h"
#include "sim/sim-vmm.h"

#define WINDOW (1u << 20)
#define HIGH_BASE (4ull << 30)
#define DS_HDR 128u
#define DS_SHA 32u
#define DS_MAGIC "SEVMIG-SIM-DEV1\n"
#define DS_F_READY 1u
#define DS_F_ZERO_SHARED 2u
#define DS_F_SNP 4u
#define MAX_VCPUS SM_SIM_MAX_VCPUS /* what fw-sim can hold */

/*
 * VMM states.  A source: running, paused, released.  An incoming VMM:
 * incoming (waiting for an importer), receiving (an importer claimed it
 * and writes its memory), received (a context adopted, paused; "held"
 * until resumed), then running or paused like any VMM.
 */
enum vstate {
	V_RUNNING,
	V_PAUSED,
	V_INCOMING,
	V_RECEIVING,
	V_RECEIVED,
	V_RELEASED,
	V_LAUNCHING /* --await-secret: LUPDATE or LSECRET, owner to finish */
};
extern const char *const vstate_name[];

/* How far the holder of a source context got (see sm_ep_stream_written). */
enum stage { STAGE_NONE, STAGE_WRITTEN, STAGE_READY };

/* What the incoming side has learned so far from a device-state blob. */
struct load {
	uint64_t size, got, pad;
	uint8_t hdr[DS_HDR];
	uint8_t tail[DS_SHA];
	struct sm_sha256 *sha;
};

struct sm_sim_vmm {
	struct sm_sim_vmm_opts o;
	char platform_dir[PATH_MAX];
	struct sm_fw *fw;
	int has_ctx; /* fw has a guest context attached */
	int ram_fd;
	struct sm_ep_range ranges[2];
	size_t nranges;
	uint64_t pages;
	struct sm_ep_region *shared;
	size_t nshared;
	enum vstate state;
	int incoming; /* role: waiting for (or still in) an import */
	int fresh_claim; /* claimed, its RAM still all zeros, no hello yet */
	int held; /* a client holds the context */
	enum stage stage; /* the holder's progress */
	int devstate_ok; /* incoming: device state loaded */
	int stopping; /* the VMM is exiting */
	/*
	 * A hold: the guest may exist elsewhere too, so it resumes only when
	 * forced.  pending: received, the export not committed; in_doubt: a
	 * source whose stream may have been imported.
	 */
	int pending;
	char in_doubt[SM_EP_HOLD_MAX];
	/* the guest's identity: options, or the loaded device state */
	uint64_t seed;
	int zero_shared, migration_ready, es;
	unsigned vcpus;
	uint32_t policy;
	/* device state being sent */
	uint8_t ds_hdr[DS_HDR];
	uint8_t ds_sha[DS_SHA];
	uint64_t ds_pad;
	/* device state being received */
	struct load *ld;
	uint8_t *win;
	/* launch-measure's answer, once given (LSECRET) */
	int measured;
	uint8_t measure[48];
	/* --mh: the migration helpers (vmm-mh.c), or NULL */
	struct sv_mh *mh;
	/* --snp: the guest's SNP side (vmm-snp.c), or NULL */
	struct sv_snp *snp;
};

/* The RAM file offset of gpa, or -1 outside the layout. */
int64_t sv_ram_off(const struct sm_sim_vmm *v, uint64_t gpa);

int sv_check_room(uint64_t size, struct sm_err *e);
int sv_need_guest(struct sm_sim_vmm *v, struct sm_err *e);
int sv_launch(struct sm_sim_vmm *v, struct sm_err *e);
int sv_secret_write(struct sm_sim_vmm *v, const uint8_t *plain, size_t len,
		    struct sm_err *e);
int sv_secret_read(struct sm_sim_vmm *v, uint8_t *buf, size_t *len,
		   struct sm_err *e);
uint32_t sv_secret_table_len(const uint8_t *page);
int sv_secret_next(const uint8_t *t, uint32_t len, uint32_t *off,
		   const uint8_t **entry, uint32_t *elen);
int vmm_launch_measure(void *arg, struct sm_ep_launch_measure *m,
		       struct sm_err *e);
int vmm_launch_secret(void *arg, const uint8_t *hdr, size_t hdr_len,
		      const uint8_t *payload, size_t len, struct sm_err *e);
int vmm_launch_finish(void *arg, struct sm_err *e);
int vmm_secrets(void *arg, struct sm_ep_secrets *s, struct sm_err *e);
int sv_fill_guest(struct sm_sim_vmm *v, struct sm_err *e);
int sv_layout(struct sm_sim_vmm *v, struct sm_err *e);
int sv_zero_ram(struct sm_sim_vmm *v, struct sm_err *e);
int vmm_check(void *arg, struct sm_ep_check *c, struct sm_err *e);
int vmm_device_state(void *arg, uint64_t *size, struct sm_err *e);
int vmm_device_state_read(void *arg, uint64_t off, void *buf, size_t len,
			  struct sm_err *e);
int vmm_digest(void *arg, uint8_t out[32], uint64_t *pages, struct sm_err *e);
int vmm_load_data(void *arg, uint64_t off, const void *buf, size_t len,
		  struct sm_err *e);
int vmm_load_device_state(void *arg, uint64_t size, struct sm_err *e);
int vmm_load_end(void *arg, int complete, struct sm_err *e);
void sv_load_free(struct sm_sim_vmm *v);

/* The migration helpers (vmm-mh.c). */
uint64_t sv_mh_region_len(unsigned n);
int sv_mh_page(const struct sm_sim_vmm *v, uint64_t gpa);
int sv_mh_check(struct sm_sim_vmm *v, struct sm_err *e);
int sv_mh_share(struct sm_sim_vmm *v, struct sm_err *e);
int sv_mh_start(struct sm_sim_vmm *v, struct sm_err *e);
void sv_mh_stop(struct sm_sim_vmm *v);
int sv_mh_sending(const struct sm_sim_vmm *v);
int sv_mh_ended(const struct sm_sim_vmm *v);
void sv_mh_reset(struct sm_sim_vmm *v);
void sv_mh_become_source(struct sm_sim_vmm *v);
struct sm_fw;
int sv_agent_page(struct sm_sim_vmm *v, struct sm_fw *fw, int store,
		  uint64_t gpa, uint8_t *page);
struct sm_svsm_core;
struct sm_svsm_core *sv_svsm_core(struct sm_sim_vmm *v);
uint8_t *sv_svsm_mailbox(struct sm_sim_vmm *v);

/* The SNP guest's SVSM as a migration agent (vmm-svsm.c). */
int32_t sv_svsm_serve(struct sm_sim_vmm *v, struct sm_fw *fw,
		      struct sm_svsm_core *c, unsigned i, uint8_t *mb,
		      uint64_t cmd, uint64_t arg);
int vmm_snp_target(void *arg, struct sm_ep_snp_target *t, struct sm_err *e);

/* The guest's SNP side (vmm-snp.c). */
#define SV_SNP_LD_LEN 48u
#define SV_SNP_IMAGE_GPA 0x800000ull
struct sm_sha256;
int sv_snp_launch_digest(unsigned vcpus, uint8_t ld[SV_SNP_LD_LEN]);
int sv_snp_new(struct sm_sim_vmm *v, struct sm_err *e);
void sv_snp_free(struct sm_sim_vmm *v);
struct sm_sim_snp;
const struct sm_sim_snp *sv_snp_id(const struct sm_sim_vmm *v);
int sv_snp_report(struct sm_sim_vmm *v, const uint8_t rd[64],
		  uint8_t raw[0x4a0], struct sm_err *e);
int vmm_snp_report(void *arg, const uint8_t rd[64],
		   uint8_t report[SM_EP_SNP_REPORT_LEN], struct sm_err *e);
uint64_t sv_snp_policy(const struct sm_sim_vmm *v);
const uint8_t *sv_snp_ld(const struct sm_sim_vmm *v);
const uint8_t *sv_snp_report_id(const struct sm_sim_vmm *v);
int sv_snp_rmp_get(const struct sm_sim_vmm *v, uint64_t gpa, uint64_t *q);
int sv_snp_rmp_set(struct sm_sim_vmm *v, uint64_t gpa, uint64_t q);
uint8_t *sv_snp_state(struct sm_sim_vmm *v, unsigned idx);
void sv_snp_clear(struct sm_sim_vmm *v);
int sv_snp_hash(struct sm_sim_vmm *v, struct sm_sha256 *h, struct sm_err *e);
int sv_snp_check_page(const struct sm_sim_vmm *v, uint64_t gpa, int shared);
void sv_snp_check_state(const struct sm_sim_vmm *v, struct sm_ep_check *c);

#endif
