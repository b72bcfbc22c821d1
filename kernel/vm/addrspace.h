/*
 * User address spaces (lab 6, used by lab 7's processes). Each is a page table whose low
 * 4 GiB are the kernel's (shared with the kernel map, never user-accessible) and whose
 * range [USER_BASE, USER_TOP) holds the program's own pages, mapped with PTE_U:
 *
 *   0            .. 4 GiB     the kernel map's entries: devices, RAM (no U bit)
 *   USER_BASE    .. brk       program segments, then the heap (sbrk)
 *   ...          .. USER_TOP  the stack, placed by exec (lab 7)
 *
 * The kernel reads and writes user memory only through copyin(), copyout() and
 * copyinstr(), which check every page of the range against the address space's table
 * and fail, never fault, on a bad pointer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/memlayout.h"
#include "vm/pagetable.h"

#define USER_MAX_PAGES 16384 /* 64 MiB of user memory per address space */

/* Permissions a user mapping may ask for (PTE_U is always added). */
#define VM_READ  PTE_R
#define VM_WRITE PTE_W
#define VM_EXEC  PTE_X

struct addrspace {
	pagetable_t pt;
	uintptr_t heap_base; /* where the heap starts: the end of the loaded segments */
	uintptr_t brk;       /* the heap's end; sbrk moves it */
	uintptr_t heap_max;  /* the heap may not grow past this (the stack's guard page) */
	size_t pages;        /* user pages mapped */
};

/* An empty address space, or NULL when memory is used up. Production phase, paging on. */
struct addrspace *as_create(void);

/*
 * Maps fresh zeroed pages over [va, va + size) with perm (VM_* bits). Returns 0, or -1
 * (nothing mapped) if the range is not page-aligned inside [USER_BASE, USER_TOP), overlaps
 * a mapping, exceeds USER_MAX_PAGES or memory runs out.
 */
int as_map(struct addrspace *as, uintptr_t va, size_t size, uint64_t perm);

/* Unmaps and frees [va, va + size), every page of which must be mapped; flushes TLBs. */
void as_unmap(struct addrspace *as, uintptr_t va, size_t size);

/* Copies every user page of src, with its permissions, into the empty dst (for fork).
   Returns 0, or -1 if memory runs out (dst then holds part of it: destroy it). */
int as_copy(struct addrspace *dst, const struct addrspace *src);

/*
 * Moves the heap's end by delta bytes (sbrk): growing maps zeroed read+write pages,
 * shrinking frees the pages wholly above the new end. Returns the old end, or 0 (and
 * changes nothing) if the new end would fall below heap_base, pass heap_max, exceed
 * USER_MAX_PAGES, or memory runs out.
 */
uintptr_t as_sbrk(struct addrspace *as, long delta);

/* Frees every user page, every table of the user part, and as. Caller must make sure no
   hart runs on it. */
void as_destroy(struct addrspace *as);

/*
 * Makes this hart translate through as (NULL: the kernel map), if it does not already.
 * Caller must have interrupts off, as a thread switch would carry the choice to another
 * hart. The scheduler calls it around every switch to a thread (kernel/sched/sched.c).
 */
void as_activate(struct addrspace *as);

/*
 * Writes n bytes at user address va of as whatever the pages' write permission: for
 * the loader, which fills a new program's read-only text. Returns 0, or -1 if a page is
 * not mapped for user mode.
 */
int as_load(const struct addrspace *as, uintptr_t va, const void *src, size_t n);

/*
 * Copy n bytes between kernel memory and user address va of as. Return 0, or -1 without
 * faulting if any page of the range is unmapped, lies outside [USER_BASE, USER_TOP),
 * lacks PTE_U or lacks the permission (read for copyin, write for copyout). A failed
 * copyout may have written a prefix.
 */
int copyin(const struct addrspace *as, void *dst, uintptr_t va, size_t n);

/* True if copyout() of n bytes at va would succeed now (a check that writes nothing). */
bool as_writable(const struct addrspace *as, uintptr_t va, size_t n);
int copyout(const struct addrspace *as, uintptr_t va, const void *src, size_t n);

/*
 * Copies the NUL-terminated string at user address va into dst, at most max bytes with
 * the NUL. Returns its length, or -1 on a bad page or if no NUL comes within max bytes.
 */
long copyinstr(const struct addrspace *as, char *dst, uintptr_t va, size_t max);
