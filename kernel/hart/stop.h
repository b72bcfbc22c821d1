/*
 * Stopping every hart: the last thing a panic or a shutdown does before powering off.
 * This path takes no lock and allocates nothing, so it works while any lock is held,
 * broken or being waited for: that is why it is not part of kernel/smp/smp.c, whose
 * start-up code uses spinlocks.
 */
#pragma once

/*
 * Asks every other online hart to stop: each halts at its next look at the request
 * (stop_poll(): the parking loop, a lock wait, the scheduler loop, or the IPI this
 * sends). Waits briefly for them; a hart that does not halt in time is named. The
 * first hart to ask wins; a later asker returns and is itself stopped. Any context.
 */
void stop_other_harts(void);

/* Halts this hart for good if another hart has asked every other one to stop. Long
   loops and the IPI handler call it. Any context. */
void stop_poll(void);
