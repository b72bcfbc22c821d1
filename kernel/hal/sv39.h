/*
 * Sv39 paging as the hardware defines it (RISC-V privileged spec v1.12, section
 * "Sv39: Page-Based 39-bit Virtual-Memory System"): the page-table entry format, how a
 * virtual address splits into three 9-bit indices and an offset, and the two
 * instructions that matter, writing satp and sfence.vma. Code above kernel/hal/ builds
 * and walks tables through these names and never writes satp itself.
 *
 *   virtual address:  [63..39 = copies of bit 38][38..30 L2][29..21 L1][20..12 L0][11..0]
 *   entry:            [53..10 physical page number][9..8 software][7 D][6 A][5 G][4 U]
 *                     [3 X][2 W][1 R][0 V]
 *
 * An entry with V set and R, W and X all clear points at the next level's table; an
 * entry with any of R, W, X set is a leaf (a 4 KiB page at level 0, a 2 MiB or 1 GiB
 * page above).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hal/csr.h"

typedef uint64_t pte_t;

#define PTE_V (1UL << 0) /* valid */
#define PTE_R (1UL << 1) /* readable */
#define PTE_W (1UL << 2) /* writable */
#define PTE_X (1UL << 3) /* executable */
#define PTE_U (1UL << 4) /* user mode may access; S-mode may not fetch from it */
#define PTE_G (1UL << 5) /* global: in every address space */
#define PTE_A (1UL << 6) /* accessed */
#define PTE_D (1UL << 7) /* dirty */

/* The bits a mapping chooses; V, A and D are set by the code that writes the entry. */
#define PTE_PERM_BITS          (PTE_R | PTE_W | PTE_X | PTE_U | PTE_G)

#define SV39_LEVELS            3
#define SV39_ENTRIES           512 /* entries per table: one 4 KiB page of 8-byte entries */
#define SV39_PAGE_SHIFT        12
#define SV39_PAGE_SIZE         (1UL << SV39_PAGE_SHIFT)
#define SV39_VA_BITS           39
#define SV39_LEVEL_SPAN(level) (1UL << (SV39_PAGE_SHIFT + 9 * (level))) /* 4K, 2M, 1G */

/* satp: MODE in bits 63..60 (8 = Sv39), ASID in 59..44, the root table's PPN below. */
#define SATP_MODE_SV39 (8UL << 60)

_Static_assert(sizeof(pte_t) * SV39_ENTRIES == SV39_PAGE_SIZE, "a table fills one page");

/* The index into the level-`level` table (2 = root) that translates va. */
static inline unsigned sv39_index(uintptr_t va, int level)
{
	return (unsigned)(va >> (SV39_PAGE_SHIFT + 9 * level)) & (SV39_ENTRIES - 1);
}

/* True if va is canonical: bits 63..39 all equal bit 38, as the hardware requires. */
static inline bool sv39_va_valid(uintptr_t va)
{
	int64_t top = (int64_t)va >> (SV39_VA_BITS - 1);
	return top == 0 || top == -1;
}

static inline uintptr_t pte_address(pte_t pte)
{
	return (uintptr_t)((pte >> 10) << SV39_PAGE_SHIFT);
}

static inline pte_t pte_make(uintptr_t pa, uint64_t bits)
{
	return ((pte_t)(pa >> SV39_PAGE_SHIFT) << 10) | bits;
}

static inline bool pte_valid(pte_t pte)
{
	return (pte & PTE_V) != 0;
}

/* A valid entry that maps memory, rather than pointing at the next table. */
static inline bool pte_is_leaf(pte_t pte)
{
	return pte_valid(pte) && (pte & (PTE_R | PTE_W | PTE_X)) != 0;
}

/*
 * Makes the table at physical address root the translation of this hart, and throws
 * away every translation the hart had cached. Caller must make sure that the code
 * running, its stack and everything it touches next are mapped at the same addresses in
 * the new table (Sprout's kernel map is direct: virtual = physical for RAM), and that
 * root stays a valid table for as long as any hart uses it.
 */
static inline void sv39_switch_to(uintptr_t root)
{
	__asm__ volatile("sfence.vma zero, zero" ::: "memory");
	csr_write(satp, SATP_MODE_SV39 | (root >> SV39_PAGE_SHIFT));
	__asm__ volatile("sfence.vma zero, zero" ::: "memory");
}

/* The root table this hart translates through, or 0 while paging is off. */
static inline uintptr_t sv39_current_root(void)
{
	uint64_t satp = csr_read(satp);
	if ((satp >> 60) != 8)
		return 0;
	return (uintptr_t)((satp & ((1UL << 44) - 1)) << SV39_PAGE_SHIFT);
}

/*
 * Drops this hart's cached translation of va (all of them for va == 0 with all = true).
 * Caller must call it after changing or removing an entry that this hart may have
 * cached; other harts need sbi_remote_sfence_vma().
 */
static inline void sv39_flush_page(uintptr_t va)
{
	__asm__ volatile("sfence.vma %0, zero" ::"r"(va) : "memory");
}

static inline void sv39_flush_all(void)
{
	__asm__ volatile("sfence.vma zero, zero" ::: "memory");
}

/*
 * Reads the entries that translate va in the table at root, one per level from the
 * root down, into out[0..2] (out[0] is the root's entry); stops at the first leaf or
 * invalid entry and returns how many it read. For fault reports: it takes the tables'
 * physical addresses as readable, which holds for Sprout's direct kernel map. Caller
 * must pass the root of a well-formed table.
 */
static inline int sv39_entries_for(uintptr_t root, uintptr_t va, pte_t out[SV39_LEVELS])
{
	uintptr_t table = root;
	for (int level = SV39_LEVELS - 1, n = 0; level >= 0; level--) {
		pte_t pte = ((const volatile pte_t *)table)[sv39_index(va, level)];
		out[n++] = pte;
		if (!pte_valid(pte) || pte_is_leaf(pte))
			return n;
		table = pte_address(pte);
	}
	return SV39_LEVELS;
}
