/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_JSON_H
#define SEVMIG_JSON_H

/* "jansson X.Y" of the headers built against. */
const char *sm_json_lib_version(void);

#endif
