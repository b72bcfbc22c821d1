/*
 * The in-kernel test harness. Tests live in kernel/tests/, apart from the code they
 * test, and register themselves with KTEST(); the kernel command line chooses which
 * run (test=bump or test=bump.align). Each prints one result line in the format of
 * docs/protocol.md, and the kernel powers off when the chosen tests have run.
 *
 *   KTEST(bump, align) {
 *           void *p = boot_alloc(24, 64);
 *           KCHECK((uintptr_t)p % 64 == 0, "boot_alloc(24, 64) returned %p", p);
 *   }
 *
 * Tests of a suite run at the point of boot where that suite's subsystem has just come
 * up (ktest_checkpoint), so the tests of lab 1 run before lab 2's code is reached.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum ktest_flags {
	KTEST_DEATH = 1 << 0,   /* passes only by panicking; runs only when named in full */
	KTEST_ALONE = 1 << 1,   /* runs only when named in full: benchmarks, and tests
				    that use up a resource later tests need */
	KTEST_WITNESS = 1 << 2, /* the suite's witness (KTEST_WITNESS below), not a test */
};

struct ktest {
	const char *suite;
	const char *name;
	void (*run)(void);
	unsigned flags;
};

#define KTEST_DEFINE(suite_, name_, flags_)                                      \
	static void ktest_fn_##suite_##_##name_(void);                           \
	static const struct ktest ktest_##suite_##_##name_                       \
	        __attribute__((used, section(".ktests"), aligned(8))) = {        \
	                #suite_, #name_, ktest_fn_##suite_##_##name_, (flags_)}; \
	static void ktest_fn_##suite_##_##name_(void)

#define KTEST(suite, name)       KTEST_DEFINE(suite, name, 0)
#define KTEST_DEATH(suite, name) KTEST_DEFINE(suite, name, KTEST_DEATH)
#define KTEST_ALONE(suite, name) KTEST_DEFINE(suite, name, KTEST_ALONE)

/*
 * A suite's witness: a short workload, seeded by seed= (ktest_seed()), that runs before
 * the first test of the suite in every boot and prints, as INFO lines of
 * "<suite>.witness", results that only working code of the lab produces (addresses,
 * counts, register values). The grader recomputes them from the seed with a model of
 * its own: output printed without running the lab's code does not pass. A failed
 * KCHECK prints "FAIL <suite>.witness: ..." and counts as a failed test.
 */
#define KTEST_WITNESS(suite) KTEST_DEFINE(suite, witness, KTEST_WITNESS)

/* Fails the running test with a message and returns from the test function. */
#define KCHECK(cond, ...)                                            \
	do {                                                         \
		if (!(cond)) {                                       \
			ktest_fail(__FILE__, __LINE__, __VA_ARGS__); \
			return;                                      \
		}                                                    \
	} while (0)

void ktest_fail(const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Prints "KTEST <token> INFO <test> <text>": values the grader may cross-check. */
void ktest_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The seed the grader chose for this boot (seed=N on the command line, docs/protocol.md),
 * or 1 when none was given. Tests derive their workloads from it through a ktest_rng,
 * so that the grader, which knows the seed, can predict what a working kernel prints.
 */
uint64_t ktest_seed(void);

/*
 * A stream of pseudo-random numbers: splitmix64, seeded with ktest_seed() mixed with a
 * number of the test's choosing. grade/gradelib.py's SplitMix yields the same numbers.
 */
struct ktest_rng {
	uint64_t state;
};
struct ktest_rng ktest_rng(uint64_t stream);
uint64_t ktest_next(struct ktest_rng *r);
/* A number in [lo, hi] (inclusive), from ktest_next() modulo the width. */
uint64_t ktest_range(struct ktest_rng *r, uint64_t lo, uint64_t hi);

/*
 * Folds one 64-bit value into a digest (FNV-1a over the value's 8 bytes, lowest first),
 * as grade/gradelib.py's fold() does. Start from KTEST_DIGEST_INIT.
 */
#define KTEST_DIGEST_INIT 0xcbf29ce484222325UL
uint64_t ktest_fold(uint64_t digest, uint64_t value);

/* Prints "KTEST <token> BENCH <name> <value> <unit>". */
void ktest_bench(const char *name, uint64_t value, const char *unit);

/*
 * A check of the whole kernel around the tests, such as "the tests gave back all the
 * memory they took". `before` runs once, just before the first test that starts after
 * this call; `after` runs once the chosen tests are done, before the DONE line, and
 * returns NULL or a sentence saying what is wrong, printed as "FAIL <name>: ..." and
 * counted as a failed test. A death test ends the boot in its panic, so only the tests
 * that return are checked. Boot hart, before the checkpoint whose tests it covers.
 */
void ktest_add_invariant(const char *name, void (*before)(void), const char *(*after)(void));

/* Reads test=, token= and seed= from the command line. */
void ktest_init(void);

/* True if the command line chose any test. */
bool ktest_active(void);

/*
 * Runs the chosen tests of `suite`. When no chosen test is left, prints the DONE line
 * and powers off (status 0 if all passed, 2 otherwise); otherwise returns.
 */
void ktest_checkpoint(const char *suite);

/* Called at the end of boot: reports chosen tests that no checkpoint ran. */
void ktest_finish(void);
