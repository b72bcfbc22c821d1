/*
 * The host test harness: one child process per test, the verdict from how the child
 * ended. See harness.h.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TEST_TIMEOUT_SECONDS  120
#define SANITIZER_EXIT_STATUS 66
#define STRINGIFY(x)          #x
#define AS_STRING(x)          STRINGIFY(x)

/*
 * The sanitizers exit with status 1 by default, which is also what panic() uses; give
 * them a status of their own so that a death test cannot pass on a sanitizer report.
 * (The runtimes call these if they exist; builds without sanitizers ignore them.)
 */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
const char *__asan_default_options(void)
{
	return "exitcode=" AS_STRING(SANITIZER_EXIT_STATUS);
}
const char *__ubsan_default_options(void)
{
	return "exitcode=" AS_STRING(SANITIZER_EXIT_STATUS) ":print_stacktrace=1";
}
#define OUTPUT_MAX (256 * 1024)
#define EXPECT_TAG "expect-in-panic: "

static const uint64_t fixed_seeds[] = {1, 2, 3, 42, 1234, 0x5eed5eed};
#define NFIXED (sizeof fixed_seeds / sizeof fixed_seeds[0])
static uint64_t extra_seed;
static bool have_extra_seed;
static char context[128];
static bool verbose;

size_t host_nseeds(void)
{
	return NFIXED + (have_extra_seed ? 1 : 0);
}

uint64_t host_seed(size_t i)
{
	return i < NFIXED ? fixed_seeds[i] : extra_seed;
}

void host_set_context(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(context, sizeof context, fmt, ap);
	va_end(ap);
}

void host_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fprintf(stderr, "%s:%d: %s%s", file, line, context, context[0] ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fflush(stderr);
	_exit(2);
}

void expect_in_panic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	printf(EXPECT_TAG "%s\n", buf);
	fflush(stdout);
}

uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
	return rng_next(r) % n;
}

/* ---- Memory handed to the allocators under test ---- */

#define HELD_MAX 4096
static void *held[HELD_MAX];
static size_t nheld;

void *host_memory(size_t size, size_t align)
{
	void *p = NULL;
	if (align < sizeof(void *))
		align = sizeof(void *);
	if (nheld == HELD_MAX || posix_memalign(&p, align, size) != 0)
		host_fail(__FILE__, __LINE__, "host_memory(%zu, %zu) failed", size, align);
	held[nheld++] = p;
	return p;
}

void host_release_all(void)
{
	while (nheld)
		free(held[--nheld]);
}

void *host_early_alloc(size_t size, size_t align)
{
	return host_memory(size, align);
}

/* ---- Running one test ---- */

struct outcome {
	int status;   /* exit status, or -signal */
	char *output; /* stdout and stderr of the child, NUL-terminated */
};

static struct outcome run_child(const struct host_test *t)
{
	int fds[2];
	if (pipe(fds) != 0) {
		perror("pipe");
		exit(2);
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		alarm(TEST_TIMEOUT_SECONDS);
		t->run();
		host_release_all();
		fflush(stdout);
		/* exit, not _exit: the leak checker runs here and fails a test that leaks. */
		exit(0);
	}
	close(fds[1]);
	struct outcome o = {.output = calloc(1, OUTPUT_MAX + 1)};
	size_t len = 0;
	ssize_t n;
	char sink[4096];
	while ((n = read(fds[0], len < OUTPUT_MAX ? o.output + len : sink,
	                 len < OUTPUT_MAX ? OUTPUT_MAX - len : sizeof sink)) > 0)
		len += len < OUTPUT_MAX ? (size_t)n : 0;
	close(fds[0]);
	int wstatus;
	waitpid(pid, &wstatus, 0);
	o.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -WTERMSIG(wstatus);
	return o;
}

/* For a death test: NULL if the panic is the expected one, else why not. */
static const char *judge_panic(const struct host_test *t, const struct outcome *o, char *why,
                               size_t size)
{
	const char *msg = strstr(o->output, "panic: ");
	if (o->status != 1 || !msg) {
		snprintf(why, size, "expected a panic (exit status 1) containing \"%s\", got %s %d",
		         t->panic, o->status < 0 ? "signal" : "exit status",
		         o->status < 0 ? -o->status : o->status);
		return why;
	}
	if (!strstr(msg, t->panic)) {
		snprintf(why, size, "the panic does not contain \"%s\"", t->panic);
		return why;
	}
	for (const char *e = strstr(o->output, EXPECT_TAG); e; e = strstr(e + 1, EXPECT_TAG)) {
		char want[256];
		const char *start = e + strlen(EXPECT_TAG), *end = strchr(start, '\n');
		size_t n = end ? (size_t)(end - start) : strlen(start);
		snprintf(want, sizeof want, "%.*s", (int)n, start);
		if (!strstr(msg, want)) {
			snprintf(why, size, "the panic does not contain \"%s\"", want);
			return why;
		}
	}
	return NULL;
}

/* For an ordinary test: NULL if it exited with status 0, else how it ended. */
static const char *judge_exit(const struct outcome *o, char *why, size_t size)
{
	if (o->status == 0)
		return NULL;
	if (o->status < 0)
		snprintf(why, size, "killed by signal %d", -o->status);
	else
		snprintf(why, size, "exit status %d%s", o->status,
		         o->status == 1                       ? " (an unexpected panic)"
		         : o->status == SANITIZER_EXIT_STATUS ? " (a sanitizer report)"
		         : o->status == 3                     ? " (lab code missing)"
		                                              : "");
	return why;
}

static bool run_test(const char *suite, const struct host_test *t)
{
	struct outcome o = run_child(t);
	char why[512];
	const char *failure = NULL;
	if (t->panic)
		failure = judge_panic(t, &o, why, sizeof why);
	else
		failure = judge_exit(&o, why, sizeof why);
	if (failure) {
		printf("FAIL %s.%s: %s\n", suite, t->name, failure);
		printf("---- output of %s.%s ----\n%s---- end of output ----\n", suite, t->name,
		       o.output);
	} else {
		printf("PASS %s.%s\n", suite, t->name);
		if (verbose)
			printf("%s", o.output);
	}
	free(o.output);
	return failure == NULL;
}

int host_main(const char *suite, const struct host_test *tests, size_t ntests, int argc,
              char **argv)
{
	const char *filter = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0) {
			verbose = true;
			continue;
		}
		char *end;
		unsigned long long v = strtoull(argv[i], &end, 0);
		if (*argv[i] && *end == '\0') {
			extra_seed = v;
			have_extra_seed = true;
		} else {
			filter = argv[i];
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	int passed = 0, failed = 0;
	for (size_t i = 0; i < ntests; i++) {
		if (filter && !strstr(tests[i].name, filter))
			continue;
		if (run_test(suite, &tests[i]))
			passed++;
		else
			failed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
