/*
 * Tests of the event trace (kernel/debug/trace.h) and of the tools built on it.
 *
 *   test=core.bench_trace     what a trace record costs, in guest instructions: BENCH
 *                             lines for grade/bench.py, meant for QEMU -icount shift=0
 *                             on one hart, where instret counts one per instruction
 *   test=trap.selftest_fail   fails on purpose: the recorded failure that the grader's
 *                             own test of record and replay (grade/test_replay.py) and
 *                             the walk-through in docs/getting-started.md go back through
 *
 * Both run only when named in full, and no lab grades them.
 */
#include "debug/ktest.h"
#include "debug/trace.h"
#include "hal/cpu.h"
#include "hal/trapframe.h"

/* ---- What a record costs ---- */

enum { TRACE_ROUNDS = 20000 };

/* instret units per instruction (2^shift under -icount): 256 nops, then 512, compared. */
static uint64_t units_per_instruction(void)
{
	uint64_t best = UINT64_MAX, per = 1;
	for (int i = 0; i < 8; i++) {
		uint64_t a = cpu_instret();
		cpu_run_256_nops();
		uint64_t b = cpu_instret();
		cpu_run_256_nops();
		cpu_run_256_nops();
		uint64_t c = cpu_instret();
		if (c - a < best && c - b > b - a) {
			best = c - a;
			per = ((c - b) - (b - a) + 128) / 256;
		}
	}
	return per ? per : 1;
}

enum what { EMPTY, RECORD, TRAP_PAIR, SYSCALL, RELEASE_FAST };

static const struct trapframe bench_frame = {.scause = 1UL << 63 | IRQ_S_TIMER, .sepc = 0x80200000};
static int bench_lock_word;

/* instret units for TRACE_ROUNDS rounds of `what`, interrupts off: the least of a few runs. */
static uint64_t measure(enum what what)
{
	uint64_t best = UINT64_MAX;
	irq_state_t irq = cpu_irq_save();
	for (int run = 0; run < 5; run++) {
		uint64_t start = cpu_instret();
		for (int i = 0; i < TRACE_ROUNDS; i++) {
			if (what == RECORD) {
				trace_record(TRACE_SYSCALL, 0, 1, 2);
			} else if (what == TRAP_PAIR) {
				trace_trap_enter(&bench_frame);
				trace_trap_exit(&bench_frame);
			} else if (what == SYSCALL) {
				trace_syscall(64);
			} else if (what == RELEASE_FAST) {
				/* Nothing was taken after a wait: the check every spin_unlock() pays. */
				trace_lock_releasing(&bench_lock_word);
			}
			__asm__ volatile("" ::: "memory");
		}
		uint64_t used = cpu_instret() - start;
		if (used < best)
			best = used;
	}
	cpu_irq_restore(irq);
	return best;
}

static uint64_t per_round(uint64_t units, uint64_t empty, uint64_t per_insn)
{
	return (units > empty ? units - empty : 0) / per_insn / TRACE_ROUNDS;
}

KTEST_ALONE(core, bench_trace)
{
	uint64_t per_insn = units_per_instruction();
	uint64_t empty = measure(EMPTY);
	ktest_info("instret_per_instruction=%lu trace=%d ring=%d", per_insn, CONFIG_TRACE,
	           TRACE_RING_RECORDS);
	ktest_bench("trace.record", per_round(measure(RECORD), empty, per_insn), "instructions");
	ktest_bench("trace.trap_in_out", per_round(measure(TRAP_PAIR), empty, per_insn),
	            "instructions");
	ktest_bench("trace.syscall", per_round(measure(SYSCALL), empty, per_insn), "instructions");
	ktest_bench("trace.unlock_check", per_round(measure(RELEASE_FAST), empty, per_insn),
	            "instructions");
}

/* ---- A failure on purpose, to go back through ---- */

#define SELFTEST_SQUARES 10

/* volatile: every write is a store a watchpoint sees, even at -O2. */
static volatile uint64_t selftest_squares[SELFTEST_SQUARES];

static __attribute__((noinline)) void selftest_fill(void)
{
	for (uint64_t i = 0; i < SELFTEST_SQUARES; i++)
		selftest_squares[i] = i * i;
}

/* The planted bug: meant to leave the table as it is, it rewrites one entry. */
static __attribute__((noinline)) void selftest_tidy(void)
{
	selftest_squares[7] = selftest_squares[6] + 7;
}

KTEST_ALONE(trap, selftest_fail)
{
	selftest_fill();
	selftest_tidy();
	uint64_t sum = 0;
	for (int i = 0; i < SELFTEST_SQUARES; i++)
		sum += selftest_squares[i];
	KCHECK(sum == 285,
	       "fails on purpose (the record-and-replay self-test): the squares of 0..9 add up to "
	       "%lu, not 285",
	       sum);
}
