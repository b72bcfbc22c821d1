/*
 * The object allocator: kmalloc-style memory of any size on top of the page allocator.
 *
 * Why not pages for everything. Most kernel objects are tens or hundreds of bytes; a
 * page each would waste nearly all of it. So small requests are rounded up to a size
 * class (16, 32, ..., 2048 bytes, powers of two: at most half of an object is waste,
 * and the class of a size is a shift away) and served from slabs: a slab is one block
 * of pages holding objects of a single class side by side. Objects carry no header of
 * their own; the slab's header (its first 64 bytes) has a bitmap of which objects are
 * free, so allocating is "find a set bit" and freeing is "set it back", and a second
 * free of the same object finds its bit already set. A slab whose objects would leave
 * more than an eighth of it unused (a 2048-byte class in one page holds only one
 * object next to the header) is made of 2 or 4 pages instead.
 *
 * Requests above the largest class get a whole block of 2^k pages from the page
 * allocator, the smallest that holds them.
 *
 * How kfree knows what it was given. kfree gets a bare pointer. The page allocator
 * knows which block contains any address, whether that block is allocated, and an
 * owner tag that kmalloc wrote when it took the block: "slab of class c" or "large
 * block". A slab's header is at the start of its block, so the object's index is
 * (p - first object) / class size, and a pointer that is not an object boundary, not
 * from kmalloc, or already free is caught there.
 *
 * Empty slabs go back to the page allocator, except the last partial slab of a class,
 * kept so that one kmalloc/kfree pair in a loop does not take and return a page each
 * time (kheap_trim() returns those too).
 */
#include "mm/kmalloc.h"

#include "mm/kmalloc_internal.h"

#define SLAB_MAX_OBJECTS     256
#define SLAB_MAP_WORDS       (SLAB_MAX_OBJECTS / 64)
#define SLAB_MAGIC           0x51ab0b1eu
#define KHEAP_MAX_SLAB_ORDER 3

/* Owner tags in the page allocator's per-page metadata: "kh" and what the block is. */
#define OWNER_KHEAP             0x6b680000u
#define OWNER_SLAB(class_index) (OWNER_KHEAP | (class_index))
#define OWNER_LARGE             (OWNER_KHEAP | 0xffffu)

/* The header at the start of every slab; its objects follow it. */
struct slab {
	uint32_t magic; /* SLAB_MAGIC while the block is a slab */
	uint16_t class_index;
	uint16_t nfree;
	struct kheap *heap;
	struct slab *next, *prev;          /* on the class's partial list */
	uint64_t free_map[SLAB_MAP_WORDS]; /* bit i set: object i is free */
};

#define SLAB_HEADER_BYTES ((sizeof(struct slab) + KHEAP_ALIGN - 1) & ~(size_t)(KHEAP_ALIGN - 1))
_Static_assert(SLAB_HEADER_BYTES == 64, "the slab header should stay 64 bytes");

/* ---- Size classes ---- */

static unsigned class_for(size_t size)
{
	unsigned c = 0;
	while ((size_t)KHEAP_MIN_CLASS << c < size)
		c++;
	return c;
}

/* Objects of `size` that fit in a slab of `order` next to the header. */
static unsigned objects_per_slab(unsigned size, unsigned order)
{
	size_t n = (((size_t)PAGE_SIZE << order) - SLAB_HEADER_BYTES) / size;
	return n > SLAB_MAX_OBJECTS ? SLAB_MAX_OBJECTS : (unsigned)n;
}

/* The smallest slab order that leaves at most an eighth of the slab unused. */
static void setup_class(struct kheap_class *c, unsigned size)
{
	*c = (struct kheap_class){.size = size};
	for (unsigned order = 0; order <= KHEAP_MAX_SLAB_ORDER; order++) {
		size_t bytes = (size_t)PAGE_SIZE << order;
		unsigned n = objects_per_slab(size, order);
		c->slab_order = order;
		c->per_slab = n;
		if (n > 0 && (bytes - (size_t)n * size) * 8 <= bytes)
			break;
	}
}

/* ---- Slabs ---- */

static uintptr_t first_object(const struct slab *s)
{
	return (uintptr_t)s + SLAB_HEADER_BYTES;
}

static void *object_at(const struct slab *s, const struct kheap_class *c, unsigned i)
{
	return (void *)(first_object(s) + (uintptr_t)i * c->size);
}

static bool object_is_free(const struct slab *s, unsigned i)
{
	return (s->free_map[i / 64] >> (i % 64)) & 1;
}

static void mark_object(struct slab *s, unsigned i, bool free)
{
	if (free)
		s->free_map[i / 64] |= (uint64_t)1 << (i % 64);
	else
		s->free_map[i / 64] &= ~((uint64_t)1 << (i % 64));
}

/* Caller must pass a slab with a free object. */
static unsigned first_free_object(const struct slab *s)
{
	for (unsigned w = 0; w < SLAB_MAP_WORDS; w++)
		if (s->free_map[w])
			return w * 64 + (unsigned)__builtin_ctzll(s->free_map[w]);
	panic("kmalloc: slab %p on a partial list has no free object", (void *)s);
}

static void link_partial(struct kheap_class *c, struct slab *s)
{
	s->prev = NULL;
	s->next = c->partial;
	if (c->partial)
		c->partial->prev = s;
	c->partial = s;
}

static void unlink_partial(struct kheap_class *c, struct slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		c->partial = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

/* Takes a block from the page source and makes it an empty slab of class ci. */
static struct slab *new_slab(struct kheap *h, unsigned ci)
{
	struct kheap_class *c = &h->classes[ci];
	struct slab *s = h->pages.alloc(h->pages.ctx, c->slab_order, OWNER_SLAB(ci));
	if (!s)
		return NULL;
	/* Sound: the page source just gave this block to us alone. */
	*s = (struct slab){.magic = SLAB_MAGIC,
	                   .class_index = (uint16_t)ci,
	                   .nfree = (uint16_t)c->per_slab,
	                   .heap = h};
	for (unsigned i = 0; i < c->per_slab; i++)
		mark_object(s, i, true);
	if (MM_DEBUG)
		mm_poison_fill(object_at(s, c, 0), (size_t)c->per_slab * c->size, KHEAP_POISON);
	link_partial(c, s);
	c->slabs++;
	return s;
}

/* Caller must pass an empty slab of class c, on the partial list. */
static void release_slab(struct kheap *h, struct kheap_class *c, struct slab *s)
{
	unlink_partial(c, s);
	s->magic = 0;
	c->slabs--;
	h->pages.free(h->pages.ctx, s, c->slab_order);
}

/* ---- Allocation ---- */

/* Panics if the object was written while free. Caller must pass a just-freed object. */
static void check_object_poison(const struct slab *s, const struct kheap_class *c, const void *obj,
                                void *caller)
{
	size_t damage = mm_poison_find_damage(obj, c->size, KHEAP_POISON);
	if (damage == c->size)
		return;
	panic("kmalloc: use after free: object %p (class %u, slab %p) was written while "
	      "free: offset 0x%zx holds 0x%02x, not the poison 0x%02x (found when handing "
	      "it to " MM_CALLER_FMT ")",
	      obj, c->size, (const void *)s, damage, ((const uint8_t *)obj)[damage], KHEAP_POISON,
	      caller);
}

static void *alloc_object(struct kheap *h, unsigned ci, void *caller)
{
	struct kheap_class *c = &h->classes[ci];
	struct slab *s = c->partial ? c->partial : new_slab(h, ci);
	if (!s)
		return NULL;
	unsigned i = first_free_object(s);
	mark_object(s, i, false);
	if (--s->nfree == 0)
		unlink_partial(c, s);
	c->in_use++;
	c->allocs++;
	void *obj = object_at(s, c, i);
	if (MM_DEBUG)
		check_object_poison(s, c, obj, caller);
	return obj;
}

static void *alloc_large(struct kheap *h, size_t size)
{
	unsigned order = buddy_order_for(size);
	if (order > BUDDY_MAX_ORDER)
		return NULL;
	void *block = h->pages.alloc(h->pages.ctx, order, OWNER_LARGE);
	if (!block)
		return NULL;
	h->large_blocks++;
	h->large_pages += (size_t)1 << order;
	h->large_allocs++;
	return block;
}

static void *heap_alloc(struct kheap *h, size_t size, void *caller)
{
	mm_serial_enter(&h->in_call, "kheap_alloc");
	void *p;
	if (size > KHEAP_MAX_CLASS)
		p = alloc_large(h, size);
	else
		p = alloc_object(h, class_for(size ? size : 1), caller);
	if (!p)
		h->failures++;
	mm_serial_exit(&h->in_call);
	return p;
}

void *kheap_alloc(struct kheap *h, size_t size)
{
	return heap_alloc(h, size, MM_CALLER());
}

/* ---- Freeing ---- */

/* Panics unless p lies in a block this heap took from its page source. */
static void locate_block(struct kheap *h, const void *p, const char *what, void *caller,
                         struct buddy_block *block)
{
	if (!h->pages.find(h->pages.ctx, p, block))
		panic("%s(%p): not memory from kmalloc: outside the pages of this heap's page "
		      "source (called from " MM_CALLER_FMT ")",
		      what, p, caller);
	if (!block->allocated)
		panic("%s(%p): not allocated: it lies in the free block %p of order %u: a "
		      "double kfree (its large block or empty slab already went back to the "
		      "page allocator), or a pointer kmalloc never returned (called "
		      "from " MM_CALLER_FMT ")",
		      what, p, (void *)block->start, block->order, caller);
	bool slab = block->owner >= OWNER_SLAB(0) && block->owner < OWNER_SLAB(KHEAP_NCLASSES);
	if (!slab && block->owner != OWNER_LARGE)
		panic("%s(%p): not memory from kmalloc: it lies in the block %p of order %u, "
		      "allocated from the page allocator directly (owner tag 0x%x) (called "
		      "from " MM_CALLER_FMT ")",
		      what, p, (void *)block->start, block->order, block->owner, caller);
}

/* Panics unless p is the start of an object in use in the slab of the block. */
static void locate_object(struct kheap *h, const void *p, const char *what, void *caller,
                          struct located *at)
{
	unsigned ci = at->block.owner - OWNER_SLAB(0);
	struct slab *s = (struct slab *)at->block.start;
	if (s->magic != SLAB_MAGIC || s->class_index != ci)
		panic("%s(%p): the header of slab %p is corrupt (magic 0x%x, class %u): an "
		      "overrun of the object before it? (called from " MM_CALLER_FMT ")",
		      what, p, (void *)s, s->magic, s->class_index, caller);
	if (s->heap != h)
		panic("%s(%p): the object belongs to heap %p, not %p (called from " MM_CALLER_FMT
		      ")",
		      what, p, (void *)s->heap, (void *)h, caller);
	struct kheap_class *c = &h->classes[ci];
	uintptr_t first = first_object(s), addr = (uintptr_t)p;
	if (addr < first || addr >= first + (uintptr_t)c->per_slab * c->size)
		panic("%s(%p): interior pointer: it points into slab %p (class %u) outside its "
		      "objects (called from " MM_CALLER_FMT ")",
		      what, p, (void *)s, c->size, caller);
	size_t offset = (addr - first) % c->size;
	if (offset != 0)
		panic("%s(%p): interior pointer: %zu bytes into the %u-byte object %p (called "
		      "from " MM_CALLER_FMT ")",
		      what, p, offset, c->size, (void *)(addr - offset), caller);
	unsigned i = (unsigned)((addr - first) / c->size);
	if (object_is_free(s, i))
		panic("%s(%p): double kfree: the object (class %u, slab %p) is already free "
		      "(called from " MM_CALLER_FMT ")",
		      what, p, c->size, (void *)s, caller);
	at->slab = s;
	at->class = c;
	at->index = i;
}

/*
 * Finds what p is: an object in use or a large block, or panics saying why not. Not
 * static, and struct located not here, only because a test helper asks it too
 * (kmalloc_internal.h).
 */
struct located kheap_locate(struct kheap *h, const void *p, const char *what, void *caller)
{
	struct located at = {0};
	locate_block(h, p, what, caller, &at.block);
	at.large = at.block.owner == OWNER_LARGE;
	if (!at.large)
		locate_object(h, p, what, caller, &at);
	else if (at.block.start != (uintptr_t)p)
		panic("%s(%p): interior pointer: it lies inside the large block %p of order %u "
		      "(called from " MM_CALLER_FMT ")",
		      what, p, (void *)at.block.start, at.block.order, caller);
	return at;
}

/* Caller must pass an object in use, as kheap_locate() found it. */
static void free_object(struct kheap *h, const struct located *at)
{
	struct slab *s = at->slab;
	struct kheap_class *c = at->class;
	if (MM_DEBUG)
		mm_poison_fill(object_at(s, c, at->index), c->size, KHEAP_POISON);
	mark_object(s, at->index, true);
	c->in_use--;
	c->frees++;
	if (++s->nfree == 1)
		link_partial(c, s);
	bool alone = c->partial == s && s->next == NULL;
	if (s->nfree == c->per_slab && !alone)
		release_slab(h, c, s);
}

/* Caller must pass the start of a large block, as kheap_locate() found it. */
static void free_large(struct kheap *h, const struct located *at)
{
	h->large_blocks--;
	h->large_pages -= (size_t)1 << at->block.order;
	h->large_frees++;
	h->pages.free(h->pages.ctx, (void *)at->block.start, at->block.order);
}

static void heap_free(struct kheap *h, void *p, void *caller)
{
	if (!p)
		return;
	mm_serial_enter(&h->in_call, "kheap_free");
	struct located at = kheap_locate(h, p, "kfree", caller);
	if (at.large)
		free_large(h, &at);
	else
		free_object(h, &at);
	mm_serial_exit(&h->in_call);
}

void kheap_free(struct kheap *h, void *p)
{
	heap_free(h, p, MM_CALLER());
}

/* ---- The rest ---- */

void kheap_init(struct kheap *h, const struct kheap_pages *pages)
{
	*h = (struct kheap){.pages = *pages};
	for (unsigned ci = 0; ci < KHEAP_NCLASSES; ci++)
		setup_class(&h->classes[ci], KHEAP_MIN_CLASS << ci);
}

void kheap_trim(struct kheap *h)
{
	mm_serial_enter(&h->in_call, "kheap_trim");
	for (unsigned ci = 0; ci < KHEAP_NCLASSES; ci++) {
		struct kheap_class *c = &h->classes[ci];
		struct slab *next;
		for (struct slab *s = c->partial; s; s = next) {
			next = s->next;
			if (s->nfree == c->per_slab)
				release_slab(h, c, s);
		}
	}
	mm_serial_exit(&h->in_call);
}

struct kheap_stats kheap_stats(const struct kheap *h)
{
	struct kheap_stats s = {
	        .large_blocks = h->large_blocks,
	        .large_pages = h->large_pages,
	        .large_allocs = h->large_allocs,
	        .large_frees = h->large_frees,
	        .failures = h->failures,
	};
	for (unsigned ci = 0; ci < KHEAP_NCLASSES; ci++) {
		const struct kheap_class *c = &h->classes[ci];
		s.classes[ci] = (struct kheap_class_stats){
		        .size = c->size,
		        .slab_order = c->slab_order,
		        .per_slab = c->per_slab,
		        .slabs = c->slabs,
		        .in_use = c->in_use,
		        .allocs = c->allocs,
		        .frees = c->frees,
		};
		s.slab_pages += c->slabs << c->slab_order;
	}
	return s;
}

/* ---- The kernel's heap ---- */

/*
 * One heap for the whole kernel, behind one lock; the lock is taken around each whole
 * call, so the heap's own serialization check never fires in correct use.
 */
static struct kheap *kernel_heap;
static mm_lock_t kernel_heap_lock = MM_LOCK_INIT("kmalloc");

void kmalloc_use_heap(struct kheap *h)
{
	kernel_heap = h;
}

static struct kheap *the_heap(const char *what, void *caller)
{
	if (!kernel_heap)
		panic("%s() called before kmalloc_use_heap(): the heap exists only once the page "
		      "allocator has taken over memory (called from " MM_CALLER_FMT ")",
		      what, caller);
	return kernel_heap;
}

void *kmalloc(size_t size)
{
	MM_ASSERT_MAY_ALLOCATE();
	struct kheap *h = the_heap("kmalloc", MM_CALLER());
	mm_lock(&kernel_heap_lock);
	void *p = heap_alloc(h, size, MM_CALLER());
	mm_unlock(&kernel_heap_lock);
	return p;
}

void kfree(void *p)
{
	if (!p)
		return;
	MM_ASSERT_MAY_ALLOCATE();
	struct kheap *h = the_heap("kfree", MM_CALLER());
	mm_lock(&kernel_heap_lock);
	heap_free(h, p, MM_CALLER());
	mm_unlock(&kernel_heap_lock);
}

void kmalloc_trim(void)
{
	struct kheap *h = the_heap("kmalloc_trim", MM_CALLER());
	mm_lock(&kernel_heap_lock);
	kheap_trim(h);
	mm_unlock(&kernel_heap_lock);
}

struct kheap_stats kmalloc_stats(void)
{
	struct kheap *h = the_heap("kmalloc_stats", MM_CALLER());
	mm_lock(&kernel_heap_lock);
	struct kheap_stats s = kheap_stats(h);
	mm_unlock(&kernel_heap_lock);
	return s;
}

void kmalloc_print_stats(void)
{
	/* From a snapshot, so that the lock is not held while printing. */
	struct kheap_stats s = kmalloc_stats();
	printf("kmalloc: class  slab pages  per slab  slabs  in use     allocs      frees\n");
	for (unsigned ci = 0; ci < KHEAP_NCLASSES; ci++) {
		const struct kheap_class_stats *c = &s.classes[ci];
		printf("kmalloc: %5u  %10u  %8u  %5zu  %6zu  %9lu  %9lu\n", c->size,
		       1u << c->slab_order, c->per_slab, c->slabs, c->in_use, c->allocs, c->frees);
	}
	printf("kmalloc: %zu slab pages; %zu large blocks in use (%zu pages), %lu allocs, "
	       "%lu frees; %lu failed requests\n",
	       s.slab_pages, s.large_blocks, s.large_pages, s.large_allocs, s.large_frees,
	       s.failures);
}
