/* kill PID...: makes each process exit (with status -1). */
#include "user.h"

/* A decimal pid, or -1 for anything that is not one. */
static int parse_pid(const char *s)
{
	if (*s == '\0')
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
	}
	return atoi(s);
}

int main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(2, "usage: kill PID...\n");
		return 1;
	}
	int status = 0;
	for (int i = 1; i < argc; i++) {
		int pid = parse_pid(argv[i]);
		if (pid <= 0) {
			fprintf(2, "kill: %s: not a process id\n", argv[i]);
			status = 1;
		} else if (kill(pid) < 0) {
			fprintf(2, "kill: %d: no such process\n", pid);
			status = 1;
		}
	}
	return status;
}
