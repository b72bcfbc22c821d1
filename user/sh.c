/*
 * sh: the shell.
 *
 *   sh            reads command lines from fd 0, with a "$ " prompt when fd 0 is a device
 *   sh FILE       reads them from FILE
 *   sh -c LINE    runs LINE
 *
 * Each line is parsed (sh_parse.c, grammar in sh.h) into jobs, run in order. A job is a
 * pipeline: one child per command, stdout of each piped to stdin of the next, "<" and
 * ">" applied after the pipes. The shell waits for every command of a foreground job.
 * For a background job ("&") it forks a helper that starts the pipeline, prints the pid
 * of its last command as "[pid]" and exits at once: the commands become orphans, which
 * init reaps when they finish, so the shell never holds on to them.
 *
 * A command name without '/' is looked up in the root directory ("ls" runs /ls); one
 * with '/' is used as it is. Built in: cd [DIR] (the root directory by default) and
 * exit [STATUS]; they act on the shell itself when they are a job of their own.
 */
#include "sh.h"

static struct sh_line line; /* static: a few KiB, more than a stack should carry */

static void cd(struct sh_cmd *c)
{
	if (c->argc > 2) {
		fprintf(2, "sh: cd: too many arguments\n");
		return;
	}
	const char *dir = c->argc == 2 ? c->argv[1] : "/";
	if (chdir(dir) < 0)
		fprintf(2, "sh: cd: %s: no such directory\n", dir);
}

/* Runs c if it is built in; returns whether it was. */
static int builtin(struct sh_cmd *c)
{
	if (strcmp(c->argv[0], "cd") == 0) {
		cd(c);
		return 1;
	}
	if (strcmp(c->argv[0], "exit") == 0)
		exit(c->argc > 1 ? atoi(c->argv[1]) : 0);
	return 0;
}

/* Makes `to` refer to what `from` refers to, and closes `from`. Child only. */
static void move_fd(int from, int to)
{
	close(to);
	if (dup(from) != to) {
		fprintf(2, "sh: cannot set up fd %d\n", to);
		exit(1);
	}
	close(from);
}

/* Opens path as descriptor fd. Child only. */
static void redirect(const char *path, int fd, int flags)
{
	close(fd);
	int got = open(path, flags);
	if (got < 0) {
		fprintf(2, "sh: %s: cannot open\n", path);
		exit(1);
	}
	if (got != fd)
		move_fd(got, fd);
}

/* In a child whose fds 0 and 1 are already piped: redirects, then execs. */
static void run_command(struct sh_cmd *c) __attribute__((noreturn));
static void run_command(struct sh_cmd *c)
{
	if (c->in)
		redirect(c->in, 0, O_RDONLY);
	if (c->out)
		redirect(c->out, 1, O_WRONLY | O_CREATE | O_TRUNC);
	if (builtin(c))
		exit(0);

	static char path[MAXPATH];
	const char *name = c->argv[0];
	if (!strchr(name, '/')) {
		if (snprintf(path, sizeof(path), "/%s", name) >= (int)sizeof(path)) {
			fprintf(2, "sh: %s: name too long\n", name);
			exit(127);
		}
		name = path;
	}
	exec(name, c->argv);

	int fd = open(name, O_RDONLY);
	if (fd >= 0) {
		fprintf(2, "sh: %s: cannot execute\n", c->argv[0]);
		exit(126);
	}
	fprintf(2, "sh: %s: not found\n", c->argv[0]);
	exit(127);
}

/* Starts the commands of job, connected by pipes; returns how many started. */
static int start_job(struct sh_job *job, int *pids)
{
	int from_prev = -1; /* read end of the pipe from the previous command */
	for (int i = 0; i < job->n; i++) {
		int last = i == job->n - 1;
		int p[2] = {-1, -1};
		if (!last && pipe(p) < 0) {
			fprintf(2, "sh: pipe failed\n");
			if (from_prev >= 0)
				close(from_prev);
			return i;
		}
		int pid = fork();
		if (pid == 0) {
			if (from_prev >= 0)
				move_fd(from_prev, 0);
			if (!last) {
				close(p[0]);
				move_fd(p[1], 1);
			}
			run_command(&line.cmds[job->first + i]);
		}
		if (from_prev >= 0)
			close(from_prev);
		if (!last) {
			close(p[1]);
			from_prev = p[0];
		}
		if (pid < 0) {
			fprintf(2, "sh: fork failed\n");
			if (from_prev >= 0)
				close(from_prev);
			return i;
		}
		pids[i] = pid;
	}
	return job->n;
}

/* Waits until every pid in pids[0..n-1] has exited. */
static void wait_all(int *pids, int n)
{
	while (n > 0) {
		int pid = wait(0);
		if (pid < 0)
			return;
		for (int i = 0; i < n; i++) {
			if (pids[i] == pid) {
				pids[i] = pids[--n];
				break;
			}
		}
	}
}

static void run_job(struct sh_job *job)
{
	int pids[SH_MAXCMDS];
	if (!job->background) {
		if (job->n == 1 && builtin(&line.cmds[job->first]))
			return;
		wait_all(pids, start_job(job, pids));
		return;
	}
	int helper = fork();
	if (helper == 0) {
		int n = start_job(job, pids);
		if (n > 0)
			printf("[%d]\n", pids[n - 1]);
		exit(0);
	}
	if (helper < 0)
		fprintf(2, "sh: fork failed\n");
	else
		wait_all(&helper, 1);
}

static void run_line(const char *text)
{
	const char *error = sh_parse(text, &line);
	if (error) {
		fprintf(2, "sh: %s\n", error);
		return;
	}
	for (int i = 0; i < line.njobs; i++)
		run_job(&line.jobs[i]);
}

/*
 * Reads a line from fd into buf without its newline. Returns its length, -1 at the end
 * of input, or -2 if it did not fit (the rest of it is read and dropped).
 */
static int read_line(int fd, char *buf, int size)
{
	int n = 0, too_long = 0, got = 0;
	char c;
	while (read(fd, &c, 1) == 1) {
		got = 1;
		if (c == '\n')
			break;
		if (n < size - 1)
			buf[n++] = c;
		else
			too_long = 1;
	}
	buf[n] = '\0';
	if (!got)
		return -1;
	return too_long ? -2 : n;
}

int main(int argc, char *argv[])
{
	static char text[SH_MAXLINE];
	if (argc == 3 && strcmp(argv[1], "-c") == 0) {
		run_line(argv[2]);
		return 0;
	}
	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(2, "usage: sh [FILE] | sh -c LINE\n");
		return 2;
	}

	int fd = 0;
	if (argc == 2 && (fd = open(argv[1], O_RDONLY)) < 0) {
		fprintf(2, "sh: %s: cannot open\n", argv[1]);
		return 1;
	}
	struct stat st;
	int interactive = fstat(fd, &st) == 0 && st.type == T_DEVICE;
	for (;;) {
		if (interactive)
			fprintf(2, "$ ");
		int n = read_line(fd, text, sizeof(text));
		if (n == -1)
			return 0;
		if (n == -2)
			fprintf(2, "sh: line too long\n");
		else
			run_line(text);
	}
}
