/*
 * Boot: the order in which the kernel comes up, phase by phase (kernel/debug/phase.h). Each
 * lab adds one step here; the tests of a lab run right after its step
 * (ktest_checkpoint), so a branch where a later lab is missing still tests the
 * earlier ones.
 */
#include "debug/ktest.h"
#include "debug/panic.h"
#include "debug/phase.h"
#include "debug/shutdown.h"
#include "dev/bootargs.h"
#include "dev/console.h"
#include "dev/platform.h"
#include "fs/disk.h"
#include "fs/errno.h"
#include "fs/fs.h"
#include "fs/super.h"
#include "hal/atomic.h"
#include "hal/cpu.h"
#include "hal/power.h"
#include "hal/sbi.h"
#include "hart/hart.h"
#include "lib/string.h"
#include "mm/bump.h"
#include "mm/handover.h"
#include "mm/kmalloc.h"
#include "mm/memmap.h"
#include "mm/pages.h"
#include "proc/proc.h"
#include "sched/sched.h"
#include "sched/thread.h"
#include "smp/smp.h"
#include "sync/lockorder.h"
#include "sync/spinlock.h"
#include "trap/irq.h"
#include "trap/timer.h"
#include "trap/trap.h"
#include "vm/kvm.h"

/* Before the console works, a bad device tree can only be reported through SBI. */
static void __attribute__((noreturn)) early_failure(const char *why)
{
	printf("sprout: cannot boot: %s\n", why);
	sbi_shutdown();
}

static void boot_early(uint32_t hartid, uintptr_t dtb)
{
	const char *err = platform_probe(dtb);
	if (err)
		early_failure(err);
	power_init(platform.test_base);
	console_init();
	printf("\nsprout: booting on hart %u, %d hart%s, %lu MiB RAM at %p\n", hartid,
	       platform.nharts, platform.nharts == 1 ? "" : "s", platform.ram.size >> 20,
	       (void *)platform.ram.base);
	if (platform.nharts_ignored)
		printf("sprout: ignoring %d hart(s) beyond MAX_HARTS=%d\n", platform.nharts_ignored,
		       MAX_HARTS);
	if (platform.test_base == 0)
		printf("sprout: no sifive,test device: failures will exit QEMU with status 0\n");
	bootargs_check();
	ktest_init();
	ktest_checkpoint("core");
}

static void boot_bootstrap(void)
{
	struct memmap map;
	memmap_build(&map);
	memmap_print(&map);
	struct mem_range run = memmap_largest(&map);
	if (run.size == 0)
		panic("no free memory after the kernel image");
	bump_init(run.base, run.base + run.size);
	phase_advance(PHASE_BOOTSTRAP);
	ktest_checkpoint("bump");
	/*
	 * Keep a copy of the device tree in boot memory: lab 5 hands the blob's own pages
	 * to the page allocator. (On a lab 1 student branch, boot stops here.)
	 */
	void *copy = boot_alloc(platform.dtb.size, 8);
	memcpy(copy, (const void *)platform.dtb.base, platform.dtb.size);
	platform.dtb_copy = copy;
}

/*
 * Traps, the timer tick, device interrupts and the interrupt-driven console (lab 2).
 * The breakpoint round trip comes first, while no interrupt can arrive, so a broken
 * trap path shows up there (on a student branch, as the lab-missing stop).
 */
static void boot_traps(void)
{
	trap_init();
	trap_self_check();
	timer_init();
	timer_init_hart();
	irq_init();
	irq_init_hart();
	/* Devices are wired to their interrupts here, so drivers need not know the PLIC. */
	irq_register(platform.uart_irq, "uart", console_interrupt);
	console_start_interrupts();
	cpu_irq_enable();
	/*
	 * The second round trip: the first tick must come within 10 tick periods, or
	 * 200 ms if that is longer: at a high hz= on a loaded host (the grader's
	 * -singlestep boots), a hart can be off its host core for longer than 10 periods.
	 */
	uint64_t wait = 10 * timer_timebase() / timer_hz();
	if (wait < timer_timebase() / 5)
		wait = timer_timebase() / 5;
	uint64_t give_up = timer_now() + wait;
	while (timer_ticks() == 0 && timer_now() < give_up)
		cpu_wait_for_interrupt();
	if (timer_ticks() == 0)
		panic("trap self-check: no timer interrupt within %lu ms (%u Hz, %s)",
		      wait * 1000 / timer_timebase(), timer_hz(), timer_source());
	printf("sprout: traps on: timer %u Hz (%s), PLIC context %d, uart irq %u\n", timer_hz(),
	       timer_source(), platform.plic_context[this_hart()->id], platform.uart_irq);
	ktest_checkpoint("trap");
}

/*
 * Every hart the device tree lists comes up, each on its own stack with its own struct
 * hart, and parks until there is work. (On a lab 3 student branch, boot stops here: the
 * first spin_lock() is in smp_start_secondaries().)
 */
static void boot_harts(void)
{
	lock_order_init();
	smp_start_secondaries();
	ktest_checkpoint("lock");
}

/*
 * The scheduler (lab 4). The code running here becomes the kernel thread "boot", every
 * hart starts its scheduler loop, and the kernel enters the scheduler phase: from here
 * on kmain runs as a thread that any hart may pick up, so its tests can yield, sleep
 * and take mutexes. (On a lab 4 student branch, boot stops at the first context
 * switch, in sched_start().)
 */
static void boot_scheduler(void)
{
	sched_init();
	sched_start("boot");
	/* Threads run, but the phase is still bootstrap: what needs the scheduler phase
	   must still refuse (the sched_boot tests). */
	ktest_checkpoint("sched_boot");
	phase_advance(PHASE_SCHEDULER);
	printf("sprout: scheduler on: thread '%s' on hart %u, slice %u ticks\n",
	       thread_current_name(), this_hart()->id, sched_slice());
	ktest_checkpoint("sched");
}

/*
 * The handover (lab 5): the page allocator takes every free page, boot_alloc() is
 * sealed, kmalloc() works and the thread table grows on demand: the production phase.
 * (On a lab 5 student branch, boot stops here: the handover's self-check is the first
 * use of the buddy allocator's split and merge.)
 */
static void boot_production(void)
{
	handover();
	ktest_checkpoint("buddy");
}

/*
 * Paging (lab 6): the kernel map is built from the page allocator's pages and every hart
 * switches to it. From here on a write to kernel text, a jump into data or a stack
 * overflow into a thread's guard page faults at once. (On a lab 6 student branch, boot
 * stops here, at the first page-table walk.)
 */
static void boot_paging(void)
{
	kvm_init();
	ktest_checkpoint("vm");
}

/*
 * The file system (lab 8): the virtio disk, whose registers the kernel map has mapped by
 * now, its interrupt, and the mount with the log's recovery. Without a disk, or with one
 * that cannot be mounted, the kernel goes on without files and says why in one line.
 */
static void boot_fs(void)
{
	fs_init();
	int err = disk_probe();
	if (err == 0) {
		irq_register(disk_irq(), "virtio-blk", disk_interrupt);
		fs_mount();
	} else {
		printf("sprout: fs: %s\n", err == -ENODEV ? "no disk" : "the disk did not start");
	}
	ktest_checkpoint("fs");
}

/*
 * User mode (lab 7): traps from user mode reach the process layer, which runs system
 * calls and ends faulting programs. (On a lab 7 student branch, the first system call
 * stops the boot.)
 */
static void boot_user(void)
{
	proc_init();
	ktest_checkpoint("user");
}

/*
 * The first program (lab 7): /init from the disk, or the one init= names, as a child of
 * this thread. When it exits, the kernel shuts down with its verdict. Without a file
 * system there is nothing to run.
 */
static void run_init(void)
{
	char path[MAXPATH] = "/init";
	if (!fs_mounted())
		return;
	bootarg("init", path, sizeof path);
	struct proc *init = proc_start_init(path);
	if (init == NULL)
		return;
	int status = proc_join(init);
	printf("sprout: %s exited with status %d\n", path, status);
	shutdown(status == 0 ? EXIT_OK : EXIT_TESTS_FAILED);
}

/*
 * Caller must be entry.S: the boot hart, on its boot stack, with a0 = hart id and
 * a1 = device-tree address from the firmware.
 */
void kmain(uint32_t hartid, uintptr_t dtb)
{
	hart_bind(hartid);
	boot_hart_id = hartid;
	boot_early(hartid, dtb);
	boot_bootstrap();
	boot_traps();
	boot_harts();
	boot_scheduler();
	boot_production();
	boot_paging();
	boot_fs();
	boot_user();

	/* In the thread "boot", on whichever hart runs it. */
	if (ktest_active())
		ktest_finish();
	bump_print_stats();
	trap_print_stats();
	spin_stats_print();
	sched_print_stats();
	pages_print_stats();
	kmalloc_print_stats();
	printf("sprout: boot complete\n");
	run_init();
	shutdown(EXIT_OK);
}

/*
 * Caller must be entry.S, on hart `hartid`'s own boot stack: a hart started through SBI
 * HSM, or one that came in through _start and lost the boot claim.
 */
void kmain_secondary(uint32_t hartid)
{
	/* Too late: the boot hart has given up waiting and counts this hart offline. */
	if (atomic_load_relaxed(&harts[hartid].activity) != HART_STARTING)
		cpu_halt();
	hart_bind(hartid);
	smp_secondary_main();
}
