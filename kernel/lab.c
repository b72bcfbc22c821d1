/*
 * lab_missing(): the friendly stop at the edge of what a student branch implements.
 */
#include "lab.h"

#include "console.h"
#include "shutdown.h"

void lab_missing(const char *what, const char *handout)
{
	printf("\n%s is not implemented yet: see %s\n", what, handout);
	printf("(reached from %pS)\n", __builtin_return_address(0));
	shutdown(EXIT_LAB_MISSING);
}
