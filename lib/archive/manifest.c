// SPDX-License-Identifier: MIT
/*
 * The archive's JSON documents and the tools' reports (jansson).
 *
 * Every decoder validates the whole document before it fills its output,
 * so a caller never acts on half of a manifest (style rule 33).  Closed
 * objects (a range, the trailer counts) are unpacked with '!'; the top
 * level and other objects stay open so a minor revision can add optional
 * keys (rule 29).  Required features are listed in "features": one this
 * build does not know is SM_EXIT_UNSUPPORTED, like another major version.
 */
#include "archive/manifest.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/bytes.h"
#include "base/json.h"
#include "base/platform.h"
#include "archive/records.h"
#include "base/util.h"

#define DUMP_FLAGS (JSON_SORT_KEYS | JSON_INDENT(2))

/* ---- layouts ---- */

int sm_layout_check(const struct sm_layout *l, struct sm_err *e)
{
	uint64_t total = 0;
	size_t i;

	if (l->nranges == 0 || l->nranges > SM_MAX_RANGES)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"invalid memory layout: %zu ranges (1 to %u allowed)",
			l->nranges, SM_MAX_RANGES);
	for (i = 0; i < l->nranges; i++) {
		const struct sm_range *r = &l->ranges[i];

		if (r->gpa % SM_PAGE_SIZE || r->size % SM_PAGE_SIZE ||
		    r->size == 0)
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "invalid memory range 0x%" PRIx64
					  "+0x%" PRIx64
					  ": not page aligned or empty",
					  r->gpa, r->size);
		if (r->gpa + r->size < r->gpa)
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "invalid memory range 0x%" PRIx64
					  "+0x%" PRIx64 ": wraps around",
					  r->gpa, r->size);
		if (i > 0 &&
		    r->gpa < l->ranges[i - 1].gpa + l->ranges[i - 1].size)
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "invalid memory range 0x%" PRIx64
					  ": overlaps or is out of order",
					  r->gpa);
		total += r->size;
		if (total > SM_MAX_MEM)
			return sm_err_set(
				e, SM_EXIT_VERIFY,
				"invalid memory layout: more than %llu bytes",
				(unsigned long long)SM_MAX_MEM);
	}
	return 0;
}

uint64_t sm_layout_pages(const struct sm_layout *l)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < l->nranges; i++)
		n += l->ranges[i].size / SM_PAGE_SIZE;
	return n;
}

int64_t sm_layout_page_index(const struct sm_layout *l, uint64_t gpa)
{
	uint64_t base = 0;
	size_t i;

	if (gpa % SM_PAGE_SIZE)
		return -1;
	for (i = 0; i < l->nranges; i++) {
		const struct sm_range *r = &l->ranges[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return (int64_t)(base + (gpa - r->gpa) / SM_PAGE_SIZE);
		base += r->size / SM_PAGE_SIZE;
	}
	return -1;
}

int sm_layout_fits(const struct sm_layout *inner, const struct sm_layout *outer)
{
	size_t i, j;

	for (i = 0; i < inner->nranges; i++) {
		const struct sm_range *a = &inner->ranges[i];
		int ok = 0;

		for (j = 0; j < outer->nranges && !ok; j++) {
			const struct sm_range *b = &outer->ranges[j];

			ok = a->gpa >= b->gpa && a->gpa - b->gpa <= b->size &&
			     a->size <= b->size - (a->gpa - b->gpa);
		}
		if (!ok)
			return 0;
	}
	return 1;
}

/* ---- helpers ---- */

static int json_fail(struct sm_err *e, const char *doc, const json_error_t *je)
{
	return sm_err_set(e, SM_EXIT_VERIFY, "invalid %s: %d:%d: %s", doc,
			  je->line, je->column, je->text);
}

static json_t *load(const void *buf, size_t len, const char *doc,
		    struct sm_err *e)
{
	json_error_t je;
	json_t *root;

	if (len > SM_MANIFEST_MAX) {
		sm_err_set(e, SM_EXIT_VERIFY,
			   "invalid %s: larger than %u bytes", doc,
			   SM_MANIFEST_MAX);
		return NULL;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		json_fail(e, doc, &je);
		return NULL;
	}
	if (!json_is_object(root)) {
		sm_err_set(e, SM_EXIT_VERIFY, "invalid %s: not a JSON object",
			   doc);
		json_decref(root);
		return NULL;
	}
	return root;
}

static int dump(json_t *root, char **out, size_t *len, struct sm_err *e)
{
	char *s, *t;
	size_t n;

	if (!root)
		return sm_err_set(e, SM_EXIT_FAILURE, "cannot build JSON");
	s = json_dumps(root, DUMP_FLAGS);
	json_decref(root);
	if (!s)
		return sm_err_set(e, SM_EXIT_FAILURE, "cannot encode JSON");
	n = strlen(s);
	t = realloc(s, n + 2);
	if (!t) {
		free(s);
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "cannot encode JSON");
	}
	t[n] = '\n';
	t[n + 1] = '\0';
	*out = t;
	if (len)
		*len = n + 1;
	return 0;
}

/*
 * The format string: "sevmig/<major>".  Another major is unsupported;
 * anything else is not ours.
 */
static int check_format(json_t *root, const char *doc, struct sm_err *e)
{
	json_t *f = json_object_get(root, "format");
	const char *s, *p;
	unsigned long major;
	char *end;

	if (!f || !json_is_string(f))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "invalid %s: no \"format\" string", doc);
	s = json_string_value(f);
	if (strncmp(s, "sevmig/", 7) != 0)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "invalid %s: format '%.64s' is not sevmig",
				  doc, s);
	p = s + 7;
	if (*p < '0' || *p > '9')
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "invalid %s: bad format '%.64s'", doc, s);
	errno = 0;
	major = strtoul(p, &end, 10);
	if (errno || *end != '\0')
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "invalid %s: bad format '%.64s'", doc, s);
	if (major != SM_FORMAT_MAJOR)
		return sm_err_set(
			e, SM_EXIT_UNSUPPORTED,
			"unsupported %s format '%.64s' (this sevmig reads %s)",
			doc, s, SM_FORMAT);
	return 0;
}

static json_t *hex_addr(uint64_t v)
{
	char buf[19];

	sm_fmt_hex_u64(buf, v);
	return json_string(buf);
}

static json_t *hex_bytes(const uint8_t *b, size_t n)
{
	char buf[2 * 64 + 1];

	sm_hex_encode(b, n, buf);
	return json_string(buf);
}

static int parse_fp(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -1;
	return sm_hex_decode(s, out, n) == (ssize_t)n ? 0 : -1;
}

static int get_u64(json_int_t v, uint64_t max, uint64_t *out)
{
	if (v < 0 || (uint64_t)v > max)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static json_t *ranges_json(const struct sm_range *r, size_t n)
{
	json_t *a = json_array();
	size_t i;

	if (!a)
		return NULL;
	for (i = 0; i < n; i++) {
		json_t *o = json_pack("{s:o, s:I}", "gpa", hex_addr(r[i].gpa),
				      "size", (json_int_t)r[i].size);

		if (!o || json_array_append_new(a, o)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Parse an array of {"gpa": "0x..", "size": N} (closed objects). */
static int ranges_parse(json_t *a, const char *doc, struct sm_range *out,
			size_t max, size_t *n, struct sm_err *e)
{
	size_t i;

	if (!json_is_array(a))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "invalid %s: ranges are not an array", doc);
	if (json_array_size(a) > max)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "invalid %s: more than %zu ranges", doc, max);
	for (i = 0; i < json_array_size(a); i++) {
		json_error_t je;
		const char *gpa;
		json_int_t size;

		if (json_unpack_ex(json_array_get(a, i), &je, 0, "{s:s, s:I !}",
				   "gpa", &gpa, "size", &size))
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "invalid %s: range %zu: %s", doc, i,
					  je.text);
		if (sm_parse_hex_u64(gpa, &out[i].gpa))
			return sm_err_set(
				e, SM_EXIT_VERIFY,
				"invalid %s: range %zu: bad gpa '%.40s'", doc,
				i, gpa);
		if (get_u64(size, SM_MAX_MEM, &out[i].size))
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "invalid %s: range %zu: bad size",
					  doc, i);
	}
	*n = i;
	return 0;
}

/* ---- manifest ---- */

const char *sm_method_name(enum sm_method m)
{
	return m == SM_METHOD_MH ? "mh" : m == SM_METHOD_SVSM ? "svsm" : "psp";
}

int sm_method_parse(const char *name, enum sm_method *m)
{
	if (!strcmp(name, "psp"))
		*m = SM_METHOD_PSP;
	else if (!strcmp(name, "mh"))
		*m = SM_METHOD_MH;
	else if (!strcmp(name, "svsm"))
		*m = SM_METHOD_SVSM;
	else
		return -1;
	return 0;
}

static int manifest_check(const struct sm_manifest *m, struct sm_err *e)
{
	uint64_t want;

	if (sm_layout_check(&m->layout, e))
		return -1;
	if (m->vcpus == 0 || m->vcpus > SM_MAX_VCPUS)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"invalid manifest: %u vCPUs (1 to %u allowed)",
			m->vcpus, SM_MAX_VCPUS);
	if (!!m->es != !!(m->policy & 0x4u))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "invalid manifest: es %s but policy 0x%x",
				  m->es ? "true" : "false", m->policy);
	if (m->records_per_chunk == 0 ||
	    m->records_per_chunk > SM_CHUNK_MAX_RECORDS)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"invalid manifest: %u records per chunk (1 to %u allowed)",
			m->records_per_chunk, SM_CHUNK_MAX_RECORDS);
	if (m->pages != sm_layout_pages(&m->layout))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "invalid manifest: %" PRIu64
				  " pages but the layout holds %" PRIu64,
				  m->pages, sm_layout_pages(&m->layout));
	if (m->method == SM_METHOD_MH && m->es)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"invalid manifest: an SEV-ES guest cannot move through a migration helper");
	if (m->method == SM_METHOD_SVSM &&
	    (!m->es || m->svsm_state_chunks > SM_SVSM_STATE_MAX_CHUNKS))
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"invalid manifest: an SVSM stream needs an SEV-ES guest and at most %u state records",
			SM_SVSM_STATE_MAX_CHUNKS);
	/* mh, svsm: one END record after the pages (svsm: and its state) */
	want = m->pages + (m->es ? m->vcpus : 0) +
	       (m->method != SM_METHOD_PSP ? 1 : 0) +
	       (m->method == SM_METHOD_SVSM ? m->svsm_state_chunks : 0);
	if (m->records != want)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "invalid manifest: %" PRIu64
				  " records, expected %" PRIu64,
				  m->records, want);
	if (sm_platform_parse(m->platform) == SM_PLATFORM_UNKNOWN)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"invalid manifest: unknown source platform '%s'",
			m->platform);
	return 0;
}

int sm_manifest_encode(const struct sm_manifest *m, char **out, size_t *len,
		       struct sm_err *e)
{
	json_t *root, *features;

	if (manifest_check(m, e))
		return -1;
	features = json_array();
	if (features && m->two_way)
		json_array_append_new(features,
				      json_string(SM_FEATURE_TWO_WAY));
	if (features && m->method == SM_METHOD_MH)
		json_array_append_new(features, json_string(SM_FEATURE_MH));
	if (features && m->method == SM_METHOD_SVSM)
		json_array_append_new(features, json_string(SM_FEATURE_SVSM));
	root = json_pack("{s:s, s:o, s:{s:s, s:s}, s:{s:s, s:o}, s:{s:o},"
			 " s:{s:I, s:I, s:b, s:b},"
			 " s:{s:I, s:I, s:o},"
			 " s:{s:I, s:I, s:I, s:I, s:I, s:I}}",
			 "format", SM_FORMAT, "features", features, "tool",
			 "name", "sevmig", "version", m->tool_version, "source",
			 "platform", m->platform, "pdh_fingerprint",
			 hex_bytes(m->source_pdh_fp, SM_FP_LEN), "target",
			 "pdh_fingerprint",
			 hex_bytes(m->target_pdh_fp, SM_FP_LEN), "guest",
			 "policy", (json_int_t)m->policy, "vcpus",
			 (json_int_t)m->vcpus, "es", m->es, "migration_ready",
			 m->migration_ready, "memory", "page_size",
			 (json_int_t)SM_PAGE_SIZE, "pages",
			 (json_int_t)m->pages, "ranges",
			 ranges_json(m->layout.ranges, m->layout.nranges),
			 "transport", "packet_header_size",
			 (json_int_t)SM_REC_PKT_HDR_LEN, "session_size",
			 (json_int_t)SM_REC_SESSION_LEN, "record_header_size",
			 (json_int_t)SM_REC_HDR_LEN, "chunk_header_size",
			 (json_int_t)SM_CHUNK_HDR_LEN, "records_per_chunk",
			 (json_int_t)m->records_per_chunk, "records",
			 (json_int_t)m->records);
	if (root && m->snapshot &&
	    json_object_set_new(root, "snapshot", json_true())) {
		json_decref(root);
		root = NULL;
	}
	if (root && m->method != SM_METHOD_PSP &&
	    json_object_set_new(root, "method",
				json_string(sm_method_name(m->method)))) {
		json_decref(root);
		root = NULL;
	}
	if (root && m->method == SM_METHOD_SVSM &&
	    json_object_set_new(
		    root, "snp",
		    json_pack("{s:I, s:I}", "policy",
			      (json_int_t)(m->snp_policy & INT64_MAX),
			      "svsm_state_records",
			      (json_int_t)m->svsm_state_chunks))) {
		json_decref(root);
		root = NULL;
	}
	if (root && m->digest != SM_DIGEST_SHA256 &&
	    json_object_set_new(root, "digest",
				json_string(sm_digest_name(m->digest)))) {
		json_decref(root);
		root = NULL;
	}
	return dump(root, out, len, e);
}

/*
 * The features a reader must know.  sevmig/1 defines one, "two-way"
 * (sets *two_way); any other is unknown, and an importer that does not
 * know a feature must not go on.
 */
static int check_features(json_t *root, const char *doc, int *two_way, int *mh,
			  int *svsm, struct sm_err *e)
{
	json_t *f = json_object_get(root, "features");
	size_t i;

	*two_way = 0;
	*mh = 0;
	*svsm = 0;
	if (!f)
		return 0;
	if (!json_is_array(f))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "invalid %s: \"features\" is not an array",
				  doc);
	for (i = 0; i < json_array_size(f); i++) {
		json_t *v = json_array_get(f, i);

		if (json_is_string(v) &&
		    !strcmp(json_string_value(v), SM_FEATURE_TWO_WAY) &&
		    !*two_way) {
			*two_way = 1;
			continue;
		}
		if (json_is_string(v) &&
		    !strcmp(json_string_value(v), SM_FEATURE_MH) && !*mh) {
			*mh = 1;
			continue;
		}
		if (json_is_string(v) &&
		    !strcmp(json_string_value(v), SM_FEATURE_SVSM) && !*svsm) {
			*svsm = 1;
			continue;
		}
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "unsupported %s feature '%.64s'", doc,
				  json_is_string(v) ? json_string_value(v) :
						      "?");
	}
	return 0;
}

int sm_manifest_decode(const void *buf, size_t len, struct sm_manifest *out,
		       struct sm_err *e)
{
	static const char doc[] = "manifest";
	struct sm_manifest m;
	json_int_t policy, vcpus, page_size, pages, hdr, sess, rhdr, chdr, rpc,
		records;
	const char *version, *platform, *sfp, *tfp, *digest = NULL,
						    *method = NULL;
	int es, ready, two_way, mh, svsm, snapshot = 0;
	json_int_t snp_policy = 0, snp_states = 0;
	json_t *snp;
	json_t *root, *ranges;
	json_error_t je;
	int rc = -1;

	root = load(buf, len, doc, e);
	if (!root)
		return -1;
	if (check_format(root, doc, e) ||
	    check_features(root, doc, &two_way, &mh, &svsm, e))
		goto out;
	if (json_unpack_ex(root, &je, 0, "{s?b, s?s, s?s}", "snapshot",
			   &snapshot, "digest", &digest, "method", &method)) {
		sm_err_set(e, SM_EXIT_VERIFY, "invalid %s: %s", doc, je.text);
		goto out;
	}
	memset(&m, 0, sizeof(m));
	m.digest = SM_DIGEST_SHA256;
	if (method && sm_method_parse(method, &m.method)) {
		sm_err_set(
			e, SM_EXIT_UNSUPPORTED,
			"unsupported %s method '%.32s' (this sevmig reads psp, mh and svsm)",
			doc, method);
		goto out;
	}
	if (mh != (m.method == SM_METHOD_MH) ||
	    svsm != (m.method == SM_METHOD_SVSM)) {
		sm_err_set(
			e, SM_EXIT_VERIFY,
			"invalid %s: the method '%s' and the features \"mh\" and \"svsm\" disagree",
			doc, sm_method_name(m.method));
		goto out;
	}
	snp = json_object_get(root, "snp");
	if (!snp != (m.method != SM_METHOD_SVSM) ||
	    (snp &&
	     (json_unpack_ex(snp, &je, JSON_STRICT, "{s:I, s:I}", "policy",
			     &snp_policy, "svsm_state_records", &snp_states) ||
	      snp_policy < 0 || snp_states < 0 ||
	      snp_states > SM_SVSM_STATE_MAX_CHUNKS))) {
		sm_err_set(
			e, SM_EXIT_VERIFY,
			"invalid %s: \"snp\" (the SNP policy and the SVSM's state records) belongs to, and only to, an svsm stream",
			doc);
		goto out;
	}
	m.snp_policy = (uint64_t)snp_policy;
	m.svsm_state_chunks = (uint32_t)snp_states;
	if (digest && sm_digest_parse_name(digest, &m.digest)) {
		sm_err_set(
			e, SM_EXIT_UNSUPPORTED,
			"unsupported %s digest '%.32s' (this sevmig reads sha256 and xxh3-128)",
			doc, digest);
		goto out;
	}
	if (json_unpack_ex(root, &je, 0,
			   "{s:{s:s}, s:{s:s, s:s}, s:{s:s},"
			   " s:{s:I, s:I, s:b, s:b},"
			   " s:{s:I, s:I, s:o},"
			   " s:{s:I, s:I, s:I, s:I, s:I, s:I}}",
			   "tool", "version", &version, "source", "platform",
			   &platform, "pdh_fingerprint", &sfp, "target",
			   "pdh_fingerprint", &tfp, "guest", "policy", &policy,
			   "vcpus", &vcpus, "es", &es, "migration_ready",
			   &ready, "memory", "page_size", &page_size, "pages",
			   &pages, "ranges", &ranges, "transport",
			   "packet_header_size", &hdr, "session_size", &sess,
			   "record_header_size", &rhdr, "chunk_header_size",
			   &chdr, "records_per_chunk", &rpc, "records",
			   &records)) {
		sm_err_set(e, SM_EXIT_VERIFY, "invalid %s: %s", doc, je.text);
		goto out;
	}
	/*
	 * Sizes the format fixes: a different value means a stream this
	 * build cannot parse, not a damaged one.
	 */
	if (page_size != SM_PAGE_SIZE || hdr != SM_REC_PKT_HDR_LEN ||
	    sess != SM_REC_SESSION_LEN || rhdr != SM_REC_HDR_LEN ||
	    chdr != SM_CHUNK_HDR_LEN) {
		sm_err_set(
			e, SM_EXIT_UNSUPPORTED,
			"unsupported %s: page %lld, packet header %lld, session %lld, record header %lld, chunk header %lld bytes",
			doc, (long long)page_size, (long long)hdr,
			(long long)sess, (long long)rhdr, (long long)chdr);
		goto out;
	}
	if (strlen(version) >= sizeof(m.tool_version) ||
	    strlen(platform) >= sizeof(m.platform)) {
		sm_err_set(e, SM_EXIT_VERIFY,
			   "invalid %s: tool version or platform too long",
			   doc);
		goto out;
	}
	strcpy(m.tool_version, version);
	strcpy(m.platform, platform);
	if (parse_fp(sfp, m.source_pdh_fp, SM_FP_LEN) ||
	    parse_fp(tfp, m.target_pdh_fp, SM_FP_LEN)) {
		sm_err_set(e, SM_EXIT_VERIFY, "invalid %s: bad PDH fingerprint",
			   doc);
		goto out;
	}
	if (policy < 0 || policy > 0xffffffffll) {
		sm_err_set(e, SM_EXIT_VERIFY, "invalid %s: bad policy", doc);
		goto out;
	}
	m.policy = (uint32_t)policy;
	if (vcpus < 0 || vcpus > SM_MAX_VCPUS) {
		sm_err_set(e, SM_EXIT_VERIFY, "invalid %s: bad vcpus", doc);
		goto out;
	}
	m.vcpus = (unsigned)vcpus;
	m.es = es;
	m.migration_ready = ready;
	m.two_way = two_way;
	m.snapshot = snapshot;
	if (get_u64(pages, SM_MAX_MEM / SM_PAGE_SIZE, &m.pages) ||
	    get_u64(records, SM_MAX_MEM, &m.records) || rpc < 0 ||
	    rpc > SM_CHUNK_MAX_RECORDS) {
		sm_err_set(e, SM_EXIT_VERIFY, "invalid %s: bad counts", doc);
		goto out;
	}
	m.records_per_chunk = (uint32_t)rpc;
	if (ranges_parse(ranges, doc, m.layout.ranges, SM_MAX_RANGES,
			 &m.layout.nranges, e))
		goto out;
	if (manifest_check(&m, e))
		goto out;
	*out = m;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* ---- shared regions ---- */

int sm_shared_encode(const struct sm_shared *s, char **out, size_t *len,
		     struct sm_err *e)
{
	return dump(json_pack("{s:s, s:o}", "format", SM_FORMAT, "regions",
			      ranges_json(s->r, s->n)),
		    out, len, e);
}

int sm_shared_decode(const void *buf, size_t len,
		     const struct sm_layout *layout, struct sm_shared *s,
		     struct sm_err *e)
{
	static const char doc[] = "shared regions";
	struct sm_range *r = NULL;
	json_t *root, *regions;
	size_t n = 0, i;
	json_error_t je;

	root = load(buf, len, doc, e);
	if (!root)
		return -1;
	if (check_format(root, doc, e))
		goto err;
	if (json_unpack_ex(root, &je, 0, "{s:o}", "regions", &regions)) {
		sm_err_set(e, SM_EXIT_VERIFY, "invalid %s: %s", doc, je.text);
		goto err;
	}
	if (json_is_array(regions) && json_array_size(regions)) {
		r = calloc(json_array_size(regions), sizeof(*r));
		if (!r) {
			sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				     "cannot decode %s", doc);
			goto err;
		}
	}
	if (ranges_parse(regions, doc, r, SM_MAX_SHARED, &n, e))
		goto err;
	for (i = 0; i < n; i++) {
		struct sm_layout one = { .nranges = 1 };

		one.ranges[0] = r[i];
		if (r[i].size == 0 || r[i].gpa % SM_PAGE_SIZE ||
		    r[i].size % SM_PAGE_SIZE ||
		    r[i].gpa + r[i].size < r[i].gpa ||
		    (i > 0 && r[i].gpa < r[i - 1].gpa + r[i - 1].size)) {
			sm_err_set(e, SM_EXIT_VERIFY,
				   "invalid %s: region 0x%" PRIx64 "+0x%" PRIx64
				   " is misaligned, empty or out of order",
				   doc, r[i].gpa, r[i].size);
			goto err;
		}
		if (!sm_layout_fits(&one, layout)) {
			sm_err_set(e, SM_EXIT_VERIFY,
				   "invalid %s: region 0x%" PRIx64 "+0x%" PRIx64
				   " is outside guest memory",
				   doc, r[i].gpa, r[i].size);
			goto err;
		}
	}
	json_decref(root);
	s->r = r;
	s->n = n;
	return 0;
err:
	free(r);
	json_decref(root);
	return -1;
}

int sm_shared_contains(const struct sm_shared *s, uint64_t gpa)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct sm_range *r = &s->r[mid];

		if (gpa < r->gpa)
			hi = mid;
		else if (gpa - r->gpa >= r->size)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

void sm_shared_free(struct sm_shared *s)
{
	free(s->r);
	s->r = NULL;
	s->n = 0;
}

/* ---- trailer ---- */

int sm_trailer_encode(const struct sm_trailer *t, char **out, size_t *len,
		      struct sm_err *e)
{
	char hex[SM_DIGEST_TEXT_MAX];

	json_t *root;

	sm_digest_format(&t->digest, hex);
	root = json_pack("{s:s, s:{s:I, s:I, s:I, s:I}, s:I, s:I, s:I, s:s}",
			 "format", SM_FORMAT, "counts", "private",
			 (json_int_t)t->counts.private_pages, "shared",
			 (json_int_t)t->counts.shared_pages, "zero",
			 (json_int_t)t->counts.zero_pages, "vmsa",
			 (json_int_t)t->counts.vmsas, "records",
			 (json_int_t)t->records, "chunks",
			 (json_int_t)t->chunks, "device_state_size",
			 (json_int_t)t->device_state_size, "digest", hex);
	if (root && t->counts.ends &&
	    json_object_set_new(json_object_get(root, "counts"), "end",
				json_integer((json_int_t)t->counts.ends))) {
		json_decref(root);
		root = NULL;
	}
	if (root && t->counts.states &&
	    json_object_set_new(json_object_get(root, "counts"), "svsm_state",
				json_integer((json_int_t)t->counts.states))) {
		json_decref(root);
		root = NULL;
	}
	return dump(root, out, len, e);
}

int sm_trailer_decode(const void *buf, size_t len, struct sm_trailer *out,
		      struct sm_err *e)
{
	static const char doc[] = "trailer";
	json_int_t priv, shared, zero, vmsa, end = 0, states = 0, records,
					     chunks, dev;
	struct sm_trailer t;
	const char *digest;
	json_error_t je;
	json_t *root;
	int rc = -1;

	root = load(buf, len, doc, e);
	if (!root)
		return -1;
	if (check_format(root, doc, e))
		goto out;
	if (json_unpack_ex(
		    root, &je, 0,
		    "{s:{s:I, s:I, s:I, s:I, s?I, s?I !}, s:I, s:I, s:I, s:s}",
		    "counts", "private", &priv, "shared", &shared, "zero",
		    &zero, "vmsa", &vmsa, "end", &end, "svsm_state", &states,
		    "records", &records, "chunks", &chunks, "device_state_size",
		    &dev, "digest", &digest)) {
		sm_err_set(e, SM_EXIT_VERIFY, "invalid %s: %s", doc, je.text);
		goto out;
	}
	memset(&t, 0, sizeof(t));
	if (get_u64(priv, SM_MAX_MEM, &t.counts.private_pages) ||
	    get_u64(shared, SM_MAX_MEM, &t.counts.shared_pages) ||
	    get_u64(zero, SM_MAX_MEM, &t.counts.zero_pages) ||
	    get_u64(vmsa, SM_MAX_VCPUS, &t.counts.vmsas) ||
	    get_u64(end, 1, &t.counts.ends) ||
	    get_u64(states, SM_SVSM_STATE_MAX_CHUNKS, &t.counts.states) ||
	    get_u64(records, SM_MAX_MEM, &t.records) ||
	    get_u64(chunks, SM_MAX_MEM, &t.chunks) ||
	    get_u64(dev, UINT64_MAX >> 1, &t.device_state_size)) {
		sm_err_set(e, SM_EXIT_VERIFY, "invalid %s: bad count", doc);
		goto out;
	}
	if (t.records != t.counts.private_pages + t.counts.shared_pages +
				 t.counts.zero_pages + t.counts.vmsas +
				 t.counts.ends + t.counts.states) {
		sm_err_set(e, SM_EXIT_VERIFY,
			   "invalid %s: records %" PRIu64
			   " is not the sum of the counts",
			   doc, t.records);
		goto out;
	}
	if (sm_digest_parse(digest, &t.digest)) {
		sm_err_set(e, SM_EXIT_VERIFY, "invalid %s: bad digest", doc);
		goto out;
	}
	*out = t;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* ---- reports ---- */

static int set_new(json_t *o, const char *k, json_t *v)
{
	return v ? json_object_set_new(o, k, v) : -1;
}

int sm_report_encode(const struct sm_report *r, char **out, size_t *len,
		     struct sm_err *e)
{
	json_t *root = json_object(), *pages, *stages, *fps;
	double rate = r->seconds > 0 ? (double)r->bytes / r->seconds : 0;
	int bad = 0;
	size_t i;

	if (!root)
		return sm_err_set(e, SM_EXIT_FAILURE, "cannot build JSON");
	bad |= set_new(root, "schema", json_string(r->schema));
	bad |= set_new(root, "result", json_string(r->result));
	if (r->error)
		bad |= set_new(root, "error", sm_json_text(r->error));
	if (r->mode)
		bad |= set_new(root, "mode", json_string(r->mode));
	if (r->method)
		bad |= set_new(root, "method", json_string(r->method));
	if (r->source_state)
		bad |= set_new(root, "source", json_string(r->source_state));
	if (r->target_state)
		bad |= set_new(root, "target", json_string(r->target_state));
	if (r->have_policy) {
		char p[16];

		snprintf(p, sizeof(p), "0x%x", r->policy);
		bad |= set_new(root, "policy", json_string(p));
		bad |= set_new(root, "vcpus", json_integer(r->vcpus));
		bad |= set_new(root, "es", json_boolean(r->es));
		bad |= set_new(root, "memory_size",
			       json_integer((json_int_t)r->mem_size));
	}
	if (r->layout)
		bad |= set_new(root, "memory",
			       ranges_json(r->layout->ranges,
					   r->layout->nranges));
	pages = json_pack("{s:I, s:I, s:I, s:I, s:I}", "private",
			  (json_int_t)r->counts.private_pages, "shared",
			  (json_int_t)r->counts.shared_pages, "zero",
			  (json_int_t)r->counts.zero_pages, "vmsa",
			  (json_int_t)r->counts.vmsas, "records",
			  (json_int_t)r->records);
	if (pages && r->counts.ends)
		bad |= json_object_set_new(
			pages, "end", json_integer((json_int_t)r->counts.ends));
	if (pages && r->counts.states)
		bad |= set_new(pages, "svsm_state",
			       json_integer((json_int_t)r->counts.states));
	bad |= set_new(root, "counts", pages);
	bad |= set_new(root, "chunks", json_integer((json_int_t)r->chunks));
	bad |= set_new(root, "bytes", json_integer((json_int_t)r->bytes));
	bad |= set_new(root, "device_state_size",
		       json_integer((json_int_t)r->device_state_size));
	bad |= set_new(root, "seconds", json_real(r->seconds));
	bad |= set_new(root, "bytes_per_second", json_real(rate));
	stages = json_pack("{s:f, s:f, s:f, s:f}", "firmware", r->t_firmware,
			   "archive", r->t_archive, "io_wait", r->t_io, "vmm",
			   r->t_vmm);
	bad |= set_new(root, "stages", stages);
	if (r->have_overlap)
		bad |= set_new(root, "overlap",
			       json_pack("{s:f, s:f}", "firmware_waited",
					 r->t_fw_waited, "output_waited",
					 r->t_out_waited));
	fps = json_object();
	if (fps && r->have_target_fp)
		bad |= set_new(fps, "target_pdh",
			       hex_bytes(r->target_pdh_fp, SM_FP_LEN));
	if (fps && r->have_source_fp)
		bad |= set_new(fps, "source_pdh",
			       hex_bytes(r->source_pdh_fp, SM_FP_LEN));
	bad |= set_new(root, "fingerprints", fps);
	if (r->have_digest) {
		char hex[SM_DIGEST_TEXT_MAX];

		sm_digest_format(&r->digest, hex);
		bad |= set_new(root, "digest", json_string(hex));
	}
	if (r->warnings) {
		json_t *w = json_array();

		for (i = 0; w && r->warnings[i]; i++)
			bad |= json_array_append_new(
				w, sm_json_text(r->warnings[i]));
		bad |= set_new(root, "warnings", w);
	}
	if (r->checks) {
		json_t *a = json_array();

		for (i = 0; a && i < r->nchecks; i++) {
			const struct sm_target_check *c = &r->checks[i];

			bad |= json_array_append_new(
				a,
				json_pack("{s:s, s:b, s:o, s:o*}", "name",
					  c->name, "ok", c->ok, "found",
					  sm_json_text(c->found), "fix",
					  c->ok ? NULL : sm_json_text(c->fix)));
		}
		bad |= set_new(root, "target_checks", a);
	}
	if (bad) {
		json_decref(root);
		return sm_err_set(e, SM_EXIT_FAILURE, "cannot build report");
	}
	return dump(root, out, len, e);
}
