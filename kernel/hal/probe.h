/*
 * Memory probes (kernel/hal/probe.S): a single load or store whose fault is turned into
 * a return value instead of a fatal trap. For tests of paging: a probe answers whether
 * an address is mapped, and with what permission, on the hart that runs it, through
 * its TLB, exactly as ordinary code would see it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct trapframe;

/* The byte at addr, or -1 if reading it faults. Caller must have traps set up (lab 2). */
long probe_read_byte(uintptr_t addr);

/* Writes value at addr; 0, or -1 if the write faults. Caller must have traps set up
   and must own the byte at addr if the write can succeed. */
long probe_write_byte(uintptr_t addr, uint8_t value);

/*
 * If tf is an exception taken at one of the probe instructions, makes the trap return
 * -1 from the probe and returns true. The trap handler calls it before anything else.
 */
bool probe_fixup(struct trapframe *tf);
