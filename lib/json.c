// SPDX-License-Identifier: MIT
#include "json.h"

#include <jansson.h>

const char *sm_json_lib_version(void)
{
	return "jansson " JANSSON_VERSION;
}
