/*
 * IPIs through the SBI IPI extension. The firmware delivers them as a machine-level
 * software interrupt and forwards them to S-mode by setting sip.SSIP on the target.
 */
#include "hal/ipi.h"

#include "hal/csr.h"
#include "hal/sbi.h"

void ipi_send(uint32_t hartid)
{
	/* hart_mask bit 0 stands for hart_mask_base: a mask naming exactly one hart. */
	sbi_send_ipi(1, hartid);
}

/* Caller must be ready for a software interrupt trap once it turns interrupts on. */
void ipi_enable(void)
{
	csr_set(sie, SIE_SSIE);
}

void ipi_clear(void)
{
	csr_clear(sip, SIE_SSIE);
}
