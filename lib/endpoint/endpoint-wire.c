// SPDX-License-Identifier: MIT
/* VM endpoint framing: length-prefixed messages with SCM_RIGHTS fds. */
#include "endpoint/endpoint-wire.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/util.h"

void sm_epw_close_fds(int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

int sm_epw_send(int sock, const void *body, size_t len, const int *fds,
		int nfds, double deadline, struct sm_err *e)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * SM_EP_MAX_FDS)];
	} ctl;
	uint8_t hdr[SM_EPW_HDR_LEN];
	struct iovec iov[2];
	struct msghdr mh;
	size_t total = SM_EPW_HDR_LEN + len, done = 0;
	int first = 1;

	if (nfds < 0 || nfds > SM_EP_MAX_FDS || len > UINT32_MAX)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "message too large to send");
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	while (done < total) {
		ssize_t n;
		int err;

		memset(&mh, 0, sizeof(mh));
		if (done < SM_EPW_HDR_LEN) {
			iov[0].iov_base = hdr + done;
			iov[0].iov_len = SM_EPW_HDR_LEN - done;
			iov[1].iov_base = (void *)body;
			iov[1].iov_len = len;
			mh.msg_iovlen = len ? 2 : 1;
		} else {
			iov[0].iov_base =
				(uint8_t *)body + (done - SM_EPW_HDR_LEN);
			iov[0].iov_len = total - done;
			mh.msg_iovlen = 1;
		}
		mh.msg_iov = iov;
		if (first && nfds > 0) {
			struct cmsghdr *cm;

			memset(&ctl, 0, sizeof(ctl));
			mh.msg_control = ctl.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
		}
		n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			err = errno;
			if (err == EINTR)
				continue;
			if (err == EAGAIN || err == EWOULDBLOCK) {
				if (sm_wait_until(sock, POLLOUT, deadline) == 0)
					continue;
				err = errno;
				if (err == ETIMEDOUT)
					return sm_err_set(
						e, SM_EXIT_IO,
						"timed out sending a message");
			}
			return sm_err_errno(e, SM_EXIT_IO, err,
					    "sending a message");
		}
		first = 0;
		done += (size_t)n;
	}
	return 0;
}

ssize_t sm_epw_recv_some(int sock, void *buf, size_t len, int *fds, int *nfds,
			 int maxfds, int *overflow)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * SM_EP_MAX_FDS)];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	do {
		n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (mh.msg_flags & MSG_CTRUNC)
		*overflow = 1;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t i, k;
		int fd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(int));
			if (*nfds < maxfds) {
				fds[(*nfds)++] = fd;
			} else {
				close(fd);
				*overflow = 1;
			}
		}
	}
	return n;
}

/* Fill len bytes of buf from sock, collecting fds, until deadline. */
static int recv_exact(int sock, void *buf, size_t len, int *fds, int *nfds,
		      int *overflow, double deadline, struct sm_err *e)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = sm_epw_recv_some(sock, (uint8_t *)buf + done,
					     len - done, fds, nfds,
					     SM_EP_MAX_FDS, overflow);
		int err;

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n == 0)
			return sm_err_set(e, SM_EXIT_IO,
					  "connection closed by the peer");
		err = errno;
		if (err != EAGAIN && err != EWOULDBLOCK)
			return sm_err_errno(e, SM_EXIT_IO, err,
					    "receiving a message");
		if (sm_wait_until(sock, POLLIN, deadline) < 0) {
			err = errno;
			if (err == ETIMEDOUT)
				return sm_err_set(
					e, SM_EXIT_IO,
					"timed out waiting for a reply");
			return sm_err_errno(e, SM_EXIT_IO, err,
					    "receiving a message");
		}
	}
	return 0;
}

int sm_epw_recv(int sock, char **body, size_t *len, int *fds, int *nfds,
		double deadline, struct sm_err *e)
{
	uint8_t hdr[SM_EPW_HDR_LEN];
	int overflow = 0;
	uint32_t n;
	char *b;

	*nfds = 0;
	*body = NULL;
	if (recv_exact(sock, hdr, sizeof(hdr), fds, nfds, &overflow, deadline,
		       e) < 0)
		goto err_close_fds;
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | hdr[3];
	if (n == 0 || n > SM_EP_MSG_MAX) {
		sm_err_set(e, SM_EXIT_IO,
			   "bad message length %" PRIu32 " (limit %u)", n,
			   SM_EP_MSG_MAX);
		goto err_close_fds;
	}
	b = malloc((size_t)n + 1);
	if (!b) {
		sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM, "receiving a message");
		goto err_close_fds;
	}
	if (recv_exact(sock, b, n, fds, nfds, &overflow, deadline, e) < 0)
		goto err_free;
	if (overflow) {
		sm_err_set(
			e, SM_EXIT_IO,
			"too many file descriptors with a message (limit %d)",
			SM_EP_MAX_FDS);
		goto err_free;
	}
	b[n] = '\0';
	*body = b;
	*len = n;
	return 0;

err_free:
	free(b);
err_close_fds:
	sm_epw_close_fds(fds, *nfds);
	*nfds = 0;
	return -1;
}
