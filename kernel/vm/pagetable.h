/*
 * Sv39 page tables (lab 6): a tree of three levels of 4 KiB tables, each 512 entries,
 * that translates virtual addresses to physical ones (the entry format and address
 * split are in kernel/hal/sv39.h). Tables come from the page allocator (lab 5) and are
 * reached through the direct map: a table's physical address is also its address for
 * the kernel.
 *
 *   pagetable_t pt = pt_create();
 *   pt_map(pt, va, pa, 2 * PAGE_SIZE, PTE_R | PTE_W);   // two pages, read+write
 *   pt_translate(pt, va + 5, &pa5, &perm);                // pa5 == pa + 5
 *   pt_unmap(pt, va, 2 * PAGE_SIZE, false);              // the pages stay the caller's
 *   pt_destroy(pt);                                      // every table goes back
 *
 * Only 4 KiB leaves are made. Nothing here flushes a TLB: a caller that changes a table
 * some hart may be using flushes it (kernel/vm/kvm.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/sv39.h"

typedef pte_t *pagetable_t;

/* What pt_map() returns. */
enum pt_result {
	PT_OK = 0,
	PT_NO_MEMORY = -1, /* a table could not be allocated */
	PT_MAPPED = -2,    /* some page of the range was mapped already */
};

/* An empty table (one zeroed page), or NULL when memory is used up. Production phase. */
pagetable_t pt_create(void);

/*
 * The level-0 entry that translates va: its address in the level-0 table. When a table
 * on the way is missing, returns NULL, or with alloc allocates a zeroed one and links
 * it in (NULL if that allocation fails). Caller must pass a canonical va and must keep
 * other users of pt out while it may allocate.
 */
pte_t *pt_walk(pagetable_t pt, uintptr_t va, bool alloc);

/*
 * Maps [va, va + size) to [pa, pa + size) with permission bits perm (PTE_R, PTE_W,
 * PTE_X, PTE_U, PTE_G; at least one of R, W and X). Returns PT_OK, or an error after
 * undoing every mapping it made. Caller must pass page-aligned va, pa and size, size
 * above 0, and a range that stays canonical.
 */
int pt_map(pagetable_t pt, uintptr_t va, uintptr_t pa, size_t size, uint64_t perm);

/*
 * Removes the mappings of [va, va + size); with free_pages, gives each mapped page back
 * to the page allocator. Caller must pass a page-aligned range whose every page is
 * mapped (it panics otherwise, naming the page) and must flush TLBs that may hold them.
 * Tables that become empty stay, for pt_destroy() to free.
 */
void pt_unmap(pagetable_t pt, uintptr_t va, size_t size, bool free_pages);

/*
 * Frees every table of pt, the root too. The pages that leaves point at are not freed:
 * the caller unmaps the ones it owns first. Caller must make sure no hart uses pt.
 */
void pt_destroy(pagetable_t pt);

/* If va is mapped, stores its physical address and the leaf's permission bits (either
   pointer may be NULL) and returns true. */
bool pt_translate(pagetable_t pt, uintptr_t va, uintptr_t *pa, uint64_t *perm);

/*
 * Calls fn(va, pte, ctx) for every leaf that maps a page in [lo, hi), in address order;
 * fn may change or clear *pte. Caller must keep other users of pt out meanwhile.
 */
void pt_for_each_leaf(pagetable_t pt, uintptr_t lo, uintptr_t hi,
                      void (*fn)(uintptr_t va, pte_t *pte, void *ctx), void *ctx);

/* The number of tables in pt, the root included: for tests that count what a map made. */
size_t pt_count_tables(pagetable_t pt);
