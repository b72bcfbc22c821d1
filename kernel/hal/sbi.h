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

/*
 * Every call below is an ecall into M-mode, which runs with the calling hart's
 * interrupts as they are and returns to the instruction after it. Any context (trap
 * handlers included) unless a contract says more; none takes a lock of the kernel's.
 */

/* Whether the firmware implements SBI extension `extension_id` (SBI_EXT_* below). */
bool sbi_has_extension(long extension_id);

/*
 * Asks for a supervisor timer interrupt on the calling hart when the time CSR reaches
 * `when`, replacing the previous request and clearing a pending timer interrupt (SBI
 * TIME). Caller must be the hart whose timer it sets; the kernel goes through
 * timer_hw_set(), which uses Sstc instead when the hart has it.
 */
void sbi_set_timer(uint64_t when);

/*
 * Raises the supervisor software interrupt (sip.SSIP) on hart hart_mask_base + i for
 * each bit i of hart_mask (hart_mask 1 names hart_mask_base alone). It is one pending
 * bit per hart, so IPIs sent before the target takes the first merge into one. Caller
 * must name harts that run the kernel with sie.SSIE on (trap_init_hart()) and a
 * software-interrupt handler that clears it, and must publish what the target is to
 * read with a release store (or fence) before the call: the target may take the
 * interrupt before the call returns.
 */
struct sbi_result sbi_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base);

/*
 * Starts stopped hart `hartid` at `start` in S-mode with a0 = hartid, a1 = opaque
 * (SBI HSM). Caller must pass a `start` of code that expects exactly that, runs with
 * the MMU off and sets up its own stack before touching memory; a hart already
 * running answers SBI_ERR_ALREADY_AVAILABLE.
 */
struct sbi_result sbi_hart_start(unsigned long hartid, uintptr_t start, unsigned long opaque);

/* Caller must have nothing left to do on this hart: it does not return on success. */
struct sbi_result sbi_hart_stop(void);

/* Hart `hartid`'s HSM state in .value (enum sbi_hart_state), as the firmware sees it. */
struct sbi_result sbi_hart_status(unsigned long hartid);

/*
 * Powers the machine off through SBI system reset; never returns. OpenSBI 1.1 makes QEMU
 * exit 0 whatever reason is passed, so callers use power_off() (kernel/hal/power.h),
 * which tries the sifive,test device first.
 */
__attribute__((noreturn)) void sbi_shutdown(void);

/*
 * Prints one byte through the firmware's legacy console: slow (an ecall per byte), but
 * works before the device tree is read. Caller must serialise whole lines itself (the
 * console lock), as for the UART.
 */
void sbi_legacy_putchar(char c);

/*
 * Makes the harts in the mask (this one included if named) execute sfence.vma for
 * [start, start + size), or for every address with size (unsigned long)-1, and returns
 * once they have: the firmware interrupts them in M-mode, which works even while they
 * run with interrupts off in S-mode (the RFENCE extension). Caller must pass a mask of
 * harts that run the kernel.
 */
struct sbi_result sbi_remote_sfence_vma(unsigned long hart_mask, unsigned long hart_mask_base,
                                        uintptr_t start, unsigned long size);

#define SBI_EXT_TIME   0x54494D45L
#define SBI_EXT_IPI    0x735049L
#define SBI_EXT_HSM    0x48534DL
#define SBI_EXT_SRST   0x53525354L
#define SBI_EXT_RFENCE 0x52464E43L
