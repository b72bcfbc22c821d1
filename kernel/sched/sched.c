/*
 * The scheduler (kernel/sched/sched.h): the run queue, the scheduler loop every hart runs,
 * switching out of a thread, preemption at the end of an interrupt, and starting it
 * all at boot.
 *
 * A hart is always in one of two places: its scheduler loop, on the loop's own stack
 * (for the boot hart a stack from boot memory, for the others their boot stack), or a
 * thread, on the thread's stack. It moves between them only through context_switch()
 * (kernel/hal/context_switch.S), with sched_lock held across the switch: the side that
 * stops takes it, the side that starts releases it.
 */
#include "sched/sched.h"

#include "config.h"
#include "debug/context_check.h"
#include "debug/lab.h"
#include "debug/panic.h"
#include "debug/phase.h"
#include "debug/trace.h"
#include "dev/bootargs.h"
#include "dev/console.h"
#include "hal/atomic.h"
#include "hal/context.h"
#include "hal/cpu.h"
#include "hart/hart.h"
#include "hart/stop.h"
#include "mm/bump.h"
#include "sched/thread.h"
#include "sched/threadtable.h"
#include "smp/smp.h"
#include "sync/irqnest.h"
#include "trap/timer.h"
#include "trap/trap.h"
#include "vm/addrspace.h"

#define MAX_SLICE 1000000

struct spinlock sched_lock = SPINLOCK_INIT("sched");

/* Runnable threads, oldest first, linked through struct thread.link. */
static struct {
	struct thread *head, *tail;
} runq;

/* What the scheduler keeps per hart. Only that hart writes it, except `idle`. */
struct sched_hart {
	struct context context;       /* the scheduler loop, while a thread runs here */
	struct thread *current;       /* the thread on this hart; NULL in the loop */
	uintptr_t stack_lo, stack_hi; /* the loop's own stack */
	uint64_t slice_start;         /* timer_ticks() when `current` was switched in */
	uint64_t seen_ticks;          /* timer_ticks() when ticks were last charged */
	volatile uint32_t idle;       /* 1 while waiting for work; sched_lock guards it */
	bool started;
	uint64_t loops; /* turns of the scheduler loop */
	uint64_t switches, idle_waits;
	volatile uint64_t kicks;
};

static struct sched_hart per_hart[MAX_HARTS];
static unsigned slice = SCHED_DEFAULT_SLICE;
static bool running;

/* Caller must have interrupts off, or be a scheduler loop: both stay on one hart. */
static struct sched_hart *my_sched(void)
{
	return &per_hart[this_hart()->id];
}

/* The stub of kernel/hal/context_switch.S calls this on a student branch. */
__attribute__((noreturn)) void context_switch_missing(void)
{
	lab_missing("the scheduler", "docs/labs/4-sched.md");
}

void context_entry_returned(void)
{
	panic("the entry function of a fresh context returned on hart %u; thread and "
	      "scheduler entries must never return",
	      this_hart()->id);
}

void sched_init(void)
{
	assert_phase(PHASE_BOOTSTRAP);
	slice = bootarg_uint("slice", 1, MAX_SLICE, SCHED_DEFAULT_SLICE, "a number of ticks");
	thread_table_init();
	trap_set_interrupt_exit(sched_interrupt_exit);
}

unsigned sched_slice(void)
{
	return slice;
}

bool sched_running(void)
{
	return running;
}

/* ---- The run queue ---- */

/*
 * Wakes one hart that waits in its loop with nothing to run. Its wfi ends on the IPI
 * even though it waits with interrupts off (see sched_loop()). Caller holds sched_lock.
 */
static void kick_idle_hart(void)
{
	uint32_t me = this_hart()->id;
	for (uint32_t i = 0; i < MAX_HARTS; i++) {
		struct sched_hart *sh = &per_hart[i];
		if (i != me && sh->idle) {
			sh->idle = 0; /* one kick is enough; the hart looks at the queue next */
			sh->kicks++;
			smp_kick(i);
			return;
		}
	}
}

void sched_make_runnable(struct thread *t)
{
	assert_held(&sched_lock);
	trace_wakeup(t->id, t->chan);
	t->state = THREAD_RUNNABLE;
	t->link = NULL;
	if (runq.tail)
		runq.tail->link = t;
	else
		runq.head = t;
	runq.tail = t;
	kick_idle_hart();
}

/* The thread at the head of the queue, taken off it, or NULL. Caller holds sched_lock. */
static struct thread *runq_pop(void)
{
	struct thread *t = runq.head;
	if (t) {
		runq.head = t->link;
		if (runq.head == NULL)
			runq.tail = NULL;
		t->link = NULL;
	}
	return t;
}

/* ---- Switching ---- */

void sched_assert_may_switch(const char *operation, const struct spinlock *allowed)
{
	/* Interrupts off: without them the thread could move to another hart mid-check. */
	irq_state_t irq = cpu_irq_save();
	struct hart *h = this_hart();
	for (uint32_t i = 0; i < h->nheld; i++) {
		struct spinlock *lk = h->held[i];
		if (lk != allowed && lk != &sched_lock)
			panic("%s: thread '%s' would switch away holding spinlock '%s' (taken at "
			      "%pS): a spinlock holder must not sleep or yield",
			      operation, thread_current_name(), lk->name, lk->site);
	}
	cpu_irq_restore(irq);
}

/* Everything that must hold when a thread gives up its hart (cheap; checked always). */
static void check_switch_out(struct thread *me, const char *why)
{
	struct hart *h = this_hart();
	if (!spin_holding(&sched_lock))
		panic("%s: thread '%s' switches out without holding the scheduler lock", why,
		      me->name);
	sched_assert_may_switch(why, NULL);
	if (h->irq_depth != 1)
		panic("%s: thread '%s' switches out at interrupt-nesting depth %u instead of 1: an "
		      "irq_push() without irq_pop()?",
		      why, me->name, h->irq_depth);
	if (h->trap_depth != 0)
		panic("%s: thread '%s' switches out inside a trap handler (trap depth %d)", why,
		      me->name, h->trap_depth);
	if (per_hart[h->id].current != me)
		panic("%s: thread '%s' switches out, but hart %u runs '%s'", why, me->name, h->id,
		      per_hart[h->id].current ? per_hart[h->id].current->name : "no thread");
	if (*stack_canary_slot(me->stack_lo) != STACK_CANARY)
		panic("%s: thread '%s' overflowed its stack %p-%p: the canary at %p is 0x%lx", why,
		      me->name, (void *)me->stack_lo, (void *)me->stack_hi,
		      (void *)stack_canary_slot(me->stack_lo), *stack_canary_slot(me->stack_lo));
}

void sched_switch_out(struct thread *me, const char *why)
{
	check_switch_out(me, why);
	trace_switch_out(me->id, why);
	/*
	 * The hart's outer interrupt state (what the outermost irq_push() saved) belongs to
	 * the code that saved it, so it travels with the thread: a thread preempted in a
	 * trap handler must come back with interrupts off, one that yielded with them on.
	 */
	struct hart *h = this_hart();
	me->irq_saved = h->irq_saved;
	context_switch(&me->context, &per_hart[h->id].context);
	/* Back, maybe on another hart: read tp again rather than trust `h`. */
	this_hart()->irq_saved = me->irq_saved;
}

void thread_yield(void)
{
	struct thread *me = thread_current();
	if (me == NULL)
		panic("thread_yield() called outside a thread, on hart %u (from %pS)",
		      this_hart()->id, __builtin_return_address(0));
	assert_may_sleep();
	sched_assert_may_switch("thread_yield", NULL);
	spin_lock(&sched_lock);
	sched_make_runnable(me);
	sched_switch_out(me, "thread_yield");
	spin_unlock(&sched_lock);
}

struct thread *thread_current(void)
{
	irq_state_t irq = cpu_irq_save();
	struct thread *t = per_hart[this_hart()->id].current;
	cpu_irq_restore(irq);
	return t;
}

/* ---- Preemption ---- */

bool sched_interrupt_exit(void)
{
	struct sched_hart *sh = my_sched();
	struct thread *me = sh->current;
	if (me == NULL)
		return false; /* the scheduler loop itself was interrupted */
	if (me->state != THREAD_RUNNING || me->hart != this_hart()->id)
		panic("preemption: hart %u believes it runs thread '%s', which is %s on hart %u",
		      this_hart()->id, me->name, thread_state_name(me->state), me->hart);
	uint64_t now = timer_ticks();
	me->ticks += now - sh->seen_ticks;
	sh->seen_ticks = now;
	if (now - sh->slice_start < slice)
		return false;
	/* Interrupts were on where the trap came in, so the thread holds no spinlock. */
	me->preemptions++;
	spin_lock(&sched_lock);
	sched_make_runnable(me);
	sched_switch_out(me, "preemption");
	spin_unlock(&sched_lock);
	return true;
}

/* ---- The scheduler loop ---- */

/*
 * Runs t on this hart until t gives the hart back. Caller must be this hart's
 * scheduler loop, holding sched_lock, with t just taken off the run queue; returns
 * holding sched_lock, with this hart back on the loop's stack.
 */
static void run_thread(struct sched_hart *sh, struct thread *t)
{
	struct hart *h = this_hart();
	t->hart = h->id;
	t->runs++;
	t->harts_seen |= 1UL << h->id;
	sh->switches++;
	sh->slice_start = sh->seen_ticks = timer_ticks();
	/* The trap entry checks sp against the stack it was told about; reports name t. */
	hart_set_stack(h, t->stack_lo, t->stack_hi);
	h->thread_name = t->name;
	h->stack_guarded = t->stack_guarded;
	trace_switch_in(t->id, t->name);
	/* A thread that runs a program translates through its address space (lab 7). */
	as_activate(t->as);
	irq_state_t saved = h->irq_saved;
	// LAB sched: BEGIN
	t->state = THREAD_RUNNING;
	sh->current = t;
	context_switch(&sh->context, &t->context);
	sh->current = NULL;
	// LAB sched: STUB
	// /* Your code here: see docs/labs/4-sched.md. */
	// lab_missing("the scheduler", "docs/labs/4-sched.md");
	// LAB sched: END
	h->irq_saved = saved;
	hart_set_stack(h, sh->stack_lo, sh->stack_hi);
	h->thread_name = "scheduler loop";
	h->stack_guarded = false;
	/* Back on the kernel map: t's address space may be destroyed before this hart
	   runs t again, and a hart must never translate through a freed table. */
	as_activate(NULL);
}

/*
 * The scheduler loop of one hart: forever, take the thread at the head of the run
 * queue and run it; with nothing to run, wait for an interrupt. Caller must be on the
 * loop's own stack (sh->stack_lo .. stack_hi), holding no lock.
 */
static __attribute__((noreturn)) void sched_loop(struct sched_hart *sh)
{
	cpu_irq_enable();
	for (;;) {
		stop_poll(); /* shutdown or panic elsewhere: halt here */
		sh->loops++;
		// LAB sched: BEGIN
		spin_lock(&sched_lock);
		struct thread *t = runq_pop();
		if (t) {
			run_thread(sh, t);
			spin_unlock(&sched_lock);
			continue;
		}
		/*
		 * Nothing to run. Mark this hart idle and wait with interrupts off: an IPI
		 * from sched_make_runnable() or a tick that arrives between the unlock and
		 * wfi stays pending and ends wfi at once, so no wake-up is lost. irq_pop()
		 * then lets the pending interrupt in.
		 */
		sh->idle = 1;
		irq_push();
		spin_unlock(&sched_lock);
		sh->idle_waits++;
		cpu_wait_for_interrupt();
		atomic_store_relaxed(&sh->idle, 0);
		irq_pop();
		// LAB sched: STUB
		// /* Your code here: see docs/labs/4-sched.md. */
		// (void)sh;
		// (void)runq_pop;
		// (void)run_thread;
		// lab_missing("the scheduler", "docs/labs/4-sched.md");
		// LAB sched: END
	}
}

/*
 * The first code of the boot hart's scheduler context: the boot thread switched here
 * from sched_start(), holding sched_lock, on the stack it is leaving.
 */
static __attribute__((noreturn)) void sched_loop_first_entry(void)
{
	struct sched_hart *sh = my_sched();
	hart_set_stack(this_hart(), sh->stack_lo, sh->stack_hi);
	sh->current = NULL; /* what run_thread() does after every other switch back */
	spin_unlock(&sched_lock);
	sched_loop(sh);
}

/* Posted to each other hart's mailbox (kernel/smp/smp.h): its loop runs on its boot stack. */
static void sched_secondary_entry(void *unused)
{
	(void)unused;
	struct sched_hart *sh = my_sched();
	sh->stack_lo = this_hart()->entry.stack_lo;
	sh->stack_hi = this_hart()->entry.stack_hi;
	sh->started = true;
	sched_loop(sh);
}

void sched_start(const char *name)
{
	assert_phase(PHASE_BOOTSTRAP);
	struct hart *h = this_hart();
	struct sched_hart *sh = &per_hart[h->id];

	/* The running code becomes a thread, on the stack it runs on now. */
	struct thread *boot = thread_adopt(name, h->entry.stack_lo, h->entry.stack_hi);
	h->thread_name = boot->name;
	boot->state = THREAD_RUNNING;
	boot->hart = h->id;
	boot->runs = 1;
	boot->harts_seen = 1UL << h->id;

	/* This hart's scheduler loop gets a stack of its own and starts fresh. */
	sh->stack_lo = (uintptr_t)boot_alloc(KSTACK_SIZE, 16);
	sh->stack_hi = sh->stack_lo + KSTACK_SIZE;
	context_init(&sh->context, sched_loop_first_entry, sh->stack_hi);
	sh->started = true;
	running = true;

	/* From here on a tick may preempt the boot thread like any other. */
	irq_state_t irq = cpu_irq_save();
	sh->current = boot;
	sh->slice_start = sh->seen_ticks = timer_ticks();
	cpu_irq_restore(irq);

	for (uint32_t i = 0; i < MAX_HARTS; i++)
		if (i != h->id && harts[i].online && !smp_run_on(i, sched_secondary_entry, NULL))
			printf("sprout: hart %u cannot take the scheduler loop: it stays parked\n",
			       i);

	/* To the back of the (empty) run queue: this hart's loop picks it up again. */
	thread_yield();
}

/* ---- Statistics ---- */

struct sched_hart_stats sched_hart_stats(uint32_t hartid)
{
	struct sched_hart *sh = &per_hart[hartid < MAX_HARTS ? hartid : 0];
	return (struct sched_hart_stats){
	        .loops = sh->loops,
	        .switches = sh->switches,
	        .idle_waits = sh->idle_waits,
	        .kicks = sh->kicks,
	        .started = sh->started,
	};
}

void sched_print_stats(void)
{
	struct thread_counts c = thread_counts();
	printf("sprout: scheduler: slice %u ticks, %lu threads created, %lu joined;", slice,
	       c.created, c.joined);
	for (uint32_t i = 0; i < MAX_HARTS; i++)
		if (per_hart[i].started)
			printf(" hart %u: %lu switches, %lu idle waits;", i, per_hart[i].switches,
			       per_hart[i].idle_waits);
	printf("\n");
}
