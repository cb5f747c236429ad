// SPDX-License-Identifier: MIT
#include "archive.h"

#include <archive.h>

const char *sm_archive_lib_version(void)
{
	return archive_version_string();
}
