/*
 * usertests: processes. fork, exit and wait; orphans; forking until the kernel says no;
 * kill of sleeping, blocked and running processes; sleep and uptime; call numbers that
 * do not exist; registers the kernel must leave alone.
 */
#include "ut.h"

#define PROMPTLY 100 /* ticks: a killed or woken process is gone well within this */

void test_exit_status(void)
{
	static const int statuses[] = {0, 1, 7, 255, -1, -2147483647 - 1, 2147483647};
	for (uint i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		int pid = fork();
		CHECK(pid >= 0);
		if (pid == 0)
			exit(statuses[i]);
		int status = 12345;
		CHECK(wait(&status) == pid);
		CHECK(status == statuses[i], "exit(%d) gave status %d", statuses[i], status);
	}
	/* wait(0) reaps without storing the status. */
	int pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		exit(3);
	CHECK(wait(0) == pid);
}

void test_wait_none(void)
{
	int status = 99;
	int t0 = uptime();
	CHECK(wait(&status) == -1, "wait with no children");
	CHECK(wait(0) == -1);
	CHECK(status == 99, "a failed wait wrote the status");
	CHECK(uptime() - t0 < PROMPTLY, "wait with no children took %d ticks", uptime() - t0);
}

void test_wait_bad_pointer(void)
{
	int pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		exit(5);

	char *bad[16];
	const char *what[16];
	int n = ut_bad_addresses(bad, what, 16);
	/* Not the null pointer: wait(0) is a valid call that reaps without a status. */
	for (int i = 0; i < n; i++)
		if (bad[i] != 0)
			CHECK(wait((int *)bad[i]) == -1, "wait(%s) did not fail", what[i]);
	CHECK(wait((int *)test_wait_bad_pointer) == -1, "wait into read-only text");
	CHECK(wait((int *)(USER_TOP - 2)) == -1, "wait into the last 2 bytes below USER_TOP");

	/* The child is still there to be waited for. */
	int status = 0;
	CHECK(wait(&status) == pid, "the child was lost to a failed wait");
	CHECK(status == 5);
}

void test_orphans(void)
{
	int p[2];
	CHECK(pipe(p) == 0);
	int pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* A grandchild that outlives its parent and then exits on its own. */
		int g = fork();
		if (g == 0) {
			char c;
			close(p[1]);
			read(p[0], &c, 1); /* until the test closes its end */
			exit(0);
		}
		exit(g > 0 ? 0 : 1);
	}
	close(p[0]);
	int status;
	CHECK(wait(&status) == pid && status == 0, "the child could not fork");
	CHECK(wait(0) == -1, "the orphan stayed this process's child");
	close(p[1]); /* the orphan (now init's) exits; init reaps it */
}

void test_getpid(void)
{
	int me = getpid();
	CHECK(me > 0);
	CHECK(getpid() == me);
	int p[2];
	CHECK(pipe(p) == 0);
	int pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int child = getpid();
		write(p[1], &child, sizeof(child));
		exit(0);
	}
	int reported = 0;
	CHECK(read(p[0], &reported, sizeof(reported)) == sizeof(reported));
	CHECK(reported == pid, "the child's getpid() is %d, fork() said %d", reported, pid);
	CHECK(pid != me);
	ut_wait_for(pid);
	close(p[0]);
	close(p[1]);
}

/* Forks until fork() fails, with every child waiting on a pipe; then lets them go. */
static int fork_until_failure(void)
{
	int p[2];
	CHECK(pipe(p) == 0);
	int n = 0;
	for (;;) {
		int pid = fork();
		if (pid < 0)
			break;
		if (pid == 0) {
			char c;
			close(p[1]);
			read(p[0], &c, 1);
			exit(0);
		}
		n++;
		CHECK(n < 5000, "fork did not fail after 5000 children");
	}
	/* While every slot is taken, the rest of the kernel still works. */
	int q[2];
	if (pipe(q) == 0) {
		close(q[0]);
		close(q[1]);
	}
	CHECK(getpid() > 0);

	close(p[0]);
	close(p[1]);
	for (int i = 0; i < n; i++)
		CHECK(wait(0) > 0, "%d of %d children reaped", i, n);
	CHECK(wait(0) == -1);
	return n;
}

void test_fork_exhaust(void)
{
	int first = fork_until_failure();
	CHECK(first > 0, "not a single fork succeeded");
	/* As many again: nothing of the first round stayed behind. */
	int second = fork_until_failure();
	CHECK(second >= first, "%d children the first time, %d the second", first, second);
}

static int elapsed_since(int t0)
{
	return uptime() - t0;
}

void test_kill_sleeping(void)
{
	int pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		sleep(1000000);
		exit(0);
	}
	sleep(2); /* let it fall asleep */
	int t0 = uptime();
	CHECK(kill(pid) == 0);
	CHECK(ut_killed(pid), "the killed sleeper did not exit with -1");
	CHECK(elapsed_since(t0) < PROMPTLY, "the sleeper took %d ticks to die", elapsed_since(t0));
}

void test_kill_blocked(void)
{
	/* A child blocked reading a pipe whose write end is still open. */
	int p[2];
	CHECK(pipe(p) == 0);
	int reader = fork();
	CHECK(reader >= 0);
	if (reader == 0) {
		char c;
		read(p[0], &c, 1);
		exit(0);
	}
	/* A child blocked writing a pipe that nobody reads. */
	int q[2];
	CHECK(pipe(q) == 0);
	int writer = fork();
	CHECK(writer >= 0);
	if (writer == 0) {
		static char block[4096];
		for (;;)
			write(q[1], block, sizeof(block));
	}
	/* A child blocked in wait() for a grandchild that sleeps long. */
	int r[2];
	CHECK(pipe(r) == 0);
	int waiter = fork();
	CHECK(waiter >= 0);
	if (waiter == 0) {
		int g = fork();
		if (g == 0) {
			sleep(1000000);
			exit(0);
		}
		write(r[1], &g, sizeof(g));
		wait(0);
		exit(0);
	}
	int grandchild = -1;
	CHECK(read(r[0], &grandchild, sizeof(grandchild)) == sizeof(grandchild));

	sleep(2);
	int t0 = uptime();
	CHECK(kill(reader) == 0 && kill(writer) == 0 && kill(waiter) == 0);
	CHECK(ut_killed(reader), "the blocked reader");
	CHECK(ut_killed(writer), "the blocked writer");
	CHECK(ut_killed(waiter), "the process in wait()");
	CHECK(elapsed_since(t0) < PROMPTLY, "%d ticks to kill them", elapsed_since(t0));
	CHECK(kill(grandchild) == 0, "cannot kill the orphaned grandchild %d", grandchild);
	for (int i = 0; i < 2; i++) {
		close(p[i]);
		close(q[i]);
		close(r[i]);
	}
}

void test_kill_running(void)
{
	/* Computing, never entering the kernel on its own: the timer interrupt must do. */
	int pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		volatile unsigned long spin = 0;
		for (;;)
			spin++;
	}
	sleep(2);
	CHECK(kill(pid) == 0);
	CHECK(ut_killed(pid), "the spinning child");

	/* A process that kills itself goes too. */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		kill(getpid());
		for (volatile int i = 0;; i++)
			;
	}
	CHECK(ut_killed(pid), "the child that killed itself");
}

void test_kill_bad_pids(void)
{
	static const int bad[] = {0, -1, -2, -2147483647 - 1, 2147483647, 1 << 20};
	for (uint i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(kill(bad[i]) == -1, "kill(%d)", bad[i]);
	/* A pid that was used and is free again. */
	int pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		exit(0);
	ut_wait_for(pid);
	CHECK(kill(pid) == -1, "kill of the reaped pid %d", pid);
}

void test_sleep_uptime(void)
{
	int t0 = uptime();
	CHECK(t0 >= 0);
	CHECK(sleep(10) == 0);
	int slept = uptime() - t0;
	CHECK(slept >= 10, "sleep(10) returned after %d ticks", slept);
	CHECK(slept < 10 + PROMPTLY, "sleep(10) took %d ticks", slept);
	t0 = uptime();
	sleep(0);
	sleep(-1);
	sleep(-2147483647 - 1);
	CHECK(uptime() - t0 < PROMPTLY, "sleep(0) and negative sleeps took %d ticks",
	      uptime() - t0);
}

void test_bad_call_numbers(void)
{
	static const long numbers[] = {0,   SYS_LAST + 1, SYS_LAST + 2, 255,
	                               256, 4096,         0x7fffffffL,  -1,
	                               -2,  1L << 32,     1L << 62};
	for (uint i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		long r = ut_ecall(numbers[i], 1, 2, 3, 4, 5, 6);
		CHECK(r == -1, "call number %ld returned %ld", numbers[i], r);
	}
	/* A call's number is all of a7: garbage above bit 31 makes it unknown too. */
	long r = ut_ecall((1L << 32) | SYS_getpid, 0, 0, 0, 0, 0, 0);
	CHECK(r == -1, "call number 2^32 + SYS_getpid returned %ld", r);
}

/*
 * Loads every register but sp, a0, a7 and t6 with a known value, makes a call with a
 * bare ecall, and compares afterwards: the kernel returns all but a0 as they were. t6
 * holds the address of the values throughout (a kernel that changed it would make the
 * stores go astray, and the test be killed). gp, tp and s0, which the compiler may rely
 * on, are saved first and restored last.
 */
static struct {
	unsigned long before[28]; /* offset 0 */
	unsigned long after[28];  /* offset 224: the 27 registers, then a7 */
	unsigned long saved[3];   /* offset 448: gp, tp, s0 of the compiled code */
} regs;

static const char *const reg_names[27] = {"ra", "gp", "tp", "t0", "t1",  "t2",  "s0", "s1", "a1",
                                          "a2", "a3", "a4", "a5", "a6",  "s2",  "s3", "s4", "s5",
                                          "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5"};

void test_registers_kept(void)
{
	for (int i = 0; i < 27; i++)
		regs.before[i] = 0x5a5a000000000000UL + (unsigned long)(i + 1) * 0x0101010101UL;
	__asm__ volatile("mv t6, %0\n"
	                 "sd gp, 448(t6)\n"
	                 "sd tp, 456(t6)\n"
	                 "sd s0, 464(t6)\n"
	                 "ld ra, 0(t6)\n"
	                 "ld gp, 8(t6)\n"
	                 "ld tp, 16(t6)\n"
	                 "ld t0, 24(t6)\n"
	                 "ld t1, 32(t6)\n"
	                 "ld t2, 40(t6)\n"
	                 "ld s0, 48(t6)\n"
	                 "ld s1, 56(t6)\n"
	                 "ld a1, 64(t6)\n"
	                 "ld a2, 72(t6)\n"
	                 "ld a3, 80(t6)\n"
	                 "ld a4, 88(t6)\n"
	                 "ld a5, 96(t6)\n"
	                 "ld a6, 104(t6)\n"
	                 "ld s2, 112(t6)\n"
	                 "ld s3, 120(t6)\n"
	                 "ld s4, 128(t6)\n"
	                 "ld s5, 136(t6)\n"
	                 "ld s6, 144(t6)\n"
	                 "ld s7, 152(t6)\n"
	                 "ld s8, 160(t6)\n"
	                 "ld s9, 168(t6)\n"
	                 "ld s10, 176(t6)\n"
	                 "ld s11, 184(t6)\n"
	                 "ld t3, 192(t6)\n"
	                 "ld t4, 200(t6)\n"
	                 "ld t5, 208(t6)\n"
	                 "li a7, %1\n"
	                 "ecall\n"
	                 "sd ra, 224(t6)\n"
	                 "sd gp, 232(t6)\n"
	                 "sd tp, 240(t6)\n"
	                 "sd t0, 248(t6)\n"
	                 "sd t1, 256(t6)\n"
	                 "sd t2, 264(t6)\n"
	                 "sd s0, 272(t6)\n"
	                 "sd s1, 280(t6)\n"
	                 "sd a1, 288(t6)\n"
	                 "sd a2, 296(t6)\n"
	                 "sd a3, 304(t6)\n"
	                 "sd a4, 312(t6)\n"
	                 "sd a5, 320(t6)\n"
	                 "sd a6, 328(t6)\n"
	                 "sd s2, 336(t6)\n"
	                 "sd s3, 344(t6)\n"
	                 "sd s4, 352(t6)\n"
	                 "sd s5, 360(t6)\n"
	                 "sd s6, 368(t6)\n"
	                 "sd s7, 376(t6)\n"
	                 "sd s8, 384(t6)\n"
	                 "sd s9, 392(t6)\n"
	                 "sd s10, 400(t6)\n"
	                 "sd s11, 408(t6)\n"
	                 "sd t3, 416(t6)\n"
	                 "sd t4, 424(t6)\n"
	                 "sd t5, 432(t6)\n"
	                 "sd a7, 440(t6)\n"
	                 "ld gp, 448(t6)\n"
	                 "ld tp, 456(t6)\n"
	                 "ld s0, 464(t6)\n"
	                 :
	                 : "r"(&regs), "i"(SYS_getpid)
	                 : "memory", "ra", "t0", "t1", "t2", "t3", "t4", "t5", "t6", "s1", "s2",
	                   "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "a0", "a1", "a2",
	                   "a3", "a4", "a5", "a6", "a7");
	for (int i = 0; i < 27; i++)
		CHECK(regs.after[i] == regs.before[i], "%s was %#lx, is %#lx after the call",
		      reg_names[i], regs.before[i], regs.after[i]);
	CHECK(regs.after[27] == SYS_getpid, "a7 was %d, is %#lx", SYS_getpid, regs.after[27]);
}
