/*
 * Symbol lookup over the sorted table that kernel/scripts/mksyms.py generates: a count,
 * an array of start addresses, and the names as consecutive NUL-terminated strings.
 */
#include "lib/ksyms.h"

#include "lib/string.h"

extern const uint64_t ksyms_count;
extern const uint64_t ksyms_addrs[];
extern const char ksyms_names[];
extern const char kernel_start[], kernel_text_end[];

static const char *name_at(uint64_t index)
{
	const char *p = ksyms_names;
	for (uint64_t i = 0; i < index; i++)
		p += strlen(p) + 1;
	return p;
}

const char *ksym_lookup(uintptr_t addr, uintptr_t *offset)
{
	if (addr < (uintptr_t)kernel_start || addr >= (uintptr_t)kernel_text_end ||
	    ksyms_count == 0 || addr < ksyms_addrs[0])
		return NULL;
	uint64_t lo = 0, hi = ksyms_count; /* the answer is in [lo, hi) */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (ksyms_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksyms_addrs[lo];
	return name_at(lo);
}

uintptr_t ksym_address(const char *name)
{
	const char *p = ksyms_names;
	for (uint64_t i = 0; i < ksyms_count; i++) {
		if (strcmp(p, name) == 0)
			return ksyms_addrs[i];
		p += strlen(p) + 1;
	}
	return 0;
}
