/*
 * panic(): the one way the kernel stops on an error it cannot recover from. It must
 * work from any context (a trap handler, with the console lock held, while another
 * hart panics), so it allocates nothing and waits for nothing it cannot give up on.
 */
#include "debug/panic.h"

#include <stdarg.h>
#include <stdbool.h>

#include "debug/phase.h"
#include "debug/shutdown.h"
#include "debug/trace.h"
#include "dev/console.h"
#include "hal/atomic.h"
#include "hal/cpu.h"
#include "hart/hart.h"
#include "hart/stop.h"
#include "lib/ksyms.h"

/*
 * 1 + the id of the hart that is reporting a panic; 0 while none is. One word, claimed
 * with a compare-and-swap, so a hart that arrives later learns from the value it lost
 * to whether it is another hart (halt and let the report finish) or the reporter itself,
 * back again because its own report faulted (nobody else will finish it: power off).
 */
static volatile uint32_t reporter;

/* Set by the reporter when a fault inside its report has brought it back here. */
static volatile bool report_faulted;

#define BACKTRACE_MAX_FRAMES 32

/*
 * Walks the frame-pointer chain. With -fno-omit-frame-pointer, GCC for RISC-V keeps
 * the return address at fp-8 and the caller's frame pointer at fp-16. Caller must pass
 * a frame pointer of the running hart's stack (or 0); frames outside that stack end
 * the walk instead of being read.
 */
void backtrace_from(uintptr_t fp)
{
	struct hart *h = this_hart();
	printf("backtrace:\n");
	for (int depth = 0; depth < BACKTRACE_MAX_FRAMES; depth++) {
		if (fp % 8 != 0 || fp < h->entry.stack_lo + 16 || fp > h->entry.stack_hi)
			break;
		uintptr_t ra = *(uintptr_t *)(fp - 8);
		uintptr_t prev = *(uintptr_t *)(fp - 16);
		if (ra == 0)
			break;
		/*
		 * Name the function of the call, ra - 1: after a call to a noreturn
		 * function (panic itself), ra may already be the next function's start.
		 */
		uintptr_t offset;
		const char *name = ksym_lookup(ra - 1, &offset);
		if (name)
			printf("  #%d 0x%016lx %s+0x%lx\n", depth, ra, name, offset + 1);
		else
			printf("  #%d 0x%016lx\n", depth, ra);
		if (prev <= fp)
			break;
		fp = prev;
	}
	printf("end of backtrace\n");
}

/*
 * A panic on the hart that is already reporting one: something the report runs (a
 * details callback printing a trap frame, the backtrace, a %pS lookup) faulted, the
 * trap handler's fatal report came back to vpanic, and waiting would hang the hart with
 * interrupts off. Say so in one line (the nested message names the fault) and power off
 * with the panic status; if even that line faults, power off without it.
 */
static __attribute__((noreturn)) void report_fault(const char *fmt, va_list ap)
{
	if (!report_faulted) {
		report_faulted = true;
		printf("\npanic: the panic report itself faulted: ");
		vprintf(fmt, ap);
		printf("\n");
	}
	power_off(EXIT_PANIC);
}

static __attribute__((noreturn)) void vpanic(uintptr_t fp, void (*details)(const void *),
                                             const void *ctx, const char *fmt, va_list ap)
{
	cpu_irq_disable();
	/* Only the first hart to panic reports; a second panic would only add noise. */
	uint32_t me = this_hart()->id + 1;
	uint32_t owner = atomic_cas_acquire_value(&reporter, 0, me);
	if (owner != 0) {
		if (owner == me)
			report_fault(fmt, ap);
		cpu_halt();
	}
	console_enter_panic();
	printf("\npanic: ");
	vprintf(fmt, ap);
	printf("\npanic: hart %u, phase %s\n", me - 1, phase_name(phase_now()));
	if (details)
		details(ctx);
	backtrace_from(fp);
	stop_other_harts();
	trace_dump_if_asked();
	power_off(EXIT_PANIC);
}

void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vpanic(cpu_frame_pointer(), NULL, NULL, fmt, ap);
}

void panic_report(uintptr_t fp, void (*details)(const void *ctx), const void *ctx, const char *fmt,
                  ...)
{
	va_list ap;
	va_start(ap, fmt);
	vpanic(fp, details, ctx, fmt, ap);
}
