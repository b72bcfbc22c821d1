/*
 * Calls into the SBI firmware (OpenSBI) that runs in M-mode below the kernel: timer,
 * inter-processor interrupts, hart start and stop, system reset, and the legacy
 * console used only before the UART is known.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct sbi_result {
	long error; /* 0 on success, SBI_ERR_* otherwise */
	long value;
};

#define SBI_SUCCESS               0
#define SBI_ERR_ALREADY_AVAILABLE (-6)

/* HSM hart states (SBI spec, chapter "Hart State Management"). */
enum sbi_hart_state {
	SBI_HART_STARTED = 0,
	SBI_HART_STOPPED = 1,
	SBI_HART_START_PENDING = 2,
	SBI_HART_STOP_PENDING = 3,
	SBI_HART_SUSPENDED = 4,
};

bool sbi_has_extension(long extension_id);
void sbi_set_timer(uint64_t when);
struct sbi_result sbi_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base);
struct sbi_result sbi_hart_start(unsigned long hartid, uintptr_t start, unsigned long opaque);
struct sbi_result sbi_hart_stop(void);
struct sbi_result sbi_hart_status(unsigned long hartid);
__attribute__((noreturn)) void sbi_shutdown(void);
void sbi_legacy_putchar(char c);
/* Remote TLB flush (the RFENCE extension); contract in kernel/hal/sbi.c. */
struct sbi_result sbi_remote_sfence_vma(unsigned long hart_mask, unsigned long hart_mask_base,
                                        uintptr_t start, unsigned long size);

#define SBI_EXT_TIME   0x54494D45L
#define SBI_EXT_IPI    0x735049L
#define SBI_EXT_HSM    0x48534DL
#define SBI_EXT_SRST   0x53525354L
#define SBI_EXT_RFENCE 0x52464E43L
