/*
 * malloc and free over memory from sbrk().
 *
 * The heap is cut into blocks, each starting with a 16-byte header that holds the
 * block's size (header included, a multiple of 16). Free blocks sit on one list sorted
 * by address, so free() finds a block's neighbours on the list and merges them with it
 * when they touch: two free blocks are never adjacent. malloc takes the first free block
 * that is large enough, lowest address first, and carves what it needs off its start.
 * The heap's unused top is therefore the last block on the list, and holes left by
 * free() below it are filled first. When no block fits, malloc asks sbrk() for at least
 * GROW_BYTES more and frees that as one block, which merges with a free block that
 * ended at the old break.
 *
 * While a block is in use its header's second word is IN_USE instead of a list link;
 * free() checks it, which catches a double free and most pointers malloc never returned.
 */
#include "user.h"

struct block {
	unsigned long size; /* bytes, this header included */
	union {
		struct block *next; /* free: the next free block, at a higher address */
		unsigned long tag;  /* in use: IN_USE */
	};
};

#define ALIGN      16
#define HEADER     sizeof(struct block)
#define MIN_BLOCK  (2 * ALIGN)      /* a header and 16 bytes */
#define IN_USE     0x6d616c6c6f63UL /* "malloc"; odd, so never a list link */
#define GROW_BYTES (16 * 4096)
#define MAX_MALLOC (1UL << 30) /* larger requests fail: sbrk takes an int */

_Static_assert(sizeof(struct block) == ALIGN, "the header must keep blocks aligned");

static struct block *free_list; /* lowest address first */

static char *end_of(struct block *b)
{
	return (char *)b + b->size;
}

static void die(const char *what, void *p)
{
	fprintf(2, "free: %s %p\n", what, p);
	exit(1);
}

/* Puts b on the free list, merged with the free blocks right before and after it. */
static void insert_free(struct block *b)
{
	struct block *prev = 0, *next = free_list;
	while (next && next < b) {
		prev = next;
		next = next->next;
	}
	if ((prev && end_of(prev) > (char *)b) || (next && end_of(b) > (char *)next))
		die("block overlaps a free block:", (char *)b + HEADER);

	if (next && end_of(b) == (char *)next) {
		b->size += next->size;
		b->next = next->next;
	} else {
		b->next = next;
	}
	if (prev && end_of(prev) == (char *)b) {
		prev->size += b->size;
		prev->next = b->next;
	} else if (prev) {
		prev->next = b;
	} else {
		free_list = b;
	}
}

void free(void *p)
{
	if (!p)
		return;
	struct block *b = (struct block *)((char *)p - HEADER);
	if ((unsigned long)p % ALIGN != 0 || b->tag != IN_USE || b->size < MIN_BLOCK ||
	    b->size % ALIGN != 0)
		die("not a block malloc returned, or freed twice:", p);
	insert_free(b);
}

/* Adds at least `need` bytes to the heap, as a free block; 0 if sbrk refuses. */
static int grow(unsigned long need)
{
	unsigned long bytes = need < GROW_BYTES ? GROW_BYTES : need;
	char *p = sbrk((int)bytes);
	if (p == (char *)-1)
		return 0;
	/* sbrk's old end need not be aligned if someone else moved it by odd amounts. */
	unsigned long skip = (ALIGN - (unsigned long)p % ALIGN) % ALIGN;
	struct block *b = (struct block *)(p + skip);
	b->size = (bytes - skip) / ALIGN * ALIGN;
	if (b->size < MIN_BLOCK)
		return 0;
	insert_free(b);
	return 1;
}

void *malloc(uint nbytes)
{
	if (nbytes > MAX_MALLOC)
		return 0;
	unsigned long need = (nbytes + HEADER + ALIGN - 1) / ALIGN * ALIGN;
	if (need < MIN_BLOCK)
		need = MIN_BLOCK;

	for (;;) {
		struct block *prev = 0;
		for (struct block *b = free_list; b; prev = b, b = b->next) {
			if (b->size < need)
				continue;
			struct block *rest = b->next;
			if (b->size - need >= MIN_BLOCK) {
				rest = (struct block *)((char *)b + need);
				rest->size = b->size - need;
				rest->next = b->next;
				b->size = need;
			}
			if (prev)
				prev->next = rest;
			else
				free_list = rest;
			b->tag = IN_USE;
			return (char *)b + HEADER;
		}
		if (!grow(need))
			return 0;
	}
}

long malloc_check(void)
{
	long bytes = 0;
	for (struct block *b = free_list; b; b = b->next) {
		if ((unsigned long)b % ALIGN != 0 || b->size < MIN_BLOCK || b->size % ALIGN != 0)
			return -1;
		if (b->next && end_of(b) >= (char *)b->next)
			return -1; /* out of order, overlapping, or touching but not merged */
		bytes += (long)b->size;
	}
	return bytes;
}
