/*
 * Boot phases: the order in which the kernel's subsystems become usable, held in one
 * place. Each phase only adds capabilities; code that needs one asserts the phase.
 *
 *   early      one hart, no allocator: read the device tree, start the console
 *   bootstrap  boot_alloc() (lab 1), static tables; traps (lab 2) and the other
 *              harts with spinlocks (lab 3) come up during this phase
 *   scheduler  kernel threads run; sleeping mutexes may be used (lab 4)
 *   production the page and object allocators own memory; boot_alloc() is sealed (lab 5)
 */
#pragma once

enum boot_phase {
	PHASE_EARLY,
	PHASE_BOOTSTRAP,
	PHASE_SCHEDULER,
	PHASE_PRODUCTION,
};

enum boot_phase phase_now(void);
const char *phase_name(enum boot_phase phase);

/* Moves to the next phase; phases only go forward, one step at a time. */
void phase_advance(enum boot_phase next);

/*
 * Panic unless the kernel is in [first, last], naming `what` and the caller, e.g.
 * "mutex_lock() needs phase scheduler or later, but the kernel is in phase bootstrap".
 */
void phase_require_between(enum boot_phase first, enum boot_phase last, const char *what,
                           void *caller);

#define assert_phase_at_least(p) \
	phase_require_between((p), PHASE_PRODUCTION, __func__, __builtin_return_address(0))
#define assert_phase_before(p) \
	phase_require_between(PHASE_EARLY, (p)-1, __func__, __builtin_return_address(0))
#define assert_phase(p) phase_require_between((p), (p), __func__, __builtin_return_address(0))
