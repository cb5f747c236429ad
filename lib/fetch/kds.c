// SPDX-License-Identifier: MIT
/*
 * The AMD KDS client.  The only file that includes <curl/curl.h>.
 *
 * Retry policy, and why:
 *  - 429 and 503 are the standard "come back later" answers: wait for
 *    Retry-After (seconds or an HTTP date; curl parses both), else
 *    retry_delay.
 *  - 400: the KDS "will return bad request until 10 seconds after its last
 *    valid response" (sev-tool 073184d), so 400 is retried too, after
 *    Retry-After or 10 s.  A 400 that persists through every attempt is
 *    reported as such.
 *  - other 5xx and connection failures: retried after retry_delay.
 *  - 404 and other 4xx: final.
 * total_timeout bounds everything (each transfer gets what is left), so a
 * hanging server costs at most that long.  We check the status ourselves
 * instead of CURLOPT_FAILONERROR because that option stops before the
 * Retry-After header is seen.
 */
#include "fetch/kds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>

#include "base/log.h"
#include "base/util.h"

#define BODY_MAX (64 * 1024)
#define DEF_CONNECT 10.0
#define DEF_TOTAL 60.0
#define DEF_RETRIES 3
#define DEF_DELAY 5.0
#define DEF_DELAY_400 10.0
#define DEF_MAX_WAIT 120.0

const char *sm_kds_curl_version(void)
{
	static char buf[64];
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	snprintf(buf, sizeof(buf), "libcurl %s", v ? v->version : "?");
	return buf;
}

int sm_kds_cache_dir(const struct sm_kds_opts *o, char *buf, size_t len)
{
	const char *p;
	int n;

	if (o && o->cache_dir && o->cache_dir[0])
		n = snprintf(buf, len, "%s", o->cache_dir);
	else if ((p = getenv("XDG_CACHE_HOME")) && p[0] == '/')
		n = snprintf(buf, len, "%s/sevmig", p);
	else if ((p = getenv("HOME")) && p[0] == '/')
		n = snprintf(buf, len, "%s/.cache/sevmig", p);
	else
		return -1;
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* mkdir -p with mode 0700 for the parts we create. */
static int mkdir_p(const char *path, struct sm_err *e)
{
	char tmp[4096];
	size_t n = strlen(path);
	int err;

	if (n >= sizeof(tmp))
		return sm_err_set(e, SM_EXIT_IO,
				  "cache directory '%s': path too long", path);
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST) {
			err = errno;
			return sm_err_errno(e, SM_EXIT_IO, err,
					    "creating cache directory '%s'",
					    tmp);
		}
		*p = c;
		if (!c)
			break;
	}
	return 0;
}

static const char *status_text(long code)
{
	switch (code) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "";
	}
}

static void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

struct body {
	uint8_t *buf;
	size_t len, cap;
	int too_big;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;
	uint8_t *nb;

	if (b->len + n > BODY_MAX) {
		b->too_big = 1;
		return 0;
	}
	if (b->len + n > b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 4096;

		while (nc < b->len + n)
			nc *= 2;
		nb = realloc(b->buf, nc);
		if (!nb)
			return 0;
		b->buf = nb;
		b->cap = nc;
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	return n;
}

static int curl_ready(struct sm_err *e)
{
	static int done;
	CURLcode rc;

	if (done)
		return 0;
	rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "initialising libcurl: %s",
				  curl_easy_strerror(rc));
	done = 1;
	return 0;
}

/* Outcome of one attempt. */
enum attempt {
	ATT_OK,
	ATT_RETRY, /* e says why; *wait how long to wait */
	ATT_FINAL, /* e says why */
};

static enum attempt attempt_get(CURL *h, const char *url, double connect,
				double left, const double delay[2],
				struct body *b, double *wait, struct sm_err *e)
{
	char errbuf[CURL_ERROR_SIZE];
	curl_off_t ra = -1;
	long code = 0;
	CURLcode rc;

	errbuf[0] = '\0';
	b->len = 0;
	b->too_big = 0;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "sevmig/" SEVMIG_VERSION);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS,
			 (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS,
			 (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)((connect < left ? connect : left) * 1000) + 1);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(left * 1000) + 1);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE, (long)BODY_MAX);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);

	*wait = delay[0];
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		if (b->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
			sm_err_set(e, SM_EXIT_IO, "answer larger than %d bytes",
				   BODY_MAX);
			return ATT_FINAL;
		}
		sm_err_set(e, SM_EXIT_IO, "%s",
			   errbuf[0] ? errbuf : curl_easy_strerror(rc));
		/* A transfer that used up the whole budget is final. */
		if (rc == CURLE_OPERATION_TIMEDOUT)
			return ATT_RETRY;
		if (rc == CURLE_UNSUPPORTED_PROTOCOL ||
		    rc == CURLE_URL_MALFORMAT)
			return ATT_FINAL;
		return ATT_RETRY;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (code == 200) {
		if (!b->len) {
			sm_err_set(e, SM_EXIT_IO, "empty answer");
			return ATT_FINAL;
		}
		return ATT_OK;
	}
	sm_err_set(e, SM_EXIT_IO, "HTTP %ld%s%s", code,
		   status_text(code)[0] ? " " : "", status_text(code));
#if LIBCURL_VERSION_NUM >= 0x074200
	if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) != CURLE_OK)
		ra = -1;
#endif
	if (code == 400)
		*wait = delay[1];
	if (ra > 0)
		*wait = (double)ra;
	if (code == 400 || code == 429 || (code >= 500 && code <= 599))
		return ATT_RETRY;
	return ATT_FINAL;
}

static int check_body(const struct sm_kds_opts *o, const uint8_t *buf,
		      size_t len, struct sm_err *e)
{
	if (!len)
		return sm_err_set(e, SM_EXIT_IO, "empty certificate");
	if (o->check)
		return o->check(buf, len, o->check_arg, e);
	return 0;
}

/* "40 s", "12 min", "5 h", "3 days": how long ago a cache file was written. */
static void age_str(time_t mtime, char *buf, size_t len)
{
	double a = difftime(time(NULL), mtime);

	if (a < 0)
		a = 0;
	if (a < 120)
		snprintf(buf, len, "%.0f s", a);
	else if (a < 7200)
		snprintf(buf, len, "%.0f min", a / 60);
	else if (a < 172800)
		snprintf(buf, len, "%.0f h", a / 3600);
	else
		snprintf(buf, len, "%.0f days", a / 86400);
}

static int from_cache(const struct sm_kds_opts *o, const char *what,
		      const char *path, uint8_t **cek, size_t *len,
		      struct sm_err *e)
{
	struct stat st;
	char age[32];

	if (stat(path, &st) < 0) {
		pr_info("KDS: %s is not in the cache ('%s')", what, path);
		return 1;
	}
	if (sm_read_file(path, BODY_MAX, cek, len, e) < 0)
		return -1;
	if (check_body(o, *cek, *len, e) < 0) {
		free(*cek);
		*cek = NULL;
		return sm_err_prefix(e, "cached %s '%s'", what, path);
	}
	age_str(st.st_mtime, age, sizeof(age));
	pr_info("KDS: %s from the cache, not the network: '%s' (written %s ago)",
		what, path, age);
	return 0;
}

static int to_cache(const char *dir, const char *path, const uint8_t *buf,
		    size_t len, struct sm_err *e)
{
	char kdir[4200];

	snprintf(kdir, sizeof(kdir), "%s/kds", dir);
	if (mkdir_p(kdir, e) < 0)
		return -1;
	return sm_write_file_atomic(path, buf, len, 0644, e);
}

static int resolve_url(const struct sm_kds_opts *o, char *base, size_t len,
		       struct sm_err *e)
{
	const char *u = o->url;
	size_t n;

	if (!u || !u[0])
		u = getenv("SEVMIG_KDS_URL");
	if (!u || !u[0])
		u = SM_KDS_DEFAULT_URL;
	if (strncasecmp(u, "http://", 7) && strncasecmp(u, "https://", 8))
		return sm_err_set(
			e, SM_EXIT_USAGE,
			"bad KDS URL '%s': only http:// and https:// are allowed",
			u);
	n = strlen(u);
	while (n > 8 && u[n - 1] == '/')
		n--;
	if (n >= len)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "bad KDS URL '%s': too long", u);
	memcpy(base, u, n);
	base[n] = '\0';
	return 0;
}

/*
 * GET <base><path> for the document what names, cached as
 * <cache>/kds/<name> (name NULL: never cached; refresh: not read from the
 * cache unless offline).
 */
static int kds_get(const struct sm_kds_opts *o, const char *what,
		   const char *upath, const char *name, int refresh,
		   uint8_t **cek, size_t *len, struct sm_err *e)
{
	double connect, total, delay[2], maxwait, deadline, wait = 0, left;
	char base[2048], url[2400], dir[4096], path[4400];
	struct body b = { 0 };
	int retries, attempt, have_dir, rc;
	enum attempt r = ATT_FINAL;
	CURL *h;

	*cek = NULL;
	*len = 0;
	if (resolve_url(o, base, sizeof(base), e) < 0)
		return -1;
	snprintf(url, sizeof(url), "%s%s", base, upath);

	have_dir = name && !o->no_cache &&
		   sm_kds_cache_dir(o, dir, sizeof(dir)) == 0;
	if (have_dir) {
		snprintf(path, sizeof(path), "%s/kds/%s", dir, name);
		rc = refresh && !o->offline ?
			     1 :
			     from_cache(o, what, path, cek, len, e);
		if (rc == 0)
			return 0;
		if (rc < 0 && o->offline)
			return -1;
		if (rc < 0)
			pr_info("KDS: not using the cache: %s", e->msg);
		else if (refresh && !o->offline)
			pr_info("KDS: %s is asked of the network again (a cached copy may be stale)",
				what);
	} else if (name && !o->offline) {
		pr_info("KDS: no cache directory (set XDG_CACHE_HOME or --cache-dir): %s from the network",
			what);
	}
	if (o->offline) {
		if (!have_dir)
			return sm_err_set(
				e, SM_EXIT_IO,
				"no %s cache to use offline: set XDG_CACHE_HOME "
				"or a cache directory",
				what);
		return sm_err_set(
			e, SM_EXIT_IO,
			"no cached %s '%s': offline, so the KDS was not asked",
			what, path);
	}
	connect = o->connect_timeout > 0 ? o->connect_timeout : DEF_CONNECT;
	total = o->total_timeout > 0 ? o->total_timeout : DEF_TOTAL;
	retries = o->retries >= 0 ? o->retries : DEF_RETRIES;
	/* An explicit delay applies to 400 too; AMD's own needs 10 s. */
	delay[0] = o->retry_delay > 0 ? o->retry_delay : DEF_DELAY;
	delay[1] = o->retry_delay > 0 ? o->retry_delay : DEF_DELAY_400;
	maxwait = o->max_retry_wait > 0 ? o->max_retry_wait : DEF_MAX_WAIT;

	if (curl_ready(e) < 0)
		return -1;
	h = curl_easy_init();
	if (!h)
		return sm_err_set(
			e, SM_EXIT_FAILURE,
			"fetching %s '%s': cannot create a curl handle", what,
			url);
	deadline = sm_now() + total;
	for (attempt = 1;; attempt++) {
		left = deadline - sm_now();
		if (left <= 0) {
			sm_err_set(e, SM_EXIT_IO, "timed out after %g s",
				   total);
			break;
		}
		pr_debug("GET %s (attempt %d)", url, attempt);
		r = attempt_get(h, url, connect, left, delay, &b, &wait, e);
		if (r == ATT_OK) {
			r = check_body(o, b.buf, b.len, e) < 0 ? ATT_FINAL :
								 ATT_OK;
			break;
		}
		if (r == ATT_FINAL)
			break;
		if (sm_now() >= deadline) {
			sm_err_set(e, SM_EXIT_IO, "timed out after %g s",
				   total);
			break;
		}
		if (attempt > retries) {
			size_t n = strlen(e->msg);

			if (attempt > 1)
				snprintf(e->msg + n, sizeof(e->msg) - n,
					 " after %d attempts", attempt);
			break;
		}
		if (wait > maxwait)
			wait = maxwait;
		if (sm_now() + wait >= deadline) {
			size_t n = strlen(e->msg);

			snprintf(e->msg + n, sizeof(e->msg) - n,
				 " (retry in %g s would pass the %g s timeout)",
				 wait, total);
			break;
		}
		pr_info("KDS: %s; retrying in %g s", e->msg, wait);
		sleep_s(wait);
	}
	curl_easy_cleanup(h);
	if (r != ATT_OK) {
		free(b.buf);
		return sm_err_prefix(e, "fetching %s '%s'", what, url);
	}
	pr_info("KDS: %s from the network: GET %s: HTTP 200, %zu bytes", what,
		url, b.len);
	if (have_dir && to_cache(dir, path, b.buf, b.len, e) < 0) {
		pr_info("KDS: %s not cached: %s", what, e->msg);
		sm_err_clear(e);
	} else if (have_dir) {
		pr_info("KDS: %s saved in the cache '%s'", what, path);
	}
	*cek = b.buf;
	*len = b.len;
	return 0;
}

int sm_kds_fetch_cek(const struct sm_kds_opts *o, const uint8_t *id,
		     size_t id_len, uint8_t **cek, size_t *len,
		     struct sm_err *e)
{
	char hex[2 * 64 + 1], upath[200], name[200];

	*cek = NULL;
	*len = 0;
	if (!id_len || id_len > 64)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "fetching CEK: bad chip id length %zu",
				  id_len);
	sm_hex_encode(id, id_len, hex);
	snprintf(upath, sizeof(upath), "/cek/id/%s", hex);
	snprintf(name, sizeof(name), "cek-%s.cert", hex);
	return kds_get(o, "CEK", upath, name, 0, cek, len, e);
}

int sm_kds_fetch_path(const struct sm_kds_opts *o, const char *what,
		      const char *upath, const char *cache_name, int refresh,
		      uint8_t **out, size_t *len, struct sm_err *e)
{
	return kds_get(o, what, upath, cache_name, refresh, out, len, e);
}
