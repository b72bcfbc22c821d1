/*
 * exec(path, argv): the arguments come from the program's memory, checked one pointer
 * and one string at a time, with limits on their number (MAXARG) and total size; then
 * the new program is prepared from the file, and only once it is ready does it replace
 * the old one. A bad program or a bad argument leaves the caller running as it was.
 */
#include "abi/syscall.h"
#include "config.h"
#include "mm/kmalloc.h"
#include "proc/exec.h"
#include "proc/files.h"
#include "proc/proc.h"
#include "syscall/syscall.h"
#include "vm/addrspace.h"

/* The argument strings, together: at most a page, which also leaves room on the stack. */
#define ARGS_BYTES PAGE_SIZE

/* Copies argv's strings into buf (ARGS_BYTES) and args[]; argc, or -1. */
static int fetch_args(uintptr_t uargv, char *buf, char *args[MAXARG])
{
	const struct addrspace *as = proc_current()->as;
	size_t used = 0;
	for (int argc = 0;; argc++) {
		uintptr_t p;
		if (copyin(as, &p, uargv + (uintptr_t)argc * sizeof p, sizeof p) != 0)
			return -1;
		if (p == 0)
			return argc;
		if (argc == MAXARG)
			return -1;
		long len = copyinstr(as, buf + used, p, ARGS_BYTES - used);
		if (len < 0)
			return -1;
		args[argc] = buf + used;
		used += (size_t)len + 1;
	}
}

/* The last component of path, for the process's name. */
static const char *base_name(const char *path)
{
	const char *name = path;
	for (const char *c = path; *c; c++)
		if (*c == '/' && c[1])
			name = c + 1;
	return name;
}

long sys_exec(void)
{
	char path[MAXPATH];
	char *args[MAXARG];
	if (arg_str(0, path, sizeof path) < 0)
		return -1;
	char *buf = kmalloc(ARGS_BYTES);
	if (buf == NULL)
		return -1;
	long result = -1;
	int argc = fetch_args(arg_addr(1), buf, args);
	struct exec_image image;
	const char *why;
	if (argc >= 0 &&
	    exec_prepare_path(path, proc_current()->files->cwd, args, argc, &image, &why) == 0) {
		proc_exec(&image, base_name(path));
		result = image.argc; /* becomes a0: argc, as the ABI promises */
	}
	kfree(buf);
	return result;
}
