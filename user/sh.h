/*
 * The shell's command lines, as the parser (sh_parse.c) hands them to the executor
 * (sh.c). The parser makes no system calls, so the host tests build it alone.
 *
 *   line      = [ job { ( ";" | "&" ) job } [ ";" | "&" ] ]
 *   job       = command { "|" command }
 *   command   = { word | "<" word | ">" word }      at least one word
 *
 * A job ended by "&" runs in the background. Words are separated by blanks and by the
 * operators | < > ; &, and may be quoted: '...' and "..." keep blanks and operators
 * (no escapes inside), and quoted and unquoted parts next to each other form one word.
 */
#pragma once

#include "user.h"

#define SH_MAXLINE 512 /* bytes in a line, the newline included */
#define SH_MAXCMDS 16  /* commands in a line, all jobs together */

struct sh_cmd {
	int argc;
	char *argv[MAXARG + 1]; /* argv[argc] is 0 */
	char *in;               /* "< file", or 0 */
	char *out;              /* "> file", or 0 */
};

struct sh_job {
	int first; /* its commands are cmds[first .. first + n - 1], joined by pipes */
	int n;
	int background;
};

struct sh_line {
	int njobs, ncmds;
	struct sh_job jobs[SH_MAXCMDS];
	struct sh_cmd cmds[SH_MAXCMDS];
	char words[SH_MAXLINE]; /* the words, each ending in a NUL; argv points here */
};

/*
 * Parses text (one line; a trailing newline is a blank) into *line. Returns 0, or a
 * message saying what is wrong with the line ("syntax error near '|'").
 */
const char *sh_parse(const char *text, struct sh_line *line);
