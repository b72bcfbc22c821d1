/*
 * Tests of lab 7, user mode (kernel/proc/, kernel/syscall/), that need no file system:
 * the programs of kernel/tests/user_code.S are wrapped in ELF images made here, in
 * memory, and run as processes that this kernel thread spawns and reaps. Hostile images
 * check that the loader refuses every bad header without leaking a page.
 */
#include "abi/memlayout.h"
#include "config.h"
#include "debug/ktest.h"
#include "lib/string.h"
#include "mm/pages.h"
#include "proc/elf.h"
#include "proc/exec.h"
#include "proc/proc.h"
#include "sched/thread.h"
#include "tests/test_util.h"
#include "vm/addrspace.h"

#define DECLARE_PROGRAM(name) extern const char name[], name##_end[]
DECLARE_PROGRAM(user_exit42);
DECLARE_PROGRAM(user_fault);
DECLARE_PROGRAM(user_fork);
DECLARE_PROGRAM(user_badcalls);
DECLARE_PROGRAM(user_sbrk);
DECLARE_PROGRAM(user_sleeper);
DECLARE_PROGRAM(user_spinner);
DECLARE_PROGRAM(user_args);

/* An ELF image: the header, one program header, the code at file offset CODE_OFFSET. */
#define CODE_OFFSET 0x1000
#define IMAGE_MAX   (CODE_OFFSET + 0x1000)
struct image {
	size_t size;
	union {
		struct {
			struct elf_header h;
			struct elf_phdr ph[2];
		};
		char bytes[IMAGE_MAX];
	};
};

/* A valid executable whose one segment (read+execute, at USER_BASE) holds the code. */
static void make_image(struct image *im, const char *code, const char *code_end)
{
	size_t n = (size_t)(code_end - code);
	memset(im, 0, sizeof *im);
	im->h = (struct elf_header){.magic = ELF_MAGIC,
	                            .class = ELF_CLASS_64,
	                            .data = ELF_DATA_LSB,
	                            .ident_version = ELF_VERSION,
	                            .type = ELF_TYPE_EXEC,
	                            .machine = ELF_MACH_RISCV,
	                            .version = ELF_VERSION,
	                            .entry = USER_BASE,
	                            .phoff = sizeof(struct elf_header),
	                            .ehsize = sizeof(struct elf_header),
	                            .phentsize = sizeof(struct elf_phdr),
	                            .phnum = 1};
	im->ph[0] = (struct elf_phdr){.type = PT_LOAD,
	                              .flags = PF_R | PF_X,
	                              .offset = CODE_OFFSET,
	                              .vaddr = USER_BASE,
	                              .filesz = n,
	                              .memsz = n,
	                              .align = PAGE_SIZE};
	memcpy(im->bytes + CODE_OFFSET, code, n);
	im->size = CODE_OFFSET + n;
}

/* Loads the image and runs it as a process; returns its exit status, or -1000 if the
   loader refused it (*why says why). */
static int run_image(const struct image *im, const char *name, char *const args[], int argc,
                     const char **why)
{
	struct exec_memory mem = {im->bytes, im->size};
	struct exec_source src = {&mem, exec_memory_read};
	struct exec_image ex;
	if (exec_prepare(&src, args, argc, &ex, why) != 0)
		return -1000;
	struct proc *p = proc_spawn(name, ex.as, ex.entry, ex.sp, ex.argc, ex.argv);
	if (p == NULL) {
		as_destroy(ex.as);
		*why = "proc_spawn failed";
		return -1000;
	}
	return proc_join(p);
}

static int run_program(const char *code, const char *code_end, const char *name)
{
	static struct image im;
	const char *why = NULL;
	make_image(&im, code, code_end);
	char *args[] = {(char *)name};
	int status = run_image(&im, name, args, 1, &why);
	if (why)
		ktest_info("refused=\"%s\"", why);
	return status;
}

#define RUN(prog) run_program(prog, prog##_end, #prog)

/* A program runs in user mode, makes system calls, and its exit status comes back. */
KTEST(user, exit_status)
{
	size_t before = pages_free_count();
	int status = RUN(user_exit42);
	KCHECK(status == 42, "the program exited with %d, not 42", status);
	/* Twice: the first run's kmalloc slabs are the heap's to keep. */
	before = pages_free_count();
	status = RUN(user_exit42);
	KCHECK(status == 42, "the second run exited with %d", status);
	KCHECK(pages_free_count() == before, "a run lost %ld pages",
	       (long)(before - pages_free_count()));
}

/* A faulting program is killed with -1 and the kernel goes on. */
KTEST(user, fault)
{
	int status = RUN(user_fault);
	KCHECK(status == -1, "the faulting program exited with %d, not -1", status);
}

/* fork: the child gets 0 and exits 7; the parent's wait gets the child's pid and 7. */
KTEST(user, fork_wait)
{
	int status = RUN(user_fork);
	KCHECK(status == 8,
	       "the parent exited with %d, not 1 + the child's 7 (99: fork or wait "
	       "failed)",
	       status);
}

/* Bad system calls return -1 and change nothing. */
KTEST(user, bad_calls)
{
	int status = RUN(user_badcalls);
	KCHECK(status == 0, "check %d of the bad calls did not return -1", status);
}

/* sbrk grows the heap by a writable page and shrinks it back. */
KTEST(user, sbrk)
{
	int status = RUN(user_sbrk);
	KCHECK(status == 0, "sbrk failed at step %d", status);
}

/* The arguments reach the program as argc and argv. */
KTEST(user, args)
{
	static struct image im;
	make_image(&im, user_args, user_args_end);
	char *args[] = {"user_args", "7"};
	const char *why = NULL;
	int status = run_image(&im, "user_args", args, 2, &why);
	KCHECK(status == 27, "the program saw the wrong arguments: exit %d (%s)", status,
	       why ? why : "ran");
}

/* Spawns prog and kills it once it is sleeping (or running, for the spinner). */
static int run_and_kill(const char *code, const char *code_end, const char *name, bool sleeps)
{
	static struct image im;
	make_image(&im, code, code_end);
	struct exec_memory mem = {im.bytes, im.size};
	struct exec_source src = {&mem, exec_memory_read};
	struct exec_image ex;
	const char *why;
	char *args[] = {(char *)name};
	if (exec_prepare(&src, args, 1, &ex, &why) != 0)
		return -1000;
	struct proc *p = proc_spawn(name, ex.as, ex.entry, ex.sp, ex.argc, ex.argv);
	if (p == NULL)
		return -1001;
	if (sleeps)
		yield_until_sleeping(p->thread, 2000);
	else
		yield_for_ms(50);
	proc_kill(p->pid);
	return proc_join(p);
}

/* kill ends a process sleeping in the kernel, and one spinning in user mode. */
KTEST(user, kill)
{
	int status = run_and_kill(user_sleeper, user_sleeper_end, "sleeper", true);
	KCHECK(status == -1, "the killed sleeper exited with %d, not -1", status);
	status = run_and_kill(user_spinner, user_spinner_end, "spinner", false);
	KCHECK(status == -1, "the killed spinner exited with %d, not -1", status);
}

/* Each hostile image, and what exec must say about it. */
static void break_magic(struct image *im)
{
	im->h.magic ^= 1;
}
static void break_class(struct image *im)
{
	im->h.class = 1;
}
static void break_machine(struct image *im)
{
	im->h.machine = 62;
}
static void break_type(struct image *im)
{
	im->h.type = 3;
}
static void break_phnum(struct image *im)
{
	im->h.phnum = 0;
}
static void break_phoff(struct image *im)
{
	im->h.phoff = 0x7ffffffffff0;
}
static void break_filesz(struct image *im)
{
	im->ph[0].filesz = im->ph[0].memsz + 1;
}
static void break_kernel(struct image *im)
{
	im->ph[0].vaddr = 0x80200000;
	im->h.entry = 0x80200000;
}
static void break_wrap(struct image *im)
{
	im->ph[0].vaddr = USER_TOP - PAGE_SIZE;
	im->ph[0].memsz = ~0UL - 100;
}
static void break_entry(struct image *im)
{
	im->h.entry = USER_BASE + 0x100000;
}
static void break_align(struct image *im)
{
	im->ph[0].vaddr += 8;
}
static void break_truncated(struct image *im)
{
	im->size = CODE_OFFSET + 2;
}
static void break_wx(struct image *im)
{
	im->ph[0].flags |= PF_W;
}
static void break_overlap(struct image *im)
{
	im->h.phnum = 2;
	im->ph[1] = im->ph[0];
	im->ph[1].memsz = im->ph[1].filesz = PAGE_SIZE;
	im->ph[0].memsz = 2 * PAGE_SIZE; /* reaches into the second's page */
	im->ph[1].vaddr += PAGE_SIZE;
	im->ph[1].flags = PF_R;
}

static const struct {
	void (*spoil)(struct image *);
	const char *why;
} hostile[] = {
        {break_magic, "not an ELF file"},
        {break_class, "not a 64-bit little-endian ELF file"},
        {break_machine, "not a RISC-V program"},
        {break_type, "not an executable"},
        {break_phnum, "bad program headers"},
        {break_phoff, "program headers past the end of the file"},
        {break_filesz, "a segment has more file bytes than memory"},
        {break_kernel, "a segment lies outside user memory"},
        {break_wrap, "a segment lies outside user memory"},
        {break_entry, "the entry point is not in an executable segment"},
        {break_align, "a segment is empty or not page-aligned"},
        {break_truncated, "a segment could not be loaded (truncated file, or out of memory)"},
        {break_wx, "a segment is both writable and executable"},
        {break_overlap, "two segments overlap"},
};

/* The loader refuses every kind of bad image, says why, and loses no page. */
KTEST(user, bad_elf)
{
	static struct image im;
	/* Once good, so that the heap's slabs exist before counting. */
	KCHECK(RUN(user_exit42) == 42, "the good image does not run");
	size_t before = pages_free_count();
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		make_image(&im, user_exit42, user_exit42_end);
		hostile[i].spoil(&im);
		const char *why = NULL;
		char *args[] = {"hostile"};
		int status = run_image(&im, "hostile", args, 1, &why);
		KCHECK(status == -1000, "hostile image %zu ran (status %d)", i, status);
		KCHECK(why && strcmp(why, hostile[i].why) == 0,
		       "hostile image %zu refused with \"%s\", expected \"%s\"", i, why ? why : "?",
		       hostile[i].why);
	}
	KCHECK(pages_free_count() == before, "refusing the images lost %ld pages",
	       (long)(before - pages_free_count()));
	ktest_info("refused=%zu", sizeof hostile / sizeof hostile[0]);
}
