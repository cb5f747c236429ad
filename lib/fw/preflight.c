// SPDX-License-Identifier: MIT
/*
 * The host preflight (`sevmig-certs ok`): one function per check, each
 * filling a struct sm_pf_check with what it found and, failed, the fix.
 */
#include "fw/preflight.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include "base/util.h"
#include "fw/devsev.h"
#include "fw/fw-kvm.h"
#include "fw/sim-platform.h"

/* CAP_IPC_LOCK (linux/capability.h): pinning memory beyond the limit. */
#define CAP_IPC_LOCK_BIT 14
/* The oldest kernel with KVM's SEV send and receive commands. */
#define MIN_MAJOR 5
#define MIN_MINOR 11

static struct sm_pf_check *add(struct sm_preflight *pf, const char *name,
			       unsigned needed)
{
	struct sm_pf_check *c = &pf->checks[pf->n++];

	c->name = name;
	c->needed = needed;
	return c;
}

static void say(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* root + path into buf. */
static const char *at(const char *root, const char *path, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", root ? root : "", path);
	return buf;
}

/* A small text file's first line, without the newline; -1 if unreadable. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int rc = -1;

	if (!f)
		return -1;
	if (fgets(buf, (int)len, f)) {
		buf[strcspn(buf, "\n")] = '\0';
		rc = 0;
	}
	fclose(f);
	return rc;
}

static void check_kernel(struct sm_preflight *pf, const char *root)
{
	struct sm_pf_check *c = add(pf, "kernel", SM_PF_SEV | SM_PF_ES);
	char rel[128], p[4096];
	struct utsname u;
	unsigned maj = 0, min = 0;

	if (root && root[0]) {
		if (read_line(at(root, "/proc/sys/kernel/osrelease", p,
				 sizeof(p)),
			      rel, sizeof(rel)))
			snprintf(rel, sizeof(rel), "unknown");
	} else {
		uname(&u);
		snprintf(rel, sizeof(rel), "%s", u.release);
	}
	c->ok = sscanf(rel, "%u.%u", &maj, &min) == 2 &&
		(maj > MIN_MAJOR || (maj == MIN_MAJOR && min >= MIN_MINOR));
	say(c->found, sizeof(c->found), "Linux %s", rel);
	if (!c->ok)
		say(c->fix, sizeof(c->fix),
		    "boot Linux %d.%d or later (KVM's SEV send and receive commands)",
		    MIN_MAJOR, MIN_MINOR);
}

/* /dev/kvm and what it offers: the device, capabilities 206 and 197, the
 * VM types.  The capability checks are only added when KVM opened. */
static void check_kvm(struct sm_preflight *pf, const char *root)
{
	struct sm_pf_check *c =
		add(pf, "dev_kvm", SM_PF_SEV | SM_PF_ES | SM_PF_SNP);
	static const char *const types[] = { "default", "sw-protected", "SEV",
					     "SEV-ES",	"SEV-SNP",	"TDX" };
	struct sm_fw_kvm_caps caps;
	struct sm_err e = { 0 };
	char dev[4096], list[128] = "";
	size_t i;

	at(root, SM_KVM_DEV, dev, sizeof(dev));
	if (sm_fw_kvm_probe(dev, NULL, &caps, &e)) {
		say(c->found, sizeof(c->found), "%s", e.msg);
		say(c->fix, sizeof(c->fix),
		    "load kvm_amd (modprobe kvm_amd) on an AMD host with SVM enabled in the firmware setup, and give the user read and write access to %s (the kvm group)",
		    dev);
		return;
	}
	c->ok = 1;
	say(c->found, sizeof(c->found), "%s: KVM API version %d", dev,
	    caps.api_version);

	c = add(pf, "kvm_cap_206", SM_PF_SEV | SM_PF_ES);
	c->ok = caps.move_cap;
	say(c->found, sizeof(c->found),
	    "KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM (206): %s",
	    caps.move_cap ? "yes" : "no");
	if (!c->ok)
		say(c->fix, sizeof(c->fix),
		    "boot Linux 5.16 or later: a VMM takes the received context over with it");

	c = add(pf, "kvm_cap_197", 0);
	c->ok = caps.copy_cap;
	say(c->found, sizeof(c->found),
	    "KVM_CAP_VM_COPY_ENC_CONTEXT_FROM (197): %s (not needed by sevmig)",
	    caps.copy_cap ? "yes" : "no");
	if (!c->ok)
		say(c->fix, sizeof(c->fix),
		    "boot Linux 5.13 or later (mirror VMs for a migration helper)");

	c = add(pf, "kvm_vm_types", 0);
	c->ok = 1;
	for (i = 0; i < SM_ARRAY_SIZE(types); i++)
		if (caps.vm_types & (1 << i)) {
			size_t n = strlen(list);

			snprintf(list + n, sizeof(list) - n, "%s%s",
				 n ? ", " : "", types[i]);
		}
	say(c->found, sizeof(c->found),
	    "VM types (KVM_CAP_VM_TYPES, 235): %s%s", list,
	    caps.vm_types == 1 ?
		    " (or no KVM_CAP_VM_TYPES: SEV through KVM_SEV_INIT)" :
		    "");
}

/* kvm_amd's sev, sev_es and sev_snp parameters: what KVM offers guests. */
static void check_kvm_param(struct sm_preflight *pf, const char *root,
			    const char *name, const char *param,
			    const char *kind, unsigned needed)
{
	struct sm_pf_check *c = add(pf, name, needed);
	char path[4096], v[32];

	snprintf(path, sizeof(path), "%s/sys/module/kvm_amd/parameters/%s",
		 root ? root : "", param);
	if (read_line(path, v, sizeof(v))) {
		say(c->found, sizeof(c->found),
		    "cannot read '%s': %s (kvm_amd not loaded)", path,
		    strerror(errno));
	} else {
		c->ok = !strcmp(v, "Y") || !strcmp(v, "1");
		say(c->found, sizeof(c->found), "kvm_amd %s=%s", param, v);
	}
	if (!c->ok)
		say(c->fix, sizeof(c->fix),
		    "enable %s in the firmware setup and load kvm_amd with %s=1 (kvm_amd.%s=1 on the kernel command line)",
		    kind, param, param);
}

static void check_sev(struct sm_preflight *pf, const char *root)
{
	static const char *const states[] = { "UNINIT", "INIT", "WORKING" };
	struct sm_pf_check *c =
		add(pf, "dev_sev", SM_PF_SEV | SM_PF_ES | SM_PF_SNP);
	struct sm_devsev_status st;
	struct sm_err e = { 0 };
	char dev[4096];

	at(root, "/dev/sev", dev, sizeof(dev));
	if (sm_devsev_platform_status(dev, &st, &e)) {
		say(c->found, sizeof(c->found), "%s", e.msg);
		say(c->fix, sizeof(c->fix),
		    "load the PSP driver (modprobe ccp) with SEV enabled in the firmware setup, and give the user read and write access to %s",
		    dev);
		return;
	}
	c->ok = 1;
	say(c->found, sizeof(c->found),
	    "%s: PLATFORM_STATUS: API %u.%u build %u, state %s, %" PRIu32
	    " guest%s",
	    dev, st.api_major, st.api_minor, st.build,
	    st.state < SM_ARRAY_SIZE(states) ? states[st.state] : "unknown",
	    st.guest_count, st.guest_count == 1 ? "" : "s");
}

/* CAP_IPC_LOCK in the effective set, from ROOT/proc/self/status. */
static int have_ipc_lock(const char *root)
{
	char path[4096], line[256];
	unsigned long long eff = 0;
	int found = 0;
	FILE *f;

	f = fopen(at(root, "/proc/self/status", path, sizeof(path)), "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			found = 1;
			break;
		}
	fclose(f);
	return found && (eff >> CAP_IPC_LOCK_BIT & 1);
}

static void check_memlock(struct sm_preflight *pf, const char *root)
{
	struct sm_pf_check *c =
		add(pf, "memlock", SM_PF_SEV | SM_PF_ES | SM_PF_SNP);
	int cap = have_ipc_lock(root);
	struct rlimit rl;
	char lim[64];

	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		rl.rlim_cur = 0;
	if (rl.rlim_cur == RLIM_INFINITY)
		snprintf(lim, sizeof(lim), "unlimited");
	else
		snprintf(lim, sizeof(lim), "%llu KiB",
			 (unsigned long long)rl.rlim_cur / 1024);
	c->ok = cap || rl.rlim_cur == RLIM_INFINITY;
	say(c->found, sizeof(c->found), "RLIMIT_MEMLOCK %s, %s CAP_IPC_LOCK",
	    lim, cap ? "with" : "without");
	if (!c->ok)
		say(c->fix, sizeof(c->fix),
		    "run with CAP_IPC_LOCK or an unlimited memlock limit (ulimit -l unlimited; LimitMEMLOCK=infinity): receiving pins the guest's memory");
}

/* "KEY N" in a misc cgroup file; -1 when the file or the key is absent. */
static long long misc_value(const char *path, const char *key)
{
	char line[128], k[64];
	long long v, r = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", k, &v) == 2 && !strcmp(k, key))
			r = v;
	fclose(f);
	return r;
}

static void check_asids(struct sm_preflight *pf, const char *root,
			const char *name, const char *key, const char *kind,
			unsigned needed)
{
	struct sm_pf_check *c = add(pf, name, needed);
	char cap_path[4096], cur_path[4096];
	long long cap, cur;

	at(root, "/sys/fs/cgroup/misc.capacity", cap_path, sizeof(cap_path));
	at(root, "/sys/fs/cgroup/misc.current", cur_path, sizeof(cur_path));
	cap = misc_value(cap_path, key);
	if (cap < 0) {
		say(c->found, sizeof(c->found), "no '%s' in '%s'", key,
		    cap_path);
		say(c->fix, sizeof(c->fix),
		    "enable %s in the firmware setup and kvm_amd (the misc cgroup lists its ASIDs; cgroup v2 must be mounted)",
		    kind);
		return;
	}
	cur = misc_value(cur_path, key);
	if (cur < 0)
		cur = 0;
	c->ok = cap > cur;
	say(c->found, sizeof(c->found), "%lld of %lld %s ASIDs free",
	    cap > cur ? cap - cur : 0, cap, kind);
	if (!c->ok)
		say(c->fix, sizeof(c->fix),
		    "every %s ASID is in use (%s): stop a %s guest to receive one",
		    kind, cur_path, kind);
}

static void run_host(struct sm_preflight *pf, const char *root)
{
	snprintf(pf->host, sizeof(pf->host), "%s%s%s",
		 root && root[0] ? "this host under '" : "this host",
		 root && root[0] ? root : "", root && root[0] ? "'" : "");
	check_kernel(pf, root);
	check_kvm(pf, root);
	check_kvm_param(pf, root, "kvm_sev", "sev", "SEV", SM_PF_SEV);
	check_kvm_param(pf, root, "kvm_sev_es", "sev_es", "SEV-ES", SM_PF_ES);
	check_kvm_param(pf, root, "kvm_sev_snp", "sev_snp", "SEV-SNP",
			SM_PF_SNP);
	check_sev(pf, root);
	check_memlock(pf, root);
	check_asids(pf, root, "misc_sev_asids", "sev", "SEV", SM_PF_SEV);
	check_asids(pf, root, "misc_sev_es_asids", "sev_es", "SEV-ES",
		    SM_PF_ES);
}

static void run_sim(struct sm_preflight *pf, const char *dir)
{
	struct sm_sim_platform p;
	struct sm_pf_check *c =
		add(pf, "sim_platform", SM_PF_SEV | SM_PF_ES | SM_PF_SNP);
	struct sm_err e = { 0 };

	snprintf(pf->host, sizeof(pf->host), "simulated host '%s'", dir);
	memset(&p, 0, sizeof(p));
	if (sm_sim_platform_load(dir, &p, &e)) {
		say(c->found, sizeof(c->found), "%s", e.msg);
		say(c->fix, sizeof(c->fix),
		    "make it with sevmig-sim platform init '%s'", dir);
		sm_sim_platform_free(&p);
		return;
	}
	c->ok = 1;
	say(c->found, sizeof(c->found),
	    "simulated PSP: %s, API %u.%u build %u, PDH and chain present",
	    sm_product_name(p.info.product), p.info.api_major, p.info.api_minor,
	    p.info.build);
	c = add(pf, "sim_es", SM_PF_ES);
	c->ok = p.info.es;
	say(c->found, sizeof(c->found), "SEV-ES: %s", p.info.es ? "yes" : "no");
	if (!c->ok)
		say(c->fix, sizeof(c->fix),
		    "make the platform without --no-es (sevmig-sim platform init)");
	c = add(pf, "sim_vmm", 0);
	c->ok = 1;
	say(c->found, sizeof(c->found),
	    "sevmig-sim run serves the VM endpoint: no /dev/kvm, /dev/sev, memlock or ASIDs needed");
	sm_sim_platform_free(&p);
}

int sm_preflight_run(const char *root, const char *sim_dir,
		     struct sm_preflight *pf, struct sm_err *e)
{
	size_t i;

	(void)e;
	memset(pf, 0, sizeof(*pf));
	if (sim_dir)
		run_sim(pf, sim_dir);
	else
		run_host(pf, root && root[0] ? root : NULL);
	pf->can = SM_PF_SEV | SM_PF_ES | SM_PF_SNP;
	for (i = 0; i < pf->n; i++)
		if (!pf->checks[i].ok)
			pf->can &= ~pf->checks[i].needed;
	/* The hardware may, but sevmig has no SNP method (issue 17). */
	pf->snp_method = 0;
	if (!pf->snp_method)
		pf->can &= ~(unsigned)SM_PF_SNP;
	return 0;
}

int sm_preflight_json(const struct sm_preflight *pf, char **out,
		      struct sm_err *e)
{
	static const struct {
		unsigned bit;
		const char *name;
	} kinds[] = { { SM_PF_SEV, "sev" },
		      { SM_PF_ES, "sev-es" },
		      { SM_PF_SNP, "sev-snp" } };
	json_t *root = json_object(), *checks = json_array();
	json_t *missing = json_array(), *can = json_object();
	int bad = !root || !checks || !missing || !can;
	size_t i, k;

	for (i = 0; !bad && i < pf->n; i++) {
		const struct sm_pf_check *c = &pf->checks[i];
		json_t *o, *need = json_array();

		for (k = 0; need && k < SM_ARRAY_SIZE(kinds); k++)
			if (c->needed & kinds[k].bit)
				bad |= json_array_append_new(
					need, json_string(kinds[k].name));
		o = json_pack("{s:s, s:b, s:s, s:o*}", "name", c->name, "ok",
			      c->ok, "found", c->found, "needed_for", need);
		if (o && c->fix[0])
			bad |= json_object_set_new(o, "fix",
						   json_string(c->fix));
		bad |= !o || json_array_append_new(checks, o);
		if (!c->ok && c->needed)
			bad |= json_array_append_new(missing,
						     json_string(c->name));
	}
	for (k = 0; !bad && k < SM_ARRAY_SIZE(kinds); k++)
		bad |= json_object_set_new(can, kinds[k].name,
					   json_boolean(pf->can &
							kinds[k].bit));
	if (!bad) {
		bad |= json_object_set_new(root, "schema",
					   json_string("sevmig-certs-ok/1"));
		bad |= json_object_set_new(root, "host", json_string(pf->host));
		bad |= json_object_set_new(
			root, "ok",
			json_boolean((pf->can & (SM_PF_SEV | SM_PF_ES)) ==
				     (SM_PF_SEV | SM_PF_ES)));
		bad |= json_object_set(root, "can", can);
		bad |= json_object_set(root, "missing", missing);
		bad |= json_object_set(root, "checks", checks);
		bad |= json_object_set_new(
			root, "snp_note",
			json_string(
				"sevmig has no SEV-SNP migration method yet (issue 17)"));
	}
	*out = bad ? NULL : json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(checks);
	json_decref(missing);
	json_decref(can);
	json_decref(root);
	if (!*out)
		return sm_err_set(e, SM_EXIT_FAILURE, "cannot build JSON");
	return 0;
}
