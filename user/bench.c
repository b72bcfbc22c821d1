/*
 * bench [TOKEN]: what system calls and process operations cost, in instructions per
 * operation, loop overhead included: instret (read in U-mode with rdinstret, which the
 * kernel allows through scounteren) before and after a loop of the operation, divided
 * by the number of rounds. One line per figure, in the kernel's result-line format
 * (docs/protocol.md) with the target beside it:
 *
 *   KTEST <TOKEN or -> BENCH getpid_round_trip 312 instructions (target <= 500)
 *
 * The figures count guest instructions only when QEMU runs with -icount (otherwise
 * instret follows the host's clock), and they count everything the machine does in the
 * meantime, the kernel and other processes included. Run it on one hart, with nothing
 * else running: under -icount instret counts the instructions of every hart together.
 */
#include "user.h"

static const char *token = "-";
static int failures;

static inline uint64 instret(void)
{
	uint64 n;
	__asm__ volatile("rdinstret %0" : "=r"(n));
	return n;
}

static void report(const char *name, uint64 instructions, int rounds, long target)
{
	printf("KTEST %s BENCH %s %lu instructions (target <= %ld)\n", token, name,
	       (unsigned long)(instructions / (uint64)rounds), target);
}

static void failed(const char *name, const char *why)
{
	fprintf(2, "bench: %s: %s\n", name, why);
	failures++;
}

static void bench_getpid(void)
{
	const int rounds = 10000;
	getpid();
	uint64 t0 = instret();
	for (int i = 0; i < rounds; i++)
		getpid();
	report("getpid_round_trip", instret() - t0, rounds, 500);
}

static void bench_pipe_one_process(void)
{
	const int rounds = 2000;
	const char *name = "pipe_write_read_1byte";
	int p[2];
	char c = 'x';
	if (pipe(p) < 0) {
		failed(name, "pipe failed");
		return;
	}
	uint64 t0 = instret();
	for (int i = 0; i < rounds; i++) {
		if (write(p[1], &c, 1) != 1 || read(p[0], &c, 1) != 1) {
			failed(name, "write or read failed");
			break;
		}
	}
	uint64 t1 = instret();
	close(p[0]);
	close(p[1]);
	report(name, t1 - t0, rounds, 15000);
}

static void bench_pipe_ping_pong(void)
{
	const int rounds = 1000;
	const char *name = "pipe_ping_pong_1byte";
	int ping[2], pong[2];
	char c = 'x';
	if (pipe(ping) < 0 || pipe(pong) < 0) {
		failed(name, "pipe failed");
		return;
	}
	int pid = fork();
	if (pid < 0) {
		failed(name, "fork failed");
		return;
	}
	if (pid == 0) {
		close(ping[1]);
		close(pong[0]);
		while (read(ping[0], &c, 1) == 1 && write(pong[1], &c, 1) == 1)
			;
		exit(0);
	}
	close(ping[0]);
	close(pong[1]);
	/* One round first, so the child is up and waiting before the count starts. */
	int ok = write(ping[1], &c, 1) == 1 && read(pong[0], &c, 1) == 1;
	uint64 t0 = instret();
	for (int i = 0; ok && i < rounds; i++)
		ok = write(ping[1], &c, 1) == 1 && read(pong[0], &c, 1) == 1;
	uint64 t1 = instret();
	close(ping[1]);
	close(pong[0]);
	wait(0);
	if (!ok)
		failed(name, "write or read failed");
	else
		report(name, t1 - t0, rounds, 30000);
}

static void bench_fork_exit_wait(void)
{
	const int rounds = 100;
	const char *name = "fork_exit_wait";
	uint64 t0 = instret();
	for (int i = 0; i < rounds; i++) {
		int pid = fork();
		if (pid == 0)
			exit(0);
		if (pid < 0 || wait(0) != pid) {
			failed(name, "fork or wait failed");
			return;
		}
	}
	report(name, instret() - t0, rounds, 250000);
}

static void bench_fork_exec_wait(void)
{
	const int rounds = 50;
	const char *name = "fork_exec_wait";
	char *argv[] = {"true", 0};
	uint64 t0 = 0;
	for (int i = -1; i < rounds; i++) {
		if (i == 0) /* round -1 brings /true into the kernel's caches */
			t0 = instret();
		int pid = fork();
		if (pid == 0) {
			exec("/true", argv);
			exit(1);
		}
		int status = -1;
		if (pid < 0 || wait(&status) != pid || status != 0) {
			failed(name, "fork, exec of /true or wait failed");
			return;
		}
	}
	report(name, instret() - t0, rounds, 600000);
}

static void bench_sbrk(void)
{
	const int rounds = 2000;
	const char *name = "sbrk_4096_up_down";
	uint64 t0 = instret();
	for (int i = 0; i < rounds; i++) {
		char *p = sbrk(4096);
		if (p == (char *)-1 || sbrk(-4096) == (char *)-1) {
			failed(name, "sbrk failed");
			return;
		}
	}
	report(name, instret() - t0, rounds, 20000);
}

static void bench_open_close(void)
{
	const int rounds = 1000;
	const char *name = "open_close";
	int fd = open("/true", O_RDONLY);
	if (fd < 0) {
		failed(name, "cannot open /true");
		return;
	}
	close(fd);
	uint64 t0 = instret();
	for (int i = 0; i < rounds; i++) {
		fd = open("/true", O_RDONLY);
		if (fd < 0 || close(fd) < 0) {
			failed(name, "open or close failed");
			return;
		}
	}
	report(name, instret() - t0, rounds, 70000);
}

int main(int argc, char *argv[])
{
	if (argc > 2) {
		fprintf(2, "usage: bench [TOKEN]\n");
		return 2;
	}
	if (argc == 2)
		token = argv[1];
	bench_getpid();
	bench_pipe_one_process();
	bench_pipe_ping_pong();
	bench_fork_exit_wait();
	bench_fork_exec_wait();
	bench_sbrk();
	bench_open_close();
	return failures ? 1 : 0;
}
