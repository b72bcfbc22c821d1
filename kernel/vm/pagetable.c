/*
 * Sv39 page tables (kernel/vm/pagetable.h): walking the tree, mapping and unmapping
 * ranges of 4 KiB pages, destroying a tree. Tables are pages of the page allocator,
 * read and written through the direct map.
 */
#include "vm/pagetable.h"

#include "config.h"
#include "debug/lab.h"
#include "debug/panic.h"
#include "lib/string.h"
#include "mm/pages.h"

_Static_assert(PAGE_SIZE == SV39_PAGE_SIZE, "the kernel's page is the hardware's");

/* A zeroed page for a table, or NULL. */
static pagetable_t table_alloc(void)
{
	pagetable_t t = page_alloc(0);
	if (t)
		memset(t, 0, PAGE_SIZE);
	return t;
}

/* The table an entry points at (entries hold physical addresses: the direct map). */
static pagetable_t table_of(pte_t pte)
{
	return (pagetable_t)pte_address(pte);
}

pagetable_t pt_create(void)
{
	return table_alloc();
}

pte_t *pt_walk(pagetable_t pt, uintptr_t va, bool alloc)
{
	if (!sv39_va_valid(va))
		panic("pt_walk: 0x%lx is not a canonical Sv39 address (called from %pS)", va,
		      __builtin_return_address(0));
	// LAB vm: BEGIN
	/* From the root (level 2) down to the level-1 table, whose entry names level 0's. */
	for (int level = SV39_LEVELS - 1; level > 0; level--) {
		pte_t *pte = &pt[sv39_index(va, level)];
		if (pte_is_leaf(*pte))
			panic("pt_walk: 0x%lx lies in a %lu KiB page at level %d, which this "
			      "kernel never makes",
			      va, SV39_LEVEL_SPAN(level) >> 10, level);
		if (!pte_valid(*pte)) {
			if (!alloc)
				return NULL;
			pagetable_t next = table_alloc();
			if (next == NULL)
				return NULL;
			/* A pointer to the next level: V alone, no R, W or X. */
			*pte = pte_make((uintptr_t)next, PTE_V);
		}
		pt = table_of(*pte);
	}
	return &pt[sv39_index(va, 0)];
	// LAB vm: STUB
	// /* Your code here: see docs/labs/6-vm.md. */
	// (void)pt;
	// (void)alloc;
	// (void)table_alloc;
	// (void)table_of;
	// lab_missing("paging", "docs/labs/6-vm.md");
	// LAB vm: END
}

/* Checks pt_map()'s and pt_unmap()'s contract: a misuse is a kernel bug, named here. */
static void check_range(const char *op, uintptr_t va, uintptr_t pa, size_t size, void *caller)
{
	if (size == 0 || (va | pa | size) % PAGE_SIZE != 0 || va + size < va ||
	    !sv39_va_valid(va) || !sv39_va_valid(va + size - 1))
		panic("%s(va 0x%lx, pa 0x%lx, size 0x%lx): not a page-aligned canonical range "
		      "(called from %pS)",
		      op, va, pa, size, caller);
}

int pt_map(pagetable_t pt, uintptr_t va, uintptr_t pa, size_t size, uint64_t perm)
{
	check_range("pt_map", va, pa, size, __builtin_return_address(0));
	if ((perm & (PTE_R | PTE_W | PTE_X)) == 0 || (perm & ~PTE_PERM_BITS) != 0)
		panic("pt_map: permission 0x%lx is not a leaf's (called from %pS)", perm,
		      __builtin_return_address(0));
	// LAB vm: BEGIN
	/* A and D set now: no hardware has to fault or write them on first use. */
	uint64_t bits = perm | PTE_V | PTE_A | ((perm & PTE_W) ? PTE_D : 0);
	for (size_t done = 0; done < size; done += PAGE_SIZE) {
		pte_t *pte = pt_walk(pt, va + done, true);
		int error = pte == NULL ? PT_NO_MEMORY : pte_valid(*pte) ? PT_MAPPED : PT_OK;
		if (error != PT_OK) {
			if (done)
				pt_unmap(pt, va, done, false);
			return error;
		}
		*pte = pte_make(pa + done, bits);
	}
	return PT_OK;
	// LAB vm: STUB
	// /* Your code here: see docs/labs/6-vm.md. */
	// (void)pt;
	// lab_missing("paging", "docs/labs/6-vm.md");
	// LAB vm: END
}

void pt_unmap(pagetable_t pt, uintptr_t va, size_t size, bool free_pages)
{
	check_range("pt_unmap", va, 0, size, __builtin_return_address(0));
	// LAB vm: BEGIN
	for (size_t done = 0; done < size; done += PAGE_SIZE) {
		pte_t *pte = pt_walk(pt, va + done, false);
		if (pte == NULL || !pte_valid(*pte))
			panic("pt_unmap: 0x%lx is not mapped (called from %pS)", va + done,
			      __builtin_return_address(0));
		if (free_pages)
			page_free((void *)pte_address(*pte), 0);
		*pte = 0;
	}
	// LAB vm: STUB
	// /* Your code here: see docs/labs/6-vm.md. */
	// (void)pt;
	// (void)free_pages;
	// lab_missing("paging", "docs/labs/6-vm.md");
	// LAB vm: END
}

/* Frees the table t at `level` and every table below it. */
static void destroy_level(pagetable_t t, int level)
{
	if (level > 0)
		for (int i = 0; i < SV39_ENTRIES; i++)
			if (pte_valid(t[i]) && !pte_is_leaf(t[i]))
				destroy_level(table_of(t[i]), level - 1);
	page_free(t, 0);
}

void pt_destroy(pagetable_t pt)
{
	destroy_level(pt, SV39_LEVELS - 1);
}

bool pt_translate(pagetable_t pt, uintptr_t va, uintptr_t *pa, uint64_t *perm)
{
	if (!sv39_va_valid(va))
		return false;
	pte_t *pte = pt_walk(pt, va, false);
	if (pte == NULL || !pte_is_leaf(*pte))
		return false;
	if (pa)
		*pa = pte_address(*pte) + va % PAGE_SIZE;
	if (perm)
		*perm = *pte & PTE_PERM_BITS;
	return true;
}

/* The virtual address that index i of a table at `level` starts, under `base`. */
static uintptr_t va_of(uintptr_t base, unsigned i, int level)
{
	uintptr_t va = base + ((uintptr_t)i << (SV39_PAGE_SHIFT + 9 * level));
	/* Bit 38 set at the root: the upper half, whose addresses are sign-extended. */
	if (level == SV39_LEVELS - 1 && i >= SV39_ENTRIES / 2)
		va |= ~((1UL << SV39_VA_BITS) - 1);
	return va;
}

static void leaves_of(pagetable_t t, int level, uintptr_t base, uintptr_t lo, uintptr_t hi,
                      void (*fn)(uintptr_t, pte_t *, void *), void *ctx)
{
	for (unsigned i = 0; i < SV39_ENTRIES; i++) {
		uintptr_t va = va_of(base, i, level);
		uintptr_t span = SV39_LEVEL_SPAN(level);
		if (!pte_valid(t[i]) || va + span - 1 < lo || va >= hi)
			continue;
		if (pte_is_leaf(t[i]))
			fn(va, &t[i], ctx);
		else if (level > 0)
			leaves_of(table_of(t[i]), level - 1, va, lo, hi, fn, ctx);
	}
}

void pt_for_each_leaf(pagetable_t pt, uintptr_t lo, uintptr_t hi,
                      void (*fn)(uintptr_t va, pte_t *pte, void *ctx), void *ctx)
{
	leaves_of(pt, SV39_LEVELS - 1, 0, lo, hi, fn, ctx);
}

static size_t count_level(pagetable_t t, int level)
{
	size_t n = 1;
	if (level > 0)
		for (int i = 0; i < SV39_ENTRIES; i++)
			if (pte_valid(t[i]) && !pte_is_leaf(t[i]))
				n += count_level(table_of(t[i]), level - 1);
	return n;
}

size_t pt_count_tables(pagetable_t pt)
{
	return count_level(pt, SV39_LEVELS - 1);
}
