/*
 * mkfs --check: verifies a file-system image and lists what is wrong with it, one
 * problem a line, naming the inode or block. Like fsck, in passes:
 *
 *   1. the superblock: magic, version, regions in order, size equal to the file's;
 *   2. the log: empty, or else what it holds that recovery has not installed;
 *   3. each inode's blocks: in the data region, none used twice, size matching;
 *   4. each directory: ".", "..", its names, no entry naming a free inode, and
 *      a path to it from the root;
 *   5. link counts, and the bitmap against the blocks found in use.
 *
 * Nothing in the image is trusted: every number read from it is range-checked before
 * it becomes an index, and structs are copied out with memcpy, so a garbage image gives
 * a list of problems, never a crash. A block used twice is not followed the second
 * time, so each indirect block is read at most once however the pointers are tangled.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mkfs.h"

#define MAX_SHOWN 100 /* problems printed; a garbage image would otherwise print thousands */

static const uint8_t *image;
static struct fs_superblock sb;
static unsigned long problems;

/* Per block: the inode using it, 0 if none. Per inode: the directory entries naming it,
 * the directory holding its name (directories only) and what its ".." names. */
static uint32_t *owner;
static uint32_t *refs, *parent, *dotdot;

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void problem(const char *fmt, ...)
{
	va_list ap;

	if (problems++ >= MAX_SHOWN)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Only for b < sb.nblocks, once the superblock has been checked against the file. */
static const uint8_t *block(uint32_t b)
{
	return image + (size_t)b * FS_BLOCK_SIZE;
}

static uint32_t word(uint32_t b, uint32_t i)
{
	uint32_t v;

	memcpy(&v, block(b) + 4 * i, sizeof v);
	return v;
}

static struct fs_inode get_inode(uint32_t inum)
{
	struct fs_inode ip;
	const uint8_t *b = block(sb.inode_start + inum / FS_INODES_PER_BLOCK);

	memcpy(&ip, b + inum % FS_INODES_PER_BLOCK * sizeof ip, sizeof ip);
	return ip;
}

static int in_use(const struct fs_inode *ip)
{
	return ip->type == T_DIR || ip->type == T_FILE || ip->type == T_DEVICE;
}

/* Pass 1. Returns 0 when the rest of the image can be read through the superblock. */
static int check_superblock(uint64_t size)
{
	unsigned long before = problems;

	if (size < 2 * FS_BLOCK_SIZE) {
		problem("image: %llu bytes, too small to hold a superblock",
		        (unsigned long long)size);
		return -1;
	}
	memcpy(&sb, image + FS_BLOCK_SIZE, sizeof sb);
	if (sb.magic != FS_MAGIC) {
		problem("superblock: magic is 0x%08x, not 0x%08x", sb.magic, FS_MAGIC);
		return -1;
	}
	if (sb.version != FS_VERSION) {
		problem("superblock: format version %u, not %u", sb.version, FS_VERSION);
		return -1;
	}
	if (size % FS_BLOCK_SIZE != 0 || size / FS_BLOCK_SIZE != sb.nblocks)
		problem("superblock: says %u blocks (%llu bytes) but the image is %llu bytes "
		        "(truncated or padded)",
		        sb.nblocks, (unsigned long long)sb.nblocks * FS_BLOCK_SIZE,
		        (unsigned long long)size);
	if (sb.ninodes <= FS_ROOT_INUM)
		problem("superblock: %u inodes leave no room for the root (inode %d)", sb.ninodes,
		        FS_ROOT_INUM);
	if (sb.log_start < 2)
		problem("superblock: log at block %u, over the boot block or superblock",
		        sb.log_start);
	if (sb.nlog < 2 || sb.nlog > 1 + FS_LOG_MAX)
		problem("superblock: log of %u blocks, not its header plus 1 to %d", sb.nlog,
		        FS_LOG_MAX);

	uint64_t log_end = (uint64_t)sb.log_start + sb.nlog;
	uint64_t inodes_end = sb.inode_start + inode_table_blocks(sb.ninodes);
	uint64_t bitmap_end = sb.bitmap_start + bitmap_blocks(sb.nblocks);
	if (sb.inode_start < log_end)
		problem("superblock: inode table at block %u overlaps the log (blocks %u-%llu)",
		        sb.inode_start, sb.log_start, (unsigned long long)log_end - 1);
	if (sb.bitmap_start < inodes_end)
		problem("superblock: bitmap at block %u overlaps the inode table (blocks %u-%llu)",
		        sb.bitmap_start, sb.inode_start, (unsigned long long)inodes_end - 1);
	if (sb.data_start < bitmap_end)
		problem("superblock: data at block %u overlaps the bitmap (blocks %u-%llu)",
		        sb.data_start, sb.bitmap_start, (unsigned long long)bitmap_end - 1);
	if (sb.data_start >= sb.nblocks)
		problem("superblock: data at block %u, past the last block %u", sb.data_start,
		        sb.nblocks - 1);
	return problems == before ? 0 : -1;
}

/* Pass 2. A non-empty log is a crash the kernel has not recovered from yet. */
static void check_log(void)
{
	struct fs_log_header lh;

	memcpy(&lh, block(sb.log_start), sizeof lh);
	if (lh.count == 0)
		return;
	if (lh.count > sb.nlog - 1) {
		problem("log: header counts %u blocks, but the log holds at most %u", lh.count,
		        sb.nlog - 1);
		return;
	}
	problem("log: not empty: %u committed blocks not yet installed (recovery would copy them)",
	        lh.count);
	for (uint32_t i = 0; i < lh.count; i++)
		if (lh.blocks[i] < sb.inode_start || lh.blocks[i] >= sb.nblocks)
			problem("log: entry %u is block %u, outside blocks %u-%u that may be "
			        "logged",
			        i, lh.blocks[i], sb.inode_start, sb.nblocks - 1);
}

/* One inode's walk through its blocks (pass 3). */
struct walk {
	uint32_t inum;
	uint64_t needed; /* file blocks its size needs */
	uint64_t mapped; /* of those, how many have a block */
	uint64_t beyond; /* blocks mapped past its size, indirect blocks included */
};

/* Records that w's inode uses block b; returns 1 if b may be read. */
static int claim(struct walk *w, uint32_t b, const char *what)
{
	if (b < sb.data_start || b >= sb.nblocks) {
		problem("inode %u: %s block %u is out of range (data blocks are %u-%u)", w->inum,
		        what, b, sb.data_start, sb.nblocks - 1);
		return 0;
	}
	if (owner[b]) {
		problem("block %u: used twice, by inode %u and by inode %u", b, owner[b], w->inum);
		return 0;
	}
	owner[b] = w->inum;
	return 1;
}

static void walk_data(struct walk *w, uint64_t n, uint32_t b)
{
	if (b == 0)
		return;
	if (n < w->needed)
		w->mapped++;
	else
		w->beyond++;
	claim(w, b, "data");
}

/* The blocks under indirect block b, `depth` levels deep, whose first is file block n. */
static void walk_indirect(struct walk *w, uint64_t n, uint32_t b, int depth)
{
	if (b == 0)
		return;
	if (n >= w->needed)
		w->beyond++;
	if (!claim(w, b, depth == 1 ? "indirect" : "double-indirect"))
		return;
	for (uint32_t i = 0; i < FS_NINDIRECT; i++) {
		if (depth == 1)
			walk_data(w, n + i, word(b, i));
		else
			walk_indirect(w, n + i * FS_NINDIRECT, word(b, i), depth - 1);
	}
}

/* Pass 3, for one inode in use. */
static void check_blocks(uint32_t inum, const struct fs_inode *ip)
{
	struct walk w = {.inum = inum, .needed = blocks_for(ip->size)};

	if (ip->size > FS_MAX_FILE_SIZE)
		problem("inode %u: size %u is more than a file can hold (%u)", inum, ip->size,
		        FS_MAX_FILE_SIZE);
	if (ip->type == T_DIR && ip->size % sizeof(struct fs_dirent) != 0)
		problem("inode %u: directory size %u is not a whole number of entries", inum,
		        ip->size);
	for (uint32_t n = 0; n < FS_NDIRECT; n++)
		walk_data(&w, n, ip->addrs[n]);
	walk_indirect(&w, FS_NDIRECT, ip->addrs[FS_INDIRECT], 1);
	walk_indirect(&w, FS_NDIRECT + FS_NINDIRECT, ip->addrs[FS_DOUBLE_INDIRECT], 2);
	if (w.mapped < w.needed && ip->size <= FS_MAX_FILE_SIZE)
		problem("inode %u: size %u needs %llu blocks but %llu of them are not mapped", inum,
		        ip->size, (unsigned long long)w.needed,
		        (unsigned long long)(w.needed - w.mapped));
	if (w.beyond)
		problem("inode %u: %llu blocks mapped past its size %u", inum,
		        (unsigned long long)w.beyond, ip->size);
}

/* b if it is a data block, else 0. */
static uint32_t in_data(uint32_t b)
{
	return b >= sb.data_start && b < sb.nblocks ? b : 0;
}

/* The disk block holding file block n of ip, or 0 if there is none that can be read. */
static uint32_t bmap(const struct fs_inode *ip, uint32_t n)
{
	if (n < FS_NDIRECT)
		return in_data(ip->addrs[n]);
	n -= FS_NDIRECT;
	uint32_t ind = in_data(ip->addrs[FS_INDIRECT]);
	if (n < FS_NINDIRECT)
		return ind ? in_data(word(ind, n)) : 0;
	n -= FS_NINDIRECT;
	uint32_t dind = in_data(ip->addrs[FS_DOUBLE_INDIRECT]);
	if (n >= FS_NINDIRECT * FS_NINDIRECT || !dind)
		return 0;
	ind = in_data(word(dind, n / FS_NINDIRECT));
	return ind ? in_data(word(ind, n % FS_NINDIRECT)) : 0;
}

static int by_name(const void *a, const void *b)
{
	return strncmp(a, b, FS_NAME_LEN);
}

/* A directory's names, sorted once all are in to find any that appears twice. */
struct names {
	char (*at)[FS_NAME_LEN];
	uint32_t count, room;
};

static void add_name(struct names *list, const char *name)
{
	if (list->count == list->room) {
		list->room = list->room ? 2 * list->room : 16;
		list->at = realloc(list->at, list->room * sizeof *list->at);
		if (!list->at)
			die("out of memory for directory names");
	}
	memcpy(list->at[list->count++], name, FS_NAME_LEN);
}

/* A directory entry's name as a C string fit for a one-line report. */
static void printable(char out[FS_NAME_LEN + 1], const char *name)
{
	memcpy(out, name, FS_NAME_LEN);
	out[FS_NAME_LEN] = '\0';
	for (char *c = out; *c; c++)
		if (!isprint((unsigned char)*c))
			*c = '?';
}

/* Pass 4, for one entry of directory dir; name is its name made printable. */
static void check_entry(uint32_t dir, const struct fs_dirent *de, const char *name)
{
	if (name[0] == '\0')
		problem("directory %u: an entry for inode %u has an empty name", dir, de->inum);
	if (strchr(name, '/'))
		problem("directory %u: entry '%s' has a '/' in its name", dir, name);
	if (de->inum >= sb.ninodes) {
		problem("directory %u: entry '%s' names inode %u, past the last inode %u", dir,
		        name, de->inum, sb.ninodes - 1);
		return;
	}
	struct fs_inode target = get_inode(de->inum);
	if (!in_use(&target)) {
		problem("directory %u: entry '%s' names free inode %u", dir, name, de->inum);
		return;
	}
	refs[de->inum]++;
	if (strcmp(name, ".") == 0) {
		if (de->inum != dir)
			problem("directory %u: '.' names inode %u, not itself", dir, de->inum);
	} else if (strcmp(name, "..") == 0) {
		dotdot[dir] = de->inum;
	} else if (target.type == T_DIR) {
		if (parent[de->inum] || de->inum == FS_ROOT_INUM)
			problem("directory %u: entry '%s' is a second name for directory %u", dir,
			        name, de->inum);
		else
			parent[de->inum] = dir;
	}
}

/* Pass 4, for one directory: each entry, then whether "." and ".." are there and
 * whether any name appears twice. */
static void check_directory(uint32_t dir, const struct fs_inode *ip)
{
	uint32_t size = ip->size < FS_MAX_FILE_SIZE ? ip->size : FS_MAX_FILE_SIZE;
	struct names names = {0};
	int have_dot = 0, have_dotdot = 0;

	for (uint32_t off = 0; off + sizeof(struct fs_dirent) <= size; off += FS_BLOCK_SIZE) {
		uint32_t b = bmap(ip, off / FS_BLOCK_SIZE);
		uint32_t end = size - off < FS_BLOCK_SIZE ? size - off : FS_BLOCK_SIZE;

		if (b == 0)
			continue; /* pass 3 said why */
		for (uint32_t at = 0; at + sizeof(struct fs_dirent) <= end;
		     at += sizeof(struct fs_dirent)) {
			struct fs_dirent de;
			char name[FS_NAME_LEN + 1];

			memcpy(&de, block(b) + at, sizeof de);
			if (de.inum == 0)
				continue;
			add_name(&names, de.name);
			printable(name, de.name);
			have_dot |= strcmp(name, ".") == 0;
			have_dotdot |= strcmp(name, "..") == 0;
			check_entry(dir, &de, name);
		}
	}
	if (!have_dot)
		problem("directory %u: no '.' entry", dir);
	if (!have_dotdot)
		problem("directory %u: no '..' entry", dir);
	if (names.count > 1)
		qsort(names.at, names.count, FS_NAME_LEN, by_name);
	for (uint32_t i = 1; i < names.count; i++) {
		char name[FS_NAME_LEN + 1];

		printable(name, names.at[i]);
		if (by_name(names.at[i - 1], names.at[i]) == 0)
			problem("directory %u: name '%s' appears twice", dir, name);
	}
	free(names.at);
}

enum { UNKNOWN, VISITING, REACHABLE, CUT_OFF };

/* Pass 4, for all directories: whether following parents from each reaches the root
 * (a loop of directories naming each other passes every other test). Each chain is
 * walked once and marked, so long chains and loops cost no more than short ones. */
static void check_reachable(uint8_t *state)
{
	state[FS_ROOT_INUM] = REACHABLE;
	for (uint32_t d = 0; d < sb.ninodes; d++) {
		uint32_t p = d;

		if (!parent[d])
			continue; /* reported with its ".." */
		while (state[p] == UNKNOWN && parent[p]) {
			state[p] = VISITING;
			p = parent[p];
		}
		uint8_t answer = state[p] == REACHABLE ? REACHABLE : CUT_OFF;
		if (state[p] == UNKNOWN)
			state[p] = CUT_OFF;
		for (uint32_t q = d; state[q] == VISITING; q = parent[q])
			state[q] = answer;
		if (state[d] == CUT_OFF)
			problem("directory %u: not reachable from the root", d);
	}
}

/* Passes 3 to 5 on an image whose superblock is sane. */
static void check_tree(void)
{
	uint32_t used_inodes = 0, used_blocks = 0;
	uint8_t *state = calloc(sb.ninodes, 1);

	owner = calloc(sb.nblocks, sizeof *owner);
	refs = calloc(sb.ninodes, sizeof *refs);
	parent = calloc(sb.ninodes, sizeof *parent);
	dotdot = calloc(sb.ninodes, sizeof *dotdot);
	if (!state || !owner || !refs || !parent || !dotdot)
		die("out of memory checking a %u-block image", sb.nblocks);

	struct fs_inode zero = get_inode(0), root = get_inode(FS_ROOT_INUM);
	if (zero.type != 0)
		problem("inode 0: type %u, but inode 0 is reserved (0 marks an empty entry)",
		        zero.type);
	if (root.type != T_DIR)
		problem("inode %d (root): type %u, not a directory", FS_ROOT_INUM, root.type);
	for (uint32_t i = 1; i < sb.ninodes; i++) {
		struct fs_inode ip = get_inode(i);
		if (in_use(&ip)) {
			used_inodes++;
			check_blocks(i, &ip);
		} else if (ip.type != 0) {
			problem("inode %u: unknown type %u", i, ip.type);
		}
	}
	for (uint32_t i = 1; i < sb.ninodes; i++) {
		struct fs_inode ip = get_inode(i);
		if (ip.type == T_DIR)
			check_directory(i, &ip);
	}
	for (uint32_t i = 1; i < sb.ninodes; i++) {
		struct fs_inode ip = get_inode(i);
		if (!in_use(&ip))
			continue;
		if (ip.nlink != refs[i])
			problem("inode %u: nlink is %u, but directory entries naming it: %u", i,
			        ip.nlink, refs[i]);
		if (ip.type != T_DIR)
			continue;
		if (i == FS_ROOT_INUM) {
			if (dotdot[i] && dotdot[i] != i)
				problem("directory %u (root): '..' names inode %u, not the root "
				        "itself",
				        i, dotdot[i]);
		} else if (!parent[i]) {
			problem("directory %u: no directory has an entry for it", i);
		} else if (dotdot[i] && dotdot[i] != parent[i]) {
			problem("directory %u: '..' names inode %u, but its entry is in directory "
			        "%u",
			        i, dotdot[i], parent[i]);
		}
	}
	check_reachable(state);

	/* Pass 5: the bitmap says in use exactly for the metadata and the blocks found. */
	for (uint32_t b = 0; b < sb.nblocks; b++) {
		int used = b < sb.data_start || owner[b];
		int bit = block(sb.bitmap_start)[b / 8] >> (b % 8) & 1;
		used_blocks += used && b >= sb.data_start;
		if (used && !bit && owner[b])
			problem("block %u: used by inode %u but free in the bitmap", b, owner[b]);
		else if (used && !bit)
			problem("block %u: a metadata block, but free in the bitmap", b);
		else if (!used && bit)
			problem("block %u: in use in the bitmap but no inode uses it", b);
	}
	if (problems == 0)
		printf("clean: %u blocks, %u of %u inodes and %u of %u data blocks in use\n",
		       sb.nblocks, used_inodes, sb.ninodes - 1, used_blocks,
		       sb.nblocks - sb.data_start);
	free(state);
	free(owner);
	free(refs);
	free(parent);
	free(dotdot);
}

int check_image(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *bytes;
	long size;

	if (!f || fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0)
		die("%s: %s", path, strerror(errno));
	bytes = malloc(size ? size : 1);
	if (!bytes)
		die("%s: out of memory for %ld bytes", path, size);
	if (fread(bytes, 1, size, f) != (size_t)size)
		die("%s: cannot read it whole", path);
	fclose(f);
	image = bytes;

	if (check_superblock(size) == 0) {
		check_log();
		check_tree();
	} else {
		printf("(the superblock is unusable, so nothing else was checked)\n");
	}
	free(bytes);
	if (problems > MAX_SHOWN)
		printf("... and %lu more problems\n", problems - MAX_SHOWN);
	if (problems)
		printf("%s: %lu problem%s\n", path, problems, problems == 1 ? "" : "s");
	return problems ? 1 : 0;
}
