/*
 * The bootstrap thread table and stack pool (kernel/sched/threadtable.h): a static array of
 * struct thread and a LIFO of stacks carved out of boot memory, each behind a lock.
 * Misuse that would give two threads one stack panics here, where it happens.
 *
 * From the production phase on (lab 5's handover) the table grows: a slot the array
 * cannot give comes from kmalloc(), a stack the pool cannot give from page_alloc(), and
 * each goes back where it came from. The static ones are used first: they are boot
 * memory that nothing else can use.
 */
#include "sched/threadtable.h"

#include "config.h"
#include "debug/panic.h"
#include "debug/phase.h"
#include "lib/string.h"
#include "mm/bump.h"
#include "mm/kmalloc.h"
#include "mm/pages.h"
#include "sched/thread.h"
#include "sync/spinlock.h"

_Static_assert(THREAD_STACK_SIZE % 16 == 0, "thread stacks keep sp 16-byte aligned");
_Static_assert(THREAD_STACKS <= THREAD_MAX, "a stack without a slot is never used");

/* Stacks from the page allocator: one block of 2^THREAD_STACK_ORDER pages each. */
#define THREAD_STACK_ORDER 2
_Static_assert(THREAD_STACK_SIZE == PAGE_SIZE << THREAD_STACK_ORDER,
               "a thread stack is one block of the page allocator");

static struct spinlock table_lock = SPINLOCK_INIT("threadtable");

static struct thread slots[THREAD_MAX];
static bool slot_used[THREAD_MAX];
static int nslots_used;

static uintptr_t pool_base;                 /* THREAD_STACKS stacks, one after the other */
static uint16_t free_stacks[THREAD_STACKS]; /* indices of free stacks; top = last */
static int nfree_stacks;
static bool stack_free[THREAD_STACKS]; /* catches a stack given back twice */

static int nheap_slots, nheap_stacks; /* from kmalloc() and page_alloc() (production) */

/* True once slots and stacks beyond the static ones may come from the allocators. */
static bool growing(void)
{
	return phase_now() >= PHASE_PRODUCTION;
}

static bool is_static_slot(const struct thread *t)
{
	return (uintptr_t)t >= (uintptr_t)slots && (uintptr_t)t < (uintptr_t)(slots + THREAD_MAX);
}

static bool is_pool_stack(uintptr_t stack_lo)
{
	return stack_lo >= pool_base &&
	       stack_lo < pool_base + (uintptr_t)THREAD_STACKS * THREAD_STACK_SIZE;
}

void thread_table_init(void)
{
	assert_phase(PHASE_BOOTSTRAP);
	pool_base = (uintptr_t)boot_alloc((size_t)THREAD_STACKS * THREAD_STACK_SIZE, PAGE_SIZE);
	/* Handed out lowest first, so a fresh boot's stacks come in address order. */
	for (int i = THREAD_STACKS; i-- > 0;) {
		free_stacks[nfree_stacks++] = (uint16_t)i;
		stack_free[i] = true;
	}
}

struct thread *thread_table_alloc_slot(void)
{
	struct thread *t = NULL;
	spin_lock(&table_lock);
	for (int i = 0; i < THREAD_MAX; i++) {
		if (!slot_used[i]) {
			slot_used[i] = true;
			nslots_used++;
			t = &slots[i];
			break;
		}
	}
	spin_unlock(&table_lock);
	if (!t && growing() && (t = kmalloc(sizeof *t)) != NULL) {
		spin_lock(&table_lock);
		nheap_slots++;
		spin_unlock(&table_lock);
	}
	if (t)
		memset(t, 0, sizeof *t);
	return t;
}

void thread_table_free_slot(struct thread *t)
{
	if (!is_static_slot(t) && growing()) {
		/* kfree() panics on anything kmalloc() did not hand out, or a second free. */
		kfree(t);
		spin_lock(&table_lock);
		nheap_slots--;
		spin_unlock(&table_lock);
		return;
	}
	ptrdiff_t i = t - slots;
	if (i < 0 || i >= THREAD_MAX || &slots[i] != t)
		panic("thread_table_free_slot: %p is not a slot of the thread table (called from "
		      "%pS)",
		      t, __builtin_return_address(0));
	spin_lock(&table_lock);
	if (!slot_used[i])
		panic("thread_table_free_slot: slot %ld ('%s') is already free (called from %pS)",
		      i, t->name, __builtin_return_address(0));
	slot_used[i] = false;
	nslots_used--;
	spin_unlock(&table_lock);
}

uintptr_t stack_pool_get(void)
{
	if (pool_base == 0)
		panic("stack_pool_get() called before thread_table_init() (from %pS)",
		      __builtin_return_address(0));
	uintptr_t lo = 0;
	spin_lock(&table_lock);
	if (nfree_stacks > 0) {
		int i = free_stacks[--nfree_stacks];
		stack_free[i] = false;
		lo = pool_base + (uintptr_t)i * THREAD_STACK_SIZE;
	}
	spin_unlock(&table_lock);
	if (lo == 0 && growing() && (lo = (uintptr_t)page_alloc(THREAD_STACK_ORDER)) != 0) {
		spin_lock(&table_lock);
		nheap_stacks++;
		spin_unlock(&table_lock);
	}
	return lo;
}

void stack_pool_put(uintptr_t stack_lo)
{
	if (!is_pool_stack(stack_lo) && growing()) {
		/* page_free() panics on a block it did not hand out, or a second free. */
		page_free((void *)stack_lo, THREAD_STACK_ORDER);
		spin_lock(&table_lock);
		nheap_stacks--;
		spin_unlock(&table_lock);
		return;
	}
	uintptr_t offset = stack_lo - pool_base;
	if (stack_lo < pool_base || offset % THREAD_STACK_SIZE != 0 ||
	    offset / THREAD_STACK_SIZE >= THREAD_STACKS)
		panic("stack_pool_put: %p is not a stack of the pool (called from %pS)",
		      (void *)stack_lo, __builtin_return_address(0));
	int i = (int)(offset / THREAD_STACK_SIZE);
	spin_lock(&table_lock);
	if (stack_free[i])
		panic("stack_pool_put: stack %p is already free (called from %pS)",
		      (void *)stack_lo, __builtin_return_address(0));
	stack_free[i] = true;
	free_stacks[nfree_stacks++] = (uint16_t)i;
	spin_unlock(&table_lock);
}

struct thread_table_stats thread_table_stats(void)
{
	spin_lock(&table_lock);
	struct thread_table_stats s = {
	        .slots_used = nslots_used + nheap_slots,
	        .slots_total = THREAD_MAX,
	        .stacks_free = nfree_stacks,
	        .stacks_total = THREAD_STACKS,
	        .heap_slots = nheap_slots,
	        .heap_stacks = nheap_stacks,
	};
	spin_unlock(&table_lock);
	return s;
}
