// SPDX-License-Identifier: MIT
#include "cli/cli.h"
#include "cli/progress.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/archive.h"
#include "archive/manifest.h"
#include "base/json.h"
#include "fetch/kds.h"
#include "base/ossl.h"
#include "base/util.h"

static unsigned stdio_closed;

static void reserve_stdio(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++) {
		int n;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/*
		 * The lowest free number: fd itself.  Not close-on-exec: a
		 * child (--exec, ssh) must find the number taken too.
		 */
		n = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
		if (n == fd)
			stdio_closed |= 1u << fd;
		else if (n >= 0)
			close(n);
	}
}

int sm_cli_stdio_closed(int fd)
{
	return fd >= 0 && fd < 3 && (stdio_closed >> fd) & 1;
}

void sm_cli_init(const char *progname)
{
	reserve_stdio();
	sm_progname = progname;
	sm_log_level = SM_LOG_WARN;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	setvbuf(stderr, NULL, _IOLBF, 0);
}

void sm_cli_print_version(void)
{
	printf("%s (sevmig) %s\n", sm_progname, SEVMIG_VERSION);
	printf("%s\n", sm_ossl_version());
	printf("%s\n", sm_kds_curl_version());
	printf("%s\n", sm_archive_lib_version());
	printf("%s\n", sm_json_lib_version());
}

int sm_cli_try_help(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", sm_progname);
	return SM_EXIT_USAGE;
}

int sm_cli_help_version(int c, void (*usage)(void))
{
	if (c == 'h')
		usage();
	else
		sm_cli_print_version();
	return sm_cli_close_stdout(SM_EXIT_OK);
}

int sm_cli_usage_error(const char *why)
{
	fprintf(stderr, "%s: %s\n", sm_progname, why);
	return sm_cli_try_help();
}

int sm_cli_sub_try_help(const char *sub)
{
	if (!sub)
		return sm_cli_try_help();
	fprintf(stderr, "Try '%s %s --help' for more information.\n",
		sm_progname, sub);
	return SM_EXIT_USAGE;
}

int sm_cli_dispatch(const struct sm_cli_cmd *cmds, size_t n, int argc,
		    char **argv)
{
	static char name[128];
	int first = optind;
	size_t i;

	if (first >= argc) {
		fprintf(stderr, "%s: no command given\n", sm_progname);
		return sm_cli_try_help();
	}
	for (i = 0; i < n; i++) {
		if (strcmp(argv[first], cmds[i].name) != 0)
			continue;
		snprintf(name, sizeof(name), "%s %s", sm_progname,
			 cmds[i].name);
		argv[first] = name;
		optind = 0; /* full getopt re-initialisation (glibc) */
		return cmds[i].fn(argc - first, argv + first);
	}
	fprintf(stderr, "%s: unknown command '%s' (commands:", sm_progname,
		argv[first]);
	for (i = 0; i < n; i++)
		fprintf(stderr, " %s", cmds[i].name);
	fputs(")\n", stderr);
	return sm_cli_try_help();
}

void sm_cli_print_commands(const struct sm_cli_cmd *cmds, size_t n)
{
	size_t i;
	int w = 0;

	for (i = 0; i < n; i++)
		if ((int)strlen(cmds[i].name) > w)
			w = (int)strlen(cmds[i].name);
	fputs("\nCommands:\n", stdout);
	for (i = 0; i < n; i++)
		printf(" %-*s %s\n", w + 2, cmds[i].name, cmds[i].summary);
}

int sm_cli_report(const struct sm_err *e)
{
	int code = e->code == SM_EXIT_OK ? SM_EXIT_FAILURE : (int)e->code;

	fprintf(stderr, "%s: %s\n", sm_progname,
		e->msg[0] ? e->msg : "unknown error");
	return code;
}

int sm_cli_close_stdout(int rc)
{
	int err = 0;

	if (fflush(stdout) != 0 || ferror(stdout))
		err = errno ? errno : EIO;
	if (fclose(stdout) != 0 && !err)
		err = errno;
	if (err) {
		if (err == EPIPE)
			fprintf(stderr, "%s: output closed early\n",
				sm_progname);
		else
			fprintf(stderr, "%s: write error: %s\n", sm_progname,
				strerror(err));
		return rc ? rc : SM_EXIT_IO;
	}
	return rc;
}

void sm_cli_set_verbosity(int verbose, int quiet)
{
	if (quiet)
		sm_log_level = SM_LOG_ERR;
	else
		sm_log_level = SM_LOG_WARN + verbose;
	if (sm_log_level > SM_LOG_TRACE)
		sm_log_level = SM_LOG_TRACE;
}

int sm_cli_write_report(const char *path, const struct sm_report *r)
{
	struct sm_err e = { 0 };
	char *json = NULL;
	size_t len;

	if (sm_report_encode(r, &json, &len, &e) ||
	    sm_write_file_atomic(path, json, len, 0644, &e)) {
		free(json);
		return sm_cli_report(&e);
	}
	free(json);
	return 0;
}

int sm_cli_common_opt(struct sm_cli_common *co, int c, void (*usage)(void),
		      int *rc)
{
	switch (c) {
	case 'J':
		co->json = 1;
		return 1;
	case 'v':
		co->verbose++;
		return 1;
	case 'q':
		co->quiet = 1;
		return 1;
	case 'h':
	case 'V':
		*rc = sm_cli_help_version(c, usage);
		return -1;
	}
	return 0;
}

int sm_cli_engine_opt(struct sm_cli_engine_opts *co, int c, const char *arg,
		      void (*usage)(void), int *rc)
{
	uint64_t n;

	switch (c) {
	case SM_OPT_REPORT:
		co->report = arg;
		return 1;
	case SM_OPT_PROGRESS: {
		char why[256];

		if (sm_cli_progress_parse(arg, &co->progress, &co->progress_fd,
					  why, sizeof(why))) {
			fprintf(stderr, "%s: %s\n", sm_progname, why);
			*rc = sm_cli_try_help();
			return -1;
		}
		return 1;
	}
	case SM_OPT_NO_PROGRESS:
		co->progress = 0;
		return 1;
	case SM_OPT_TIMEOUT:
		if (sm_parse_uint(arg, 86400, &n) || n == 0) {
			fprintf(stderr, "%s: invalid timeout '%s'\n",
				sm_progname, arg);
			*rc = sm_cli_try_help();
			return -1;
		}
		co->timeout = (double)n;
		return 1;
	}
	return sm_cli_common_opt(&co->com, c, usage, rc);
}

const char *sm_cli_one_vm(int argc, char **argv)
{
	struct stat st;

	if (optind == argc - 1)
		return argv[optind];
	/*
	 * "sevmig-export A.sock B.sock": both VMs to one tool.  Each tool
	 * takes its own side's socket; say the right form.
	 */
	if (argc - optind == 2 && stat(argv[optind + 1], &st) == 0 &&
	    S_ISSOCK(st.st_mode)) {
		if (!strcmp(sm_progname, "sevmig-export"))
			fprintf(stderr,
				"%s: one VM only, the source: the target's goes to the importer: sevmig-export [options] %s | sevmig-import %s (or --exec 'sevmig-import --ack %s')\n",
				sm_progname, argv[optind], argv[optind + 1],
				argv[optind + 1]);
		else
			fprintf(stderr,
				"%s: one VM only, the target: the source's goes to the exporter: sevmig-export [options] %s | sevmig-import %s\n",
				sm_progname, argv[optind], argv[optind + 1]);
		sm_cli_try_help();
		return NULL;
	}
	sm_cli_usage_error(optind == argc ? "no VM given" :
					    "too many arguments");
	return NULL;
}

void sm_cli_on_warning(void *arg, const char *msg)
{
	(void)arg;
	pr_warn("%s", msg);
}

int sm_cli_finish_report(const char *path, const struct sm_report *r, int rc)
{
	int rrc;

	if (!path)
		return rc;
	rrc = sm_cli_write_report(path, r);
	return rc ? rc : rrc;
}

void sm_cli_closing_line(const struct sm_report *r, const char *where)
{
	const struct sm_counts *c = &r->counts;
	double rate = r->seconds > 0 ? (double)r->bytes / r->seconds : 0;

	if (sm_log_level < SM_LOG_WARN)
		return;
	fprintf(stderr,
		"%s: moved %" PRIu64 " pages (%" PRIu64 " private, %" PRIu64
		" shared, %" PRIu64 " zero) and %" PRIu64 " VMSA%s, %" PRIu64
		" bytes (%.1f MiB) in %.2f s (%.1f MiB/s); %s\n",
		sm_progname, c->private_pages + c->shared_pages + c->zero_pages,
		c->private_pages, c->shared_pages, c->zero_pages, c->vmsas,
		c->vmsas == 1 ? "" : "s", r->bytes,
		(double)r->bytes / 1048576.0, r->seconds, rate / 1048576.0,
		where);
}

int sm_cli_sub_usage(const char *sub, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", sm_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return sm_cli_sub_try_help(sub);
}

void sm_cli_sub_verbosity(int verbose, int quiet)
{
	if (quiet)
		sm_log_level = SM_LOG_ERR;
	sm_log_level += verbose;
	if (sm_log_level > SM_LOG_TRACE)
		sm_log_level = SM_LOG_TRACE;
}

int sm_cli_subcommand_main(const char *progname, const struct sm_cli_cmd *cmds,
			   size_t n, void (*usage)(void), int argc, char **argv)
{
	static const struct option longopts[] = {
		SM_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct sm_cli_common co = { 0 };
	int c, rc;

	sm_cli_init(progname);
	argv[0] = (char *)progname;
	while ((c = getopt_long(argc, argv, "+vqhV", longopts, NULL)) != -1) {
		switch (sm_cli_common_opt(&co, c, usage, &rc)) {
		case 1:
			continue;
		case -1:
			return rc;
		default:
			return sm_cli_try_help();
		}
	}
	sm_cli_set_verbosity(co.verbose, co.quiet);
	return sm_cli_dispatch(cmds, n, argc, argv);
}
