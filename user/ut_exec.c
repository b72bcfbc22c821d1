/*
 * usertests: exec. Arguments reach the new program; too many or too large fail; a tiny
 * ELF file made here runs; then that file broken in every way user/README.md says the
 * loader checks, and files that are not programs at all (garbage, empty, truncated
 * copies of /echo, directories), must make exec return -1 and leave the caller as it
 * was.
 */
#include "ut.h"

/* ---------------------------------------------------------------- running /echo */

static char out[4096];

/* Runs /echo with argv, stdout into a file; returns what it printed. */
static const char *echo_output(char **argv)
{
	int pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(1);
		int fd = open("ut_echo", O_CREATE | O_TRUNC | O_WRONLY);
		if (fd != 1)
			exit(98);
		exec("/echo", argv);
		exit(99);
	}
	int status = ut_wait_for(pid);
	CHECK(status == 0, "/echo exited with %d (99: exec failed)", status);
	int fd = open("ut_echo", O_RDONLY);
	CHECK(fd >= 0);
	int n = read(fd, out, sizeof(out) - 1);
	close(fd);
	CHECK(n >= 0);
	out[n] = '\0';
	unlink("ut_echo");
	return out;
}

void test_exec_args(void)
{
	char *none[] = {"echo", 0};
	CHECK(strcmp(echo_output(none), "\n") == 0, "got \"%s\"", out);
	char *some[] = {"echo", "a", "bc", "", "d e", 0};
	CHECK(strcmp(echo_output(some), "a bc  d e\n") == 0, "got \"%s\"", out);
	char *renamed[] = {"not-echo", "x", 0};
	CHECK(strcmp(echo_output(renamed), "x\n") == 0, "got \"%s\"", out);

	static char *most[MAXARG + 1];
	static char want[2 * MAXARG + 1];
	most[0] = "echo";
	want[0] = '\0';
	for (int i = 1; i < MAXARG; i++) {
		most[i] = "x";
		memmove(want + strlen(want), i > 1 ? " x" : "x", 3);
	}
	memmove(want + strlen(want), "\n", 2);
	most[MAXARG] = 0;
	CHECK(strcmp(echo_output(most), want) == 0, "MAXARG arguments gave \"%s\"", out);
}

static void exec_too_much(void)
{
	static char *argv[MAXARG + 2];
	argv[0] = "echo";
	for (int i = 1; i <= MAXARG; i++)
		argv[i] = "x";
	argv[MAXARG + 1] = 0;
	CHECK(exec("/echo", argv) == -1, "MAXARG + 1 arguments");

	/* One argument larger than the whole stack. */
	char *huge = sbrk(EXEC_STACK_SIZE + 4096);
	CHECK(huge != (char *)-1);
	memset(huge, 'h', EXEC_STACK_SIZE + 4095);
	huge[EXEC_STACK_SIZE + 4095] = '\0';
	char *one[] = {"echo", huge, 0};
	CHECK(exec("/echo", one) == -1, "an argument of %d bytes", EXEC_STACK_SIZE + 4096);

	/* MAXARG arguments that fit one by one but not all together. */
	int each = EXEC_STACK_SIZE / (MAXARG - 1) + 64;
	for (int i = 1; i < MAXARG; i++)
		argv[i] = huge + EXEC_STACK_SIZE + 4095 - each;
	argv[MAXARG] = 0;
	CHECK(exec("/echo", argv) == -1, "%d arguments of %d bytes", MAXARG - 1, each);
	exit(42);
}

void test_exec_arg_limits(void)
{
	CHECK(ut_in_child(exec_too_much) == 42, "an exec with too much to pass ran /echo");
}

/* ---------------------------------------------------------------- a tiny ELF file */

struct elf_header {
	uint8 ident[16];
	uint16 type, machine;
	uint32 version;
	uint64 entry, phoff, shoff;
	uint32 flags;
	uint16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf_phdr {
	uint32 type, flags;
	uint64 offset, vaddr, paddr, filesz, memsz, align;
};

_Static_assert(sizeof(struct elf_header) == 64 && sizeof(struct elf_phdr) == 56, "ELF64");

#define PT_LOAD 1
#define PF_X    1
#define PF_W    2
#define PF_R    4
#define CODE_AT 4096 /* the code's file offset */

static union {
	unsigned char bytes[CODE_AT + 64]; /* room to move the code for break_unaligned */
	struct {
		struct elf_header h;
		struct elf_phdr ph[2];
	};
} elf;

/* addi rd, zero, imm */
static uint32 li(int rd, int imm)
{
	return ((uint32)imm << 20) | ((uint32)rd << 7) | 0x13;
}

/*
 * A complete program: exit(status). One read+execute segment at USER_BASE holding
 * li a0, status; li a7, SYS_exit; ecall; j . -- and nothing else.
 */
static int tiny_elf(int status)
{
	memset(&elf, 0, sizeof(elf));
	memmove(elf.h.ident, "\177ELF", 4);
	elf.h.ident[4] = 2;  /* 64-bit */
	elf.h.ident[5] = 1;  /* little-endian */
	elf.h.ident[6] = 1;  /* version */
	elf.h.type = 2;      /* executable */
	elf.h.machine = 243; /* RISC-V */
	elf.h.version = 1;
	elf.h.entry = USER_BASE;
	elf.h.phoff = sizeof(struct elf_header);
	elf.h.ehsize = sizeof(struct elf_header);
	elf.h.phentsize = sizeof(struct elf_phdr);
	elf.h.phnum = 1;
	elf.ph[0].type = PT_LOAD;
	elf.ph[0].flags = PF_R | PF_X;
	elf.ph[0].offset = CODE_AT;
	elf.ph[0].vaddr = elf.ph[0].paddr = USER_BASE;
	elf.ph[0].filesz = elf.ph[0].memsz = 16;
	elf.ph[0].align = 4096;
	uint32 code[4] = {li(10, status), li(17, SYS_exit), 0x00000073, 0x0000006f};
	memmove(elf.bytes + CODE_AT, code, sizeof(code));
	return sizeof(elf.bytes);
}

static int run_file(const char *path)
{
	int pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char *argv[] = {(char *)path, 0};
		exec(path, argv);
		exit(99);
	}
	return ut_wait_for(pid);
}

void test_exec_tiny_elf(void)
{
	ut_write_file("ut_tiny", elf.bytes, tiny_elf(77));
	int status = run_file("ut_tiny");
	CHECK(status == 77, "the tiny program exited with %d, not 77 (99: exec failed)", status);
	CHECK(unlink("ut_tiny") == 0);
}

/* ---------------------------------------------------------------- broken ELF files */

/* Each breaks the tiny program in one way; the program would exit with 100 + its index. */
static void break_magic(void)
{
	elf.h.ident[1] = 'X';
}
static void break_class(void)
{
	elf.h.ident[4] = 1;
}
static void break_endian(void)
{
	elf.h.ident[5] = 2;
}
static void break_type(void)
{
	elf.h.type = 3;
}
static void break_machine(void)
{
	elf.h.machine = 62;
}
static void break_phentsize(void)
{
	elf.h.phentsize = 32;
}
static void break_phoff(void)
{
	elf.h.phoff = 1 << 20;
}
static void break_phoff_wrap(void)
{
	elf.h.phoff = ~0UL - 16;
}
static void break_phnum(void)
{
	elf.h.phnum = 0xffff;
}
static void break_no_load(void)
{
	elf.ph[0].type = 0;
}
static void break_filesz(void)
{
	elf.ph[0].memsz = 8;
}
static void break_kernel_vaddr(void)
{
	elf.ph[0].vaddr = 0x80200000UL;
	elf.h.entry = 0x80200000UL;
}
static void break_low_vaddr(void)
{
	elf.ph[0].vaddr = 0x1000;
	elf.h.entry = 0x1000;
}
static void break_top(void)
{
	elf.ph[0].vaddr = USER_TOP - 4096;
	elf.ph[0].memsz = 8192;
	elf.h.entry = USER_TOP - 4096;
}
static void break_wrap(void)
{
	elf.ph[0].memsz = ~0UL - 4096;
}
static void break_huge(void)
{
	elf.ph[0].memsz = 1UL << 40;
}
static void break_past_eof(void)
{
	elf.ph[0].filesz = elf.ph[0].memsz = 1 << 20;
}
static void break_offset_wrap(void)
{
	elf.ph[0].offset = ~0UL - 7;
}
static void break_unaligned(void)
{
	/* Consistent otherwise: accepted, it would run and exit with its status. */
	memmove(elf.bytes + CODE_AT + 12, elf.bytes + CODE_AT, 16);
	elf.ph[0].vaddr += 12;
	elf.ph[0].offset += 12;
	elf.h.entry += 12;
}
static void break_overlap(void)
{
	elf.h.phnum = 2;
	elf.ph[1] = elf.ph[0];
	elf.ph[1].flags = PF_R;
}
static void break_write_exec(void)
{
	elf.ph[0].flags = PF_R | PF_W | PF_X;
}
static void break_entry(void)
{
	elf.h.entry = USER_BASE + 0x100000;
}

static const struct {
	const char *what;
	void (*apply)(void);
} breaks[] = {
        {"a wrong magic number", break_magic},
        {"a 32-bit file", break_class},
        {"a big-endian file", break_endian},
        {"a shared object, not an executable", break_type},
        {"an x86-64 program", break_machine},
        {"a wrong program header size", break_phentsize},
        {"program headers past the end of the file", break_phoff},
        {"program headers at an offset that wraps", break_phoff_wrap},
        {"65535 program headers", break_phnum},
        {"no loadable segment", break_no_load},
        {"filesz larger than memsz", break_filesz},
        {"a segment in kernel memory", break_kernel_vaddr},
        {"a segment below USER_BASE", break_low_vaddr},
        {"a segment past USER_TOP", break_top},
        {"a segment whose end wraps around", break_wrap},
        {"a segment of 1 TiB", break_huge},
        {"segment data past the end of the file", break_past_eof},
        {"a segment offset that wraps", break_offset_wrap},
        {"a segment not page-aligned", break_unaligned},
        {"two segments on the same page", break_overlap},
        {"a writable and executable segment", break_write_exec},
        {"an entry point outside every segment", break_entry},
};

#define NBREAKS ((int)(sizeof(breaks) / sizeof(breaks[0])))

static int canary = 0x5eed;

static void exec_broken_files(void)
{
	char *argv[] = {"ut_bad", 0};
	char *heap = sbrk(4096);
	CHECK(heap != (char *)-1);
	memset(heap, 0x3c, 4096);

	for (int i = 0; i < NBREAKS; i++) {
		int n = tiny_elf(100 + i);
		breaks[i].apply();
		ut_write_file("ut_bad", elf.bytes, n);
		CHECK(exec("ut_bad", argv) == -1, "exec of %s", breaks[i].what);
	}

	/* Files that are not programs at all. */
	ut_write_file("ut_bad", "", 0);
	CHECK(exec("ut_bad", argv) == -1, "exec of an empty file");
	ut_write_file("ut_bad", "\177EL", 3);
	CHECK(exec("ut_bad", argv) == -1, "exec of a 3-byte file");
	tiny_elf(97);
	ut_write_file("ut_bad", elf.bytes, 20);
	CHECK(exec("ut_bad", argv) == -1, "exec of an ELF header cut at 20 bytes");
	ut_write_file("ut_bad", elf.bytes, 100);
	CHECK(exec("ut_bad", argv) == -1, "exec of a file cut inside its program header");
	unsigned long x = 0x1234567;
	for (int i = 0; i < (int)sizeof(elf.bytes); i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		elf.bytes[i] = (unsigned char)(x >> 56);
	}
	ut_write_file("ut_bad", elf.bytes, sizeof(elf.bytes));
	CHECK(exec("ut_bad", argv) == -1, "exec of random bytes");
	memmove(elf.bytes, "\177ELF", 4);
	ut_write_file("ut_bad", elf.bytes, sizeof(elf.bytes));
	CHECK(exec("ut_bad", argv) == -1, "exec of random bytes after an ELF magic number");
	CHECK(exec(".", argv) == -1, "exec of a directory");
	CHECK(exec("/", argv) == -1, "exec of the root directory");
	CHECK(exec("ut_nosuch", argv) == -1, "exec of nothing");
	CHECK(exec("", argv) == -1, "exec of the empty path");

	/* The failed execs left this process as it was. */
	CHECK(canary == 0x5eed, "a failed exec changed the data segment");
	for (int i = 0; i < 4096; i++)
		CHECK(heap[i] == 0x3c, "a failed exec changed the heap");
	CHECK(sbrk(0) == heap + 4096, "a failed exec moved the heap's end");
	CHECK(unlink("ut_bad") == 0);
	exit(42);
}

void test_exec_bad_elf(void)
{
	int status = ut_in_child(exec_broken_files);
	if (status >= 100 && status < 100 + NBREAKS)
		FAIL("exec ran a file with %s", breaks[status - 100].what);
	if (status == 97)
		FAIL("exec ran a file cut inside its headers");
	if (status == -1)
		FAIL("exec accepted a broken file, whose program then faulted");
	CHECK(status == 42, "the child exited with %d", status);
}

/* Copies the first n bytes of from into to (all of it if n < 0); returns the bytes, or
   -1 if the file system would not take them (lab 8's stub writes direct blocks only). */
static int copy_prefix(const char *from, const char *to, int n)
{
	static char block[1024];
	int in = open(from, O_RDONLY);
	CHECK(in >= 0, "cannot open %s", from);
	int o = open(to, O_CREATE | O_TRUNC | O_WRONLY);
	CHECK(o >= 0);
	int total = 0, got;
	while ((n < 0 || total < n) && (got = read(in, block, sizeof(block))) > 0) {
		if (n >= 0 && got > n - total)
			got = n - total;
		if (write(o, block, got) != got) {
			total = -1;
			break;
		}
		total += got;
	}
	close(in);
	close(o);
	return total;
}

/* Where the loadable data of the ELF file path ends, and where its text starts and ends. */
static void segment_bounds(const char *path, long *text_start, long *text_end, long *end)
{
	struct {
		struct elf_header h;
		struct elf_phdr ph[8];
	} head;
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK(read(fd, &head, sizeof(head)) == sizeof(head));
	close(fd);
	CHECK(head.h.phoff == sizeof(head.h) && head.h.phnum <= 8, "%s: unexpected headers", path);
	*text_start = *text_end = *end = 0;
	for (int i = 0; i < head.h.phnum; i++) {
		struct elf_phdr *ph = &head.ph[i];
		if (ph->type != PT_LOAD || ph->filesz == 0)
			continue;
		if (ph->flags & PF_X) {
			*text_start = (long)ph->offset;
			*text_end = (long)(ph->offset + ph->filesz);
		}
		if ((long)(ph->offset + ph->filesz) > *end)
			*end = (long)(ph->offset + ph->filesz);
	}
	CHECK(*text_end > *text_start && *end > 0, "%s: no text segment", path);
}

static void exec_truncated_echo(void)
{
	char *argv[] = {"echo", 0};
	long text_start, text_end, end;
	segment_bounds("/echo", &text_start, &text_end, &end);
	/* Inside the ELF header; inside the program headers; headers whole but no text;
	   half the text; everything but the last byte of the last segment. */
	long cuts[] = {40, 100, text_start, (text_start + text_end) / 2, end - 1};
	for (uint i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		CHECK(copy_prefix("/echo", "ut_echo_copy", (int)cuts[i]) == cuts[i]);
		CHECK(exec("ut_echo_copy", argv) == -1, "exec of /echo cut at %ld of %ld bytes",
		      cuts[i], end);
	}
	CHECK(unlink("ut_echo_copy") == 0);
	exit(42);
}

void test_exec_truncated(void)
{
	/* A copy of every loadable byte runs: the cuts fail for being cut, not for being
	   copies. (Not the symbols after them: lab 7's branch, with lab 8's stubs, writes
	   files of direct blocks only.) */
	int size = copy_prefix("/echo", "ut_echo_whole", -1);
	if (size < 0) {
		/* Lab 7's branch: lab 8's stub holds files of 11 KiB at most. */
		printf("usertests: exec_truncated: skipped: the file system cannot hold a copy "
		       "of /echo\n");
		unlink("ut_echo_whole");
		return;
	}
	int pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(1);
		if (open("ut_echo_out", O_CREATE | O_TRUNC | O_WRONLY) != 1)
			exit(98);
		char *argv[] = {"echo", "copied", 0};
		exec("ut_echo_whole", argv);
		exit(99);
	}
	CHECK(ut_wait_for(pid) == 0, "a whole copy of /echo (%d bytes) did not run", size);
	unlink("ut_echo_out");
	CHECK(unlink("ut_echo_whole") == 0);
	CHECK(ut_in_child(exec_truncated_echo) == 42, "exec ran a cut copy of /echo");
}
