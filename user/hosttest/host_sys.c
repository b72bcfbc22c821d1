/*
 * The system calls of user/user.h on a POSIX host, so that the library, the shell and
 * the simple programs of user/ run on the host under test_user.py, with ASan and UBSan.
 *
 * The user code is compiled for the host as it is, then every global name it defines
 * or uses is renamed with objcopy from `name` to `hu_name`, so that its printf, malloc,
 * write and main never meet the C library's. This file defines the hu_ names the user
 * code calls, on top of the C library, and the real main(), which calls hu_main().
 *
 * It cannot include user.h (its declarations clash with the C library's), so the few
 * numbers it needs from kernel/abi/ are repeated here; test_user.py checks them.
 *
 *   exec("/name")    runs $USER_HOST_BIN/name, the host build of program `name`
 *   sbrk             grows a static arena; USER_HOST_HEAP=bytes makes it smaller
 *   sleep, uptime    ticks of 10 ms
 *   mknod, sysstats  always fail
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* From kernel/abi/fcntl.h, stat.h and fs_format.h. */
#define SPROUT_O_ACCMODE 0x003
#define SPROUT_O_CREATE  0x200
#define SPROUT_O_TRUNC   0x400
#define SPROUT_T_DIR     1
#define SPROUT_T_FILE    2
#define SPROUT_T_DEVICE  3

struct sprout_stat {
	uint32_t dev;
	uint32_t ino;
	uint16_t type;
	uint16_t nlink;
	uint32_t pad;
	uint64_t size;
};
_Static_assert(sizeof(struct sprout_stat) == 24, "struct stat of kernel/abi/stat.h");

int hu_main(int argc, char **argv);

/* Counters the host tests read (as sbrk_calls, write_calls: the renaming adds hu_). */
int hu_sbrk_calls, hu_write_calls;

#define ARENA_BYTES (64 << 20)
static _Alignas(4096) char arena[ARENA_BYTES];
static long brk_offset;

char *hu_sbrk(int n)
{
	static long limit = -1;
	if (limit < 0) {
		const char *s = getenv("USER_HOST_HEAP");
		limit = s ? atol(s) : ARENA_BYTES;
		if (limit > ARENA_BYTES)
			limit = ARENA_BYTES;
	}
	hu_sbrk_calls++;
	if (brk_offset + n < 0 || brk_offset + n > limit)
		return (char *)-1;
	char *old = arena + brk_offset;
	brk_offset += n;
	return old;
}

int hu_write(int fd, const void *buf, int n)
{
	hu_write_calls++;
	return n < 0 ? -1 : (int)write(fd, buf, (size_t)n);
}

int hu_read(int fd, void *buf, int n)
{
	return n < 0 ? -1 : (int)read(fd, buf, (size_t)n);
}

int hu_open(const char *path, int flags)
{
	int host = flags & SPROUT_O_ACCMODE; /* 0, 1, 2 mean the same on POSIX */
	if (flags & SPROUT_O_CREATE)
		host |= O_CREAT;
	if (flags & SPROUT_O_TRUNC)
		host |= O_TRUNC;
	return open(path, host, 0666);
}

int hu_close(int fd)
{
	return close(fd);
}

int hu_fstat(int fd, struct sprout_stat *st)
{
	struct stat s;
	if (fstat(fd, &s) < 0)
		return -1;
	memset(st, 0, sizeof(*st));
	st->dev = (uint32_t)s.st_dev;
	st->ino = (uint32_t)s.st_ino;
	st->type = S_ISDIR(s.st_mode)   ? SPROUT_T_DIR
	           : S_ISCHR(s.st_mode) ? SPROUT_T_DEVICE
	                                : SPROUT_T_FILE;
	st->nlink = (uint16_t)s.st_nlink;
	st->size = (uint64_t)s.st_size;
	return 0;
}

int hu_dup(int fd)
{
	return dup(fd);
}

int hu_pipe(int *fds)
{
	return pipe(fds);
}

int hu_fork(void)
{
	return fork();
}

int hu_wait(int *status)
{
	int s;
	pid_t pid = wait(&s);
	if (pid > 0 && status)
		*status = WIFEXITED(s) ? (signed char)WEXITSTATUS(s) : -1;
	return pid;
}

void hu_exit(int status)
{
	exit(status);
}

int hu_exec(const char *path, char **argv)
{
	const char *bin = getenv("USER_HOST_BIN");
	char host[4096];
	if (path[0] == '/' && bin && strchr(path + 1, '/') == NULL) {
		snprintf(host, sizeof(host), "%s/%s", bin, path + 1);
		path = host;
	}
	execv(path, argv);
	return -1;
}

int hu_kill(int pid)
{
	return pid > 0 ? kill(pid, SIGKILL) : -1;
}

int hu_getpid(void)
{
	return getpid();
}

int hu_chdir(const char *path)
{
	return chdir(path);
}

int hu_mkdir(const char *path)
{
	return mkdir(path, 0777);
}

int hu_unlink(const char *path)
{
	struct stat s;
	if (stat(path, &s) == 0 && S_ISDIR(s.st_mode))
		return rmdir(path);
	return unlink(path);
}

int hu_link(const char *old, const char *new)
{
	return link(old, new);
}

int hu_mknod(const char *path, short major, short minor)
{
	(void)path, (void)major, (void)minor;
	return -1;
}

int hu_uptime(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int)(t.tv_sec * 100 + t.tv_nsec / 10000000);
}

int hu_sleep(int ticks)
{
	if (ticks > 0)
		usleep((useconds_t)ticks * 10000);
	return 0;
}

int hu_sysstats(void *stats)
{
	(void)stats;
	return -1;
}

int main(int argc, char **argv)
{
	return hu_main(argc, argv);
}
