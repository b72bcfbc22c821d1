/*
 * Figures of the file system for `make bench` (grade/bench.py), under -icount shift=0 on
 * one hart, read from instret. Under -icount, instret is QEMU's virtual clock in ns: one
 * per instruction executed, plus the virtual time that passes while the hart sleeps in
 * wfi waiting for the disk, which follows how fast the host does the I/O. So a figure
 * without disk I/O (a cached block read) is instructions, and the others are guest time
 * ("guest-ns"), with the disk requests beside them as the host-independent measure.
 */
#include "debug/ktest.h"
#include "fs/bcache.h"
#include "fs/disk.h"
#include "fs/fs.h"
#include "fs/super.h"
#include "hal/cpu.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "tests/fs_util.h"

#define BENCH_FILE   (1024 * 1024)
#define BENCH_PIECE  4096
#define SMALL_ROUNDS 50
#define BLOCK_ROUNDS 200

struct sample {
	uint64_t insns; /* instret: see the top of the file */
	struct disk_stats disk;
};

static struct sample sample(void)
{
	return (struct sample){cpu_instret(), disk_stats()};
}

KTEST_ALONE(fs, bench)
{
	KCHECK(fs_mounted(), "no file system is mounted: boot with a disk");
	uint8_t *buf = kmalloc(BENCH_PIECE);
	KCHECK(buf, "no memory");
	for (int i = 0; i < BENCH_PIECE; i++)
		buf[i] = (uint8_t)i;

	/* Sequential write of 1 MiB in 4 KiB writes, then a read of it in 4 KiB reads. */
	struct file *f;
	int err = file_open("/bench", O_CREATE | O_TRUNC | O_WRONLY, NULL, &f);
	if (err)
		kfree(buf);
	KCHECK(err == 0, "create /bench: %s", fs_strerror(err));
	struct sample a = sample();
	long r = 0;
	for (int at = 0; at < BENCH_FILE && r >= 0; at += BENCH_PIECE)
		r = file_write_kernel(f, buf, BENCH_PIECE);
	struct sample b = sample();
	file_close(f);
	if (r < 0)
		kfree(buf);
	KCHECK(r >= 0, "writing /bench: %s", fs_strerror((int)r));
	err = file_open("/bench", O_RDONLY, NULL, &f);
	if (err)
		kfree(buf);
	KCHECK(err == 0, "open /bench: %s", fs_strerror(err));
	struct sample c = sample();
	while ((r = file_read_kernel(f, buf, BENCH_PIECE)) > 0)
		;
	struct sample d = sample();
	file_close(f);
	kfree(buf);
	KCHECK(r == 0, "reading /bench: %s", fs_strerror((int)r));
	uint64_t kib = BENCH_FILE / 1024;
	ktest_bench("fs_write_seq", (b.insns - a.insns) / kib,
	            "guest-ns per KiB of a 1 MiB file written in 4 KiB writes");
	ktest_bench("fs_write_seq_disk", (b.disk.writes - a.disk.writes) * 100 / kib,
	            "disk block writes per 100 KiB written (log copy, home, metadata)");
	ktest_bench("fs_read_seq", (d.insns - c.insns) / kib,
	            "guest-ns per KiB of the 1 MiB file read in 4 KiB reads");
	ktest_bench("fs_read_seq_disk", (d.disk.reads - c.disk.reads) * 100 / kib,
	            "disk block reads per 100 KiB read (64 buffers cache the last ones written)");
	KCHECK(fs_unlink("/bench", NULL) == 0, "unlink /bench");

	/* Creating a 100-byte file and deleting it: two operations, two commits. */
	a = sample();
	for (int i = 0; i < SMALL_ROUNDS; i++) {
		KCHECK(fsu_put("/small", "0123456789", 10) == 0, "writing /small");
		KCHECK(fs_unlink("/small", NULL) == 0, "unlink /small");
	}
	b = sample();
	ktest_bench("fs_create_delete", (b.insns - a.insns) / SMALL_ROUNDS,
	            "guest-ns per create+write(10 bytes)+close+unlink");
	ktest_bench("fs_create_delete_disk", (b.disk.writes - a.disk.writes) / SMALL_ROUNDS,
	            "disk block writes per create+write+close+unlink");

	/* One block read: from the cache, and from the disk after dropping its copy. */
	uint32_t block = fs_sb.inode_start;
	struct buf *bp;
	KCHECK(bread(block, &bp) == 0, "bread(%u)", block);
	brelse(bp);
	uint64_t t0 = cpu_instret();
	for (int i = 0; i < BLOCK_ROUNDS; i++) {
		if (bread(block, &bp) == 0)
			brelse(bp);
	}
	uint64_t cached = (cpu_instret() - t0) / BLOCK_ROUNDS;
	uint64_t uncached = 0;
	for (int i = 0; i < BLOCK_ROUNDS; i++) {
		bcache_forget(block);
		t0 = cpu_instret();
		if (bread(block, &bp) == 0)
			brelse(bp);
		uncached += cpu_instret() - t0;
	}
	ktest_bench("fs_bread_cached", cached, "instructions per bread+brelse of a cached block");
	ktest_bench("fs_bread_uncached", uncached / BLOCK_ROUNDS,
	            "guest-ns per bread+brelse that reads the disk (the wait, the interrupt and "
	            "the wakeup included)");
}
