/*
 * The lock-order checker. Two harts that take locks of classes A and B in opposite
 * orders can deadlock, each holding the lock the other waits for; whether they do on a
 * given run is luck. The checker takes luck out of it: every time a hart takes a lock
 * while holding others, it learns "class held before class taken", and it panics as
 * soon as some hart takes two classes in an order that contradicts what it learned
 * (directly or through other classes), printing both orders with the sites where the
 * locks were taken. One run that takes each order once is enough, even on one hart.
 *
 * A class is a lock name (kernel/sync/spinlock.h). The checker is on in debug builds
 * (CONFIG_DEBUG, the default) and whenever tests are selected on the command line.
 *
 * spin_lock() calls the checker, and the checker reads the lock it is given and the
 * locks the hart holds: a call circle between spinlock.c and lockorder.c, which this
 * folder keeps on purpose. The checker is part of the lock, in a file of its own so
 * that lab 3's reading list can leave it out.
 */
#pragma once

#include <stdbool.h>

struct spinlock;

/* Turns the checker on from boot on if this is a debug build or tests are selected. */
void lock_order_init(void);

/* Turns the checker on or off (benchmarks measure both); returns the previous setting. */
bool lock_order_set_enabled(bool on);

/*
 * Called by spin_lock() before it waits for lk, which this hart does not hold: learns
 * the order of each held lock's class before lk's, or panics on an inversion. Caller
 * must have interrupts off.
 */
void lock_order_check(struct spinlock *lk, void *site);
