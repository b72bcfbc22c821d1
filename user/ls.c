/*
 * ls [PATH...]: one line per file: name, type (dir, file or dev), inode number and size
 * in bytes. A directory is listed entry by entry, "." and ".." included; PATH defaults
 * to the current directory.
 */
#include "abi/fs_format.h"
#include "user.h"

static const char *type_name(int type)
{
	switch (type) {
	case T_DIR:
		return "dir";
	case T_FILE:
		return "file";
	case T_DEVICE:
		return "dev";
	}
	return "?";
}

static void show(const char *name, const struct stat *st)
{
	printf("%-28s %-4s %5u %8lu\n", name, type_name(st->type), (uint)st->ino,
	       (unsigned long)st->size);
}

/* Lists the directory open as fd, whose path is dir. 0, or 1 after an error. */
static int list_dir(int fd, const char *dir)
{
	static char path[MAXPATH + FS_NAME_LEN + 2];
	uint dirlen = strlen(dir);
	if (dirlen + 1 + FS_NAME_LEN + 1 > sizeof(path)) {
		fprintf(2, "ls: %s: path too long\n", dir);
		return 1;
	}
	memmove(path, dir, (int)dirlen);
	if (dirlen == 0 || path[dirlen - 1] != '/')
		path[dirlen++] = '/';

	int status = 0;
	struct fs_dirent de;
	int n;
	while ((n = read(fd, &de, sizeof(de))) == sizeof(de)) {
		if (de.inum == 0)
			continue;
		/* A name of exactly FS_NAME_LEN characters has no NUL. */
		char name[FS_NAME_LEN + 1];
		memmove(name, de.name, FS_NAME_LEN);
		name[FS_NAME_LEN] = '\0';
		strcpy(path + dirlen, name);
		struct stat st;
		if (stat(path, &st) < 0) {
			fprintf(2, "ls: %s: cannot stat\n", path);
			status = 1;
			continue;
		}
		show(name, &st);
	}
	if (n != 0) {
		fprintf(2, "ls: %s: read error\n", dir);
		status = 1;
	}
	return status;
}

static int list(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(2, "ls: %s: cannot open\n", path);
		return 1;
	}
	struct stat st;
	int status = 0;
	if (fstat(fd, &st) < 0) {
		fprintf(2, "ls: %s: cannot stat\n", path);
		status = 1;
	} else if (st.type == T_DIR) {
		status = list_dir(fd, path);
	} else {
		show(path, &st);
	}
	close(fd);
	return status;
}

int main(int argc, char *argv[])
{
	if (argc < 2)
		return list(".");
	int status = 0;
	for (int i = 1; i < argc; i++)
		status |= list(argv[i]);
	return status;
}
