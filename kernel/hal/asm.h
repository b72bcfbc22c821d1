/*
 * For assembly files only: the offsets of the structures they share with C, generated
 * at build time from the structs (kernel/hal/asm_offsets.c), and the indexed forms the
 * save and restore loops use.
 */
#pragma once

#ifndef __ASSEMBLER__
#error "kernel/hal/asm.h is for assembly; C code uses the structs"
#endif

#include "asm_offsets.h"
#include "hal/trap_entry.h"

#define TF_X(n)  (TF_X0 + (n)*TF_XSIZE)   /* register xN in a struct trapframe */
#define CTX_S(n) (CTX_S0 + (n)*CTX_SSIZE) /* register sN in a struct context */
