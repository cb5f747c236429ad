/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_ENDPOINT_H
#define SEVMIG_ENDPOINT_H

/*
 * The VM endpoint (vm.sock), client side.  A unix stream socket carrying
 * versioned JSON messages, with file descriptors passed by SCM_RIGHTS.
 * The protocol is documented in docs/sevmig-endpoint.7; the reusable
 * server side is endpoint-server.h.  Outside dependency: jansson.
 *
 * Every call returns 0 or -1 with e filled: SM_EXIT_VM for an error reply
 * from the VMM (its message relayed), SM_EXIT_IO for a broken connection
 * or a timeout, SM_EXIT_UNSUPPORTED for an unknown protocol version.
 * After a transport failure (timeout, broken frame, a reply that is not
 * a reply, descriptors not asked for) the connection is unusable: every
 * later call fails with SM_EXIT_IO, so a late reply can never pass for
 * the answer to another request.  Reconnect.  An error reply from the
 * VMM leaves the connection usable.
 */

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SM_EP_VERSION 1
#define SM_EP_MAX_RANGES 64
#define SM_EP_MAX_FDS 16
#define SM_EP_MSG_MAX (1u << 20) /* larger messages are refused */
#define SM_EP_PAGE 4096u /* GPA ranges are multiples of this */
/* More shared regions than this from a VMM is an error (bounded memory). */
#define SM_EP_MAX_SHARED_REGIONS (1u << 20)

struct sm_ep;

struct sm_ep_range {
	uint64_t gpa;	 /* guest physical address, page aligned */
	uint64_t size;	 /* bytes, page aligned */
	int fd_index;	 /* index into sm_ep_hello.fds */
	uint64_t offset; /* offset of gpa within that fd */
};

struct sm_ep_hello {
	int version;
	char platform[8];	  /* "sim" or "kvm" */
	char platform_dir[PATH_MAX]; /* sim: the simulated host directory */
	char role[16];		  /* "source" or "incoming" */
	char state[16];		  /* VMM state: running, paused, incoming, released */
	unsigned vcpus;
	int es;
	uint32_t policy;
	int migration_ready;	  /* the guest wrote MSR_KVM_MIGRATION_CONTROL */
	uint64_t mem_size;	  /* sum of the ranges */
	size_t nranges;
	struct sm_ep_range ranges[SM_EP_MAX_RANGES];
	int nfds;
	int fds[SM_EP_MAX_FDS];	  /* memory fds; the caller closes them */
};

struct sm_ep_status {
	char vmm_state[16];	/* running, paused, incoming, released */
	char guest_state[16];	/* RUNNING, SUPDATE, SENT, RUPDATE, ... */
	uint32_t policy;
	uint32_t handle;
	uint64_t mem_size;
	int context_held;	/* a client holds the context */
	/* additions */
	char role[16];		/* source or incoming */
	unsigned vcpus;
	int es;
	int migration_ready;
};

/* The optional "check" operation (sevmig-sim): the guest checks its pages. */
#define SM_EP_CHECK_FIRST 8
struct sm_ep_check {
	uint64_t pages;		/* pages checked */
	uint64_t bad;		/* pages whose content is wrong */
	size_t nfirst;
	uint64_t first_bad[SM_EP_CHECK_FIRST]; /* GPAs of the first bad ones */
	unsigned vmsas;		/* VMSAs checked (SEV-ES) */
	unsigned bad_vmsas;
};

/* A GPA range the guest made shared. */
struct sm_ep_region {
	uint64_t gpa, size;
};

/*
 * Connect to path; timeout_s bounds every later request/reply (0 = 30 s),
 * so a VMM that stops answering gives SM_EXIT_IO, never a hang.
 */
int sm_ep_connect(const char *path, double timeout_s, struct sm_ep **ep,
		  struct sm_err *e);
void sm_ep_close(struct sm_ep *ep);

int sm_ep_hello(struct sm_ep *ep, struct sm_ep_hello *h, struct sm_err *e);
int sm_ep_pause(struct sm_ep *ep, struct sm_err *e);
int sm_ep_resume(struct sm_ep *ep, struct sm_err *e);
int sm_ep_status(struct sm_ep *ep, struct sm_ep_status *st, struct sm_err *e);

/* Shared regions, sorted by gpa; *r is malloc'd, the caller frees it. */
int sm_ep_shared_regions(struct sm_ep *ep, struct sm_ep_region **r,
			 size_t *n, struct sm_err *e);
/* Incoming: tell the VMM which ranges the guest had shared. */
int sm_ep_set_shared_regions(struct sm_ep *ep, const struct sm_ep_region *r,
			     size_t n, struct sm_err *e);

/*
 * Device state, streamed: *fd is a pipe the VMM writes exactly *size bytes
 * to (read it to EOF, then close it).  load: the tool writes size bytes
 * into *fd and closes it; sm_ep_load_device_state_done waits for the VMM's
 * verdict.
 */
int sm_ep_device_state(struct sm_ep *ep, int *fd, uint64_t *size,
		       struct sm_err *e);
int sm_ep_load_device_state(struct sm_ep *ep, uint64_t size, int *fd,
			    struct sm_err *e);
int sm_ep_load_device_state_done(struct sm_ep *ep, struct sm_err *e);

/*
 * Context hand-off.  take: the source VMM hands its context (sim: the
 * context memfd; kvm: its VM fd) and stops using it.  return: the tool
 * gives it back after a failure (source intact, may resume).  release: the
 * export committed; the source discards its guest.  adopt: the incoming
 * VMM takes the context after RECEIVE_FINISH.
 */
int sm_ep_take_context(struct sm_ep *ep, int *ctx_fd, struct sm_err *e);
int sm_ep_return_context(struct sm_ep *ep, int ctx_fd, struct sm_err *e);
int sm_ep_release(struct sm_ep *ep, struct sm_err *e);
int sm_ep_adopt_context(struct sm_ep *ep, int ctx_fd, struct sm_err *e);

/*
 * Optional operations (the simulated VMM implements them; a VMM without
 * them answers "unsupported").  digest: SHA-256 of guest-visible memory
 * (private pages decrypted, shared as stored, GPA order, then the VMSAs
 * of an ES guest) and the page count.  check: the guest verifies the
 * content of every page.  quit: the VMM exits after replying.
 */
int sm_ep_digest(struct sm_ep *ep, uint8_t sha256[32], uint64_t *pages,
		 struct sm_err *e);
int sm_ep_check(struct sm_ep *ep, struct sm_ep_check *c, struct sm_err *e);
int sm_ep_quit(struct sm_ep *ep, struct sm_err *e);

/*
 * Raw access for tests and tools: send one request (a JSON object text;
 * "version" is added when missing) with nfds descriptors and return the
 * reply text (malloc'd, the caller frees) and up to SM_EP_MAX_FDS received
 * descriptors (the caller closes them).  An error reply is not an error
 * here: the caller reads "ok".  -1 only for transport failures.
 */
int sm_ep_call_raw(struct sm_ep *ep, const char *req, const int *fds,
		   int nfds, char **reply, int *rfds, int *nrfds,
		   struct sm_err *e);

/* Wait for one more message (the load-device-state verdict), raw. */
int sm_ep_recv_raw(struct sm_ep *ep, char **reply, int *rfds, int *nrfds,
		   struct sm_err *e);

/* The connected socket (tests send malformed bytes through it). */
int sm_ep_socket(struct sm_ep *ep);

#endif
