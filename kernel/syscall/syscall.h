/*
 * System calls (lab 7): the dispatch from a program's ecall to the kernel function that
 * serves it, and the helpers that fetch its arguments. The list of calls, their numbers
 * and the calling convention are in kernel/abi/syscall.h, shared with user/.
 *
 * A handler is `long sys_NAME(void)`: it reads its arguments with the arg_* functions
 * (which check every pointer against the process's address space) and returns the
 * call's result, -1 on any error. It runs in the calling process's thread with
 * interrupts on, and may sleep.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct trapframe;

/*
 * Runs the system call the program asked for in tf (a7 = number, a0..a5 = arguments)
 * and puts its result in tf's a0. An unknown number is -1. Caller must be the process's
 * thread, with interrupts on, tf its program's frame with sepc past the ecall.
 */
void syscall(struct trapframe *tf);

/* Argument n (0..5) of the call being served, as the C convention passed it. */
long arg_long(int n);
int arg_int(int n);
uintptr_t arg_addr(int n);

/*
 * Copies the NUL-terminated string that argument n points at into buf (at most size
 * bytes, NUL included). Returns its length, or -1 if the pointer is bad or the string
 * does not end within size bytes.
 */
long arg_str(int n, char *buf, size_t size);

/* The handlers, one per call of kernel/abi/syscall.h. */
#define SYSCALL_HANDLER(name, number, ret, params) long sys_##name(void);
#include "abi/syscall.h"
SYSCALLS(SYSCALL_HANDLER)
#undef SYSCALL_HANDLER
