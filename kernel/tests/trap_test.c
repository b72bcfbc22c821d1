/*
 * Tests of lab 2, traps (kernel/trap/trap.c, kernel/hal/trap_entry.S, kernel/trap/timer.c,
 * kernel/trap/irq.c, the interrupt-driven console). They run right after interrupts are on,
 * in the bootstrap phase, on the boot hart.
 */
#include "tests/trap_test.h"
#include "config.h"
#include "debug/context_check.h"
#include "debug/ktest.h"
#include "debug/panic.h"
#include "dev/console.h"
#include "dev/platform.h"
#include "hal/atomic.h"
#include "hal/cpu.h"
#include "hart/hart.h"
#include "mm/bump.h"
#include "trap/irq.h"
#include "trap/timer.h"
#include "trap/trap.h"

/* Waits (with wfi) until this hart's tick count moves. */
static void wait_for_tick(void)
{
	uint64_t t = timer_ticks();
	while (timer_ticks() == t)
		cpu_wait_for_interrupt();
}

KTEST(trap, ebreak)
{
	struct trap_stats before = trap_stats();
	uint64_t v = trap_test_breakpoints();
	struct trap_stats after = trap_stats();
	KCHECK(v == 11,
	       "the code around an ebreak and a c.ebreak computed %lu, expected 11: "
	       "a step-over skipped or repeated an instruction",
	       v);
	KCHECK(after.breakpoints == before.breakpoints + 2,
	       "2 breakpoints stepped over, but the count went from %lu to %lu", before.breakpoints,
	       after.breakpoints);
	cpu_breakpoint();
	KCHECK(trap_stats().breakpoints == before.breakpoints + 3, "third breakpoint not counted");
}

KTEST(trap, registers)
{
	static const char *const names[32] = {"zero", "ra", "sp",  "gp",  "tp", "t0", "t1", "t2",
	                                      "s0",   "s1", "a0",  "a1",  "a2", "a3", "a4", "a5",
	                                      "a6",   "a7", "s2",  "s3",  "s4", "s5", "s6", "s7",
	                                      "s8",   "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
	const volatile uint64_t *ticks = timer_tick_counter();
	uint64_t out[32];
	uint64_t start = *ticks, target = start + 5;
	trap_test_spin_registers(ticks, target, out);
	ktest_info("interrupts=%lu", *ticks - start);
	for (int n = 1; n <= 28; n++) {
		if (n == 2)
			continue;
		uint64_t want = REG_PATTERN(n);
		KCHECK(out[n] == want,
		       "x%d (%s) is 0x%lx after %lu timer interrupts, expected 0x%lx", n, names[n],
		       out[n], target - start, want);
	}
	KCHECK(out[0] == out[2], "sp changed from 0x%lx to 0x%lx across interrupts", out[0],
	       out[2]);
	KCHECK(out[29] == target, "t4 is 0x%lx, expected 0x%lx", out[29], target);
	KCHECK(out[30] == (uintptr_t)ticks, "t5 is 0x%lx, expected 0x%lx", out[30],
	       (uint64_t)(uintptr_t)ticks);
	KCHECK(out[31] >= target && out[31] <= *ticks, "t6 is %lu, expected a tick count of %lu",
	       out[31], target);
}

KTEST(trap, tick_rate)
{
	uint64_t timebase = timer_timebase();
	unsigned hz = timer_hz();
	wait_for_tick();
	uint64_t t0 = timer_now(), n0 = timer_ticks(), missed0 = timer_missed_ticks();
	while (timer_now() - t0 < timebase) /* one second of guest time */
		cpu_wait_for_interrupt();
	uint64_t elapsed = timer_now() - t0, ticks = timer_ticks() - n0;
	uint64_t expected = elapsed * hz / timebase;
	ktest_info("hz=%u ticks=%lu elapsed=%lu timebase=%lu missed=%lu source=%s", hz, ticks,
	           elapsed, timebase, timer_missed_ticks() - missed0, timer_source());
	uint64_t slack = 1 + expected / 50;
	KCHECK(ticks + slack >= expected && ticks <= expected + slack,
	       "%lu ticks in %lu timebase units at %u Hz, expected %lu", ticks, elapsed, hz,
	       expected);
}

KTEST_DEATH(trap, illegal)
{
	trap_test_illegal_insn();
}

KTEST_DEATH(trap, load_fault)
{
	/* The firmware's own memory: its PMP keeps the kernel out. */
	trap_test_load(platform.ram.base);
}

/* A panic's details callback that faults: the firmware's memory, as in load_fault. */
static void faulting_details(const void *ctx)
{
	(void)ctx;
	trap_test_load(platform.ram.base);
}

KTEST_DEATH(trap, panic_fault)
{
	/* The report must still end the run, with the panic status and its own message. */
	panic_report(cpu_frame_pointer(), faulting_details, NULL,
	             "panic_fault: a panic whose details callback faults");
}

static volatile int depth_in_handler = -1, depth_after_nested = -1;

static void context_probe(void)
{
	depth_in_handler = this_hart()->trap_depth;
	cpu_breakpoint(); /* an exception nested in the interrupt handler */
	depth_after_nested = this_hart()->trap_depth;
}

KTEST(trap, context)
{
	KCHECK(!in_trap_handler(), "in_trap_handler() is true in a test (depth %d)",
	       this_hart()->trap_depth);
	trap_set_software_handler(context_probe);
	cpu_software_interrupt_raise();
	for (int i = 0; i < 1000 && depth_after_nested < 0; i++)
		cpu_relax();
	trap_set_software_handler(NULL);
	ktest_info("in_handler=%d after_nested=%d now=%d", depth_in_handler, depth_after_nested,
	           this_hart()->trap_depth);
	KCHECK(depth_in_handler == 1, "trap depth in a software interrupt handler is %d, not 1",
	       depth_in_handler);
	KCHECK(depth_after_nested == 1, "trap depth after a nested ebreak is %d, not 1",
	       depth_after_nested);
	KCHECK(!in_trap_handler(), "trap depth is %d after the handler", this_hart()->trap_depth);
}

static void alloc_in_handler(void)
{
	boot_alloc(16, 8);
}

KTEST_DEATH(trap, alloc_in_irq)
{
	trap_set_software_handler(alloc_in_handler);
	cpu_software_interrupt_raise();
	wait_for_tick();
}

KTEST(trap, spurious)
{
	trap_set_software_handler(NULL);
	struct trap_stats before = trap_stats();
	cpu_software_interrupt_raise();
	wait_for_tick();
	struct trap_stats after = trap_stats();
	ktest_info("unexpected=%lu software=%lu", after.unexpected - before.unexpected,
	           after.software - before.software);
	KCHECK(after.software == before.software + 1,
	       "1 software interrupt raised, %lu taken (not acknowledged?)",
	       after.software - before.software);
	KCHECK(after.unexpected == before.unexpected + 1,
	       "an interrupt nobody handles was counted %lu times, not once",
	       after.unexpected - before.unexpected);
}

KTEST_ALONE(trap, uart_echo)
{
	uint64_t irqs = irq_count(platform.uart_irq);
	char line[80];
	size_t n = 0;
	ktest_info("ready: type a line");
	uint64_t give_up = timer_now() + 20 * timer_timebase();
	while (timer_now() < give_up && n < sizeof line - 1) {
		int c = console_getc();
		if (c < 0) {
			cpu_wait_for_interrupt();
			continue;
		}
		if (c == '\r' || c == '\n') {
			if (n > 0)
				break;
			continue;
		}
		line[n++] = (char)c;
	}
	line[n] = '\0';
	ktest_info("line=%s uart_irqs=%lu", line, irq_count(platform.uart_irq) - irqs);
	KCHECK(n > 0, "no line typed within 20 s");
	KCHECK(irq_count(platform.uart_irq) > irqs, "input arrived without a UART interrupt");
}

static uint64_t __attribute__((noinline)) overflow_recurse(uint64_t depth)
{
	volatile uint64_t frame[16];
	frame[0] = depth;
	/* Stop halfway into the guard band: far enough for any check, short of others' memory. */
	if (cpu_stack_pointer() > this_hart()->entry.stack_lo + KSTACK_GUARD / 2)
		return overflow_recurse(depth + 1) + frame[0];
	/* The next tick finds sp in the guard band; if it does not, the test fails. */
	for (int i = 0; i < 100; i++)
		cpu_wait_for_interrupt();
	return frame[0];
}

KTEST_DEATH(trap, stack_overflow)
{
	overflow_recurse(0);
}

KTEST_DEATH(trap, canary)
{
	/* What an overflow that has already returned leaves behind. */
	*stack_canary_slot(this_hart()->entry.stack_lo) = 0xdead;
	wait_for_tick();
}

/*
 * Spins reading instret, recording each gap longer than `threshold`; the loop body is
 * the same in calibration and measurement, so a gap is one loop body plus a trap.
 */
static int __attribute__((noinline))
sample_gaps(uint64_t threshold, uint64_t *gaps, int max, uint64_t iterations)
{
	int n = 0;
	uint64_t prev = cpu_instret();
	for (uint64_t i = 0; i < iterations && n < max; i++) {
		uint64_t now = cpu_instret();
		if (now - prev > threshold)
			gaps[n++] = now - prev;
		prev = now;
	}
	return n;
}

KTEST_ALONE(trap, bench_tick)
{
	enum { SAMPLES = 101, CALIBRATION = 100000 };
	static uint64_t gaps[SAMPLES];
	/* One loop body, in instructions: time the loop with interrupts off. */
	irq_state_t irq = cpu_irq_save();
	uint64_t t0 = cpu_instret();
	sample_gaps(UINT64_MAX, gaps, SAMPLES, CALIBRATION);
	uint64_t body = (cpu_instret() - t0 + CALIBRATION / 2) / CALIBRATION;
	cpu_irq_restore(irq);
	/* Anything much longer than a loop body had a timer interrupt in it. */
	int n = sample_gaps(body + 40, gaps, SAMPLES, UINT64_MAX);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && gaps[j - 1] > gaps[j]; j--) {
			uint64_t t = gaps[j];
			gaps[j] = gaps[j - 1];
			gaps[j - 1] = t;
		}
	ktest_info("loop_body=%lu samples=%d min=%lu max=%lu hz=%u timer=%s", body, n,
	           gaps[0] - body, gaps[n - 1] - body, timer_hz(), timer_source());
	ktest_bench("trap_round_trip", gaps[n / 2] - body, "instructions");
}
