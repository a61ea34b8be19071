/*
 * host.c - which accelerators share a host.
 *
 * "The same host" means: the same kernel (boot id), the same mount namespace
 * (so the same /dev/shm), the same network namespace (so that accelerators in
 * separate network namespaces behave as separate hosts) and the same user.
 * PODFAB_HOSTS=N (or its older name PODFAB_HYBRID_HOSTS) instead makes
 * accelerators id / N one host: a job of several "hosts" on one machine.
 *
 * The hybrid transport reaches the accelerators of its host through shared
 * memory; the timing modes keep one timing region per host (lib/timing/shared.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_internal.h"

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;
}

int pf_host_key(int id, uint64_t *out)
{
	const char *name = "PODFAB_HOSTS", *g = getenv(name);
	if (!g || !*g) {
		name = "PODFAB_HYBRID_HOSTS";
		g = getenv(name);
	}
	if (g && *g && strcmp(g, "auto")) {
		char *end;
		long per = strtol(g, &end, 10);
		if (*end || per < 1 || per > PF_MAX_ACCELS || g[0] == '+' || g[0] == ' ')
			return pf_err(PODFAB_EENV, "%s='%.32s' is neither auto nor a number of accelerators per host (1-%d)",
				      name, g, PF_MAX_ACCELS);
		*out = 0x9e3779b97f4a7c15ull * (uint64_t)(id / per + 1);
		return 0;
	}
	uint64_t h = 0xcbf29ce484222325ull;
	char buf[128] = "";
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (f) {
		if (!fgets(buf, sizeof buf, f))
			buf[0] = '\0';
		fclose(f);
	}
	if (!buf[0]) /* no /proc: the host name stands in for the kernel */
		gethostname(buf, sizeof buf - 1);
	h = fnv(h, buf);
	static const char *const ns[] = {"/proc/self/ns/mnt", "/proc/self/ns/net"};
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		ssize_t l = readlink(ns[i], buf, sizeof buf - 1);
		buf[l > 0 ? l : 0] = '\0';
		h = fnv(h, buf);
	}
	snprintf(buf, sizeof buf, "uid %u", (unsigned)geteuid());
	*out = fnv(h, buf);
	return 0;
}
