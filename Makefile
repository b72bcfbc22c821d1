# Sprout: build, boot, debug, grade and test the kernel.
#
#   make            build build/kernel.elf (OPT=-Og: the debug build, for GDB)
#   make qemu       boot it in QEMU (Ctrl-A X quits); CPUS=n, KARGS='test=bump'
#   make qemu-gdb   boot it stopped, waiting for gdb-multiarch on port $(GDBPORT)
#   make grade      grade the lab of this branch (LAB=bump, LAB=all, TEST=align,
#                   GRADEFLAGS='-j 4 --json results.json')
#   make test       the whole test suite (what CI runs)
#   make labs       generate the student and solution branches of every lab
#   make bench      print figures (no pass/fail)
#   make mutants    plant every mistake of labs/mutants/ and check the tests catch it
#   make hosttest   the allocators' tests on the host (ASan, UBSan); SEED=n adds a seed
#   make hostbench  the allocators' figures on the host
#   make mkfstest   build mkfs (the file-system image tool) and run its tests

CROSS   ?= riscv64-unknown-elf-
CC      := $(CROSS)gcc
NM      := $(CROSS)nm
QEMU    ?= qemu-system-riscv64
PYTHON  ?= python3

# One hart per host core by default: more virtual harts than host cores slow every hart.
HOST_CORES := $(shell nproc 2>/dev/null || echo 1)
CPUS    ?= $(if $(filter 1,$(HOST_CORES)),1,2)
MEM     ?= 128M
KARGS   ?=
QEMUEXTRA ?=
GDBPORT ?= 1234

BUILD   ?= build
KERNEL  := $(BUILD)/kernel.elf

# DEBUG=0 leaves out development checks (kernel/config.h).
DEBUG   ?= 1
# OPT=-Og: few optimizations, so that GDB shows locals and steps line by line (the
# handouts' walk-throughs). Changing OPT or DEBUG rebuilds everything; the grader builds
# with the default.
OPT     ?= -O2

ARCHFLAGS := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany -mno-relax
CFLAGS  := $(ARCHFLAGS) -std=gnu11 $(OPT) -g -Wall -Wextra -Werror \
	   -ffreestanding -fno-common -fno-builtin -fno-stack-protector \
	   -fno-pie -fno-omit-frame-pointer \
	   -fno-strict-aliasing -fno-toplevel-reorder -fno-optimize-sibling-calls -MMD -MP -Ikernel \
	   -DCONFIG_DEBUG=$(DEBUG)
ASFLAGS := $(ARCHFLAGS) -g -Ikernel -I$(BUILD)/gen -MMD -MP
# libgcc's multilib for soft-float rv64 is selected by the plain ISA string.
LIBGCC_ARCH := -march=rv64imac -mabi=lp64 -mcmodel=medany
LDFLAGS := $(LIBGCC_ARCH) -nostdlib -static -no-pie -Wl,--no-warn-rwx-segments -Wl,--no-relax \
	   -T kernel/kernel.ld

# Every subsystem is a folder of kernel/ (docs/layout.md); hosttest/ and scripts/ are
# not part of the kernel.
KDIRS := $(filter-out kernel/hosttest/ kernel/scripts/,$(sort $(dir $(wildcard kernel/*/))))
KSRCS := $(filter-out kernel/hal/asm_offsets.c,$(foreach d,$(KDIRS),$(wildcard $(d)*.c $(d)*.S)))
KOBJS := $(patsubst kernel/%,$(BUILD)/%.o,$(KSRCS))

# `make -s` stays silent; otherwise one short line per file.
ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
say := @true
else
say := @echo
endif

QEMUOPTS = -machine virt -bios default -nographic -no-reboot -m $(MEM) -smp $(CPUS) \
	   -kernel $(KERNEL)

.PHONY: all kernel qemu qemu-gdb print-qemu grade test labs bench mutants clean tools \
	compile_commands.json FORCE
all: kernel
kernel: $(KERNEL)

# The flags the objects were built with; rewritten only when they change, so that a new
# OPT or DEBUG rebuilds every object and nothing else does.
FLAGS := $(BUILD)/flags
$(FLAGS): FORCE
	@mkdir -p $(BUILD)
	@echo '$(CFLAGS) | $(ASFLAGS)' | cmp -s - $@ || echo '$(CFLAGS) | $(ASFLAGS)' > $@

# | tools: the toolchain is checked for (and installed) before anything is built.
$(BUILD)/%.c.o: kernel/%.c Makefile $(FLAGS) | tools
	@mkdir -p $(dir $@)
	$(say) "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.S.o: kernel/%.S $(BUILD)/gen/asm_offsets.h Makefile $(FLAGS) | tools
	@mkdir -p $(dir $@)
	$(say) "  AS      $<"
	@$(CC) $(ASFLAGS) -c $< -o $@

# Structure offsets for assembly, from the C structs (kernel/hal/asm_offsets.c): each
# "->NAME value" line the compiler writes becomes "#define NAME value".
$(BUILD)/gen/asm_offsets.h: kernel/hal/asm_offsets.c Makefile $(FLAGS) | tools
	@mkdir -p $(dir $@)
	$(say) "  GEN     $@"
	@$(CC) $(CFLAGS) -MF $(BUILD)/gen/asm_offsets.d -MT $@ -S $< -o $(BUILD)/gen/asm_offsets.s
	@{ echo "/* Generated from kernel/hal/asm_offsets.c by the Makefile: do not edit. */"; \
	  echo "#pragma once"; \
	  sed -n 's/^.*->\([A-Z0-9_]*\) \([0-9]*\).*$$/#define \1 \2/p' $(BUILD)/gen/asm_offsets.s; \
	} > $@.tmp && mv $@.tmp $@
-include $(BUILD)/gen/asm_offsets.d

# The kernel carries its own symbol table so that panics and trap reports can name
# functions. Link once with an empty table, list the text symbols, link again: the
# table sits after all code, so code addresses do not move between the two links.
$(BUILD)/ksyms-empty.S: kernel/scripts/mksyms.py
	@mkdir -p $(BUILD)
	@$(PYTHON) kernel/scripts/mksyms.py --empty > $@
$(BUILD)/kernel-pass1.elf: $(KOBJS) $(BUILD)/ksyms-empty.S kernel/kernel.ld
	$(say) "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $(KOBJS) $(BUILD)/ksyms-empty.S -lgcc
$(BUILD)/ksyms.S: $(BUILD)/kernel-pass1.elf kernel/scripts/mksyms.py
	@$(NM) -n --defined-only $< | $(PYTHON) kernel/scripts/mksyms.py > $@
$(KERNEL): $(KOBJS) $(BUILD)/ksyms.S kernel/kernel.ld
	$(say) "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $(KOBJS) $(BUILD)/ksyms.S -lgcc
	@$(NM) -n --defined-only $(BUILD)/kernel-pass1.elf | grep ' [Tt] ' > $(BUILD)/text1.sym
	@$(NM) -n --defined-only $@ | grep ' [Tt] ' > $(BUILD)/text2.sym
	@cmp -s $(BUILD)/text1.sym $(BUILD)/text2.sym || \
		{ echo "code moved between the two links; see kernel/kernel.ld" >&2; rm -f $@; exit 1; }

-include $(KOBJS:.o=.d)

include kernel/hosttest/hosttest.mk
include mkfs/mkfs.mk

# Installs missing tools through the system package manager (or says what to install).
# TOOLS_EXTRA: what a target needs beyond the toolchain, QEMU and GDB.
tools:
	@sh kernel/scripts/ensure-tools.sh $(TOOLS_EXTRA)

qemu: tools kernel
	$(QEMU) $(QEMUOPTS) -append "$(KARGS)" $(QEMUEXTRA)

qemu-gdb: tools kernel
	@echo "QEMU waits for a debugger: run gdb-multiarch in this directory (port $(GDBPORT))"
	$(QEMU) $(QEMUOPTS) -append "$(KARGS)" $(QEMUEXTRA) -S -gdb tcp::$(GDBPORT)

# The QEMU command the grader runs (it adds -append and test-specific options).
print-qemu:
	@echo $(QEMU) $(QEMUOPTS)

grade: tools kernel
	$(PYTHON) grade/grade.py $(if $(LAB),--lab $(LAB)) $(GRADEFLAGS) $(TEST)

test: TOOLS_EXTRA = clang-format
test: tools
	$(PYTHON) grade/testsuite.py

# Every mutant of labs/mutants/, each in a copy of this tree; MUTANTFLAGS='--labs bump -j 2'.
mutants: tools
	$(PYTHON) labs/mutants.py $(MUTANTFLAGS)

labs:
	$(PYTHON) labs/labs.py generate

bench: tools
	$(PYTHON) grade/bench.py

# For clangd and other editors.
compile_commands.json:
	$(PYTHON) kernel/scripts/compdb.py $(CC) "$(CFLAGS)" $(filter %.c,$(KSRCS)) > $@

clean:
	rm -rf $(BUILD)
