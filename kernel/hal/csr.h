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
 * Caller must know what writing the named CSR does to the running hart: these are the
 * raw accessors, used only inside kernel/hal/.
 */
#define csr_read(name)                                          \
	({                                                      \
		uint64_t v_;                                    \
		__asm__ volatile("csrr %0, " #name : "=r"(v_)); \
		v_;                                             \
	})
#define csr_write(name, value) \
	__asm__ volatile("csrw " #name ", %0" ::"rK"((uint64_t)(value)) : "memory")
#define csr_set(name, bits) \
	__asm__ volatile("csrs " #name ", %0" ::"rK"((uint64_t)(bits)) : "memory")
#define csr_clear(name, bits) \
	__asm__ volatile("csrc " #name ", %0" ::"rK"((uint64_t)(bits)) : "memory")
#define csr_read_clear(name, bits)                         \
	({                                                 \
		uint64_t v_;                               \
		__asm__ volatile("csrrc %0, " #name ", %1" \
		                 : "=r"(v_)                \
		                 : "rK"((uint64_t)(bits))  \
		                 : "memory");              \
		v_;                                        \
	})
