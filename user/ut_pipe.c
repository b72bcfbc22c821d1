/*
 * usertests: pipes. Data through a pipe arrives whole and in order; closing the last
 * write end wakes a blocked reader with end-of-file and closing the last read end wakes
 * a blocked writer with an error; pipes until the descriptors run out.
 */
#include "ut.h"

#define PROMPTLY   100 /* ticks */
#define PIPE_BYTES (100 * 1024)

static unsigned char pattern(long k)
{
	return (unsigned char)((k * 7 + k / 251) % 251);
}

void test_pipe_data(void)
{
	int p[2];
	CHECK(pipe(p) == 0);
	int pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		static unsigned char out[1500];
		close(p[0]);
		long sent = 0;
		for (int size = 1; sent < PIPE_BYTES; size = size * 3 % 1499 + 1) {
			int n = PIPE_BYTES - sent < size ? (int)(PIPE_BYTES - sent) : size;
			for (int i = 0; i < n; i++)
				out[i] = pattern(sent + i);
			CHECK(write(p[1], out, n) == n, "write of %d bytes", n);
			sent += n;
		}
		exit(0);
	}
	close(p[1]);
	static unsigned char in[1000];
	long got = 0;
	int n, size = 1;
	while ((n = read(p[0], in, size)) > 0) {
		CHECK(n <= size, "read returned %d for %d bytes", n, size);
		for (int i = 0; i < n; i++, got++)
			CHECK(in[i] == pattern(got), "byte %ld is wrong", got);
		size = size * 5 % 997 + 1;
	}
	CHECK(n == 0, "read returned %d", n);
	CHECK(got == PIPE_BYTES, "%ld bytes came through, not %d", got, PIPE_BYTES);
	CHECK(read(p[0], in, 1) == 0, "end of file is not sticky");
	close(p[0]);
	CHECK(ut_wait_for(pid) == 0, "the writer failed");
}

void test_pipe_reader_wakes(void)
{
	int p[2];
	CHECK(pipe(p) == 0);
	int pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char c;
		close(p[1]);
		exit(read(p[0], &c, 1) == 0 ? 0 : 3);
	}
	close(p[0]);
	sleep(5); /* the child is now blocked in read */
	int t0 = uptime();
	close(p[1]);
	int status = ut_wait_for(pid);
	CHECK(status == 0, "the blocked reader's read did not return 0 (status %d)", status);
	CHECK(uptime() - t0 < PROMPTLY, "the reader woke after %d ticks", uptime() - t0);
}

void test_pipe_writer_wakes(void)
{
	int p[2];
	CHECK(pipe(p) == 0);
	int pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		const int size = 1 << 20;
		char *block = sbrk(size);
		CHECK(block != (char *)-1);
		close(p[0]);
		/* More than any pipe holds: this blocks until the read end goes away. */
		int n = write(p[1], block, size);
		if (n == size)
			exit(3);
		exit(write(p[1], block, 1) == -1 ? 0 : 4);
	}
	close(p[1]);
	sleep(5);
	int t0 = uptime();
	close(p[0]);
	int status = ut_wait_for(pid);
	CHECK(status != 3, "1 MiB went into a pipe nobody read");
	CHECK(status == 0, "a write after the read end closed did not fail (status %d)", status);
	CHECK(uptime() - t0 < PROMPTLY, "the writer woke after %d ticks", uptime() - t0);
}

void test_pipe_no_reader(void)
{
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK(p[0] >= 3 && p[1] >= 3 && p[0] != p[1], "pipe gave %d and %d", p[0], p[1]);
	close(p[0]);
	CHECK(write(p[1], "x", 1) == -1, "write with no reader");
	close(p[1]);

	CHECK(pipe(p) == 0);
	close(p[1]);
	char c;
	CHECK(read(p[0], &c, 1) == 0, "read with no writer");
	CHECK(write(p[0], "x", 1) == -1, "write to a read end");
	close(p[0]);

	CHECK(pipe(p) == 0);
	CHECK(write(p[1], "y", 1) == 1); /* so that a wrong read returns, not waits */
	CHECK(read(p[1], &c, 1) == -1, "read from a write end");
	close(p[0]);
	close(p[1]);
}

static int pipes_until_failure(void)
{
	static int ends[1024][2];
	int n = 0;
	while (n < 1024 && pipe(ends[n]) == 0)
		n++;
	CHECK(n < 1024, "1024 pipes and no failure");
	for (int i = 0; i < n; i++) {
		close(ends[i][0]);
		close(ends[i][1]);
	}
	return n;
}

void test_pipe_limit(void)
{
	int first = pipes_until_failure();
	CHECK(first >= 4, "only %d pipes", first);
	/* A descriptor short: one end opens, the other cannot; nothing may stay open. */
	int extra = open(".", O_RDONLY);
	int lowest = ut_lowest_free_fd();
	int n = pipes_until_failure();
	CHECK(ut_lowest_free_fd() == lowest, "a failed pipe() left a descriptor open");
	if (extra >= 0)
		close(extra);
	CHECK(n <= first);
	CHECK(pipes_until_failure() == first, "fewer pipes the second time");
}
