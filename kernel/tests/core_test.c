/*
 * Tests of the foundation: formatting, the device tree reader, boot phases, and the
 * harness itself. They run in the early phase, before any allocator exists.
 */
#include "debug/ktest.h"
#include "debug/panic.h"
#include "debug/phase.h"
#include "dev/platform.h"
#include "lib/format.h"
#include "lib/ksyms.h"
#include "lib/string.h"

static bool formats_to(const char *expected, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (strcmp(buf, expected) != 0) {
		ktest_info("format \"%s\" gave \"%s\", expected \"%s\"", fmt, buf, expected);
		return false;
	}
	return true;
}

KTEST(core, format)
{
	KCHECK(formats_to("42 -7 +", "%d %i %c", 42, -7, '+'), "%%d %%i %%c");
	KCHECK(formats_to("4294967295", "%u", 4294967295u), "%%u");
	KCHECK(formats_to("ff FF", "%x %X", 255, 255), "%%x %%X");
	KCHECK(formats_to("-9223372036854775808", "%ld", (long)INT64_MIN), "%%ld minimum");
	KCHECK(formats_to("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX), "%%llu");
	KCHECK(formats_to("123", "%zu", (size_t)123), "%%zu");
	KCHECK(formats_to("0x0000000080200000", "%p", (void *)0x80200000), "%%p");
	KCHECK(formats_to("  7|007|-07|7  |", "%3d|%03d|%03d|%-3d|", 7, 7, -7, 7), "width");
	KCHECK(formats_to("ab (null)", "%s %s", "ab", (char *)NULL), "%%s");
	KCHECK(formats_to("100%", "100%%"), "%%%%");
	char small[4];
	int n = snprintf(small, sizeof small, "%s", "abcdef");
	KCHECK(n == 6 && strcmp(small, "abc") == 0, "snprintf truncation gave %d \"%s\"", n, small);
}

KTEST(core, symbols)
{
	char buf[96];
	snprintf(buf, sizeof buf, "%pS", (void *)((uintptr_t)ktest_fn_core_symbols + 4));
	KCHECK(strcmp(buf, "ktest_fn_core_symbols+0x4") == 0, "symbolized as %s", buf);
}

KTEST(core, platform)
{
	ktest_info("harts=%d ram_base=%p ram_size=%lu uart=%p test=%p timebase=%lu",
	           platform.nharts, (void *)platform.ram.base, platform.ram.size,
	           (void *)platform.uart_base, (void *)platform.test_base, platform.timebase_hz);
	KCHECK(platform.ram.size >= (16u << 20), "RAM size %lu is implausible", platform.ram.size);
	KCHECK(platform.test_base != 0, "no sifive,test device found");
	KCHECK(platform.nharts >= 1, "no harts");
	KCHECK(platform.dtb.base >= platform.ram.base &&
	               platform.dtb.base + platform.dtb.size <=
	                       platform.ram.base + platform.ram.size,
	       "device tree %p+%lu is not in RAM", (void *)platform.dtb.base, platform.dtb.size);
}

KTEST_DEATH(core, phase_check)
{
	/* In the early phase, asking for the scheduler phase must panic and say so. */
	assert_phase_at_least(PHASE_SCHEDULER);
}

KTEST_DEATH(core, panic_backtrace)
{
	panic("deliberate panic from a test");
}
