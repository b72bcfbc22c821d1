/*
 * Clean shutdown and the stopping of other harts.
 */
#include "debug/shutdown.h"

#include "dev/console.h"
#include "smp/smp.h"

void stop_other_harts(void)
{
	/* Powering off stops every hart anyway; stopping them first keeps them quiet. */
	smp_stop_others();
}

void shutdown(enum exit_status status)
{
	if (status == EXIT_OK)
		printf("sprout: shutdown\n");
	else
		printf("sprout: shutdown (exit status %d)\n", status);
	console_flush();
	stop_other_harts();
	power_off(status);
}
