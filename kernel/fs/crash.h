/*
 * Crash points: the kernel argument `crash=POINT:N` stops the machine at a chosen moment
 * of the file system's disk writes, as a power cut would, so that the graders can check
 * what recovery makes of the disk afterwards (docs/labs/8-fs.md).
 *
 * Every point is "just before a write": the writes before it have reached the disk,
 * none after it has. The points name the steps of a commit by what the write is (the
 * log header with a count, a log copy, a home block, the header cleared), so they do not
 * depend on how the commit is written:
 *
 *   logged:N     before commit N's header: its copies are in the log, not committed
 *   header:N     before commit N's first home write: committed, nothing installed
 *   install:N    before commit N's second home write: one block installed
 *   installed:N  before commit N clears the header: every block installed
 *   recover:N    before the N-th write of the recovery at mount
 *   write:N      before the N-th block write since the mount began, whatever it is
 *
 * Commits count from 1 at each mount, by the writes of a header with a nonzero count.
 * The machine stops with "sprout: crash point POINT:N: the machine stops" and exit
 * status 0; a point that is never reached changes nothing.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Boot, once: reads crash= from the command line (a bad value is reported, ignored). */
void crash_init(void);

/* The mount tells where the log header is, and when recovery starts and ends. */
void crash_mount_begin(uint32_t log_header, uint32_t nlog);
void crash_mount_end(void);

/*
 * Called by the disk layer for each block write, in order, before submitting it: true if
 * the machine must stop instead (the caller then waits for its earlier writes and calls
 * crash_stop()). Caller must hold the disk layer's lock, which orders the writes.
 */
bool crash_before_write(uint32_t blockno, const void *data);

/* Prints the crash line and powers off, exit status 0. */
__attribute__((noreturn)) void crash_stop(void);

/* Commits seen since the mount (header writes with a count), for tests. */
uint32_t crash_commits(void);
