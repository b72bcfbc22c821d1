/*
 * The shell's parser: turns a line into jobs of commands (sh.h has the grammar). It
 * reads the line one token at a time: a word, or one of the operators | < > ; &. Words
 * are copied, unquoted, into line->words; commands point into it.
 */
#include "sh.h"

enum token { T_END, T_WORD, T_PIPE, T_IN, T_OUT, T_SEMI, T_AMP, T_ERROR };

struct lexer {
	const char *p;    /* the next character of the line */
	char *word_end;   /* where the next word goes in line->words */
	const char *word; /* the last T_WORD */
	const char *error;
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_operator(char c)
{
	return c == '|' || c == '<' || c == '>' || c == ';' || c == '&';
}

static enum token next_token(struct lexer *lx)
{
	while (is_blank(*lx->p))
		lx->p++;
	char c = *lx->p;
	if (c == '\0')
		return T_END;
	if (is_operator(c)) {
		lx->p++;
		switch (c) {
		case '|':
			return T_PIPE;
		case '<':
			return T_IN;
		case '>':
			return T_OUT;
		case ';':
			return T_SEMI;
		default:
			return T_AMP;
		}
	}
	/* A word: it fits, since words never take more bytes than the line they came from. */
	lx->word = lx->word_end;
	while (*lx->p && !is_blank(*lx->p) && !is_operator(*lx->p)) {
		char quote = *lx->p;
		if (quote != '\'' && quote != '"') {
			*lx->word_end++ = *lx->p++;
			continue;
		}
		const char *close = strchr(lx->p + 1, quote);
		if (!close) {
			lx->error = "unterminated quote";
			return T_ERROR;
		}
		for (lx->p++; lx->p < close;)
			*lx->word_end++ = *lx->p++;
		lx->p++;
	}
	*lx->word_end++ = '\0';
	return T_WORD;
}

static const char *near(enum token t)
{
	switch (t) {
	case T_PIPE:
		return "syntax error near '|'";
	case T_IN:
		return "syntax error near '<'";
	case T_OUT:
		return "syntax error near '>'";
	case T_SEMI:
		return "syntax error near ';'";
	case T_AMP:
		return "syntax error near '&'";
	default:
		return "syntax error";
	}
}

const char *sh_parse(const char *text, struct sh_line *line)
{
	memset(line, 0, sizeof(*line));
	if (strlen(text) >= SH_MAXLINE)
		return "line too long";
	struct lexer lx = {.p = text, .word_end = line->words};

	struct sh_cmd *cmd = 0; /* the command being read; 0 between commands */
	struct sh_job *job = 0; /* the job being read; 0 between jobs */
	for (;;) {
		enum token t = next_token(&lx);
		if (t == T_ERROR)
			return lx.error;

		if (t == T_WORD || t == T_IN || t == T_OUT) {
			if (!cmd) {
				if (line->ncmds == SH_MAXCMDS)
					return "too many commands";
				if (!job) {
					job = &line->jobs[line->njobs++];
					job->first = line->ncmds;
				}
				cmd = &line->cmds[line->ncmds++];
				job->n++;
			}
			if (t == T_WORD) {
				if (cmd->argc == MAXARG)
					return "too many arguments";
				cmd->argv[cmd->argc++] = (char *)lx.word;
				continue;
			}
			enum token file = next_token(&lx);
			if (file == T_ERROR)
				return lx.error;
			if (file != T_WORD)
				return t == T_IN ? "missing file name after '<'"
				                 : "missing file name after '>'";
			char **slot = t == T_IN ? &cmd->in : &cmd->out;
			if (*slot)
				return t == T_IN ? "more than one '<'" : "more than one '>'";
			*slot = (char *)lx.word;
			continue;
		}

		/* An operator that ends a command (| ; &) or the end of the line. */
		if (cmd && cmd->argc == 0)
			return "missing command";
		if (t == T_PIPE) {
			if (!cmd)
				return near(t);
			cmd = 0;
			continue;
		}
		if (!cmd && job) /* "a |" then ; & or the end */
			return t == T_END ? "missing command after '|'" : near(t);
		if (t == T_END)
			return 0;
		if (!job)
			return near(t); /* ; or & with no command before it */
		job->background = t == T_AMP;
		job = 0;
		cmd = 0;
	}
}
