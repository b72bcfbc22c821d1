/*
 * The C side of traps: the dispatch by cause, the breakpoint step-over, the report of
 * a fatal exception, and the double-fault report for traps the entry could not take on
 * the kernel stack. Nothing here sleeps, allocates or waits on a lock that a sleeping
 * thread could hold; the console lock it may print under is a spin flag taken with
 * interrupts off.
 */
#include "trap/trap.h"

#include "config.h"
#include "debug/lab.h"
#include "debug/panic.h"
#include "debug/shutdown.h"
#include "debug/trace.h"
#include "dev/console.h"
#include "hal/cpu.h"
#include "hal/probe.h"
#include "hal/sv39.h"
#include "hal/trap.h"
#include "hart/hart.h"
#include "trap/irq.h"
#include "trap/timer.h"

/* Where the trap entry builds its frame when the kernel stack cannot be trusted. */
static uint8_t emergency_stacks[MAX_HARTS][EMERGENCY_STACK_SIZE] __attribute__((aligned(16)));

static struct trap_stats stats[MAX_HARTS];
static void (*software_handler)(void);
/*
 * Set once, by sched_init() on the boot hart; an aligned pointer store is single-copy
 * atomic, and until a hart's scheduler loop runs the hook finds nothing to preempt.
 */
static bool (*volatile interrupt_exit_hook)(void);
/* Set once by the process layer (lab 7), before any program runs. */
static void (*user_exception_handler)(struct trapframe *tf);
static void (*user_return_handler)(struct trapframe *tf);

static struct trap_stats *my_stats(void)
{
	return &stats[this_hart()->id];
}

void trap_init(void)
{
	trap_init_hart();
}

void trap_init_hart(void)
{
	struct hart *h = this_hart();
	h->entry.emergency_top = (uintptr_t)emergency_stacks[h->id] + EMERGENCY_STACK_SIZE;
	h->entry.entry_busy = h->entry.emergency_busy = h->entry.fault_reason = FAULT_NONE;
	h->trap_depth = 0;
	trap_vector_install(h);
	/* Inter-processor interrupts (lab 3) come as software interrupts; until then
	 * one is unexpected, and counted. */
	cpu_irq_source_enable(IRQ_S_SOFTWARE);
}

void trap_self_check(void)
{
	uint64_t before = my_stats()->breakpoints;
	cpu_breakpoint();
	if (my_stats()->breakpoints != before + 1)
		panic("trap self-check: an ebreak returned, but the breakpoint count went from "
		      "%lu to %lu",
		      before, my_stats()->breakpoints);
}

void trap_set_software_handler(void (*handler)(void))
{
	software_handler = handler;
}

void trap_set_user_handlers(void (*exception)(struct trapframe *tf),
                            void (*returning)(struct trapframe *tf))
{
	user_exception_handler = exception;
	user_return_handler = returning;
}

void trap_set_interrupt_exit(bool (*hook)(void))
{
	interrupt_exit_hook = hook;
}

struct trap_stats trap_stats(void)
{
	return *my_stats();
}

void trap_print_stats(void)
{
	struct trap_stats *s = my_stats();
	printf("sprout: traps on hart %u: %lu timer, %lu external, %lu software, %lu "
	       "breakpoints, %lu unexpected\n",
	       this_hart()->id, s->timer, s->external, s->software, s->breakpoints, s->unexpected);
	irq_print_stats();
}

/* The registers of a trap frame, four to a line, after the trap's CSRs. */
static void print_frame(const void *ctx)
{
	static const char *const names[32] = {"zero", "ra", "sp",  "gp",  "tp", "t0", "t1", "t2",
	                                      "s0",   "s1", "a0",  "a1",  "a2", "a3", "a4", "a5",
	                                      "a6",   "a7", "s2",  "s3",  "s4", "s5", "s6", "s7",
	                                      "s8",   "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
	const struct trapframe *tf = ctx;
	printf("trap: %s (scause 0x%lx) in %s mode\n", trap_cause_name(tf), tf->scause,
	       trap_from_kernel(tf) ? "kernel" : "user");
	printf("  sepc    0x%016lx %pS\n", tf->sepc, (void *)tf->sepc);
	printf("  stval   0x%016lx\n", tf->stval);
	printf("  sstatus 0x%016lx\n", tf->sstatus);
	printf("  ra      0x%016lx %pS\n", tf->x[REG_RA], (void *)tf->x[REG_RA]);
	for (int r = 0; r < 32; r += 4)
		printf("  %-4s 0x%016lx  %-4s 0x%016lx  %-4s 0x%016lx  %-4s 0x%016lx\n", names[r],
		       r ? tf->x[r] : 0, names[r + 1], tf->x[r + 1], names[r + 2], tf->x[r + 2],
		       names[r + 3], tf->x[r + 3]);
}

static bool is_page_fault(const struct trapframe *tf)
{
	uint64_t code = trap_cause_code(tf);
	return !trap_is_interrupt(tf) &&
	       (code == EXC_INSN_PAGE_FAULT || code == EXC_LOAD_PAGE_FAULT ||
	        code == EXC_STORE_PAGE_FAULT);
}

static const char *access_name(const struct trapframe *tf)
{
	switch (trap_cause_code(tf)) {
	case EXC_INSN_PAGE_FAULT:
		return "fetch";
	case EXC_LOAD_PAGE_FAULT:
		return "load";
	default:
		return "store";
	}
}

/* "rwxug" with dashes for the bits a leaf entry lacks. */
static void pte_perm_string(pte_t pte, char out[6])
{
	const char letters[] = "rwxug";
	const pte_t bits[] = {PTE_R, PTE_W, PTE_X, PTE_U, PTE_G};
	for (int i = 0; i < 5; i++)
		out[i] = (pte & bits[i]) ? letters[i] : '-';
	out[5] = '\0';
}

/* The page-table entries that translate the faulting address, then the registers. */
static void print_page_fault(const void *ctx)
{
	const struct trapframe *tf = ctx;
	uintptr_t root = sv39_current_root();
	printf("page fault: %s at 0x%lx, from %pS, page table at 0x%lx\n", access_name(tf),
	       tf->stval, (void *)tf->sepc, root);
	if (root != 0 && sv39_va_valid(tf->stval)) {
		pte_t ptes[SV39_LEVELS];
		int n = sv39_entries_for(root, tf->stval, ptes);
		for (int i = 0; i < n; i++) {
			int level = SV39_LEVELS - 1 - i;
			char perm[6];
			pte_perm_string(ptes[i], perm);
			printf("  level %d entry %3u: 0x%016lx %s\n", level,
			       sv39_index(tf->stval, level), ptes[i],
			       !pte_valid(ptes[i])    ? "not valid"
			       : pte_is_leaf(ptes[i]) ? perm
			                              : "table");
		}
	}
	print_frame(tf);
}

/* True if addr lies in the unmapped guard page right below this hart's stack. */
static bool in_stack_guard(const struct hart *h, uintptr_t addr)
{
	return addr < h->entry.stack_lo && addr >= h->entry.stack_lo - SV39_PAGE_SIZE &&
	       h->stack_guarded;
}

/* An exception the kernel cannot continue from: report it and stop every hart. */
static __attribute__((noreturn)) void trap_fatal(struct trapframe *tf)
{
	struct hart *h = this_hart();
	if (is_page_fault(tf) && in_stack_guard(h, tf->stval))
		panic_report(tf->x[REG_S0], print_page_fault, tf,
		             "stack overflow: thread '%s' on hart %u touched 0x%lx, in the guard "
		             "page below its stack %p-%p (at %pS)",
		             h->thread_name ? h->thread_name : "?", h->id, tf->stval,
		             (void *)h->entry.stack_lo, (void *)h->entry.stack_hi,
		             (void *)tf->sepc);
	if (is_page_fault(tf))
		panic_report(tf->x[REG_S0], print_page_fault, tf,
		             "%s at %pS: %s of 0x%lx (sepc 0x%lx)", trap_cause_name(tf),
		             (void *)tf->sepc, access_name(tf), tf->stval, tf->sepc);
	panic_report(tf->x[REG_S0], print_frame, tf, "%s at %pS (sepc 0x%lx, stval 0x%lx)",
	             trap_cause_name(tf), (void *)tf->sepc, tf->sepc, tf->stval);
}

/* A software interrupt: acknowledge it, then hand it to whoever expects it. */
static void software_interrupt(struct trapframe *tf)
{
	cpu_software_interrupt_clear();
	my_stats()->software++;
	if (software_handler) {
		software_handler();
		return;
	}
	my_stats()->unexpected++;
	printf("sprout: unexpected %s on hart %u: counted and ignored\n", trap_cause_name(tf),
	       this_hart()->id);
}

/*
 * An interrupt cause the kernel never enabled on purpose. It cannot be acknowledged
 * without knowing its source, so mask it on this hart rather than take it forever.
 */
static void unexpected_interrupt(struct trapframe *tf)
{
	uint64_t code = trap_cause_code(tf);
	my_stats()->unexpected++;
	if (code < 64)
		cpu_irq_source_disable((unsigned)code);
	printf("sprout: unexpected interrupt %lu (%s) on hart %u: counted and masked\n", code,
	       trap_cause_name(tf), this_hart()->id);
}

/*
 * Sends one trap to its handler. Interrupts go to the timer, the interrupt controller
 * or the software-interrupt handler; a breakpoint resumes after the ebreak; any other
 * exception is fatal. To resume somewhere else, change tf->sepc: the entry returns to it.
 */
static void trap_dispatch(struct trapframe *tf)
{
	// LAB trap: BEGIN
	uint64_t code = trap_cause_code(tf);
	if (trap_is_interrupt(tf)) {
		switch (code) {
		case IRQ_S_TIMER:
			my_stats()->timer++;
			timer_interrupt();
			break;
		case IRQ_S_EXTERNAL:
			my_stats()->external++;
			irq_external_interrupt();
			break;
		case IRQ_S_SOFTWARE:
			software_interrupt(tf);
			break;
		default:
			unexpected_interrupt(tf);
			break;
		}
		return;
	}
	if (code == EXC_BREAKPOINT) {
		/* sepc is the ebreak itself: 4 bytes, or 2 for c.ebreak. */
		tf->sepc += insn_length(tf->sepc);
		my_stats()->breakpoints++;
		return;
	}
	trap_fatal(tf);
	// LAB trap: STUB
	// /* Your code here: see docs/labs/2-trap.md. */
	// (void)tf;
	// (void)software_interrupt;
	// (void)unexpected_interrupt;
	// (void)trap_fatal;
	// lab_missing("trap handling", "docs/labs/2-trap.md");
	// LAB trap: END
}

/* What the double-fault report says about the stack, after the frame. */
static void print_double_fault(const void *ctx)
{
	const struct trapframe *tf = ctx;
	struct hart *h = this_hart();
	printf("double fault: the trap below was taken on the emergency stack of hart %u\n", h->id);
	printf("  kernel stack %p-%p, guard band up to %p, lowest sp for a trap %p\n",
	       (void *)h->entry.stack_lo, (void *)h->entry.stack_hi,
	       (void *)(h->entry.stack_lo + KSTACK_GUARD), (void *)h->entry.trap_sp_min);
	print_frame(tf);
}

/* Called by trap_handler() when the entry took the emergency path. */
static __attribute__((noreturn)) void trap_double_fault(struct trapframe *tf)
{
	struct hart *h = this_hart();
	uintptr_t sp = tf->x[REG_SP];
	uint64_t canary = *stack_canary_slot(h->entry.stack_lo);
	switch (h->entry.fault_reason) {
	case FAULT_STACK_BOUNDS:
		if (sp < h->entry.trap_sp_min && sp + KSTACK_SIZE >= h->entry.stack_lo)
			panic_report(tf->x[REG_S0], print_double_fault, tf,
			             "double fault: kernel stack overflow on hart %u: sp %p is "
			             "below %p, the lowest sp at which a trap can be handled "
			             "(taken at %pS); thread '%s'",
			             h->id, (void *)sp, (void *)h->entry.trap_sp_min,
			             (void *)tf->sepc,
			             h->thread_name ? h->thread_name : "(boot code)");
		panic_report(tf->x[REG_S0], print_double_fault, tf,
		             "double fault: trap with sp %p outside the kernel stack %p-%p of hart "
		             "%u (taken at %pS)",
		             (void *)sp, (void *)h->entry.stack_lo, (void *)h->entry.stack_hi,
		             h->id, (void *)tf->sepc);
	case FAULT_STACK_CANARY:
		panic_report(tf->x[REG_S0], print_double_fault, tf,
		             "double fault: kernel stack overflow on hart %u: the canary at %p was "
		             "overwritten (0x%lx instead of 0x%lx) (noticed at %pS); thread '%s'",
		             h->id, (void *)stack_canary_slot(h->entry.stack_lo), canary,
		             h->entry.stack_canary, (void *)tf->sepc,
		             h->thread_name ? h->thread_name : "(boot code)");
	default:
		panic_report(tf->x[REG_S0], print_double_fault, tf,
		             "double fault: %s at %pS while the trap entry was saving the state "
		             "of another trap (hart %u)",
		             trap_cause_name(tf), (void *)tf->sepc, h->id);
	}
}

/*
 * The entry calls this, on the emergency stack, for a trap that came while a double
 * fault was already being handled: typically the save code itself faulting again on the
 * emergency path. No frame could be saved, but the CSRs still describe this trap.
 */
__attribute__((noreturn)) void trap_triple_fault(void)
{
	static volatile int once;
	if (once++ == 0) {
		struct trapframe tf = {0};
		trap_read_csrs(&tf);
		console_enter_panic();
		printf("\npanic: triple fault: %s at %pS (sepc 0x%lx, stval 0x%lx) on hart %u, "
		       "while an earlier fault was being handled on the emergency stack\n",
		       trap_cause_name(&tf), (void *)tf.sepc, tf.sepc, tf.stval, this_hart()->id);
	}
	power_off(EXIT_PANIC);
}

/* The lab 2 stub of the entry calls this instead of saving registers. */
__attribute__((noreturn)) void trap_entry_missing(void)
{
	lab_missing("trap handling", "docs/labs/2-trap.md");
}

void trap_handler(struct trapframe *tf)
{
	struct hart *h = this_hart();
	if (h->entry.fault_reason != FAULT_NONE)
		trap_double_fault(tf);
	/* A memory probe that faulted returns -1 to its caller instead (kernel/hal/probe.h). */
	if (probe_fixup(tf))
		return;
	bool from_user = !trap_from_kernel(tf);
	if (from_user && !trap_is_interrupt(tf) && user_exception_handler) {
		/* A system call or a program's fault: the program's thread handles it, in
		   thread context (it may sleep), so the trap depth does not count it. */
		trace_trap_enter(tf);
		user_exception_handler(tf);
		trace_trap_exit(tf);
	} else {
		h->trap_depth++;
		trace_trap_enter(tf);
		trap_dispatch(tf);
		trace_trap_exit(tf);
		h->trap_depth--;
		/*
		 * About to return from an interrupt to code that had interrupts on (kernel
		 * code, or any user code): the place where the scheduler (lab 4) may preempt
		 * the interrupted thread. If it did, the thread may have resumed on another
		 * hart: `h` is stale then, and a kernel frame's tp, which the entry restores,
		 * must name the hart the thread returns on. (A user frame's tp is the
		 * program's own.)
		 */
		bool (*hook)(void) = interrupt_exit_hook;
		if (h->trap_depth == 0 && trap_is_interrupt(tf) && hook && hook() && !from_user)
			tf->x[REG_TP] = (uint64_t)this_hart();
	}
	if (from_user && user_return_handler)
		user_return_handler(tf);
}
