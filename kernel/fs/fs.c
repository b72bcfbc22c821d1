/*
 * Bringing the file system's tables up (kernel/fs/fs.h), and the names of its errors.
 */
#include "fs/fs.h"

#include "fs/bcache.h"
#include "fs/crash.h"
#include "fs/devsw.h"

void fs_init(void)
{
	crash_init();
	bcache_init();
	console_device_init();
}

const char *fs_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return "success";
	case EPERM:
		return "operation not permitted";
	case ENOENT:
		return "no such file or directory";
	case EIO:
		return "I/O error";
	case EBADF:
		return "bad file descriptor";
	case ENOMEM:
		return "out of memory";
	case EFAULT:
		return "bad address";
	case EEXIST:
		return "file exists";
	case ENODEV:
		return "no such device";
	case ENOTDIR:
		return "not a directory";
	case EISDIR:
		return "is a directory";
	case EINVAL:
		return "invalid argument";
	case ENFILE:
		return "too many open files in the system";
	case EMFILE:
		return "too many open files";
	case EFBIG:
		return "file too large";
	case ENOSPC:
		return "no space left on the disk";
	case EMLINK:
		return "too many links";
	case EPIPE:
		return "broken pipe";
	case EINTR:
		return "interrupted";
	case ENAMETOOLONG:
		return "name too long";
	case ENOTEMPTY:
		return "directory not empty";
	case ENOBUFS:
		return "no buffer space";
	case ECORRUPT:
		return "the file system is corrupt";
	default:
		return "unknown error";
	}
}
