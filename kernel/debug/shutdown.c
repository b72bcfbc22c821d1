/*
 * Clean shutdown: say so, flush the console, stop the other harts, power off.
 */
#include "debug/shutdown.h"

#include "debug/trace.h"
#include "dev/console.h"
#include "hart/stop.h"

void shutdown(enum exit_status status)
{
	if (status == EXIT_OK)
		printf("sprout: shutdown\n");
	else
		printf("sprout: shutdown (exit status %d)\n", status);
	console_flush();
	/* Powering off stops every hart anyway; stopping them first keeps them quiet. */
	stop_other_harts();
	trace_dump_if_asked();
	power_off(status);
}
