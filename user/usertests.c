/*
 * usertests [NAME...]: a hostile test suite for the kernel's system calls, processes and
 * exec. Runs every test (or those named), each in a child of its own, in a scratch
 * directory (ut.<pid>) that it removes at the end, and prints one line per test:
 *
 *   usertests: <name>: ok
 *   usertests: <name>: FAIL <why>
 *
 * then the leak check, which compares the kernel's counts (sysstats: free pages,
 * processes, open files, in-memory inodes) before the first test and after the last,
 * and a summary line "usertests: N ok, M failed". Exit status 0 if all passed.
 *
 * The tests live in ut_proc.c (processes), ut_mem.c (memory and pointers), ut_fs.c
 * (files and descriptors), ut_pipe.c and ut_exec.c; ut.h has what they share.
 */
#include "ut.h"

#include "abi/fs_format.h"

const char *ut_name = "usertests";

struct test {
	const char *name;
	void (*fn)(void);
};

static const struct test tests[] = {
        {"exit_status", test_exit_status},
        {"wait_none", test_wait_none},
        {"wait_bad_pointer", test_wait_bad_pointer},
        {"orphans", test_orphans},
        {"getpid", test_getpid},
        {"sleep_uptime", test_sleep_uptime},
        {"bad_call_numbers", test_bad_call_numbers},
        {"registers_kept", test_registers_kept},
        {"counters", test_counters},
        {"sbrk_basic", test_sbrk_basic},
        {"sbrk_limits", test_sbrk_limits},
        {"sbrk_shrink_unmaps", test_sbrk_shrink_unmaps},
        {"kernel_memory", test_kernel_memory},
        {"text_read_only", test_text_read_only},
        {"data_not_executable", test_data_not_executable},
        {"privileged_instructions", test_privileged_instructions},
        {"stack_overflow", test_stack_overflow},
        {"bad_pointers_in", test_bad_pointers_in},
        {"bad_pointers_out", test_bad_pointers_out},
        {"bad_strings", test_bad_strings},
        {"file_basics", test_file_basics},
        {"bad_descriptors", test_bad_descriptors},
        {"negative_sizes", test_negative_sizes},
        {"dup_offsets", test_dup_offsets},
        {"links", test_links},
        {"dir_rules", test_dir_rules},
        {"deep_dirs", test_deep_dirs},
        {"big_file", test_big_file},
        {"concurrent_files", test_concurrent_files},
        {"console", test_console},
        {"open_limit", test_open_limit},
        {"pipe_data", test_pipe_data},
        {"pipe_reader_wakes", test_pipe_reader_wakes},
        {"pipe_writer_wakes", test_pipe_writer_wakes},
        {"pipe_no_reader", test_pipe_no_reader},
        {"pipe_limit", test_pipe_limit},
        {"exec_args", test_exec_args},
        {"exec_arg_limits", test_exec_arg_limits},
        {"exec_tiny_elf", test_exec_tiny_elf},
        {"exec_bad_elf", test_exec_bad_elf},
        {"exec_truncated", test_exec_truncated},
        {"kill_sleeping", test_kill_sleeping},
        {"kill_blocked", test_kill_blocked},
        {"kill_running", test_kill_running},
        {"kill_bad_pids", test_kill_bad_pids},
        {"fork_exhaust", test_fork_exhaust},
        {"sbrk_exhaust", test_sbrk_exhaust},
        {"fork_out_of_memory", test_fork_out_of_memory},
};

#define NTESTS ((int)(sizeof(tests) / sizeof(tests[0])))

/* ---------------------------------------------------------------- shared helpers */

static void fail_line(const char *file, int line, const char *cond, const char *fmt, va_list ap)
        __attribute__((noreturn));
static void fail_line(const char *file, int line, const char *cond, const char *fmt, va_list ap)
{
	printf("usertests: %s: FAIL ", ut_name);
	if (cond)
		printf("%s%s", cond, fmt[0] ? ": " : "");
	vfprintf(1, fmt, ap);
	printf(" (%s:%d)\n", file, line);
	exit(1);
}

void ut_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail_line(file, line, 0, fmt, ap);
}

void ut_fail_check(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail_line(file, line, cond, fmt, ap);
}

/*
 * Children that wait() returned while the caller waited for another: their statuses
 * stay here until asked for, so waiting for several children in any order loses none.
 */
static struct {
	int pid, status;
} reaped[64];
static int nreaped;

int ut_wait_for(int pid)
{
	for (int i = 0; i < nreaped; i++) {
		if (reaped[i].pid == pid) {
			int status = reaped[i].status;
			reaped[i] = reaped[--nreaped];
			return status;
		}
	}
	int status, got;
	while ((got = wait(&status)) >= 0) {
		if (got == pid)
			return status;
		if (nreaped < (int)(sizeof reaped / sizeof reaped[0]))
			reaped[nreaped++] = (typeof(reaped[0])){got, status};
	}
	FAIL("wait lost child %d", pid);
}

int ut_in_child(void (*fn)(void))
{
	int pid = fork();
	CHECK(pid >= 0, "fork failed");
	if (pid == 0) {
		fn();
		exit(0);
	}
	return ut_wait_for(pid);
}

int ut_killed(int pid)
{
	return ut_wait_for(pid) == -1;
}

void ut_write_file(const char *path, const void *data, int n)
{
	int fd = open(path, O_CREATE | O_TRUNC | O_WRONLY);
	CHECK(fd >= 0, "cannot create %s", path);
	CHECK(write(fd, data, n) == n, "cannot write %d bytes to %s", n, path);
	close(fd);
}

int ut_lowest_free_fd(void)
{
	int fd = dup(0);
	CHECK(fd >= 0, "dup(0) failed");
	close(fd);
	return fd;
}

long ut_ecall(long number, long a0, long a1, long a2, long a3, long a4, long a5)
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

int ut_bad_addresses(char **ptrs, const char **what, int max)
{
	char *brk = sbrk(0);
	uint64 above_heap = ((uint64)brk + 4095) / 4096 * 4096 + (16 << 20);
	struct {
		uint64 address;
		const char *what;
	} list[] = {
	        {0, "null"},
	        {4095, "the first page"},
	        {0x10000000UL, "the UART"},
	        {0x80000000UL, "the firmware"},
	        {0x80200000UL, "kernel text"},
	        {0x87fff000UL, "the end of RAM"},
	        {USER_BASE - 8, "just below USER_BASE"},
	        {above_heap, "unmapped, above the heap"},
	        {USER_TOP, "USER_TOP"},
	        {USER_TOP + 0x1000, "above USER_TOP"},
	        {1UL << 39, "not a canonical Sv39 address"},
	        {0xffffffc000000000UL, "the upper half"},
	        {~0UL - 7, "the last bytes of the address space"},
	};
	int n = 0;
	for (uint i = 0; i < sizeof(list) / sizeof(list[0]) && n < max; i++, n++) {
		ptrs[n] = (char *)list[i].address;
		what[n] = list[i].what;
	}
	return n;
}

/* ---------------------------------------------------------------- the runner */

/* Removes everything in the current directory, recursively (a failed test's leftovers). */
static void remove_all(int level)
{
	int fd = open(".", O_RDONLY);
	if (fd < 0)
		return;
	struct fs_dirent de;
	while (read(fd, &de, sizeof(de)) == sizeof(de)) {
		char name[FS_NAME_LEN + 1];
		memmove(name, de.name, FS_NAME_LEN);
		name[FS_NAME_LEN] = '\0';
		if (de.inum == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		struct stat st;
		if (level < 60 && stat(name, &st) == 0 && st.type == T_DIR && chdir(name) == 0) {
			remove_all(level + 1);
			chdir("..");
		}
		unlink(name);
	}
	close(fd);
}

static int same_counts(const struct sysstats *a, const struct sysstats *b)
{
	return a->free_pages == b->free_pages && a->procs == b->procs && a->files == b->files &&
	       a->inodes == b->inodes;
}

/* The leak check: the counts come back to what they were, once init has reaped every
   orphan the tests left (it does so in its own time: wait a little for that). */
static int check_leaks(const struct sysstats *before)
{
	struct sysstats after;
	for (int tries = 0; tries < 100; tries++) {
		if (sysstats(&after) < 0)
			break;
		if (same_counts(before, &after)) {
			printf("usertests: leaks: ok\n");
			return 1;
		}
		sleep(2);
	}
	if (sysstats(&after) < 0) {
		printf("usertests: leaks: FAIL sysstats() failed at the end\n");
		return 0;
	}
	printf("usertests: leaks: FAIL free pages %ld -> %ld, processes %d -> %d, "
	       "open files %d -> %d, inodes %d -> %d\n",
	       (long)before->free_pages, (long)after.free_pages, (int)before->procs,
	       (int)after.procs, (int)before->files, (int)after.files, (int)before->inodes,
	       (int)after.inodes);
	return 0;
}

static int run(const struct test *t)
{
	int pid = fork();
	if (pid < 0) {
		printf("usertests: %s: FAIL cannot fork to run it\n", t->name);
		return 0;
	}
	if (pid == 0) {
		ut_name = t->name;
		t->fn();
		exit(0);
	}
	int status = -2, got;
	while ((got = wait(&status)) >= 0 && got != pid)
		;
	if (got != pid) {
		printf("usertests: %s: FAIL lost track of its process\n", t->name);
		return 0;
	}
	if (status == 0) {
		printf("usertests: %s: ok\n", t->name);
		return 1;
	}
	if (status != 1) /* 1: the test printed its FAIL line */
		printf("usertests: %s: FAIL its process exited with status %d%s\n", t->name, status,
		       status == -1 ? " (killed by the kernel)" : "");
	return 0;
}

int main(int argc, char *argv[])
{
	for (int i = 1; i < argc; i++) {
		int known = 0;
		for (int t = 0; t < NTESTS; t++)
			known |= strcmp(argv[i], tests[t].name) == 0;
		if (!known) {
			fprintf(2, "usertests: no test named %s; the tests are:\n", argv[i]);
			for (int t = 0; t < NTESTS; t++)
				fprintf(2, "  %s\n", tests[t].name);
			return 2;
		}
	}

	char dir[24];
	snprintf(dir, sizeof(dir), "ut.%d", getpid());
	if (mkdir(dir) < 0 || chdir(dir) < 0) {
		printf("usertests: FAIL cannot make the scratch directory %s\n", dir);
		return 1;
	}
	struct sysstats before;
	int have_stats = sysstats(&before) == 0;

	int ok = 0, failed = 0;
	for (int t = 0; t < NTESTS; t++) {
		int selected = argc == 1;
		for (int i = 1; i < argc; i++)
			selected |= strcmp(argv[i], tests[t].name) == 0;
		if (selected) {
			if (run(&tests[t]))
				ok++;
			else
				failed++;
		}
	}

	remove_all(0);
	if (!have_stats) {
		printf("usertests: leaks: FAIL sysstats() failed: no counts to compare\n");
		failed++;
	} else if (check_leaks(&before)) {
		ok++;
	} else {
		failed++;
	}
	chdir("..");
	if (unlink(dir) < 0)
		printf("usertests: cannot remove %s\n", dir);
	printf("usertests: %d ok, %d failed\n", ok, failed);
	return failed ? 1 : 0;
}
