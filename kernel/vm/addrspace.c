/*
 * User address spaces (kernel/vm/addrspace.h). The kernel's part of each table is the
 * kernel map's own level-1 tables, linked in at creation: a change to a kernel mapping
 * (a guard page, say) shows in every address space at once, and destroying one must
 * unlink them before freeing its tables.
 */
#include "vm/addrspace.h"

#include "config.h"
#include "debug/panic.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/pages.h"
#include "vm/kvm.h"

/* Root entries [0, KERNEL_ROOT_ENTRIES) are the kernel's: the first 4 GiB. */
#define KERNEL_ROOT_ENTRIES (USER_BASE / SV39_LEVEL_SPAN(SV39_LEVELS - 1))

_Static_assert(USER_BASE % SV39_LEVEL_SPAN(SV39_LEVELS - 1) == 0,
               "the user part starts at a root entry of its own");

static bool in_user_range(uintptr_t va, size_t size)
{
	return va >= USER_BASE && va < USER_TOP && size <= USER_TOP - va;
}

static uintptr_t page_down_va(uintptr_t x)
{
	return x & ~(uintptr_t)(PAGE_SIZE - 1);
}

static bool page_aligned(uintptr_t x)
{
	return x % PAGE_SIZE == 0;
}

struct addrspace *as_create(void)
{
	pagetable_t kernel = kvm_root();
	if (kernel == NULL)
		panic("as_create: paging is not on yet (called from %pS)",
		      __builtin_return_address(0));
	struct addrspace *as = kmalloc(sizeof *as);
	if (as == NULL)
		return NULL;
	*as = (struct addrspace){
	        .pt = pt_create(), .heap_base = USER_BASE, .brk = USER_BASE, .heap_max = USER_TOP};
	if (as->pt == NULL) {
		kfree(as);
		return NULL;
	}
	for (unsigned i = 0; i < KERNEL_ROOT_ENTRIES; i++)
		as->pt[i] = kernel[i];
	return as;
}

int as_map(struct addrspace *as, uintptr_t va, size_t size, uint64_t perm)
{
	if (size == 0 || !page_aligned(va) || !page_aligned(size) || !in_user_range(va, size) ||
	    (perm & ~(uint64_t)(VM_READ | VM_WRITE | VM_EXEC)) != 0 || perm == 0 ||
	    as->pages + size / PAGE_SIZE > USER_MAX_PAGES)
		return -1;
	for (size_t done = 0; done < size; done += PAGE_SIZE) {
		void *page = page_alloc(0);
		int r = page ? pt_map(as->pt, va + done, (uintptr_t)page, PAGE_SIZE, perm | PTE_U)
		             : PT_NO_MEMORY;
		if (r == PT_OK) {
			memset(page, 0, PAGE_SIZE);
			as->pages++;
			continue;
		}
		if (page)
			page_free(page, 0);
		if (done)
			as_unmap(as, va, done);
		return -1;
	}
	return 0;
}

void as_unmap(struct addrspace *as, uintptr_t va, size_t size)
{
	if (size == 0)
		return;
	if (!in_user_range(va, size))
		panic("as_unmap: 0x%lx+0x%lx is not user memory (called from %pS)", va, size,
		      __builtin_return_address(0));
	pt_unmap(as->pt, va, size, true);
	as->pages -= size / PAGE_SIZE;
	kvm_flush(va, size);
}

struct copy_state {
	struct addrspace *dst;
	int error;
};

static void copy_leaf(uintptr_t va, pte_t *pte, void *ctx)
{
	struct copy_state *c = ctx;
	if (c->error)
		return;
	void *page = page_alloc(0);
	if (page == NULL) {
		c->error = -1;
		return;
	}
	memcpy(page, (const void *)pte_address(*pte), PAGE_SIZE);
	if (pt_map(c->dst->pt, va, (uintptr_t)page, PAGE_SIZE, *pte & PTE_PERM_BITS) != PT_OK) {
		page_free(page, 0);
		c->error = -1;
		return;
	}
	c->dst->pages++;
}

int as_copy(struct addrspace *dst, const struct addrspace *src)
{
	struct copy_state c = {dst, 0};
	pt_for_each_leaf(src->pt, USER_BASE, USER_TOP, copy_leaf, &c);
	dst->heap_base = src->heap_base;
	dst->brk = src->brk;
	dst->heap_max = src->heap_max;
	return c.error;
}

static uintptr_t page_up(uintptr_t x)
{
	return (x + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);
}

uintptr_t as_sbrk(struct addrspace *as, long delta)
{
	uintptr_t old = as->brk;
	if (delta < 0) {
		uintptr_t shrink = (uintptr_t)-delta;
		if (shrink > old - as->heap_base)
			return 0;
		uintptr_t new_end = old - shrink;
		as_unmap(as, page_up(new_end), page_up(old) - page_up(new_end));
		as->brk = new_end;
		return old;
	}
	uintptr_t grow = (uintptr_t)delta;
	if (grow > as->heap_max - old)
		return 0;
	uintptr_t new_end = old + grow;
	if (page_up(new_end) > page_up(old) &&
	    as_map(as, page_up(old), page_up(new_end) - page_up(old), VM_READ | VM_WRITE) != 0)
		return 0;
	as->brk = new_end;
	return old;
}

static void free_leaf(uintptr_t va, pte_t *pte, void *ctx)
{
	(void)va;
	(void)ctx;
	page_free((void *)pte_address(*pte), 0);
	*pte = 0;
}

void as_destroy(struct addrspace *as)
{
	pt_for_each_leaf(as->pt, USER_BASE, USER_TOP, free_leaf, NULL);
	/* The kernel's tables are not this address space's to free. */
	for (unsigned i = 0; i < KERNEL_ROOT_ENTRIES; i++)
		as->pt[i] = 0;
	pt_destroy(as->pt);
	kfree(as);
}

void as_activate(struct addrspace *as)
{
	/* Before paging is on there is nothing to switch to (the kernel map may be half
	   built: a hart must not load it early); and a switch to the table in use already
	   would only throw the TLB away. */
	pagetable_t root = as ? as->pt : kvm_enabled() ? kvm_root() : NULL;
	if (root && (uintptr_t)root != sv39_current_root())
		sv39_switch_to((uintptr_t)root);
}

/*
 * The kernel address of user address va if its page is mapped for user mode with all
 * of `need`, else 0. The page's physical address is its kernel address (direct map).
 */
static uintptr_t user_to_kernel(const struct addrspace *as, uintptr_t va, uint64_t need)
{
	if (!in_user_range(va, 1))
		return 0;
	pte_t *pte = pt_walk(as->pt, va, false);
	if (pte == NULL || !pte_is_leaf(*pte) || (*pte & (PTE_U | need)) != (PTE_U | need))
		return 0;
	return pte_address(*pte) + va % PAGE_SIZE;
}

/* Copies n bytes between user va and kernel buffer buf, a page at a time; `need` is the
   permission each page must have besides PTE_U. */
static int copy_pages(const struct addrspace *as, uintptr_t va, void *buf, size_t n, bool out,
                      uint64_t need)
{
	if (n > 0 && !in_user_range(va, n))
		return -1;
	char *k = buf;
	while (n > 0) {
		uintptr_t kva = user_to_kernel(as, va, need);
		if (kva == 0)
			return -1;
		size_t chunk = PAGE_SIZE - va % PAGE_SIZE;
		if (chunk > n)
			chunk = n;
		if (out)
			memcpy((void *)kva, k, chunk);
		else
			memcpy(k, (const void *)kva, chunk);
		va += chunk;
		k += chunk;
		n -= chunk;
	}
	return 0;
}

bool as_writable(const struct addrspace *as, uintptr_t va, size_t n)
{
	if (n > 0 && !in_user_range(va, n))
		return false;
	for (uintptr_t page = page_down_va(va); page < va + n; page += PAGE_SIZE)
		if (user_to_kernel(as, page, PTE_W) == 0)
			return false;
	return true;
}

int copyin(const struct addrspace *as, void *dst, uintptr_t va, size_t n)
{
	return copy_pages(as, va, dst, n, false, PTE_R);
}

int copyout(const struct addrspace *as, uintptr_t va, const void *src, size_t n)
{
	return copy_pages(as, va, (void *)src, n, true, PTE_W);
}

int as_load(const struct addrspace *as, uintptr_t va, const void *src, size_t n)
{
	return copy_pages(as, va, (void *)src, n, true, 0);
}

long copyinstr(const struct addrspace *as, char *dst, uintptr_t va, size_t max)
{
	size_t i = 0;
	while (i < max) {
		/* One translation per page, not per byte. */
		const char *p = (const char *)user_to_kernel(as, va + i, PTE_R);
		if (p == NULL)
			return -1;
		size_t chunk = PAGE_SIZE - (va + i) % PAGE_SIZE;
		for (size_t j = 0; j < chunk && i < max; j++, i++) {
			dst[i] = p[j];
			if (p[j] == '\0')
				return (long)i;
		}
	}
	return -1;
}
