// SPDX-License-Identifier: MIT
/*
 * A guest policy decoded for its owner (owner.h): what each bit does to
 * a migration, as the firmware enforces it (ASPFW sev_mcmd_send_start,
 * validate_platform, validate_domain; shared/reference/
 * sev-migration-protocol.md section 1.2).
 */
#include "engine/owner.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "base/json.h"

static const struct {
	const char *name;
	uint32_t bit;
	const char *set, *clear;
} flags[SM_POLICY_NFLAGS] = {
	{ "NODBG", 0x01,
	  "the host cannot decrypt or encrypt guest memory with "
	  "DBG_DECRYPT/DBG_ENCRYPT; no effect on migration",
	  "the host may read and write guest memory with "
	  "DBG_DECRYPT/DBG_ENCRYPT" },
	{ "NOKS", 0x02, "no key sharing: RECEIVE_START into a shared key fails",
	  "the guest may share its key with another guest" },
	{ "ES", 0x04,
	  "SEV-ES: register state is encrypted, migrated by "
	  "SEND_UPDATE_VMSA and measured at launch; the target must have "
	  "SEV-ES",
	  "SEV without ES: register state is not encrypted" },
	{ "NOSEND", 0x08,
	  "no PSP migration: SEND_START fails (only a guest-assisted "
	  "migration can move it)",
	  "the PSP may migrate the guest (SEND_START allowed)" },
	{ "DOMAIN", 0x10,
	  "SEND_START only to a platform whose OCA is byte-identical to the "
	  "source's (same owner domain)",
	  "no owner-domain check on the target" },
	{ "SEV", 0x20,
	  "SEND_START only to a platform whose chain PDH-PEK-CEK-ASK-ARK "
	  "holds and whose API version is at least the minimum below",
	  "no check that the target is a genuine AMD platform" },
};

#define KNOWN_BITS 0x3fu

void sm_owner_policy_decode(uint32_t policy, struct sm_owner_policy *p)
{
	int i;

	memset(p, 0, sizeof(*p));
	p->policy = policy;
	for (i = 0; i < SM_POLICY_NFLAGS; i++) {
		p->flag[i].name = flags[i].name;
		p->flag[i].bit = flags[i].bit;
		p->flag[i].set = (policy & flags[i].bit) != 0;
		p->flag[i].meaning = p->flag[i].set ? flags[i].set :
						      flags[i].clear;
	}
	p->reserved = policy & 0xffc0u;
	p->api_major = (policy >> 16) & 0xff;
	p->api_minor = (policy >> 24) & 0xff;
	p->psp_migration = !(policy & 0x08);
	p->redirectable = p->psp_migration && !(policy & 0x30);
	if (!p->psp_migration)
		p->migration = "no PSP migration (NOSEND)";
	else if (p->redirectable)
		p->migration =
			"PSP migration to any platform: with neither DOMAIN "
			"nor SEV, SEND_START checks no chain, so the host may "
			"redirect the guest to a platform (or a key) of its "
			"choosing";
	else if ((policy & 0x30) == 0x30)
		p->migration = "PSP migration only to a genuine AMD platform "
			       "in the owner's domain (DOMAIN and SEV)";
	else if (policy & 0x20)
		p->migration =
			"PSP migration only to a genuine AMD platform (SEV)";
	else
		p->migration = "PSP migration only to a platform in the "
			       "owner's domain (DOMAIN)";
}

char *sm_owner_policy_json(const struct sm_owner_policy *p)
{
	json_t *o = json_object(), *fl = json_array();
	char buf[16];
	char *text = NULL;
	int i, bad = !o || !fl;

	snprintf(buf, sizeof(buf), "0x%x", p->policy);
	bad = bad ||
	      json_object_set_new(o, "schema",
				  json_string("sevmig-owner-policy/1")) ||
	      json_object_set_new(o, "policy", json_string(buf));
	for (i = 0; !bad && i < SM_POLICY_NFLAGS; i++) {
		json_t *f = json_pack("{s:s, s:b, s:s}", "name",
				      p->flag[i].name, "set", p->flag[i].set,
				      "meaning", p->flag[i].meaning);

		bad = !f || json_array_append_new(fl, f);
	}
	snprintf(buf, sizeof(buf), "0x%x", p->reserved);
	bad = bad || json_object_set(o, "flags", fl) ||
	      json_object_set_new(o, "reserved", json_string(buf)) ||
	      json_object_set_new(o, "api_major", json_integer(p->api_major)) ||
	      json_object_set_new(o, "api_minor", json_integer(p->api_minor)) ||
	      json_object_set_new(o, "psp_migration",
				  json_boolean(p->psp_migration)) ||
	      json_object_set_new(o, "host_may_redirect",
				  json_boolean(p->redirectable)) ||
	      json_object_set_new(o, "migration", json_string(p->migration));
	if (!bad)
		text = sm_json_dump(o);
	json_decref(fl);
	json_decref(o);
	return text;
}
