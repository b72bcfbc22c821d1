/*
 * Control and status registers of the supervisor level.
 *
 * This header and the rest of kernel/hal/ are the only places that name a CSR; the
 * kernel above them asks for an operation ("interrupts off"), never for a register.
 */
#pragma once

#include <stdint.h>

/* sstatus */
#define SSTATUS_SIE  (1UL << 1) /* interrupts enabled in S-mode */
#define SSTATUS_SPIE (1UL << 5) /* SIE before the trap */
#define SSTATUS_SPP  (1UL << 8) /* trap came from S-mode */

/* sie / sip */
#define SIE_SSIE (1UL << 1) /* software (inter-processor) interrupt */
#define SIE_STIE (1UL << 5) /* timer interrupt */
#define SIE_SEIE (1UL << 9) /* external (PLIC) interrupt */

/*
 * The Sstc extension's stimecmp: the timer interrupt fires once time >= stimecmp.
 * Named by number because the assembler accepts the name only with Sstc in -march (and
 * older ones not at all), while whether the hart has Sstc is learnt at run time.
 */
#define CSR_STIMECMP 0x14d

/* A CSR's name or number as assembler text, macros (CSR_STIMECMP) expanded first. */
#define CSR_TEXT(csr)  CSR_TEXT_(csr)
#define CSR_TEXT_(csr) #csr

/*
 * The raw accessors, used only inside kernel/hal/. `csr` is a CSR name the assembler
 * knows (sstatus, sie, ...) or a CSR_* number from above.
 *
 * Caller must name a CSR that S-mode may access on this hart (anything else, or a write
 * to a read-only CSR, is an illegal-instruction trap) and must know what the access does
 * to the running hart: these read and change the calling hart's own registers only, and
 * a write can turn interrupts on, move the trap vector or arm the timer. Each is one
 * instruction and a compiler barrier ("memory" clobber), except csr_read, which orders
 * nothing around itself.
 */

/* Reads the CSR (csrr). */
#define csr_read(csr)                                                   \
	({                                                              \
		uint64_t v_;                                            \
		__asm__ volatile("csrr %0, " CSR_TEXT(csr) : "=r"(v_)); \
		v_;                                                     \
	})

/* Writes value to the CSR (csrw). */
#define csr_write(csr, value) \
	__asm__ volatile("csrw " CSR_TEXT(csr) ", %0" ::"rK"((uint64_t)(value)) : "memory")

/* Sets the bits of `bits` in the CSR and leaves the others (csrs). */
#define csr_set(csr, bits) \
	__asm__ volatile("csrs " CSR_TEXT(csr) ", %0" ::"rK"((uint64_t)(bits)) : "memory")

/* Clears the bits of `bits` in the CSR and leaves the others (csrc). */
#define csr_clear(csr, bits) \
	__asm__ volatile("csrc " CSR_TEXT(csr) ", %0" ::"rK"((uint64_t)(bits)) : "memory")

/* Clears the bits of `bits` and returns the CSR's value from before, in one step (csrrc). */
#define csr_read_clear(csr, bits)                                  \
	({                                                         \
		uint64_t v_;                                       \
		__asm__ volatile("csrrc %0, " CSR_TEXT(csr) ", %1" \
		                 : "=r"(v_)                        \
		                 : "rK"((uint64_t)(bits))          \
		                 : "memory");                      \
		v_;                                                \
	})
