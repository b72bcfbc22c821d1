/*
 * init: the first user process (pid 1). It opens the console as fds 0, 1 and 2 (making
 * the device file /console if the disk has none), then keeps a shell running: it starts
 * /sh, and starts another whenever that one exits. Every process whose parent exits
 * becomes init's child, so the same wait() loop that notices the shell's exit also
 * reaps those orphans.
 */
#include "user.h"

static char *sh_argv[] = {"sh", 0};

/* Makes fds 0, 1 and 2 the console, unless they are open already. */
static void open_console(void)
{
	int fd = open("/console", O_RDWR);
	if (fd < 0) {
		mknod("/console", CONSOLE, 0);
		fd = open("/console", O_RDWR);
	}
	if (fd < 0)
		exit(1); /* nothing to print the complaint on */
	while (fd < 2) {
		fd = dup(fd);
		if (fd < 0)
			exit(1);
	}
	if (fd > 2)
		close(fd);
}

static int start_sh(void)
{
	for (;;) {
		int pid = fork();
		if (pid == 0) {
			exec("/sh", sh_argv);
			fprintf(2, "init: cannot exec /sh\n");
			exit(1);
		}
		if (pid > 0)
			return pid;
		fprintf(2, "init: fork failed; trying again in 100 ticks\n");
		sleep(100);
	}
}

int main(void)
{
	open_console();
	for (;;) {
		int sh = start_sh();
		int started = uptime();
		int status = 0, pid;
		while ((pid = wait(&status)) != sh) {
			if (pid < 0) {
				fprintf(2, "init: wait failed; the shell is lost\n");
				break;
			}
			/* An orphan: reaping it is all there is to do. */
		}
		printf("init: sh exited with status %d; starting a new one\n", status);
		/* A shell that dies at once would otherwise be restarted in a tight loop. */
		if (uptime() - started < 100)
			sleep(100);
	}
}
