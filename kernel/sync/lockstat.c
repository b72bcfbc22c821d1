/*
 * Per-lock contention statistics and the list of all locks that spin_stats_print()
 * walks. The counters of a lock are updated by its holder only, so they need no lock
 * of their own; the list has a raw lock, because registering happens inside
 * spin_lock(), where taking a spinlock would recurse.
 */
#include "sync/lockstat.h"

#include <stddef.h>

#include "dev/console.h"
#include "hal/atomic.h"
#include "sync/irqnest.h"
#include "sync/spinlock.h"

static struct spinlock *all_locks;
static volatile uint32_t list_busy;

/* Interrupts off while the list is ours: a handler on this hart may register a lock. */
static void list_lock(void)
{
	irq_push();
	while (atomic_swap_acquire(&list_busy, 1) != 0)
		cpu_relax();
}

static void list_unlock(void)
{
	atomic_store_release(&list_busy, 0);
	irq_pop();
}

static struct spinlock **find(struct spinlock *lk)
{
	struct spinlock **p = &all_locks;
	while (*p && *p != lk)
		p = &(*p)->next;
	return p;
}

void lockstat_register(struct spinlock *lk)
{
	list_lock();
	/* spin_init() on memory that held a registered lock must not list it twice. */
	struct spinlock **p = find(lk);
	if (*p == NULL) {
		lk->next = NULL;
		*p = lk;
	}
	lk->registered = true;
	list_unlock();
}

void lockstat_unregister(struct spinlock *lk)
{
	list_lock();
	struct spinlock **p = find(lk);
	if (*p)
		*p = lk->next;
	lk->registered = false;
	list_unlock();
}

void lockstat_acquired(struct spinlock *lk, uint64_t spins)
{
	/* A lock made with SPINLOCK_INIT joins the list the first time it is taken. */
	if (!lk->registered)
		lockstat_register(lk);
	lk->stats.acquisitions++;
	if (spins) {
		lk->stats.contended++;
		lk->stats.spins += spins;
		if (spins > lk->stats.max_spins)
			lk->stats.max_spins = spins;
	}
}

struct spin_stats spin_stats(const struct spinlock *lk)
{
	return lk->stats;
}

void spin_stats_print(void)
{
	printf("spinlock statistics:\n");
	printf("  %-20s %12s %10s %12s %10s\n", "lock", "acquisitions", "contended", "spins",
	       "max spins");
	list_lock();
	for (struct spinlock *lk = all_locks; lk; lk = lk->next)
		printf("  %-20s %12lu %10lu %12lu %10lu\n", lk->name ? lk->name : "(unnamed)",
		       lk->stats.acquisitions, lk->stats.contended, lk->stats.spins,
		       lk->stats.max_spins);
	list_unlock();
}
