/*
 * Crash points (kernel/fs/crash.h): classifies each block write by its block number
 * and, for the log header, by the count it carries, and stops the machine at the one
 * point the command line asked for.
 */
#include "fs/crash.h"

#include "debug/shutdown.h"
#include "dev/bootargs.h"
#include "dev/console.h"
#include "hart/stop.h"
#include "lib/string.h"

enum point { NONE, LOGGED, HEADER, INSTALL, INSTALLED, RECOVER, WRITE };

static const char *const point_names[] = {"none",      "logged",  "header", "install",
                                          "installed", "recover", "write"};

static struct {
	enum point point;
	uint32_t n;
	/* Where the log is, from the mount. */
	uint32_t header, nlog;
	bool mounting;
	/* What has been written since the mount began. */
	uint32_t writes, mount_writes, commits;
	uint32_t homes_since_header; /* home writes since the last header with a count */
	bool committed;              /* the last header written had a count */
	uint32_t stopped_at;         /* the block whose write did not happen */
} crash;

void crash_init(void)
{
	char arg[32];
	if (!bootarg("crash", arg, sizeof arg))
		return;
	char *colon = strchr(arg, ':');
	if (colon) {
		*colon = '\0';
		uint32_t n = 0;
		const char *p = colon + 1;
		for (; *p >= '0' && *p <= '9' && n < 100000000; p++)
			n = n * 10 + (uint32_t)(*p - '0');
		for (int i = LOGGED; i <= WRITE; i++)
			if (strcmp(arg, point_names[i]) == 0 && *p == '\0' && p != colon + 1 &&
			    n > 0)
				crash.point = (enum point)i, crash.n = n;
	}
	if (crash.point == NONE)
		printf("sprout: crash=%s%s%s is not POINT:N with N >= 1 and POINT one of logged, "
		       "header, install, installed, recover, write; ignored\n",
		       arg, colon ? ":" : "", colon ? colon + 1 : "");
}

void crash_mount_begin(uint32_t log_header, uint32_t nlog)
{
	crash.header = log_header;
	crash.nlog = nlog;
	crash.mounting = true;
	crash.writes = crash.mount_writes = crash.commits = 0;
	crash.homes_since_header = 0;
	crash.committed = false;
}

void crash_mount_end(void)
{
	crash.mounting = false;
}

uint32_t crash_commits(void)
{
	return crash.commits;
}

static bool in_log(uint32_t b)
{
	return crash.nlog && b >= crash.header && b < crash.header + crash.nlog;
}

bool crash_before_write(uint32_t blockno, const void *data)
{
	bool header = crash.nlog && blockno == crash.header;
	uint32_t count = 0;
	if (header)
		memcpy(&count, data, sizeof count);
	bool home = !in_log(blockno);
	bool stop = false;
	switch (crash.point) {
	case NONE:
		break;
	case LOGGED:
		stop = header && count && crash.commits + 1 == crash.n;
		break;
	case HEADER:
	case INSTALL:
		stop = home && !crash.mounting && crash.committed && crash.commits == crash.n &&
		       crash.homes_since_header == (crash.point == HEADER ? 0 : 1);
		break;
	case INSTALLED:
		stop = header && !count && crash.committed && crash.commits == crash.n;
		break;
	case RECOVER:
		stop = crash.mounting && crash.mount_writes + 1 == crash.n;
		break;
	case WRITE:
		stop = crash.writes + 1 == crash.n;
		break;
	}
	if (stop) {
		crash.stopped_at = blockno;
		return true;
	}
	crash.writes++;
	if (crash.mounting)
		crash.mount_writes++;
	if (header) {
		crash.committed = count != 0;
		if (count) {
			crash.commits++;
			crash.homes_since_header = 0;
		}
	} else if (home) {
		crash.homes_since_header++;
	}
	return false;
}

void crash_stop(void)
{
	printf("sprout: crash point %s:%u: the machine stops before writing block %u "
	       "(%u writes since the mount)\n",
	       point_names[crash.point], crash.n, crash.stopped_at, crash.writes);
	console_flush();
	stop_other_harts();
	power_off(EXIT_OK);
}
