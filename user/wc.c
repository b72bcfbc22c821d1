/*
 * wc [FILE...]: lines, words and bytes of each file (of fd 0 when there is none), and
 * their total when there are several. A word is a run of characters other than blanks
 * (space, tab, newline, carriage return, vertical tab, form feed).
 */
#include "user.h"

struct counts {
	long lines, words, bytes;
};

static char buf[4096];

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* 0, or -1 on a read error. */
static int count(int fd, struct counts *c)
{
	int in_word = 0;
	int n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		c->bytes += n;
		for (int i = 0; i < n; i++) {
			if (buf[i] == '\n')
				c->lines++;
			if (is_blank(buf[i])) {
				in_word = 0;
			} else if (!in_word) {
				in_word = 1;
				c->words++;
			}
		}
	}
	return n < 0 ? -1 : 0;
}

static void show(const struct counts *c, const char *name)
{
	printf("%7ld %7ld %7ld%s%s\n", c->lines, c->words, c->bytes, name ? " " : "",
	       name ? name : "");
}

int main(int argc, char *argv[])
{
	struct counts total = {0, 0, 0};
	if (argc < 2) {
		if (count(0, &total) < 0) {
			fprintf(2, "wc: read error\n");
			return 1;
		}
		show(&total, 0);
		return 0;
	}
	int status = 0;
	for (int i = 1; i < argc; i++) {
		struct counts c = {0, 0, 0};
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0) {
			fprintf(2, "wc: %s: cannot open\n", argv[i]);
			status = 1;
			continue;
		}
		if (count(fd, &c) < 0) {
			fprintf(2, "wc: %s: read error\n", argv[i]);
			status = 1;
		}
		close(fd);
		show(&c, argv[i]);
		total.lines += c.lines;
		total.words += c.words;
		total.bytes += c.bytes;
	}
	if (argc > 2)
		show(&total, "total");
	return status;
}
