/*
 * SBI calls: ecall with the extension id in a7, the function id in a6 and arguments in
 * a0..a5; the firmware answers with an error code in a0 and a value in a1 (SBI spec
 * v1.0, "Binary Encoding").
 */
#include "hal/sbi.h"

#include "hal/cpu.h"

#define SBI_EXT_BASE           0x10L
#define SBI_EXT_LEGACY_PUTCHAR 0x01L

/*
 * Caller must pass an extension and function the firmware implements with these
 * arguments; the call runs in M-mode and may change nothing but a0 and a1.
 */
static struct sbi_result sbi_call4(long ext, long fid, unsigned long a0, unsigned long a1,
                                   unsigned long a2, unsigned long a3)
{
	register unsigned long r_a0 __asm__("a0") = a0;
	register unsigned long r_a1 __asm__("a1") = a1;
	register unsigned long r_a2 __asm__("a2") = a2;
	register unsigned long r_a3 __asm__("a3") = a3;
	register unsigned long r_a6 __asm__("a6") = fid;
	register unsigned long r_a7 __asm__("a7") = ext;
	__asm__ volatile("ecall"
	                 : "+r"(r_a0), "+r"(r_a1)
	                 : "r"(r_a2), "r"(r_a3), "r"(r_a6), "r"(r_a7)
	                 : "memory");
	return (struct sbi_result){.error = (long)r_a0, .value = (long)r_a1};
}

static struct sbi_result sbi_call(long ext, long fid, unsigned long a0, unsigned long a1,
                                  unsigned long a2)
{
	return sbi_call4(ext, fid, a0, a1, a2, 0);
}

bool sbi_has_extension(long extension_id)
{
	return sbi_call(SBI_EXT_BASE, 3, extension_id, 0, 0).value != 0;
}

void sbi_set_timer(uint64_t when)
{
	sbi_call(SBI_EXT_TIME, 0, when, 0, 0);
}

struct sbi_result sbi_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base)
{
	return sbi_call(SBI_EXT_IPI, 0, hart_mask, hart_mask_base, 0);
}

struct sbi_result sbi_hart_start(unsigned long hartid, uintptr_t start, unsigned long opaque)
{
	return sbi_call(SBI_EXT_HSM, 0, hartid, start, opaque);
}

struct sbi_result sbi_hart_stop(void)
{
	return sbi_call(SBI_EXT_HSM, 1, 0, 0, 0);
}

struct sbi_result sbi_hart_status(unsigned long hartid)
{
	return sbi_call(SBI_EXT_HSM, 2, hartid, 0, 0);
}

/* If the firmware returns (it should not), stop here anyway. */
void sbi_shutdown(void)
{
	sbi_call(SBI_EXT_SRST, 0, 0 /* shutdown */, 0 /* no reason */, 0);
	cpu_halt();
}

/* Legacy extension 0x01: the extension id alone says what to do; a6 is ignored. */
void sbi_legacy_putchar(char c)
{
	sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, (unsigned char)c, 0, 0);
}

struct sbi_result sbi_remote_sfence_vma(unsigned long hart_mask, unsigned long hart_mask_base,
                                        uintptr_t start, unsigned long size)
{
	return sbi_call4(SBI_EXT_RFENCE, 1, hart_mask, hart_mask_base, start, size);
}
