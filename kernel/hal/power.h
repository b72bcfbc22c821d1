/*
 * Powering the machine off with an exit status QEMU passes on to its own exit status,
 * through the sifive,test device (see docs/protocol.md for the statuses).
 */
#pragma once

#include <stdint.h>

/*
 * Caller must pass the base of the sifive,test device from the device tree, or 0 if
 * there is none, and be the boot hart, before any power_off() whose status matters.
 */
void power_init(uintptr_t test_device_base);

/*
 * Powers the machine off; QEMU exits with `status` (0 to 0xffff). Any context, any hart,
 * interrupts on or off; it never returns, and the other harts stop with the machine
 * wherever they are. Caller must have flushed what it wants seen: bytes still in the
 * console's ring are lost (shutdown() and panic() flush first). Before power_init(),
 * or without the device, it falls back to SBI system reset, after which QEMU exits 0
 * whatever the status (OpenSBI 1.1).
 */
__attribute__((noreturn)) void power_off(int status);
