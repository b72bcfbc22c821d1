/*
 * The current boot phase and the checks against it.
 */
#include "debug/phase.h"

#include "debug/panic.h"
#include "dev/console.h"

static enum boot_phase current = PHASE_EARLY;

static const char *const names[] = {
        [PHASE_EARLY] = "early",
        [PHASE_BOOTSTRAP] = "bootstrap",
        [PHASE_SCHEDULER] = "scheduler",
        [PHASE_PRODUCTION] = "production",
};

enum boot_phase phase_now(void)
{
	return current;
}

const char *phase_name(enum boot_phase phase)
{
	if ((unsigned)phase < sizeof names / sizeof names[0])
		return names[phase];
	return "invalid";
}

void phase_advance(enum boot_phase next)
{
	if (next != current + 1)
		panic("phase_advance: cannot go from phase %s to phase %s (from %pS)",
		      phase_name(current), phase_name(next), __builtin_return_address(0));
	current = next;
	printf("sprout: phase %s\n", phase_name(next));
}

void phase_require_between(enum boot_phase first, enum boot_phase last, const char *what,
                           void *caller)
{
	if (current >= first && current <= last)
		return;
	if (first == last)
		panic("%s() needs phase %s, but the kernel is in phase %s (called from %pS)", what,
		      phase_name(first), phase_name(current), caller);
	if (current < first)
		panic("%s() needs phase %s or later, but the kernel is in phase %s "
		      "(called from %pS)",
		      what, phase_name(first), phase_name(current), caller);
	panic("%s() must run before phase %s, but the kernel is in phase %s (called from %pS)",
	      what, phase_name(last + 1), phase_name(current), caller);
}
