/*
 * mkfs: builds a Sprout file-system image on the host, or checks one (check.c).
 * The format is kernel/abi/fs_format.h; mkfs/README.md shows the layout.
 *
 * The whole image is built in memory, then written to a temporary file beside IMAGE
 * that replaces IMAGE only once it is complete and synced. Every refusal happens before
 * that, so a bad input leaves no image behind and an older image untouched.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mkfs.h"

#define DEFAULT_BLOCKS 4096 /* 4 MiB */
#define DEFAULT_INODES 256
#define MAX_BLOCKS     (1 << 18) /* 256 MiB: room for the largest file, still fine in memory */
#define MAX_INODES     (1 << 16)

static const char usage[] =
        "usage: mkfs IMAGE [--blocks N] [--inodes N] FILE...\n"
        "       mkfs --check IMAGE\n"
        "\n"
        "Writes IMAGE, a Sprout file system whose root directory holds \".\", \"..\" and each\n"
        "FILE under its base name. A leading '_' is dropped from the name: built programs\n"
        "follow the xv6 convention of names like user/_sh, which keeps them apart from\n"
        "their sources, and appear as /sh.\n"
        "\n"
        "  --blocks N   image size in 1 KiB blocks (default 4096)\n"
        "  --inodes N   inode table slots (default 256); inode 0 is never used, the root is 1\n"
        "  --check      verify IMAGE instead: list its problems, exit 1 if there are any\n";

/* The image being built. Data blocks and inodes are handed out in order, never freed. */
static struct fs_superblock sb;
static uint8_t *image;
static uint32_t next_block;
static uint32_t next_inum = FS_ROOT_INUM;

static const char *temp_path; /* the temporary image, while it exists */

void die(const char *fmt, ...)
{
	va_list ap;

	fputs("mkfs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (temp_path)
		unlink(temp_path);
	exit(1);
}

static uint8_t *block(uint32_t b)
{
	return image + (size_t)b * FS_BLOCK_SIZE;
}

static struct fs_inode *inode(uint32_t inum)
{
	return (struct fs_inode *)block(sb.inode_start) + inum;
}

/* A zeroed data block, or 0 when the image is full. */
static uint32_t alloc_block(void)
{
	return next_block < sb.nblocks ? next_block++ : 0;
}

/* A fresh inode of the given type, or 0 when the table is full. */
static uint32_t alloc_inode(uint16_t type)
{
	if (next_inum >= sb.ninodes)
		return 0;
	inode(next_inum)->type = type;
	return next_inum++;
}

/* Slot i of the indirect block that *ref names, allocating that block if *ref is 0. */
static uint32_t *indirect_slot(uint32_t *ref, uint32_t i)
{
	if (*ref == 0 && (*ref = alloc_block()) == 0)
		return NULL;
	return (uint32_t *)block(*ref) + i;
}

/* Where ip keeps the number of its file block n (see fs_format.h); NULL when full. */
static uint32_t *block_slot(struct fs_inode *ip, uint32_t n)
{
	if (n < FS_NDIRECT)
		return &ip->addrs[n];
	n -= FS_NDIRECT;
	if (n < FS_NINDIRECT)
		return indirect_slot(&ip->addrs[FS_INDIRECT], n);
	n -= FS_NINDIRECT;
	uint32_t *outer = indirect_slot(&ip->addrs[FS_DOUBLE_INDIRECT], n / FS_NINDIRECT);
	return outer ? indirect_slot(outer, n % FS_NINDIRECT) : NULL;
}

/* Appends len bytes to inode inum; -1 when the image runs out of blocks. The caller
 * keeps the file within FS_MAX_FILE_SIZE. */
static int append(uint32_t inum, const void *data, size_t len)
{
	struct fs_inode *ip = inode(inum);
	const uint8_t *src = data;

	while (len > 0) {
		uint32_t offset = ip->size % FS_BLOCK_SIZE;
		size_t n = FS_BLOCK_SIZE - offset < len ? FS_BLOCK_SIZE - offset : len;
		uint32_t *slot = block_slot(ip, ip->size / FS_BLOCK_SIZE);

		if (!slot || (*slot == 0 && (*slot = alloc_block()) == 0))
			return -1;
		memcpy(block(*slot) + offset, src, n);
		ip->size += n;
		src += n;
		len -= n;
	}
	return 0;
}

static void add_entry(uint32_t dir, const char *name, uint32_t inum)
{
	struct fs_dirent de = {.inum = inum};

	memcpy(de.name, name, strlen(name)); /* the caller checked it fits; the rest stays 0 */
	if (append(dir, &de, sizeof de) < 0)
		die("no room for the directory entry of %s in %u blocks (raise --blocks)", name,
		    sb.nblocks);
}

/* The name `path` gets in the root directory; refuses what a directory cannot hold. */
static const char *entry_name(const char *path, const char **taken, int ntaken)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;

	if (name[0] == '_')
		name++;
	if (name[0] == '\0')
		die("%s: leaves an empty file name", path);
	if (strlen(name) > FS_NAME_LEN)
		die("%s: name '%s' is longer than the %d characters a directory entry holds", path,
		    name, FS_NAME_LEN);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		die("%s: name '%s' is taken by the directory itself", path, name);
	for (int i = 0; i < ntaken; i++) /* the files before this one, checked already */
		if (strcmp(entry_name(taken[i], NULL, 0), name) == 0)
			die("%s: name '%s' is already taken by %s", path, name, taken[i]);
	return name;
}

/* Copies the regular file at path into a new inode; returns its number. */
static uint32_t add_file(const char *path)
{
	char buf[8 * FS_BLOCK_SIZE];
	struct stat st;
	ssize_t n;
	uint64_t total = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0)
		die("%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die("%s: not a regular file", path);
	uint32_t inum = alloc_inode(T_FILE);
	if (inum == 0)
		die("%s: no free inode left (--inodes %u; raise it)", path, sb.ninodes);
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		total += n;
		if (total > FS_MAX_FILE_SIZE)
			die("%s: too large: a file holds at most %u bytes", path, FS_MAX_FILE_SIZE);
		if (append(inum, buf, n) < 0)
			die("%s: does not fit in %u blocks (raise --blocks)", path, sb.nblocks);
	}
	if (n < 0)
		die("%s: %s", path, strerror(errno));
	close(fd);
	inode(inum)->nlink = 1;
	return inum;
}

/* Fills in the superblock for the region sizes that nblocks and ninodes imply. */
static void plan(uint32_t nblocks, uint32_t ninodes)
{
	sb.magic = FS_MAGIC;
	sb.version = FS_VERSION;
	sb.nblocks = nblocks;
	sb.ninodes = ninodes;
	sb.log_start = 2;
	sb.nlog = 1 + FS_LOG_MAX;
	sb.inode_start = sb.log_start + sb.nlog;
	sb.bitmap_start = sb.inode_start + inode_table_blocks(ninodes);
	sb.data_start = sb.bitmap_start + bitmap_blocks(nblocks);
	if (sb.data_start >= nblocks) /* the root directory needs one data block */
		die("--blocks %u is too small: this layout needs at least %u", nblocks,
		    sb.data_start + 1);
}

static void build(const char **files, int nfiles)
{
	image = calloc(sb.nblocks, FS_BLOCK_SIZE);
	if (!image)
		die("out of memory for a %u-block image", sb.nblocks);
	next_block = sb.data_start;

	uint32_t root = alloc_inode(T_DIR);
	inode(root)->nlink = 2; /* its "." and its ".." */
	add_entry(root, ".", root);
	add_entry(root, "..", root);
	for (int i = 0; i < nfiles; i++) {
		const char *name = entry_name(files[i], files, i);
		add_entry(root, name, add_file(files[i]));
	}

	for (uint32_t b = 0; b < next_block; b++)
		block(sb.bitmap_start)[b / 8] |= 1 << (b % 8);
	memcpy(block(1), &sb, sizeof sb);
}

static void write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0)
			die("%s: %s", temp_path, strerror(errno));
		p += n;
		len -= n;
	}
}

/* Makes the rename durable: it lives in the directory, which has its own fsync. */
static void sync_directory_of(const char *path)
{
	char dir[4096] = ".";
	const char *slash = strrchr(path, '/');

	if (slash && (size_t)(slash - path) < sizeof dir - 1)
		snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
	int fd = open(dir, O_RDONLY);
	if (fd >= 0) {
		fsync(fd); /* best effort: the image itself is complete either way */
		close(fd);
	}
}

static void write_image(const char *path)
{
	static char temp[4096];
	mode_t mask = umask(0);

	umask(mask);
	if (snprintf(temp, sizeof temp, "%s.tmpXXXXXX", path) >= (int)sizeof temp)
		die("%s: path too long", path);
	int fd = mkstemp(temp);
	if (fd < 0)
		die("cannot create a temporary file beside %s: %s", path, strerror(errno));
	temp_path = temp;
	write_all(fd, image, (size_t)sb.nblocks * FS_BLOCK_SIZE);
	/* mkstemp makes it private; an image is as readable as any new file. */
	if (fchmod(fd, 0666 & ~mask) < 0 || fsync(fd) < 0 || close(fd) < 0)
		die("%s: %s", temp, strerror(errno));
	if (rename(temp, path) < 0)
		die("cannot replace %s: %s", path, strerror(errno));
	temp_path = NULL;
	sync_directory_of(path);
}

/* The value of `option`, a decimal number in [min, max]. */
static uint32_t number(const char *option, const char *text, uint32_t min, uint32_t max)
{
	size_t digits = text ? strspn(text, "0123456789") : 0;

	if (!text)
		die("%s needs a number (see mkfs --help)", option);
	if (digits == 0 || text[digits] != '\0' || digits > 9 || strtoul(text, NULL, 10) < min ||
	    strtoul(text, NULL, 10) > max)
		die("%s %s: not a number from %u to %u", option, text, min, max);
	return strtoul(text, NULL, 10);
}

int main(int argc, char **argv)
{
	uint32_t nblocks = DEFAULT_BLOCKS, ninodes = DEFAULT_INODES;
	const char *image_path = NULL;
	const char **files = calloc(argc, sizeof *files);
	int nfiles = 0, check = 0, sized = 0, options_done = 0;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (options_done || arg[0] != '-' || arg[1] == '\0') {
			if (image_path)
				files[nfiles++] = arg;
			else
				image_path = arg;
		} else if (strcmp(arg, "--") == 0) {
			options_done = 1;
		} else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(arg, "--blocks") == 0) {
			nblocks = number(arg, argv[++i], 1, MAX_BLOCKS);
			sized = 1;
		} else if (strcmp(arg, "--inodes") == 0) {
			ninodes = number(arg, argv[++i], FS_ROOT_INUM + 1, MAX_INODES);
			sized = 1;
		} else if (strcmp(arg, "--check") == 0) {
			check = 1;
		} else {
			die("unknown option %s (see mkfs --help)", arg);
		}
	}
	if (!image_path)
		die("no IMAGE given (see mkfs --help)");
	if (check) {
		if (nfiles > 0 || sized)
			die("--check takes one IMAGE and nothing else");
		free(files);
		return check_image(image_path);
	}
	plan(nblocks, ninodes);
	build(files, nfiles);
	write_image(image_path);
	free(files);
	free(image);
	return 0;
}
