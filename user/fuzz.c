/*
 * fuzz SEED N [-v] [-p P] [-w W]: a system-call fuzzer. P workers (default 4) each make
 * N system calls with random and adversarial arguments: pointers to kernel memory, past
 * USER_TOP, into read-only text, past the heap's end, strings without a NUL; closed and
 * absurd descriptors; negative and huge sizes; unknown call numbers; int arguments with
 * garbage in their upper 32 bits. The kernel must answer every call, -1 where it is
 * wrong, and never panic.
 *
 * Worker W draws from an xorshift generator seeded from SEED and W, so a run repeats
 * call for call as long as the kernel answers the same way. -v prints every call before
 * it is made ("fuzz[W] #i: read(5, 0x80200000, 4096)"), so after a panic the last
 * lines name the seed and the call; -w W runs worker W alone, in this process.
 *
 * A worker never blocks for long and never harms anything outside its scratch
 * directory (fuzz.<pid>/w<W> under the current directory): it never touches fds 0-2
 * (the console: a read would wait for typing), keeps only one end of each pipe it makes
 * (a read sees end-of-file, a write fails, neither waits), kills only its own children,
 * chdirs only downward inside its directory, never names a path outside it and never
 * makes a console device. At the end it removes its files, and the run compares the
 * kernel's counts (sysstats) before and after.
 */
#include "abi/fs_format.h"
#include "abi/memlayout.h"
#include "user.h"

/* ---------------------------------------------------------------- randomness */

static uint64 rng_state;

static uint64 rnd(void)
{
	/* xorshift64*: shifts, then a multiply to mix the high bits into the low ones. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dUL;
}

static void seed_rng(uint64 seed, int worker)
{
	/* Spread seed and worker over all 64 bits; xorshift must not start at 0. */
	uint64 z = seed + 0x9e3779b97f4a7c15UL * (uint64)(worker + 1);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
	rng_state = (z ^ (z >> 31)) | 1;
}

static int below(int n)
{
	return (int)(rnd() % (uint64)n);
}

#define PICK(array) (array)[below(sizeof(array) / sizeof((array)[0]))]

/* ---------------------------------------------------------------- worker state */

#define MAX_FDS      64
#define MAX_CHILDREN 8

static int fds[MAX_FDS]; /* every descriptor above 2 the worker has open */
static int nfds;
static int children[MAX_CHILDREN];
static int nchildren;

static int worker;
static long call_no;
static int verbose;
static int surprises; /* calls that succeeded where they could not have */
static int depth;     /* directories below the worker's own that chdir went into */

/*
 * The valid buffer calls read into and write from, and a string without a NUL: both at
 * the top of the heap, so that a call given a valid pointer and too large a size runs
 * into unmapped memory, never into the worker's own variables.
 */
#define BUF_SIZE 8192
static char *buf;         /* BUF_SIZE bytes */
static char *heap_string; /* the last 16 bytes below the break, none of them NUL */

/* Puts a new descriptor on the list, or closes it when the list is full. */
static void track(int fd)
{
	if (fd < 3)
		return;
	if (nfds == MAX_FDS)
		close(fd);
	else
		fds[nfds++] = fd;
}

static void untrack(int fd)
{
	for (int i = 0; i < nfds; i++) {
		if (fds[i] == fd) {
			fds[i] = fds[--nfds];
			return;
		}
	}
}

/* ---------------------------------------------------------------- arguments */

/* Descriptors that cannot be open in any process. */
static const int bad_fds[] = {-1, -2, -2147483647 - 1, 1 << 20, 2147483647, 1000};

static int any_fd(void)
{
	int r = below(10);
	if (r < 6 && nfds > 0)
		return fds[below(nfds)];
	if (r < 8)
		return PICK(bad_fds);
	/* A small number: open (then it is tracked) or not; never 0, 1 or 2. */
	return 3 + below(37);
}

static int known_bad_fd(int fd)
{
	for (uint i = 0; i < sizeof(bad_fds) / sizeof(bad_fds[0]); i++) {
		if (bad_fds[i] == fd)
			return 1;
	}
	return 0;
}

static void marker(void) {}

/*
 * A pointer for a call to read from (writable = 0) or write into (writable = 1): valid
 * now and then, mostly not. Read-only places count as bad only for writes.
 */
static char *any_pointer(int writable)
{
	char *sp;
	__asm__("mv %0, sp" : "=r"(sp));
	char *brk = sbrk(0);
	switch (below(17)) {
	case 0:
	case 1:
	case 2:
		return buf + below(BUF_SIZE);
	case 3:
		return 0;
	case 4:
		return (char *)0x80200000UL; /* kernel text */
	case 5:
		return (char *)0x80000000UL; /* the firmware */
	case 6:
		return (char *)0x10000000UL; /* the UART */
	case 7:
		return (char *)USER_TOP - below(64);
	case 8:
		return (char *)USER_TOP + below(4096);
	case 9:
		return (char *)(~0UL - (uint64)below(4096));
	case 10:
		return writable ? (char *)marker : (char *)"read-only";
	case 11:
		return (char *)USER_BASE - 1 - below(4096);
	case 12:
		return brk - below(64);
	case 13:
		return brk + 4096 * (1 + below(256));
	case 14:
		/* A live stack frame may be read, not written: below the stack instead. */
		return writable ? sp - EXEC_STACK_SIZE - below(4096) : sp + below(16);
	case 15:
		return heap_string;
	default:
		return (char *)rnd();
	}
}

static const int sizes[] = {
        0, 1, 2, 7, 64, 512, 4096, 8192, 1 << 20, -1, -4096, -2147483647 - 1, 2147483647};

static int any_size(void)
{
	return below(4) == 0 ? (int)rnd() : PICK(sizes);
}

/* Names inside the worker's directory; some exist, some get made, none lead out. */
static const char *const names[] = {"a",     "b",   "c", "a/b", "a/c",      "b/a",
                                    "a/b/c", "d/e", "g", ".",   "nosuch/x", ""};

static const char *any_path(void)
{
	static char long_path[MAXPATH + 64];
	switch (below(12)) {
	case 0:
		memset(long_path, 'p', sizeof(long_path) - 1);
		long_path[sizeof(long_path) - 1] = '\0';
		return long_path + below(80); /* around MAXPATH long */
	case 1:
	case 2:
		return any_pointer(0);
	default:
		return PICK(names);
	}
}

/* A path made only of names (no bad pointers): for unlink, link, mkdir, mknod. */
static const char *scratch_path(void)
{
	return below(8) == 0 ? any_path() : PICK(names);
}

static char **any_argv(void)
{
	static char *argv[MAXARG + 8];
	switch (below(5)) {
	case 0:
		return 0;
	case 1:
		return (char **)any_pointer(0);
	case 2: {
		int n = below(MAXARG + 8);
		for (int i = 0; i < n; i++)
			argv[i] = "x";
		argv[n] = 0;
		return argv;
	}
	case 3:
		argv[0] = "g";
		argv[1] = any_pointer(0);
		argv[2] = 0;
		return argv;
	default:
		/* No terminating null: the array runs on into whatever follows. */
		for (int i = 0; i < MAXARG + 8; i++)
			argv[i] = "y";
		return argv;
	}
}

/* ---------------------------------------------------------------- calls */

/* In verbose mode, the call about to be made, as one line (one write). */
#define say(fmt, ...)                                                                              \
	do {                                                                                       \
		if (verbose)                                                                       \
			printf("fuzz[%d] #%ld: " fmt, worker, call_no __VA_OPT__(, ) __VA_ARGS__); \
	} while (0)

/* A path argument as text, when it is one of the worker's own strings. */
static const char *shown(const char *path)
{
	for (uint i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (path == names[i])
			return path;
	}
	return "(not shown)";
}

static void expect_failure(const char *what, long r)
{
	if (r != -1) {
		printf("fuzz[%d] #%ld: %s returned %ld, not -1\n", worker, call_no, what, r);
		surprises++;
	}
}

/* A raw ecall: any number, any 64-bit register values. */
static long ecall(long number, long a0, long a1, long a2, long a3, long a4, long a5)
{
	register long x10 __asm__("a0") = a0;
	register long x11 __asm__("a1") = a1;
	register long x12 __asm__("a2") = a2;
	register long x13 __asm__("a3") = a3;
	register long x14 __asm__("a4") = a4;
	register long x15 __asm__("a5") = a5;
	register long x17 __asm__("a7") = number;
	__asm__ volatile("ecall"
	                 : "+r"(x10)
	                 : "r"(x11), "r"(x12), "r"(x13), "r"(x14), "r"(x15), "r"(x17)
	                 : "memory");
	return x10;
}

static void do_read(void)
{
	int fd = any_fd(), n = any_size();
	char *p = any_pointer(1);
	say("read(%d, %p, %d)\n", fd, p, n);
	int r = read(fd, p, n);
	if (known_bad_fd(fd))
		expect_failure("read on a bad fd", r);
}

static void do_write(void)
{
	int fd = any_fd(), n = any_size();
	char *p = any_pointer(0);
	/* Valid data into a file: keep it small, or the disk fills up. */
	if (p >= buf && p < buf + BUF_SIZE && (n > 512 || n < 0) && below(4) != 0)
		n = below(512);
	say("write(%d, %p, %d)\n", fd, p, n);
	int r = write(fd, p, n);
	if (known_bad_fd(fd))
		expect_failure("write on a bad fd", r);
}

static void do_open(void)
{
	static const int flags[] = {O_RDONLY,
	                            O_WRONLY,
	                            O_RDWR,
	                            O_CREATE | O_RDWR,
	                            O_CREATE | O_TRUNC | O_WRONLY,
	                            O_TRUNC | O_RDONLY,
	                            0x7ffff,
	                            -1};
	const char *path = any_path();
	int f = below(6) == 0 ? (int)rnd() : PICK(flags);
	say("open(%p %s, %#x)\n", path, shown(path), f);
	int fd = open(path, f);
	if (fd < 0)
		return;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		printf("fuzz[%d] #%ld: fstat of a new fd %d failed\n", worker, call_no, fd);
		surprises++;
	}
	track(fd);
}

static void do_close(void)
{
	int fd = any_fd();
	say("close(%d)\n", fd);
	int r = close(fd);
	if (r == 0)
		untrack(fd);
	if (known_bad_fd(fd))
		expect_failure("close of a bad fd", r);
}

static void do_dup(void)
{
	int fd = any_fd();
	say("dup(%d)\n", fd);
	int r = dup(fd);
	if (r >= 0) {
		for (int i = 0; i < nfds; i++) {
			if (fds[i] == fd) {
				track(r);
				return;
			}
		}
		printf("fuzz[%d] #%ld: dup(%d) of an fd not open returned %d\n", worker, call_no,
		       fd, r);
		surprises++;
		close(r);
	}
}

static void do_fstat(void)
{
	int fd = any_fd();
	char *p = any_pointer(1);
	say("fstat(%d, %p)\n", fd, p);
	int r = fstat(fd, (struct stat *)p);
	if (known_bad_fd(fd))
		expect_failure("fstat of a bad fd", r);
}

/* A pipe: one end is closed at once, so nothing can wait on the other. Sometimes a
   byte goes through first, with both ends open, and the read gets a bad pointer. */
static void do_pipe(void)
{
	int *p = below(4) == 0 ? (int *)any_pointer(1) : (int *)buf;
	say("pipe(%p)\n", p);
	if (pipe(p) < 0)
		return;
	int rd = p[0], wr = p[1];
	if (below(2) == 0) {
		say("write(%d, %p, 1); read(%d, ...)\n", wr, buf, rd);
		if (write(wr, buf, 1) == 1) {
			char *q = any_pointer(1);
			int n = any_size();
			say("read(%d, %p, %d)\n", rd, q, n);
			read(rd, q, n); /* a byte is there: it does not wait */
		}
	}
	if (below(2) == 0) {
		close(wr);
		track(rd);
	} else {
		close(rd);
		track(wr);
	}
}

static void do_fork(void)
{
	if (nchildren == MAX_CHILDREN) {
		say("wait(0)\n");
		int pid = wait(0);
		for (int i = 0; i < nchildren; i++) {
			if (children[i] == pid)
				children[i] = children[--nchildren];
		}
		return;
	}
	say("fork()\n");
	int pid = fork();
	if (pid == 0) {
		/* Sometimes the child outlives the parent's interest: it sleeps a little. */
		if (below(4) == 0)
			sleep(below(3));
		exit(below(256) - 128);
	}
	if (pid > 0)
		children[nchildren++] = pid;
}

static void do_wait(void)
{
	int *status = below(3) == 0 ? (int *)any_pointer(1) : (int *)buf;
	say("wait(%p)\n", status);
	if (nchildren == 0) {
		int r = wait(status);
		expect_failure("wait with no children", r);
		return;
	}
	int pid = wait(status);
	for (int i = 0; i < nchildren; i++) {
		if (children[i] == pid)
			children[i] = children[--nchildren];
	}
}

static void do_kill(void)
{
	static const int bad_pids[] = {0, -1, -2147483647 - 1, 1 << 30, 99999};
	int pid = nchildren > 0 && below(2) == 0 ? children[below(nchildren)] : PICK(bad_pids);
	say("kill(%d)\n", pid);
	int r = kill(pid);
	if (pid <= 0)
		expect_failure("kill of pid <= 0", r);
}

static void do_exec(void)
{
	const char *path = below(3) == 0 ? names[8] /* "g" */ : any_path();
	char **argv = any_argv();
	say("exec(%p %s, %p)\n", path, shown(path), argv);
	int r = exec(path, argv);
	expect_failure("exec of no program", r);
}

static void do_sbrk(void)
{
	static const int deltas[] = {
	        0,       1,          -1,      4096,       -4096,      3 * 4096 + 5,
	        1 << 20, -(1 << 20), 1 << 30, -(1 << 30), 2147483647, -2147483647 - 1};
	int n = PICK(deltas);
	say("sbrk(%d)\n", n);
	sbrk(n);
}

static void do_path_call(void)
{
	const char *a = scratch_path(), *b = scratch_path();
	static const short majors[] = {0, 2, 7, -1, 32767}; /* never CONSOLE */
	switch (below(5)) {
	case 0:
		say("mkdir(%p %s)\n", a, shown(a));
		mkdir(a);
		break;
	case 1:
		say("unlink(%p %s)\n", a, shown(a));
		unlink(a);
		break;
	case 2:
		say("link(%p %s, %p %s)\n", a, shown(a), b, shown(b));
		link(a, b);
		break;
	case 3: {
		short major = PICK(majors), minor = (short)rnd();
		say("mknod(%p %s, %d, %d)\n", a, shown(a), major, minor);
		mknod(a, major, minor);
		break;
	}
	default: {
		/* chdir only to names without a bad pointer, whose depth is known, and not
		   too deep: the clean-up recurses once per level. */
		const char *dir = PICK(names);
		if (depth > 8)
			dir = ".";
		say("chdir(%s)\n", dir);
		if (chdir(dir) == 0) {
			for (const char *c = dir; *c; c++)
				depth += *c == '/';
			depth += strcmp(dir, ".") != 0 && dir[0] != '\0';
		}
		break;
	}
	}
}

static void do_misc(void)
{
	switch (below(5)) {
	case 0:
		say("getpid()\n");
		getpid();
		break;
	case 1:
		say("uptime()\n");
		uptime();
		break;
	case 2: {
		static const int ticks[] = {-1, 0, 1, -2147483647 - 1};
		int n = PICK(ticks);
		say("sleep(%d)\n", n);
		sleep(n);
		break;
	}
	case 3: {
		char *p = any_pointer(1);
		say("sysstats(%p)\n", p);
		sysstats((struct sysstats *)p);
		break;
	}
	default: {
		/* A number no call has. */
		static const long numbers[] = {0,  SYS_LAST + 1, SYS_LAST + 100,
		                               -1, 1L << 40,     0x7fffffff};
		long n = PICK(numbers);
		long a[6];
		for (int i = 0; i < 6; i++)
			a[i] = (long)rnd();
		say("ecall(a7=%ld, a0=%#lx, a1=%#lx, ...)\n", n, a[0], a[1]);
		expect_failure("an unknown call number",
		               ecall(n, a[0], a[1], a[2], a[3], a[4], a[5]));
		break;
	}
	}
}

/* Calls with garbage in the upper half of int arguments: the kernel uses the low half. */
static void do_wide(void)
{
	long high = (long)(rnd() << 32);
	int fd = nfds > 0 ? fds[below(nfds)] : PICK(bad_fds);
	char *p = any_pointer(1);
	switch (below(4)) {
	case 0:
		say("ecall read(%#lx, %p, %#lx)\n", high | (uint)fd, p, high | 16);
		ecall(SYS_read, high | (uint)fd, (long)p, high | 16, 0, 0, 0);
		break;
	case 1:
		say("ecall fstat(%#lx, %p)\n", high | (uint)fd, p);
		ecall(SYS_fstat, high | (uint)fd, (long)p, 0, 0, 0, 0);
		break;
	case 2:
		say("ecall sleep(%#lx)\n", high | 1);
		ecall(SYS_sleep, high | 1, 0, 0, 0, 0, 0);
		break;
	default: {
		int bad = PICK(bad_fds);
		say("ecall close(%#lx)\n", high | (uint)bad);
		expect_failure("close of a wide bad fd",
		               ecall(SYS_close, high | (uint)bad, 0, 0, 0, 0, 0));
		break;
	}
	}
}

static void one_call(void)
{
	int r = below(100);
	if (r < 14)
		do_read();
	else if (r < 28)
		do_write();
	else if (r < 38)
		do_open();
	else if (r < 45)
		do_close();
	else if (r < 50)
		do_dup();
	else if (r < 55)
		do_fstat();
	else if (r < 60)
		do_pipe();
	else if (r < 64)
		do_fork();
	else if (r < 67)
		do_wait();
	else if (r < 70)
		do_kill();
	else if (r < 75)
		do_exec();
	else if (r < 80)
		do_sbrk();
	else if (r < 90)
		do_path_call();
	else if (r < 95)
		do_misc();
	else
		do_wide();
}

/* ---------------------------------------------------------------- set-up and clean-up */

/* Removes everything in the current directory, recursively. */
static void remove_all(int level)
{
	int fd = open(".", O_RDONLY);
	if (fd < 0)
		return;
	struct fs_dirent de;
	while (read(fd, &de, sizeof(de)) == sizeof(de)) {
		if (de.inum == 0)
			continue;
		char name[FS_NAME_LEN + 1];
		memmove(name, de.name, FS_NAME_LEN);
		name[FS_NAME_LEN] = '\0';
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		struct stat st;
		if (level < 20 && stat(name, &st) == 0 && st.type == T_DIR && chdir(name) == 0) {
			remove_all(level + 1);
			chdir("..");
		}
		unlink(name);
	}
	close(fd);
}

static void make_garbage_file(void)
{
	int fd = open("g", O_CREATE | O_TRUNC | O_WRONLY);
	if (fd < 0)
		return;
	for (int i = 0; i < 300; i++)
		buf[i] = (char)rnd();
	if (below(2))
		memmove(buf, "\177ELF", 4); /* a header that starts right and goes wrong */
	write(fd, buf, 300);
	close(fd);
}

static int run_worker(uint64 seed, int w, long n)
{
	worker = w;
	seed_rng(seed, w);
	printf("fuzz: worker %d: seed %lu, %ld calls\n", w, (unsigned long)seed, n);

	char dir[16];
	snprintf(dir, sizeof(dir), "w%d", w);
	if (mkdir(dir) < 0 || chdir(dir) < 0) {
		printf("fuzz[%d]: cannot make %s\n", w, dir);
		return 1;
	}
	buf = sbrk(BUF_SIZE + 4096);
	if (buf == (char *)-1) {
		printf("fuzz[%d]: no memory for the buffers\n", w);
		return 1;
	}
	memset(buf + BUF_SIZE, 's', 4096);
	heap_string = buf + BUF_SIZE + 4096 - 16;
	mkdir("a");
	mkdir("a/b");
	make_garbage_file();

	for (call_no = 0; call_no < n; call_no++)
		one_call();

	call_no = n;
	say("cleaning up\n");
	for (int i = nfds - 1; i >= 0; i--)
		close(fds[i]);
	nfds = 0;
	while (wait(0) >= 0)
		;
	for (; depth > 0; depth--)
		chdir("..");
	remove_all(0);
	chdir("..");
	unlink(dir);
	if (surprises)
		printf("fuzz: worker %d: %d calls succeeded that should have failed\n", w,
		       surprises);
	return surprises ? 1 : 0;
}

/* ---------------------------------------------------------------- main */

static int parse_number(const char *s, uint64 *v)
{
	if (*s == '\0')
		return -1;
	*v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		*v = *v * 10 + (uint64)(*s - '0');
	}
	return 0;
}

static void usage(void)
{
	fprintf(2, "usage: fuzz SEED N [-v] [-p WORKERS] [-w WORKER]\n");
	exit(2);
}

int main(int argc, char *argv[])
{
	uint64 seed, n, p = 4, only = ~0UL;
	if (argc < 3 || parse_number(argv[1], &seed) < 0 || parse_number(argv[2], &n) < 0)
		usage();
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			verbose = 1;
		else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc &&
		         parse_number(argv[i + 1], &p) == 0 && p >= 1 && p <= 16)
			i++;
		else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc &&
		         parse_number(argv[i + 1], &only) == 0 && only < 16)
			i++;
		else
			usage();
	}

	/* With -w the worker's sbrk() calls are this process's own: no comparison then. */
	struct sysstats before, after;
	int have_stats = only == ~0UL && sysstats(&before) == 0;
	char top[24];
	snprintf(top, sizeof(top), "fuzz.%d", getpid());
	if (mkdir(top) < 0 || chdir(top) < 0) {
		fprintf(2, "fuzz: cannot make %s\n", top);
		return 1;
	}
	printf("fuzz: seed %lu, %lu calls per worker, in %s\n", (unsigned long)seed,
	       (unsigned long)n, top);

	int failed = 0;
	if (only != ~0UL) {
		failed = run_worker(seed, (int)only, (long)n);
	} else {
		for (int w = 0; w < (int)p; w++) {
			int pid = fork();
			if (pid == 0)
				exit(run_worker(seed, w, (long)n));
			if (pid < 0) {
				printf("fuzz: fork of worker %d failed\n", w);
				failed = 1;
			}
		}
		int status, pid;
		while ((pid = wait(&status)) >= 0) {
			if (status != 0) {
				printf("fuzz: a worker (pid %d) exited with status %d\n", pid,
				       status);
				failed = 1;
			}
		}
	}
	chdir("..");
	if (unlink(top) < 0) {
		printf("fuzz: %s is not empty after the clean-up\n", top);
		failed = 1;
	}

	/* Orphans of the workers go to init, which reaps them in its own time. */
	for (int tries = 0; have_stats && tries < 50; tries++) {
		if (sysstats(&after) == 0 && after.free_pages == before.free_pages &&
		    after.procs == before.procs && after.files == before.files &&
		    after.inodes == before.inodes)
			break;
		sleep(2);
	}
	if (have_stats && (after.free_pages != before.free_pages || after.procs != before.procs ||
	                   after.files != before.files || after.inodes != before.inodes)) {
		printf("fuzz: kernel counts differ after the run: free pages %lu -> %lu, "
		       "procs %u -> %u, files %u -> %u, inodes %u -> %u\n",
		       (unsigned long)before.free_pages, (unsigned long)after.free_pages,
		       before.procs, after.procs, before.files, after.files, before.inodes,
		       after.inodes);
		failed = 1;
	}
	printf("fuzz: seed %lu: %s\n", (unsigned long)seed, failed ? "FAILED" : "ok");
	return failed;
}
