/*
 * The system-call stubs, one per entry of kernel/abi/syscall.h: each puts its number in
 * a7 and traps; the arguments are already in a0..a5 where the C caller put them, and
 * the result comes back in a0. The build runs this file through the C preprocessor into
 * build/user/usys.s, one line per stub, and assembles that.
 */
#include "abi/syscall.h"

#define STUB(name, number, result, args) \
	.globl name; .type name, @function; name: li a7, number; ecall; ret; .size name, . - name;

	.text
SYSCALLS(STUB)
