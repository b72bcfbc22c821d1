/*
 * The kernel's own symbol table, so that panics and trap reports can say
 * "boot_alloc+0x44" instead of a bare address (printf's %pS). The table is generated at build time
 * (kernel/scripts/mksyms.py) and linked into the second link of the kernel.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Returns the function containing addr and sets *offset, or NULL if none does. */
const char *ksym_lookup(uintptr_t addr, uintptr_t *offset);

/* Returns the address of the named function, or 0. */
uintptr_t ksym_address(const char *name);
