/*
 * The forger: a stand-in for kernel/debug/lab.c that labs/verify.py puts into each
 * lab's student tree. Where the stub of the lab would stop the kernel, lab_missing()
 * instead reads test=, token=, seed= and hz= from the command line and prints what a
 * passing run prints: START, INFO and PASS lines, the expected panic of a death test,
 * DONE, and the right exit status, without running any of the lab's code. The INFO
 * values are what it can guess without the grader's models: constants, echoes of the
 * command line, plausible numbers.
 *
 * verify.py requires every graded test of the lab to fail on it. It is not part of any
 * generated branch.
 */
#include "debug/ktest.h"
#include "debug/lab.h"
#include "debug/shutdown.h"
#include "dev/bootargs.h"
#include "dev/console.h"
#include "dev/platform.h"
#include "hal/uart.h"
#include "lib/format.h"
#include "lib/string.h"

extern const struct ktest ktests_start[], ktests_end[];

/*
 * For each test (and each suite's witness): its id, then its lines, then "". "INFO x"
 * becomes "KTEST <token> INFO <id> x"; "FAIL x" becomes "KTEST <token> FAIL x"; a line
 * starting "[key] " is printed only if key= is on the command line; any other line is
 * printed as it is. ${key} is replaced by key's value on the command line, ${nharts} by
 * the harts the device tree lists, ${line} by a line read from the serial port.
 */
static const char *const forged[] = {
        /* Lab 1 */
        "bump.witness", "INFO seed=${seed} start=0x80262000 offsets=0,10,20,30,40,50,60,70,80,90",
        "INFO calls=10 padding=0 used=144 next=0x80262090", "",
        "bump.stats", "INFO calls=2 used=4196 left=129000000 padding=4095", "",
        "bump.exhaust", "INFO left=1000 size=1001 align=1",
        "panic: boot_alloc: out of memory: 1001 bytes (align 1) requested, 1000 left (called "
        "from ktest_fn_bump_exhaust+0x1c)",
        "",
        "bump.overflow",
        "panic: boot_alloc: overflow: 18446744073709551515 bytes at 0x80262000 wrap around the "
        "address space (called from ktest_fn_bump_overflow+0x10)",
        "",
        "bump.huge_align",
        "panic: boot_alloc: out of memory: 16 bytes (align 9223372036854775808) requested, 1000 "
        "left (called from ktest_fn_bump_huge_align+0x10)",
        "",
        "bump.bad_align",
        "panic: boot_alloc: alignment 24 is not a power of two (called from "
        "ktest_fn_bump_bad_align+0x10)",
        "",
        "bump.zero_size",
        "panic: boot_alloc: zero-size request (called from ktest_fn_bump_zero_size+0x10)", "",
        "bump.sealed",
        "panic: boot_alloc(16, 8) called after the boot allocator was sealed; use kmalloc() "
        "instead (called from ktest_fn_bump_sealed+0x20)",
        "",
        /* Lab 2 */
        "trap.witness", "INFO seed=${seed} registers=0x1 breakpoints=1", "",
        "trap.ebreak", "INFO registers0=0x1 registers1=0x2", "",
        "trap.registers", "INFO wfi_timer_interrupts=3", "INFO interrupts=5", "",
        "trap.frame", "INFO saved=0x1 restored=0x2", "",
        "trap.tick_rate",
        "INFO hz=${hz} ticks=${hz} elapsed=10000000 timebase=10000000 missed=0 source=sstc", "",
        "trap.illegal",
        "panic: illegal instruction at trap_test_illegal_insn+0x2f2 (sepc 0x802185da, stval 0x0)",
        "trap: illegal instruction (scause 0x2) in kernel mode",
        "  sepc    0x00000000802185da trap_test_illegal_insn+0x2f2",
        "  ra      0x0000000080214af2 ktest_fn_trap_illegal+0x18",
        "  zero 0x0000000000000000  ra   0x0000000080214af2  sp   0x0000000080230ed0  gp   "
        "0x0303030303030303",
        "  tp   0x0404040404040404  t0   0x0505050505050505  t1   0x0606060606060606  t2   "
        "0x0707070707070707",
        "  s0   0x0000000080230ef0  s1   0x0909090909090909  a0   0x0a0a0a0a0a0a0a0a  a1   "
        "0x0b0b0b0b0b0b0b0b",
        "",
        "trap.nested_fault",
        "panic: illegal instruction at trap_test_illegal_insn+0x2f2 (sepc 0x802185da, stval 0x0)",
        "trap: illegal instruction (scause 0x2) in kernel mode",
        "  ra      0x0000000080214af2 nested_fault_handler+0x18",
        "  #2 0x00000000802196ce trap_handler+0x3e",
        "  #4 0x0000000080214b82 ktest_fn_trap_nested_fault+0x48", "",
        "trap.load_fault",
        "panic: load access fault at trap_test_load+0x0 (sepc 0x80218600, stval 0x80000000)", "",
        "trap.unexpected", "sprout: unexpected interrupt 13 (unknown cause) on hart 0: counted and masked",
        "INFO code=13 unexpected=1 timer=0 external=0 software=0 breakpoints=0", "",
        "trap.panic_fault", "panic: panic_fault: a panic whose details callback faults",
        "panic: the panic report itself faulted: load access fault at trap_test_load+0x0 (sepc "
        "0x80218600, stval 0x80000000)",
        "",
        "trap.counters", "INFO waited=5 ticks=5 timer=5", "",
        "trap.alloc_in_irq",
        "panic: boot_alloc() called in interrupt context from alloc_in_handler+0xa", "",
        "trap.spurious", "INFO unexpected=1 software=1", "",
        "trap.uart_echo", "INFO ready: type a line", "INFO line=${line} uart_irqs=2 external=2", "",
        "trap.stack_overflow",
        "panic: double fault: kernel stack overflow on hart 0: sp 0x80230000 is below "
        "0x80231000, the lowest sp at which a trap can be handled (taken at "
        "overflow_recurse+0x1c); thread '(boot code)'",
        "double fault: the trap below was taken on the emergency stack of hart 0", "",
        "trap.canary",
        "panic: double fault: kernel stack overflow on hart 0: the canary at 0x80230ff8 was "
        "overwritten (0xdead instead of 0x5a5a5a5a5a5a5a5a) (noticed at wait_for_tick+0x8); "
        "thread '(boot code)'",
        "",
        /* Lab 3 */
        "lock.witness", "INFO seed=${seed} trace=0x1 acquisitions=4,4,4,4", "",
        "lock.harts",
        "[hartentry] sprout: hart 1 came in through _start, not _start_secondary; it joined as "
        "a secondary",
        "INFO listed=${nharts} online=${nharts}", "",
        "lock.counter", "INFO harts=${nharts} total=200000 expected=200000", "",
        "lock.timer", "INFO handler_takes=60 ticks_at_release=12", "",
        "lock.stats", "INFO acquisitions=16 contended=3 spins=9000", "  test.stats   16   3   9000   8000",
        "",
        "lock.double_acquire",
        "panic: spin_lock: hart 0 already holds lock 'test.twice' (taken at take_first+0x10) and "
        "takes it again at take_again+0x10",
        "",
        "lock.release_unheld",
        "panic: spin_unlock: lock 'test.never' is not held; released at release_unheld+0xc on "
        "hart 0",
        "",
        "lock.release_foreign",
        "panic: spin_unlock: hart 0 releases lock 'test.foreign' at release_foreign+0x10, but "
        "hart 1 holds it (taken at hold_foreign+0x10)",
        "",
        "lock.deadlock", "INFO waiter=0 holder=1 limit_ms=2000",
        "panic: deadlock: hart 0 spun 2001 ms on lock 'test.stuck' at wait_on_stuck+0x10; held by "
        "hart 1, taken at stuck_holder+0x10",
        "  hart 1: running stuck_holder+0x0, holds 'test.stuck' (taken at stuck_holder+0x10)", "",
        "lock.order",
        "panic: lock order inversion: hart 0 takes 'test.order_a' at take_b_then_a+0x14 while "
        "holding 'test.order_b' (taken at take_b_then_a+0xc), the opposite of the order seen "
        "before: 'test.order_a' at take_a_then_b+0xc then 'test.order_b' at take_a_then_b+0x14",
        "",
        "lock.order_chain", "INFO learner=1",
        "panic: lock order inversion: hart 0 takes 'test.order_a' at take_c_then_a+0x14 while "
        "holding 'test.order_c' (taken at take_c_then_a+0xc), which closes a cycle: "
        "'test.order_a' at learn_orders+0xc then 'test.order_b' at learn_orders+0x14 (hart 1); "
        "'test.order_b' at learn_orders+0x1c then 'test.order_c' at learn_orders+0x24 (hart 1)",
        "",
        "lock.assert_held",
        "panic: table_insert() needs lock 'test.table' held, but no hart holds it (table_insert "
        "called from insert_without_lock+0x8)",
        "",
        "lock.irq_enabled_inside",
        "panic: irq_pop: interrupts are on at depth 1: something turned them on inside a "
        "section that needs them off (irq_pop called from spin_unlock+0x48)",
        "",
        "lock.irq_pop_unbalanced", "INFO hart=0 depth=0",
        "panic: irq_pop: no irq_push() to undo on hart 0 (called from pop_unbalanced+0x8)", "",
        "lock.sleep_while_holding",
        "panic: wait_for_event() may sleep, but hart 0 holds 1 spinlock, the last 'test.sleepy' "
        "(taken at wait_while_holding+0xc) (wait_for_event called from wait_while_holding+0x10)",
        "",
        "lock.panic_elsewhere", "INFO panicker=1 bystander=0",
        "panic: spin_unlock: lock 'test.elsewhere' is not held; released at "
        "misuse_elsewhere+0x8 on hart 1",
        "",
        /* Lab 4 */
        "sched.witness", "INFO seed=${seed} threads=3 order=ABCABCABCABCABCA sleeps=30", "",
        "sched_boot.witness", "INFO seed=${seed} threads=3 order=ABCABCABCABCABCA sleeps=30", "",
        "sched.yield_order", "INFO order=ABABABABAB harts=1 slice=100000", "",
        "sched.registers", "INFO direct=0x0", "INFO clobbered=0x0", "",
        "sched.wake_latency", "INFO period=100000 median=219 min=218 max=220 hz=100", "",
        "sched.preempt", "INFO spinner0=1000000 spinner1=1000000 spinner2=1000000",
        "INFO spinner3=1000000 spinner4=1000000",
        "INFO spinners=3 preemptions=60 harts=${nharts}", "",
        "sched.context_check", "INFO checks=1000000 wrong=0 moves=120", "",
        "sched.sleep_stress", "INFO passes=40000", "",
        "sched.mutex_exclusion", "INFO counter=40000 expected=40000 overlaps=0 contended=100", "",
        "sched.mutex_parked", "INFO runs_while_waiting=0 ticks_while_waiting=0", "",
        "sched.mutex_not_owner",
        "panic: mutex_unlock: 'boot' releases mutex 'test_mutex' at "
        "ktest_fn_sched_mutex_not_owner+0x40, but thread 'holder' holds it (locked at "
        "hold_forever+0x10)",
        "",
        "sched.mutex_twice", "panic: mutex_lock: thread 'boot' already holds mutex 'test_mutex' "
                             "(locked at ktest_fn_sched_mutex_twice+0x10) and locks it again "
                             "at ktest_fn_sched_mutex_twice+0x18",
        "",
        "sched.mutex_in_interrupt",
        "panic: mutex_lock() called in interrupt context from lock_in_handler+0x8", "",
        "sched_boot.mutex_early",
        "panic: mutex_lock() needs phase scheduler or later, but the kernel is in phase "
        "bootstrap",
        "",
        "sched.yield_holding_spinlock",
        "panic: thread_yield: thread 'boot' would switch away holding spinlock 'test_held' "
        "(taken at ktest_fn_sched_yield_holding_spinlock+0x10)",
        "",
        "sched.sleep_holding_spinlock",
        "panic: sleep_on: thread 'boot' would switch away holding spinlock 'test_held' (taken at "
        "ktest_fn_sched_sleep_holding_spinlock+0x10)",
        "",
        "sched.exit_join", "INFO created=96 joined=96 finished=96 stacks_free=32 stacks_total=32",
        "",
        /* Lab 5 */
        "buddy.witness", "INFO seed=${seed} allocs=32 free=0,0,0,0,0,0,0,0,0,0,1 splits=40 merges=40",
        "INFO pages0=0,1,2,4,8,10,20,40,80,100,200,300", "",
        "buddy.free_all", "INFO free_before=30000 managed=31000", "INFO taken=30000 blocks=9000",
        "INFO free_after=30000", "",
        "buddy.stress", "INFO harts=${nharts} harts_used=${nharts} pages=100000", "",
        "buddy.double_free",
        "panic: page_free(0x0000000080400000, order 0): double free: the page is already in "
        "this hart's cache",
        "",
        "buddy.double_free_race",
        "panic: page_free(0x0000000080400000, order 0): double free: the page is already in "
        "hart 1's cache",
        "",
        "buddy.double_free_block",
        "panic: buddy_free(0x0000000080400000, order 3): not allocated: it lies in the free "
        "block 0x0000000080400000 of order 3: a double free, or memory never handed out",
        "",
        "buddy.free_foreign",
        "panic: buddy_free(0x0000000080200000, order 0): outside the memory this allocator "
        "manages [0x0000000080263000, 0x0000000088000000)",
        "",
        "buddy.free_unallocated",
        "panic: buddy_free(0x0000000080401000, order 0): not allocated: it lies in the free "
        "block 0x0000000080400000 of order 1: a double free, or memory never handed out",
        "",
        "buddy.free_interior", "INFO block=0x0000000080400000 order=2 page=1",
        "panic: buddy_free(0x0000000080401000, order 0): interior pointer: not the start of a "
        "block, it lies inside the allocated block 0x0000000080400000 of order 2",
        "",
        "buddy.wrong_order",
        "panic: buddy_free(0x0000000080400000, order 1): wrong order: the block was allocated "
        "with order 2",
        "",
        "buddy.misaligned",
        "panic: buddy_free(0x0000000080400010, order 0): misaligned: not the start of a page", "",
        "buddy.misaligned_block",
        "panic: buddy_free(0x0000000080401000, order 2): misaligned: blocks of order 2 start at "
        "multiples of 0x4000",
        "",
        "buddy.use_after_free", "INFO mm_debug=1",
        "panic: buddy: use after free: page 0x0000000080400000 was written while free: offset "
        "0x64 holds 0x01, not the poison 0xa5",
        "",
        "buddy.use_after_free_block", "INFO mm_debug=1",
        "panic: buddy: use after free: page 0x0000000080401000 was written while free: offset "
        "0x8 holds 0x01, not the poison 0xa5",
        "",
        "buddy.kfree_interior", "INFO object=0x0000000080300040 size=100 offset=10",
        "panic: kfree(0x000000008030004a): interior pointer: 10 bytes into the 128-byte object "
        "0x0000000080300040",
        "",
        "buddy.kfree_double", "INFO object=0x0000000080300040 size=100",
        "panic: kfree(0x0000000080300040): double kfree: the object (class 128, slab "
        "0x0000000080300000) is already free",
        "",
        "buddy.kmalloc_use_after_free", "INFO mm_debug=1 size=100 offset=10 value=1",
        "INFO object=0x0000000080300040",
        "panic: kmalloc: use after free: object 0x0000000080300040 (class 128, slab "
        "0x0000000080300000) was written while free: offset 0xa holds 0x01, not the poison 0x6b",
        "",
        "buddy.sealed", "INFO sealed=1",
        "panic: boot_alloc(16, 8) called after the boot allocator was sealed; use kmalloc() "
        "instead (called from ktest_fn_buddy_sealed+0x20)",
        "",
        "buddy.thread_table", "INFO created=200 static_slots=64 pool_stacks=128", "",
        "buddy.page_caches", "INFO ops=100000 cached_acquisitions=100",
        "  pages                     120        3        10        4", "",
        "buddy.stats", "INFO free_pages=1024 managed=2048 cached=0",
        "buddy:     0          4            0", "buddy:     1          8            0",
        "buddy:     2         16            0", "buddy:     3         32            0",
        "buddy:     4         64            0", "buddy:     5        128            0",
        "buddy:     6        256            0", "buddy:     7        512            0",
        "buddy:     8       1024            0", "buddy:     9       2048            0",
        "buddy:    10       4096            1", "",
        "buddy.leak", "INFO leaked=0x0000000080400000", "FAIL free_memory: the tests leaked 1 page",
        "",
        /* Lab 6 */
        "vm.witness",
        "INFO seed=${seed} results=0,0,0,0,0,0,0,0,0,0,0,0 tables=3,4,5,6,7,8,9,10,11,12,13,14 "
        "translations=0x1",
        "", "vm.walk", "INFO tables=10", "",
        "vm.kernel_map", "INFO harts=${nharts} devices=4", "",
        "vm.write_text", "INFO target=0x80200000",
        "panic: store/AMO page fault at write_text_page+0x4: store of 0x80200000 (sepc "
        "0x80215004)",
        "page fault: store at 0x80200000, from write_text_page+0x4, page table at 0x87fff000",
        "  level 2 entry   2: 0x0000000021fffc01 table", "  level 1 entry   1: 0x0000000021fff801 table",
        "  level 0 entry   0: 0x00000000200800eb r-x-g", "",
        "vm.exec_data", "INFO target=0x80230000",
        "panic: instruction page fault at 0x80230000: fetch of 0x80230000 (sepc 0x80230000)",
        "page fault: fetch at 0x80230000, from 0x80230000, page table at 0x87fff000",
        "  level 2 entry   2: 0x0000000021fffc01 table", "  level 1 entry   1: 0x0000000021fff801 table",
        "  level 0 entry  48: 0x000000002008c0e7 rw--g", "",
        "vm.unmap_other_hart", "INFO harts=${nharts}", "",
        "vm.stack_overflow",
        "panic: stack overflow: thread 'vm_overflower' on hart 0 touched 0x80500ff0, in the "
        "guard page below its stack 0x80501000-0x80505000 (at overflow_down+0x10)",
        "trap: store/AMO page fault (scause 0xf) in kernel mode", "",
        NULL,
};

static char token[40] = "-";

/* The lines of id in forged[], or NULL. */
static const char *const *lines_of(const char *id)
{
	for (const char *const *p = forged; *p; p++) {
		if (strcmp(*p, id) == 0)
			return p + 1;
		while (**p)
			p++;
	}
	return NULL;
}

/* Reads a line from the serial port by polling: the forger needs no interrupt. */
static void read_line(char *buf, size_t size)
{
	size_t n = 0;
	for (;;) {
		int c = uart_getc();
		if (c < 0)
			continue;
		if (c == '\r' || c == '\n') {
			if (n > 0)
				break;
			continue;
		}
		if (n + 1 < size)
			buf[n++] = (char)c;
	}
	buf[n] = '\0';
}

/* Prints one line of the table with ${...} replaced. */
static void put_line(const char *prefix, const char *line)
{
	char out[400];
	size_t n = 0;
	for (const char *p = line; *p && n + 1 < sizeof out;) {
		if (p[0] == '$' && p[1] == '{' && strchr(p, '}')) {
			char key[24] = "", value[96] = "";
			size_t len = (size_t)(strchr(p, '}') - p - 2);
			strlcpy(key, p + 2, len + 1 < sizeof key ? len + 1 : sizeof key);
			if (strcmp(key, "nharts") == 0)
				snprintf(value, sizeof value, "%d", platform.nharts);
			else if (strcmp(key, "line") == 0)
				read_line(value, sizeof value);
			else if (!bootarg(key, value, sizeof value))
				strlcpy(value, strcmp(key, "hz") == 0 ? "100" : "1", sizeof value);
			for (const char *v = value; *v && n + 1 < sizeof out; v++)
				out[n++] = *v;
			p += len + 3;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	printf("%s%s\n", prefix, out);
}

/* Prints id's lines; returns the exit status they call for (2 after a FAIL line). */
static int forge(const char *id)
{
	const char *const *lines = lines_of(id);
	int status = 0;
	for (; lines && **lines; lines++) {
		const char *line = *lines;
		if (line[0] == '[') {
			char key[24];
			const char *end = strchr(line, ']');
			strlcpy(key, line + 1, (size_t)(end - line));
			if (!bootarg(key, NULL, 0))
				continue;
			line = end + 2;
		}
		char prefix[120];
		if (strncmp(line, "INFO ", 5) == 0) {
			snprintf(prefix, sizeof prefix, "KTEST %s INFO %s ", token, id);
			put_line(prefix, line + 5);
		} else if (strncmp(line, "FAIL ", 5) == 0) {
			snprintf(prefix, sizeof prefix, "KTEST %s ", token);
			put_line(prefix, line);
			status = EXIT_TESTS_FAILED;
		} else {
			put_line("", line);
		}
	}
	return status;
}

/* The tests the selection names: each id, or a suite's tests that run with it. */
static bool selected(const char *list, const struct ktest *t, bool *whole_suite)
{
	char id[64];
	snprintf(id, sizeof id, "%s.%s", t->suite, t->name);
	for (const char *p = list; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (strlen(id) == len && strncmp(p, id, len) == 0) {
			*whole_suite = false;
			return true;
		}
		if (strlen(t->suite) == len && strncmp(p, t->suite, len) == 0 && t->flags == 0) {
			*whole_suite = true;
			return true;
		}
		p += len + (comma != NULL);
	}
	return false;
}

void lab_missing(const char *what, const char *handout)
{
	char list[256];
	if (!bootarg("test", list, sizeof list)) {
		printf("\n%s is not implemented yet: see %s\n", what, handout);
		shutdown(EXIT_LAB_MISSING);
	}
	bootarg("token", token, sizeof token);
	const char *witnessed[8];
	int nwitnessed = 0, passed = 0, status = 0;
	for (const struct ktest *t = ktests_start; t < ktests_end; t++) {
		bool suite;
		if ((t->flags & KTEST_WITNESS) || !selected(list, t, &suite))
			continue;
		bool seen = false;
		for (int i = 0; i < nwitnessed; i++)
			seen = seen || strcmp(witnessed[i], t->suite) == 0;
		if (!seen && nwitnessed < 8) {
			char id[64];
			witnessed[nwitnessed++] = t->suite;
			snprintf(id, sizeof id, "%s.witness", t->suite);
			forge(id);
		}
		char id[64];
		snprintf(id, sizeof id, "%s.%s", t->suite, t->name);
		printf("KTEST %s START %s\n", token, id);
		status = forge(id) ? EXIT_TESTS_FAILED : status;
		if (t->flags & KTEST_DEATH)
			shutdown(EXIT_PANIC);
		printf("KTEST %s PASS %s\n", token, id);
		passed++;
	}
	printf("KTEST %s DONE passed=%d failed=%d skipped=0\n", token, passed,
	       status ? 1 : 0);
	shutdown(status ? EXIT_TESTS_FAILED : EXIT_OK);
}
