// SPDX-License-Identifier: MIT
/* sevmig-certs split: a bundle's certificates as separate files. */
#include "certs.h"

#include <getopt.h>
#include <limits.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>

#include "base/util.h"

static void split_usage(void)
{
	fputs("Usage:\n " CERTS_SPLIT_SYNOPSIS "\n"
	      "\nWrite pdh.cert pek.cert oca.cert cek.cert ask.cert ark.cert.\n"
	      "\nOptions:\n"
	      "     --dir DIR         write into DIR (default: the current directory)\n" CERTS_COMMON_HELP,
	      stdout);
}

static int put(const char *dir, const char *name, const uint8_t *buf,
	       size_t len, struct sm_err *e)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s.cert", dir, name) >=
	    (int)sizeof(path))
		return sm_err_set(e, SM_EXIT_IO, "path '%s' is too long", dir);
	if (sm_write_file_atomic(path, buf, len, 0644, e) < 0)
		return -1;
	pr_info("wrote '%s'", path);
	return 0;
}

int certs_split(int argc, char **argv)
{
	enum { OPT_DIR = CHAR_MAX + 1 };
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		SM_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	static struct sm_chain ch;
	const char *dir = ".";
	struct sm_cli_common co = { 0 };
	int c, rc = 0;
	struct sm_err e;

	while ((c = getopt_long(argc, argv, "vqhV", longopts, NULL)) != -1) {
		switch (sm_cli_common_opt(&co, c, split_usage, &rc)) {
		case 1:
			continue;
		case -1:
			return rc;
		}
		switch (c) {
		case OPT_DIR:
			dir = optarg;
			break;
		default:
			return sm_cli_sub_try_help("split");
		}
	}
	sm_cli_sub_verbosity(co.verbose, co.quiet);
	if (argc - optind != 1)
		return sm_cli_sub_usage("split", argc == optind ?
							 "no bundle given" :
							 "too many arguments");
	memset(&ch, 0, sizeof(ch));
	/* Everything is parsed before the first file is written. */
	if (sm_certs_load(argv[optind], &ch, NULL, &e) < 0)
		return sm_cli_report(&e);
	/* --dir that is not there yet: made (its parent must exist). */
	if (mkdir(dir, 0755) == 0) {
		pr_info("created directory '%s'", dir);
	} else if (errno != EEXIST) {
		sm_err_errno(&e, SM_EXIT_IO, errno,
			     "cannot create --dir '%s' (its parent must exist)",
			     dir);
		return sm_cli_report(&e);
	}
	if (((ch.have & SM_HAVE_PDH) &&
	     put(dir, "pdh", ch.pdh.raw, SM_SEV_CERT_LEN, &e) < 0) ||
	    ((ch.have & SM_HAVE_PEK) &&
	     put(dir, "pek", ch.pek.raw, SM_SEV_CERT_LEN, &e) < 0) ||
	    ((ch.have & SM_HAVE_OCA) &&
	     put(dir, "oca", ch.oca.raw, SM_SEV_CERT_LEN, &e) < 0) ||
	    ((ch.have & SM_HAVE_CEK) &&
	     put(dir, "cek", ch.cek.raw, SM_SEV_CERT_LEN, &e) < 0) ||
	    ((ch.have & SM_HAVE_ASK) &&
	     put(dir, "ask", ch.ask.raw, ch.ask.len, &e) < 0) ||
	    ((ch.have & SM_HAVE_ARK) &&
	     put(dir, "ark", ch.ark.raw, ch.ark.len, &e) < 0))
		rc = sm_cli_report(&e);
	else if (ch.have != SM_HAVE_ALL)
		pr_warn("'%s' does not hold all six certificates",
			argv[optind]);
	return sm_cli_close_stdout(rc);
}
