/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_KDS_H
#define SEVMIG_KDS_H

/* "libcurl X.Y.Z" of the library actually linked. */
const char *sm_kds_curl_version(void);

#endif
