/*
 * Where every user program starts: exec jumps here with a0 = argc and a1 = argv
 * (kernel/abi/syscall.h). main gets them as they are; what it returns goes to exit(),
 * so returning from main ends the program like calling exit does.
 */
	.section .text.start
	.globl _start
	.type _start, @function
_start:
	mv	ra, zero	/* no return address: a backtrace ends here */
	mv	s0, zero	/* nor a caller's frame */
	call	main
	call	exit		/* a0 still holds main's result; exit does not return */
1:	j	1b
	.size _start, . - _start
