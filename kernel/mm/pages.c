/*
 * The kernel's page allocator: the one buddy allocator over all free memory, behind
 * the lock "pages" (kernel/mm/pages.h). Every call takes the lock around one buddy
 * operation, except single pages: those go through a cache on each hart first
 * (kernel/mm/pagecache.c), which takes this lock only to move a batch of pages.
 */
#include "mm/pages.h"

#include "debug/context_check.h"
#include "debug/panic.h"
#include "dev/bootargs.h"
#include "dev/console.h"
#include "hart/hart.h"
#include "lib/string.h"
#include "mm/bump.h"
#include "mm/pagecache.h"
#include "mm/pages_internal.h"
#include "sync/spinlock.h"

/* MM_DEBUG in kernel/mm/mm_port.h; mmdebug= sets it, in pages_init(). */
bool mm_debug = CONFIG_DEBUG;

struct kpages kpages = {.lock = SPINLOCK_INIT("pages")};

static void require_ready(const char *what, void *caller)
{
	if (!kpages.ready)
		panic("%s() called before the page allocator took over memory (the handover, "
		      "phase production); use boot_alloc() before it (called from %pS)",
		      what, caller);
}

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

void pages_init(const struct buddy_run *runs, size_t nruns)
{
	if (kpages.ready)
		panic("pages_init() called twice (from %pS)", __builtin_return_address(0));
	char value[8];
	if (bootarg("mmdebug", value, sizeof value))
		mm_debug = strcmp(value, "0") != 0;
	buddy_init(&kpages.buddy, runs, nruns, boot_alloc);
	pagecache_init();
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
	void *p = order == 0 && kpages.caching ? pagecache_alloc(caller)
	                                       : locked_alloc(order, caller);
	if (!p) {
		/* The pages may be in other harts' caches, where they also keep buddies
		   from merging: give them all back and try once more. */
		pagecache_drain_all();
		p = locked_alloc(order, caller);
	}
	return p;
}

void page_free(void *block, unsigned order)
{
	void *caller = __builtin_return_address(0);
	assert_may_allocate();
	require_ready("page_free", caller);
	if (order == 0 && kpages.caching && pagecache_free(block, caller))
		return;
	locked_free(block, order, caller);
}

void page_set_owner(void *block, uint32_t owner)
{
	/* Sound without the lock: the caller holds the block, and the buddy allocator
	   writes an allocated block's metadata only when it is freed. */
	buddy_set_owner(&kpages.buddy, block, owner);
}

bool page_find_block(const void *addr, struct buddy_block *out)
{
	spin_lock(&kpages.lock);
	bool found = buddy_find_block(&kpages.buddy, addr, out);
	spin_unlock(&kpages.lock);
	return found;
}

struct pages_stats pages_stats(void)
{
	struct pages_stats s = {0};
	spin_lock(&kpages.lock);
	s.buddy = buddy_stats(&kpages.buddy);
	spin_unlock(&kpages.lock);
	s.cached_pages = pagecache_stats().pages;
	return s;
}

size_t pages_free_count(void)
{
	struct pages_stats s = pages_stats();
	return s.buddy.free_pages + s.cached_pages;
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
	pagecache_print_stats();
	printf("pages: mm_debug %s\n", mm_debug ? "on" : "off");
}
