/*
 * Loading a program (lab 7): an ELF executable read from some source (a file, or memory
 * for tests) becomes a fresh address space with its segments, a stack with the
 * arguments on it, and an entry point. Every header field the loader uses is checked
 * first; a bad program is refused with a reason, never trusted.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct addrspace;

/* Where the loader reads the program from: read(ctx, offset, dst, n) returns the bytes
   read (fewer at the end of the source) or -1. */
struct exec_source {
	void *ctx;
	long (*read)(void *ctx, uint64_t offset, void *dst, size_t n);
};

/* A program ready to run: its address space, entry point and initial stack. */
struct exec_image {
	struct addrspace *as;
	uintptr_t entry;
	uintptr_t sp; /* 16-byte aligned, below the arguments */
	long argc;
	uintptr_t argv; /* argc string pointers, then a null pointer */
};

/*
 * Builds the image of the program src holds, with the argc strings of args (kernel
 * memory) as its arguments. Returns 0, or -1 with *why saying what is wrong with the
 * program (nothing is left allocated then). Any thread; may sleep.
 */
int exec_prepare(const struct exec_source *src, char *const args[], int argc,
                 struct exec_image *image, const char **why);

struct inode;

/* exec_prepare() of the regular file at path (relative to cwd, the root if NULL). */
int exec_prepare_path(const char *path, struct inode *cwd, char *const args[], int argc,
                      struct exec_image *image, const char **why);

/* A source reading from memory: for programs built into the kernel's tests. */
struct exec_memory {
	const void *bytes;
	size_t size;
};
long exec_memory_read(void *ctx, uint64_t offset, void *dst, size_t n);
