/*
 * Spinlocks: mutual exclusion between harts, and between code on one hart and the
 * interrupt handlers that may interrupt it.
 *
 * A hart that holds a spinlock has interrupts off (irq_push, kernel/sync/irqnest.h), so no
 * handler on that hart can ask for the lock while the code it interrupted holds it;
 * interrupts come back when the hart releases its outermost lock, and only if they
 * were on before. Holders must not sleep or wait for anything slow: other harts spin.
 *
 *   static struct spinlock table_lock = SPINLOCK_INIT("table");
 *
 *   spin_lock(&table_lock);
 *   ... the table is ours ...
 *   spin_unlock(&table_lock);
 *
 * Misuse is reported, never hung: taking a lock this hart holds, releasing one it does
 * not hold, and spinning while the lock stays with one holder far longer than any
 * legitimate hold (SPIN_DEADLOCK_MS) panic with the lock's name, the holder and where
 * it was taken. In debug builds and in
 * tests, the lock-order checker (kernel/sync/lockorder.h) panics when two lock classes are
 * taken in both orders, before that can deadlock.
 *
 * Lock classes: locks with the same name form one class for the lock-order checker
 * (every "zone" lock orders the same way against every "table" lock). Give locks that
 * nest inside each other different names.
 *
 * Statistics: each lock counts its acquisitions and the spinning they cost;
 * spin_stats_print() lists every lock. A lock registers itself for the list when it is
 * initialised with spin_init() or first taken; a lock whose memory is about to be
 * reused must be taken out with spin_deinit().
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct spin_stats {
	uint64_t acquisitions; /* successful spin_lock() calls */
	uint64_t contended;    /* of those, how many found the lock held and had to wait */
	uint64_t spins;        /* turns of the wait loop, all acquisitions together */
	uint64_t max_spins;    /* the longest single wait, in turns */
};

struct spinlock {
	volatile uint32_t locked; /* 1 while held: the one word harts race for */
	volatile uint32_t holder; /* hart id + 1 of the holder, 0 when free */
	void *site;               /* where the holder took it (a return address) */
	const char *name;         /* what it protects; also its class (see above) */
	uint16_t class_id;        /* lock-order class + 1, 0 until first needed */
	bool registered;          /* on the statistics list */
	struct spinlock *next;    /* the statistics list */
	struct spin_stats stats;  /* updated only by the holder */
};

/* A static initialiser: static struct spinlock l = SPINLOCK_INIT("name"); */
#define SPINLOCK_INIT(lockname)    \
	{                          \
		.name = (lockname) \
	}

/* The lock's name for reports; "(unnamed)" for a lock nobody initialised. */
static inline const char *spin_name(const struct spinlock *lk)
{
	return lk->name ? lk->name : "(unnamed)";
}

/* Initialises a free lock named `name` (a string that outlives the lock). */
void spin_init(struct spinlock *lk, const char *name);

/* Takes lk off the statistics list; panics if it is held. Before its memory is reused. */
void spin_deinit(struct spinlock *lk);

/*
 * Takes lk, spinning while another hart holds it, and turns interrupts off on this
 * hart until the matching spin_unlock(). Any context, trap handlers included.
 */
void spin_lock(struct spinlock *lk);

/* Releases lk, which this hart must hold. */
void spin_unlock(struct spinlock *lk);

/* True if this hart holds lk. */
bool spin_holding(const struct spinlock *lk);

/*
 * States a locking rule as a check: panics, naming the function it is written in, the
 * lock and that function's caller, unless this hart holds `lk`.
 *   void table_insert(struct table *t, ...) { assert_held(&t->lock); ... }
 */
#define assert_held(lk) spin_require_held((lk), __func__, __builtin_return_address(0))
void spin_require_held(const struct spinlock *lk, const char *operation, void *caller);

/*
 * For operations that may wait a long time (lab 4's sleeping locks, anything that
 * sleeps): panics, naming the function it is written in, its caller and the spinlocks
 * this hart holds, if it holds any. A sleeper holding a spinlock keeps other harts
 * spinning and its own interrupts off for as long as it sleeps. (A spinlock itself may
 * be taken anywhere, trap handlers included.)
 */
#define assert_no_spinlock_held() spin_require_none_held(__func__, __builtin_return_address(0))
void spin_require_none_held(const char *operation, void *caller);

/*
 * Sets how long a hart may spin on a lock that does not change hands, in ms of guest
 * time, before it reports a deadlock (SPIN_DEADLOCK_MS at boot); returns the previous
 * limit. Benchmarks under -icount raise it: there the harts take turns, and a holder
 * may sit out many turns.
 */
uint32_t spin_set_deadlock_ms(uint32_t ms);

/* A snapshot of lk's counters (exact only while no other hart is taking it). */
struct spin_stats spin_stats(const struct spinlock *lk);

/* Prints one line per registered lock: name, acquisitions, contended, spins. */
void spin_stats_print(void);

/* Prints what each online hart is doing and which locks it holds (deadlock reports). */
void spin_print_harts(void);
