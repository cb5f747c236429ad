/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_ENDPOINT_WIRE_H
#define SEVMIG_ENDPOINT_WIRE_H

/*
 * Framing of the VM endpoint, shared by the client (endpoint.c) and the
 * server (endpoint-server.c).  Internal to those two files.
 *
 * A message is a 4-byte big-endian length N (1 <= N <= SM_EP_MSG_MAX)
 * followed by N bytes of JSON text (one object).  File descriptors ride
 * as SCM_RIGHTS on the sendmsg that carries the length, so they arrive
 * with the message's first bytes.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "endpoint/endpoint.h"
#include "base/err.h"

#define SM_EPW_HDR_LEN 4

/*
 * Send one message (len bytes of body) with nfds descriptors, waiting at
 * most until deadline (sm_now() time).  Never raises SIGPIPE.  0 or -1
 * (SM_EXIT_IO: timed out, peer gone).
 */
int sm_epw_send(int sock, const void *body, size_t len, const int *fds,
		int nfds, double deadline, struct sm_err *e);

/*
 * One non-blocking recvmsg of up to len bytes into buf.  Received
 * descriptors (close-on-exec) are appended to fds[*nfds] up to maxfds;
 * more, or a truncated control message, set *overflow (and the extra ones
 * are closed).  Returns the byte count, 0 at end of stream, or -1 with
 * errno set (EAGAIN when nothing is there).
 */
ssize_t sm_epw_recv_some(int sock, void *buf, size_t len, int *fds, int *nfds,
			 int maxfds, int *overflow);

/*
 * Receive one whole message, waiting at most until deadline.  *body is
 * malloc'd and NUL terminated.  Descriptors as for sm_epw_recv_some with
 * maxfds SM_EP_MAX_FDS; on -1 none is left open.  0 or -1 (SM_EXIT_IO).
 */
int sm_epw_recv(int sock, char **body, size_t *len, int *fds, int *nfds,
		double deadline, struct sm_err *e);

/* Close n descriptors and set them to -1. */
void sm_epw_close_fds(int *fds, int n);

#endif
