/*
 * Test selection, running, and result lines. Tests are found through the .ktests
 * section that KTEST() fills and kernel/kernel.ld collects.
 */
#include "debug/ktest.h"

#include <stdarg.h>

#include "debug/shutdown.h"
#include "debug/trace.h"
#include "dev/bootargs.h"
#include "dev/console.h"
#include "hal/cpu.h"
#include "lib/format.h"
#include "lib/string.h"

#define MAX_SELECTED 16
#define MAX_TESTS    512

extern const struct ktest ktests_start[], ktests_end[];

static char token[40] = "-";
static uint64_t seed = 1;
static char selection[MAX_SELECTED][48];
static int nselected;
static int remaining; /* chosen tests not yet run */
static int passed, failed, skipped;

#define MAX_INVARIANTS 4

static struct {
	const char *name;
	void (*before)(void);
	const char *(*after)(void);
	bool armed; /* before() has run */
} invariants[MAX_INVARIANTS];
static int ninvariants;

static bool ran[MAX_TESTS];
static const struct ktest *current;
static bool current_failed;
static char failure[200];

static void test_id(const struct ktest *t, char *buf, size_t size)
{
	snprintf(buf, size, "%s.%s", t->suite, t->name);
}

/* How the selection picks t: 0 not at all, 1 as part of its suite, 2 by full name. */
static int chosen(const struct ktest *t)
{
	if (t->flags & KTEST_WITNESS)
		return 0; /* not a test: it runs before the suite's tests (run_witness) */
	char id[64];
	test_id(t, id, sizeof id);
	int how = 0;
	for (int i = 0; i < nselected; i++) {
		if (strcmp(selection[i], id) == 0)
			return 2;
		if (strcmp(selection[i], t->suite) == 0)
			how = 1;
	}
	return how;
}

static bool runs(const struct ktest *t)
{
	int how = chosen(t);
	return how == 2 || (how == 1 && t->flags == 0);
}

static bool names_something(const char *sel)
{
	for (const struct ktest *t = ktests_start; t < ktests_end; t++) {
		char id[64];
		test_id(t, id, sizeof id);
		if ((strcmp(sel, id) == 0 && !(t->flags & KTEST_WITNESS)) ||
		    strcmp(sel, t->suite) == 0)
			return true;
	}
	return false;
}

/* seed=N: decimal, up to 2^64 - 1; anything else is reported and the default kept. */
static void read_seed(void)
{
	char buf[24];
	if (!bootarg("seed", buf, sizeof buf))
		return;
	uint64_t v = 0;
	const char *p = buf;
	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t digit = (uint64_t)(*p - '0');
		if (v > (UINT64_MAX - digit) / 10)
			break;
		v = v * 10 + digit;
	}
	if (*p != '\0' || p == buf) {
		printf("sprout: seed=%s is not a whole number below 2^64; using %lu\n", buf, seed);
		return;
	}
	seed = v;
}

uint64_t ktest_seed(void)
{
	return seed;
}

#define SPLITMIX_GAMMA 0x9e3779b97f4a7c15UL

struct ktest_rng ktest_rng(uint64_t stream)
{
	return (struct ktest_rng){seed ^ (stream * SPLITMIX_GAMMA)};
}

uint64_t ktest_next(struct ktest_rng *r)
{
	uint64_t z = (r->state += SPLITMIX_GAMMA);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
	return z ^ (z >> 31);
}

uint64_t ktest_range(struct ktest_rng *r, uint64_t lo, uint64_t hi)
{
	uint64_t v = ktest_next(r);
	uint64_t width = hi - lo + 1;
	return width == 0 ? v : lo + v % width;
}

uint64_t ktest_fold(uint64_t digest, uint64_t value)
{
	for (int i = 0; i < 8; i++) {
		digest ^= (value >> (8 * i)) & 0xff;
		digest *= 0x100000001b3UL;
	}
	return digest;
}

void ktest_init(void)
{
	char list[256];
	bootarg("token", token, sizeof token);
	read_seed();
	if (!bootarg("test", list, sizeof list) || list[0] == '\0')
		return;
	char *p = list;
	while (*p && nselected < MAX_SELECTED) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (*p) {
			if (names_something(p)) {
				strlcpy(selection[nselected++], p, sizeof selection[0]);
			} else {
				printf("KTEST %s FAIL %s: no such test or suite\n", token, p);
				failed++;
			}
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	if (ktests_end - ktests_start > MAX_TESTS)
		printf("KTEST %s FAIL harness: more than %d tests; raise MAX_TESTS\n", token,
		       MAX_TESTS);
	/* A second registration of a name would run instead of the first, or beside it. */
	for (const struct ktest *t = ktests_start; t < ktests_end; t++)
		for (const struct ktest *u = ktests_start; u < t; u++)
			if (strcmp(t->suite, u->suite) == 0 && strcmp(t->name, u->name) == 0) {
				printf("KTEST %s FAIL harness: %s.%s is registered twice\n", token,
				       t->suite, t->name);
				failed++;
			}
	for (const struct ktest *t = ktests_start; t < ktests_end && t < ktests_start + MAX_TESTS;
	     t++)
		if (runs(t))
			remaining++;
	if (nselected == 0) /* nothing valid was chosen: report and stop at once */
		ktest_finish();
}

bool ktest_active(void)
{
	return nselected > 0;
}

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
	if (current_failed)
		return;
	current_failed = true;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(failure, sizeof failure, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof failure)
		snprintf(failure + n, sizeof failure - n, " (%s:%d)", file, line);
}

void ktest_info(const char *fmt, ...)
{
	char text[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	char id[64] = "-";
	if (current)
		test_id(current, id, sizeof id);
	printf("KTEST %s INFO %s %s\n", token, id, text);
}

void ktest_bench(const char *name, uint64_t value, const char *unit)
{
	printf("KTEST %s BENCH %s %lu %s\n", token, name, value, unit);
}

void ktest_add_invariant(const char *name, void (*before)(void), const char *(*after)(void))
{
	if (ninvariants == MAX_INVARIANTS) {
		printf("KTEST %s FAIL harness: more than %d invariants; raise MAX_INVARIANTS\n",
		       token, MAX_INVARIANTS);
		failed++;
		return;
	}
	invariants[ninvariants++] = (typeof(invariants[0])){name, before, after, false};
}

static void arm_invariants(void)
{
	for (int i = 0; i < ninvariants; i++) {
		if (!invariants[i].armed) {
			invariants[i].before();
			invariants[i].armed = true;
		}
	}
}

static void check_invariants(void)
{
	for (int i = 0; i < ninvariants; i++) {
		if (!invariants[i].armed)
			continue;
		const char *why = invariants[i].after();
		if (why) {
			printf("KTEST %s FAIL %s: %s\n", token, invariants[i].name, why);
			failed++;
		}
	}
}

static void run_one(const struct ktest *t)
{
	char id[64];
	test_id(t, id, sizeof id);
	arm_invariants();
	current = t;
	current_failed = false;
	printf("KTEST %s START %s\n", token, id);
	trace_test(t->suite, t->name, TRACE_TEST_START);
	t->run();
	if (t->flags & KTEST_DEATH && !current_failed)
		ktest_fail(__FILE__, __LINE__, "expected a panic, but the test returned");
	if (current_failed) {
		printf("KTEST %s FAIL %s: %s\n", token, id, failure);
		failed++;
	} else {
		printf("KTEST %s PASS %s\n", token, id);
		passed++;
	}
	trace_test(t->suite, t->name, current_failed ? TRACE_TEST_FAIL : TRACE_TEST_PASS);
	current = NULL;
	ran[t - ktests_start] = true;
	remaining--;
}

/*
 * Runs the witness of `suite`, if it has one: once per boot, before its first test.
 * Its INFO lines carry "<suite>.witness"; a failed check is a failed test.
 */
static void run_witness(const char *suite)
{
	for (const struct ktest *t = ktests_start; t < ktests_end; t++) {
		if (!(t->flags & KTEST_WITNESS) || strcmp(t->suite, suite) != 0 ||
		    ran[t - ktests_start])
			continue;
		ran[t - ktests_start] = true;
		char id[64];
		test_id(t, id, sizeof id);
		current = t;
		current_failed = false;
		t->run();
		if (current_failed) {
			printf("KTEST %s FAIL %s: %s\n", token, id, failure);
			failed++;
		}
		current = NULL;
	}
}

void ktest_checkpoint(const char *suite)
{
	if (!ktest_active())
		return;
	for (const struct ktest *t = ktests_start; t < ktests_end; t++) {
		if (strcmp(t->suite, suite) != 0)
			continue;
		if (runs(t)) {
			run_witness(suite);
			run_one(t);
		} else if (chosen(t) == 1) {
			char id[64];
			test_id(t, id, sizeof id);
			printf("KTEST %s SKIP %s: %s; run it alone with test=%s\n", token, id,
			       t->flags & KTEST_DEATH ? "death test" : "runs alone", id);
			skipped++;
		}
	}
	if (remaining == 0)
		ktest_finish();
}

void ktest_finish(void)
{
	for (const struct ktest *t = ktests_start; t < ktests_end && remaining > 0; t++) {
		if (runs(t) && !ran[t - ktests_start]) {
			char id[64];
			test_id(t, id, sizeof id);
			printf("KTEST %s FAIL %s: boot ended before this test's checkpoint\n",
			       token, id);
			failed++;
			remaining--;
		}
	}
	check_invariants();
	printf("KTEST %s DONE passed=%d failed=%d skipped=%d\n", token, passed, failed, skipped);
	/*
	 * Interrupts off for good: a tick must not preempt this thread while it stops the
	 * other harts, or the hart it moves to may have halted holding the scheduler's lock.
	 */
	cpu_irq_disable();
	shutdown(failed ? EXIT_TESTS_FAILED : EXIT_OK);
}
