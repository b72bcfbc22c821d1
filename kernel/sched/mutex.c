/*
 * Sleeping mutexes (kernel/sched/mutex.h), built on sleep_on() and wakeup(): the mutex's
 * guard spinlock protects its owner field, and a waiter sleeps on the mutex itself.
 */
#include "sched/mutex.h"

#include "debug/context_check.h"
#include "debug/panic.h"
#include "debug/phase.h"
#include "hart/hart.h"
#include "sched/sched.h"
#include "sched/sleep.h"
#include "sched/thread.h"

static const char *owner_name(const struct mutex *m)
{
	return m->owner ? m->owner->name : "(none)";
}

void mutex_init(struct mutex *m, const char *name)
{
	*m = (struct mutex)MUTEX_INIT(name);
	spin_init(&m->guard, "mutex");
}

void mutex_deinit(struct mutex *m)
{
	if (m->owner)
		panic("mutex_deinit: mutex '%s' is held by thread '%s' (locked at %pS)", m->name,
		      owner_name(m), m->site);
	spin_deinit(&m->guard);
}

void mutex_lock(struct mutex *m)
{
	void *site = __builtin_return_address(0);
	assert_may_sleep();
	assert_phase_at_least(PHASE_SCHEDULER);
	struct thread *me = thread_current();
	if (me == NULL)
		panic("mutex_lock: mutex '%s' taken outside a thread, on hart %u (at %pS)", m->name,
		      this_hart()->id, site);
	sched_assert_may_switch("mutex_lock", NULL);

	spin_lock(&m->guard);
	if (m->owner == me)
		panic("mutex_lock: thread '%s' already holds mutex '%s' (locked at %pS) and locks "
		      "it again at %pS",
		      me->name, m->name, m->site, site);
	if (m->owner)
		m->contended++;
	while (m->owner) {
		m->waiters++;
		sleep_on(m, &m->guard);
		m->waiters--;
	}
	m->owner = me;
	m->site = site;
	m->acquisitions++;
	spin_unlock(&m->guard);
}

void mutex_unlock(struct mutex *m)
{
	void *site = __builtin_return_address(0);
	if (in_trap_handler())
		context_violation("mutex_unlock", "use a mutex", site);
	struct thread *me = thread_current();
	spin_lock(&m->guard);
	if (m->owner != me || me == NULL) {
		if (m->owner == NULL)
			panic("mutex_unlock: mutex '%s' is not locked, yet '%s' releases it at %pS",
			      m->name, thread_current_name(), site);
		panic("mutex_unlock: '%s' releases mutex '%s' at %pS, but thread '%s' holds it "
		      "(locked at %pS)",
		      thread_current_name(), m->name, site, owner_name(m), m->site);
	}
	m->owner = NULL;
	m->site = NULL;
	/* Every waiter wakes and looks again; the first to get the guard takes the mutex. */
	if (m->waiters)
		wakeup(m);
	spin_unlock(&m->guard);
}

bool mutex_held(const struct mutex *m)
{
	struct thread *me = thread_current();
	return me != NULL && __atomic_load_n(&m->owner, __ATOMIC_RELAXED) == me;
}

struct thread *mutex_owner(const struct mutex *m)
{
	return __atomic_load_n(&m->owner, __ATOMIC_RELAXED);
}
