// SPDX-License-Identifier: MIT
/* Compiled through cmd/sevmig-sim.c until the Makefile links cmd/X/ sources. */
#ifdef SEVMIG_SIM_UNITY
/*
 * TEMPORARY stand-in for lib/fw-sim.c and lib/fw.c (the fw engineer's),
 * only so sevmig-sim run/ctl can be built and tested before they land on
 * main.  Delete this file when merging main brings the real ones: the
 * duplicate symbols then fail the link on purpose.  Its "encryption" is
 * a keyed XOR, not AES-XTS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fw-sim.h"
#include "ossl.h"

struct stub_ctx {
	char magic[8];
	uint32_t handle, policy, state, nvcpus;
	uint8_t vek[32];
};

struct stub {
	int ctx_fd;
};

#define VMSA_OFF 4096u

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int rd(struct sm_fw *fw, struct stub_ctx *c, struct sm_err *e)
{
	struct stub *s = fw->priv;

	if (s->ctx_fd < 0 || pread(s->ctx_fd, c, sizeof(*c), 0) != sizeof(*c))
		return sm_err_set(e, SM_EXIT_VM, "no guest context");
	return 0;
}

static int wr(struct sm_fw *fw, const struct stub_ctx *c)
{
	struct stub *s = fw->priv;

	return pwrite(s->ctx_fd, c, sizeof(*c), 0) == sizeof(*c) ? 0 : -1;
}

static int g_status(struct sm_fw *fw, struct sm_fw_guest_status *st,
		    struct sm_err *e)
{
	struct stub_ctx c;

	if (rd(fw, &c, e))
		return -1;
	st->handle = c.handle;
	st->policy = c.policy;
	st->asid = 1;
	st->state = (uint8_t)c.state;
	return 0;
}

static int g_cancel(struct sm_fw *fw, struct sm_err *e)
{
	struct stub_ctx c;

	if (rd(fw, &c, e))
		return -1;
	if (c.state != SM_GUEST_SUPDATE)
		return sm_err_set(e, SM_EXIT_VM, "SEND_CANCEL: bad state");
	c.state = SM_GUEST_RUNNING;
	return wr(fw, &c);
}

static void g_close(struct sm_fw *fw)
{
	struct stub *s = fw->priv;

	if (s->ctx_fd >= 0)
		close(s->ctx_fd);
	free(s);
	free(fw);
}

static const struct sm_fw_ops stub_ops = {
	.name = "sim",
	.guest_status = g_status,
	.send_cancel = g_cancel,
	.close = g_close,
};

const char *sm_guest_state_name(unsigned state)
{
	static const char *const n[] = { "UNINIT", "LUPDATE", "LSECRET",
					 "RUNNING", "SUPDATE", "RUPDATE",
					 "SENT" };

	return state < 7 ? n[state] : "UNKNOWN";
}

int sm_fw_guest_status(struct sm_fw *fw, struct sm_fw_guest_status *st,
		       struct sm_err *e)
{
	return fw->ops->guest_status(fw, st, e);
}

void sm_fw_close(struct sm_fw *fw)
{
	if (fw)
		fw->ops->close(fw);
}

int sm_fw_sim_platform_init(const char *dir,
			    const struct sm_sim_platform_opts *o,
			    struct sm_err *e)
{
	(void)o;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return sm_err_errno(e, SM_EXIT_IO, errno, "creating '%s'", dir);
	return 0;
}

int sm_fw_sim_open(const char *platform_dir, struct sm_fw **out,
		   struct sm_err *e)
{
	struct sm_fw *fw;
	struct stub *s;
	struct stat st;

	if (stat(platform_dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return sm_err_set(e, SM_EXIT_IO,
				  "cannot open platform '%s': not a directory",
				  platform_dir);
	fw = calloc(1, sizeof(*fw));
	s = calloc(1, sizeof(*s));
	if (!fw || !s) {
		free(fw);
		free(s);
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	}
	s->ctx_fd = -1;
	fw->ops = &stub_ops;
	fw->priv = s;
	*out = fw;
	return 0;
}

int sm_fw_sim_attach(struct sm_fw *fw, int ctx_fd, struct sm_err *e)
{
	struct stub *s = fw->priv;
	struct stub_ctx c;
	int fd = dup(ctx_fd);

	if (fd < 0)
		return sm_err_errno(e, SM_EXIT_VM, errno, "attach");
	if (pread(fd, &c, sizeof(c), 0) != sizeof(c) ||
	    memcmp(c.magic, "STUBCTX", 8)) {
		close(fd);
		return sm_err_set(e, SM_EXIT_VM, "not a guest context");
	}
	s->ctx_fd = fd;
	return 0;
}

int sm_fw_sim_context_fd(struct sm_fw *fw)
{
	return ((struct stub *)fw->priv)->ctx_fd;
}

int sm_fw_sim_launch(struct sm_fw *fw, uint32_t policy, unsigned nvcpus,
		     struct sm_err *e)
{
	struct stub *s = fw->priv;
	struct stub_ctx c = { .magic = "STUBCTX" };

	s->ctx_fd = memfd_create("sevmig-sim-ctx", MFD_CLOEXEC);
	if (s->ctx_fd < 0 ||
	    ftruncate(s->ctx_fd, VMSA_OFF + (off_t)nvcpus * 4096) < 0)
		return sm_err_errno(e, SM_EXIT_VM, errno, "launch");
	c.handle = 1;
	c.policy = policy;
	c.state = SM_GUEST_RUNNING;
	c.nvcpus = nvcpus;
	sm_random(c.vek, sizeof(c.vek));
	return wr(fw, &c) ? sm_err_set(e, SM_EXIT_VM, "launch") : 0;
}

static void xor_page(const struct stub_ctx *c, uint64_t tweak,
		     const uint8_t *in, uint8_t *out)
{
	uint64_t k, x;
	size_t i;

	memcpy(&k, c->vek, 8);
	x = mix(k ^ mix(tweak));
	for (i = 0; i < SM_PAGE_SIZE; i += 8) {
		uint64_t w, m = mix(x + i);

		memcpy(&w, in + i, 8);
		w ^= m;
		memcpy(out + i, &w, 8);
	}
}

int sm_fw_sim_guest_write(struct sm_fw *fw, uint64_t gpa,
			  const uint8_t *plain, uint8_t *cipher,
			  struct sm_err *e)
{
	struct stub_ctx c;

	if (rd(fw, &c, e))
		return -1;
	xor_page(&c, gpa, plain, cipher);
	return 0;
}

int sm_fw_sim_guest_read(struct sm_fw *fw, uint64_t gpa,
			 const uint8_t *cipher, uint8_t *plain,
			 struct sm_err *e)
{
	return sm_fw_sim_guest_write(fw, gpa, cipher, plain, e);
}

int sm_fw_sim_vmsa_write(struct sm_fw *fw, unsigned vcpu,
			 const uint8_t *plain, struct sm_err *e)
{
	struct stub *s = fw->priv;
	struct stub_ctx c;
	uint8_t buf[SM_PAGE_SIZE];

	if (rd(fw, &c, e))
		return -1;
	if (vcpu >= c.nvcpus)
		return sm_err_set(e, SM_EXIT_VM, "bad vcpu");
	xor_page(&c, ~(uint64_t)vcpu, plain, buf);
	if (pwrite(s->ctx_fd, buf, sizeof(buf), VMSA_OFF + vcpu * 4096ull) !=
	    sizeof(buf))
		return sm_err_set(e, SM_EXIT_VM, "vmsa write");
	return 0;
}

int sm_fw_sim_vmsa_read(struct sm_fw *fw, unsigned vcpu, uint8_t *plain,
			struct sm_err *e)
{
	struct stub *s = fw->priv;
	struct stub_ctx c;
	uint8_t buf[SM_PAGE_SIZE];

	if (rd(fw, &c, e))
		return -1;
	if (vcpu >= c.nvcpus ||
	    pread(s->ctx_fd, buf, sizeof(buf), VMSA_OFF + vcpu * 4096ull) !=
		    sizeof(buf))
		return sm_err_set(e, SM_EXIT_VM, "bad vcpu");
	xor_page(&c, ~(uint64_t)vcpu, buf, plain);
	return 0;
}

int sm_fw_sim_recover(struct sm_fw *fw, struct sm_err *e)
{
	struct stub_ctx c;

	if (rd(fw, &c, e))
		return -1;
	if (c.state == SM_GUEST_SUPDATE && g_cancel(fw, e))
		return -1;
	if (c.state == SM_GUEST_RUPDATE) {
		c.state = SM_GUEST_UNINIT;
		wr(fw, &c);
	}
	if (rd(fw, &c, e))
		return -1;
	return (int)c.state;
}

int sm_fw_sim_prepare_receive(struct sm_fw *fw, unsigned nvcpus,
			      struct sm_err *e)
{
	(void)fw;
	(void)nvcpus;
	(void)e;
	return 0;
}
#endif /* SEVMIG_SIM_UNITY */
