/*
 * echo [ARG...]: writes the arguments separated by blanks, then a newline, in one
 * write() when they fit in 1 KiB, so that concurrent echoes do not mix their output.
 */
#include "user.h"

static char line[1024];
static int len;

static void add(const char *s)
{
	for (; *s; s++) {
		if (len == sizeof(line)) {
			if (write(1, line, len) != len)
				exit(1);
			len = 0;
		}
		line[len++] = *s;
	}
}

int main(int argc, char *argv[])
{
	for (int i = 1; i < argc; i++) {
		if (i > 1)
			add(" ");
		add(argv[i]);
	}
	add("\n");
	return write(1, line, len) == len ? 0 : 1;
}
