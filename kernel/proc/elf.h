/*
 * The parts of the ELF-64 format that exec reads (System V ABI, "ELF Object File
 * Format"; RISC-V ELF psABI for the machine number): the file header and the program
 * headers. Every field exec uses is checked before use (kernel/proc/exec.c).
 */
#pragma once

#include <stdint.h>

#define ELF_MAGIC      0x464c457fu /* "\x7fELF", read as a little-endian word */
#define ELF_CLASS_64   2           /* e_ident[EI_CLASS] */
#define ELF_DATA_LSB   1           /* e_ident[EI_DATA]: little-endian */
#define ELF_VERSION    1           /* e_ident[EI_VERSION] and e_version */
#define ELF_TYPE_EXEC  2           /* e_type: an executable, not a shared object */
#define ELF_MACH_RISCV 243         /* e_machine */

#define PT_LOAD        1 /* p_type: a segment to map */
#define PF_X           1 /* p_flags */
#define PF_W           2
#define PF_R           4

struct elf_header {
	uint32_t magic;
	uint8_t class, data, ident_version, osabi;
	uint8_t pad[8];
	uint16_t type;
	uint16_t machine;
	uint32_t version;
	uint64_t entry;
	uint64_t phoff; /* where the program headers are in the file */
	uint64_t shoff;
	uint32_t flags;
	uint16_t ehsize;
	uint16_t phentsize; /* size of one program header */
	uint16_t phnum;
	uint16_t shentsize;
	uint16_t shnum;
	uint16_t shstrndx;
};
_Static_assert(sizeof(struct elf_header) == 64, "ELF-64 file header");

struct elf_phdr {
	uint32_t type;
	uint32_t flags;
	uint64_t offset; /* where the segment's bytes are in the file */
	uint64_t vaddr;  /* where they go */
	uint64_t paddr;
	uint64_t filesz; /* bytes from the file; the rest up to memsz is zeroed */
	uint64_t memsz;
	uint64_t align;
};
_Static_assert(sizeof(struct elf_phdr) == 56, "ELF-64 program header");
