// SPDX-License-Identifier: MIT
#include "base/json.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

const char *sm_json_lib_version(void)
{
	return "jansson " JANSSON_VERSION;
}

int sm_json_parse(const char *text, size_t len, const char *name,
		  struct json_t **out, struct sm_err *e)
{
	json_error_t je;
	json_t *v;

	v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!v)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"invalid JSON in '%s' at line %d, column %d: %s", name,
			je.line, je.column, je.text);
	*out = v;
	return 0;
}

char *sm_json_dump(const struct json_t *v)
{
	char *s = json_dumps(v, JSON_SORT_KEYS | JSON_INDENT(2));
	char *t;
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	t = realloc(s, n + 2);
	if (!t) {
		free(s);
		return NULL;
	}
	t[n] = '\n';
	t[n + 1] = '\0';
	return t;
}

json_t *sm_json_text(const char *s)
{
	json_t *v = json_string(s);
	char *c;
	size_t i;

	if (v || !s)
		return v;
	c = strdup(s);
	if (!c)
		return NULL;
	for (i = 0; c[i]; i++)
		if ((unsigned char)c[i] >= 0x80)
			c[i] = '?';
	v = json_string(c);
	free(c);
	return v;
}
