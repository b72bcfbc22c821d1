/*
 * Spinlocks (kernel/sync/spinlock.h): taking and releasing, the checks that turn misuse
 * into a report instead of a hang, and the wait loop that notices a deadlock.
 *
 * The functions above spin_lock() are given to students; spin_lock() and
 * spin_unlock() are theirs (docs/labs/3-lock.md).
 */
#include "sync/spinlock.h"

#include "debug/context_check.h"
#include "debug/lab.h"
#include "debug/panic.h"
#include "debug/trace.h"
#include "dev/console.h"
#include "hal/atomic.h"
#include "hal/cpu.h"
#include "hart/hart.h"
#include "hart/stop.h"
#include "lib/format.h"
#include "sync/irqnest.h"
#include "sync/lockorder.h"
#include "sync/lockstat.h"
#include "trap/timer.h"

/* How often (in turns of the wait loop) a waiting hart looks at the clock. */
#define SPIN_CHECK_TURNS 1024

static volatile uint32_t deadlock_ms = SPIN_DEADLOCK_MS;

uint32_t spin_set_deadlock_ms(uint32_t ms)
{
	uint32_t was = deadlock_ms;
	deadlock_ms = ms;
	return was;
}

void spin_init(struct spinlock *lk, const char *name)
{
	if (name == NULL)
		panic("spin_init: every lock needs a name (called from %pS)",
		      __builtin_return_address(0));
	*lk = (struct spinlock)SPINLOCK_INIT(name);
	lockstat_register(lk);
}

void spin_deinit(struct spinlock *lk)
{
	if (atomic_load_relaxed(&lk->locked))
		panic("spin_deinit: lock '%s' is held by hart %u (taken at %pS) (called from %pS)",
		      spin_name(lk), atomic_load_relaxed(&lk->holder) - 1, lk->site,
		      __builtin_return_address(0));
	lockstat_unregister(lk);
}

bool spin_holding(const struct spinlock *lk)
{
	/*
	 * Interrupts off while comparing: a thread that does not hold lk may be moved to
	 * another hart at any interrupt (lab 4), and must not compare against the id of
	 * a hart it has left. Only this hart writes its own id there, so a match is never
	 * stale; and a holder has interrupts off, so it stays where it is.
	 */
	irq_state_t irq = cpu_irq_save();
	bool mine = atomic_load_relaxed(&lk->holder) == this_hart()->id + 1;
	cpu_irq_restore(irq);
	return mine;
}

void spin_require_held(const struct spinlock *lk, const char *operation, void *caller)
{
	if (spin_holding(lk))
		return;
	uint32_t holder = atomic_load_relaxed(&lk->holder);
	if (holder == 0)
		panic("%s() needs lock '%s' held, but no hart holds it (%s called from %pS)",
		      operation, spin_name(lk), operation, caller);
	panic("%s() needs lock '%s' held by this hart (%u), but hart %u holds it (taken at "
	      "%pS) (%s called from %pS)",
	      operation, spin_name(lk), this_hart()->id, holder - 1, lk->site, operation, caller);
}

/*
 * The helpers below are called only from spin_lock() and spin_unlock(), hence `unused`:
 * on the student branch, where those are still to be written, they must not break the
 * warning-free build.
 */
#define GIVEN __attribute__((unused))

void spin_require_none_held(const char *operation, void *caller)
{
	/*
	 * Interrupts off while reading: a thread that holds no lock may be moved to another
	 * hart at any interrupt, and would then read that hart's list. One that holds a
	 * lock has interrupts off already and stays where it is.
	 */
	irq_state_t irq = cpu_irq_save();
	struct hart *me = this_hart();
	uint32_t nheld = me->nheld;
	cpu_irq_restore(irq);
	if (nheld == 0)
		return;
	panic("%s() may sleep, but hart %u holds %u spinlock%s, the last '%s' (taken at %pS) "
	      "(%s called from %pS)",
	      operation, me->id, me->nheld, me->nheld == 1 ? "" : "s",
	      spin_name(me->held[me->nheld - 1]), me->held[me->nheld - 1]->site, operation, caller);
}

/* ---- Misuse reports ---- */

/*
 * spin_lock() on a lock this hart already holds: it would wait for itself forever. In a
 * trap handler it means the interrupted code held the lock with interrupts on.
 */
static GIVEN __attribute__((noreturn)) void spin_panic_recursive(struct spinlock *lk, void *site)
{
	panic("spin_lock: hart %u already holds lock '%s' (taken at %pS) and takes it again "
	      "at %pS%s",
	      this_hart()->id, spin_name(lk), lk->site, site,
	      in_trap_handler() ? ", in a trap handler that interrupted the holder: interrupts "
	                          "were on while it held the lock"
	                        : "");
}

/* spin_unlock() of a lock this hart does not hold. */
static GIVEN __attribute__((noreturn)) void spin_panic_not_held(struct spinlock *lk, void *site)
{
	uint32_t holder = atomic_load_relaxed(&lk->holder);
	if (holder == 0)
		panic("spin_unlock: lock '%s' is not held; released at %pS on hart %u",
		      spin_name(lk), site, this_hart()->id);
	panic("spin_unlock: hart %u releases lock '%s' at %pS, but hart %u holds it (taken at "
	      "%pS)",
	      this_hart()->id, spin_name(lk), site, holder - 1, lk->site);
}

/* ---- Reports about all harts ---- */

static int describe_held(const struct hart *h, char *buf, size_t size)
{
	uint32_t n = h->nheld < HART_MAX_HELD ? h->nheld : HART_MAX_HELD;
	if (n == 0)
		return snprintf(buf, size, ", holds no lock");
	int len = 0;
	for (uint32_t i = 0; i < n && (size_t)len < size; i++) {
		const struct spinlock *lk = h->held[i];
		len += snprintf(buf + len, size - len, "%s'%s' (taken at %pS)",
		                i == 0 ? ", holds " : ", ", spin_name(lk), lk->site);
	}
	return len;
}

void spin_print_harts(void)
{
	for (int i = 0; i < MAX_HARTS; i++) {
		const struct hart *h = &harts[i];
		if (h->activity == HART_OFFLINE)
			continue;
		char line[400];
		int len = snprintf(line, sizeof line, "  hart %u: ", h->id);
		len += hart_describe(h, line + len, sizeof line - len);
		const struct spinlock *w =
		        atomic_load_ptr_relaxed((void *const volatile *)&h->waiting_for);
		if (w && (size_t)len < sizeof line)
			len += snprintf(line + len, sizeof line - len,
			                ", spinning on '%s' (at %pS)", spin_name(w),
			                h->waiting_site);
		if ((size_t)len < sizeof line)
			describe_held(h, line + len, sizeof line - len);
		printf("%s\n", line);
	}
}

/* ---- Waiting ---- */

/* A hart's wait for one lock, from the first failed attempt to the acquisition. */
struct spin_wait {
	struct spinlock *lock;
	void *site;        /* where this hart asked for it */
	uint64_t spins;    /* turns of the wait loop so far */
	uint64_t since;    /* timer_now() at the first turn, or when the lock last changed hands */
	uint64_t handoffs; /* the lock's acquisitions count at `since` */
};

#define SPIN_WAIT(lk, site_) ((struct spin_wait){.lock = (lk), .site = (site_)})

static void print_harts(const void *ctx)
{
	(void)ctx;
	printf("harts:\n");
	spin_print_harts();
}

static __attribute__((noreturn)) void spin_report_deadlock(struct spin_wait *w, uint64_t now)
{
	struct spinlock *lk = w->lock;
	uint32_t holder = atomic_load_relaxed(&lk->holder);
	void *taken_at = lk->site;
	uint64_t ms = (now - w->since) * 1000 / timer_timebase();
	uintptr_t fp = cpu_frame_pointer();
	if (holder == 0)
		panic_report(fp, print_harts, NULL,
		             "deadlock: hart %u spun %lu ms on lock '%s' at %pS, but no hart holds "
		             "it (released without spin_unlock?)",
		             this_hart()->id, ms, spin_name(lk), w->site);
	panic_report(fp, print_harts, NULL,
	             "deadlock: hart %u spun %lu ms on lock '%s' at %pS; held by hart %u, taken "
	             "at %pS",
	             this_hart()->id, ms, spin_name(lk), w->site, holder - 1, taken_at);
}

/* The slow part of a turn: start the clock, obey a stop request, notice a deadlock. */
static __attribute__((noinline)) void spin_wait_check(struct spin_wait *w)
{
	static volatile uint32_t reporting;
	struct hart *me = this_hart();
	uint64_t now = timer_now();
	/* Written only by the holder; a stale value here costs one more round, no more. */
	uint64_t handoffs = *(volatile uint64_t *)&w->lock->stats.acquisitions;
	if (w->spins == 0) {
		w->since = now;
		w->handoffs = handoffs;
		me->waiting_site = w->site;
		atomic_store_ptr_relaxed((void *volatile *)&me->waiting_for, w->lock);
		trace_lock_wait(w->lock, spin_name(w->lock));
		return;
	}
	stop_poll();
	/*
	 * Others got the lock meanwhile: this hart is losing races, not deadlocked. Under
	 * QEMU -icount, where harts run in turns, a hart can lose for seconds of guest time
	 * when its turns keep starting while a descheduled hart holds the lock.
	 */
	if (handoffs != w->handoffs) {
		w->since = now;
		w->handoffs = handoffs;
		return;
	}
	uint64_t limit = timer_timebase() * deadlock_ms / 1000;
	/* One report is enough: a second waiter keeps spinning until the first stops it. */
	if (now - w->since >= limit && atomic_swap_acquire(&reporting, 1) == 0)
		spin_report_deadlock(w, now);
}

/* One turn of the wait loop of a hart that found w->lock held. */
static inline void spin_wait_turn(struct spin_wait *w)
{
	if (w->spins % SPIN_CHECK_TURNS == 0)
		spin_wait_check(w);
	w->spins++;
	cpu_relax();
}

/* ---- Bookkeeping after taking and before releasing ---- */

/* Caller must have just taken lk (holder and site set), with interrupts off. */
static GIVEN void spin_acquired(struct spinlock *lk, const struct spin_wait *w)
{
	struct hart *me = this_hart();
	if (w->spins)
		atomic_store_ptr_relaxed((void *volatile *)&me->waiting_for, NULL);
	if (me->nheld == HART_MAX_HELD)
		panic("spin_lock: hart %u holds %d locks at once, the most it can track (taking "
		      "'%s' at %pS)",
		      me->id, HART_MAX_HELD, spin_name(lk), lk->site);
	me->held[me->nheld++] = lk;
	lockstat_acquired(lk, w->spins);
	trace_lock_acquired(lk, w->spins);
}

/* Caller must hold lk, with interrupts off. */
static GIVEN void spin_releasing(struct spinlock *lk)
{
	/* Locks need not be released in the order they were taken. */
	struct hart *me = this_hart();
	for (uint32_t i = me->nheld; i-- > 0;) {
		if (me->held[i] == lk) {
			for (uint32_t j = i; j + 1 < me->nheld; j++)
				me->held[j] = me->held[j + 1];
			me->nheld--;
			trace_lock_releasing(lk);
			return;
		}
	}
	panic("spin_unlock: lock '%s' is held by hart %u but missing from its list of held "
	      "locks: was it taken without spin_lock()?",
	      spin_name(lk), me->id);
}

/* ---- Taking and releasing ---- */

void spin_lock(struct spinlock *lk)
{
	void *site = __builtin_return_address(0);
	// LAB lock: BEGIN
	/* Interrupts off before the lock is ours, so no handler here can ever want it. */
	irq_push();
	if (spin_holding(lk))
		spin_panic_recursive(lk, site);
	/* Before waiting: an inversion is reported even when this time it would not hang. */
	lock_order_check(lk, site);

	/*
	 * amoswap.w.aq: atomically claim the lock; acquire ordering keeps every access of
	 * the critical section after the claim. While it is held, wait with plain loads,
	 * which leave the line shared instead of writing it on every turn.
	 */
	struct spin_wait w = SPIN_WAIT(lk, site);
	while (atomic_swap_acquire(&lk->locked, 1) != 0)
		do
			spin_wait_turn(&w);
		while (atomic_load_relaxed(&lk->locked) != 0);

	lk->site = site;
	atomic_store_relaxed(&lk->holder, this_hart()->id + 1);
	spin_acquired(lk, &w);
	// LAB lock: STUB
	// /* Your code here: see docs/labs/3-lock.md. */
	// (void)lk;
	// (void)site;
	// lab_missing("spinlocks", "docs/labs/3-lock.md");
	// LAB lock: END
}

void spin_unlock(struct spinlock *lk)
{
	void *site = __builtin_return_address(0);
	// LAB lock: BEGIN
	if (!spin_holding(lk))
		spin_panic_not_held(lk, site);
	spin_releasing(lk);
	/*
	 * Forget the holder while still holding: cleared after the release, it could wipe
	 * out the next holder's id. The release store then makes every write of the
	 * critical section visible before the lock reads as free.
	 */
	lk->site = NULL;
	atomic_store_relaxed(&lk->holder, 0);
	atomic_store_release(&lk->locked, 0);
	/* Only now may interrupts come back: a handler could want this very lock. */
	irq_pop();
	// LAB lock: STUB
	// /* Your code here: see docs/labs/3-lock.md. */
	// (void)lk;
	// (void)site;
	// lab_missing("spinlocks", "docs/labs/3-lock.md");
	// LAB lock: END
}
