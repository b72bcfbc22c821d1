# Sprout: build, boot, debug, grade and test the kernel.
#
#   make            build build/kernel.elf (OPT=-Og: the debug build, for GDB)
#   make qemu       boot it in QEMU (Ctrl-A X quits); CPUS=n, KARGS='test=bump',
#                   DISK=image (default: build/fs.img)
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
#   make userbuild  build the user programs (user/); make usertest runs their host tests
#   make fsimage    build the file-system image `make qemu` attaches ($(BUILD)/fs.img)
#   make timeline   boot with the event trace on and draw it: TEST=sched.mutex_parked
#   make replay     replay a failed test's recorded boot under GDB: TEST=lab/test

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
# TRACE=0 compiles the event trace's hooks to nothing (kernel/debug/trace.h); likewise.
TRACE   ?= 1
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
CFLAGS  += -DCONFIG_TRACE=$(TRACE)
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

# The disk (lab 8): a virtio block device in the first virtio-mmio slot, with the modern
# (version 2) interface, holding the image $(1).
qemu_disk = -drive file=$(1),if=none,format=raw,id=x0 \
	    -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0 \
	    -global virtio-mmio.force-legacy=false

# The file-system image: build/mkfs puts each of FS_FILES in the root directory under its
# base name (a leading _ dropped: mkfs/README.md): the user programs, a README and the
# kernel tests' files (kernel/tests/fs_test.c).
FSIMG     := $(BUILD)/fs.img
FS_BLOCKS ?= 4096
FS_INODES ?= 200
FS_TEST_FILES := $(BUILD)/fsdata/pattern.bin
FS_FILES  += README.md $(FS_TEST_FILES)
# The user programs (lab 7): /init, /sh, /ls, ...
include user/user.mk
FS_FILES  += $(USER_PROGS)

.PHONY: all kernel fsimage qemu qemu-gdb print-qemu print-qemu-disk grade test labs bench \
	mutants clean tools compile_commands.json timeline replay replay-gdb FORCE
all: kernel fsimage
kernel: $(KERNEL)
fsimage: $(FSIMG)

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

# 300 KiB and 123 bytes (301 blocks: past the direct and single-indirect blocks) where
# byte i is (i + i / 1024 * 7) mod 251: the fs tests read it back through the kernel.
$(BUILD)/fsdata/pattern.bin: Makefile
	@mkdir -p $(dir $@)
	@$(PYTHON) -c 'import sys; sys.stdout.buffer.write(bytes((i + i // 1024 * 7) % 251 \
		for i in range(300 * 1024 + 123)))' > $@

$(FSIMG): $(MKFS) $(FS_FILES) Makefile
	$(say) "  MKFS    $@"
	@$(MKFS) $@ --blocks $(FS_BLOCKS) --inodes $(FS_INODES) $(FS_FILES) > /dev/null

# Installs missing tools through the system package manager (or says what to install).
# TOOLS_EXTRA: what a target needs beyond the toolchain, QEMU and GDB.
tools:
	@sh kernel/scripts/ensure-tools.sh $(TOOLS_EXTRA)

# The disk `make qemu` attaches: build/fs.img, built if need be, or DISK=image, an image
# of your own (a grader's crashed image, say), which is used as it is, never rebuilt.
DISK ?= $(FSIMG)
DISK_DEPS := $(if $(filter $(FSIMG),$(DISK)),fsimage)

qemu: tools kernel $(DISK_DEPS)
	$(QEMU) $(QEMUOPTS) $(call qemu_disk,$(DISK)) -append "$(KARGS)" $(QEMUEXTRA)

qemu-gdb: tools kernel $(DISK_DEPS)
	@echo "QEMU waits for a debugger: run gdb-multiarch in this directory (port $(GDBPORT))"
	$(QEMU) $(QEMUOPTS) $(call qemu_disk,$(DISK)) -append "$(KARGS)" $(QEMUEXTRA) -S \
		-gdb tcp::$(GDBPORT)

# The QEMU command the grader runs (it adds -append and test-specific options). It has
# no disk: a graded boot that wants one adds the options of `make print-qemu-disk
# DISK=image` with an image of its own, so parallel boots never share one.
print-qemu:
	@echo $(QEMU) $(QEMUOPTS)

print-qemu-disk:
	@echo $(call qemu_disk,$(DISK))

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

# The event trace of one boot as an SVG, build/timeline-<test>.svg (grade/timeline.py):
# TEST= a kernel test id or a graded test, CPUS=, KARGS=, TIMELINEFLAGS='--last-us 2000'.
timeline: kernel
	$(PYTHON) grade/timeline.py --cpus $(CPUS) --kargs "$(KARGS)" $(TIMELINEFLAGS) $(TEST)

# A failed graded test's recorded boot (grade/replay.py): `make replay TEST=lab/test`
# replays it stopped under a GDB server on $(GDBPORT); `make replay-gdb TEST=...` attaches
# gdb-multiarch with breakpoints at the failure.
replay:
	$(PYTHON) grade/replay.py serve --port $(GDBPORT) $(TEST)
replay-gdb:
	$(PYTHON) grade/replay.py gdb --port $(GDBPORT) $(TEST)

# For clangd and other editors.
compile_commands.json:
	$(PYTHON) kernel/scripts/compdb.py $(CC) "$(CFLAGS)" $(filter %.c,$(KSRCS)) > $@

clean:
	rm -rf $(BUILD)
