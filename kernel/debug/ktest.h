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
	KTEST_DEATH = 1 << 0, /* passes only by panicking; runs only when named in full */
	KTEST_ALONE = 1 << 1, /* runs only when named in full: benchmarks, and tests
				    that use up a resource later tests need */
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

/* Reads test= and token= from the command line. */
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
