/*
 * The event trace: what each hart did, and when, kept in a ring of records per hart so
 * that a picture of a run can be drawn afterwards (grade/timeline.py, `make timeline`).
 *
 * What is recorded, each by a one-line hook in the code that does it:
 *   - thread switches: a thread starting to run on a hart (from which thread, to which,
 *     and why the previous one stopped) and a thread giving the hart back (kernel/sched/)
 *   - trap entries and exits, with the cause (kernel/trap/trap.c)
 *   - contended spinlocks: the start of the wait, the acquisition with the time waited,
 *     and the release with the time held (kernel/sync/spinlock.c); an uncontended
 *     acquisition records nothing, and its release only reads one byte, this hart's
 *     count of holds that followed a wait (make bench: trace.unlock_check)
 *   - a thread going to sleep on a channel, and a thread made runnable by another (who
 *     woke whom, on which channel; a thread's start counts as a wakeup on channel 0)
 *   - system calls (lab 7: the process layer calls trace_syscall())
 *   - the start and end of each in-kernel test (kernel/debug/ktest.c), and notes a test
 *     leaves to mark its phases (trace_note())
 *
 * Recording is always on in a build with CONFIG_TRACE (the default; `make TRACE=0`
 * compiles every hook to nothing); the rings are printed only when asked, with `trace=1`
 * on the kernel command line, at shutdown or after a panic's report: base64 lines
 * starting `TRACE ` (the format is in kernel/debug/trace.c).
 *
 * Timestamps come from the time CSR, not instret: time is one clock for every hart (the
 * device tree's timebase, 10 MHz on QEMU virt), so records of different harts share one
 * axis; under QEMU instret counts the instructions of all harts together under -icount
 * and follows the host's clock without it, so it cannot order one hart's records against
 * another's. The price is resolution: 100 ns on QEMU virt, about 100 instructions under
 * -icount shift=0.
 *
 * Lock-free: a hart writes only its own ring, with interrupts off, claiming each slot
 * with one atomic add; no hart ever waits for another. When a ring is full the oldest
 * records are overwritten. Each record carries the parity of its lap around the ring,
 * which lets the reader leave out a slot whose writing was cut short (a hart stopped in
 * the middle). A thread that gives the hart back and gets it straight back, with nothing
 * recorded in between (a yield or a preemption with nothing else to run), is counted in
 * one record however often it happens, so that a thread yielding in a loop does not push
 * everything else out of the ring.
 *
 * Addresses (locks, channels, strings) are recorded as their low 32 bits: every kernel
 * address is below 4 GiB on QEMU virt (RAM from 0x80000000; the kernel map is the
 * identity). Thread ids are recorded in full where a record has 32 bits for them and as
 * their low 16 bits in the 16-bit fields.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "hart/hart.h"

#ifndef CONFIG_TRACE
#define CONFIG_TRACE 1
#endif

#define TRACE_RING_RECORDS 4096 /* records per hart: a power of two */
#define TRACE_HELD_MAX     8    /* contended holds one hart tracks for their release */
#define TRACE_NAMES        64   /* thread names each hart remembers for the dump */

/* What a record says; x, a and b are its three arguments (struct trace_record). */
enum trace_kind {
	TRACE_NONE = 0,
	TRACE_RUN = 1,       /* a thread starts running here. x: the thread that ran here
				before; a: the thread; b: why the one before stopped (a string) */
	TRACE_STOP = 2,      /* a thread gives the hart back. a: the thread; b: why (a string) */
	TRACE_TRAP_IN = 3,   /* x: cause code, bit 15 set for an interrupt; a: sepc; b: stval */
	TRACE_TRAP_OUT = 4,  /* x: as for TRACE_TRAP_IN; a: sepc it returns to */
	TRACE_LOCK_WAIT = 5, /* a spinlock found held. a: the lock; b: its name (a string) */
	TRACE_LOCK_ACQ = 6,  /* taken after waiting. x: turns of the wait loop (at most 0xffff);
				a: the lock; b: time waited, in clock ticks */
	TRACE_LOCK_REL = 7,  /* a lock taken after waiting is released. a: the lock; b: time
				held, in clock ticks */
	TRACE_SLEEP = 8,     /* a: the thread; b: the channel */
	TRACE_WAKE = 9,      /* x: the thread running here (0: none); a: the thread made
				runnable; b: the channel it slept on, 0 for a new thread */
	TRACE_SYSCALL = 10,  /* x: the system call number; a: the thread */
	TRACE_TEST = 11,     /* x: enum trace_test_event; a: suite; b: test name (strings) */
	TRACE_AGAIN = 12,    /* a thread gave the hart back and got it straight back, x times
				(at most 0xffff a record), the first at the record's time. a: the
				thread; b: clock ticks from the first to the last */
	TRACE_NOTE = 13,     /* a note a test leaves in the picture. a: its text (a string) */
	TRACE_KINDS
};

enum trace_test_event {
	TRACE_TEST_START = 1,
	TRACE_TEST_PASS = 2,
	TRACE_TEST_FAIL = 3,
};

/*
 * One record, 16 bytes. `head` is written last: bits 0-6 the kind, bit 7 the parity of
 * the ring lap the slot was claimed in, bits 8-23 x, bits 24-63 the low 40 bits of the
 * time CSR (30 hours at 10 MHz; the dump prints the full clock to place them).
 */
struct trace_record {
	uint64_t head;
	uint32_t a, b;
};

struct trapframe;

#if CONFIG_TRACE

/*
 * Hooks. Each writes only the calling hart's ring and never waits. Caller must have
 * interrupts off, as trap handlers, spinlock holders and the scheduler do, except where
 * a hook says "any context" (those turn them off themselves, for a few instructions).
 */

/* The scheduler switched this hart to thread `tid` named `name`. Interrupts off. */
void trace_switch_in(int tid, const char *name);

/* Thread `tid` gives this hart back; `why` is a string that outlives the run. Interrupts off. */
void trace_switch_out(int tid, const char *why);

/* Thread `tid` goes to sleep on `chan`. */
void trace_sleep(int tid, const void *chan);

/*
 * Thread `tid` is put on the run queue: out of a sleep on `chan`, or for the first time
 * (chan NULL). The thread running here requeueing itself (a yield, a preemption) records
 * nothing. Interrupts off (the scheduler lock is held).
 */
void trace_wakeup(int tid, const void *chan);

/* Entering and leaving the handler of the trap in tf. Interrupts off. */
void trace_trap_enter(const struct trapframe *tf);
void trace_trap_exit(const struct trapframe *tf);

/* A system call `nr` of the thread running here (lab 7). Any context. */
void trace_syscall(unsigned nr);

/* An in-kernel test starts or ends; suite and name are strings that outlive the run. Any
   context. */
void trace_test(const char *suite, const char *name, enum trace_test_event event);

/* A note for the picture ("caches off"), a string that outlives the run. Any context. */
void trace_note(const char *text);

/*
 * Spinlocks. Interrupts stay off from trace_lock_wait() to the matching acquisition, and
 * from an acquisition to its release, as in spin_lock() and spin_unlock().
 */
/* This hart found lock `lk` (named `name`) held and starts to wait for it. */
void trace_lock_wait(const void *lk, const char *name);

/* Caller must have just taken lk after `spins` turns of waiting (0: it was free). */
void trace_lock_acquired_contended(const void *lk, uint64_t spins);
static inline void trace_lock_acquired(const void *lk, uint64_t spins)
{
	if (__builtin_expect(spins != 0, 0))
		trace_lock_acquired_contended(lk, spins);
}

/* Contended holds per hart, for the release's fast path; written only by that hart. */
extern uint8_t trace_contended_holds[MAX_HARTS];

/* Caller must hold lk and be about to release it, with interrupts off. */
void trace_lock_releasing_contended(const void *lk);
static inline void trace_lock_releasing(const void *lk)
{
	if (__builtin_expect(trace_contended_holds[this_hart()->id] != 0, 0))
		trace_lock_releasing_contended(lk);
}

/* Writes one record of `kind` to this hart's ring: what every hook above comes down to.
   Any context. */
void trace_record(enum trace_kind kind, unsigned x, uint32_t a, uint32_t b);

/*
 * With `trace=1` on the kernel command line, prints every hart's ring as TRACE lines;
 * otherwise does nothing. Caller must be the end of the run (shutdown() or a panic's
 * report), with the other harts stopped (stop_other_harts()): their rings are read as
 * they are. Interrupts are turned off and stay off. Takes no lock.
 */
void trace_dump_if_asked(void);

#else /* !CONFIG_TRACE: every hook compiles to nothing */

static inline void trace_switch_in(int tid, const char *name)
{
	(void)tid;
	(void)name;
}
static inline void trace_switch_out(int tid, const char *why)
{
	(void)tid;
	(void)why;
}
static inline void trace_sleep(int tid, const void *chan)
{
	(void)tid;
	(void)chan;
}
static inline void trace_wakeup(int tid, const void *chan)
{
	(void)tid;
	(void)chan;
}
static inline void trace_trap_enter(const struct trapframe *tf)
{
	(void)tf;
}
static inline void trace_trap_exit(const struct trapframe *tf)
{
	(void)tf;
}
static inline void trace_syscall(unsigned nr)
{
	(void)nr;
}
static inline void trace_test(const char *suite, const char *name, enum trace_test_event event)
{
	(void)suite;
	(void)name;
	(void)event;
}
static inline void trace_note(const char *text)
{
	(void)text;
}
static inline void trace_lock_wait(const void *lk, const char *name)
{
	(void)lk;
	(void)name;
}
static inline void trace_lock_acquired(const void *lk, uint64_t spins)
{
	(void)lk;
	(void)spins;
}
static inline void trace_lock_releasing(const void *lk)
{
	(void)lk;
}
static inline void trace_record(enum trace_kind kind, unsigned x, uint32_t a, uint32_t b)
{
	(void)kind;
	(void)x;
	(void)a;
	(void)b;
}
void trace_dump_if_asked(void);

#endif
