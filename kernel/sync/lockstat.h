/*
 * Spinlock statistics, the part shared by kernel/sync/spinlock.c and kernel/sync/lockstat.c.
 * Users read them through spin_stats() and spin_stats_print() (kernel/sync/spinlock.h).
 */
#pragma once

#include <stdint.h>

struct spinlock;

/* Puts lk on the list spin_stats_print() walks, once. Any context. */
void lockstat_register(struct spinlock *lk);
void lockstat_unregister(struct spinlock *lk);

/* Caller must have just taken lk after `spins` turns of waiting. */
void lockstat_acquired(struct spinlock *lk, uint64_t spins);
