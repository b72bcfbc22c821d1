/*
 * Timer hardware: the time CSR and the compare value, through Sstc or SBI.
 */
#include "hal/timer.h"

#include "hal/csr.h"
#include "hal/sbi.h"

static bool use_sstc;

void timer_hw_init(bool sstc)
{
	use_sstc = sstc;
}

uint64_t timer_hw_now(void)
{
	return csr_read(time);
}

void timer_hw_set(uint64_t when)
{
	if (use_sstc)
		csr_write(CSR_STIMECMP, when);
	else
		sbi_set_timer(when);
}

void timer_hw_enable_interrupt(void)
{
	csr_set(sie, SIE_STIE);
}

void timer_hw_disable_interrupt(void)
{
	csr_clear(sie, SIE_STIE);
}
