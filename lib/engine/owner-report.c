// SPDX-License-Identifier: MIT
/* The -J reports of sevmig-owner (owner.h), with jansson. */
#include "engine/owner.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json.h"
#include "base/util.h"

static int set_b64(json_t *o, const char *key, const uint8_t *p, size_t n)
{
	char buf[128];

	if (sm_base64_len(n) >= sizeof(buf))
		return -1;
	sm_base64_encode(p, n, buf);
	return json_object_set_new(o, key, json_string(buf));
}

char *sm_owner_measure_json(const struct sm_owner_measure_args *a,
			    const uint8_t blob[SM_MEASURE_BLOB_LEN],
			    const uint8_t ld[SM_LAUNCH_DIGEST_LEN],
			    const uint8_t *given)
{
	json_t *o = json_object();
	struct sm_err ce;
	char pol[16];
	char *text = NULL;
	int bad = !o;

	snprintf(pol, sizeof(pol), "0x%x", a->li.policy);
	bad = bad ||
	      json_object_set_new(o, "schema",
				  json_string("sevmig-owner-measure/1")) ||
	      json_object_set_new(o, "api_major",
				  json_integer(a->li.api_major)) ||
	      json_object_set_new(o, "api_minor",
				  json_integer(a->li.api_minor)) ||
	      json_object_set_new(o, "build_id", json_integer(a->li.build)) ||
	      json_object_set_new(o, "policy", json_string(pol)) ||
	      set_b64(o, "launch_digest", ld, SM_LAUNCH_DIGEST_LEN) ||
	      set_b64(o, "mnonce", blob + SM_MEASURE_LEN, SM_MNONCE_LEN) ||
	      set_b64(o, "measure", blob, SM_MEASURE_LEN) ||
	      set_b64(o, "blob", blob, SM_MEASURE_BLOB_LEN);
	if (!bad && given)
		bad = set_b64(o, "launch_measure_blob", given,
			      SM_MEASURE_BLOB_LEN) ||
		      json_object_set_new(
			      o, "match",
			      json_boolean(sm_owner_measure_check(blob, given,
								  &ce) == 0));
	if (!bad)
		text = sm_json_dump(o);
	json_decref(o);
	return text;
}

/* DIR/NAME as the text report prints it. */
static json_t *path_in(const char *dir, const char *name)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s/%s", dir, name) >= (int)sizeof(buf))
		return NULL;
	return json_string(buf);
}

char *sm_owner_session_json(const struct sm_owner_session_args *a,
			    const struct sm_owner_session_out *out)
{
	const char *dir = a->dir ? a->dir : ".";
	json_t *o = json_object(), *f = json_object();
	char pol[16];
	char *text = NULL;
	int bad = !o || !f;

	snprintf(pol, sizeof(pol), "0x%x", a->policy);
	bad = bad ||
	      json_object_set_new(o, "schema",
				  json_string("sevmig-owner-session/1")) ||
	      json_object_set_new(o, "policy", json_string(pol)) ||
	      json_object_set_new(
		      o, "product",
		      out->product == SM_PRODUCT_UNKNOWN ?
			      json_null() :
			      json_string(sm_product_name(out->product))) ||
	      json_object_set_new(o, "ark",
				  a->ark ? json_string(a->ark) : json_null()) ||
	      json_object_set_new(o, "verified", json_true()) ||
	      json_object_set_new(f, "godh",
				  path_in(dir, SM_OWNER_GODH_FILE)) ||
	      json_object_set_new(f, "session",
				  path_in(dir, SM_OWNER_SESSION_FILE)) ||
	      json_object_set_new(f, "tek", path_in(dir, SM_OWNER_TEK_FILE)) ||
	      json_object_set_new(f, "tik", path_in(dir, SM_OWNER_TIK_FILE)) ||
	      json_object_set(o, "files", f);
	if (!bad)
		text = sm_json_dump(o);
	json_decref(f);
	json_decref(o);
	return text;
}

char *sm_owner_secret_json(const struct sm_owner_secret_args *a,
			   const char *header, const char *payload,
			   size_t payload_len)
{
	json_t *o = json_object(), *l = json_array();
	char guid[SM_GUID_STR_LEN + 1];
	char *text = NULL;
	size_t i;
	int bad = !o || !l;

	bad = bad ||
	      json_object_set_new(o, "schema",
				  json_string("sevmig-owner-secret/1")) ||
	      set_b64(o, "measure", a->measure, SM_MEASURE_LEN) ||
	      json_object_set_new(o, "header", json_string(header)) ||
	      json_object_set_new(o, "header_len",
				  json_integer(SM_SECRET_HDR_LEN)) ||
	      json_object_set_new(o, "payload", json_string(payload)) ||
	      json_object_set_new(o, "payload_len",
				  json_integer((json_int_t)payload_len));
	for (i = 0; !bad && i < a->nsecrets; i++) {
		json_t *s;

		sm_guid_format(a->secrets[i].guid, guid);
		s = json_pack("{s:s, s:s}", "guid", guid, "file",
			      a->secrets[i].path);
		bad = !s || json_array_append_new(l, s);
	}
	bad = bad || json_object_set(o, "secrets", l);
	if (!bad)
		text = sm_json_dump(o);
	json_decref(l);
	json_decref(o);
	return text;
}
