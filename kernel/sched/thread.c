/*
 * Creating, ending and joining kernel threads (kernel/sched/thread.h). Switching between
 * them is kernel/sched/sched.c's; where slots and stacks come from, kernel/sched/threadtable.c's.
 */
#include "sched/thread.h"

#include "debug/context_check.h"
#include "debug/panic.h"
#include "hart/hart.h"
#include "lib/string.h"
#include "sched/sched.h"
#include "sched/sleep.h"
#include "sched/threadtable.h"
#include "vm/kvm.h"

/* Guarded by sched_lock. */
static int last_id;
static struct thread_counts counts;

/*
 * The first code of every new thread, "returned to" by the context_switch() in a
 * scheduler loop, which holds sched_lock for it (kernel/sched/sched.h).
 */
static __attribute__((noreturn)) void thread_start(void)
{
	spin_unlock(&sched_lock);
	cpu_irq_enable();
	struct thread *me = thread_current();
	me->fn(me->arg);
	thread_exit();
}

static void set_name(struct thread *t, const char *name)
{
	strlcpy(t->name, name ? name : "(unnamed)", sizeof t->name);
}

struct thread *thread_create(void (*fn)(void *arg), void *arg, const char *name)
{
	return thread_create_reserving(fn, arg, name, 0);
}

struct thread *thread_create_reserving(void (*fn)(void *arg), void *arg, const char *name,
                                       size_t reserve)
{
	if (fn == NULL)
		panic("thread_create: no function for thread '%s' (called from %pS)",
		      name ? name : "(unnamed)", __builtin_return_address(0));
	assert_may_allocate();
	struct thread *t = thread_table_alloc_slot();
	if (t == NULL)
		return NULL;
	uintptr_t lo = stack_pool_get();
	if (lo == 0) {
		thread_table_free_slot(t);
		return NULL;
	}
	set_name(t, name);
	t->fn = fn;
	t->arg = arg;
	/* Once paging is on (lab 6), the stack's lowest page becomes its guard page. */
	t->stack_region = lo;
	t->stack_lo = kvm_guard_stack(lo);
	t->stack_guarded = t->stack_lo != lo;
	t->stack_hi = lo + THREAD_STACK_SIZE;
	t->pool_stack = true;
	/* Sound: the stack is ours alone until the thread runs; the guard band is unused. */
	*stack_canary_slot(t->stack_lo) = STACK_CANARY;
	/* The top `reserve` bytes stay the owner's (lab 7 keeps a trap frame there). */
	context_init(&t->context, thread_start, (t->stack_hi - reserve) & ~(uintptr_t)15);

	spin_lock(&sched_lock);
	t->id = ++last_id;
	counts.created++;
	sched_make_runnable(t);
	spin_unlock(&sched_lock);
	return t;
}

struct thread *thread_adopt(const char *name, uintptr_t stack_lo, uintptr_t stack_hi)
{
	struct thread *t = thread_table_alloc_slot();
	if (t == NULL)
		panic("thread_adopt: the thread table is full at boot");
	set_name(t, name);
	t->stack_lo = stack_lo;
	t->stack_hi = stack_hi;
	spin_lock(&sched_lock);
	t->id = ++last_id;
	counts.created++;
	spin_unlock(&sched_lock);
	return t;
}

void thread_exit(void)
{
	struct thread *me = thread_current();
	if (me == NULL)
		panic("thread_exit() called outside a thread, on hart %u (from %pS)",
		      this_hart()->id, __builtin_return_address(0));
	assert_may_sleep();
	sched_assert_may_switch("thread_exit", NULL);
	spin_lock(&sched_lock);
	me->state = THREAD_EXITED;
	wakeup_locked(me); /* the joiner sleeps on the thread itself */
	/*
	 * The joiner takes sched_lock before it looks at the state, and this hart holds it
	 * until the scheduler loop is off this thread's stack: the stack cannot go back to
	 * the pool while it is still in use.
	 */
	sched_switch_out(me, "thread_exit");
	panic("thread_exit: thread '%s' ran again after it exited", me->name);
}

void thread_join(struct thread *t)
{
	struct thread *me = thread_current();
	if (me == NULL)
		panic("thread_join() called outside a thread, on hart %u (from %pS)",
		      this_hart()->id, __builtin_return_address(0));
	assert_may_sleep();
	if (t == me)
		panic("thread_join: thread '%s' joins itself (called from %pS)", me->name,
		      __builtin_return_address(0));
	sched_assert_may_switch("thread_join", NULL);
	spin_lock(&sched_lock);
	/* A slot from kmalloc() (lab 5) reads as poison once freed, not as THREAD_FREE. */
	if (t->state == THREAD_FREE || (unsigned)t->state > THREAD_EXITED)
		panic("thread_join: %p is not a thread (joined twice?) (called from %pS)", t,
		      __builtin_return_address(0));
	if (t->joiner)
		panic("thread_join: thread '%s' joins '%s', which '%s' already joins (called from "
		      "%pS)",
		      me->name, t->name, t->joiner->name, __builtin_return_address(0));
	t->joiner = me;
	while (t->state != THREAD_EXITED)
		sleep_locked(t, "thread_join");
	t->state = THREAD_FREE;
	counts.joined++;
	spin_unlock(&sched_lock);
	if (t->stack_guarded)
		kvm_unguard_stack(t->stack_region);
	if (t->pool_stack)
		stack_pool_put(t->stack_region);
	thread_table_free_slot(t);
}

const char *thread_current_name(void)
{
	struct thread *t = thread_current();
	return t ? t->name : "(no thread)";
}

const char *thread_state_name(enum thread_state state)
{
	static const char *const names[] = {
	        [THREAD_FREE] = "free",       [THREAD_RUNNABLE] = "runnable",
	        [THREAD_RUNNING] = "running", [THREAD_SLEEPING] = "sleeping",
	        [THREAD_EXITED] = "exited",
	};
	return (unsigned)state < sizeof names / sizeof names[0] ? names[state] : "invalid";
}

struct thread_counts thread_counts(void)
{
	spin_lock(&sched_lock);
	struct thread_counts c = counts;
	spin_unlock(&sched_lock);
	return c;
}
