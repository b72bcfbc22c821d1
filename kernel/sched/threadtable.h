/*
 * Where threads and their stacks come from: the seam between the scheduler and memory
 * management.
 *
 * In the bootstrap phase there is no allocator that can free, so both come from fixed
 * pools set up once at boot: THREAD_MAX struct threads in a static array, and
 * THREAD_STACKS stacks of THREAD_STACK_SIZE bytes carved out of boot memory with
 * boot_alloc(). A joined thread gives both back.
 *
 * The rest of the kernel knows only the four functions below, never that the table is
 * an array. From the production phase on (lab 5), what the static table and pool
 * cannot give comes from kmalloc() and the page allocator, so the table grows; thread.c
 * and sched.c do not know the difference. Either way: slots come back zeroed, stacks
 * are THREAD_STACK_SIZE bytes aligned to 16, and the functions may be called from any
 * thread on any hart, never from a trap handler.
 */
#pragma once

#include <stdint.h>

struct thread;

/* Boot hart, bootstrap phase, once: carves the stack pool out of boot memory. */
void thread_table_init(void);

/* A zeroed struct thread, or NULL when all THREAD_MAX are in use. */
struct thread *thread_table_alloc_slot(void);

/* Gives back a slot from thread_table_alloc_slot(); its thread must be gone for good. */
void thread_table_free_slot(struct thread *t);

/*
 * The lowest address of a free stack of THREAD_STACK_SIZE bytes, or 0 when the pool is
 * empty. The stack's contents are whatever its last user left.
 */
uintptr_t stack_pool_get(void);

/* Gives back a stack from stack_pool_get(); caller must make sure no hart runs on it. */
void stack_pool_put(uintptr_t stack_lo);

struct thread_table_stats {
	int slots_used, slots_total;   /* used: static and kmalloc'ed; total: static only */
	int stacks_free, stacks_total; /* of the pool */
	int heap_slots, heap_stacks;   /* in use beyond the static ones (production phase) */
};
struct thread_table_stats thread_table_stats(void);
