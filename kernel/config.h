/*
 * Compile-time limits of the kernel, shared by C and assembly.
 */
#pragma once

#define MAX_HARTS 8          /* harts the kernel will run on; others stay parked */
#define KSTACK_SIZE 16384    /* bytes of kernel stack per hart */
#define PAGE_SIZE 4096
