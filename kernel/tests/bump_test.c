/*
 * Tests of lab 1, the bump allocator (kernel/mm/bump.c). They run right after
 * bump_init(), in the bootstrap phase, one hart.
 */
#include "debug/ktest.h"
#include "dev/platform.h"
#include "lib/format.h"
#include "lib/string.h"
#include "mm/bump.h"
#include "mm/memmap.h"

static bool overlaps(uintptr_t a, size_t alen, uintptr_t b, size_t blen)
{
	return a < b + blen && b < a + alen;
}

/* ktest_rng streams: each seeded draw of this file has its own. */
enum {
	STREAM_WITNESS = 0xb0,
	STREAM_EXHAUST,
	STREAM_OVERFLOW,
	STREAM_HUGE_ALIGN,
	STREAM_BAD_ALIGN,
	STREAM_ZERO_SIZE,
	STREAM_SEALED,
};

#define WITNESS_BLOCKS 10

/*
 * Ten blocks of seeded sizes and alignments, each where a bump allocator must put it:
 * the end of the previous block rounded up to the alignment. The grader recomputes the
 * offsets from the seed and the start printed here.
 */
KTEST_WITNESS(bump)
{
	struct ktest_rng r = ktest_rng(STREAM_WITNESS);
	struct bump_stats before = bump_stats();
	char offsets[WITNESS_BLOCKS * 8];
	size_t len = 0;
	uintptr_t end = before.next;
	for (int i = 0; i < WITNESS_BLOCKS; i++) {
		size_t size = ktest_range(&r, 1, 3000);
		size_t align = (size_t)1 << ktest_range(&r, 0, 12);
		uintptr_t want = (end + align - 1) & ~(uintptr_t)(align - 1);
		uintptr_t p = (uintptr_t)boot_alloc(size, align);
		KCHECK(p == want,
		       "boot_alloc(%zu, %zu) returned %p; a bump allocator puts the block at %p, "
		       "the end of the previous block (%p) rounded up to the alignment",
		       size, align, (void *)p, (void *)want, (void *)end);
		end = p + size;
		len += snprintf(offsets + len, sizeof offsets - len, "%s%lx", i ? "," : "",
		                p - before.next);
	}
	struct bump_stats after = bump_stats();
	ktest_info("seed=%lu start=0x%lx offsets=%s", ktest_seed(), before.next, offsets);
	ktest_info("calls=%zu padding=%zu used=%zu next=0x%lx", after.calls - before.calls,
	           after.padding - before.padding, after.used - before.used, after.next);
}

KTEST(bump, align)
{
	static const size_t aligns[] = {1, 2, 8, 16, 64, 256, 4096, 65536, 1 << 21};
	for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++) {
		/* An odd-sized request first, so the next one starts misaligned. */
		boot_alloc(3, 1);
		uintptr_t p = (uintptr_t)boot_alloc(40, aligns[i]);
		KCHECK(p % aligns[i] == 0, "boot_alloc(40, %zu) returned %p, not aligned",
		       aligns[i], (void *)p);
	}
}

KTEST(bump, zero)
{
	/*
	 * Memory never handed out is zero when QEMU starts, so dirty the bytes the next
	 * allocation will get first; otherwise a missing memset would go unnoticed.
	 * Writing there is sound: [next, end) belongs to the allocator and nobody holds it.
	 */
	struct bump_stats s = bump_stats();
	size_t n = 3 * 4096;
	KCHECK(s.left > n + 64, "only %zu bytes left", s.left);
	memset((void *)s.next, 0xa5, n + 64);
	uint8_t *p = boot_alloc(n, 64);
	for (size_t i = 0; i < n; i++)
		KCHECK(p[i] == 0, "byte %zu of a %zu-byte block is 0x%x, not zero", i, n, p[i]);
}

KTEST(bump, disjoint)
{
	/* Blocks of assorted sizes and alignments: none may overlap another or the kernel. */
	enum { N = 64 };
	uintptr_t addr[N];
	size_t len[N];
	uint32_t seed = 12345;
	struct bump_stats s = bump_stats();
	for (int i = 0; i < N; i++) {
		seed = seed * 1103515245 + 12345;
		len[i] = 1 + (seed >> 8) % 5000;
		size_t align = (size_t)1 << ((seed >> 20) % 13);
		addr[i] = (uintptr_t)boot_alloc(len[i], align);
		KCHECK(addr[i] >= s.start && addr[i] + len[i] <= s.end,
		       "block %p+%zu lies outside the free run %p-%p", (void *)addr[i], len[i],
		       (void *)s.start, (void *)s.end);
		KCHECK(!overlaps(addr[i], len[i], (uintptr_t)kernel_start,
		                 (uintptr_t)kernel_end - (uintptr_t)kernel_start),
		       "block %p+%zu overlaps the kernel image", (void *)addr[i], len[i]);
		KCHECK(!overlaps(addr[i], len[i], platform.dtb.base, platform.dtb.size),
		       "block %p+%zu overlaps the device tree", (void *)addr[i], len[i]);
		for (int j = 0; j < i; j++)
			KCHECK(!overlaps(addr[i], len[i], addr[j], len[j]),
			       "block %d (%p+%zu) overlaps block %d (%p+%zu)", i, (void *)addr[i],
			       len[i], j, (void *)addr[j], len[j]);
	}
}

KTEST(bump, stats)
{
	struct bump_stats before = bump_stats();
	KCHECK(before.used + before.left == before.end - before.start,
	       "used %zu + left %zu != size of the run %zu", before.used, before.left,
	       (size_t)(before.end - before.start));
	boot_alloc(1, 1);      /* leaves next odd */
	boot_alloc(100, 4096); /* needs padding up to the next page */
	struct bump_stats after = bump_stats();
	ktest_info("calls=%zu used=%zu left=%zu padding=%zu", after.calls, after.used, after.left,
	           after.padding);
	KCHECK(after.calls == before.calls + 2, "calls went from %zu to %zu after 2 calls",
	       before.calls, after.calls);
	KCHECK(after.used + after.left == after.end - after.start,
	       "used %zu + left %zu != size of the run", after.used, after.left);
	KCHECK(after.used >= before.used + 101, "used grew by only %zu for 101 bytes",
	       after.used - before.used);
	KCHECK(after.padding > before.padding, "aligning to a page added no padding");
	KCHECK(after.used - before.used == 101 + (after.padding - before.padding),
	       "used grew by %zu, expected 101 + %zu padding", after.used - before.used,
	       after.padding - before.padding);
	KCHECK(after.next % 4096 == 100, "next is %p, expected a page boundary + 100",
	       (void *)after.next);
}

KTEST_ALONE(bump, fill)
{
	/* Asking for exactly what is left must succeed and leave nothing (so it runs alone). */
	struct bump_stats s = bump_stats();
	uint8_t *p = boot_alloc(s.left, 1);
	KCHECK((uintptr_t)p == s.next, "got %p, expected %p", p, (void *)s.next);
	KCHECK(p[s.left - 1] == 0, "last byte not zero");
	KCHECK(bump_stats().left == 0, "%zu bytes still left", bump_stats().left);
}

KTEST_DEATH(bump, exhaust)
{
	/* More than is left by a seeded amount, at a seeded alignment. */
	struct ktest_rng r = ktest_rng(STREAM_EXHAUST);
	size_t extra = ktest_range(&r, 0, 4096);
	size_t align = (size_t)1 << ktest_range(&r, 0, 6);
	struct bump_stats s = bump_stats();
	ktest_info("left=%zu size=%zu align=%zu", s.left, s.left + 1 + extra, align);
	boot_alloc(s.left + 1 + extra, align);
}

KTEST_DEATH(bump, overflow)
{
	/* next + size wraps past zero: without a check the block would overlap the kernel. */
	struct ktest_rng r = ktest_rng(STREAM_OVERFLOW);
	boot_alloc(SIZE_MAX - ktest_range(&r, 0, 4000), 1);
}

KTEST_DEATH(bump, huge_align)
{
	/* Rounding up to 2^63 lands far past the end of RAM: out of memory, not a block. */
	struct ktest_rng r = ktest_rng(STREAM_HUGE_ALIGN);
	boot_alloc(ktest_range(&r, 1, 4096), (size_t)1 << 63);
}

KTEST_DEATH(bump, bad_align)
{
	/* A seeded alignment with at least two bits set. */
	struct ktest_rng r = ktest_rng(STREAM_BAD_ALIGN);
	size_t align = ktest_range(&r, 3, 4095);
	if ((align & (align - 1)) == 0)
		align++;
	boot_alloc(16, align);
}

KTEST_DEATH(bump, zero_size)
{
	struct ktest_rng r = ktest_rng(STREAM_ZERO_SIZE);
	boot_alloc(0, (size_t)1 << ktest_range(&r, 0, 12));
}

KTEST_DEATH(bump, sealed)
{
	struct ktest_rng r = ktest_rng(STREAM_SEALED);
	size_t size = ktest_range(&r, 1, 4096);
	size_t align = (size_t)1 << ktest_range(&r, 0, 12);
	boot_alloc(16, 8);
	bump_seal("kmalloc()");
	boot_alloc(size, align);
}
