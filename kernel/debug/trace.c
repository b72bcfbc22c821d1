/*
 * The event trace (kernel/debug/trace.h): the per-hart rings, the hooks that fill them,
 * and the dump that prints them at the end of a run with `trace=1`.
 *
 * The dump, read by grade/timeline.py, is a block of console lines:
 *
 *   TRACE begin version=1 clock=time timebase=10000000 now=<clock> ring=4096 record=16
 *   TRACE ring <hart> <first> <count>      the records with sequence numbers first.. of
 *   TRACE d <base64>                       one hart, oldest first, 6 records a line, as
 *   ...                                    they lie in memory (little-endian struct
 *   TRACE ring-end <hart> <fnv>            trace_record), then the FNV-1a hash of them
 *   TRACE thread <id> <name>               names of the threads the rings mention
 *   TRACE str <hex address> <text>         strings the records point at (lock names,
 *   ...                                    why a thread stopped, test names)
 *   TRACE end
 *
 * A record whose lap bit does not match the lap of its sequence number was not finished
 * (or belongs to the previous lap); the reader leaves it out.
 */
#include "debug/trace.h"

#include "dev/bootargs.h"
#include "dev/console.h"
#include "dev/platform.h"
#include "hal/atomic.h"
#include "hal/clock.h"
#include "hal/cpu.h"
#include "hal/trapframe.h"
#include "hart/hart.h"
#include "lib/string.h"

#define TRACE_NAME_MAX 24

/* The kernel image, from kernel/kernel.ld: strings the dump may read lie inside it. */
extern const char kernel_start[], kernel_end[];

#if CONFIG_TRACE

_Static_assert((TRACE_RING_RECORDS & (TRACE_RING_RECORDS - 1)) == 0,
               "TRACE_RING_RECORDS must be a power of two");
_Static_assert(sizeof(struct trace_record) == 16, "the dump's reader expects 16-byte records");

/* Everything the trace keeps for one hart. Only that hart writes it, with interrupts off. */
struct trace_hart {
	volatile uint64_t claimed; /* slots claimed so far: the next record's sequence number */
	uint32_t running;          /* the thread running here since the last switch, or 0 */
	uint32_t previous;         /* the thread that last gave this hart back */
	uint32_t previous_why;     /* why it did (a string's address) */
	uint32_t wait_lock;        /* the lock this hart waits for, from trace_lock_wait() */
	uint64_t wait_since;
	struct {
		uint32_t lock;
		uint64_t since;
	} held[TRACE_HELD_MAX]; /* locks taken after a wait, not yet released */
	struct {
		int tid;
		char name[TRACE_NAME_MAX];
	} names[TRACE_NAMES]; /* by tid % TRACE_NAMES: the latest thread of each slot */
};

static struct trace_hart trace_harts[MAX_HARTS];
/* Apart from the rest, so that a slot's address is shifts and adds (the size is a power of two). */
static struct trace_record trace_rings[MAX_HARTS][TRACE_RING_RECORDS];
uint8_t trace_contended_holds[MAX_HARTS];

static uint32_t addr32(const void *p)
{
	return (uint32_t)(uintptr_t)p;
}

static uint32_t saturate32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* This hart's id. Caller must have interrupts off: the hart must not change under it. */
static uint32_t mine(void)
{
	return this_hart()->id;
}

#define TIME_MASK ((1UL << 40) - 1)

static struct trace_record *slot(uint32_t id, uint64_t seq)
{
	return &trace_rings[id][seq % TRACE_RING_RECORDS];
}

/*
 * Writes one record into this hart's ring. Caller: hart `id`, interrupts off. Always
 * inlined: a hook is then one call and one frame, which is most of what a record costs
 * (make bench: trace.record).
 */
static inline __attribute__((always_inline)) void put(uint32_t id, enum trace_kind kind, unsigned x,
                                                      uint32_t a, uint32_t b)
{
	uint64_t seq = atomic_fetch_add_relaxed(&trace_harts[id].claimed, 1);
	struct trace_record *r = slot(id, seq);
	uint64_t lap = (seq / TRACE_RING_RECORDS) & 1;
	r->a = a;
	r->b = b;
	/* The head last: a slot with the right lap bit has its arguments. */
	__asm__ volatile("" ::: "memory");
	r->head = clock_now() << 24 | (uint64_t)(x & 0xffff) << 8 | lap << 7 | kind;
}

static enum trace_kind kind_of(const struct trace_record *r)
{
	return (enum trace_kind)(r->head & 0x7f);
}

/* Clock ticks from the record's time to `now` (the 40 bits it keeps are enough). */
static uint64_t ticks_since(const struct trace_record *r, uint64_t now)
{
	return ((now & TIME_MASK) - (r->head >> 24)) & TIME_MASK;
}

/*
 * If this hart's last record is thread tid's switch-out, tid has got the hart straight
 * back: the switch-out becomes a round trip counted in a TRACE_AGAIN record (the one just
 * before it, if that counts tid's round trips already, else the switch-out itself).
 * Returns true if it did. Caller: hart `id`, interrupts off, the only writer of its ring:
 * taking a record back is safe.
 */
static bool straight_back(uint32_t id, uint32_t tid)
{
	struct trace_hart *th = &trace_harts[id];
	uint64_t n = th->claimed;
	if (n == 0)
		return false;
	struct trace_record *last = slot(id, n - 1);
	if (kind_of(last) != TRACE_STOP || last->a != tid)
		return false;
	uint64_t now = clock_now();
	if (n >= 2) {
		struct trace_record *count = slot(id, n - 2);
		if (kind_of(count) == TRACE_AGAIN && count->a == tid &&
		    (count->head >> 8 & 0xffff) < 0xffff) {
			count->b = saturate32(ticks_since(count, now));
			count->head += 1 << 8;
			th->claimed = n - 1;
			return true;
		}
	}
	last->b = saturate32(ticks_since(last, now));
	last->head = (last->head & ~0xffff7fUL) | 1 << 8 | TRACE_AGAIN;
	return true;
}

void trace_record(enum trace_kind kind, unsigned x, uint32_t a, uint32_t b)
{
	irq_state_t irq = cpu_irq_save();
	put(mine(), kind, x, a, b);
	cpu_irq_restore(irq);
}

void trace_switch_in(int tid, const char *name)
{
	uint32_t id = mine();
	struct trace_hart *th = &trace_harts[id];
	th->running = (uint32_t)tid;
	if (th->previous == (uint32_t)tid && straight_back(id, (uint32_t)tid))
		return;
	unsigned slot = (unsigned)tid % TRACE_NAMES;
	if (th->names[slot].tid != tid) {
		strlcpy(th->names[slot].name, name, TRACE_NAME_MAX);
		th->names[slot].tid = tid;
	}
	put(id, TRACE_RUN, th->previous, (uint32_t)tid, th->previous_why);
}

void trace_switch_out(int tid, const char *why)
{
	uint32_t id = mine();
	struct trace_hart *th = &trace_harts[id];
	th->running = 0;
	th->previous = (uint32_t)tid;
	th->previous_why = addr32(why);
	put(id, TRACE_STOP, 0, (uint32_t)tid, addr32(why));
}

void trace_sleep(int tid, const void *chan)
{
	put(mine(), TRACE_SLEEP, 0, (uint32_t)tid, addr32(chan));
}

void trace_wakeup(int tid, const void *chan)
{
	uint32_t id = mine();
	struct trace_hart *th = &trace_harts[id];
	/* The running thread queueing itself (a yield, a preemption) wakes nobody. */
	if ((uint32_t)tid != th->running)
		put(id, TRACE_WAKE, th->running, (uint32_t)tid, addr32(chan));
}

/* The cause in 16 bits: the code, and bit 15 for an interrupt. */
static unsigned cause16(const struct trapframe *tf)
{
	return (unsigned)(trap_cause_code(tf) & 0x7fff) | (trap_is_interrupt(tf) ? 0x8000u : 0);
}

void trace_trap_enter(const struct trapframe *tf)
{
	put(mine(), TRACE_TRAP_IN, cause16(tf), (uint32_t)tf->sepc, (uint32_t)tf->stval);
}

void trace_trap_exit(const struct trapframe *tf)
{
	put(mine(), TRACE_TRAP_OUT, cause16(tf), (uint32_t)tf->sepc, 0);
}

void trace_syscall(unsigned nr)
{
	irq_state_t irq = cpu_irq_save();
	uint32_t id = mine();
	struct trace_hart *th = &trace_harts[id];
	put(id, TRACE_SYSCALL, nr, th->running, 0);
	cpu_irq_restore(irq);
}

void trace_test(const char *suite, const char *name, enum trace_test_event event)
{
	irq_state_t irq = cpu_irq_save();
	put(mine(), TRACE_TEST, event, addr32(suite), addr32(name));
	cpu_irq_restore(irq);
}

void trace_note(const char *text)
{
	irq_state_t irq = cpu_irq_save();
	put(mine(), TRACE_NOTE, 0, addr32(text), 0);
	cpu_irq_restore(irq);
}

void trace_lock_wait(const void *lk, const char *name)
{
	uint32_t id = mine();
	struct trace_hart *th = &trace_harts[id];
	th->wait_lock = addr32(lk);
	th->wait_since = clock_now();
	put(id, TRACE_LOCK_WAIT, 0, addr32(lk), addr32(name));
}

void trace_lock_acquired_contended(const void *lk, uint64_t spins)
{
	uint32_t id = mine();
	struct trace_hart *th = &trace_harts[id];
	uint64_t now = clock_now();
	uint64_t waited = th->wait_lock == addr32(lk) ? now - th->wait_since : 0;
	th->wait_lock = 0;
	uint8_t n = trace_contended_holds[id];
	if (n < TRACE_HELD_MAX) {
		th->held[n].lock = addr32(lk);
		th->held[n].since = now;
		trace_contended_holds[id] = n + 1;
	}
	put(id, TRACE_LOCK_ACQ, spins > 0xffff ? 0xffff : (unsigned)spins, addr32(lk),
	    saturate32(waited));
}

void trace_lock_releasing_contended(const void *lk)
{
	uint32_t id = mine();
	struct trace_hart *th = &trace_harts[id];
	uint8_t n = trace_contended_holds[id];
	for (uint8_t i = n; i-- > 0;) {
		if (th->held[i].lock != addr32(lk))
			continue;
		uint64_t held = clock_now() - th->held[i].since;
		for (uint8_t j = i; j + 1 < n; j++)
			th->held[j] = th->held[j + 1];
		trace_contended_holds[id] = n - 1;
		put(id, TRACE_LOCK_REL, 0, addr32(lk), saturate32(held));
		return;
	}
}

/* ---- The dump ---- */

/* Addresses of the strings already printed (open addressing; 0 is empty). */
#define STRING_SLOTS 1024
static uint32_t strings_seen[STRING_SLOTS];

static bool string_first_time(uint32_t addr)
{
	for (uint32_t i = 0, h = (addr * 2654435761u) % STRING_SLOTS; i < STRING_SLOTS;
	     i++, h = (h + 1) % STRING_SLOTS) {
		if (strings_seen[h] == addr)
			return false;
		if (strings_seen[h] == 0) {
			strings_seen[h] = addr;
			return true;
		}
	}
	return false; /* the table is full: print no more */
}

/* `TRACE str` for the string at addr, once, if it lies in the kernel image. */
static void dump_string(uint32_t addr)
{
	const char *s = (const char *)(uintptr_t)addr;
	if (s < kernel_start || s >= kernel_end || !string_first_time(addr))
		return;
	char text[49];
	size_t n = 0;
	for (; n < sizeof text - 1 && s + n < kernel_end && s[n]; n++)
		text[n] = s[n] >= 0x20 && s[n] < 0x7f ? s[n] : '?';
	text[n] = '\0';
	printf("TRACE str %x %s\n", addr, text);
}

static void dump_strings_of(const struct trace_record *r)
{
	switch (r->head & 0x7f) {
	case TRACE_RUN:
	case TRACE_STOP:
	case TRACE_LOCK_WAIT:
		dump_string(r->b);
		break;
	case TRACE_TEST:
		dump_string(r->a);
		dump_string(r->b);
		break;
	case TRACE_NOTE:
		dump_string(r->a);
		break;
	default:
		break;
	}
}

static const char base64_digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Encodes n bytes (a multiple of 3) into out, NUL-terminated. */
static void base64(const uint8_t *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*out++ = base64_digits[v >> 18 & 63];
		*out++ = base64_digits[v >> 12 & 63];
		*out++ = base64_digits[v >> 6 & 63];
		*out++ = base64_digits[v & 63];
	}
	*out = '\0';
}

#define RECORDS_PER_LINE 6 /* 96 bytes, 128 base64 digits */

static void dump_ring(uint32_t hart, const struct trace_hart *th)
{
	const struct trace_record *ring = trace_rings[hart];
	uint64_t claimed = th->claimed;
	uint64_t count = claimed < TRACE_RING_RECORDS ? claimed : TRACE_RING_RECORDS;
	uint64_t first = claimed - count;
	printf("TRACE ring %u %lu %lu\n", hart, first, count);
	uint32_t fnv = 2166136261u;
	for (uint64_t seq = first; seq < claimed; seq += RECORDS_PER_LINE) {
		struct trace_record line[RECORDS_PER_LINE];
		size_t n = 0;
		for (; n < RECORDS_PER_LINE && seq + n < claimed; n++)
			line[n] = ring[(seq + n) % TRACE_RING_RECORDS];
		const uint8_t *bytes = (const uint8_t *)line;
		size_t size = n * sizeof line[0];
		for (size_t i = 0; i < size; i++)
			fnv = (fnv ^ bytes[i]) * 16777619u;
		/* 16-byte records: pad to a multiple of 3 bytes with zeros the reader drops. */
		uint8_t padded[RECORDS_PER_LINE * sizeof line[0] + 2] = {0};
		memcpy(padded, bytes, size);
		char text[sizeof padded / 3 * 4 + 1];
		base64(padded, (size + 2) / 3 * 3, text);
		printf("TRACE d %s\n", text);
	}
	printf("TRACE ring-end %u %08x\n", hart, fnv);
}

void trace_dump_if_asked(void)
{
	char arg[8];
	if (!bootarg("trace", arg, sizeof arg) || strcmp(arg, "1") != 0)
		return;
	cpu_irq_disable();
	printf("TRACE begin version=1 clock=time timebase=%lu now=%lu ring=%d record=%u\n",
	       platform.timebase_hz, clock_now(), TRACE_RING_RECORDS,
	       (unsigned)sizeof(struct trace_record));
	for (uint32_t h = 0; h < MAX_HARTS; h++)
		if (trace_harts[h].claimed)
			dump_ring(h, &trace_harts[h]);
	for (uint32_t h = 0; h < MAX_HARTS; h++)
		for (int i = 0; i < TRACE_NAMES; i++)
			if (trace_harts[h].names[i].tid)
				printf("TRACE thread %d %s\n", trace_harts[h].names[i].tid,
				       trace_harts[h].names[i].name);
	for (uint32_t h = 0; h < MAX_HARTS; h++) {
		const struct trace_hart *th = &trace_harts[h];
		uint64_t claimed = th->claimed;
		uint64_t count = claimed < TRACE_RING_RECORDS ? claimed : TRACE_RING_RECORDS;
		for (uint64_t seq = claimed - count; seq < claimed; seq++)
			dump_strings_of(&trace_rings[h][seq % TRACE_RING_RECORDS]);
	}
	printf("TRACE end\n");
	console_flush();
}

#else /* !CONFIG_TRACE */

void trace_dump_if_asked(void)
{
	char arg[8];
	if (bootarg("trace", arg, sizeof arg) && strcmp(arg, "1") == 0)
		printf("TRACE off: this kernel was built with TRACE=0\n");
}

#endif
