/*
 * Starting the other harts, the parking loop they wait in, the per-hart mailbox that
 * hands them work, and stopping them (kernel/smp/smp.h).
 *
 * The boot hart asks the firmware (SBI HSM hart_start) to start each other hart at
 * _start_secondary (kernel/hal/entry.S) with a1 = the top of that hart's own boot
 * stack; the hart binds tp to its struct hart, sets up its traps, its timer and its
 * device interrupts (lab 2), registers itself and parks with interrupts on. Stopping
 * them is kernel/hart/stop.c's.
 */
#include "smp/smp.h"

#include "config.h"
#include "debug/panic.h"
#include "debug/phase.h"
#include "dev/bootargs.h"
#include "dev/console.h"
#include "dev/platform.h"
#include "hal/atomic.h"
#include "hal/cpu.h"
#include "hal/entry.h"
#include "hal/sbi.h"
#include "hart/hart.h"
#include "hart/stop.h"
#include "lib/format.h"
#include "lib/string.h"
#include "sync/irqnest.h"
#include "sync/spinlock.h"
#include "trap/irq.h"
#include "trap/timer.h"
#include "trap/trap.h"

/* How long the boot hart waits for a started hart to reach its parking loop. */
#define START_TIMEOUT_MS 1000

/* Guards the count of online harts; the first lock the kernel takes. */
static struct spinlock smp_lock = SPINLOCK_INIT("smp");
static int nonline;

uint64_t smp_ms_to_ticks(uint64_t ms)
{
	return timer_timebase() * ms / 1000;
}

/* Sends an inter-processor interrupt: a software interrupt on hart `hartid`. */
static void poke(uint32_t hartid)
{
	/* hart_mask bit 0 stands for hart_mask_base: a mask naming exactly one hart. */
	sbi_send_ipi(1, hartid);
}

void smp_kick(uint32_t hartid)
{
	poke(hartid);
}

/*
 * smp_call_all(): one call at a time, named by a generation number that each hart
 * copies into its struct hart once it has run the call.
 */
static void (*volatile call_fn)(void);
static volatile uint32_t call_generation;
static volatile uint32_t call_busy;

/* Runs the call posted by smp_call_all() if this hart has not run it yet. */
static void run_pending_call(void)
{
	struct hart *me = this_hart();
	uint32_t gen = atomic_load_acquire(&call_generation);
	if (gen != atomic_load_relaxed(&me->call_seen)) {
		call_fn();
		atomic_store_release(&me->call_seen, gen);
	}
}

/* The software-interrupt handler (interrupt context): IPIs ask a hart to stop, or to
   run a call posted by smp_call_all(). */
static void ipi_received(void)
{
	stop_poll();
	run_pending_call();
}

static bool is_running(const struct hart *h)
{
	uint32_t a = atomic_load_relaxed(&h->activity);
	return a == HART_PARKED || a == HART_WORKING;
}

void smp_call_all(void (*fn)(void))
{
	/* Another hart's call may be waiting for this one: run it while waiting our turn. */
	irq_state_t irq = cpu_irq_save();
	while (!atomic_cas_acq_rel(&call_busy, 0, 1)) {
		run_pending_call();
		stop_poll();
		cpu_relax();
	}
	call_fn = fn;
	uint32_t gen = call_generation + 1;
	atomic_store_release(&call_generation, gen);
	struct hart *me = this_hart();
	for (int i = 0; i < MAX_HARTS; i++)
		if (&harts[i] != me && is_running(&harts[i]))
			poke(harts[i].id);
	run_pending_call();
	for (int i = 0; i < MAX_HARTS; i++)
		while (&harts[i] != me && is_running(&harts[i]) &&
		       atomic_load_acquire(&harts[i].call_seen) != gen) {
			stop_poll();
			cpu_relax();
		}
	atomic_store_release(&call_busy, 0);
	cpu_irq_restore(irq);
}

static void set_activity(struct hart *h, enum hart_activity a)
{
	atomic_store_relaxed(&h->activity, a);
}

static void come_online(void)
{
	spin_lock(&smp_lock);
	nonline++;
	spin_unlock(&smp_lock);
}

int smp_online(void)
{
	spin_lock(&smp_lock);
	int n = nonline;
	spin_unlock(&smp_lock);
	return n;
}

static bool wait_until_parked(struct hart *h, uint64_t ms)
{
	uint64_t deadline = timer_now() + smp_ms_to_ticks(ms);
	while (atomic_load_relaxed(&h->activity) == HART_STARTING)
		if (timer_now() > deadline)
			return false;
	return true;
}

void smp_start_secondaries(void)
{
	assert_phase(PHASE_BOOTSTRAP);
	struct hart *me = this_hart();
	set_activity(me, HART_WORKING);
	trap_set_software_handler(ipi_received);
	come_online();
	if (platform.nharts > 1 && !sbi_has_extension(SBI_EXT_HSM)) {
		printf("sprout: the firmware cannot start harts (no SBI HSM): running on one\n");
		return;
	}
	for (int i = 0; i < platform.nharts; i++)
		if (platform.hart_ids[i] != me->id)
			set_activity(&harts[platform.hart_ids[i]], HART_STARTING);
	/* A hart the firmware let into _start early may come in now (kernel/hal/entry.S). */
	atomic_store_release(&secondaries_welcome, 1);
	/* hartentry=start: do what the firmware now and then does, to test that it works. */
	char entry[8];
	bool via_start = bootarg("hartentry", entry, sizeof entry) && strcmp(entry, "start") == 0;
	for (int i = 0; i < platform.nharts; i++) {
		uint32_t id = platform.hart_ids[i];
		if (id == me->id)
			continue;
		struct hart *h = &harts[id];
		/* Sound: boot_stacks[id] is used by no one until hart `id` runs on it. */
		uintptr_t stack_top = (uintptr_t)boot_stacks[id] + KSTACK_SIZE;
		struct sbi_result r =
		        via_start ? sbi_hart_start(id, (uintptr_t)_start, platform.dtb.base)
		                  : sbi_hart_start(id, (uintptr_t)_start_secondary, stack_top);
		if (r.error == SBI_ERR_ALREADY_AVAILABLE)
			continue; /* running already: it came in through _start */
		if (r.error != SBI_SUCCESS) {
			set_activity(h, HART_OFFLINE);
			printf("sprout: cannot start hart %u: SBI error %ld (state %ld)\n", id,
			       r.error, sbi_hart_status(id).value);
		}
	}
	/* Started one after the other, they come up in parallel: wait for all. */
	for (int i = 0; i < platform.nharts; i++) {
		uint32_t id = platform.hart_ids[i];
		struct hart *h = &harts[id];
		/* Not h->id: a hart that never came up has not filled its struct in. */
		if (h != me && !wait_until_parked(h, START_TIMEOUT_MS)) {
			set_activity(h, HART_OFFLINE);
			printf("sprout: hart %u did not come up within %d ms\n", id,
			       START_TIMEOUT_MS);
		}
	}
	for (int i = 0; i < platform.nharts; i++)
		if (late_harts & (1ul << platform.hart_ids[i]))
			printf("sprout: hart %u came in through _start, not _start_secondary; "
			       "it joined as a secondary\n",
			       platform.hart_ids[i]);
	int n = smp_online();
	printf("sprout: %d hart%s online\n", n, n == 1 ? "" : "s");
}

/* Runs the mailbox's work, if any; returns whether there was some. */
static bool run_posted_work(struct hart *me)
{
	if (atomic_load_acquire(&me->work.state) != SMP_WORK_POSTED)
		return false;
	atomic_store_relaxed(&me->work.state, SMP_WORK_RUNNING);
	set_activity(me, HART_WORKING);
	me->work.fn(me->work.arg);
	if (me->nheld != 0)
		panic("hart %u: work %pS returned holding lock '%s' (taken at %pS)", me->id,
		      me->work.fn, me->held[0]->name, me->held[0]->site);
	if (irq_depth() != 0)
		panic("hart %u: work %pS returned with %u irq_push() not undone", me->id,
		      me->work.fn, irq_depth());
	set_activity(me, HART_PARKED);
	/* Release: whoever sees the mailbox idle also sees everything the work wrote. */
	atomic_store_release(&me->work.state, SMP_WORK_IDLE);
	return true;
}

void smp_secondary_main(void)
{
	struct hart *me = this_hart();
	trap_init_hart();
	timer_init_hart();
	irq_init_hart();
	cpu_irq_enable();
	come_online();
	set_activity(me, HART_PARKED);
	/*
	 * The parking loop polls instead of waiting in wfi. Under QEMU -icount, where all
	 * harts take turns on one host thread, a hart in wfi was never resumed by an IPI
	 * (nor by its own timer) while another hart kept running, and benchmarks need
	 * -icount. The IPI that smp_run_on() sends is for lab 4's idle loop, which can
	 * sleep in wfi; here the trap handler only acknowledges it.
	 */
	for (;;) {
		stop_poll();
		if (!run_posted_work(me))
			cpu_relax();
	}
}

bool smp_run_on(uint32_t hartid, void (*fn)(void *arg), void *arg)
{
	if (hartid >= MAX_HARTS || hartid == this_hart()->id)
		return false;
	struct hart *h = &harts[hartid];
	uint32_t a = atomic_load_relaxed(&h->activity);
	if (a != HART_PARKED && a != HART_WORKING)
		return false;
	/* Claim the mailbox (two posters may race for it), fill it, then publish. */
	if (!atomic_cas_acq_rel(&h->work.state, SMP_WORK_IDLE, SMP_WORK_RUNNING))
		return false;
	h->work.fn = fn;
	h->work.arg = arg;
	atomic_store_release(&h->work.state, SMP_WORK_POSTED);
	poke(hartid);
	return true;
}

bool smp_join_timeout(uint32_t hartid, uint64_t ms)
{
	struct hart *h = &harts[hartid];
	uint64_t deadline = timer_now() + smp_ms_to_ticks(ms);
	while (atomic_load_acquire(&h->work.state) != SMP_WORK_IDLE) {
		if (timer_now() > deadline)
			return false;
		stop_poll();
		cpu_relax();
	}
	return true;
}

void smp_join(uint32_t hartid)
{
	while (!smp_join_timeout(hartid, 1000))
		;
}
