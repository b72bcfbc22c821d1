/*
 * printf, fprintf, vfprintf and snprintf: one formatter writing into a buffer. For a
 * file descriptor the buffer is flushed with write() whenever it fills and at the end,
 * so a short line goes out in one write() and lines from several processes do not mix
 * character by character. For snprintf the buffer is the caller's and nothing is
 * written anywhere. The conversions are listed in user.h.
 */
#include "user.h"

#define OUT_BUFSIZE 256

/* Where formatted characters go. */
struct out {
	char *buf;
	int cap;   /* bytes buf can take */
	int len;   /* bytes in buf */
	int fd;    /* flush to this descriptor when full; -1: keep the first cap, drop the rest */
	int total; /* characters produced, dropped ones included */
	int error; /* a write() failed */
};

static void flush(struct out *o)
{
	int done = 0;
	while (done < o->len && !o->error) {
		int n = write(o->fd, o->buf + done, o->len - done);
		if (n <= 0)
			o->error = 1;
		else
			done += n;
	}
	o->len = 0;
}

static void put(struct out *o, char c)
{
	if (o->len == o->cap && o->fd >= 0)
		flush(o);
	if (o->len < o->cap)
		o->buf[o->len++] = c;
	o->total++;
}

static void put_repeated(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

/* One conversion's flags, width and precision. */
struct spec {
	int left;      /* '-' */
	int zero;      /* '0' */
	int plus;      /* '+' */
	int space;     /* ' ' */
	int alt;       /* '#' */
	int width;     /* 0: none */
	int precision; /* -1: none */
};

static void put_string(struct out *o, const char *s, const struct spec *sp)
{
	if (!s)
		s = "(null)";
	int len = 0;
	while (s[len] != '\0' && (sp->precision < 0 || len < sp->precision))
		len++;
	if (!sp->left)
		put_repeated(o, ' ', sp->width - len);
	for (int i = 0; i < len; i++)
		put(o, s[i]);
	if (sp->left)
		put_repeated(o, ' ', sp->width - len);
}

/*
 * An integer: sign or prefix, then zeros up to the precision (or, with '0' and no
 * precision, up to the width), then the digits, padded with blanks to the width.
 */
static void put_integer(struct out *o, uint64 magnitude, int negative, int base, int upper,
                        const char *prefix, const struct spec *sp)
{
	const char *digit = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char digits[24]; /* 2^64 in octal is 22 digits */
	int n = 0;
	if (magnitude != 0 || sp->precision != 0) {
		do {
			digits[n++] = digit[magnitude % (uint64)base];
			magnitude /= (uint64)base;
		} while (magnitude != 0);
	}

	char sign[3];
	int nsign = 0;
	if (negative)
		sign[nsign++] = '-';
	else if (sp->plus)
		sign[nsign++] = '+';
	else if (sp->space)
		sign[nsign++] = ' ';
	for (; prefix && *prefix; prefix++)
		sign[nsign++] = *prefix;

	int zeros = sp->precision > n ? sp->precision - n : 0;
	if (sp->zero && !sp->left && sp->precision < 0 && sp->width > nsign + n)
		zeros = sp->width - nsign - n;
	int blanks = sp->width - nsign - zeros - n;

	if (!sp->left)
		put_repeated(o, ' ', blanks);
	for (int i = 0; i < nsign; i++)
		put(o, sign[i]);
	put_repeated(o, '0', zeros);
	while (n > 0)
		put(o, digits[--n]);
	if (sp->left)
		put_repeated(o, ' ', blanks);
}

/* Reads digits or a '*' argument at *fmt; returns -1 for a negative '*' value. */
static int read_count(const char **fmt, va_list *ap)
{
	if (**fmt == '*') {
		(*fmt)++;
		int v = va_arg(*ap, int);
		return v < 0 ? -1 : v;
	}
	int v = 0;
	while (**fmt >= '0' && **fmt <= '9')
		v = v * 10 + (*(*fmt)++ - '0');
	return v;
}

/* Sizes of integer arguments, from the length modifier. */
enum size { SIZE_CHAR, SIZE_SHORT, SIZE_INT, SIZE_LONG, SIZE_LONG_LONG, SIZE_SIZE_T };

static long long signed_arg(va_list *ap, enum size size)
{
	switch (size) {
	case SIZE_CHAR:
		return (signed char)va_arg(*ap, int);
	case SIZE_SHORT:
		return (short)va_arg(*ap, int);
	case SIZE_INT:
		return va_arg(*ap, int);
	case SIZE_LONG:
		return va_arg(*ap, long);
	case SIZE_LONG_LONG:
		return va_arg(*ap, long long);
	case SIZE_SIZE_T:
		return (long long)va_arg(*ap, unsigned long);
	}
	return 0;
}

static uint64 unsigned_arg(va_list *ap, enum size size)
{
	switch (size) {
	case SIZE_CHAR:
		return (unsigned char)va_arg(*ap, unsigned int);
	case SIZE_SHORT:
		return (unsigned short)va_arg(*ap, unsigned int);
	case SIZE_INT:
		return va_arg(*ap, unsigned int);
	case SIZE_LONG:
		return va_arg(*ap, unsigned long);
	case SIZE_LONG_LONG:
		return va_arg(*ap, unsigned long long);
	case SIZE_SIZE_T:
		return va_arg(*ap, unsigned long);
	}
	return 0;
}

static void format(struct out *o, const char *fmt, va_list ap_in)
{
	va_list ap;
	va_copy(ap, ap_in);
	while (*fmt != '\0') {
		if (*fmt != '%') {
			put(o, *fmt++);
			continue;
		}
		const char *start = fmt++;
		struct spec sp = {.precision = -1};
		for (;; fmt++) {
			if (*fmt == '-')
				sp.left = 1;
			else if (*fmt == '0')
				sp.zero = 1;
			else if (*fmt == '+')
				sp.plus = 1;
			else if (*fmt == ' ')
				sp.space = 1;
			else if (*fmt == '#')
				sp.alt = 1;
			else
				break;
		}
		if (*fmt == '*') {
			/* A negative width argument means '-' and its absolute value. */
			fmt++;
			int w = va_arg(ap, int);
			if (w < 0) {
				sp.left = 1;
				w = w == -2147483647 - 1 ? 2147483647 : -w;
			}
			sp.width = w;
		} else {
			sp.width = read_count(&fmt, &ap);
		}
		if (*fmt == '.') {
			fmt++;
			sp.precision = read_count(&fmt, &ap);
		}

		enum size size = SIZE_INT;
		if (*fmt == 'h') {
			fmt++;
			size = SIZE_SHORT;
			if (*fmt == 'h') {
				fmt++;
				size = SIZE_CHAR;
			}
		} else if (*fmt == 'l') {
			fmt++;
			size = SIZE_LONG;
			if (*fmt == 'l') {
				fmt++;
				size = SIZE_LONG_LONG;
			}
		} else if (*fmt == 'z') {
			fmt++;
			size = SIZE_SIZE_T;
		}

		char conv = *fmt;
		if (conv != '\0')
			fmt++;
		switch (conv) {
		case 'd':
		case 'i': {
			long long v = signed_arg(&ap, size);
			uint64 magnitude = v < 0 ? 0 - (uint64)v : (uint64)v;
			put_integer(o, magnitude, v < 0, 10, 0, 0, &sp);
			break;
		}
		case 'u':
			sp.plus = sp.space = 0;
			put_integer(o, unsigned_arg(&ap, size), 0, 10, 0, 0, &sp);
			break;
		case 'x':
		case 'X': {
			uint64 v = unsigned_arg(&ap, size);
			const char *prefix = sp.alt && v != 0 ? (conv == 'x' ? "0x" : "0X") : 0;
			sp.plus = sp.space = 0;
			put_integer(o, v, 0, 16, conv == 'X', prefix, &sp);
			break;
		}
		case 'o': {
			uint64 v = unsigned_arg(&ap, size);
			sp.plus = sp.space = 0;
			put_integer(o, v, 0, 8, 0, sp.alt && v != 0 ? "0" : 0, &sp);
			break;
		}
		case 'p': {
			uint64 v = (uint64)(unsigned long)va_arg(ap, void *);
			sp.plus = sp.space = 0;
			put_integer(o, v, 0, 16, 0, "0x", &sp);
			break;
		}
		case 's':
			put_string(o, va_arg(ap, const char *), &sp);
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);
			if (!sp.left)
				put_repeated(o, ' ', sp.width - 1);
			put(o, c);
			if (sp.left)
				put_repeated(o, ' ', sp.width - 1);
			break;
		}
		case '%':
			put(o, '%');
			break;
		default:
			/* Not a conversion: print it as it was written. */
			while (start < fmt)
				put(o, *start++);
			break;
		}
	}
	va_end(ap);
}

int vfprintf(int fd, const char *fmt, va_list ap)
{
	if (fd < 0)
		return -1;
	char buf[OUT_BUFSIZE];
	struct out o = {.buf = buf, .cap = sizeof(buf), .fd = fd};
	format(&o, fmt, ap);
	flush(&o);
	return o.error ? -1 : o.total;
}

int fprintf(int fd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vfprintf(fd, fmt, ap);
	va_end(ap);
	return n;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vfprintf(1, fmt, ap);
	va_end(ap);
	return n;
}

int snprintf(char *buf, int size, const char *fmt, ...)
{
	struct out o = {.buf = buf, .cap = size > 0 ? size - 1 : 0, .fd = -1};
	va_list ap;
	va_start(ap, fmt);
	format(&o, fmt, ap);
	va_end(ap);
	if (size > 0)
		buf[o.len] = '\0';
	return o.total;
}
