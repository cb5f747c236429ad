// SPDX-License-Identifier: MIT
/*
 * sevmig-export --to (to.h): the target's chain fetched over ssh, a
 * simulated target's ARK worked out, and the two-way importer command.
 */
#include "cli/to.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "certs/bundle.h"
#include "fetch/fetch.h"

/*
 * Only what no remote shell reads as anything but itself: the words go to
 * the target's shell as one line (ssh joins them), unquoted.
 */
static int plain_word(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._/-+,:@=%", *s)))
			return 0;
	return 1;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && v[0] ? v : def;
}

/* Split "[user@]host[:port]" (the URL's authority). */
static int authority(const char *a, size_t len, char *user, char *host,
		     char *port, struct sm_err *e)
{
	char buf[256];
	char *at, *colon, *h;

	if (len == 0 || len >= sizeof(buf))
		return sm_err_set(e, SM_EXIT_USAGE, "--to: no host");
	memcpy(buf, a, len);
	buf[len] = '\0';
	at = strrchr(buf, '@');
	h = buf;
	user[0] = '\0';
	if (at) {
		*at = '\0';
		memcpy(user, buf, strlen(buf) + 1); /* < 256 */
		h = at + 1;
	}
	colon = strrchr(h, ':');
	port[0] = '\0';
	if (colon) {
		*colon = '\0';
		snprintf(port, 16, "%s", colon + 1);
		if (!port[0] || strspn(port, "0123456789") != strlen(port))
			return sm_err_set(e, SM_EXIT_USAGE,
					  "--to: bad port '%s'", colon + 1);
	}
	memcpy(host, h, strlen(h) + 1); /* < 256 */
	if (!host[0] || !plain_word(host) || (user[0] && !plain_word(user)))
		return sm_err_set(e, SM_EXIT_USAGE,
				  "--to: bad host or user in '%s'", buf);
	return 0;
}

int sm_cli_to_prepare(const char *url, struct sm_cli_to *t, struct sm_err *e)
{
	char user[256], host[256], port[16];
	const char *rest, *path, *ssh, *imp;
	struct sm_fetch_opts fo = { .retries = -1 };
	struct sm_bundle_info info;
	struct sm_chain ch;
	char *json = NULL;
	size_t n;
	int fd, rc = -1;
	FILE *f;

	memset(t, 0, sizeof(*t));
	if (strncmp(url, "ssh://", 6) != 0)
		return sm_err_set(
			e, SM_EXIT_USAGE,
			"--to takes ssh://[USER@]HOST[:PORT]/PATH/vm.sock, not '%s'",
			url);
	rest = url + 6;
	path = strchr(rest, '/');
	if (!path || !path[1])
		return sm_err_set(
			e, SM_EXIT_USAGE,
			"--to '%s': no VM socket path after the host (ssh://HOST/PATH/vm.sock)",
			url);
	if (authority(rest, (size_t)(path - rest), user, host, port, e))
		return -1;
	if (!plain_word(path))
		return sm_err_set(
			e, SM_EXIT_USAGE,
			"--to: the path '%s' holds characters a remote shell would read (use letters, digits and ._/-+,:@=%%)",
			path);
	imp = env_or("SEVMIG_REMOTE_IMPORT", "sevmig-import");
	ssh = env_or("SEVMIG_SSH", "ssh");
	if (!plain_word(imp))
		return sm_err_set(e, SM_EXIT_USAGE,
				  "SEVMIG_REMOTE_IMPORT '%s': not a plain word",
				  imp);
	/* The target host fetches its own chain, for the VM it serves. */
	snprintf(t->source, sizeof(t->source), "ssh://%.*s/vm:%s",
		 (int)(path - rest), rest, path);
	if (sm_fetch(t->source, &fo, &ch, &info, NULL, NULL, e))
		return sm_err_prefix(e, "--to: the target's certificates");
	/* over ssh, fetch says "ssh://... (sim:DIR)": the remote's source */
	rest = strrchr(info.source, '(');
	t->sim = strncmp(info.source, "sim:", 4) == 0 ||
		 (rest && strncmp(rest + 1, "sim:", 4) == 0);
	if (sm_bundle_encode(&ch, &info, &json, e))
		return -1;
	n = (size_t)snprintf(t->bundle, sizeof(t->bundle),
			     "%s/sevmig-to-XXXXXX", env_or("TMPDIR", "/tmp"));
	if (n >= sizeof(t->bundle)) {
		sm_err_set(e, SM_EXIT_USAGE, "TMPDIR too long");
		goto out;
	}
	fd = mkstemp(t->bundle); /* mode 0600 */
	if (fd < 0) {
		sm_err_errno(e, SM_EXIT_IO, errno, "cannot create '%s'",
			     t->bundle);
		t->bundle[0] = '\0';
		goto out;
	}
	f = fdopen(fd, "w");
	if (!f || fputs(json, f) < 0 || fclose(f) != 0) {
		sm_err_errno(e, SM_EXIT_IO, errno, "cannot write '%s'",
			     t->bundle);
		if (!f)
			close(fd);
		goto out;
	}
	n = (size_t)snprintf(t->exec, sizeof(t->exec),
			     "%s -T -o BatchMode=yes%s%s%s%s -- %s %s --ack %s",
			     ssh, port[0] ? " -p " : "", port,
			     user[0] ? " -l " : "", user, host, imp, path);
	if (n >= sizeof(t->exec)) {
		sm_err_set(e, SM_EXIT_USAGE, "--to: the command is too long");
		goto out;
	}
	rc = 0;
out:
	free(json);
	return rc;
}

void sm_cli_to_cleanup(struct sm_cli_to *t)
{
	if (t->bundle[0])
		unlink(t->bundle);
	t->bundle[0] = '\0';
}
