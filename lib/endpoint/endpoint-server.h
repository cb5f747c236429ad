/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_ENDPOINT_SERVER_H
#define SEVMIG_ENDPOINT_SERVER_H

/*
 * The VM endpoint, server side, for any VMM: it listens on a unix socket,
 * serves several clients with poll(), frames and parses messages, passes
 * descriptors, streams device state through pipes, enforces the generic
 * rules (one claimant, which alone gets the memory and may touch the
 * guest; one context holder, always the claimant; other clients get
 * "busy" for anything but hello, status and shared-regions; a holder that
 * vanishes makes the VMM take the context back, a claimant that vanishes
 * makes it unclaim) and calls the VMM's callbacks for the rest.
 * The protocol is in docs/sevmig-endpoint.7.  Outside dependency: jansson.
 *
 * Callbacks return 0, or -1 with e filled; the message goes to the client
 * and e->code chooses the reply's "code": SM_EXIT_VM "state" (wrong state
 * for this operation), SM_EXIT_USAGE "invalid" (bad argument),
 * SM_EXIT_VERIFY "verify" (content failed validation), SM_EXIT_UNSUPPORTED
 * "unsupported", anything else "failed".  A NULL callback makes its
 * operation answer "unsupported".  Descriptors the VMM hands out (memory,
 * context) stay the VMM's: the server sends copies and closes nothing.
 *
 * The process must ignore SIGPIPE (sm_cli_init does): a client that closes
 * a device-state pipe early must not kill the VMM.
 */

#include <stddef.h>
#include <stdint.h>

#include "endpoint/endpoint.h"
#include "base/err.h"

struct sm_eps_ops {
	/* hello: fill h (fds borrowed; version is set by the server). */
	int (*hello)(void *vmm, struct sm_ep_hello *h, struct sm_err *e);
	/* status: fill st (context_held and claimed are set by the server). */
	int (*status)(void *vmm, struct sm_ep_status *st, struct sm_err *e);
	/*
	 * A client claims the VMM (hello with "claim"): refuse when the VMM
	 * cannot be claimed in its state (released; incoming but holding a
	 * received guest).  The server has already refused a second
	 * claimant.  unclaim: the claimant's connection closed (after
	 * context_lost when it also held the context).
	 */
	int (*claim)(void *vmm, struct sm_err *e);
	void (*unclaim)(void *vmm);
	int (*pause)(void *vmm, struct sm_err *e);
	/* force: the operator overrides a hold (uncommitted, in doubt). */
	int (*resume)(void *vmm, int force, struct sm_err *e);
	/*
	 * The shared regions with gpa >= from, sorted, at most max of them;
	 * *more says whether others follow.  *r points into the VMM's own
	 * list (valid until the next callback).
	 */
	int (*shared_regions)(void *vmm, uint64_t from, size_t max,
			      const struct sm_ep_region **r, size_t *n,
			      int *more, struct sm_err *e);
	/*
	 * Incoming: set (append 0) or extend (append 1) the shared list.
	 * The server has checked alignment and order within the batch.
	 */
	int (*set_shared_regions)(void *vmm, const struct sm_ep_region *r,
				  size_t n, int append, struct sm_err *e);
	/*
	 * device_state begins a blob of *size bytes; device_state_read then
	 * fills buf with the len bytes at off (called in order, any number
	 * of times, also for a later request).
	 */
	int (*device_state)(void *vmm, uint64_t *size, struct sm_err *e);
	int (*device_state_read)(void *vmm, uint64_t off, void *buf, size_t len,
				 struct sm_err *e);
	/*
	 * load_device_state accepts (or refuses) a blob of size bytes; data
	 * then arrives in order; end gives the verdict when complete is 1,
	 * or just discards the partial blob when complete is 0 (truncated,
	 * client gone: its return value is then ignored).
	 */
	int (*load_device_state)(void *vmm, uint64_t size, struct sm_err *e);
	int (*load_device_state_data)(void *vmm, uint64_t off, const void *buf,
				      size_t len, struct sm_err *e);
	int (*load_device_state_end)(void *vmm, int complete, struct sm_err *e);
	/* Hand out the context fd (borrowed); the VMM stops using it. */
	int (*take_context)(void *vmm, int *ctx_fd, struct sm_err *e);
	/*
	 * The holder gives it back (ctx_fd is closed by the server).
	 * in_doubt (NULL: none): the whole stream left and may be imported,
	 * so the guest goes on hold and resume needs force.
	 */
	int (*return_context)(void *vmm, int ctx_fd, const char *in_doubt,
			      struct sm_err *e);
	/* The holder committed the export: discard the guest. */
	int (*release)(void *vmm, struct sm_err *e);
	/*
	 * The holder's progress (see sm_ep_stream_written): what the VMM
	 * must do if the holder vanishes from here on.
	 */
	int (*stream_written)(void *vmm, struct sm_err *e);
	int (*target_ready)(void *vmm, struct sm_err *e);
	/*
	 * Incoming: take ctx_fd (dup it to keep it; the server closes it).
	 * pending: uncommitted until commit.  discard: drop a received guest
	 * that never ran and wait for an import again.
	 */
	int (*adopt_context)(void *vmm, int ctx_fd, int pending,
			     struct sm_err *e);
	int (*commit)(void *vmm, struct sm_err *e);
	int (*discard)(void *vmm, struct sm_err *e);
	/* The holder disconnected without returning or releasing. */
	void (*context_lost)(void *vmm);
	/* Optional: digest and check of guest memory (sevmig-sim). */
	int (*digest)(void *vmm, uint8_t sha256[32], uint64_t *pages,
		      struct sm_err *e);
	int (*check)(void *vmm, struct sm_ep_check *c, struct sm_err *e);
	/* Optional: a launch for a guest owner (sevmig-sim, endpoint.h). */
	int (*launch_measure)(void *vmm, struct sm_ep_launch_measure *m,
			      struct sm_err *e);
	int (*launch_secret)(void *vmm, const uint8_t *hdr, size_t hdr_len,
			     const uint8_t *payload, size_t len,
			     struct sm_err *e);
	int (*launch_finish)(void *vmm, struct sm_err *e);
	int (*secrets)(void *vmm, struct sm_ep_secrets *s, struct sm_err *e);
	/* Optional: an SNP guest's SVSM (sevmig-sim, endpoint.h). */
	int (*snp_report)(void *vmm, const uint8_t report_data[64],
			  uint8_t report[SM_EP_SNP_REPORT_LEN],
			  struct sm_err *e);
	int (*snp_target)(void *vmm, struct sm_ep_snp_target *t,
			  struct sm_err *e);
	/* quit: may refuse; on success the server stops after replying. */
	int (*quit)(void *vmm, struct sm_err *e);
};

struct sm_eps;

/*
 * Listen on path (mode 0600).  An existing socket nobody listens on is
 * replaced; a live one, or any other file, is an error (SM_EXIT_IO).
 */
int sm_eps_open(const char *path, const struct sm_eps_ops *ops, void *vmm,
		struct sm_eps **s, struct sm_err *e);

/*
 * Serve clients until a quit request succeeds or stop_fd (-1: none)
 * becomes readable.  Client errors never end it.  Blocks; 0 or -1 for a
 * failure of the server itself.
 */
int sm_eps_run(struct sm_eps *s, int stop_fd, struct sm_err *e);

/* Close every connection (holder first: context_lost), unlink, free. */
void sm_eps_close(struct sm_eps *s);

#endif
