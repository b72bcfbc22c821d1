/*
 * The ELF loader (kernel/proc/exec.h). Order of work: read and check the file header,
 * read and check every program header (no segment may overlap another, wrap, leave the
 * user range or claim more file than it has), check that the entry point is in an
 * executable segment, and only then map and fill the segments and build the stack.
 */
#include "proc/exec.h"

#include <stdbool.h>

#include "abi/memlayout.h"
#include "abi/syscall.h"
#include "config.h"
#include "debug/lab.h"
#include "fs/fs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "proc/elf.h"
#include "vm/addrspace.h"

#define MAX_SEGMENTS 8 /* a program linked by user/user.ld has 3 or 4 */

/* The highest address a segment may reach: the stack and its guard page lie above. */
#define SEGMENTS_TOP (USER_TOP - EXEC_STACK_SIZE - PAGE_SIZE)

static uintptr_t page_down(uintptr_t x)
{
	return x & ~(uintptr_t)(PAGE_SIZE - 1);
}

static uintptr_t page_up(uintptr_t x)
{
	return page_down(x + PAGE_SIZE - 1);
}

/* Reads exactly n bytes at offset, or fails. */
static bool read_exact(const struct exec_source *src, uint64_t offset, void *dst, size_t n)
{
	return src->read(src->ctx, offset, dst, n) == (long)n;
}

static const char *check_header(const struct elf_header *h)
{
	if (h->magic != ELF_MAGIC)
		return "not an ELF file";
	if (h->class != ELF_CLASS_64 || h->data != ELF_DATA_LSB || h->ident_version != ELF_VERSION)
		return "not a 64-bit little-endian ELF file";
	if (h->machine != ELF_MACH_RISCV)
		return "not a RISC-V program";
	if (h->type != ELF_TYPE_EXEC)
		return "not an executable";
	if (h->phentsize != sizeof(struct elf_phdr) || h->phnum == 0 || h->phnum > MAX_SEGMENTS)
		return "bad program headers";
	return NULL;
}

/* Checks one loadable segment against the rules, and against those before it. */
static const char *check_segment(const struct elf_phdr *ph, const struct elf_phdr *loads,
                                 int nloads)
{
	if (ph->filesz > ph->memsz)
		return "a segment has more file bytes than memory";
	if (ph->memsz == 0 || ph->vaddr % PAGE_SIZE != 0 || ph->offset % PAGE_SIZE != 0)
		return "a segment is empty or not page-aligned";
	if (ph->vaddr < USER_BASE || ph->memsz > SEGMENTS_TOP - USER_BASE ||
	    ph->vaddr > SEGMENTS_TOP - ph->memsz)
		return "a segment lies outside user memory";
	if (ph->offset + ph->filesz < ph->offset)
		return "a segment's file range wraps";
	if ((ph->flags & PF_W) && (ph->flags & PF_X))
		return "a segment is both writable and executable";
	for (int i = 0; i < nloads; i++)
		if (page_down(ph->vaddr) < page_up(loads[i].vaddr + loads[i].memsz) &&
		    page_down(loads[i].vaddr) < page_up(ph->vaddr + ph->memsz))
			return "two segments overlap";
	return NULL;
}

/* Maps a checked segment and fills it: file bytes first, zeroes after (as_map zeroes). */
static int load_segment(struct addrspace *as, const struct exec_source *src,
                        const struct elf_phdr *ph)
{
	// LAB user: BEGIN
	uint64_t perm = ((ph->flags & PF_R) ? VM_READ : 0) | ((ph->flags & PF_W) ? VM_WRITE : 0) |
	                ((ph->flags & PF_X) ? VM_EXEC : 0);
	uintptr_t lo = page_down(ph->vaddr), hi = page_up(ph->vaddr + ph->memsz);
	if (perm == 0 || as_map(as, lo, hi - lo, perm) != 0)
		return -1;
	/* Through a bounce page: the source may be a file, read a block at a time. */
	char *buf = kmalloc(PAGE_SIZE);
	if (buf == NULL)
		return -1;
	int result = 0;
	for (uint64_t done = 0; done < ph->filesz && result == 0; done += PAGE_SIZE) {
		size_t n = ph->filesz - done < PAGE_SIZE ? ph->filesz - done : PAGE_SIZE;
		if (!read_exact(src, ph->offset + done, buf, n) ||
		    as_load(as, ph->vaddr + done, buf, n) != 0)
			result = -1;
	}
	kfree(buf);
	return result;
	// LAB user: STUB
	// /* Your code here: see docs/labs/7-user.md. */
	// (void)as;
	// (void)src;
	// (void)ph;
	// (void)read_exact;
	// lab_missing("loading a program's segments", "docs/labs/7-user.md");
	// LAB user: END
}

/*
 * The stack: EXEC_STACK_SIZE bytes ending at USER_TOP. From the top: the argument
 * strings, then (16-byte aligned) argv[0..argc-1] and a null pointer; sp = &argv[0].
 */
static int build_stack(struct exec_image *image, char *const args[], int argc)
{
	uintptr_t base = USER_TOP - EXEC_STACK_SIZE;
	if (as_map(image->as, base, EXEC_STACK_SIZE, VM_READ | VM_WRITE) != 0)
		return -1;
	uintptr_t sp = USER_TOP;
	uintptr_t ptrs[MAXARG + 1];
	for (int i = argc - 1; i >= 0; i--) {
		size_t len = strlen(args[i]) + 1;
		if (len > sp - base - (MAXARG + 2) * sizeof(uintptr_t))
			return -1; /* leave room for the pointers */
		sp -= len;
		if (as_load(image->as, sp, args[i], len) != 0)
			return -1;
		ptrs[i] = sp;
	}
	ptrs[argc] = 0;
	sp = (sp - (argc + 1) * sizeof(uintptr_t)) & ~(uintptr_t)15;
	if (sp < base || as_load(image->as, sp, ptrs, (argc + 1) * sizeof(uintptr_t)) != 0)
		return -1;
	image->sp = sp;
	image->argc = argc;
	image->argv = sp;
	return 0;
}

int exec_prepare(const struct exec_source *src, char *const args[], int argc,
                 struct exec_image *image, const char **why)
{
	struct elf_header h;
	struct elf_phdr loads[MAX_SEGMENTS];
	int nloads = 0;
	*why = NULL;
	if (argc < 0 || argc > MAXARG)
		*why = "too many arguments";
	else if (!read_exact(src, 0, &h, sizeof h))
		*why = "shorter than an ELF header";
	else
		*why = check_header(&h);
	for (int i = 0; *why == NULL && i < h.phnum; i++) {
		struct elf_phdr ph;
		if (!read_exact(src, h.phoff + (uint64_t)i * sizeof ph, &ph, sizeof ph))
			*why = "program headers past the end of the file";
		else if (ph.type == PT_LOAD && (*why = check_segment(&ph, loads, nloads)) == NULL)
			loads[nloads++] = ph;
	}
	if (*why == NULL && nloads == 0)
		*why = "no loadable segment";
	bool entry_ok = false;
	for (int i = 0; *why == NULL && i < nloads; i++)
		entry_ok |= (loads[i].flags & PF_X) && h.entry >= loads[i].vaddr &&
		            h.entry - loads[i].vaddr < loads[i].memsz;
	if (*why == NULL && !entry_ok)
		*why = "the entry point is not in an executable segment";
	if (*why)
		return -1;

	*image = (struct exec_image){.as = as_create(), .entry = h.entry};
	if (image->as == NULL) {
		*why = "out of memory";
		return -1;
	}
	uintptr_t end = USER_BASE;
	for (int i = 0; i < nloads && *why == NULL; i++) {
		if (load_segment(image->as, src, &loads[i]) != 0)
			*why = "a segment could not be loaded (truncated file, or out of memory)";
		if (page_up(loads[i].vaddr + loads[i].memsz) > end)
			end = page_up(loads[i].vaddr + loads[i].memsz);
	}
	if (*why == NULL && build_stack(image, args, argc) != 0)
		*why = "the arguments do not fit on the stack, or out of memory";
	if (*why) {
		as_destroy(image->as);
		image->as = NULL;
		return -1;
	}
	/* The heap starts after the last segment and stops at the stack's guard page. */
	image->as->heap_base = image->as->brk = end;
	image->as->heap_max = USER_TOP - EXEC_STACK_SIZE - PAGE_SIZE;
	return 0;
}

long exec_memory_read(void *ctx, uint64_t offset, void *dst, size_t n)
{
	const struct exec_memory *m = ctx;
	if (offset >= m->size)
		return 0;
	if (n > m->size - offset)
		n = m->size - offset;
	memcpy(dst, (const char *)m->bytes + offset, n);
	return (long)n;
}

/* A source reading the locked inode of the program. */
static long read_inode(void *ctx, uint64_t offset, void *dst, size_t n)
{
	if (offset > UINT32_MAX || n > UINT32_MAX)
		return -1;
	struct iobuf io = iobuf_kernel(dst);
	return inode_read(ctx, &io, 0, (uint32_t)offset, (uint32_t)n);
}

int exec_prepare_path(const char *path, struct inode *cwd, char *const args[], int argc,
                      struct exec_image *image, const char **why)
{
	struct inode *ip;
	*why = "no such file";
	if (namei(path, cwd, &ip) != 0)
		return -1;
	int r = -1;
	*why = "the file cannot be read";
	if (ilock(ip) == 0) {
		struct exec_source src = {ip, read_inode};
		*why = "not a regular file";
		if (ip->d.type == T_FILE)
			r = exec_prepare(&src, args, argc, image, why);
		iunlock(ip);
	}
	iput(ip);
	return r;
}
