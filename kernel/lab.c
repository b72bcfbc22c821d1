/*
 * lab_missing(): the friendly stop at the edge of what a student branch implements.
 */
#include "lab.h"

#include "console.h"
#include "shutdown.h"

void lab_missing(const char *what, const char *handout)
{
	printf("\n%s is not implemented yet: see %s\n", what, handout);
	/*
	 * A stub's call to this noreturn function is often its last instruction, so the
	 * return address may already be the next function's first byte; one byte back is
	 * still inside the call and names the stub.
	 */
	printf("(reached from %pS)\n", (char *)__builtin_return_address(0) - 1);
	shutdown(EXIT_LAB_MISSING);
}
