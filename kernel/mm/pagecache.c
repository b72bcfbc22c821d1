/*
 * The per-hart page caches in front of the page allocator (kernel/mm/pagecache.h).
 *
 * Why caches. Every buddy operation needs the lock "pages"; harts that allocate and
 * free pages at the same time queue on it (spin_stats_print() shows how often one
 * found it taken). So each hart keeps a cache of up to PAGE_CACHE_MAX free single
 * pages: page_alloc(0) takes one from it and page_free(p, 0) puts one back, under the
 * cache's own lock, which other harts take only to drain it, so it is almost never
 * contended. Only a cache that runs empty (refill) or full (drain) takes the buddy
 * lock, and then it moves PAGE_CACHE_BATCH pages at once: one acquisition for 16
 * operations at worst. Only order 0 is cached: single pages are what most callers
 * want, and caching larger blocks would hide more memory from merging.
 *
 * What a cached page is. To the buddy allocator it is allocated, with the owner tag
 * PAGE_OWNER_CACHED; to everyone else it is free (pages_free_count() counts it). The
 * tag makes a second page_free() of a cached page visible, and with mm_debug a cached
 * page carries the poison like any free page.
 *
 * Checking a free without the lock. page_free(p, 0) must refuse misuse before it
 * caches p, and it must not take the buddy lock to do so. It reads p's metadata
 * (buddy_find_block) without that lock. That is sound for a correct caller: p is then
 * an allocated block that only the caller may free, and the buddy allocator writes an
 * allocated block's metadata only when it is freed. When the read does not show an
 * allocated single page (a double free, a wrong order, a stray pointer), the free goes
 * the slow way, under the lock, where buddy_free() says exactly what is wrong. Two
 * harts freeing the same page at the same instant can both get past the check, so the
 * page is claimed for a cache by swapping its tag atomically (buddy_swap_owner): one
 * wins, the other reports the double free. What remains is an ABA: a free that stalls
 * between its check and its claim while the page is freed and allocated again by
 * others; the poison check usually catches what follows.
 *
 * Which cache. A thread reads its hart's id and then takes that cache's lock; if it
 * is moved to another hart in between, it uses the first hart's cache, under its lock:
 * slower for once, never wrong.
 */
#include "mm/pagecache.h"

#include "config.h"
#include "debug/panic.h"
#include "dev/console.h"
#include "hart/hart.h"
#include "lib/format.h"
#include "lib/string.h"
#include "mm/pages_internal.h"
#include "sync/spinlock.h"

#define PAGE_OWNER_CACHED 0x63616368u /* "cach": the block sits in a hart's cache */

_Static_assert(PAGE_CACHE_BATCH <= PAGE_CACHE_MAX / 2, "a refill must leave room for frees");

struct page_cache {
	struct spinlock lock;
	char name[16]; /* the lock's: "pagecache<hart>", so spin_stats_print() tells them apart */
	uint32_t count;
	/* A stack: the page freed last is handed out first, while it is likely still in
	   the data cache. */
	void *pages[PAGE_CACHE_MAX];
	uint64_t hits, frees, refills, drains;
};

/* One cache per hart; gdb's buddy-free (.gdbinit) reads their counts. */
struct page_cache pagecaches[MAX_HARTS];

static struct page_cache *my_cache(void)
{
	return &pagecaches[this_hart()->id];
}

/* Caller must hold c->lock, with c empty: moves up to a batch of pages into c. */
static void refill(struct page_cache *c, void *caller)
{
	spin_lock(&kpages.lock);
	while (c->count < PAGE_CACHE_BATCH) {
		void *p = buddy_alloc_from(&kpages.buddy, 0, caller);
		if (!p)
			break;
		buddy_set_owner(&kpages.buddy, p, PAGE_OWNER_CACHED);
		c->pages[c->count++] = p;
	}
	spin_unlock(&kpages.lock);
	c->refills++;
}

/*
 * Panics if the cached page p was written while free. Caller must have taken p out of
 * a cache (or be about to give it back to the buddy allocator, which poisons it
 * afresh), so that all of it should still be poison.
 */
static void check_cached_poison(const void *p, const char *found, void *caller)
{
	size_t damage = mm_poison_find_damage(p, PAGE_SIZE, BUDDY_POISON);
	if (damage == PAGE_SIZE)
		return;
	panic("page_alloc: use after free: page %p was written while free (in a hart's page "
	      "cache): offset 0x%zx holds 0x%02x, not the poison 0x%02x (found %s %pS; the "
	      "culprit wrote through a stale pointer earlier)",
	      p, damage, ((const uint8_t *)p)[damage], BUDDY_POISON, found, caller);
}

/* Caller must hold c->lock: gives the n pages at the bottom of c (the oldest) back. */
static void drain(struct page_cache *c, uint32_t n, void *caller)
{
	if (n == 0)
		return;
	spin_lock(&kpages.lock);
	for (uint32_t i = 0; i < n; i++) {
		if (MM_DEBUG)
			check_cached_poison(c->pages[i], "when draining the cache for", caller);
		buddy_set_owner(&kpages.buddy, c->pages[i], BUDDY_OWNER_NONE);
		buddy_free(&kpages.buddy, c->pages[i], 0);
	}
	spin_unlock(&kpages.lock);
	memmove(c->pages, c->pages + n, (c->count - n) * sizeof c->pages[0]);
	c->count -= n;
	c->drains++;
}

/*
 * True if p reads as an allocated single page that is not in a cache, the case
 * page_free() may cache (see the top of this file on reading without the lock).
 */
static bool cacheable(void *p, void *caller, uint32_t *owner)
{
	struct buddy_block blk;
	if (!buddy_find_block(&kpages.buddy, p, &blk) || blk.start != (uintptr_t)p ||
	    !blk.allocated || blk.order != 0)
		return false;
	if (blk.owner == PAGE_OWNER_CACHED)
		panic("page_free(%p, order 0): double free: the page is already free, in a "
		      "hart's page cache (called from %pS)",
		      p, caller);
	*owner = blk.owner;
	return true;
}

/* ---- The interface ---- */

void pagecache_init(void)
{
	for (int i = 0; i < MAX_HARTS; i++) {
		struct page_cache *c = &pagecaches[i];
		snprintf(c->name, sizeof c->name, "pagecache%d", i);
		spin_init(&c->lock, c->name);
	}
}

void *pagecache_alloc(void *caller)
{
	struct page_cache *c = my_cache();
	spin_lock(&c->lock);
	if (c->count == 0)
		refill(c, caller);
	void *p = NULL;
	if (c->count > 0) {
		p = c->pages[--c->count];
		c->hits++;
	}
	spin_unlock(&c->lock);
	if (!p)
		return NULL;
	/* Sound without the buddy lock: the block is allocated, and ours now. */
	buddy_set_owner(&kpages.buddy, p, BUDDY_OWNER_NONE);
	if (MM_DEBUG)
		check_cached_poison(p, "when handing it to", caller);
	return p;
}

bool pagecache_free(void *p, void *caller)
{
	uint32_t owner;
	if (!cacheable(p, caller, &owner))
		return false;
	if (!buddy_swap_owner(&kpages.buddy, p, owner, PAGE_OWNER_CACHED))
		panic("page_free(%p, order 0): double free: another hart freed the page at the "
		      "same time (called from %pS)",
		      p, caller);
	if (MM_DEBUG)
		mm_poison_fill(p, PAGE_SIZE, BUDDY_POISON);
	struct page_cache *c = my_cache();
	spin_lock(&c->lock);
	if (c->count == PAGE_CACHE_MAX)
		drain(c, PAGE_CACHE_BATCH, caller);
	c->pages[c->count++] = p;
	c->frees++;
	spin_unlock(&c->lock);
	return true;
}

void pagecache_drain_all(void)
{
	void *caller = __builtin_return_address(0);
	for (int i = 0; i < MAX_HARTS; i++) {
		struct page_cache *c = &pagecaches[i];
		spin_lock(&c->lock);
		drain(c, c->count, caller);
		spin_unlock(&c->lock);
	}
}

struct pagecache_stats pagecache_stats(void)
{
	struct pagecache_stats s = {0};
	for (int i = 0; i < MAX_HARTS; i++) {
		const struct page_cache *c = &pagecaches[i];
		/* A snapshot: each counter is written only under that cache's lock. */
		s.pages += c->count;
		s.hits += c->hits;
		s.frees += c->frees;
		s.refills += c->refills;
		s.drains += c->drains;
	}
	return s;
}

void pagecache_print_stats(void)
{
	struct pagecache_stats s = pagecache_stats();
	printf("pages: %zu more free pages in the harts' caches:", s.pages);
	for (int i = 0; i < MAX_HARTS; i++)
		if (harts[i].online)
			printf(" hart %d: %u", i, pagecaches[i].count);
	printf("\npages: caches served %lu allocations and kept %lu frees; %lu refills, "
	       "%lu drains\n",
	       s.hits, s.frees, s.refills, s.drains);
}
