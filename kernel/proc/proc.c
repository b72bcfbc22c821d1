/*
 * Processes (kernel/proc/proc.h): the process list, the life of a process from spawn or
 * fork to its reaping, and the trap hooks that run system calls and end faulting
 * programs. One spinlock, proc_lock, guards the list, every parent link and state; a
 * parent in wait() sleeps on its own struct proc, which an exiting child wakes.
 */
#include "proc/proc.h"

#include "debug/panic.h"
#include "debug/shutdown.h"
#include "debug/trace.h"
#include "dev/console.h"
#include "hal/cpu.h"
#include "hal/trap.h"
#include "hal/trapframe.h"
#include "hart/hart.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "proc/exec.h"
#include "proc/files.h"
#include "sched/sched.h"
#include "sched/sleep.h"
#include "sched/thread.h"
#include "smp/smp.h"
#include "sync/spinlock.h"
#include "syscall/syscall.h"
#include "trap/trap.h"
#include "vm/addrspace.h"

struct spinlock proc_lock = SPINLOCK_INIT("proc");
static struct proc *procs; /* every process, newest first */
static struct proc *init;  /* the first process: every orphan's parent */
static int next_pid = 1;
static uint32_t nprocs;

struct proc *proc_current(void)
{
	struct thread *t = thread_current();
	return t ? t->owner : NULL;
}

/* The frame at the top of thread t's kernel stack, where the trap entry saves a program. */
static struct trapframe *frame_of(const struct thread *t)
{
	return (struct trapframe *)(t->stack_hi - sizeof(struct trapframe));
}

struct trapframe *proc_frame(const struct proc *p)
{
	return frame_of(p->thread);
}

/*
 * The first code of a process's thread: it becomes the process's, takes the program's
 * first state into the frame at the top of its stack, and leaves for user mode.
 */
static void process_main(void *arg)
{
	struct proc *p = arg;
	struct thread *me = thread_current();
	/* Its spawner sets this too, but may not have yet: this thread can run first. */
	spin_lock(&proc_lock);
	p->thread = me;
	spin_unlock(&proc_lock);
	struct trapframe *tf = frame_of(me);
	*tf = p->start;
	cpu_irq_disable();
	me->owner = p;
	me->as = p->as;
	as_activate(p->as);
	trap_return_to_user(tf);
}

static struct proc *proc_alloc(const char *name)
{
	struct proc *p = kmalloc(sizeof *p);
	if (p == NULL)
		return NULL;
	*p = (struct proc){.state = PROC_ALIVE};
	strlcpy(p->name, name, sizeof p->name);
	return p;
}

/* Starts p's thread and puts p on the list as a child of parent; false if no thread. */
static bool proc_launch(struct proc *p, struct proc *parent)
{
	spin_lock(&proc_lock);
	p->pid = next_pid++;
	spin_unlock(&proc_lock);
	/* The top of the stack is the program's frame, not the thread's C stack. */
	struct thread *t =
	        thread_create_reserving(process_main, p, p->name, sizeof(struct trapframe) + 16);
	if (t == NULL)
		return false;
	spin_lock(&proc_lock);
	p->thread = t;
	p->parent = parent;
	p->next = procs;
	procs = p;
	nprocs++;
	spin_unlock(&proc_lock);
	return true;
}

void proc_set_init(struct proc *p)
{
	spin_lock(&proc_lock);
	init = p;
	spin_unlock(&proc_lock);
}

struct proc *proc_spawn(const char *name, struct addrspace *as, uintptr_t entry, uintptr_t sp,
                        long argc, uintptr_t argv)
{
	struct proc *p = proc_alloc(name);
	if (p == NULL)
		return NULL;
	p->as = as;
	trapframe_init_user(&p->start, entry, sp);
	p->start.x[REG_A0] = (uint64_t)argc;
	p->start.x[REG_A0 + 1] = argv;
	p->files = files_new();
	if (p->files == NULL || !proc_launch(p, proc_current())) {
		files_free(p->files);
		kfree(p);
		return NULL;
	}
	return p;
}

void proc_exec(struct exec_image *image, const char *name)
{
	struct proc *p = proc_current();
	struct thread *me = thread_current();
	struct addrspace *old = p->as;
	/* Off the old table before it is freed; a switch back from another hart would
	   otherwise reload it (run_thread() activates me->as). */
	cpu_irq_disable();
	p->as = image->as;
	me->as = image->as;
	as_activate(image->as);
	cpu_irq_enable();
	as_destroy(old);
	strlcpy(p->name, name, sizeof p->name);
	struct trapframe *tf = frame_of(me);
	trapframe_init_user(tf, image->entry, image->sp);
	tf->x[REG_A0 + 1] = image->argv;
}

int proc_fork(void)
{
	struct proc *me = proc_current();
	struct proc *child = proc_alloc(me->name);
	if (child == NULL)
		return -1;
	child->as = as_create();
	child->files = files_copy(me->files);
	if (child->as == NULL || child->files == NULL || as_copy(child->as, me->as) != 0)
		goto fail;
	child->start = *proc_frame(me);
	child->start.x[REG_A0] = 0; /* fork() returns 0 in the child */
	if (!proc_launch(child, me))
		goto fail;
	return child->pid;
fail:
	if (child->as)
		as_destroy(child->as);
	files_free(child->files);
	kfree(child);
	return -1;
}

void proc_exit(int status)
{
	struct proc *p = proc_current();
	if (p == NULL)
		panic("proc_exit() called from kernel thread '%s'", thread_current_name());
	files_free(p->files); /* closes descriptors: a pipe's other end may be waiting */
	p->files = NULL;
	spin_lock(&proc_lock);
	/* Orphans go to init; init's own go to the kernel, which is about to shut down. */
	struct proc *heir = p == init ? NULL : init;
	bool zombie_for_init = false;
	for (struct proc *q = procs; q; q = q->next) {
		if (q->parent == p) {
			q->parent = heir;
			zombie_for_init |= q->state == PROC_ZOMBIE;
		}
	}
	p->exit_status = status;
	p->state = PROC_ZOMBIE;
	/* A parent process waits on itself; a kernel thread that spawned p, on p. */
	wakeup(p->parent ? (void *)p->parent : (void *)p);
	if (zombie_for_init && heir)
		wakeup(heir);
	spin_unlock(&proc_lock);
	thread_exit();
}

/* Takes a zombie off the list and frees it; caller must hold proc_lock, which it drops. */
static int reap(struct proc *z, int *status)
{
	for (struct proc **l = &procs; *l; l = &(*l)->next) {
		if (*l == z) {
			*l = z->next;
			break;
		}
	}
	nprocs--;
	spin_unlock(&proc_lock);
	/* The thread may still be switching out: joining waits until it is off its hart. */
	thread_join(z->thread);
	as_destroy(z->as);
	int pid = z->pid;
	if (status)
		*status = z->exit_status;
	kfree(z);
	return pid;
}

int proc_join(struct proc *p)
{
	int status;
	spin_lock(&proc_lock);
	while (p->state != PROC_ZOMBIE)
		sleep_on(p, &proc_lock);
	reap(p, &status);
	return status;
}

int proc_wait(int *status)
{
	struct proc *me = proc_current();
	spin_lock(&proc_lock);
	for (;;) {
		bool children = false;
		for (struct proc *q = procs; q; q = q->next) {
			if (q->parent != me)
				continue;
			children = true;
			if (q->state == PROC_ZOMBIE)
				return reap(q, status);
		}
		if (!children || !proc_sleep_on(me, &proc_lock)) {
			spin_unlock(&proc_lock);
			return -1;
		}
	}
}

bool proc_sleep_on(void *chan, struct spinlock *lk)
{
	/* proc_kill() interrupts the thread: this sleep ends, and so does any later one. */
	return sleep_on_interruptible(chan, lk);
}

int proc_kill(int pid)
{
	int found = -1;
	spin_lock(&proc_lock);
	for (struct proc *q = procs; q; q = q->next) {
		if (q->pid != pid || q->state != PROC_ALIVE || q == init)
			continue;
		q->killed = true;
		thread_interrupt(q->thread);
		found = 0;
	}
	spin_unlock(&proc_lock);
	return found;
}

uint32_t proc_count(void)
{
	spin_lock(&proc_lock);
	uint32_t n = nprocs;
	spin_unlock(&proc_lock);
	return n;
}

void proc_dump(void)
{
	printf("\npid  state    name             wait channel\n");
	spin_lock(&proc_lock);
	for (struct proc *q = procs; q; q = q->next) {
		struct thread *t = q->thread;
		const char *state = q->state == PROC_ZOMBIE       ? "zombie"
		                    : t->state == THREAD_SLEEPING ? "sleeping"
		                    : t->state == THREAD_RUNNING  ? "running"
		                                                  : "runnable";
		if (t->state == THREAD_SLEEPING)
			printf("%-4d %-8s %-16s %p\n", q->pid, state, q->name, t->chan);
		else
			printf("%-4d %-8s %s\n", q->pid, state, q->name);
	}
	spin_unlock(&proc_lock);
}

/* ---- The trap hooks ---- */

/* Prints the one line a killed faulting program gets, and ends it. */
static __attribute__((noreturn)) void kill_faulting(struct proc *p, struct trapframe *tf)
{
	printf("pid %d (%s): %s at 0x%lx, pc 0x%lx\n", p->pid, p->name, trap_cause_name(tf),
	       tf->stval, tf->sepc);
	/* Exiting closes files, which may sleep: leave the trap's interrupts-off state. */
	cpu_irq_enable();
	proc_exit(-1);
}

/* Every exception from user mode: a system call, or the program's fault. */
static void user_exception(struct trapframe *tf)
{
	struct proc *p = proc_current();
	if (p == NULL)
		panic("an exception from user mode with no process on hart %u", this_hart()->id);
	if (trap_cause_code(tf) != EXC_ECALL_U)
		kill_faulting(p, tf);
	tf->sepc += 4; /* past the ecall: it is always 4 bytes */
	trace_syscall(tf->x[17]);
	/* A system call may sleep, and the tick may preempt it: interrupts on. */
	cpu_irq_enable();
	syscall(tf);
}

/* Last stop before user mode: a killed process exits instead of returning. */
static void user_return(struct trapframe *tf)
{
	(void)tf;
	struct proc *p = proc_current();
	if (p && p->killed) {
		cpu_irq_enable();
		proc_exit(-1);
	}
	cpu_irq_disable();
}

static void enable_counters(void)
{
	cpu_user_counters_enable();
}

struct proc *proc_start_init(const char *path)
{
	const char *name = path;
	for (const char *c = path; *c; c++)
		if (*c == '/' && c[1])
			name = c + 1;
	char *args[] = {(char *)name};
	struct exec_image image;
	const char *why;
	if (exec_prepare_path(path, NULL, args, 1, &image, &why) != 0) {
		printf("sprout: cannot start %s: %s\n", path, why);
		return NULL;
	}
	struct proc *p = proc_spawn(name, image.as, image.entry, image.sp, image.argc, image.argv);
	if (p == NULL) {
		as_destroy(image.as);
		printf("sprout: cannot start %s: out of memory\n", path);
		return NULL;
	}
	proc_set_init(p);
	return p;
}

void proc_init(void)
{
	trap_set_user_handlers(user_exception, user_return);
	console_set_ctrl_p(proc_dump);
	smp_call_all(enable_counters);
}
