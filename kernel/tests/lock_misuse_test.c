/*
 * Tests of lab 3 whose right outcome is a panic: misuse of a spinlock must be reported
 * with names and sites, never hang. Each runs alone (test=lock.double_acquire). The
 * helpers are noinline so that the sites in the reports name them.
 */
#include "debug/ktest.h"
#include "hal/atomic.h"
#include "hal/cpu.h"
#include "hart/hart.h"
#include "hart/stop.h"
#include "smp/smp.h"
#include "sync/irqnest.h"
#include "sync/spinlock.h"
#include "tests/test_util.h"

#define SITE __attribute__((noinline, noclone))

/* ---- Taking a lock this hart already holds ---- */

static struct spinlock twice = SPINLOCK_INIT("test.twice");

static SITE void take_first(void)
{
	spin_lock(&twice);
}

static SITE void take_again(void)
{
	spin_lock(&twice);
}

KTEST_DEATH(lock, double_acquire)
{
	take_first();
	take_again();
}

/* ---- Releasing a lock no one holds, or one another hart holds ---- */

static struct spinlock never_taken = SPINLOCK_INIT("test.never");

static SITE void release_unheld(void)
{
	spin_unlock(&never_taken);
}

KTEST_DEATH(lock, release_unheld)
{
	release_unheld();
}

static struct spinlock foreign = SPINLOCK_INIT("test.foreign");
static volatile uint32_t foreign_taken;

/* Takes the lock and keeps it until the machine stops. */
static SITE void hold_foreign(void *arg)
{
	(void)arg;
	spin_lock(&foreign);
	atomic_store_release(&foreign_taken, 1);
	for (;;) {
		stop_poll();
		cpu_relax();
	}
}

static SITE void release_foreign(void)
{
	spin_unlock(&foreign);
}

KTEST_DEATH(lock, release_foreign)
{
	int other = another_hart();
	KCHECK(other >= 0, "this test needs two harts (boot with CPUS=2)");
	smp_run_on((uint32_t)other, hold_foreign, NULL);
	KCHECK(wait_for_value(&foreign_taken, 1, 1000), "hart %d did not take the lock", other);
	release_foreign();
}

/* ---- A lock whose holder never lets go: a deadlock report, not a hang ---- */

static struct spinlock stuck = SPINLOCK_INIT("test.stuck");
static volatile uint32_t stuck_taken;

static SITE void stuck_holder(void *arg)
{
	(void)arg;
	spin_lock(&stuck);
	atomic_store_release(&stuck_taken, 1);
	for (;;) {
		stop_poll();
		cpu_relax();
	}
}

static SITE void wait_for_stuck(void)
{
	spin_lock(&stuck);
}

KTEST_DEATH(lock, deadlock)
{
	int other = another_hart();
	KCHECK(other >= 0, "this test needs two harts (boot with CPUS=2)");
	ktest_info("waiter=%u holder=%d limit_ms=%d", this_hart()->id, other, SPIN_DEADLOCK_MS);
	smp_run_on((uint32_t)other, stuck_holder, NULL);
	KCHECK(wait_for_value(&stuck_taken, 1, 1000), "hart %d did not take the lock", other);
	wait_for_stuck();
	KCHECK(false, "took a lock that another hart never released");
}

/* ---- Two lock classes taken in both orders: reported before they can deadlock ---- */

static struct spinlock order_a = SPINLOCK_INIT("test.order_a");
static struct spinlock order_b = SPINLOCK_INIT("test.order_b");
static struct spinlock order_c = SPINLOCK_INIT("test.order_c");

static SITE void take_a_then_b(void)
{
	spin_lock(&order_a);
	spin_lock(&order_b);
	spin_unlock(&order_b);
	spin_unlock(&order_a);
}

static SITE void take_b_then_a(void)
{
	spin_lock(&order_b);
	spin_lock(&order_a);
	spin_unlock(&order_a);
	spin_unlock(&order_b);
}

KTEST_DEATH(lock, order)
{
	/* One hart, one run: no deadlock can happen here, and it is still reported. */
	take_a_then_b();
	take_b_then_a();
}

static SITE void take_b_then_c(void)
{
	spin_lock(&order_b);
	spin_lock(&order_c);
	spin_unlock(&order_c);
	spin_unlock(&order_b);
}

static SITE void take_c_then_a(void)
{
	spin_lock(&order_c);
	spin_lock(&order_a);
	spin_unlock(&order_a);
	spin_unlock(&order_c);
}

static void learn_chain(void *arg)
{
	(void)arg;
	take_a_then_b();
	take_b_then_c();
}

KTEST_DEATH(lock, order_chain)
{
	/* Another hart teaches a -> b -> c; c -> a here closes the cycle through b. */
	int other = another_hart();
	KCHECK(other >= 0, "this test needs two harts (boot with CPUS=2)");
	ktest_info("learner=%d", other);
	smp_run_on((uint32_t)other, learn_chain, NULL);
	KCHECK(smp_join_timeout((uint32_t)other, 1000), "hart %d did not finish", other);
	take_c_then_a();
}

/* ---- assert_held() on a lock that is not held ---- */

static struct spinlock table_lock = SPINLOCK_INIT("test.table");

static SITE void table_insert(void)
{
	assert_held(&table_lock);
}

static SITE void insert_without_lock(void)
{
	table_insert();
}

KTEST_DEATH(lock, assert_held)
{
	spin_lock(&table_lock);
	table_insert(); /* held: fine */
	spin_unlock(&table_lock);
	insert_without_lock();
}

/* ---- Interrupts turned on while a lock is held ---- */

static struct spinlock irq_lock = SPINLOCK_INIT("test.irq");

KTEST_DEATH(lock, irq_enabled_inside)
{
	spin_lock(&irq_lock);
	cpu_irq_enable(); /* a bug: a handler could now want irq_lock on this hart */
	spin_unlock(&irq_lock);
}

/* ---- irq_pop() without its irq_push() ---- */

static SITE void pop_unbalanced(void)
{
	irq_pop();
}

KTEST_DEATH(lock, irq_pop_unbalanced)
{
	/* Interrupts off, as they would be after a matching push: only the depth is wrong. */
	cpu_irq_disable();
	ktest_info("hart=%u depth=%u", this_hart()->id, irq_depth());
	pop_unbalanced();
}

/* ---- Something that may sleep, called with a spinlock held ---- */

static struct spinlock sleepy = SPINLOCK_INIT("test.sleepy");

static SITE void wait_for_event(void)
{
	assert_no_spinlock_held();
}

static SITE void wait_while_holding(void)
{
	spin_lock(&sleepy);
	wait_for_event();
}

KTEST_DEATH(lock, sleep_while_holding)
{
	wait_for_event(); /* no lock held: fine */
	wait_while_holding();
}

/* ---- A panic on another hart stops this one too ---- */

static struct spinlock elsewhere = SPINLOCK_INIT("test.elsewhere");

static SITE void misuse_elsewhere(void *arg)
{
	(void)arg;
	spin_unlock(&elsewhere);
}

KTEST_DEATH(lock, panic_elsewhere)
{
	int other = another_hart();
	KCHECK(other >= 0, "this test needs two harts (boot with CPUS=2)");
	KCHECK(cpu_irq_enabled(), "interrupts are off on the boot hart");
	ktest_info("bystander=%u panicker=%d", this_hart()->id, other);
	smp_run_on((uint32_t)other, misuse_elsewhere, NULL);
	/* Busy, interrupts on, never asking whether to stop: only the stop IPI can halt it. */
	for (;;)
		cpu_relax();
}
