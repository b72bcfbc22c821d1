/*
 * A small test harness for the host tests of the allocators. Each test runs in a
 * child process of its own, so a test that panics (on purpose or not) or corrupts
 * memory cannot take the others down:
 *
 *   static void test_split(void) { CHECK(x == 1, "x is %d", x); }
 *   static void test_double_free(void) { ...; buddy_free(&b, p, 0); }
 *
 *   static const struct host_test tests[] = {
 *           {"split", test_split},
 *           {"double_free", test_double_free, .panic = "double free"},
 *   };
 *   int main(int argc, char **argv) { return host_main("buddy", tests, N, argc, argv); }
 *
 * A test passes if its child exits with status 0; a death test (.panic set) passes if
 * its child panics (exit status 1) with a message containing .panic and every string
 * the test announced with expect_in_panic(). The last line printed is exactly
 * "N passed, N failed", and the exit status is non-zero if any test failed.
 *
 * Command line: [-v] [SEED] [NAME]: SEED (a number) is added to the fixed seeds that
 * the randomized tests run with; NAME runs only the tests whose name contains it; -v
 * shows the output of passing tests too (the panic messages of death tests).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host_test {
	const char *name;
	void (*run)(void);
	const char *panic; /* death test: the panic message must contain this */
};

int host_main(const char *suite, const struct host_test *tests, size_t ntests, int argc,
              char **argv);

/* Fails the running test: prints where and why, and ends its child process. */
__attribute__((noreturn, format(printf, 3, 4))) void host_fail(const char *file, int line,
                                                               const char *fmt, ...);

#define CHECK(cond, ...)                                            \
	do {                                                        \
		if (!(cond))                                        \
			host_fail(__FILE__, __LINE__, __VA_ARGS__); \
	} while (0)

/* In a death test: the panic message must also contain this text. */
void expect_in_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Seeds for randomized tests: a fixed list, plus the one from the command line. */
size_t host_nseeds(void);
uint64_t host_seed(size_t i);

/* Names what a failure message should mention (e.g. "seed 42"); "" for nothing. */
void host_set_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A small fast generator (splitmix64): the same seed gives the same sequence. */
struct rng {
	uint64_t state;
};
uint64_t rng_next(struct rng *r);
uint64_t rng_below(struct rng *r, uint64_t n); /* uniform enough in [0, n), n > 0 */

/*
 * Memory for the allocators to manage: `size` bytes aligned to `align`, released by
 * host_release_all() (or when the child process ends).
 */
void *host_memory(size_t size, size_t align);
void host_release_all(void);

/* An early allocation function for buddy_init(): memory outside any test run. */
void *host_early_alloc(size_t size, size_t align);
