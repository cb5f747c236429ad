// SPDX-License-Identifier: MIT
#include "kds.h"

#include <stdio.h>

#include <curl/curl.h>

const char *sm_kds_curl_version(void)
{
	static char buf[64];
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	snprintf(buf, sizeof(buf), "libcurl %s", v ? v->version : "?");
	return buf;
}
