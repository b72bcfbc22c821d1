/*
 * The boot allocator (lab 1): hands out memory by moving a pointer forward through
 * one free run of RAM. It needs no lock and no free list, so it works before anything
 * else does; it never frees. Once the page allocator takes over (lab 5), it is sealed
 * and every further call panics.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bump_stats {
	uintptr_t start; /* the run it serves: [start, end) */
	uintptr_t end;
	uintptr_t next; /* first byte not yet handed out */
	size_t used;    /* next - start, padding included */
	size_t left;    /* end - next */
	size_t padding; /* bytes skipped to satisfy alignment */
	size_t calls;   /* successful boot_alloc() calls */
};

/* Caller must pass a page-aligned run of RAM that nothing else uses, start < end. */
void bump_init(uintptr_t start, uintptr_t end);

/*
 * Returns `size` zeroed bytes aligned to `align` (a power of two), or panics: on a bad
 * alignment, a zero size, arithmetic overflow, exhaustion (naming the request and what
 * is left), and after bump_seal(). Bootstrap phase only; never in a trap handler.
 */
void *boot_alloc(size_t size, size_t align);

/* From now on boot_alloc() panics, naming `successor` as what to use instead. */
void bump_seal(const char *successor);

/* True once bump_seal() has run. Only lab 5's tests ask, to check that the handover sealed it. */
bool bump_sealed(void);

struct bump_stats bump_stats(void);
void bump_print_stats(void);
