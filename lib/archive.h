/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_ARCHIVE_H
#define SEVMIG_ARCHIVE_H

/* "libarchive X.Y.Z" of the library actually linked. */
const char *sm_archive_lib_version(void);

#endif
