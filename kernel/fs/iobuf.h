/*
 * Where the bytes of a read or write come from or go to: kernel memory, or (lab 7) a
 * user address space, through copyin()/copyout() (kernel/vm/addrspace.h). The file
 * layer moves bytes only through an iobuf, so the system calls can pass a user buffer
 * without the file system knowing what a process is:
 *
 *   struct iobuf io = iobuf_kernel(buf);             // a kernel buffer
 *   struct iobuf io = iobuf_user(p->as, user_addr);  // lab 7: read(fd, addr, n)
 *   long n = file_read(f, &io, len);
 *
 * iobuf_move() copies between a kernel address (a cached block, a pipe's ring) and the
 * caller's memory at an offset from its start; the file layer walks that offset up.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct addrspace;

struct iobuf {
	/*
	 * Copies n bytes between k and the caller's memory at offset `at`: into k when
	 * `into_k` (a write to a file), out of k otherwise. Returns 0, or -EFAULT for memory
	 * the caller may not use (nothing is promised about a partial copy then).
	 */
	int (*move)(const struct iobuf *io, size_t at, void *k, size_t n, bool into_k);
	void *kbuf;                 /* iobuf_kernel */
	const struct addrspace *as; /* iobuf_user */
	uintptr_t va;
};

static inline int iobuf_move(const struct iobuf *io, size_t at, void *k, size_t n, bool into_k)
{
	return io->move(io, at, k, n, into_k);
}

/* An iobuf over kernel memory starting at buf (as long as the caller says). */
struct iobuf iobuf_kernel(void *buf);

/* An iobuf over user address va of address space as (lab 7's system calls). */
struct iobuf iobuf_user(const struct addrspace *as, uintptr_t va);
