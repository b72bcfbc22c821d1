/*
 * Reading key=value words from the kernel command line.
 */
#include "dev/bootargs.h"

#include "dev/console.h"
#include "dev/platform.h"
#include "lib/string.h"

static const char *const known_keys[] = {"test",    "token",     "seed",  "hz",   "bench", "slice",
                                         "mmdebug", "hartentry", "crash", "init", "trace"};

/* Finds the next word starting at *p; returns its length and advances *p past it. */
static size_t next_word(const char **p)
{
	while (**p == ' ')
		(*p)++;
	size_t n = 0;
	while ((*p)[n] && (*p)[n] != ' ')
		n++;
	return n;
}

unsigned bootarg_uint(const char *key, unsigned min, unsigned max, unsigned fallback,
                      const char *what)
{
	char buf[16];
	if (!bootarg(key, buf, sizeof buf))
		return fallback;
	unsigned long v = 0;
	const char *p = buf;
	/* Stop once past max: the value is refused anyway, and v cannot overflow. */
	for (; *p >= '0' && *p <= '9' && v <= max; p++)
		v = v * 10 + (unsigned)(*p - '0');
	if (*p != '\0' || p == buf || v < min || v > max) {
		printf("sprout: %s=%s is not %s from %u to %u; using %u\n", key, buf, what, min,
		       max, fallback);
		return fallback;
	}
	return (unsigned)v;
}

bool bootarg(const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	const char *p = platform.bootargs;
	for (size_t n; (n = next_word(&p)) != 0; p += n) {
		if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t vlen = n - klen - 1;
			if (size) {
				size_t copy = vlen < size - 1 ? vlen : size - 1;
				memcpy(buf, p + klen + 1, copy);
				buf[copy] = '\0';
			}
			return true;
		}
	}
	return false;
}

void bootargs_check(void)
{
	const char *p = platform.bootargs;
	for (size_t n; (n = next_word(&p)) != 0; p += n) {
		bool known = false;
		for (size_t i = 0; i < sizeof known_keys / sizeof known_keys[0]; i++) {
			size_t klen = strlen(known_keys[i]);
			if (n > klen && strncmp(p, known_keys[i], klen) == 0 && p[klen] == '=')
				known = true;
		}
		if (!known) {
			char word[64];
			strlcpy(word, p, n + 1 < sizeof word ? n + 1 : sizeof word);
			printf("sprout: ignoring unknown kernel argument '%s'\n", word);
		}
	}
}
