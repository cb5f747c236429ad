// SPDX-License-Identifier: MIT
/*
 * Where a target's chain comes from.  Each source fills what it has (the
 * platform's PDH, PEK, OCA and CEK, the chip id, the API version); then
 * two steps common to every source complete the chain:
 *  1. an unsigned CEK (PDH_CERT_EXPORT always returns one) is replaced by
 *     the KDS's signed copy for the same chip, after checking that it
 *     carries the same public key;
 *  2. a missing ASK/ARK is filled from the built-in roots of the product
 *     (named, or found from which built-in ASK signs the CEK).
 * Nothing here decides trust: the caller runs sm_chain_verify, which pins
 * the ARK.  That is why a bundle from a file or from ssh may keep the
 * ASK/ARK it carries.
 */
#include "fetch/fetch.h"
#include "fetch/fetch-internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "endpoint/endpoint.h"
#include "fw/devsev.h"
#include "fetch/kds.h"
#include "base/log.h"
#include "fetch/qmp.h"
#include "certs/roots.h"
#include "base/transport.h"
#include "base/util.h"

#define DEF_CONNECT 10.0
#define DEF_TOTAL 60.0
#define SSH_OUT_MAX (1u << 20)

/* A positive number from the environment, else def. */
static double env_seconds(const char *name, double def)
{
	const char *s = getenv(name);
	char *end;
	double v;

	if (!s || !s[0])
		return def;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || v <= 0) {
		pr_debug("ignoring %s='%s': not a positive number", name, s);
		return def;
	}
	return v;
}

double smf_connect_timeout(const struct sm_fetch_opts *o)
{
	if (o && o->connect_timeout > 0)
		return o->connect_timeout;
	return env_seconds("SEVMIG_CONNECT_TIMEOUT", DEF_CONNECT);
}

static double total_timeout(const struct sm_fetch_opts *o)
{
	if (o && o->total_timeout > 0)
		return o->total_timeout;
	return env_seconds("SEVMIG_TIMEOUT", DEF_TOTAL);
}

/* Parse one SEV certificate of the platform, which must have usage. */
static int put_sev(const uint8_t *buf, uint32_t usage, struct sm_sev_cert *c,
		   const char *from, struct sm_err *e)
{
	if (sm_sev_cert_parse(buf, SM_SEV_CERT_LEN, c, e) < 0)
		return sm_err_prefix(e, "%s %s", from, sm_usage_name(usage));
	if (c->usage != usage)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "%s: found a %s where the %s belongs", from,
				  sm_usage_name(c->usage),
				  sm_usage_name(usage));
	return 0;
}

/* PDH plus the PDH_CERT_EXPORT chain blob PEK || OCA || CEK. */
static int put_export(const uint8_t *pdh, const uint8_t *chain,
		      struct sm_chain *ch, const char *from, struct sm_err *e)
{
	if (put_sev(pdh, SM_USAGE_PDH, &ch->pdh, from, e) < 0 ||
	    put_sev(chain, SM_USAGE_PEK, &ch->pek, from, e) < 0 ||
	    put_sev(chain + SM_SEV_CERT_LEN, SM_USAGE_OCA, &ch->oca, from, e) <
		    0 ||
	    put_sev(chain + 2 * SM_SEV_CERT_LEN, SM_USAGE_CEK, &ch->cek, from,
		    e) < 0)
		return -1;
	ch->have |= SM_HAVE_PDH | SM_HAVE_PEK | SM_HAVE_OCA | SM_HAVE_CEK;
	return 0;
}

static const char *sev_device(const struct sm_fetch_opts *o)
{
	const char *d = o ? o->sev_device : NULL;

	if (!d || !d[0])
		d = getenv("SEVMIG_SEV_DEVICE");
	return d && d[0] ? d : "/dev/sev";
}

/* local: this host's PSP through /dev/sev. */
static int from_local(const struct sm_fetch_opts *o, struct sm_chain *ch,
		      struct sm_bundle_info *info, struct sm_err *e)
{
	const char *dev = sev_device(o);
	struct sm_devsev_status st;
	uint8_t *pdh, *chain;
	struct sm_err idle;
	int rc = -1;

	if (sm_devsev_platform_status(dev, &st, e) < 0)
		return -1;
	info->have_api = 1;
	info->api_major = st.api_major;
	info->api_minor = st.api_minor;
	pdh = malloc(SM_SEV_CERT_LEN);
	chain = malloc(SM_SEV_CHAIN_LEN);
	if (!pdh || !chain) {
		sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM, "PDH_CERT_EXPORT");
		goto out;
	}
	if (sm_devsev_pdh_cert_export(dev, pdh, chain, e) < 0 ||
	    put_export(pdh, chain, ch, "PDH_CERT_EXPORT", e) < 0)
		goto out;
	/*
	 * GET_ID2 only matters for the KDS; an old firmware without it
	 * leaves the chip id unknown and the KDS step says so.
	 */
	if (sm_devsev_get_id2(dev, info->chip_id, sizeof(info->chip_id),
			      &info->chip_id_len, &idle) < 0) {
		pr_debug("no chip id: %s", idle.msg);
		info->chip_id_len = 0;
	}
	snprintf(info->source, sizeof(info->source), "local:%s", dev);
	rc = 0;
out:
	free(pdh);
	free(chain);
	return rc;
}

/* qmp:PATH: QEMU's query-sev-capabilities. */
static int from_qmp(const char *path, const struct sm_fetch_opts *o,
		    struct sm_chain *ch, struct sm_bundle_info *info,
		    struct sm_err *e)
{
	struct sm_qmp_sev_caps *caps;
	struct sm_qmp *q;
	int rc = -1;

	if (!path[0])
		return sm_err_set(e, SM_EXIT_USAGE,
				  "bad source 'qmp:': no socket path");
	caps = malloc(sizeof(*caps));
	if (!caps)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM, "qmp:%s", path);
	/* A local socket answers in milliseconds: the connect timeout. */
	if (sm_qmp_open(path, smf_connect_timeout(o), &q, e) < 0)
		goto out;
	if (sm_qmp_query_sev_capabilities(q, caps, e) == 0 &&
	    put_export(caps->pdh, caps->chain, ch, "query-sev-capabilities",
		       e) == 0) {
		memcpy(info->chip_id, caps->cpu0_id, caps->cpu0_id_len);
		info->chip_id_len = caps->cpu0_id_len;
		/* QEMU does not say; the PDH carries the firmware's API. */
		info->have_api = 1;
		info->api_major = ch->pdh.api_major;
		info->api_minor = ch->pdh.api_minor;
		snprintf(info->source, sizeof(info->source), "qmp:%s", path);
		rc = 0;
	}
	sm_qmp_close(q);
out:
	free(caps);
	return rc;
}

/* file:PATH: anything sm_certs_load accepts. */
static int from_file(const char *path, struct sm_chain *ch,
		     struct sm_bundle_info *info, struct sm_err *e)
{
	if (!path[0])
		return sm_err_set(e, SM_EXIT_USAGE,
				  "bad source 'file:': no path");
	if (sm_certs_load(path, ch, info, e) < 0)
		return -1;
	if (!info->source[0])
		snprintf(info->source, sizeof(info->source), "file:%s", path);
	return 0;
}

static int load_amd(const char *dir, const char *name, struct sm_amd_cert *c,
		    struct sm_err *e)
{
	char path[4096];
	uint8_t *buf;
	size_t len, used;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (sm_read_file(path, 64 * 1024, &buf, &len, e) < 0)
		return -1;
	rc = sm_amd_cert_parse(buf, len, c, &used, e);
	free(buf);
	if (rc == 0 && used != len)
		rc = sm_err_set(e, SM_EXIT_VERIFY,
				"%zu bytes after the certificate", len - used);
	if (rc < 0)
		return sm_err_prefix(e, "simulated host '%s'", path);
	return 0;
}

/*
 * sim:DIR: a simulated host made by sevmig-sim platform init.  Its ARK
 * is its own, so it is returned for the caller to trust explicitly; the
 * built-in AMD roots would rightly reject it.
 */
static int from_sim(const char *dir, struct sm_chain *ch,
		    struct sm_bundle_info *info, struct sm_amd_cert *sim_ark,
		    int *have_sim_ark, struct sm_err *e)
{
	if (!dir[0])
		return sm_err_set(e, SM_EXIT_USAGE,
				  "bad source 'sim:': no directory");
	if (sm_certs_load(dir, ch, info, e) < 0)
		return sm_err_prefix(e, "simulated host '%s'", dir);
	if (load_amd(dir, "ask.cert", &ch->ask, e) < 0 ||
	    load_amd(dir, "ark.cert", &ch->ark, e) < 0)
		return -1;
	ch->have |= SM_HAVE_ASK | SM_HAVE_ARK;
	if (!info->have_api && (ch->have & SM_HAVE_PDH)) {
		info->have_api = 1;
		info->api_major = ch->pdh.api_major;
		info->api_minor = ch->pdh.api_minor;
	}
	if (sim_ark)
		*sim_ark = ch->ark;
	if (have_sim_ark)
		*have_sim_ark = 1;
	snprintf(info->source, sizeof(info->source), "sim:%s", dir);
	return 0;
}

/*
 * vm:SOCK: the platform a VM endpoint runs on, as its hello (no claim)
 * names it: a simulated host's directory, or this host's /dev/sev.  What
 * sevmig-export --to runs on the target host, which knows the VM socket
 * but not where its certificates are.
 */
static int from_vm(const char *sock, const struct sm_fetch_opts *o,
		   struct sm_chain *ch, struct sm_bundle_info *info,
		   struct sm_amd_cert *sim_ark, int *have_sim_ark,
		   struct sm_err *e)
{
	struct sm_ep_hello *h;
	struct sm_ep *ep;
	int rc;

	if (!sock[0])
		return sm_err_set(e, SM_EXIT_USAGE,
				  "bad source 'vm:': no socket path");
	h = calloc(1, sizeof(*h));
	if (!h)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM, "vm:%s", sock);
	rc = sm_ep_connect(sock, smf_connect_timeout(o), &ep, e);
	if (rc == 0) {
		rc = sm_ep_hello(ep, h, e);
		sm_ep_close(ep);
	}
	if (rc) {
		sm_err_prefix(e, "VM '%s'", sock);
	} else if (h->kind == SM_PLATFORM_SIM) {
		rc = from_sim(h->platform_dir, ch, info, sim_ark, have_sim_ark,
			      e);
	} else if (h->kind == SM_PLATFORM_KVM) {
		rc = from_local(o, ch, info, e);
	} else {
		rc = sm_err_set(e, SM_EXIT_UNSUPPORTED,
				"VM '%s' runs on an unknown platform '%s'",
				sock, h->platform);
	}
	free(h);
	return rc;
}

/* ---- ssh ---- */

struct ssh_target {
	char user[64];
	char host[256];
	char port[8];
	const char *remote; /* the remote SOURCE, or NULL: its default */
};

static int user_ok(const char *s)
{
	if (!s[0] || s[0] == '-')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return 0;
	return 1;
}

static int host_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || s[0] == '-')
		return 0;
	if (s[0] == '[') {
		if (n < 3 || s[n - 1] != ']')
			return 0;
		for (size_t i = 1; i < n - 1; i++)
			if (!isxdigit((unsigned char)s[i]) &&
			    !strchr(":.%", s[i]))
				return 0;
		return 1;
	}
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return 0;
	return 1;
}

/*
 * ssh://[user@]host[:port][/SOURCE].  user and host are restricted to
 * safe characters (and may not start with '-') so they can never be
 * taken for ssh options.
 */
static int parse_ssh(const char *src, struct ssh_target *t, struct sm_err *e)
{
	const char *a = src + strlen("ssh://"), *slash, *at, *colon, *hend;
	char auth[400];
	size_t n;
	unsigned long port;
	char *end;

	memset(t, 0, sizeof(*t));
	slash = strchr(a, '/');
	n = slash ? (size_t)(slash - a) : strlen(a);
	if (!n || n >= sizeof(auth))
		return sm_err_set(e, SM_EXIT_USAGE,
				  "bad source '%s': expected "
				  "ssh://[user@]host[:port][/SOURCE]",
				  src);
	memcpy(auth, a, n);
	auth[n] = '\0';
	if (slash && slash[1])
		t->remote = slash + 1;

	at = strchr(auth, '@');
	hend = auth;
	if (at) {
		if ((size_t)(at - auth) >= sizeof(t->user))
			goto bad_user;
		memcpy(t->user, auth, (size_t)(at - auth));
		if (!user_ok(t->user))
			goto bad_user;
		hend = at + 1;
	}
	if (hend[0] == '[') {
		const char *rb = strchr(hend, ']');

		colon = rb && rb[1] == ':' ? rb + 1 : NULL;
		if (rb && rb[1] && rb[1] != ':')
			goto bad_host;
	} else {
		colon = strchr(hend, ':');
	}
	n = colon ? (size_t)(colon - hend) : strlen(hend);
	if (n >= sizeof(t->host))
		goto bad_host;
	memcpy(t->host, hend, n);
	t->host[n] = '\0';
	if (!host_ok(t->host))
		goto bad_host;
	if (colon) {
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (!isdigit((unsigned char)colon[1]) || *end || errno ||
		    port < 1 || port > 65535)
			return sm_err_set(e, SM_EXIT_USAGE,
					  "bad source '%s': bad port '%s'", src,
					  colon + 1);
		snprintf(t->port, sizeof(t->port), "%lu", port);
	}
	return 0;

bad_user:
	return sm_err_set(e, SM_EXIT_USAGE, "bad source '%s': bad user name",
			  src);
bad_host:
	return sm_err_set(e, SM_EXIT_USAGE, "bad source '%s': bad host name",
			  src);
}

/*
 * Quote one word for the remote shell.  ssh joins its command words with
 * spaces and hands the result to the remote user's shell, so every word
 * is single-quoted (a ' becomes '\'').  Locally no shell is ever used.
 */
static int sh_quote(char *out, size_t len, size_t *pos, const char *w)
{
	size_t p = *pos;

	if (p && p + 1 < len)
		out[p++] = ' ';
	if (p + 1 >= len)
		return -1;
	out[p++] = '\'';
	for (; *w; w++) {
		if (*w == '\'') {
			if (p + 4 >= len)
				return -1;
			memcpy(out + p, "'\\''", 4);
			p += 4;
		} else {
			if (p + 1 >= len)
				return -1;
			out[p++] = *w;
		}
	}
	if (p + 1 >= len)
		return -1;
	out[p++] = '\'';
	out[p] = '\0';
	*pos = p;
	return 0;
}

/* The last non-empty line of s, trimmed, into buf. */
static const char *last_line(const char *s, char *buf, size_t len)
{
	size_t n = s ? strlen(s) : 0;
	const char *p;

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		n--;
	p = s + n;
	while (p > s && p[-1] != '\n')
		p--;
	snprintf(buf, len, "%.*s", (int)(s + n - p), p);
	return buf;
}

#define SSH_ARGV_MAX 64

int smf_ssh_fetch(const char *src, const struct sm_fetch_opts *o,
		  const char *const *extra, char **outp, size_t *outlenp,
		  struct sm_err *e)
{
	const char *argv[SSH_ARGV_MAX + 1], *prog, *rprog;
	char sshcmd[1024], remote[8192], ctopt[64], line[512], what[600];
	char how[64];
	char *out = NULL, *err = NULL, *save, *tok;
	struct sm_child *c = NULL;
	struct ssh_target t;
	double timeout;
	size_t n = 0, pos = 0, outlen;
	int status, rc = -1, code;

	*outp = NULL;
	*outlenp = 0;
	if (parse_ssh(src, &t, e) < 0)
		return -1;

	/* The ssh command: opts, $SEVMIG_SSH or "ssh", split on blanks. */
	prog = o && o->ssh_program && o->ssh_program[0] ? o->ssh_program :
							  getenv("SEVMIG_SSH");
	if (!prog || !prog[0])
		prog = "ssh";
	snprintf(sshcmd, sizeof(sshcmd), "%s", prog);
	for (tok = strtok_r(sshcmd, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		if (n >= SSH_ARGV_MAX - 16)
			return sm_err_set(e, SM_EXIT_USAGE,
					  "ssh command '%s': too many words",
					  prog);
		argv[n++] = tok;
	}
	if (!n)
		return sm_err_set(e, SM_EXIT_USAGE, "empty ssh command");
	/*
	 * No tty, no password or host-key prompt that would wait forever on
	 * a pipe (BatchMode), a bounded connection time.
	 */
	snprintf(ctopt, sizeof(ctopt), "ConnectTimeout=%d",
		 (int)(smf_connect_timeout(o) + 0.999));
	argv[n++] = "-T";
	argv[n++] = "-o";
	argv[n++] = "BatchMode=yes";
	argv[n++] = "-o";
	argv[n++] = ctopt;
	if (t.port[0]) {
		argv[n++] = "-p";
		argv[n++] = t.port;
	}
	if (t.user[0]) {
		argv[n++] = "-l";
		argv[n++] = t.user;
	}
	argv[n++] = "--";
	argv[n++] = t.host;
	rprog = o && o->remote_program && o->remote_program[0] ?
			o->remote_program :
			getenv("SEVMIG_REMOTE_CERTS");
	if (!rprog || !rprog[0])
		rprog = "sevmig-certs";
	if (sh_quote(remote, sizeof(remote), &pos, rprog) < 0 ||
	    sh_quote(remote, sizeof(remote), &pos, "fetch") < 0 ||
	    (o && o->offline &&
	     sh_quote(remote, sizeof(remote), &pos, "--offline") < 0))
		goto too_long;
	for (; extra && *extra; extra++)
		if (sh_quote(remote, sizeof(remote), &pos, *extra) < 0)
			goto too_long;
	if (t.remote && sh_quote(remote, sizeof(remote), &pos, t.remote) < 0)
		goto too_long;
	argv[n++] = remote;
	argv[n] = NULL;
	pr_debug("ssh to '%s': remote command: %s", t.host, remote);

	snprintf(what, sizeof(what), "%s%s%s", t.user, t.user[0] ? "@" : "",
		 t.host);
	/* The remote may itself wait for the KDS: give it that long. */
	timeout = smf_connect_timeout(o) + total_timeout(o) + 10;
	if (sm_child_spawn(argv,
			   SM_CHILD_NULL_STDIN | SM_CHILD_PIPE_STDOUT |
				   SM_CHILD_PIPE_STDERR,
			   &c, e) < 0)
		return -1;
	if (sm_child_read_all(c, timeout, SSH_OUT_MAX, &out, &outlen, &err, e) <
	    0) {
		sm_err_prefix(e, "ssh to '%s'", what);
		goto out;
	}
	if (sm_child_wait(c, 5, &status, e) < 0) {
		sm_err_prefix(e, "ssh to '%s'", what);
		goto out;
	}
	if (err && err[0])
		pr_info("ssh to '%s' said: %s", what,
			last_line(err, line, sizeof(line)));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 255) {
		sm_err_set(e, SM_EXIT_IO, "ssh to '%s' failed: %s", what,
			   err && err[0] ? last_line(err, line, sizeof(line)) :
					   "exit status 255");
		goto out;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		/* The remote shell's "command not found". */
		sm_err_set(
			e, SM_EXIT_IO,
			"remote 'fetch' on '%s': no program '%s' there (%s): install sevmig on that host or name its sevmig-certs with --remote-program PATH",
			what, rprog,
			err && err[0] ? last_line(err, line, sizeof(line)) :
					"exit status 127");
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* Keep the remote's class where it is one of ours. */
		code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
		if (code != SM_EXIT_VERIFY && code != SM_EXIT_VM &&
		    code != SM_EXIT_UNSUPPORTED)
			code = SM_EXIT_IO;
		sm_child_describe(status, how, sizeof(how));
		sm_err_set(e, (enum sm_exit)code,
			   "remote 'fetch' on '%s' %s: %s", what, how,
			   err && err[0] ? last_line(err, line, sizeof(line)) :
					   "no message");
		goto out;
	}
	*outp = out;
	*outlenp = outlen;
	out = NULL;
	rc = 0;
out:
	free(out);
	free(err);
	sm_child_free(c);
	return rc;

too_long:
	return sm_err_set(e, SM_EXIT_USAGE,
			  "bad source '%s': remote command too long", src);
}

void smf_remote_source(char *buf, size_t n, const char *src)
{
	char *rs = strdup(buf);

	if (snprintf(buf, n, "%s (%s)", src,
		     rs && rs[0] ? rs : "remote default") >= (int)n)
		pr_debug("source description truncated");
	free(rs);
}

static int from_ssh(const char *src, const struct sm_fetch_opts *o,
		    struct sm_chain *ch, struct sm_bundle_info *info,
		    struct sm_err *e)
{
	char *out;
	size_t outlen;
	int rc;

	if (smf_ssh_fetch(src, o, NULL, &out, &outlen, e) < 0)
		return -1;
	rc = sm_bundle_decode(out, outlen, ch, info, e);
	free(out);
	if (rc < 0)
		return sm_err_prefix(e, "bundle from '%s'", src);
	smf_remote_source(info->source, sizeof(info->source), src);
	return 0;
}

/* ---- common steps ---- */

/*
 * The KDS answer must be a signed CEK carrying the very key the platform
 * exported: the KDS re-signs on every request (so the bytes differ and
 * only the key can be compared), and a CEK for another chip, from a
 * confused server or a stale cache entry, must not slip in and surface
 * later as an obscure PEK signature failure.
 */
static int kds_check(const uint8_t *buf, size_t len, void *arg,
		     struct sm_err *e)
{
	const struct sm_sev_cert *plat = arg;
	struct sm_sev_cert c;

	if (sm_sev_cert_parse(buf, len, &c, e) < 0)
		return sm_err_prefix(e, "not a CEK");
	if (c.usage != SM_USAGE_CEK)
		return sm_err_set(e, SM_EXIT_VERIFY, "a %s, not a CEK",
				  sm_usage_name(c.usage));
	if (sm_sev_cert_is_unsigned(&c))
		return sm_err_set(e, SM_EXIT_VERIFY, "the CEK is unsigned");
	/* usage, algorithm and public key: bytes 0x008-0x413 */
	if (memcmp(c.raw + 8, plat->raw + 8, SM_SEV_BODY_LEN - 8))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "its public key is not the platform CEK's");
	/*
	 * And AMD signed it: a damaged signature would otherwise be cached
	 * and fail every later fetch, --offline included.
	 */
	for (int p = SM_PRODUCT_NAPLES; p < SM_PRODUCT_COUNT; p++) {
		const struct sm_amd_cert *ask =
			sm_roots_ask((enum sm_product)p);
		struct sm_err idle;

		if (ask && sm_sev_cert_verify_by_amd(ask, &c, &idle) == 0)
			return 0;
	}
	return sm_err_set(e, SM_EXIT_VERIFY, "no built-in AMD ASK signs it");
}

void sm_fetch_kds_opts(const struct sm_fetch_opts *o, struct sm_kds_opts *k)
{
	memset(k, 0, sizeof(*k));
	if (o) {
		k->url = o->kds_url;
		k->cache_dir = o->cache_dir;
		k->offline = o->offline;
		k->retries = o->retries;
	} else {
		k->retries = -1;
	}
	k->connect_timeout = smf_connect_timeout(o);
	k->total_timeout = total_timeout(o);
	k->retry_delay = env_seconds("SEVMIG_KDS_RETRY_DELAY", 0);
}

static int sign_cek(const struct sm_fetch_opts *o, struct sm_chain *ch,
		    const struct sm_bundle_info *info, struct sm_err *e)
{
	struct sm_kds_opts k = { 0 };
	uint8_t *cek;
	size_t len;
	int rc;

	if (!info->chip_id_len)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"CEK from '%s' is unsigned and the chip id is unknown: "
			"cannot get the signed CEK from the KDS",
			info->source);
	sm_fetch_kds_opts(o, &k);
	k.check = kds_check;
	k.check_arg = &ch->cek;
	if (sm_kds_fetch_cek(&k, info->chip_id, info->chip_id_len, &cek, &len,
			     e) < 0)
		return -1;
	rc = sm_sev_cert_parse(cek, len, &ch->cek, e);
	free(cek);
	if (rc == 0)
		pr_info("CEK signed by the KDS for chip id of %zu bytes",
			info->chip_id_len);
	return rc;
}

/* The product whose built-in ASK signs the CEK, or UNKNOWN. */
static enum sm_product detect_product(const struct sm_chain *ch)
{
	const struct sm_amd_cert *ask;
	struct sm_err idle;

	if (!(ch->have & SM_HAVE_CEK) || sm_sev_cert_is_unsigned(&ch->cek))
		return SM_PRODUCT_UNKNOWN;
	for (int p = SM_PRODUCT_NAPLES; p < SM_PRODUCT_COUNT; p++) {
		ask = sm_roots_ask((enum sm_product)p);
		if (ask && sm_sev_cert_verify_by_amd(ask, &ch->cek, &idle) == 0)
			return (enum sm_product)p;
	}
	return SM_PRODUCT_UNKNOWN;
}

static void fill_roots(const struct sm_fetch_opts *o, struct sm_chain *ch,
		       struct sm_bundle_info *info)
{
	enum sm_product p = o ? o->product : SM_PRODUCT_UNKNOWN;
	const struct sm_amd_cert *ask, *ark;

	if (p == SM_PRODUCT_UNKNOWN)
		p = info->product;
	if (p == SM_PRODUCT_UNKNOWN)
		p = detect_product(ch);
	if (p == SM_PRODUCT_UNKNOWN) {
		pr_debug("no built-in ASK signs the CEK: ASK/ARK left out");
		return;
	}
	info->product = p;
	ask = sm_roots_ask(p);
	ark = sm_roots_ark(p);
	if (!(ch->have & SM_HAVE_ASK) && ask) {
		ch->ask = *ask;
		ch->have |= SM_HAVE_ASK;
	}
	if (!(ch->have & SM_HAVE_ARK) && ark) {
		ch->ark = *ark;
		ch->have |= SM_HAVE_ARK;
	}
}

int sm_fetch(const char *source, const struct sm_fetch_opts *o,
	     struct sm_chain *ch, struct sm_bundle_info *info,
	     struct sm_amd_cert *sim_ark, int *have_sim_ark, struct sm_err *e)
{
	const char *src = source && source[0] ? source : "local";
	int rc;

	memset(ch, 0, sizeof(*ch));
	memset(info, 0, sizeof(*info));
	if (have_sim_ark)
		*have_sim_ark = 0;

	if (sm_fetch_is_snp_target(src))
		return sm_err_set(
			e, SM_EXIT_USAGE,
			"source '%s' gives an SNP target bundle (sevmig-certs fetch prints one), not an SEV certificate chain",
			src);
	if (!strcmp(src, "local"))
		rc = from_local(o, ch, info, e);
	else if (!strncmp(src, "qmp:", 4))
		rc = from_qmp(src + 4, o, ch, info, e);
	else if (!strncmp(src, "file:", 5))
		rc = from_file(src + 5, ch, info, e);
	else if (!strncmp(src, "sim:", 4))
		rc = from_sim(src + 4, ch, info, sim_ark, have_sim_ark, e);
	else if (!strncmp(src, "vm:", 3))
		rc = from_vm(src + 3, o, ch, info, sim_ark, have_sim_ark, e);
	else if (!strncmp(src, "ssh://", 6))
		rc = from_ssh(src, o, ch, info, e);
	else
		return sm_err_set(
			e, SM_EXIT_USAGE,
			"unknown certificate source '%s': expected local, "
			"qmp:PATH, file:PATH, ssh://[user@]host[:port][/SOURCE], "
			"sim:DIR or vm:SOCK",
			src);
	if (rc < 0)
		return -1;

	if ((ch->have & SM_HAVE_CEK) && sm_sev_cert_is_unsigned(&ch->cek) &&
	    sign_cek(o, ch, info, e) < 0)
		return -1;
	if (o && o->product != SM_PRODUCT_UNKNOWN &&
	    info->product == SM_PRODUCT_UNKNOWN)
		info->product = o->product;
	fill_roots(o, ch, info);
	return 0;
}
