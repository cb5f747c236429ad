// SPDX-License-Identifier: MIT
/* sevmig-sim ctl: drive a VMM through its VM endpoint. */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "endpoint/endpoint.h"
#include "sim.h"
#include "base/util.h"

const char cmd_ctl_synopsis[] =
	" sevmig-sim ctl [options] SOCKET status|digest|check|pause|resume|discard|quit\n"
	" sevmig-sim ctl [options] SOCKET launch-measure|finish|secrets\n"
	" sevmig-sim ctl [options] SOCKET inject-secret HEADER PAYLOAD\n"
	" sevmig-sim ctl [options] [--report-data HEX] SOCKET report\n";

static void ctl_usage(void)
{
	printf("Usage:\n%s", cmd_ctl_synopsis);
	printf("\nQuery or drive a VMM through its VM endpoint.\n");
	printf("\nCommands:\n");
	printf(" status           the VMM's and the guest's state\n");
	printf(" digest           SHA-256 of the guest's memory as the guest sees it\n");
	printf(" check            the guest checks every page's content\n");
	printf(" pause, resume    stop or run the guest\n");
	printf(" discard          drop a received guest that never ran\n");
	printf(" quit             stop the VMM\n");
	printf(" launch-measure   LAUNCH_MEASURE: the blob the owner checks\n");
	printf(" inject-secret    LAUNCH_SECRET with sevmig-owner's HEADER and\n");
	printf("                  PAYLOAD files, then LAUNCH_FINISH\n");
	printf(" finish           LAUNCH_FINISH without a secret\n");
	printf(" secrets          the secret table the guest received\n");
	printf(" report           an SNP guest's attestation report, signed by the\n");
	printf("                  host's VCEK (hexadecimal; -J: JSON)\n");
	printf("\nOptions:\n");
	printf(" -J, --json           print the result as JSON\n");
	printf("     --force          resume a guest on hold (uncommitted or in doubt)\n");
	printf("     --timeout SEC    give up waiting after SEC seconds (default 30)\n");
	printf("     --report-data HEX  report: its REPORT_DATA (up to 64 bytes,\n");
	printf("                      zero-padded; default zeros)\n");
	printf(" -v, --verbose        more messages (repeat for more)\n");
	printf(" -q, --quiet          report errors only\n");
	printf(" -h, --help           display this help and exit\n");
	printf(" -V, --version        display version and exit\n");
}

static const char *yn(int b, int json)
{
	return json ? (b ? "true" : "false") : (b ? "yes" : "no");
}

/* A JSON string (or null) on stdout. */
static void json_str(const char *v)
{
	if (!v) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			printf("\\%c", *v);
		else if ((unsigned char)*v < 0x20)
			printf("\\u%04x", (unsigned char)*v);
		else
			putchar(*v);
	}
	putchar('"');
}

static int do_status(struct sm_ep *ep, int json, struct sm_err *e)
{
	struct sm_ep_status st;

	if (sm_ep_status(ep, &st, e))
		return -1;
	if (json) {
		printf("{\"schema\":\"sevmig-sim-status/1\",\"vmm_state\":\"%s\","
		       "\"role\":\"%s\",\"guest_state\":\"%s\",\"policy\":%" PRIu32
		       ",\"handle\":%" PRIu32 ",\"mem_size\":%" PRIu64
		       ",\"vcpus\":%u,\"es\":%s,\"migration_ready\":%s,"
		       "\"context_held\":%s,\"claimed\":%s,\"hold\":",
		       st.vmm_state, st.role, st.guest_state, st.policy,
		       st.handle, st.mem_size, st.vcpus, yn(st.es, 1),
		       yn(st.migration_ready, 1), yn(st.context_held, 1),
		       yn(st.claimed, 1));
		json_str(st.hold[0] ? st.hold : NULL);
		fputs(",\"hold_reason\":", stdout);
		json_str(st.hold[0] ? st.hold_reason : NULL);
		fputs("}\n", stdout);
		return 0;
	}
	printf("vmm state:        %s\n", st.vmm_state);
	printf("role:             %s\n", st.role);
	printf("guest state:      %s\n", st.guest_state);
	printf("policy:           0x%08" PRIx32 "\n", st.policy);
	printf("handle:           %" PRIu32 "\n", st.handle);
	printf("memory:           %" PRIu64 " bytes\n", st.mem_size);
	printf("vcpus:            %u\n", st.vcpus);
	printf("es:               %s\n", yn(st.es, 0));
	printf("migration ready:  %s\n", yn(st.migration_ready, 0));
	printf("context held:     %s\n", yn(st.context_held, 0));
	printf("claimed:          %s\n", yn(st.claimed, 0));
	if (st.hold[0])
		printf("hold:             %s: %s\n", st.hold, st.hold_reason);
	else
		printf("hold:             none\n");
	return 0;
}

static int do_digest(struct sm_ep *ep, int json, struct sm_err *e)
{
	uint8_t d[32];
	char hex[65];
	uint64_t pages;

	if (sm_ep_digest(ep, d, &pages, e))
		return -1;
	sm_hex_encode(d, sizeof(d), hex);
	if (json)
		printf("{\"schema\":\"sevmig-sim-digest/1\",\"sha256\":\"%s\","
		       "\"pages\":%" PRIu64 "}\n",
		       hex, pages);
	else
		printf("%s\n", hex);
	return 0;
}

/* sevctl's measurement blob and what the owner checks it with. */
static int do_launch_measure(struct sm_ep *ep, int json, struct sm_err *e)
{
	struct sm_ep_launch_measure m;
	char b64[2 * SM_EP_MEASURE_LEN];

	if (sm_ep_launch_measure(ep, &m, e))
		return -1;
	sm_base64_encode(m.blob, sizeof(m.blob), b64);
	if (json)
		printf("{\"schema\":\"sevmig-sim-launch-measure/1\","
		       "\"measurement\":\"%s\",\"api_major\":%u,"
		       "\"api_minor\":%u,\"build\":%u,\"policy\":%" PRIu32
		       "}\n",
		       b64, m.api_major, m.api_minor, m.build, m.policy);
	else
		printf("measurement:      %s\napi:              %u.%u\n"
		       "build:            %u\npolicy:           0x%08" PRIx32
		       "\n",
		       b64, m.api_major, m.api_minor, m.build, m.policy);
	return 0;
}

static int do_inject_secret(struct sm_ep *ep, const char *hpath,
			    const char *ppath, struct sm_err *e)
{
	uint8_t *hdr = NULL, *payload = NULL;
	size_t hlen, plen;
	int rc = -1;

	if (sm_read_file(hpath, 1024, &hdr, &hlen, e) ||
	    sm_read_file(ppath, SM_EP_SECRET_MAX, &payload, &plen, e))
		goto out;
	rc = sm_ep_launch_secret(ep, hdr, hlen, payload, plen, e);
out:
	free(hdr);
	if (payload)
		sm_wipe(payload, plen);
	free(payload);
	return rc;
}

static int do_report(struct sm_ep *ep, const uint8_t rd[64], int json,
		     struct sm_err *e)
{
	uint8_t r[SM_EP_SNP_REPORT_LEN];
	char hex[2 * SM_EP_SNP_REPORT_LEN + 1];

	if (sm_ep_snp_report(ep, rd, r, e))
		return -1;
	sm_hex_encode(r, sizeof(r), hex);
	if (json)
		printf("{\"schema\":\"sevmig-sim-report/1\",\"report\":\"%s\"}\n",
		       hex);
	else
		printf("%s\n", hex);
	return 0;
}

static int do_secrets(struct sm_ep *ep, int json, struct sm_err *e)
{
	struct sm_ep_secrets *s = calloc(1, sizeof(*s));
	char hex[65];
	size_t i;

	if (!s)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	if (sm_ep_secrets(ep, s, e)) {
		free(s);
		return -1;
	}
	if (json)
		printf("{\"schema\":\"sevmig-sim-secrets/1\",\"secrets\":[");
	for (i = 0; i < s->n; i++) {
		sm_hex_encode(s->s[i].sha256, 32, hex);
		if (json)
			printf("%s{\"guid\":\"%s\",\"sha256\":\"%s\","
			       "\"size\":%" PRIu32 "}",
			       i ? "," : "", s->s[i].guid, hex, s->s[i].size);
		else
			printf("%s %s %" PRIu32 "\n", s->s[i].guid, hex,
			       s->s[i].size);
	}
	if (json)
		printf("]}\n");
	free(s);
	return 0;
}

static int do_check(struct sm_ep *ep, int json, struct sm_err *e)
{
	struct sm_ep_check c;
	char first[SM_EP_CHECK_FIRST * 20 + 1] = "", svsm[64] = "";
	size_t i, n = 0;
	int ok;

	if (sm_ep_check(ep, &c, e))
		return -1;
	ok = !c.bad && !c.bad_vmsas && !c.bad_svsm_states;
	if (json) {
		printf("{\"schema\":\"sevmig-sim-check/1\",\"ok\":%s,"
		       "\"pages\":%" PRIu64 ",\"bad\":%" PRIu64
		       ",\"first_bad\":[",
		       yn(ok, 1), c.pages, c.bad);
		for (i = 0; i < c.nfirst; i++)
			printf("%s\"0x%" PRIx64 "\"", i ? "," : "",
			       c.first_bad[i]);
		printf("],\"vmsas\":%u,\"bad_vmsas\":%u", c.vmsas, c.bad_vmsas);
		if (c.svsm_states)
			printf(",\"svsm_states\":%u,\"bad_svsm_states\":%u",
			       c.svsm_states, c.bad_svsm_states);
		printf("}\n");
	} else if (ok) {
		printf("ok: %" PRIu64 " pages, %u VMSAs", c.pages, c.vmsas);
		if (c.svsm_states)
			printf(", %u SVSM state records", c.svsm_states);
		printf("\n");
	}
	if (ok)
		return 0;
	for (i = 0; i < c.nfirst; i++)
		n += (size_t)snprintf(first + n, sizeof(first) - n,
				      " 0x%" PRIx64, c.first_bad[i]);
	if (c.svsm_states)
		snprintf(svsm, sizeof(svsm),
			 " (and %u of %u SVSM state records)",
			 c.bad_svsm_states, c.svsm_states);
	return sm_err_set(e, SM_EXIT_VERIFY,
			  "guest check failed: %" PRIu64 " of %" PRIu64
			  " pages and %u of %u VMSAs%s hold wrong content%s%s",
			  c.bad, c.pages, c.bad_vmsas, c.vmsas, svsm,
			  c.nfirst ? "; first bad pages:" : "", first);
}

static int is_verb(const char *const *verbs, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(w, verbs[i]))
			return 1;
	return 0;
}

int cmd_ctl(int argc, char **argv)
{
	enum { OPT_TIMEOUT = CHAR_MAX + 1, OPT_FORCE, OPT_REPORT_DATA };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "report-data", required_argument, NULL, OPT_REPORT_DATA },
		SM_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	static const char *const verbs[] = {
		"status", "digest",	   "check",   "pause",
		"resume", "quit",	   "discard", "launch-measure",
		"finish", "inject-secret", "secrets", "report"
	};
	struct sm_err e;
	struct sm_ep *ep;
	const char *verb;
	double timeout = 30;
	struct sm_cli_common co = { 0 };
	int c, force = 0, have_rd = 0, rc;
	uint8_t rd[64] = { 0 };
	size_t i;
	ssize_t n;
	char *end;

	optind = 0;
	while ((c = getopt_long(argc, argv, "JvqhV", longopts, NULL)) != -1) {
		switch (sm_cli_common_opt(&co, c, ctl_usage, &rc)) {
		case 1:
			continue;
		case -1:
			return rc;
		}
		switch (c) {
		case OPT_FORCE:
			force = 1;
			break;
		case OPT_TIMEOUT:
			timeout = strtod(optarg, &end);
			if (*end || end == optarg || !(timeout > 0) ||
			    timeout > 86400) {
				fprintf(stderr,
					"%s: invalid --timeout value '%s'\n",
					sm_progname, optarg);
				return sm_cli_sub_try_help("ctl");
			}
			break;
		case OPT_REPORT_DATA:
			n = strlen(optarg) <= 128 && strlen(optarg) % 2 == 0 ?
				    sm_hex_decode(optarg, rd, sizeof(rd)) :
				    -1;
			if (n < 0 || (size_t)n * 2 != strlen(optarg)) {
				fprintf(stderr,
					"%s: invalid --report-data value '%s': up to 64 bytes in hexadecimal\n",
					sm_progname, optarg);
				return sm_cli_sub_try_help("ctl");
			}
			have_rd = 1;
			break;
		default:
			return sm_cli_sub_try_help("ctl");
		}
	}
	if (argc - optind >= 2 &&
	    is_verb(verbs, SM_ARRAY_SIZE(verbs), argv[optind]) &&
	    !is_verb(verbs, SM_ARRAY_SIZE(verbs), argv[optind + 1])) {
		/* "ctl status SOCK": the right form, with the same words. */
		fprintf(stderr,
			"%s: the socket comes first: sevmig-sim ctl %s %s%s\n",
			sm_progname, argv[optind + 1], argv[optind],
			argc - optind > 2 ? " ..." : "");
		return sm_cli_sub_try_help("ctl");
	}
	if (argc - optind < 2 ||
	    (argc - optind != 2 &&
	     strcmp(argv[optind + 1], "inject-secret") != 0)) {
		fprintf(stderr, "%s: ctl needs a socket and one command\n",
			sm_progname);
		return sm_cli_sub_try_help("ctl");
	}
	verb = argv[optind + 1];
	if (!strcmp(verb, "inject-secret") && argc - optind != 4) {
		fprintf(stderr,
			"%s: inject-secret needs the HEADER and PAYLOAD files (sevmig-owner secret)\n",
			sm_progname);
		return sm_cli_sub_try_help("ctl");
	}
	for (i = 0; i < SM_ARRAY_SIZE(verbs); i++)
		if (!strcmp(verb, verbs[i]))
			break;
	if (i == SM_ARRAY_SIZE(verbs)) {
		fprintf(stderr,
			"%s: unknown ctl command '%s' (status, digest, check, pause, resume, discard, quit, launch-measure, finish, inject-secret, secrets, report)\n",
			sm_progname, verb);
		return sm_cli_sub_try_help("ctl");
	}
	if (force && i != 4) {
		fprintf(stderr, "%s: --force goes with resume\n", sm_progname);
		return sm_cli_sub_try_help("ctl");
	}
	if (have_rd && i != 11) {
		fprintf(stderr, "%s: --report-data goes with report\n",
			sm_progname);
		return sm_cli_sub_try_help("ctl");
	}
	sm_cli_set_verbosity(co.verbose, co.quiet);
	if (sm_ep_connect(argv[optind], timeout, &ep, &e))
		return sm_cli_report(&e);
	switch (i) {
	case 0:
		rc = do_status(ep, co.json, &e);
		break;
	case 1:
		rc = do_digest(ep, co.json, &e);
		break;
	case 2:
		rc = do_check(ep, co.json, &e);
		break;
	case 3:
		rc = sm_ep_pause(ep, &e);
		break;
	case 4:
		rc = force ? sm_ep_resume_forced(ep, &e) : sm_ep_resume(ep, &e);
		break;
	case 5:
		rc = sm_ep_quit(ep, &e);
		break;
	case 6:
		rc = sm_ep_discard(ep, &e);
		break;
	case 7:
		rc = do_launch_measure(ep, co.json, &e);
		break;
	case 8:
		rc = sm_ep_launch_finish(ep, &e);
		break;
	case 9:
		rc = do_inject_secret(ep, argv[optind + 2], argv[optind + 3],
				      &e);
		break;
	case 10:
		rc = do_secrets(ep, co.json, &e);
		break;
	default:
		rc = do_report(ep, rd, co.json, &e);
		break;
	}
	sm_ep_close(ep);
	return sm_cli_close_stdout(rc ? sm_cli_report(&e) : 0);
}
