/*
 * The kernel's page table (lab 6): RAM mapped directly (virtual address = physical
 * address), each part of the kernel image with only the permissions it needs, and every
 * device the kernel drives, taken from the device tree. Every hart translates through
 * it from the paging boot step on; user address spaces (kernel/vm/addrspace.h) share
 * its entries for the low 4 GiB.
 *
 * Thread stacks made after that step get a guard page: the page below the stack is
 * unmapped, so an overflow faults on the instruction that crosses it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm/pagetable.h"

/*
 * Boot hart, production phase, once: builds the kernel map and switches every online
 * hart to it. Panics if memory runs out (the kernel cannot run without it).
 */
void kvm_init(void);

/* True once every hart translates through the kernel map. */
bool kvm_enabled(void);

/* The kernel map's root table (NULL before kvm_init()). */
pagetable_t kvm_root(void);

/*
 * Makes every hart forget its cached translations of [va, va + size): this hart with
 * sfence.vma, the others through the firmware. Any thread; not from a trap handler.
 */
void kvm_flush(uintptr_t va, size_t size);

/*
 * For a thread stack of `size` bytes at region_lo (page-aligned): once paging is on,
 * unmaps its lowest page, flushes every hart and returns the lowest usable address,
 * region_lo + PAGE_SIZE; before that, returns region_lo. kvm_unguard() maps the page
 * again before the region goes back to its allocator. Caller must own the region.
 */
uintptr_t kvm_guard_stack(uintptr_t region_lo);
void kvm_unguard_stack(uintptr_t region_lo);

/* Checks the kernel map's rule that no page is both writable and executable, and that
   the image's parts have their permissions; NULL if it holds, else what is wrong. */
const char *kvm_check(void);
