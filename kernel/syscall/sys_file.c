/*
 * The system calls about files: thin wrappers over the file layer (kernel/fs/) that
 * fetch and check arguments. Every error of the file layer is -1 to the program; the
 * descriptor table is the calling process's, used by its thread alone.
 */
#include "abi/syscall.h"
#include "fs/fs.h"
#include "proc/files.h"
#include "proc/proc.h"
#include "syscall/syscall.h"
#include "vm/addrspace.h"

static struct proc_files *my_files(void)
{
	return proc_current()->files;
}

/* The open file behind argument n, or NULL. */
static struct file *arg_file(int n)
{
	return fd_get(&my_files()->fds, arg_int(n));
}

/* Installs f in the caller's table: its descriptor, or -1 (and f closed). */
static long install(struct file *f)
{
	int fd = fd_install(&my_files()->fds, f);
	if (fd < 0) {
		file_close(f);
		return -1;
	}
	return fd;
}

/* read(fd, buf, n) and write(fd, buf, n). */
static long transfer(bool writing)
{
	struct file *f = arg_file(0);
	int n = arg_int(2);
	if (f == NULL || n < 0)
		return -1;
	struct iobuf io = iobuf_user(proc_current()->as, arg_addr(1));
	long r = writing ? file_write(f, &io, (size_t)n) : file_read(f, &io, (size_t)n);
	return r < 0 ? -1 : r;
}

long sys_read(void)
{
	return transfer(false);
}

long sys_write(void)
{
	return transfer(true);
}

long sys_close(void)
{
	return fd_close(&my_files()->fds, arg_int(0)) == 0 ? 0 : -1;
}

long sys_dup(void)
{
	int fd = fd_dup(&my_files()->fds, arg_int(0));
	return fd < 0 ? -1 : fd;
}

long sys_pipe(void)
{
	uintptr_t where = arg_addr(0);
	struct file *rf, *wf;
	if (file_pipe(&rf, &wf) != 0)
		return -1;
	struct fdtable *t = &my_files()->fds;
	int fds[2] = {fd_install(t, rf), -1};
	if (fds[0] >= 0)
		fds[1] = fd_install(t, wf);
	if (fds[1] < 0 || copyout(proc_current()->as, where, fds, sizeof fds) != 0) {
		/* A full table or a bad pointer: leave no descriptor behind. */
		if (fds[0] >= 0)
			fd_close(t, fds[0]);
		else
			file_close(rf);
		if (fds[1] >= 0)
			fd_close(t, fds[1]);
		else
			file_close(wf);
		return -1;
	}
	return 0;
}

long sys_open(void)
{
	char path[MAXPATH];
	struct file *f;
	if (arg_str(0, path, sizeof path) < 0 ||
	    file_open(path, arg_int(1), my_files()->cwd, &f) != 0)
		return -1;
	return install(f);
}

long sys_fstat(void)
{
	struct file *f = arg_file(0);
	struct stat st;
	if (f == NULL || file_stat(f, &st) != 0)
		return -1;
	return copyout(proc_current()->as, arg_addr(1), &st, sizeof st) == 0 ? 0 : -1;
}

long sys_mknod(void)
{
	char path[MAXPATH];
	if (arg_str(0, path, sizeof path) < 0)
		return -1;
	return fs_mknod(path, my_files()->cwd, (uint16_t)arg_int(1), (uint16_t)arg_int(2)) == 0
	               ? 0
	               : -1;
}

long sys_mkdir(void)
{
	char path[MAXPATH];
	if (arg_str(0, path, sizeof path) < 0)
		return -1;
	return fs_mkdir(path, my_files()->cwd) == 0 ? 0 : -1;
}

long sys_unlink(void)
{
	char path[MAXPATH];
	if (arg_str(0, path, sizeof path) < 0)
		return -1;
	return fs_unlink(path, my_files()->cwd) == 0 ? 0 : -1;
}

long sys_link(void)
{
	char from[MAXPATH], to[MAXPATH];
	if (arg_str(0, from, sizeof from) < 0 || arg_str(1, to, sizeof to) < 0)
		return -1;
	return fs_link(from, to, my_files()->cwd) == 0 ? 0 : -1;
}

long sys_chdir(void)
{
	char path[MAXPATH];
	struct inode *dir;
	struct proc_files *f = my_files();
	if (arg_str(0, path, sizeof path) < 0 || fs_chdir(path, f->cwd, &dir) != 0)
		return -1;
	if (f->cwd)
		iput(f->cwd);
	f->cwd = dir;
	return 0;
}
