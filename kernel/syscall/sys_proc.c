/*
 * The system calls about processes, memory and time: thin wrappers that fetch and check
 * arguments and call kernel/proc/ and kernel/vm/.
 */
#include "abi/syscall.h"
#include "fs/file.h"
#include "fs/inode.h"
#include "mm/kmalloc.h"
#include "mm/pages.h"
#include "proc/proc.h"
#include "sched/sleep.h"
#include "sync/spinlock.h"
#include "syscall/syscall.h"
#include "trap/timer.h"
#include "vm/addrspace.h"

long sys_fork(void)
{
	return proc_fork();
}

long sys_exit(void)
{
	proc_exit(arg_int(0));
}

long sys_wait(void)
{
	uintptr_t where = arg_addr(0);
	int status;
	/* A bad pointer fails the call before any child is reaped: none is lost. The
	   process is single-threaded, so the place stays writable until the copy. */
	if (where && !as_writable(proc_current()->as, where, sizeof status))
		return -1;
	int pid = proc_wait(&status);
	if (pid > 0 && where && copyout(proc_current()->as, where, &status, sizeof status) != 0)
		return -1;
	return pid;
}

long sys_kill(void)
{
	return proc_kill(arg_int(0));
}

long sys_getpid(void)
{
	return proc_current()->pid;
}

long sys_sbrk(void)
{
	uintptr_t old = as_sbrk(proc_current()->as, arg_int(0));
	return old ? (long)old : -1;
}

/* Timer ticks since boot, from the time CSR: the same on every hart. */
static uint64_t ticks_now(void)
{
	return timer_now() / (timer_timebase() / timer_hz());
}

long sys_uptime(void)
{
	return (long)ticks_now();
}

/* Sleepers wait on this, and every tick wakes them to look at the clock. */
static struct spinlock ticks_lock = SPINLOCK_INIT("sleep_ticks");
static volatile uint32_t sleepers;
static char ticks_channel;

static void wake_sleepers(void)
{
	if (sleepers)
		wakeup(&ticks_channel);
}

long sys_sleep(void)
{
	int n = arg_int(0);
	uint64_t until = ticks_now() + (uint64_t)(n > 0 ? n : 0);
	long result = 0;
	spin_lock(&ticks_lock);
	sleepers++;
	timer_set_tick_hook(wake_sleepers);
	while (ticks_now() < until) {
		if (!proc_sleep_on(&ticks_channel, &ticks_lock)) {
			result = -1;
			break;
		}
	}
	sleepers--;
	spin_unlock(&ticks_lock);
	return result;
}

long sys_sysstats(void)
{
	/* Empty slabs the heap keeps are free memory: give them back before counting. */
	kmalloc_trim();
	struct sysstats s = {
	        .free_pages = pages_free_count(),
	        .procs = proc_count(),
	        .files = (uint32_t)file_count(),
	        .inodes = inode_in_use(),
	};
	return copyout(proc_current()->as, arg_addr(0), &s, sizeof s) == 0 ? 0 : -1;
}
