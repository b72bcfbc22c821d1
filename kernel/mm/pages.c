/*
 * The kernel's page allocator: the one buddy allocator, its lock, and the per-hart
 * page caches (kernel/mm/pages.h).
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
#include "mm/pages.h"

#include "debug/context_check.h"
#include "debug/panic.h"
#include "dev/bootargs.h"
#include "dev/console.h"
#include "hart/hart.h"
#include "lib/string.h"
#include "mm/bump.h"
#include "sync/spinlock.h"

#define PAGE_OWNER_CACHED 0x63616368u /* "cach": the block sits in a hart's cache */

_Static_assert(PAGE_CACHE_BATCH <= PAGE_CACHE_MAX / 2, "a refill must leave room for frees");

/* MM_DEBUG in kernel/mm/mm_port.h; mmdebug= sets it, in pages_init(). */
bool mm_debug = CONFIG_DEBUG;

struct page_cache {
	struct spinlock lock;
	uint32_t count;
	/* A stack: the page freed last is handed out first, while it is likely still in
	   the data cache. */
	void *pages[PAGE_CACHE_MAX];
	uint64_t hits, frees, refills, drains;
};

/* One lock per cache, named after its hart so that spin_stats_print() tells them apart. */
#define CACHE(n) [n] = {.lock = SPINLOCK_INIT("pagecache" #n)}
_Static_assert(MAX_HARTS == 8, "name one cache lock per hart below");

/* One global instance; gdb's buddy-free (.gdbinit) reads kpages.buddy. */
struct {
	struct spinlock lock; /* guards buddy */
	struct buddy buddy;
	bool ready;
	volatile bool caching;
	struct page_cache caches[MAX_HARTS];
} kpages = {
        .lock = SPINLOCK_INIT("pages"),
        .caches = {CACHE(0), CACHE(1), CACHE(2), CACHE(3), CACHE(4), CACHE(5), CACHE(6), CACHE(7)},
};

static void require_ready(const char *what, void *caller)
{
	if (!kpages.ready)
		panic("%s() called before the page allocator took over memory (the handover, "
		      "phase production); use boot_alloc() before it (called from %pS)",
		      what, caller);
}

static struct page_cache *my_cache(void)
{
	return &kpages.caches[this_hart()->id];
}

/* ---- Under the buddy lock ---- */

static void *locked_alloc(unsigned order, void *caller)
{
	spin_lock(&kpages.lock);
	void *p = buddy_alloc_from(&kpages.buddy, order, caller);
	spin_unlock(&kpages.lock);
	return p;
}

static void locked_free(void *block, unsigned order, void *caller)
{
	spin_lock(&kpages.lock);
	buddy_free_from(&kpages.buddy, block, order, caller);
	spin_unlock(&kpages.lock);
}

/* ---- The caches ---- */

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

static void *cache_alloc(void *caller)
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

/*
 * Caller must hold the single page p and pass it through cacheable() first, which read
 * its tag as `owner`.
 */
static void cache_free(void *p, uint32_t owner, void *caller)
{
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
}

/* ---- The interface ---- */

void pages_init(const struct buddy_run *runs, size_t nruns)
{
	if (kpages.ready)
		panic("pages_init() called twice (from %pS)", __builtin_return_address(0));
	char value[8];
	if (bootarg("mmdebug", value, sizeof value))
		mm_debug = strcmp(value, "0") != 0;
	buddy_init(&kpages.buddy, runs, nruns, boot_alloc);
	kpages.caching = true;
	kpages.ready = true;
}

bool pages_ready(void)
{
	return kpages.ready;
}

void *page_alloc(unsigned order)
{
	void *caller = __builtin_return_address(0);
	assert_may_allocate();
	require_ready("page_alloc", caller);
	void *p = order == 0 && kpages.caching ? cache_alloc(caller) : locked_alloc(order, caller);
	if (!p) {
		/* The pages may be in other harts' caches, where they also keep buddies
		   from merging: give them all back and try once more. */
		pages_drain_caches();
		p = locked_alloc(order, caller);
	}
	return p;
}

void page_free(void *block, unsigned order)
{
	void *caller = __builtin_return_address(0);
	assert_may_allocate();
	require_ready("page_free", caller);
	uint32_t owner;
	if (order == 0 && kpages.caching && cacheable(block, caller, &owner))
		cache_free(block, owner, caller);
	else
		locked_free(block, order, caller);
}

void page_set_owner(void *block, uint32_t owner)
{
	/* Sound without the lock for a block the caller holds (see the top of the file). */
	buddy_set_owner(&kpages.buddy, block, owner);
}

bool page_find_block(const void *addr, struct buddy_block *out)
{
	spin_lock(&kpages.lock);
	bool found = buddy_find_block(&kpages.buddy, addr, out);
	spin_unlock(&kpages.lock);
	return found;
}

void pages_check(void)
{
	spin_lock(&kpages.lock);
	buddy_check(&kpages.buddy);
	spin_unlock(&kpages.lock);
}

void pages_drain_caches(void)
{
	void *caller = __builtin_return_address(0);
	for (int i = 0; i < MAX_HARTS; i++) {
		struct page_cache *c = &kpages.caches[i];
		spin_lock(&c->lock);
		drain(c, c->count, caller);
		spin_unlock(&c->lock);
	}
}

bool pages_set_caching(bool on)
{
	bool was = kpages.caching;
	kpages.caching = on;
	if (!on)
		pages_drain_caches();
	return was;
}

struct pages_stats pages_stats(void)
{
	struct pages_stats s = {0};
	spin_lock(&kpages.lock);
	s.buddy = buddy_stats(&kpages.buddy);
	spin_unlock(&kpages.lock);
	for (int i = 0; i < MAX_HARTS; i++) {
		const struct page_cache *c = &kpages.caches[i];
		/* A snapshot: each counter is written only under that cache's lock. */
		s.cached_pages += c->count;
		s.cache_hits += c->hits;
		s.cache_frees += c->frees;
		s.refills += c->refills;
		s.drains += c->drains;
	}
	return s;
}

struct spin_stats pages_lock_stats(void)
{
	return spin_stats(&kpages.lock);
}

size_t pages_free_count(void)
{
	struct pages_stats s = pages_stats();
	return s.buddy.free_pages + s.cached_pages;
}

size_t pages_managed_count(void)
{
	return kpages.buddy.managed_pages; /* fixed since pages_init() */
}

void pages_print_stats(void)
{
	if (!kpages.ready) {
		printf("pages: the page allocator has not taken over yet\n");
		return;
	}
	/* Print from a copy, so that no lock is held (interrupts off) while printing. */
	spin_lock(&kpages.lock);
	struct buddy copy = kpages.buddy;
	spin_unlock(&kpages.lock);
	buddy_print_stats(&copy);
	struct pages_stats s = pages_stats();
	printf("pages: %zu more free pages in the harts' caches:", s.cached_pages);
	for (int i = 0; i < MAX_HARTS; i++)
		if (harts[i].online)
			printf(" hart %d: %u", i, kpages.caches[i].count);
	printf("\npages: caches served %lu allocations and kept %lu frees; %lu refills, "
	       "%lu drains; mm_debug %s\n",
	       s.cache_hits, s.cache_frees, s.refills, s.drains, mm_debug ? "on" : "off");
}
