/*
 * Clean shutdown and the stopping of other harts.
 */
#include "shutdown.h"

#include "console.h"

void stop_other_harts(void)
{
	/* One hart runs until lab 3 starts the others; powering off stops them all. */
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
