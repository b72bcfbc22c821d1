/*
 * Powering the machine off with an exit status QEMU passes on to its own exit status,
 * through the sifive,test device (see docs/protocol.md for the statuses).
 */
#pragma once

#include <stdint.h>

void power_init(uintptr_t test_device_base);
__attribute__((noreturn)) void power_off(int status);
