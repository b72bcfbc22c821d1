/*
 * Memory probes: one load or one store that may fault without stopping the kernel.
 * If the access faults, the trap handler sees that sepc is one of the two instructions
 * below (probe_fixup() in kernel/hal/probe.c) and resumes at probe_faulted instead,
 * which returns -1. Tests use them to ask "is this address mapped for me right now?"
 * on a live page table, from any hart.
 */
	.section .text
	.balign 4

	/* long probe_read_byte(uintptr_t addr): the byte at addr (0..255), or -1. */
	.globl probe_read_byte
probe_read_byte:
	.globl probe_load_insn
probe_load_insn:
	lbu	a0, 0(a0)
	ret

	/* long probe_write_byte(uintptr_t addr, uint8_t value): 0, or -1 if it faulted. */
	.globl probe_write_byte
probe_write_byte:
	.globl probe_store_insn
probe_store_insn:
	sb	a1, 0(a0)
	li	a0, 0
	ret

	/* Where a faulting probe resumes: ra still holds the probe's caller. */
	.globl probe_faulted
probe_faulted:
	li	a0, -1
	ret
