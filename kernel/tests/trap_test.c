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

/* ktest_rng streams: each seeded draw of this file has its own. */
enum {
	STREAM_WITNESS = 0x70,
	STREAM_EBREAK,
	STREAM_REGISTERS,
	STREAM_FRAME,
	STREAM_ILLEGAL,
	STREAM_NESTED,
	STREAM_LOAD,
	STREAM_UNEXPECTED,
	STREAM_COUNTERS,
};

static const char *const reg_names[32] = {"zero", "ra", "sp",  "gp",  "tp", "t0", "t1", "t2",
                                          "s0",   "s1", "a0",  "a1",  "a2", "a3", "a4", "a5",
                                          "a6",   "a7", "s2",  "s3",  "s4", "s5", "s6", "s7",
                                          "s8",   "s9", "s10", "s11", "t3", "t4", "t5", "t6"};

/* Waits (with wfi) until this hart's tick count moves. */
static void wait_for_tick(void)
{
	uint64_t t = timer_ticks();
	while (timer_ticks() == t)
		cpu_wait_for_interrupt();
}

/* A digest of x1, x3..x31 as an all-register routine left them (grade/lab_trap.py). */
static uint64_t registers_digest(const uint64_t regs[32])
{
	uint64_t d = KTEST_DIGEST_INIT;
	for (int n = 1; n < 32; n++)
		if (n != 2)
			d = ktest_fold(d, regs[n]);
	return d;
}

/*
 * True if out[] holds what an all-register routine set from base, and the caller's sp;
 * otherwise fails the test naming the first register that changed across `trap`.
 */
static bool registers_match(const uint64_t out[32], uint64_t base, uintptr_t sp, const char *trap)
{
	for (int n = 1; n < 32; n++) {
		if (n == 2 || out[n] == reg_seeded(base, n))
			continue;
		ktest_fail(__FILE__, __LINE__,
		           "x%d (%s) is 0x%lx after %s, expected 0x%lx: the trap entry does not "
		           "save or restore %s",
		           n, reg_names[n], out[n], trap, reg_seeded(base, n), reg_names[n]);
		return false;
	}
	if (out[2] != sp) {
		ktest_fail(__FILE__, __LINE__, "sp is 0x%lx after %s, expected 0x%lx", out[2], trap,
		           sp);
		return false;
	}
	return true;
}

/*
 * Every register set from a seeded base, an ebreak, every register read back: the
 * grader checks the digest against the values it derives from the seed.
 */
KTEST_WITNESS(trap)
{
	struct ktest_rng r = ktest_rng(STREAM_WITNESS);
	uint64_t base = ktest_next(&r), out[32];
	uint64_t before = trap_stats().breakpoints;
	uintptr_t sp = cpu_stack_pointer();
	trap_test_regs_ebreak(base, out);
	uint64_t breakpoints = trap_stats().breakpoints - before;
	ktest_info("seed=%lu registers=0x%lx breakpoints=%lu", ktest_seed(), registers_digest(out),
	           breakpoints);
	KCHECK(registers_match(out, base, sp, "an ebreak"), "registers changed");
	KCHECK(breakpoints == 1, "one ebreak counted as %lu breakpoints", breakpoints);
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

	/* Every register across a 4-byte ebreak, then a c.ebreak, from seeded values. */
	struct ktest_rng r = ktest_rng(STREAM_EBREAK);
	for (int i = 0; i < 2; i++) {
		uint64_t base = ktest_next(&r), out[32];
		uintptr_t sp = cpu_stack_pointer();
		if (i == 0)
			trap_test_regs_ebreak(base, out);
		else
			trap_test_regs_c_ebreak(base, out);
		KCHECK(registers_match(out, base, sp, i == 0 ? "an ebreak" : "a c.ebreak"),
		       "registers changed");
		ktest_info("registers%d=0x%lx", i, registers_digest(out));
	}
}

KTEST(trap, registers)
{
	/* Every register, seeded, across the interrupt that ends a wfi; at least three of
	   them timer interrupts. */
	struct ktest_rng r = ktest_rng(STREAM_REGISTERS);
	int timer_hits = 0;
	for (int tries = 0; tries < 50 && timer_hits < 3; tries++) {
		uint64_t base = ktest_next(&r), out[32], ticks0 = timer_ticks();
		uintptr_t sp = cpu_stack_pointer();
		trap_test_regs_wfi(base, out);
		KCHECK(registers_match(out, base, sp, "the interrupt that ended a wfi"),
		       "registers changed");
		if (timer_ticks() != ticks0)
			timer_hits++;
	}
	ktest_info("wfi_timer_interrupts=%d", timer_hits);
	KCHECK(timer_hits >= 3, "only %d of 50 waits ended in a timer interrupt", timer_hits);

	/* The spin loop: interrupts land at any point of it. */
	const char *const *names = reg_names;
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

/*
 * A software interrupt whose handler finds the frame the entry built (right below the
 * interrupted sp, as the given part of trap_entry.S puts it), records what it holds and
 * replaces every register in it: what comes back must be the replacements.
 */
uint64_t trap_test_soft_sp;
static uint64_t frame_base, frame_saw[32];
static volatile int frame_calls;

static void frame_handler(void)
{
	struct trapframe *tf =
	        (struct trapframe *)((trap_test_soft_sp & ~15UL) - sizeof(struct trapframe));
	for (int n = 0; n < 32; n++)
		frame_saw[n] = tf->x[n];
	for (int n = 1; n < 32; n++)
		if (n != 2)
			tf->x[n] = reg_seeded(frame_base, n);
	frame_calls++;
}

KTEST(trap, frame)
{
	struct ktest_rng r = ktest_rng(STREAM_FRAME);
	uint64_t base = ktest_next(&r), out[32];
	frame_base = ktest_next(&r);
	frame_calls = 0;
	uintptr_t sp = cpu_stack_pointer();
	trap_set_software_handler(frame_handler);
	trap_test_regs_soft(base, out);
	trap_set_software_handler(NULL);
	ktest_info("saved=0x%lx restored=0x%lx", registers_digest(frame_saw),
	           registers_digest(out));
	KCHECK(frame_calls == 1, "the software interrupt reached its handler %d times, not once",
	       frame_calls);
	KCHECK(frame_saw[2] == trap_test_soft_sp,
	       "the frame below the interrupted sp 0x%lx holds sp 0x%lx: the frame is not where "
	       "the given part of trap_entry.S puts it",
	       trap_test_soft_sp, frame_saw[2]);
	for (int n = 1; n < 32; n++)
		KCHECK(n == 2 || frame_saw[n] == reg_seeded(base, n),
		       "the trap frame holds 0x%lx for x%d (%s), which held 0x%lx when the "
		       "interrupt "
		       "came: the entry does not save %s",
		       frame_saw[n], n, reg_names[n], reg_seeded(base, n), reg_names[n]);
	for (int n = 1; n < 32; n++)
		KCHECK(n == 2 || out[n] == reg_seeded(frame_base, n),
		       "x%d (%s) is 0x%lx after the trap, but the handler had set the frame's copy "
		       "to 0x%lx: the entry does not restore %s from the frame",
		       n, reg_names[n], out[n], reg_seeded(frame_base, n), reg_names[n]);
	KCHECK(out[2] == sp, "sp is 0x%lx after the trap, expected 0x%lx", out[2], sp);
}

KTEST_DEATH(trap, illegal)
{
	struct ktest_rng r = ktest_rng(STREAM_ILLEGAL);
	trap_test_illegal_insn(ktest_next(&r));
}

/* A fault inside an interrupt handler: the report is of the nested trap. */
static uint64_t nested_base;

static void nested_fault_handler(void)
{
	trap_test_illegal_insn(nested_base);
}

/* The code the interrupt arrives in: a frame of its own, so that the backtrace, which
   goes on through the interrupt's frame into the interrupted code, names the test. */
static void __attribute__((noinline)) nested_raise(void)
{
	cpu_software_interrupt_raise();
	for (int i = 0; i < 10; i++)
		wait_for_tick();
}

KTEST_DEATH(trap, nested_fault)
{
	struct ktest_rng r = ktest_rng(STREAM_NESTED);
	nested_base = ktest_next(&r);
	trap_set_software_handler(nested_fault_handler);
	nested_raise();
}

KTEST_DEATH(trap, load_fault)
{
	/* The firmware's own memory, at a seeded offset: its PMP keeps the kernel out. */
	struct ktest_rng r = ktest_rng(STREAM_LOAD);
	trap_test_load(platform.ram.base + 8 * ktest_range(&r, 0, 0x1fff));
}

/*
 * An interrupt cause the kernel never enables, handed to trap_handler() in a frame made
 * here, as the entry would: it must be counted and masked, not handled as another.
 */
KTEST(trap, unexpected)
{
	static const uint8_t low[] = {2, 3, 4, 6, 7, 8, 10, 11, 12, 13, 14, 15};
	struct ktest_rng r = ktest_rng(STREAM_UNEXPECTED);
	uint64_t pick = ktest_range(&r, 0, sizeof low + 31);
	unsigned code = pick < sizeof low ? low[pick] : 16 + (unsigned)(pick - sizeof low);
	struct trapframe tf = {0};
	tf.scause = (1UL << 63) | code;
	tf.sepc = (uintptr_t)wait_for_tick;
	tf.sstatus = 1UL << 8; /* SPP: it came from the kernel */
	tf.x[REG_SP] = cpu_stack_pointer();
	tf.x[REG_TP] = (uintptr_t)this_hart();
	tf.x[REG_S0] = cpu_frame_pointer();
	irq_state_t irq = cpu_irq_save();
	struct trap_stats before = trap_stats();
	trap_handler(&tf);
	struct trap_stats after = trap_stats();
	cpu_irq_restore(irq);
	ktest_info("code=%u unexpected=%lu timer=%lu external=%lu software=%lu breakpoints=%lu",
	           code, after.unexpected - before.unexpected, after.timer - before.timer,
	           after.external - before.external, after.software - before.software,
	           after.breakpoints - before.breakpoints);
	KCHECK(after.unexpected == before.unexpected + 1,
	       "interrupt cause %u was counted as unexpected %lu times, not once", code,
	       after.unexpected - before.unexpected);
	KCHECK(after.timer == before.timer && after.external == before.external &&
	               after.software == before.software,
	       "interrupt cause %u was counted as a timer, external or software interrupt", code);
}

/* The timer count of the trap statistics follows the tick, interrupt for interrupt. */
KTEST(trap, counters)
{
	struct ktest_rng r = ktest_rng(STREAM_COUNTERS);
	uint64_t n = ktest_range(&r, 3, 12);
	irq_state_t irq = cpu_irq_save();
	struct trap_stats before = trap_stats();
	uint64_t ticks0 = timer_ticks();
	cpu_irq_restore(irq);
	while (timer_ticks() - ticks0 < n)
		cpu_wait_for_interrupt();
	irq = cpu_irq_save();
	struct trap_stats after = trap_stats();
	uint64_t ticks = timer_ticks() - ticks0;
	cpu_irq_restore(irq);
	ktest_info("waited=%lu ticks=%lu timer=%lu", n, ticks, after.timer - before.timer);
	KCHECK(after.timer - before.timer == ticks,
	       "%lu ticks, but the trap statistics count %lu timer interrupts", ticks,
	       after.timer - before.timer);
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
	bool irq_on = cpu_irq_enabled();
	ktest_info("in_handler=%d after_nested=%d now=%d irq_on=%d", depth_in_handler,
	           depth_after_nested, this_hart()->trap_depth, irq_on);
	KCHECK(irq_on,
	       "interrupts are off after the return from an interrupt whose handler took a nested "
	       "ebreak: the nested trap changed sstatus (SPIE), and the entry did not restore it "
	       "from the frame");
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
	uint64_t external = trap_stats().external;
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
	uint64_t uart_irqs = irq_count(platform.uart_irq) - irqs;
	uint64_t externals = trap_stats().external - external;
	ktest_info("line=%s uart_irqs=%lu external=%lu", line, uart_irqs, externals);
	KCHECK(n > 0, "no line typed within 20 s");
	KCHECK(uart_irqs > 0, "input arrived without a UART interrupt");
	/* One external interrupt may serve several claims, so the counts need not be equal. */
	KCHECK(externals > 0,
	       "%lu UART interrupts, but the trap statistics count no external interrupt",
	       uart_irqs);
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
