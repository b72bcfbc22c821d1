/*
 * usertests: memory. sbrk up, down and to exhaustion; fork when memory is short; what a
 * user program may not touch or run (kernel memory, its own text, its data as code,
 * privileged instructions, the stack's guard); and every system call given pointers it
 * may not use: it must return -1, never fault and never kill.
 */
#include "ut.h"

#define PAGE 4096UL

static char *page_up(char *p)
{
	return (char *)(((uint64)p + PAGE - 1) / PAGE * PAGE);
}

/* Forks a child that runs fn; the kernel must kill it. */
static void expect_killed(void (*fn)(void), const char *what)
{
	int pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		fn();
		exit(0);
	}
	int status = ut_wait_for(pid);
	CHECK(status == -1, "%s: the child was not killed (status %d)", what, status);
}

void test_sbrk_basic(void)
{
	char *start = sbrk(0);
	CHECK(start != (char *)-1 && (uint64)start >= USER_BASE);
	CHECK(sbrk(0) == start);

	char *p = sbrk(4096);
	CHECK(p == start, "sbrk returned %p, not the old end %p", p, start);
	CHECK(sbrk(0) == start + 4096);
	for (int i = 0; i < 4096; i++)
		CHECK(p[i] == 0, "new heap memory is not zeroed at byte %d", i);
	memset(p, 0xab, 4096);

	char *q = sbrk(1);
	CHECK(q == start + 4096);
	q[0] = 1;
	CHECK(sbrk(4095) == start + 4097);
	start[8191] = 2;
	CHECK(sbrk(0) == start + 8192);

	CHECK(sbrk(-8192) == start + 8192);
	CHECK(sbrk(0) == start, "the end did not come back to %p", start);

	/* Pages given back and taken again come back zeroed. */
	p = sbrk(8192);
	CHECK(p == start);
	for (char *c = page_up(start); c < start + 8192; c++)
		CHECK(*c == 0, "a page given back and taken again is not zeroed");
	CHECK(sbrk(-8192) == start + 8192);
}

void test_sbrk_limits(void)
{
	char *start = sbrk(0);
	/* This process has never grown its heap: it cannot shrink at all. */
	CHECK(sbrk(-1) == (char *)-1, "shrinking below where the heap started");
	CHECK(sbrk(-4096) == (char *)-1);
	CHECK(sbrk(-2147483647 - 1) == (char *)-1);
	CHECK(sbrk(2147483647) == (char *)-1, "growing by 2 GiB");
	CHECK(sbrk(0) == start, "a failed sbrk moved the end");
	CHECK(sbrk(4096) == start);
	CHECK(sbrk(-4097) == (char *)-1, "shrinking one byte too far");
	CHECK(sbrk(-4096) == start + 4096);
	CHECK(sbrk(0) == start);
}

#define MB (1 << 20)

/* Grows the heap a MiB at a time, then a page at a time, touching every page, until
   sbrk says no; returns the bytes it got. */
static long grow_to_the_end(void)
{
	long total = 0;
	for (int step = MB; step >= (int)PAGE; step = step == MB ? (int)PAGE : 0) {
		for (;;) {
			char *p = sbrk(step);
			if (p == (char *)-1)
				break;
			for (long k = 0; k < step; k += PAGE)
				p[k] = 1;
			total += step;
			CHECK(total < (1L << 32), "sbrk grew past 4 GiB");
		}
	}
	return total;
}

static void shrink_by(long total)
{
	for (; total >= MB; total -= MB)
		CHECK(sbrk(-MB) != (char *)-1);
	if (total > 0)
		CHECK(sbrk((int)-total) != (char *)-1);
}

void test_sbrk_exhaust(void)
{
	char *start = sbrk(0);
	long first = grow_to_the_end();
	CHECK(first > 0, "sbrk could not grow at all");
	CHECK(sbrk(0) == start + first);
	shrink_by(first);
	CHECK(sbrk(0) == start);
	/* All of it comes back: the same size again. */
	long second = grow_to_the_end();
	CHECK(second >= first, "%ld bytes the first time, %ld the second", first, second);
	shrink_by(second);
	CHECK(sbrk(0) == start);
}

static char *unmapped_after_shrink;

static void touch_given_back(void)
{
	*(volatile char *)unmapped_after_shrink = 1;
}

void test_sbrk_shrink_unmaps(void)
{
	char *start = sbrk(0);
	char *p = sbrk(3 * 4096);
	CHECK(p == start);
	unmapped_after_shrink = page_up(start) + 4096;
	*unmapped_after_shrink = 1;
	CHECK(sbrk(-3 * 4096) == start + 3 * 4096);
	expect_killed(touch_given_back, "a write to a page sbrk gave back");
}

void test_fork_out_of_memory(void)
{
	/* In a child: it grows its heap to the limit, then forks copies of itself while it
	   can; every fork must either work or return -1. */
	int pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int p[2];
		CHECK(pipe(p) == 0); /* first: there may be no memory for it later */
		long got = grow_to_the_end();
		CHECK(got > 0);
		int n = 0;
		for (; n < 100; n++) {
			int c = fork();
			if (c < 0)
				break;
			if (c == 0) {
				char x;
				close(p[1]);
				read(p[0], &x, 1);
				exit(0);
			}
		}
		CHECK(n < 100, "a hundred copies of a full heap: fork never ran out");
		close(p[0]);
		close(p[1]);
		for (int i = 0; i < n; i++)
			CHECK(wait(0) > 0);
		shrink_by(got);
		/* With the memory back, fork works again. */
		int c = fork();
		CHECK(c >= 0, "fork fails after the memory came back");
		if (c == 0)
			exit(0);
		ut_wait_for(c);
		exit(0);
	}
	CHECK(ut_wait_for(pid) == 0, "the child did not finish");
}

/* ---------------------------------------------------------------- forbidden places */

static char *target;

static void read_target(void)
{
	(void)*(volatile char *)target;
}

static void write_target(void)
{
	*(volatile char *)target = 1;
}

void test_kernel_memory(void)
{
	char *bad[16];
	const char *what[16];
	int n = ut_bad_addresses(bad, what, 16);
	for (int i = 0; i < n; i++) {
		target = bad[i];
		expect_killed(read_target, what[i]);
		expect_killed(write_target, what[i]);
	}
}

void test_text_read_only(void)
{
	target = (char *)test_text_read_only;
	expect_killed(write_target, "a write to the program's text");
	target = (char *)"a string literal";
	expect_killed(write_target, "a write to read-only data");
}

/* li a0, 0; ret */
static uint32 code_in_data[] = {0x00000513, 0x00008067};

static void run_target(void)
{
	((void (*)(void))target)();
}

void test_data_not_executable(void)
{
	target = (char *)code_in_data;
	expect_killed(run_target, "running code in the data segment");

	char *heap = sbrk(4096);
	CHECK(heap != (char *)-1);
	memmove(heap, code_in_data, sizeof(code_in_data));
	target = heap;
	expect_killed(run_target, "running code on the heap");
	sbrk(-4096);

	uint32 on_stack[2] = {code_in_data[0], code_in_data[1]};
	target = (char *)on_stack;
	expect_killed(run_target, "running code on the stack");
}

static void read_sstatus(void)
{
	unsigned long v;
	__asm__ volatile("csrr %0, sstatus" : "=r"(v));
}

static void write_satp(void)
{
	__asm__ volatile("csrw satp, zero");
}

static void do_sret(void)
{
	__asm__ volatile("sret");
}

static void do_ebreak(void)
{
	__asm__ volatile("ebreak");
}

static void do_illegal(void)
{
	__asm__ volatile(".word 0");
}

void test_privileged_instructions(void)
{
	expect_killed(read_sstatus, "csrr sstatus");
	expect_killed(write_satp, "csrw satp");
	expect_killed(do_sret, "sret");
	expect_killed(do_ebreak, "ebreak");
	expect_killed(do_illegal, "an all-zero instruction");
}

static volatile int no_bottom = 1 << 30; /* deeper than any stack: the guard stops it */

static int recurse(int depth)
{
	volatile char frame[512];
	frame[0] = (char)depth;
	if (depth >= no_bottom)
		return 0;
	return recurse(depth + 1) + frame[0];
}

static void overflow_stack(void)
{
	recurse(0);
}

static void use_most_of_the_stack(void)
{
	/* The documented stack, less room for argv and a few frames. */
	volatile char big[EXEC_STACK_SIZE - 3072];
	for (uint i = 0; i < sizeof(big); i += 256)
		big[i] = 1;
}

void test_stack_overflow(void)
{
	CHECK(ut_in_child(use_most_of_the_stack) == 0,
	      "the stack holds less than EXEC_STACK_SIZE bytes");
	expect_killed(overflow_stack, "endless recursion");
}

static void read_instret(void)
{
	uint64 a, b;
	__asm__ volatile("rdinstret %0" : "=r"(a));
	__asm__ volatile("rdinstret %0" : "=r"(b));
	CHECK(b >= a, "instret went backward");
}

void test_counters(void)
{
	CHECK(ut_in_child(read_instret) == 0, "rdinstret in user mode (bench needs it)");
}

/* ---------------------------------------------------------------- bad pointers */

/* Bad addresses for calls that read user memory, and for calls that write it. */
static int bad_for_reading(char **ptrs, const char **what, int max)
{
	int n = ut_bad_addresses(ptrs, what, max);
	char *sp;
	__asm__("mv %0, sp" : "=r"(sp));
	if (n < max) {
		ptrs[n] = sp - EXEC_STACK_SIZE - 64;
		what[n++] = "the stack's guard page";
	}
	return n;
}

static int bad_for_writing(char **ptrs, const char **what, int max)
{
	int n = bad_for_reading(ptrs, what, max);
	if (n < max) {
		ptrs[n] = (char *)test_bad_pointers_out;
		what[n++] = "the program's text";
	}
	if (n < max) {
		ptrs[n] = (char *)"read-only";
		what[n++] = "read-only data";
	}
	return n;
}

void test_bad_pointers_in(void)
{
	int fd = open("ut_in", O_CREATE | O_TRUNC | O_RDWR);
	CHECK(fd >= 0);
	int p[2];
	CHECK(pipe(p) == 0);
	char *bad[20];
	const char *what[20];
	int n = bad_for_reading(bad, what, 20);
	for (int i = 0; i < n; i++) {
		CHECK(write(fd, bad[i], 1) == -1, "write to a file from %s", what[i]);
		CHECK(write(fd, bad[i], 100) == -1, "write to a file from %s", what[i]);
		CHECK(write(p[1], bad[i], 10) == -1, "write to a pipe from %s", what[i]);
		CHECK(write(1, bad[i], 10) == -1, "write to the console from %s", what[i]);
	}
	/* Ranges that start in mapped memory and run out of it. */
	char *heap = sbrk(4096);
	CHECK(heap != (char *)-1);
	char *end = sbrk(0);
	CHECK(write(fd, end - 8, 64) == -1, "write from a range running past the heap");
	CHECK(write(p[1], end - 8, 64) == -1, "pipe write from a range running past the heap");
	CHECK(write(fd, (char *)USER_TOP - 8, 64) == -1, "write from a range past USER_TOP");
	sbrk(-4096);
	close(p[0]);
	close(p[1]);
	close(fd);
	CHECK(unlink("ut_in") == 0);
}

void test_bad_pointers_out(void)
{
	char data[64];
	memset(data, 'd', sizeof(data));
	ut_write_file("ut_out", data, sizeof(data));
	int fd = open("ut_out", O_RDONLY);
	CHECK(fd >= 0);
	struct sysstats ss;
	int have_sysstats = sysstats(&ss) == 0;
	char text_before[16];
	memmove(text_before, (char *)test_bad_pointers_out, sizeof(text_before));

	char *bad[20];
	const char *what[20];
	int n = bad_for_writing(bad, what, 20);
	for (int i = 0; i < n; i++) {
		CHECK(read(fd, bad[i], 10) == -1, "read from a file into %s", what[i]);
		CHECK(fstat(fd, (struct stat *)bad[i]) == -1, "fstat into %s", what[i]);
		int lowest = ut_lowest_free_fd();
		CHECK(pipe((int *)bad[i]) == -1, "pipe into %s", what[i]);
		CHECK(ut_lowest_free_fd() == lowest, "a failed pipe() left descriptors open");
		if (have_sysstats)
			CHECK(sysstats((struct sysstats *)bad[i]) == -1, "sysstats into %s",
			      what[i]);
	}
	CHECK(memcmp(text_before, (char *)test_bad_pointers_out, sizeof(text_before)) == 0,
	      "a failed call wrote into the program's text");

	/* Into a pipe's reader: the data is there, the pointer is not. The write end is
	   closed first, so that a kernel that loses data on a failed read makes a later
	   read return 0 (and the test fail) instead of waiting forever. */
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK(write(p[1], data, sizeof(data)) == sizeof(data));
	close(p[1]);
	for (int i = 0; i < n; i++)
		CHECK(read(p[0], bad[i], 10) == -1, "read from a pipe into %s", what[i]);
	close(p[0]);

	/* Ranges that start in mapped memory and run out of it. */
	char *heap = sbrk(4096);
	CHECK(heap != (char *)-1);
	char *end = sbrk(0);
	CHECK(read(fd, end - 8, 64) == -1, "read into a range running past the heap");
	CHECK(fstat(fd, (struct stat *)(end - 8)) == -1, "fstat into a range past the heap");
	CHECK(pipe((int *)(end - 4)) == -1, "pipe into a range running past the heap");
	sbrk(-4096);
	close(fd);
	CHECK(unlink("ut_out") == 0);
}

/* Paths the kernel cannot take: bad pointers, no NUL before unmapped memory, too long. */
static int bad_paths(char **ptrs, const char **what, int max)
{
	static char too_long[MAXPATH + 1];
	memset(too_long, 'a', MAXPATH);
	too_long[MAXPATH] = '\0';
	int n = bad_for_reading(ptrs, what, max - 2);
	ptrs[n] = too_long;
	what[n++] = "a path of MAXPATH characters and its NUL";
	/* The last 16 bytes of a heap page, none of them NUL. */
	char *page = sbrk(4096);
	CHECK(page != (char *)-1);
	memset(page, 'x', 4096);
	ptrs[n] = sbrk(0) - 16;
	what[n++] = "a string running into the end of the heap";
	return n;
}

static void exec_bad_strings(void)
{
	char *bad[24];
	const char *what[24];
	int n = bad_paths(bad, what, 24);
	char *argv[] = {"echo", "exec should have failed", 0};
	for (int i = 0; i < n; i++) {
		CHECK(exec(bad[i], argv) == -1, "exec of %s", what[i]);
		CHECK(exec("/echo", (char **)bad[i]) == -1, "exec with argv at %s", what[i]);
		/* As an argument, a null pointer only ends argv early, and a long string is
		   fine (MAXPATH limits paths): neither is a bad argument. */
		char *bad_arg[] = {"echo", bad[i], 0};
		if (bad[i] != 0 && strcmp(what[i], "a path of MAXPATH characters and its NUL") != 0)
			CHECK(exec("/echo", bad_arg) == -1, "exec with an argument at %s", what[i]);
	}
	/* An argv array with no null pointer before unmapped memory. */
	char *page = sbrk(4096);
	CHECK(page != (char *)-1);
	char **unended = (char **)(sbrk(0) - 16);
	unended[0] = "echo";
	unended[1] = "x";
	CHECK(exec("/echo", unended) == -1, "exec with an argv running into the end of the heap");
	exit(42);
}

void test_bad_strings(void)
{
	ut_write_file("ut_here", "x", 1);
	char *bad[24];
	const char *what[24];
	int n = bad_paths(bad, what, 24);
	for (int i = 0; i < n; i++) {
		CHECK(open(bad[i], O_RDONLY) == -1, "open of %s", what[i]);
		CHECK(open(bad[i], O_CREATE | O_RDWR) == -1, "open(O_CREATE) of %s", what[i]);
		CHECK(mkdir(bad[i]) == -1, "mkdir of %s", what[i]);
		CHECK(unlink(bad[i]) == -1, "unlink of %s", what[i]);
		CHECK(chdir(bad[i]) == -1, "chdir to %s", what[i]);
		CHECK(mknod(bad[i], 7, 0) == -1, "mknod of %s", what[i]);
		CHECK(link("ut_here", bad[i]) == -1, "link to %s", what[i]);
		CHECK(link(bad[i], "ut_there") == -1, "link from %s", what[i]);
	}
	struct stat st;
	CHECK(stat("ut_here", &st) == 0, "the working directory changed");
	CHECK(stat("ut_there", &st) == -1, "a failed link made a name");
	CHECK(unlink("ut_here") == 0);
	CHECK(ut_in_child(exec_bad_strings) == 42, "an exec given a bad pointer ran /echo");
}
