/*
 * The system calls user programs make (lab 7), listed once. The kernel builds its
 * dispatch table from this list (kernel/syscall/), and user/ builds its stubs from it
 * (user/usys.S) and checks the declarations in user/user.h against it, so a number or a
 * signature cannot differ between the two sides.
 *
 * The convention, from U-mode:
 *
 *   a7        the call's number, from the list below: all 64 bits of it
 *   a0 .. a5  its arguments, as the C calling convention passes them: an int argument
 *             is sign-extended to 64 bits, and the kernel uses only its low 32 bits
 *   ecall     traps into the kernel, which returns to the instruction after it
 *   a0        the result; -1 means the call failed
 *
 * Every other register is as it was before the ecall. A bad argument (a number not in
 * the list, a pointer to memory the process may not read or write as the call needs, a
 * string without a NUL within its limit, a descriptor that is not open, a negative
 * size) makes the call return -1: it never kills the caller and never panics. A call
 * that fails leaves no descriptor, process or name behind; a failed read or write may
 * have moved part of its data.
 *
 * Any other trap from U-mode (a page fault, an illegal or privileged instruction, an
 * ebreak) ends the process as if killed: exit status -1. U-mode may read instret
 * (rdinstret), which bench uses.
 *
 * exec starts the new program at its ELF entry point with a0 = argc, a1 = argv (argc
 * string pointers, then a null pointer, on the new stack) and sp 16-byte aligned below
 * them. The stack is EXEC_STACK_SIZE bytes ending at USER_TOP (abi/memlayout.h), with an
 * unmapped guard page below it; registers not named here hold 0. The heap starts empty
 * at the first page boundary above the program's segments.
 */
#pragma once

/*
 * X(name, number, return type, (parameter types)) for each call. Numbers start at 1, so
 * a7 = 0, what a zeroed register holds, is never a call. SYS_LAST is the largest.
 */
#define SYSCALLS(X)                                     \
	X(fork, 1, int, (void))                         \
	X(exit, 2, int, (int))                          \
	X(wait, 3, int, (int *))                        \
	X(pipe, 4, int, (int *))                        \
	X(read, 5, int, (int, void *, int))             \
	X(write, 6, int, (int, const void *, int))      \
	X(close, 7, int, (int))                         \
	X(kill, 8, int, (int))                          \
	X(exec, 9, int, (const char *, char **))        \
	X(open, 10, int, (const char *, int))           \
	X(mknod, 11, int, (const char *, short, short)) \
	X(unlink, 12, int, (const char *))              \
	X(fstat, 13, int, (int, struct stat *))         \
	X(link, 14, int, (const char *, const char *))  \
	X(mkdir, 15, int, (const char *))               \
	X(chdir, 16, int, (const char *))               \
	X(dup, 17, int, (int))                          \
	X(getpid, 18, int, (void))                      \
	X(sbrk, 19, char *, (int))                      \
	X(sleep, 20, int, (int))                        \
	X(uptime, 21, int, (void))                      \
	X(sysstats, 22, int, (struct sysstats *))

#define SYS_LAST 22

/*
 * What each call does, where the classic interface leaves room:
 *
 *   fork()          the child's pid in the parent, 0 in the child; -1 when no process
 *                   slot or memory is left. The child shares the parent's open files
 *                   (and their offsets) and has a copy of its memory.
 *   exit(status)    never returns; the parent's wait() gets status. A process the
 *                   kernel kills (kill(), or a fault in user mode) exits with -1.
 *   wait(&status)   waits for a child to exit, reaps it and returns its pid, storing
 *                   its status unless the pointer is 0; -1 if there are no children,
 *                   or if the pointer is bad (the child then stays to be waited for).
 *                   Children of an exiting process go to init (pid 1).
 *   pipe(fds)       fds[0] reads, fds[1] writes. A read returns 0 once every write end
 *                   is closed; a write returns -1 once every read end is closed, also
 *                   when it was waiting for room.
 *   read, write     return the bytes moved, at most n; a negative n is -1.
 *   kill(pid)       marks pid to exit with status -1 the next time it leaves the
 *                   kernel, waking it from sleep(), wait() or a pipe; -1 if pid is not
 *                   a live process. There is no pid 0 or -1 broadcast.
 *   exec(path, argv)  -1 if path is not a regular file holding a valid ELF program
 *                   (user/README.md says what the loader checks), if argv has more
 *                   than MAXARG strings or they do not fit on the stack; the caller
 *                   then continues as it was.
 *   open(path, flags)  the flags of abi/fcntl.h; a directory opens only O_RDONLY.
 *                   Paths are at most MAXPATH bytes with the NUL; a longer one is -1.
 *   unlink(path)    -1 for "." and "..", and for a directory that is not empty.
 *   link(old, new)  -1 if old is a directory or new exists.
 *   dup(fd)         the lowest descriptor not open, as every call that opens one.
 *   sbrk(n)         moves the end of the heap by n bytes and returns the old end;
 *                   (char *)-1, changing nothing, if the end would go below where the
 *                   heap started or memory runs out.
 *   sleep(n)        waits n timer ticks (n <= 0: returns at once); -1 if killed while
 *                   waiting.
 *   uptime()        timer ticks since boot.
 *   sysstats(&s)    fills in struct sysstats below, for usertests' leak check.
 */

#define MAXARG          32         /* exec: most strings in argv */
#define MAXPATH         128        /* longest path, its NUL included */
#define EXEC_STACK_SIZE (4 * 4096) /* the stack exec maps below USER_TOP */

#ifndef __ASSEMBLER__

#include <stdint.h>

struct stat; /* abi/stat.h */

/*
 * Counts of kernel objects, to tell whether a run of programs gave back everything it
 * took. With no program running, the same state must give the same counts.
 */
struct sysstats {
	uint64_t free_pages; /* pages the page allocator can hand out, per-hart caches too */
	uint32_t procs;      /* process slots in use, zombies included */
	uint32_t files;      /* open-file objects in use (descriptors and pipe ends) */
	uint32_t inodes;     /* in-memory inodes with a reference (open, cwd, exec) */
	uint32_t pad;        /* written as 0 */
};
_Static_assert(sizeof(struct sysstats) == 24, "struct sysstats layout changed");

/* SYS_fork, SYS_exit, ...: the numbers as C constants. */
enum syscall_number {
#define SYSCALL_NUMBER(name, number, ret, params) SYS_##name = number,
	SYSCALLS(SYSCALL_NUMBER)
#undef SYSCALL_NUMBER
};

#define SYSCALL_RANGE(name, number, ret, params) \
	_Static_assert(number >= 1 && number <= SYS_LAST, #name "'s number is out of range");
SYSCALLS(SYSCALL_RANGE)
#undef SYSCALL_RANGE

#endif /* __ASSEMBLER__ */
