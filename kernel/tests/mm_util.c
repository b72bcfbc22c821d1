/*
 * Helpers for the tests of the allocators (kernel/tests/mm_util.h).
 *
 * They live here, not in kernel/mm/, so that the allocators a student reads hold only
 * what the kernel uses. All but one need nothing private: struct buddy's counts are
 * public, and a page source is built from buddy.h's interface. kheap_usable_size()
 * must check its pointer as kfree() does, which only kmalloc.c knows how to; it asks
 * kheap_locate() through kernel/mm/kmalloc_internal.h, which only kmalloc.c and this
 * file include.
 */
#include "tests/mm_util.h"

#include "mm/kmalloc_internal.h"

size_t buddy_free_pages(const struct buddy *b)
{
	return b->free_pages;
}

size_t buddy_free_blocks(const struct buddy *b, unsigned order)
{
	return order <= BUDDY_MAX_ORDER ? b->free_blocks[order] : 0;
}

/* ---- A page source backed by a buddy allocator ---- */

static void *buddy_source_alloc(void *ctx, unsigned order, uint32_t owner)
{
	void *block = buddy_alloc(ctx, order);
	if (block)
		buddy_set_owner(ctx, block, owner);
	return block;
}

static void buddy_source_free(void *ctx, void *block, unsigned order)
{
	buddy_free(ctx, block, order);
}

static bool buddy_source_find(void *ctx, const void *addr, struct buddy_block *out)
{
	return buddy_find_block(ctx, addr, out);
}

struct kheap_pages kheap_pages_from_buddy(struct buddy *b)
{
	return (struct kheap_pages){buddy_source_alloc, buddy_source_free, buddy_source_find, b};
}

/* ---- Heaps ---- */

size_t kheap_usable_size(struct kheap *h, const void *p)
{
	struct located at = kheap_locate(h, p, "kheap_usable_size", MM_CALLER());
	return at.large ? (size_t)PAGE_SIZE << at.block.order : at.class->size;
}
