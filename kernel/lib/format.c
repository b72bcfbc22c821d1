/*
 * The formatter behind printf and snprintf. It never allocates and takes no lock, so it
 * is safe in trap handlers and in panic().
 */
#include "lib/format.h"

#include <stdbool.h>
#include <stdint.h>

#include "lib/ksyms.h"
#include "lib/string.h"

struct spec {
	int width;
	bool zero_pad;
	bool left;
};

static void pad(format_sink sink, void *ctx, int n, char c)
{
	while (n-- > 0)
		sink(c, ctx);
}

static void put_string(format_sink sink, void *ctx, const char *s, struct spec sp)
{
	if (!s)
		s = "(null)";
	int len = (int)strlen(s);
	if (!sp.left)
		pad(sink, ctx, sp.width - len, ' ');
	while (*s)
		sink(*s++, ctx);
	if (sp.left)
		pad(sink, ctx, sp.width - len, ' ');
}

static void put_number(format_sink sink, void *ctx, uint64_t v, bool negative, unsigned base,
                       bool upper, struct spec sp)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int n = 0;
	do {
		buf[n++] = digits[v % base];
		v /= base;
	} while (v);
	int len = n + (negative ? 1 : 0);
	if (sp.left) {
		if (negative)
			sink('-', ctx);
		while (n)
			sink(buf[--n], ctx);
		pad(sink, ctx, sp.width - len, ' ');
		return;
	}
	if (sp.zero_pad) {
		if (negative)
			sink('-', ctx);
		pad(sink, ctx, sp.width - len, '0');
	} else {
		pad(sink, ctx, sp.width - len, ' ');
		if (negative)
			sink('-', ctx);
	}
	while (n)
		sink(buf[--n], ctx);
}

/* %pS: "name+0xoff" for a code address the symbol table knows, the hex address if not. */
static void put_symbol(format_sink sink, void *ctx, uintptr_t addr, struct spec sp)
{
	char buf[96];
	uintptr_t offset;
	const char *name = ksym_lookup(addr, &offset);
	if (name)
		snprintf(buf, sizeof buf, "%s+0x%lx", name, offset);
	else
		snprintf(buf, sizeof buf, "0x%lx", addr);
	put_string(sink, ctx, buf, sp);
}

void vformat(format_sink sink, void *ctx, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			sink(*fmt, ctx);
			continue;
		}
		struct spec sp = {0};
		fmt++;
		for (;; fmt++) {
			if (*fmt == '0')
				sp.zero_pad = true;
			else if (*fmt == '-')
				sp.left = true;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			sp.width = sp.width * 10 + (*fmt++ - '0');
		int longs = 0;
		for (;; fmt++) {
			if (*fmt == 'l')
				longs++;
			else if (*fmt == 'z')
				longs = 2;
			else
				break;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
			put_number(sink, ctx, mag, v < 0, 10, false, sp);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);
			put_number(sink, ctx, v, false, *fmt == 'u' ? 10 : 16, *fmt == 'X', sp);
			break;
		}
		case 'p': {
			uintptr_t v = (uintptr_t)va_arg(ap, void *);
			if (fmt[1] == 'S') {
				fmt++;
				put_symbol(sink, ctx, v, sp);
				break;
			}
			sink('0', ctx);
			sink('x', ctx);
			put_number(sink, ctx, v, false, 16, false,
			           (struct spec){.width = 16, .zero_pad = true});
			break;
		}
		case 's':
			put_string(sink, ctx, va_arg(ap, const char *), sp);
			break;
		case 'c':
			sink((char)va_arg(ap, int), ctx);
			break;
		case '%':
			sink('%', ctx);
			break;
		case '\0':
			return;
		default:
			/* Print an unknown conversion as written, so the mistake shows. */
			sink('%', ctx);
			sink(*fmt, ctx);
		}
	}
}

struct buffer {
	char *buf;
	size_t size;
	size_t len;
};

static void buffer_sink(char c, void *ctx)
{
	struct buffer *b = ctx;
	if (b->len + 1 < b->size)
		b->buf[b->len] = c;
	b->len++;
}

/* Caller must pass `size` writable bytes at buf. Returns the length it wanted to write. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buffer b = {buf, size, 0};
	vformat(buffer_sink, &b, fmt, ap);
	if (size)
		buf[b.len < size ? b.len : size - 1] = '\0';
	return (int)b.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
