/*
 * Compile-time limits of the kernel, shared by C and assembly.
 */
#pragma once

#define MAX_HARTS   8     /* harts the kernel will run on; others stay parked */
#define KSTACK_SIZE 16384 /* bytes of kernel stack per hart */
#define PAGE_SIZE   4096

/*
 * The lowest KSTACK_GUARD bytes of every kernel stack are a guard band that code never
 * uses; its top word holds STACK_CANARY. A trap taken with less than
 * TRAP_STACK_RESERVE bytes (plus a trap frame) left above the band counts as a stack
 * overflow and is handled on the hart's emergency stack instead (kernel/hal/trap_entry.S).
 */
#define KSTACK_GUARD         1024
#define TRAP_STACK_RESERVE   1024
#define STACK_CANARY         0x53746b43616e7279 /* "StkCanry" */
#define EMERGENCY_STACK_SIZE 4096

#define DEFAULT_HZ           100 /* timer ticks per second unless hz= says otherwise */

/*
 * Debug build (the default; `make DEBUG=0` turns it off): the lock-order checker runs
 * even when no test is selected.
 */
#ifndef CONFIG_DEBUG
#define CONFIG_DEBUG 1
#endif

#define SPIN_DEADLOCK_MS 2000 /* guest time spinning on one lock that counts as a deadlock */
#define HART_MAX_HELD    16   /* spinlocks one hart may hold at once */
#define LOCK_MAX_CLASSES 64   /* lock classes the lock-order checker tells apart */
#define LOCK_MAX_ORDERS  256  /* "class A before class B" facts it keeps sites for */

/*
 * Kernel threads (lab 4). Until lab 5's allocators exist, the thread table is a static
 * array and thread stacks come from a pool carved out of boot memory at boot
 * (kernel/sched/threadtable.h).
 */
#define THREAD_MAX          64    /* threads that can exist at once, the boot thread too */
#define THREAD_STACKS       32    /* stacks in the pool: threads alive at once, minus boot */
#define THREAD_STACK_SIZE   16384 /* bytes per thread stack, its guard band included */
#define SCHED_DEFAULT_SLICE 2     /* timer ticks a thread runs before preemption (slice=N) */
