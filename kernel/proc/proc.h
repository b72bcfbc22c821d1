/*
 * Processes (lab 7): a program running in user mode in its own address space, carried
 * by one kernel thread. The thread runs the program until it traps; the trap (a system
 * call, a fault, an interrupt) is handled in that same thread on its kernel stack, whose
 * top holds the program's trap frame.
 *
 *   parent ── fork() ──> child (a copy of the address space, a0 = 0 in the child)
 *   child  ── exit(s) ─> zombie, until the parent's wait() reaps it (status s)
 *   an orphan's parent becomes init (pid 1); kill(pid) makes pid exit with status -1
 *   the next time it leaves the kernel, waking it from sleep, wait or a pipe.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "abi/syscall.h"
#include "hal/trapframe.h"

struct addrspace;
struct proc_files;
struct spinlock;
struct thread;

#define PROC_NAME_MAX 16

enum proc_state {
	PROC_ALIVE,  /* running its program, or in the kernel on its behalf */
	PROC_ZOMBIE, /* exited; its parent has not reaped it yet */
};

struct proc {
	int pid;
	char name[PROC_NAME_MAX]; /* the program's name, for reports */
	enum proc_state state;    /* guarded by proc_lock */
	struct proc *parent;      /* guarded by proc_lock; init for an orphan */
	int exit_status;
	volatile bool killed;     /* exit at the next return to user mode */
	struct thread *thread;    /* runs the program; joined by whoever reaps the zombie */
	struct addrspace *as;     /* replaced by exec, freed at reaping */
	struct proc *next;        /* the process list, guarded by proc_lock */
	struct proc_files *files; /* descriptors and working directory (the file layer) */
	struct trapframe start;   /* the program's first state, for its thread to take */
};

/* The process the calling thread belongs to, or NULL in a kernel thread. */
struct proc *proc_current(void);

/* The trap frame of p's program: at the top of its thread's kernel stack. */
struct trapframe *proc_frame(const struct proc *p);

/*
 * Boot, production phase, paging on, once: installs the trap hooks for user mode and
 * lets user mode read the counters (rdinstret) on every hart.
 */
void proc_init(void);

/*
 * Starts a process that runs the program `as` from `entry` with stack pointer sp, argc
 * in a0 and argv in a1 (its address space is then the process's). Returns it, or NULL
 * if memory or threads ran out (as is then the caller's again). It is a child of the
 * caller's process; from a kernel thread, it belongs to that thread, which must reap it
 * with proc_join().
 */
struct proc *proc_spawn(const char *name, struct addrspace *as, uintptr_t entry, uintptr_t sp,
                        long argc, uintptr_t argv);

/* Makes p init: every orphan's parent. */
void proc_set_init(struct proc *p);

/*
 * Starts the program at path (on the file system) as init, with argv = {its name}, as a
 * child of this kernel thread, which reaps it with proc_join(). NULL, with a line saying
 * why, if it cannot be started.
 */
struct proc *proc_start_init(const char *path);

/* Waits until p, spawned by this kernel thread, exits; reaps it and returns its status. */
int proc_join(struct proc *p);

struct exec_image;

/*
 * The second half of exec(): the calling process gives up its address space for the
 * image's and will return to user mode at its entry, with sp, a1 = argv and every other
 * register 0 (a0 is the system call's result: the caller returns argc). Cannot fail.
 */
void proc_exec(struct exec_image *image, const char *name);

/* fork(): a copy of the calling process; the child's pid, or -1. */
int proc_fork(void);

/* exit(): ends the calling process with `status`. Never returns. */
__attribute__((noreturn)) void proc_exit(int status);

/*
 * wait(): reaps an exited child of the calling process: its pid, with its status in
 * *status; -1 if it has no children, or if it is killed while waiting.
 */
int proc_wait(int *status);

/* kill(): marks process pid to exit; wakes it if it sleeps. 0, or -1 if no such process. */
int proc_kill(int pid);

/* Sleeps on chan, releasing lk, unless the process is killed; false if it was killed.
   For system calls that wait (sleep, pipes): kill() wakes them. */
bool proc_sleep_on(void *chan, struct spinlock *lk);

/* Counts of processes in use, zombies included (sysstats). */
uint32_t proc_count(void);

/* Prints the process table: pid, state, name, wait channel (Ctrl-P on the console). */
void proc_dump(void);
