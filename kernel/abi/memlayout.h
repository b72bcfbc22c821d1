/*
 * Where user programs live in their address space: numbers the kernel (kernel/vm/
 * addrspace.h) and the user programs' link (user/, lab 7) share, defined once here.
 * The low 4 GiB belong to the kernel in every address space.
 */
#pragma once

#define USER_BASE 0x100000000UL  /* 4 GiB: the lowest user address */
#define USER_TOP  0x4000000000UL /* 256 GiB: the end of Sv39's lower half */
