// SPDX-License-Identifier: MIT
/*
 * The simulated VMM's guest memory: its layout (below and above 4 GiB),
 * the room the machine has for it, its content as the simulated guest
 * fills it, and the digest and check that tell an intact guest.
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

enum ram_dir { RAM_READ, RAM_WRITE };

static int ram_io(struct sm_sim_vmm *v, uint64_t off, void *buf, size_t len,
		  enum ram_dir dir, struct sm_err *e)
{
	ssize_t n;

	if (dir == RAM_WRITE)
		n = pwrite(v->ram_fd, buf, len, (off_t)off);
	else
		n = pread(v->ram_fd, buf, len, (off_t)off);
	if (n != (ssize_t)len)
		return sm_err_errno(e, SM_EXIT_FAILURE, n < 0 ? errno : EIO,
				    "%s guest RAM at 0x%" PRIx64,
				    dir == RAM_WRITE ? "writing" : "reading",
				    off);
	return 0;
}

/*
 * Write an incoming guest's RAM with zeros once, 1 MiB at a time.  A
 * fallocated page is only cleared when first touched; SEV pins (and so
 * faults in) all of a guest's memory when QEMU registers it at start, so
 * this is where that cost belongs, not inside an import's downtime.
 */
int sv_zero_ram(struct sm_sim_vmm *v, struct sm_err *e)
{
	uint64_t off;

	memset(v->win, 0, WINDOW);
	for (off = 0; off < v->o.mem_size; off += WINDOW) {
		size_t len = v->o.mem_size - off < WINDOW ?
				     (size_t)(v->o.mem_size - off) :
				     WINDOW;

		if (ram_io(v, off, v->win, len, RAM_WRITE, e))
			return -1;
	}
	return 0;
}

/* Is gpa shared?  *si walks the sorted list along with ascending gpas. */
static int is_shared(const struct sm_sim_vmm *v, size_t *si, uint64_t gpa)
{
	while (*si < v->nshared &&
	       v->shared[*si].gpa + v->shared[*si].size <= gpa)
		(*si)++;
	return *si < v->nshared && v->shared[*si].gpa <= gpa;
}

/*
 * Visit every page in GPA order through the window: fn gets each page
 * (WALK_LOAD: as the RAM file holds it, else zeros or what the last window
 * left; WALK_DECRYPT: private pages in plaintext through the VEK) and may
 * change it; WALK_STORE encrypts private pages again and writes the window
 * back.
 */
enum walk_flags {
	WALK_LOAD = 1 << 0,
	WALK_DECRYPT = 1 << 1,
	WALK_STORE = 1 << 2,
};

typedef int (*page_fn)(struct sm_sim_vmm *v, uint64_t gpa, int shared,
		       uint8_t *page, void *arg, struct sm_err *e);

static int walk(struct sm_sim_vmm *v, unsigned flags, page_fn fn, void *arg,
		struct sm_err *e)
{
	size_t r, si = 0;

	for (r = 0; r < v->nranges; r++) {
		const struct sm_ep_range *g = &v->ranges[r];
		uint64_t w;

		for (w = 0; w < g->size; w += WINDOW) {
			size_t len = g->size - w < WINDOW ?
					     (size_t)(g->size - w) :
					     WINDOW;
			size_t p;

			if ((flags & WALK_LOAD) &&
			    ram_io(v, g->offset + w, v->win, len, RAM_READ, e))
				return -1;
			for (p = 0; p < len; p += SM_PAGE_SIZE) {
				uint64_t gpa = g->gpa + w + p;
				uint8_t *pg = v->win + p;
				int sh = is_shared(v, &si, gpa);

				if ((flags & WALK_DECRYPT) && !sh &&
				    sm_fw_sim_guest_read(v->fw, gpa, pg, pg, e))
					return -1;
				if (fn(v, gpa, sh, pg, arg, e))
					return -1;
				if ((flags & WALK_STORE) && !sh &&
				    sm_fw_sim_guest_write(v->fw, gpa, pg, pg,
							  e))
					return -1;
			}
			if ((flags & WALK_STORE) &&
			    ram_io(v, g->offset + w, v->win, len, RAM_WRITE, e))
				return -1;
		}
	}
	return 0;
}

static int fill_page(struct sm_sim_vmm *v, uint64_t gpa, int shared,
		     uint8_t *page, void *arg, struct sm_err *e)
{
	(void)arg;
	(void)e;
	if (shared && v->zero_shared)
		memset(page, 0, SM_PAGE_SIZE);
	else
		sm_sim_page_fill(v->seed, gpa, shared, page);
	return 0;
}

int sv_fill_guest(struct sm_sim_vmm *v, struct sm_err *e)
{
	uint8_t page[SM_PAGE_SIZE];
	unsigned i;

	if (walk(v, WALK_STORE, fill_page, NULL, e))
		return -1;
	for (i = 0; v->es && i < v->vcpus; i++) {
		sm_sim_vmsa_fill(v->seed, i, page);
		if (sm_fw_sim_vmsa_write(v->fw, i, page, e))
			return -1;
	}
	return 0;
}

static int hash_page(struct sm_sim_vmm *v, uint64_t gpa, int shared,
		     uint8_t *page, void *arg, struct sm_err *e)
{
	(void)shared;
	/* The helpers' mailboxes are not guest state: hashed as zeros. */
	if (sv_mh_page(v, gpa))
		memset(page, 0, SM_PAGE_SIZE);
	if (sm_sha256_update(arg, page, SM_PAGE_SIZE))
		return sm_err_set(e, SM_EXIT_FAILURE, "SHA-256 failed");
	return 0;
}

/* The OVMF secret table's GUID 1e74f542-71dd-4d66-963e-ef4287ff173b. */
static const uint8_t table_guid[16] = { 0x42, 0xf5, 0x74, 0x1e, 0xdd, 0x71,
					0x66, 0x4d, 0x96, 0x3e, 0xef, 0x42,
					0x87, 0xff, 0x17, 0x3b };

uint32_t sv_secret_table_len(const uint8_t *page)
{
	uint32_t len = sm_get_le32(page + 16);

	if (memcmp(page, table_guid, sizeof(table_guid)) || len < 20 ||
	    len > SM_SIM_SECRET_MAX)
		return 0;
	return len;
}

/*
 * The table's entries after its 20-byte header: GUID, u32 length (with
 * its 20-byte header), data.  *off starts at 20; 1 with the entry at
 * *off (its length in *elen) and *off moved past it, 0 at the end.
 */
int sv_secret_next(const uint8_t *t, uint32_t len, uint32_t *off,
		   const uint8_t **entry, uint32_t *elen)
{
	uint32_t n;

	if (!len || *off + 20 > len)
		return 0;
	n = sm_get_le32(t + *off + 16);
	if (n < 20 || n > len - *off)
		return 0;
	*entry = t + *off;
	*elen = n;
	*off += n;
	return 1;
}

/* The RAM file offset of a private page gpa, or -1 with e set. */
static int secret_page_offset(struct sm_sim_vmm *v, uint64_t gpa, uint64_t *off,
			      struct sm_err *e)
{
	size_t r;
	size_t si = 0;

	for (r = 0; r < v->nranges; r++)
		if (gpa >= v->ranges[r].gpa &&
		    gpa - v->ranges[r].gpa < v->ranges[r].size)
			break;
	if (r == v->nranges)
		return sm_err_set(
			e, SM_EXIT_VM,
			"the guest has no memory at its secret area 0x%" PRIx64,
			gpa);
	if (is_shared(v, &si, gpa))
		return sm_err_set(e, SM_EXIT_VM,
				  "the guest's secret area 0x%" PRIx64
				  " is shared",
				  gpa);
	*off = v->ranges[r].offset + (gpa - v->ranges[r].gpa);
	return 0;
}

int sv_secret_write(struct sm_sim_vmm *v, const uint8_t *plain, size_t len,
		    struct sm_err *e)
{
	uint8_t page[SM_PAGE_SIZE];
	uint64_t gpa, off;
	size_t done;
	int rc = -1;

	for (done = 0; done < len; done += SM_PAGE_SIZE) {
		size_t n = len - done < SM_PAGE_SIZE ? len - done :
						       SM_PAGE_SIZE;

		gpa = SM_SIM_SECRET_GPA + done;
		if (secret_page_offset(v, gpa, &off, e))
			goto out;
		memset(page, 0, sizeof(page));
		memcpy(page, plain + done, n);
		if (sm_fw_sim_guest_write(v->fw, gpa, page, page, e) ||
		    ram_io(v, off, page, SM_PAGE_SIZE, RAM_WRITE, e))
			goto out;
	}
	rc = 0;
out:
	sm_wipe(page, sizeof(page));
	return rc;
}

int sv_secret_read(struct sm_sim_vmm *v, uint8_t *buf, size_t *len,
		   struct sm_err *e)
{
	uint64_t off, gpa = SM_SIM_SECRET_GPA;
	uint32_t tlen;
	size_t done;

	*len = 0;
	if (secret_page_offset(v, gpa, &off, e) ||
	    ram_io(v, off, buf, SM_PAGE_SIZE, RAM_READ, e) ||
	    sm_fw_sim_guest_read(v->fw, gpa, buf, buf, e))
		return -1;
	tlen = sv_secret_table_len(buf);
	if (!tlen)
		return 0; /* no secret table: none received */
	for (done = SM_PAGE_SIZE; done < tlen; done += SM_PAGE_SIZE) {
		if (secret_page_offset(v, gpa + done, &off, e) ||
		    ram_io(v, off, buf + done, SM_PAGE_SIZE, RAM_READ, e) ||
		    sm_fw_sim_guest_read(v->fw, gpa + done, buf + done,
					 buf + done, e))
			return -1;
	}
	*len = tlen;
	return 0;
}

/*
 * The guest's check: every page holds its pattern, but for the secret
 * area once a secret table arrived there (its pages, as long as the table
 * says, hold the table: sv_secret_table_len of the first).
 */
struct check_walk {
	struct sm_ep_check *c;
	uint64_t secret_end; /* pages below it belong to the table */
};

static int check_page(struct sm_sim_vmm *v, uint64_t gpa, int shared,
		      uint8_t *page, void *arg, struct sm_err *e)
{
	struct check_walk *w = arg;
	struct sm_ep_check *c = w->c;
	uint8_t want[SM_PAGE_SIZE];

	(void)e;
	if (!shared && gpa == SM_SIM_SECRET_GPA && sv_secret_table_len(page))
		w->secret_end =
			gpa + ((sv_secret_table_len(page) + SM_PAGE_SIZE - 1) &
			       ~(uint64_t)(SM_PAGE_SIZE - 1));
	/* The table's pages, and the helpers' mailboxes (not guest state). */
	if ((!shared && gpa >= SM_SIM_SECRET_GPA && gpa < w->secret_end) ||
	    sv_mh_page(v, gpa)) {
		c->pages++;
		return 0;
	}
	if (shared && v->zero_shared)
		memset(want, 0, sizeof(want));
	else
		sm_sim_page_fill(v->seed, gpa, shared, want);
	c->pages++;
	if (memcmp(want, page, SM_PAGE_SIZE) ||
	    sv_snp_check_page(v, gpa, shared)) {
		if (c->nfirst < SM_EP_CHECK_FIRST)
			c->first_bad[c->nfirst++] = gpa;
		c->bad++;
	}
	return 0;
}

int64_t sv_ram_off(const struct sm_sim_vmm *v, uint64_t gpa)
{
	size_t r;

	for (r = 0; r < v->nranges; r++)
		if (gpa >= v->ranges[r].gpa &&
		    gpa - v->ranges[r].gpa < v->ranges[r].size)
			return (int64_t)(v->ranges[r].offset +
					 (gpa - v->ranges[r].gpa));
	return -1;
}

/* The guest has a context and this VMM may look at it. */
int sv_need_guest(struct sm_sim_vmm *v, struct sm_err *e)
{
	if (v->state == V_RELEASED)
		return sm_err_set(e, SM_EXIT_VM, "the guest was released");
	if (!v->has_ctx)
		return sm_err_set(
			e, SM_EXIT_VM,
			"no guest yet: the incoming VMM has not adopted a context");
	return 0;
}

int vmm_digest(void *arg, uint8_t out[32], uint64_t *pages, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;
	struct sm_sha256 *h;
	uint8_t page[SM_PAGE_SIZE];
	unsigned i;
	int rc = -1;

	if (sv_need_guest(v, e))
		return -1;
	if (sm_sha256_new(&h))
		return sm_err_set(e, SM_EXIT_FAILURE, "SHA-256 failed");
	if (walk(v, WALK_LOAD | WALK_DECRYPT, hash_page, h, e))
		goto out;
	for (i = 0; v->es && i < v->vcpus; i++)
		if (sm_fw_sim_vmsa_read(v->fw, i, page, e) ||
		    hash_page(v, 0, 0, page, h, e))
			goto out;
	if (sv_snp_hash(v, h, e))
		goto out;
	if (sm_sha256_final(h, out)) {
		sm_err_set(e, SM_EXIT_FAILURE, "SHA-256 failed");
		goto out;
	}
	*pages = v->pages;
	rc = 0;
out:
	sm_sha256_free(h);
	return rc;
}

int vmm_check(void *arg, struct sm_ep_check *c, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;
	struct check_walk w;
	uint8_t page[SM_PAGE_SIZE], want[SM_PAGE_SIZE];
	unsigned i;

	if (sv_need_guest(v, e))
		return -1;
	if (v->incoming && !v->devstate_ok)
		return sm_err_set(
			e, SM_EXIT_VM,
			"no device state loaded: the guest's seed is unknown");
	memset(c, 0, sizeof(*c));
	w.c = c;
	w.secret_end = 0;
	if (walk(v, WALK_LOAD | WALK_DECRYPT, check_page, &w, e))
		return -1;
	for (i = 0; v->es && i < v->vcpus; i++) {
		if (sm_fw_sim_vmsa_read(v->fw, i, page, e))
			return -1;
		sm_sim_vmsa_fill(v->seed, i, want);
		c->vmsas++;
		if (memcmp(page, want, sizeof(page)))
			c->bad_vmsas++;
	}
	sv_snp_check_state(v, c);
	return 0;
}

int sv_layout(struct sm_sim_vmm *v, struct sm_err *e)
{
	uint64_t mem = v->o.mem_size, split = v->o.mem_split;

	if (mem == 0 || mem % SM_PAGE_SIZE)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "memory size %" PRIu64
				  " is not a positive multiple of 4 KiB",
				  mem);
	if (split == 0 || split % SM_PAGE_SIZE || split > HIGH_BASE)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "memory split 0x%" PRIx64
				  " is not a multiple of 4 KiB up to 4 GiB",
				  split);
	v->ranges[0] = (struct sm_ep_range){
		.gpa = 0, .offset = 0, .size = mem < split ? mem : split
	};
	v->nranges = 1;
	if (mem > split) {
		v->ranges[1] = (struct sm_ep_range){ .gpa = HIGH_BASE,
						     .offset = split,
						     .size = mem - split };
		v->nranges = 2;
	}
	v->pages = mem / SM_PAGE_SIZE;
	return 0;
}

/* One number from a cgroup file; UINT64_MAX for "max" or unreadable. */
static uint64_t cgroup_value(const char *dir, const char *name)
{
	char path[PATH_MAX], buf[32];
	uint64_t v = UINT64_MAX;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return v;
	if (fgets(buf, sizeof(buf), f) && strncmp(buf, "max", 3) &&
	    sscanf(buf, "%" SCNu64, &v) != 1)
		v = UINT64_MAX;
	fclose(f);
	return v;
}

/*
 * What the process's cgroup (v2) still lets it use: memory.max less
 * memory.current; UINT64_MAX without a limit.  In a container MemAvailable
 * is the host's figure, and the cgroup's limit is the one the OOM killer
 * enforces.
 */
static uint64_t cgroup_room(void)
{
	char line[PATH_MAX + 8];
	uint64_t max, cur;
	FILE *f = fopen("/proc/self/cgroup", "re");
	int found = 0;

	if (!f)
		return UINT64_MAX;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			found = 1;
			break;
		}
	fclose(f);
	if (!found)
		return UINT64_MAX;
	max = cgroup_value(line + 3, "memory.max");
	if (max == UINT64_MAX)
		return max;
	cur = cgroup_value(line + 3, "memory.current");
	return cur == UINT64_MAX || cur >= max ? 0 : max - cur;
}

int sv_check_room(uint64_t size, struct sm_err *e)
{
	uint64_t avail = 0, swap = 0, kb, room;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0; /* nothing to judge by */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemAvailable: %" SCNu64 " kB", &kb) == 1)
			avail = kb << 10;
		else if (sscanf(line, "SwapFree: %" SCNu64 " kB", &kb) == 1)
			swap = kb << 10;
	}
	fclose(f);
	if (!avail)
		return 0;
	avail += swap;
	room = cgroup_room();
	if (room < avail)
		avail = room;
	if (size <= avail)
		return 0;
	return sm_err_set(e, SM_EXIT_USAGE,
			  "--mem %" PRIu64
			  " MiB is more than this machine can hold: %" PRIu64
			  " MiB of memory and swap are available",
			  size >> 20, avail >> 20);
}
