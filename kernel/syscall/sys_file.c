/*
 * The system calls about files. Until the file layer exists (lab 8's kernel/fs/), each
 * fails: -1, as for a descriptor that is not open. (Replaced when kernel/fs/ arrives.)
 */
#include "syscall/syscall.h"

long sys_pipe(void)
{
	return -1;
}
long sys_read(void)
{
	return -1;
}
long sys_write(void)
{
	return -1;
}
long sys_close(void)
{
	return -1;
}
long sys_exec(void)
{
	return -1;
}
long sys_open(void)
{
	return -1;
}
long sys_mknod(void)
{
	return -1;
}
long sys_unlink(void)
{
	return -1;
}
long sys_fstat(void)
{
	return -1;
}
long sys_link(void)
{
	return -1;
}
long sys_mkdir(void)
{
	return -1;
}
long sys_chdir(void)
{
	return -1;
}
long sys_dup(void)
{
	return -1;
}
