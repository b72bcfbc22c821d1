/*
 * usertests: what the test files share. Each test is a function run in a child of the
 * runner (usertests.c): it returns to pass, or calls FAIL (or a CHECK fails), which
 * prints "usertests: <test>: FAIL <why> (<file>:<line>)" and exits with status 1. A
 * test killed by the kernel exits with -1, which the runner reports.
 *
 * Tests run in a scratch directory of their own and remove what they make.
 */
#pragma once

#include "abi/memlayout.h"
#include "user.h"

extern const char *ut_name; /* the test running in this process */

void ut_fail(const char *file, int line, const char *fmt, ...)
        __attribute__((noreturn, format(printf, 3, 4)));
void ut_fail_check(const char *file, int line, const char *cond, const char *fmt, ...)
        __attribute__((noreturn, format(printf, 4, 5)));

#define FAIL(...) ut_fail(__FILE__, __LINE__, __VA_ARGS__)

/* CHECK(cond) or CHECK(cond, "format", ...): fails with cond's text and the message. */
#define CHECK(cond, ...)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			__VA_OPT__(ut_fail_check(__FILE__, __LINE__, #cond, __VA_ARGS__);) \
			ut_fail_check(__FILE__, __LINE__, #cond, "%s", "");                \
		}                                                                          \
	} while (0)

/* Waits for the child pid (reaping any other child on the way); returns its status. */
int ut_wait_for(int pid);

/* Runs fn in a child; returns the child's exit status. */
int ut_in_child(void (*fn)(void));

/* True if the child pid was killed by the kernel (it exits with -1). */
int ut_killed(int pid);

/* Writes n bytes of data to a new file (created or emptied); fails the test if it cannot. */
void ut_write_file(const char *path, const void *data, int n);

/* The lowest descriptor that is not open: to see that a failed call left none behind. */
int ut_lowest_free_fd(void);

/* A raw ecall with any number and any register values. */
long ut_ecall(long number, long a0, long a1, long a2, long a3, long a4, long a5);

/*
 * Addresses no call may read from or write to: the kernel, devices, above USER_TOP,
 * unmapped user memory. Fills ptrs (at most max), returns how many; *what names each.
 */
int ut_bad_addresses(char **ptrs, const char **what, int max);

/* The tests, one file per area. */
void test_exit_status(void);
void test_wait_none(void);
void test_wait_bad_pointer(void);
void test_orphans(void);
void test_getpid(void);
void test_fork_exhaust(void);
void test_kill_sleeping(void);
void test_kill_blocked(void);
void test_kill_running(void);
void test_kill_bad_pids(void);
void test_sleep_uptime(void);
void test_bad_call_numbers(void);
void test_registers_kept(void);

void test_sbrk_basic(void);
void test_sbrk_limits(void);
void test_sbrk_exhaust(void);
void test_sbrk_shrink_unmaps(void);
void test_fork_out_of_memory(void);
void test_kernel_memory(void);
void test_text_read_only(void);
void test_data_not_executable(void);
void test_privileged_instructions(void);
void test_stack_overflow(void);
void test_counters(void);
void test_bad_pointers_in(void);
void test_bad_pointers_out(void);
void test_bad_strings(void);

void test_file_basics(void);
void test_bad_descriptors(void);
void test_negative_sizes(void);
void test_open_limit(void);
void test_dup_offsets(void);
void test_links(void);
void test_dir_rules(void);
void test_deep_dirs(void);
void test_big_file(void);
void test_concurrent_files(void);
void test_console(void);

void test_pipe_data(void);
void test_pipe_reader_wakes(void);
void test_pipe_writer_wakes(void);
void test_pipe_no_reader(void);
void test_pipe_limit(void);

void test_exec_args(void);
void test_exec_arg_limits(void);
void test_exec_tiny_elf(void);
void test_exec_bad_elf(void);
void test_exec_truncated(void);
