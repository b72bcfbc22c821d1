/*
 * The library and the shell's parser on the host (user/test_user.py builds this with
 * host_sys.c). Each subcommand checks one part and prints "ok", or a line per problem:
 *
 *   libtest printf     the cases test_user.py wrote into printf_cases.h
 *   libtest output     printf and fprintf through write(): sizes and write() counts
 *   libtest strings    the string and memory functions, atoi
 *   libtest malloc     reuse, merging, alignment, a random workload, running out
 *   libtest free-twice / free-bogus    must exit with status 1 and a message
 *   libtest gets       echoes each line gets() returns, in brackets, until ""
 *   libtest parse      each line of stdin parsed by sh_parse(), printed as its jobs
 */
#include "sh.h"
#include "user.h"

extern int sbrk_calls, write_calls; /* counted by host_sys.c */

static int failures;

#define CHECK(cond, ...)                                          \
	do {                                                      \
		if (!(cond)) {                                    \
			printf("line %d: %s: ", __LINE__, #cond); \
			printf(__VA_ARGS__);                      \
			printf("\n");                             \
			failures++;                               \
		}                                                 \
	} while (0)

static int done(void)
{
	if (failures == 0)
		printf("ok\n");
	return failures ? 1 : 0;
}

/* ---------------------------------------------------------------- printf */

/* The format goes through a variable: some cases are ones -Wformat rightly warns about. */
#define CASE(expected, format, ...)                                                              \
	do {                                                                                     \
		const char *volatile fmt = format;                                               \
		char got[256];                                                                   \
		int n = snprintf(got, sizeof(got), fmt, __VA_ARGS__);                            \
		CHECK(strcmp(got, expected) == 0 && n == (int)strlen(expected),                  \
		      "(\"%s\", %s) gave \"%s\" (%d), not \"%s\"", format, #__VA_ARGS__, got, n, \
		      expected);                                                                 \
	} while (0)

struct int_case {
	const char *expected, *fmt;
	int value;
};

struct string_case {
	const char *expected, *fmt, *value;
};

static int test_printf(void)
{
#include "printf_cases.h"

	static const struct int_case ints[] = {INT_CASES};
	for (uint i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		CASE(ints[i].expected, ints[i].fmt, ints[i].value);
	static const struct string_case strings[] = {STRING_CASES};
	for (uint i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		CASE(strings[i].expected, strings[i].fmt, strings[i].value);

	/* Truncation: snprintf keeps size - 1 characters and counts them all. */
	char small[5] = "xxxx";
	CHECK(snprintf(small, sizeof(small), "%d", 123456) == 6, "return value");
	CHECK(strcmp(small, "1234") == 0, "got %s", small);
	CHECK(snprintf(small, 1, "abc") == 3 && small[0] == '\0', "size 1");
	small[0] = 'q';
	CHECK(snprintf(small, 0, "abc") == 3 && small[0] == 'q', "size 0 writes nothing");
	return done();
}

static int test_output(void)
{
	int before = write_calls;
	int n = printf("a line of %d words\n", 5);
	CHECK(n == 18, "%d", n);
	CHECK(write_calls == before + 1, "%d writes for one short line", write_calls - before);

	char big[1001];
	memset(big, 'z', 1000);
	big[1000] = '\0';
	before = write_calls;
	n = fprintf(1, "<%s>\n", big);
	CHECK(n == 1003, "%d", n);
	CHECK(write_calls - before == 4, "%d writes for 1003 bytes", write_calls - before);
	CHECK(fprintf(-1, "x") == -1, "a bad fd is an error");
	return done();
}

/* ---------------------------------------------------------------- strings */

static int test_strings(void)
{
	char buf[32];
	CHECK(strlen("") == 0 && strlen("hello") == 5, "strlen");
	CHECK(strcmp("abc", "abc") == 0, "equal");
	CHECK(strcmp("abc", "abd") < 0 && strcmp("abd", "abc") > 0, "order");
	CHECK(strcmp("ab", "abc") < 0 && strcmp("abc", "ab") > 0, "prefix");
	CHECK(strcmp("\xff", "a") > 0, "bytes compare unsigned");
	CHECK(strcpy(buf, "copy") == buf && strcmp(buf, "copy") == 0, "strcpy");
	const char *s = "find the letter";
	CHECK(strchr(s, 't') == s + 5, "strchr");
	CHECK(strchr(s, 'q') == 0, "strchr missing");
	CHECK(strchr(s, '\0') == s + strlen(s), "strchr NUL");

	CHECK(memset(buf, 'x', 10) == buf && buf[0] == 'x' && buf[9] == 'x', "memset");
	memcpy(buf, "0123456789", 11);
	memmove(buf + 2, buf, 5); /* overlapping, forward */
	CHECK(memcmp(buf, "0101234789", 10) == 0, "memmove up: %s", buf);
	memcpy(buf, "0123456789", 11);
	memmove(buf, buf + 3, 5); /* overlapping, backward */
	CHECK(memcmp(buf, "3456756789", 10) == 0, "memmove down: %s", buf);
	CHECK(memmove(buf, buf, -3) == buf, "memmove of a negative size does nothing");
	CHECK(memcmp("abc", "abd", 2) == 0 && memcmp("abc", "abd", 3) < 0, "memcmp");
	CHECK(memcmp("\x80", "\x7f", 1) > 0, "memcmp unsigned");

	CHECK(atoi("42") == 42 && atoi("  -17x") == -17 && atoi("+5") == 5, "atoi");
	CHECK(atoi("") == 0 && atoi("x1") == 0, "atoi of no digits");
	CHECK(atoi("2147483647") == 2147483647 && atoi("-2147483648") == -2147483647 - 1,
	      "atoi limits");
	return done();
}

/* ---------------------------------------------------------------- malloc */

static unsigned long rng = 88172645463325252UL;

static unsigned long next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#define SLOTS 200

static int test_malloc(void)
{
	/* A block freed is the block reused. */
	char *a = malloc(100), *b = malloc(100), *c = malloc(100);
	CHECK(a && b && c && a != b && b != c, "three blocks");
	free(b);
	char *d = malloc(100);
	CHECK(d == b, "reuse: %p, not %p", d, b);

	/* Freed neighbours merge: the whole heap is one free block again. */
	long heap = malloc_check();
	free(a);
	free(c);
	free(d);
	long all = malloc_check();
	CHECK(all > heap && all % 16 == 0, "%ld free bytes", all);
	int calls = sbrk_calls;
	char *whole = malloc((uint)(all - 16));
	CHECK(whole != 0 && sbrk_calls == calls, "the merged heap serves a block of all of it");
	CHECK(malloc_check() == 0, "nothing left free");
	free(whole);
	CHECK(malloc_check() == all, "all free again");

	/* Alignment, and malloc(0) is a block of its own. */
	for (uint n = 0; n < 64; n++) {
		char *p = malloc(n);
		CHECK(p && (unsigned long)p % 16 == 0, "malloc(%u) = %p", n, p);
		char *q = malloc(0);
		CHECK(q && q != p, "malloc(0)");
		free(p);
		free(q);
	}
	CHECK(malloc_check() == all, "all free after the alignment loop");

	/* A random workload: blocks keep their contents and never overlap. */
	static char *slot[SLOTS];
	static uint size[SLOTS];
	for (int step = 0; step < 20000; step++) {
		int i = (int)(next_random() % SLOTS);
		if (slot[i]) {
			for (uint k = 0; k < size[i]; k++) {
				if (slot[i][k] != (char)(i + k)) {
					CHECK(0, "block %d changed at byte %u", i, k);
					return done();
				}
			}
			free(slot[i]);
			slot[i] = 0;
		} else {
			size[i] = (uint)(next_random() % (next_random() % 8 == 0 ? 20000 : 300));
			slot[i] = malloc(size[i]);
			CHECK(slot[i] != 0, "malloc(%u)", size[i]);
			for (uint k = 0; k < size[i]; k++)
				slot[i][k] = (char)(i + k);
		}
		if (step % 500 == 0)
			CHECK(malloc_check() >= 0, "free list broken at step %d", step);
	}
	for (int i = 0; i < SLOTS; i++)
		free(slot[i]);
	long grown = malloc_check();
	CHECK(grown >= all, "every block free again: %ld bytes", grown);

	/* Running out: malloc returns 0 and still works for what fits. */
	CHECK(malloc(0x7fffffff) == 0, "2 GiB");
	CHECK(malloc(0xffffffff) == 0, "4 GiB");
	char *fits = malloc(1000);
	CHECK(fits != 0, "a small block after the failures");
	free(fits);
	CHECK(malloc_check() == grown, "failures change nothing");
	return done();
}

/* The heap is limited to what USER_HOST_HEAP says (test_user.py sets it). */
static int test_malloc_limit(void)
{
	int n = 0;
	while (malloc(1000) != 0)
		n++;
	CHECK(n > 0, "no block at all");
	CHECK(malloc(16) != 0 || malloc_check() >= 0, "free list broken when full");
	printf("%d blocks\n", n);
	return done();
}

/* ---------------------------------------------------------------- gets */

static int test_gets(void)
{
	char buf[8];
	for (;;) {
		gets(buf, sizeof(buf));
		if (buf[0] == '\0')
			break;
		printf("[%s]", buf);
	}
	printf("\n");
	return 0;
}

/* ---------------------------------------------------------------- parse */

static void print_line(const struct sh_line *line)
{
	if (line->njobs == 0)
		printf("(empty)");
	for (int j = 0; j < line->njobs; j++) {
		const struct sh_job *job = &line->jobs[j];
		if (j > 0)
			printf(" ; ");
		for (int i = 0; i < job->n; i++) {
			const struct sh_cmd *c = &line->cmds[job->first + i];
			printf(i > 0 ? " | [" : "[");
			for (int k = 0; k < c->argc; k++)
				printf(k > 0 ? ",%s" : "%s", c->argv[k]);
			printf("]");
			if (c->argv[c->argc] != 0)
				printf("(argv not ended)");
			if (c->in)
				printf("<%s", c->in);
			if (c->out)
				printf(">%s", c->out);
		}
		if (job->background)
			printf(" &");
	}
	printf("\n");
}

static int test_parse(void)
{
	static char text[4096];
	static struct sh_line line;
	for (;;) {
		int n = 0;
		char c;
		while (n < (int)sizeof(text) - 1 && read(0, &c, 1) == 1 && c != '\n')
			text[n++] = c;
		text[n] = '\0';
		if (n == 0)
			return 0;
		/* "\n" in the test's text stands for a newline inside a line. */
		for (char *p = text; (p = strchr(p, '\\')) != 0; p++) {
			if (p[1] == 'n') {
				*p = '\n';
				memmove(p + 1, p + 2, (int)strlen(p + 2) + 1);
			}
		}
		const char *error = sh_parse(text, &line);
		if (error)
			printf("error: %s\n", error);
		else
			print_line(&line);
	}
}

int main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(2, "usage: libtest printf|output|strings|malloc|malloc-limit|free-twice|"
		           "free-bogus|gets|parse\n");
		return 2;
	}
	const char *what = argv[1];
	if (strcmp(what, "printf") == 0)
		return test_printf();
	if (strcmp(what, "output") == 0)
		return test_output();
	if (strcmp(what, "strings") == 0)
		return test_strings();
	if (strcmp(what, "malloc") == 0)
		return test_malloc();
	if (strcmp(what, "malloc-limit") == 0)
		return test_malloc_limit();
	if (strcmp(what, "free-twice") == 0) {
		char *p = malloc(10);
		free(p);
		free(p);
		return 0;
	}
	if (strcmp(what, "free-bogus") == 0) {
		static char not_from_malloc[64];
		free(not_from_malloc + 16);
		return 0;
	}
	if (strcmp(what, "gets") == 0)
		return test_gets();
	if (strcmp(what, "parse") == 0)
		return test_parse();
	fprintf(2, "libtest: %s: no such test\n", what);
	return 2;
}
