/*
 * The kernel map (kernel/vm/kvm.h): built once from the linker's section boundaries and
 * the device tree, then loaded into satp on every hart at once.
 *
 *   0x80200000  kernel text            r-x   kernel_start .. kernel_text_end
 *               read-only data, tests  r--   .. kernel_rodata_end
 *               data, bss, boot stacks rw-   .. kernel_end
 *               free memory            rw-   .. end of RAM
 *   devices     UART, PLIC, test, ...  rw-   from platform.devices[]
 *
 * OpenSBI's memory below the kernel is not mapped: the kernel has no business there.
 */
#include "vm/kvm.h"

#include "abi/memlayout.h"
#include "config.h"
#include "debug/lab.h"
#include "debug/panic.h"
#include "dev/console.h"
#include "dev/platform.h"
#include "hal/sbi.h"
#include "hal/sv39.h"
#include "hart/hart.h"
#include "lib/format.h"
#include "mm/memmap.h"
#include "smp/smp.h"
#include "sync/spinlock.h"

extern const char kernel_text_end[], kernel_rodata_end[];

static pagetable_t kernel_pt;
static volatile bool enabled;
/* Guards changes to kernel_pt after boot: guard pages come and go from any hart. */
static struct spinlock kvm_lock = SPINLOCK_INIT("kvm");

/* Maps [lo, hi) directly with perm, or stops the boot: the kernel needs all of it. */
static void map_direct(pagetable_t pt, uintptr_t lo, uintptr_t hi, uint64_t perm, const char *what)
{
	if (hi <= lo)
		return;
	/* User address spaces share the kernel's root entries below USER_BASE only. */
	if (hi > USER_BASE)
		panic("kernel map: %s %p-%p reaches into user space, which starts at %p", what,
		      (void *)lo, (void *)hi, (void *)USER_BASE);
	int r = pt_map(pt, lo, lo, hi - lo, perm | PTE_G);
	if (r != PT_OK)
		panic("kernel map: cannot map %s %p-%p: %s", what, (void *)lo, (void *)hi,
		      r == PT_NO_MEMORY ? "out of memory" : "already mapped");
}

/*
 * The kernel image and the rest of RAM, each part with the least it needs: code can be
 * run but not written, read-only data only read, and nothing writable can be run.
 */
static void map_kernel_image(pagetable_t pt)
{
	uintptr_t ram_end = platform.ram.base + platform.ram.size;
	// LAB vm: BEGIN
	map_direct(pt, (uintptr_t)kernel_start, (uintptr_t)kernel_text_end, PTE_R | PTE_X,
	           "kernel text");
	map_direct(pt, (uintptr_t)kernel_text_end, (uintptr_t)kernel_rodata_end, PTE_R,
	           "read-only data");
	map_direct(pt, (uintptr_t)kernel_rodata_end, (uintptr_t)kernel_end, PTE_R | PTE_W,
	           "kernel data");
	map_direct(pt, (uintptr_t)kernel_end, ram_end, PTE_R | PTE_W, "free memory");
	// LAB vm: STUB
	// /* Your code here: see docs/labs/6-vm.md. */
	// (void)pt;
	// (void)ram_end;
	// (void)map_direct;
	// lab_missing("paging", "docs/labs/6-vm.md");
	// LAB vm: END
}

/* Every device the device tree gave the kernel, read+write and never executable. */
static void map_devices(pagetable_t pt)
{
	for (int i = 0; i < platform.ndevices; i++) {
		const struct platform_device *d = &platform.devices[i];
		uintptr_t lo = d->base & ~(uintptr_t)(PAGE_SIZE - 1);
		uintptr_t hi = (d->base + d->size + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);
		map_direct(pt, lo, hi, PTE_R | PTE_W, d->name);
	}
}

/* Run on every hart by smp_call_all(): from here on this hart translates. */
static void switch_this_hart(void)
{
	sv39_switch_to((uintptr_t)kernel_pt);
}

void kvm_init(void)
{
	kernel_pt = pt_create();
	if (kernel_pt == NULL)
		panic("kernel map: no page for the root table");
	map_kernel_image(kernel_pt);
	map_devices(kernel_pt);
	const char *bad = kvm_check();
	if (bad)
		panic("kernel map: %s", bad);
	smp_call_all(switch_this_hart);
	enabled = true;
	printf("sprout: paging on: %lu page tables, %d device%s mapped, on every hart\n",
	       (unsigned long)pt_count_tables(kernel_pt), platform.ndevices,
	       platform.ndevices == 1 ? "" : "s");
}

bool kvm_enabled(void)
{
	return enabled;
}

pagetable_t kvm_root(void)
{
	return kernel_pt;
}

void kvm_flush(uintptr_t va, size_t size)
{
	unsigned long mask = 0;
	for (int i = 0; i < MAX_HARTS; i++)
		if (harts[i].online)
			mask |= 1UL << harts[i].id;
	/* The firmware fences the harts in the mask, this one included. */
	struct sbi_result r = sbi_remote_sfence_vma(mask, 0, va, size);
	if (r.error != SBI_SUCCESS) {
		/* No RFENCE: flush here; other harts would keep stale entries, so say so. */
		sv39_flush_all();
		panic("kvm_flush: the firmware refused a remote sfence.vma (error %ld)", r.error);
	}
}

uintptr_t kvm_guard_stack(uintptr_t region_lo)
{
	if (!enabled)
		return region_lo;
	spin_lock(&kvm_lock);
	pt_unmap(kernel_pt, region_lo, PAGE_SIZE, false);
	spin_unlock(&kvm_lock);
	kvm_flush(region_lo, PAGE_SIZE);
	return region_lo + PAGE_SIZE;
}

void kvm_unguard_stack(uintptr_t region_lo)
{
	/* A TLB never caches an absent entry, so mapping it needs no flush. */
	spin_lock(&kvm_lock);
	int r = pt_map(kernel_pt, region_lo, region_lo, PAGE_SIZE, PTE_R | PTE_W | PTE_G);
	spin_unlock(&kvm_lock);
	if (r != PT_OK)
		panic("kvm_unguard_stack: cannot map %p again (%d)", (void *)region_lo, r);
}

/* The permission the kernel map must give page pa of the image, or 0 if any will do. */
static uint64_t expected_perm(uintptr_t pa)
{
	if (pa >= (uintptr_t)kernel_start && pa < (uintptr_t)kernel_text_end)
		return PTE_R | PTE_X;
	if (pa >= (uintptr_t)kernel_text_end && pa < (uintptr_t)kernel_rodata_end)
		return PTE_R;
	if (pa >= (uintptr_t)kernel_rodata_end && pa < (uintptr_t)kernel_end)
		return PTE_R | PTE_W;
	return 0;
}

const char *kvm_check(void)
{
	static char why[128];
	uintptr_t ram_end = platform.ram.base + platform.ram.size;
	for (uintptr_t pa = (uintptr_t)kernel_start; pa < ram_end; pa += PAGE_SIZE) {
		uint64_t perm;
		uintptr_t got;
		if (!pt_translate(kernel_pt, pa, &got, &perm)) {
			if (pa < (uintptr_t)kernel_end) {
				snprintf(why, sizeof why, "%p of the kernel image is not mapped",
				         (void *)pa);
				return why;
			}
			continue; /* a guard page, or RAM the map left out */
		}
		uint64_t rwx = perm & (PTE_R | PTE_W | PTE_X);
		uint64_t want = expected_perm(pa);
		if (got != pa || (rwx & PTE_W && rwx & PTE_X) || (perm & PTE_U) ||
		    (want && rwx != want)) {
			snprintf(why, sizeof why, "page %p maps to %p with %s%s%s%s", (void *)pa,
			         (void *)got, rwx & PTE_R ? "r" : "-", rwx & PTE_W ? "w" : "-",
			         rwx & PTE_X ? "x" : "-", perm & PTE_U ? "u" : "");
			return why;
		}
	}
	return NULL;
}
