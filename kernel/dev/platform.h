/*
 * What the machine is, as the device tree describes it: RAM, harts, devices and the
 * kernel command line. Read once at boot by platform_probe(); nothing else in the
 * kernel hard-codes an address that the device tree gives.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

#define PLATFORM_MAX_RESERVED 8
#define PLATFORM_MAX_DEVICES  16
#define PLATFORM_MAX_VIRTIO   8 /* QEMU virt has eight virtio-mmio slots */

/*
 * A virtio-mmio slot (compatible "virtio,mmio"): a register window and an interrupt.
 * The tree lists every slot, empty or not; what sits in one (a disk, nothing) is read
 * from its registers once they are mapped (kernel/dev/virtio_blk.h).
 */
struct platform_virtio {
	uint64_t base, size;
	uint32_t irq;
};

/* A device the kernel drives, with its MMIO registers: what the kernel map maps (lab 6). */
struct platform_device {
	const char *name; /* "uart", "plic", ... */
	uint64_t base, size;
};

struct mem_range {
	uint64_t base;
	uint64_t size;
};

struct platform {
	struct mem_range ram;
	struct mem_range dtb; /* where the blob was; its pages are the page
					   allocator's after the handover (lab 5) */
	const void *dtb_copy; /* a copy in boot memory, once boot_alloc() works:
					   what later readers of the tree use */
	struct mem_range reserved[PLATFORM_MAX_RESERVED]; /* firmware-owned RAM */
	int nreserved;

	int nharts; /* harts the tree lists as usable */
	uint32_t hart_ids[MAX_HARTS];
	int nharts_ignored;   /* listed but beyond MAX_HARTS */
	bool has_sstc;        /* "sstc" in riscv,isa: stimecmp instead of SBI timer */
	uint64_t timebase_hz; /* rate of the time CSR */

	uint64_t uart_base;
	uint32_t uart_irq;
	uint64_t test_base; /* sifive,test0: power off with an exit status */
	uint64_t plic_base, plic_size;
	int plic_context[MAX_HARTS]; /* PLIC S-mode context of each hart id, -1 if none */
	uint64_t clint_base;
	struct platform_virtio virtio[PLATFORM_MAX_VIRTIO]; /* in address order */
	int nvirtio;

	/* Every device above, with its register range as the device tree gives it. */
	struct platform_device devices[PLATFORM_MAX_DEVICES];
	int ndevices;

	char bootargs[256];
};

extern struct platform platform;

/*
 * Caller must pass the device-tree address the firmware handed over in a1. Returns NULL
 * on success or a sentence saying what is missing or malformed.
 */
const char *platform_probe(uintptr_t dtb);
