// SPDX-License-Identifier: MIT
/* The -J reports of sevmig-owner (owner.h), with jansson. */
#include "engine/owner.h"

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
