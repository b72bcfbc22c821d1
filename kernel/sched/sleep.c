/*
 * Sleep and wakeup (kernel/sched/sleep.h). Sleeping threads wait on one list, each with the
 * channel it sleeps on; sched_lock guards the list and every thread's state, and that
 * is what makes sleep_on() safe: the waiter takes sched_lock before it lets go of the
 * caller's lock, and wakeup() needs sched_lock too, so a wakeup cannot slip in between.
 */
#include "sched/sleep.h"

#include "debug/context_check.h"
#include "debug/lab.h"
#include "debug/panic.h"
#include "debug/trace.h"
#include "hart/hart.h"
#include "sched/sched.h"
#include "sched/thread.h"
#include "sync/spinlock.h"

/* Sleeping threads, newest first, linked through struct thread.link. */
static struct thread *sleepers;

void sleep_locked(void *chan, const char *why)
{
	assert_held(&sched_lock);
	struct thread *me = thread_current();
	trace_sleep(me->id, chan);
	// LAB sched: BEGIN
	me->chan = chan;
	me->state = THREAD_SLEEPING;
	me->link = sleepers;
	sleepers = me;
	sched_switch_out(me, why);
	/* wakeup_locked() took it off the list and made it runnable. */
	me->chan = NULL;
	// LAB sched: STUB
	// /* Your code here: see docs/labs/4-sched.md. */
	// (void)chan;
	// (void)why;
	// (void)me;
	// (void)sleepers;
	// lab_missing("the scheduler's sleep and wakeup", "docs/labs/4-sched.md");
	// LAB sched: END
}

void wakeup_locked(void *chan)
{
	assert_held(&sched_lock);
	// LAB sched: BEGIN
	for (struct thread **link = &sleepers; *link;) {
		struct thread *t = *link;
		if (t->chan == chan) {
			*link = t->link;
			sched_make_runnable(t);
		} else {
			link = &t->link;
		}
	}
	// LAB sched: STUB
	// /* Your code here: see docs/labs/4-sched.md. */
	// (void)chan;
	// lab_missing("the scheduler's sleep and wakeup", "docs/labs/4-sched.md");
	// LAB sched: END
}

void sleep_on(void *chan, struct spinlock *lk)
{
	if (thread_current() == NULL)
		panic("sleep_on() called outside a thread, on hart %u (from %pS)", this_hart()->id,
		      __builtin_return_address(0));
	assert_may_sleep();
	if (lk == &sched_lock)
		panic("sleep_on: the scheduler lock cannot be the condition's lock; use "
		      "sleep_locked() (called from %pS)",
		      __builtin_return_address(0));
	assert_held(lk);
	sched_assert_may_switch("sleep_on", lk);
	// LAB sched: BEGIN
	/*
	 * sched_lock first, then let go of lk: from the moment lk is free, anyone may make
	 * the condition true and call wakeup(chan), but wakeup() waits for sched_lock,
	 * which is only released once this thread is on the sleep list.
	 */
	spin_lock(&sched_lock);
	spin_unlock(lk);
	sleep_locked(chan, "sleep_on");
	spin_unlock(&sched_lock);
	spin_lock(lk);
	// LAB sched: STUB
	// /* Your code here: see docs/labs/4-sched.md. */
	// (void)chan;
	// lab_missing("the scheduler's sleep and wakeup", "docs/labs/4-sched.md");
	// LAB sched: END
}

void wakeup(void *chan)
{
	spin_lock(&sched_lock);
	wakeup_locked(chan);
	spin_unlock(&sched_lock);
}

bool sleep_on_interruptible(void *chan, struct spinlock *lk)
{
	struct thread *me = thread_current();
	if (me == NULL)
		panic("sleep_on_interruptible() called outside a thread (from %pS)",
		      __builtin_return_address(0));
	assert_may_sleep();
	assert_held(lk);
	/* interrupted is read under sched_lock, which thread_interrupt() holds to set it:
	   either it finds this thread asleep and wakes it, or this thread sees the flag. */
	spin_lock(&sched_lock);
	spin_unlock(lk);
	if (!me->interrupted)
		sleep_locked(chan, "sleep_on_interruptible");
	bool woken = !me->interrupted;
	spin_unlock(&sched_lock);
	spin_lock(lk);
	return woken;
}

void thread_interrupt(struct thread *t)
{
	spin_lock(&sched_lock);
	t->interrupted = true;
	if (t->state == THREAD_SLEEPING)
		wakeup_locked(t->chan);
	spin_unlock(&sched_lock);
}
