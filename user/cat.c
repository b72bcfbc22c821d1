/* cat [FILE...]: copies each file, or fd 0 when there is none, to fd 1. */
#include "user.h"

static char buf[4096];

/* 0, or 1 after printing why the copy stopped. */
static int copy(int fd, const char *name)
{
	int n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (int done = 0; done < n;) {
			int w = write(1, buf + done, n - done);
			if (w <= 0) {
				fprintf(2, "cat: write error\n");
				return 1;
			}
			done += w;
		}
	}
	if (n < 0) {
		fprintf(2, "cat: %s: read error\n", name);
		return 1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	if (argc < 2)
		return copy(0, "standard input");
	int status = 0;
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0) {
			fprintf(2, "cat: %s: cannot open\n", argv[i]);
			status = 1;
			continue;
		}
		status |= copy(fd, argv[i]);
		close(fd);
	}
	return status;
}
