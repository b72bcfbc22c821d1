/*
 * grep PATTERN [FILE...]: prints the lines of each file (of fd 0 when there is none)
 * that PATTERN matches somewhere, each prefixed with "FILE:" when there are several
 * files. Exit status 0 if a line matched, 1 if none did, 2 on an error.
 *
 * Patterns: a character matches itself; '.' any character; [abc], [a-z] and [^...] a
 * character from (or not from) a set; \c the character c itself. An element followed
 * by '*' matches it any number of times, by '+' at least once, by '?' at most once.
 * '^' at the start and '$' at the end tie the match to the line's ends. Repeats take as
 * many characters as they can, then give them back one by one until the rest matches.
 */
#include "user.h"

/* The length of the pattern element at p: "x", "\x" or "[...]". 0 if it is malformed. */
static int element_length(const char *p)
{
	if (p[0] == '\\')
		return p[1] ? 2 : 0;
	if (p[0] != '[')
		return 1;
	int i = 1;
	if (p[i] == '^')
		i++;
	if (p[i] == ']') /* a ']' first in a set is one of its characters */
		i++;
	while (p[i] && p[i] != ']')
		i++;
	return p[i] == ']' ? i + 1 : 0;
}

/* Whether the element at p (of length len) matches the character c. */
static int element_matches(const char *p, int len, char c)
{
	if (p[0] == '\\')
		return p[1] == c;
	if (p[0] == '.')
		return 1;
	if (p[0] != '[')
		return p[0] == c;
	int i = 1, negate = 0, found = 0;
	if (p[i] == '^') {
		negate = 1;
		i++;
	}
	for (int first = 1; i < len - 1; i++, first = 0) {
		if (p[i] == ']' && !first)
			break;
		if (p[i + 1] == '-' && i + 2 < len - 1) {
			if (c >= p[i] && c <= p[i + 2])
				found = 1;
			i += 2;
		} else if (p[i] == c) {
			found = 1;
		}
	}
	return found != negate;
}

/* Whether pattern p matches a prefix of s. */
static int match_here(const char *p, const char *s)
{
	if (p[0] == '\0')
		return 1;
	if (p[0] == '$' && p[1] == '\0')
		return s[0] == '\0';
	int len = element_length(p);
	char repeat = p[len];
	if (repeat == '*' || repeat == '+' || repeat == '?') {
		int least = repeat == '+' ? 1 : 0;
		int most = repeat == '?' ? 1 : -1;
		int n = 0;
		while (s[n] && n != most && element_matches(p, len, s[n]))
			n++;
		for (; n >= least; n--) {
			if (match_here(p + len + 1, s + n))
				return 1;
		}
		return 0;
	}
	return s[0] != '\0' && element_matches(p, len, s[0]) && match_here(p + len, s + 1);
}

static int match(const char *pattern, const char *line)
{
	if (pattern[0] == '^')
		return match_here(pattern + 1, line);
	for (const char *s = line;; s++) {
		if (match_here(pattern, s))
			return 1;
		if (*s == '\0')
			return 0;
	}
}

/* Whether every element of the pattern is well formed. */
static int valid(const char *p)
{
	while (*p) {
		int len = element_length(p);
		if (len == 0)
			return 0;
		p += len;
	}
	return 1;
}

static char buf[4096 + 1];

/* Prints the matching lines of fd; returns how many there were, or -1 on a read error. */
static int grep(const char *pattern, int fd, const char *prefix)
{
	int matches = 0, have = 0, n;
	for (;;) {
		n = read(fd, buf + have, (int)sizeof(buf) - 1 - have);
		if (n < 0)
			return -1;
		have += n;
		int start = 0;
		for (int i = 0; i < have; i++) {
			/* The last line may lack its newline; one longer than the buffer is cut
			   into buffer-sized lines. */
			int cut = i == have - 1 &&
			          (n == 0 || (start == 0 && have == (int)sizeof(buf) - 1));
			if (buf[i] != '\n' && !cut)
				continue;
			int end = buf[i] == '\n' ? i : i + 1;
			char saved = buf[end];
			buf[end] = '\0';
			if (match(pattern, buf + start)) {
				matches++;
				printf("%s%s\n", prefix, buf + start);
			}
			buf[end] = saved;
			start = i + 1;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
		if (n == 0)
			return matches;
	}
}

int main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(2, "usage: grep PATTERN [FILE...]\n");
		return 2;
	}
	const char *pattern = argv[1];
	if (!valid(pattern)) {
		fprintf(2, "grep: %s: bad pattern\n", pattern);
		return 2;
	}
	if (argc == 2) {
		int n = grep(pattern, 0, "");
		if (n < 0)
			fprintf(2, "grep: read error\n");
		return n < 0 ? 2 : n > 0 ? 0 : 1;
	}
	int found = 0, error = 0;
	for (int i = 2; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0) {
			fprintf(2, "grep: %s: cannot open\n", argv[i]);
			error = 1;
			continue;
		}
		static char prefix[MAXPATH + 2];
		if (argc > 3)
			snprintf(prefix, sizeof(prefix), "%s:", argv[i]);
		int n = grep(pattern, fd, prefix);
		close(fd);
		if (n < 0) {
			fprintf(2, "grep: %s: read error\n", argv[i]);
			error = 1;
		} else if (n > 0) {
			found = 1;
		}
	}
	return error ? 2 : found ? 0 : 1;
}
