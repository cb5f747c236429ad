// SPDX-License-Identifier: MIT
/*
 * archive-mangle: a test helper that rewrites a sevmig archive on stdin to
 * stdout with one deliberate change, as an attacker or a broken transport
 * would, or lists where its records are.
 *
 *   archive-mangle list                 entries, and per record:
 *                                       "record INDEX GPA KIND DATA_OFFSET"
 *   archive-mangle swap-data A B        exchange packet header and data of
 *                                       records A and B (kinds must match)
 *   archive-mangle set-gpa N GPA        change record N's address field
 *   archive-mangle dup N                record N+1 becomes a copy of N
 *   archive-mangle drop-entry NAME      leave an entry out
 *   archive-mangle edit NAME FROM TO    replace text FROM by TO in entry NAME
 *   archive-mangle copy                 rewrite unchanged
 *   archive-mangle copy-data A B        record B gets A's packet header and
 *                                       data (a replay of A's packet at B's
 *                                       address; A < B, kinds must match)
 *   archive-mangle swap-records A B     exchange two whole records (index
 *                                       and gpa included), same chunk
 *   archive-mangle drop-record N        leave record N out of its chunk
 *                                       (the chunk's count and size follow)
 *   archive-mangle set-kind N KIND      make record N private, shared or
 *                                       zero (its data kept, or zeros)
 *   archive-mangle replace-entry NAME FILE
 *                                       entry NAME gets FILE's content
 *   archive-mangle rename-entry NAME NEW
 *                                       write entry NAME as NEW
 *
 * With --fix-trailer first, the trailer digest is recomputed over what is
 * written, as someone who can rewrite the whole stream would do.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/archive.h"
#include "archive/manifest.h"
#include "archive/records.h"
#include "base/util.h"

struct rec_buf {
	uint8_t hdr[SM_REC_HDR_LEN];
	uint8_t data[SM_REC_MH_LEN]; /* the longest record's data */
	struct sm_rec r;
};

static int fail(const struct sm_err *e)
{
	fprintf(stderr, "archive-mangle: %s\n", e->msg);
	return 1;
}

static uint64_t pad512(uint64_t n)
{
	return (n + 511) & ~511ull;
}

/*
 * Read one whole chunk, apply op (copy-data, swap-records, drop-record,
 * set-kind) and write it with its header and size recomputed.  *keep
 * holds record A for copy-data across chunks.
 */
static int mangle_chunk(struct sm_archive_r *r, struct sm_archive_w *w,
			const char *name, uint64_t size, const char *op,
			uint64_t a, uint64_t b, uint32_t kind,
			struct rec_buf **keep, struct sm_err *e)
{
	uint8_t ch[SM_CHUNK_HDR_LEN];
	struct sm_chunk_hdr h;
	struct rec_buf *v;
	uint32_t i, n;
	uint64_t ndata = 0;
	int rc = -1;

	(void)size;
	if (sm_archive_r_read(r, ch, sizeof(ch), e) ||
	    sm_chunk_hdr_decode(ch, &h, e))
		return -1;
	v = calloc(h.nrecords, sizeof(*v));
	if (!v)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	for (i = 0; i < h.nrecords; i++) {
		if (sm_archive_r_read(r, v[i].hdr, SM_REC_HDR_LEN, e) ||
		    sm_rec_decode(v[i].hdr, &v[i].r, e) ||
		    (v[i].r.data_len &&
		     sm_archive_r_read(r, v[i].data, v[i].r.data_len, e)))
			goto out;
	}
	n = h.nrecords;
	for (i = 0; i < n; i++) {
		struct rec_buf *x = &v[i];

		if (!strcmp(op, "copy-data") && x->r.index == a) {
			**keep = *x;
		} else if (!strcmp(op, "copy-data") && x->r.index == b) {
			if ((*keep)->r.index != a ||
			    (*keep)->r.kind != x->r.kind) {
				sm_err_set(
					e, SM_EXIT_USAGE,
					"copy-data needs A before B, both of one kind");
				goto out;
			}
			memcpy(x->r.pkt_hdr, (*keep)->r.pkt_hdr,
			       sizeof(x->r.pkt_hdr));
			memcpy(x->data, (*keep)->data, sizeof(x->data));
		} else if (!strcmp(op, "swap-records") && x->r.index == a) {
			struct rec_buf t;
			uint32_t j;

			for (j = 0; j < n && v[j].r.index != b; j++)
				;
			if (j == n) {
				sm_err_set(
					e, SM_EXIT_USAGE,
					"swap-records needs both records in one chunk");
				goto out;
			}
			t = v[i];
			v[i] = v[j];
			v[j] = t;
			break;
		} else if (!strcmp(op, "drop-record") && x->r.index == a) {
			memmove(x, x + 1, (n - i - 1) * sizeof(*x));
			n--;
			break;
		} else if (!strcmp(op, "set-kind") && x->r.index == a) {
			if (x->r.kind == SM_REC_ZERO)
				memset(x->data, 0, sizeof(x->data));
			x->r.kind = kind;
			x->r.data_len = sm_rec_data_len(kind);
			if (kind != SM_REC_PRIVATE)
				memset(x->r.pkt_hdr, 0, sizeof(x->r.pkt_hdr));
		}
	}
	if (n == 0) {
		rc = 0; /* the only record went: so does the chunk */
		goto out;
	}
	for (i = 0; i < n; i++) {
		sm_rec_encode(&v[i].r, v[i].hdr);
		ndata += v[i].r.data_len;
	}
	h.nrecords = n;
	sm_chunk_hdr_encode(&h, ch);
	if (w &&
	    (sm_archive_w_begin(w, name, sm_chunk_size_bytes(n, ndata), e) ||
	     sm_archive_w_data(w, ch, sizeof(ch), e)))
		goto out;
	for (i = 0; w && i < n; i++)
		if (sm_archive_w_data(w, v[i].hdr, SM_REC_HDR_LEN, e) ||
		    (v[i].r.data_len &&
		     sm_archive_w_data(w, v[i].data, v[i].r.data_len, e)))
			goto out;
	if (w && sm_archive_w_end(w, e))
		goto out;
	rc = 0;
out:
	free(v);
	return rc;
}

int main(int argc, char **argv)
{
	struct sm_archive_r *r;
	struct sm_archive_w *w = NULL;
	struct sm_err e = { 0 };
	struct rec_buf *held = NULL;
	uint64_t a = 0, b = 0, gpa = 0, offset = 0;
	const char *op, *drop = NULL, *edit = NULL, *from = NULL, *to = NULL;
	int fix = 0, list, rc, buffered = 0;
	uint32_t kind = 0;
	uint8_t *buf;

	if (argc > 1 && strcmp(argv[1], "--fix-trailer") == 0) {
		fix = 1;
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr,
			"usage: archive-mangle [--fix-trailer] OP ...\n");
		return 2;
	}
	op = argv[1];
	list = strcmp(op, "list") == 0;
	if (!strcmp(op, "swap-data") && argc == 4) {
		a = strtoull(argv[2], NULL, 0);
		b = strtoull(argv[3], NULL, 0);
	} else if (!strcmp(op, "set-gpa") && argc == 4) {
		a = strtoull(argv[2], NULL, 0);
		gpa = strtoull(argv[3], NULL, 0);
	} else if (!strcmp(op, "dup") && argc == 3) {
		a = strtoull(argv[2], NULL, 0);
	} else if (!strcmp(op, "drop-entry") && argc == 3) {
		drop = argv[2];
	} else if (!strcmp(op, "edit") && argc == 5) {
		edit = argv[2];
		from = argv[3];
		to = argv[4];
	} else if ((!strcmp(op, "copy-data") || !strcmp(op, "swap-records")) &&
		   argc == 4) {
		a = strtoull(argv[2], NULL, 0);
		b = strtoull(argv[3], NULL, 0);
		buffered = 1;
	} else if (!strcmp(op, "drop-record") && argc == 3) {
		a = strtoull(argv[2], NULL, 0);
		buffered = 1;
	} else if (!strcmp(op, "set-kind") && argc == 4) {
		a = strtoull(argv[2], NULL, 0);
		kind = !strcmp(argv[3], "private") ? SM_REC_PRIVATE :
		       !strcmp(argv[3], "shared")  ? SM_REC_SHARED :
		       !strcmp(argv[3], "zero")	   ? SM_REC_ZERO :
						     0;
		if (!kind) {
			fprintf(stderr, "archive-mangle: bad kind '%s'\n",
				argv[3]);
			return 2;
		}
		buffered = 1;
	} else if ((!strcmp(op, "replace-entry") ||
		    !strcmp(op, "rename-entry")) &&
		   argc == 4) {
		edit = argv[2];
		to = argv[3];
	} else if (!list && strcmp(op, "copy") != 0) {
		fprintf(stderr, "archive-mangle: bad operation\n");
		return 2;
	}
	buf = malloc((1 << 20) + 1);
	held = calloc(2, sizeof(*held));
	if (!buf || !held)
		return 1;
	if (sm_archive_r_open(STDIN_FILENO, &r, &e))
		return fail(&e);
	if (!list && sm_archive_w_open(STDOUT_FILENO, &w, &e))
		return fail(&e);
	for (;;) {
		const char *name;
		uint64_t size;
		char nm[256];

		rc = sm_archive_r_next(r, &name, &size, &e);
		if (rc < 0)
			return fail(&e);
		if (rc == 0)
			break;
		snprintf(nm, sizeof(nm), "%s", name);
		if (list)
			printf("entry %s %" PRIu64 " %" PRIu64 "\n", nm, size,
			       offset + 512);
		if (drop && !strcmp(nm, drop)) {
			offset += 512 + pad512(size);
			continue;
		}
		if (!strcmp(nm, "sevmig/trailer.json") && fix) {
			struct sm_trailer t;
			char *json;
			size_t len;

			if (sm_archive_r_read(r, buf, size, &e) ||
			    sm_trailer_decode(buf, size, &t, &e) ||
			    sm_archive_w_digest(w, &t.digest, &e) ||
			    sm_trailer_encode(&t, &json, &len, &e) ||
			    sm_archive_w_entry(w, nm, json, len, &e))
				return fail(&e);
			free(json);
			offset += 512 + pad512(size);
			continue;
		}
		if (strncmp(nm, SM_CHUNK_NAME_PREFIX,
			    strlen(SM_CHUNK_NAME_PREFIX)) != 0) {
			if (size > (1 << 20)) {
				fprintf(stderr,
					"archive-mangle: entry too big\n");
				return 1;
			}
			if (sm_archive_r_read(r, buf, size, &e))
				return fail(&e);
			if (edit && !strcmp(nm, edit) &&
			    !strcmp(op, "replace-entry")) {
				uint8_t *fb;
				size_t flen;

				if (sm_read_file(to, 1 << 20, &fb, &flen, &e))
					return fail(&e);
				memcpy(buf, fb, flen);
				size = flen;
				free(fb);
			} else if (edit && !strcmp(nm, edit) &&
				   !strcmp(op, "rename-entry")) {
				snprintf(nm, sizeof(nm), "%s", to);
			} else if (edit && !strcmp(nm, edit)) {
				char *p, *t = malloc(size + strlen(to) + 1);

				buf[size] = 0;
				p = strstr((char *)buf, from);
				if (!t || !p) {
					fprintf(stderr,
						"archive-mangle: '%s' not in '%s'\n",
						from, nm);
					return 1;
				}
				memcpy(t, buf, (size_t)(p - (char *)buf));
				strcpy(t + (p - (char *)buf), to);
				strcat(t, p + strlen(from));
				size = strlen(t);
				memcpy(buf, t, size);
				free(t);
			}
			/*
			 * The digest the (possibly edited) manifest names;
			 * one that does not parse leaves the writer's.
			 */
			if (w && !strcmp(nm, SM_ENTRY_MANIFEST)) {
				struct sm_manifest m;
				struct sm_err me = { 0 };

				if (!sm_manifest_decode(buf, size, &m, &me) &&
				    sm_archive_w_set_digest(w, m.digest, &e))
					return fail(&e);
			}
			if (w && sm_archive_w_entry(w, nm, buf, size, &e))
				return fail(&e);
			offset += 512 + pad512(size);
			continue;
		}
		/* Record operations that change a chunk's shape: buffered. */
		if (buffered) {
			if (mangle_chunk(r, w, nm, size, op, a, b, kind, &held,
					 &e))
				return fail(&e);
			offset += 512 + pad512(size);
			continue;
		}
		/* A chunk: header, then records, each possibly changed. */
		{
			uint8_t ch[SM_CHUNK_HDR_LEN];
			struct sm_chunk_hdr h;
			uint64_t pos = offset + 512 + SM_CHUNK_HDR_LEN;
			uint32_t i;

			if (sm_archive_r_read(r, ch, sizeof(ch), &e) ||
			    sm_chunk_hdr_decode(ch, &h, &e))
				return fail(&e);
			if (w && (sm_archive_w_begin(w, nm, size, &e) ||
				  sm_archive_w_data(w, ch, sizeof(ch), &e)))
				return fail(&e);
			for (i = 0; i < h.nrecords; i++) {
				struct rec_buf rb;

				if (sm_archive_r_read(r, rb.hdr, SM_REC_HDR_LEN,
						      &e) ||
				    sm_rec_decode(rb.hdr, &rb.r, &e))
					return fail(&e);
				if (rb.r.data_len &&
				    sm_archive_r_read(r, rb.data, rb.r.data_len,
						      &e))
					return fail(&e);
				if (list)
					printf("record %" PRIu64 " 0x%" PRIx64
					       " %s %" PRIu64 "\n",
					       rb.r.index, rb.r.gpa,
					       sm_rec_kind_name(rb.r.kind),
					       pos + SM_REC_HDR_LEN);
				pos += SM_REC_HDR_LEN + rb.r.data_len;
				if (!strcmp(op, "set-gpa") && rb.r.index == a) {
					rb.r.gpa = gpa;
					sm_rec_encode(&rb.r, rb.hdr);
				}
				if (!strcmp(op, "dup")) {
					if (rb.r.index == a)
						held[0] = rb;
					else if (rb.r.index == a + 1)
						rb = held[0];
				}
				if (!strcmp(op, "swap-data")) {
					/* Needs A and B in one chunk, A < B. */
					if (rb.r.index == a) {
						held[0] = rb;
						continue; /* written with B */
					}
					if (rb.r.index > a && rb.r.index < b) {
						fprintf(stderr,
							"archive-mangle: swap-data needs adjacent records\n");
						return 1;
					}
					if (rb.r.index == b) {
						struct rec_buf x = held[0];

						memcpy(x.r.pkt_hdr,
						       rb.r.pkt_hdr,
						       sizeof(x.r.pkt_hdr));
						memcpy(x.data, rb.data,
						       sizeof(x.data));
						memcpy(rb.r.pkt_hdr,
						       held[0].r.pkt_hdr,
						       sizeof(rb.r.pkt_hdr));
						memcpy(rb.data, held[0].data,
						       sizeof(rb.data));
						sm_rec_encode(&x.r, x.hdr);
						sm_rec_encode(&rb.r, rb.hdr);
						if (sm_archive_w_data(
							    w, x.hdr,
							    SM_REC_HDR_LEN,
							    &e) ||
						    (x.r.data_len &&
						     sm_archive_w_data(
							     w, x.data,
							     x.r.data_len, &e)))
							return fail(&e);
					}
				}
				if (w &&
				    (sm_archive_w_data(w, rb.hdr,
						       SM_REC_HDR_LEN, &e) ||
				     (rb.r.data_len &&
				      sm_archive_w_data(w, rb.data,
							rb.r.data_len, &e))))
					return fail(&e);
			}
			if (w && sm_archive_w_end(w, &e))
				return fail(&e);
			offset += 512 + pad512(size);
		}
	}
	if (w && sm_archive_w_close(w, &e))
		return fail(&e);
	sm_archive_w_free(w);
	sm_archive_r_free(r);
	free(buf);
	free(held);
	return 0;
}
