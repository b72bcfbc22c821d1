# User programs (user/README.md). Included by the top-level Makefile, after BUILD is set;
# also works alone, from the repository root:
#
#   make -f user/user.mk userbuild    build every program as build/user/_<name>
#   make -f user/user.mk usertest     build them, then run user/test_user.py: the library
#                                     and the shell's parser on the host, ELF checks
#   make -f user/user.mk userclean    remove build/user
#
# USER_PROGS lists the built programs for the file-system image; the image tool drops
# the leading '_' (build/user/_sh becomes /sh). USER_NAMES lists the bare names.

CROSS   ?= riscv64-unknown-elf-
BUILD   ?= build
PYTHON  ?= python3
say     ?= @echo

USER_CC      ?= $(CROSS)gcc
USER_AR      ?= $(CROSS)ar
USER_OUT     := $(BUILD)/user

USER_ARCH    := -march=rv64imac_zicsr -mabi=lp64 -mcmodel=medany
# -fno-tree-loop-distribute-patterns: GCC would otherwise turn the loops of memset and
# memcpy in ulib.c into calls to memset and memcpy.
USER_CFLAGS  := $(USER_ARCH) -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -fno-builtin -nostdlib -fno-common -fno-pie -fno-stack-protector \
	-fno-tree-loop-distribute-patterns -Iuser -Ikernel -MMD -MP
USER_ASFLAGS := $(USER_ARCH) -g
# libgcc's multilib for soft-float rv64 is selected by the plain ISA string.
USER_LDFLAGS := -march=rv64imac -mabi=lp64 -mcmodel=medany -nostdlib -static -no-pie \
	-Wl,-z,max-page-size=4096 -T $(USER_OUT)/user.ld

USER_NAMES := init sh cat echo grep kill ln ls mkdir rm wc true usertests fuzz bench
USER_PROGS := $(patsubst %,$(USER_OUT)/_%,$(USER_NAMES))

# A program is user/<name>.c unless it lists its sources here.
USER_SRCS_sh        := sh.c sh_parse.c
USER_SRCS_usertests := usertests.c ut_proc.c ut_mem.c ut_fs.c ut_pipe.c ut_exec.c

USER_LIB_OBJS := $(USER_OUT)/ulib.o $(USER_OUT)/printf.o $(USER_OUT)/umalloc.o \
	$(USER_OUT)/usys.o
USER_LIB      := $(USER_OUT)/libuser.a
USER_START    := $(USER_OUT)/start.o
USER_LD       := $(USER_OUT)/user.ld

.PHONY: userbuild usertest userclean uservars

userbuild: $(USER_PROGS)

usertest: userbuild
	@USER_BUILD=$(BUILD) $(PYTHON) -m unittest discover -s user -p 'test_*.py'

userclean:
	rm -rf $(USER_OUT)

# What test_user.py needs to compile a program the way every program is compiled.
uservars:
	@echo "USER_NAMES=$(USER_NAMES)"
	@echo "USER_PROGS=$(USER_PROGS)"
	@echo "USER_CC=$(USER_CC)"
	@echo "USER_CFLAGS=$(USER_CFLAGS)"
	@echo "USER_LDFLAGS=$(USER_LDFLAGS)"
	@echo "USER_START=$(USER_START)"
	@echo "USER_LIB=$(USER_LIB)"

$(USER_OUT)/%.o: user/%.c user/user.mk
	@mkdir -p $(dir $@)
	$(say) "  CC      $<"
	@$(USER_CC) $(USER_CFLAGS) -c $< -o $@

$(USER_START): user/start.S user/user.mk
	@mkdir -p $(dir $@)
	$(say) "  AS      $<"
	@$(USER_CC) $(USER_ASFLAGS) -c $< -o $@

# The stubs: the preprocessor expands the list of kernel/abi/syscall.h into one line per
# call, which sed puts on lines of their own.
$(USER_OUT)/usys.s: user/usys.S kernel/abi/syscall.h user/user.mk
	@mkdir -p $(dir $@)
	$(say) "  GEN     $@"
	@{ echo "# Generated from user/usys.S and kernel/abi/syscall.h: do not edit."; \
	  $(USER_CC) -E -P -Ikernel $< | sed 's/ *\.globl/\n.globl/g'; } > $@.tmp && mv $@.tmp $@

$(USER_OUT)/usys.o: $(USER_OUT)/usys.s
	$(say) "  AS      $<"
	@$(USER_CC) $(USER_ASFLAGS) -c $< -o $@

# The linker script with USER_BASE filled in. ld reads no C integer suffixes (UL), so
# they go; -undef keeps the preprocessor from replacing the word riscv with 1.
$(USER_LD): user/user.ld kernel/abi/memlayout.h user/user.mk
	@mkdir -p $(dir $@)
	$(say) "  GEN     $@"
	@$(USER_CC) -E -P -undef -x c -Ikernel $< | \
		sed -E 's/\b(0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]+\b/\1/g' > $@.tmp && mv $@.tmp $@

$(USER_LIB): $(USER_LIB_OBJS)
	$(say) "  AR      $@"
	@rm -f $@ && $(USER_AR) rcs $@ $^

define user_program
$(USER_OUT)/_$(1): $(patsubst %.c,$(USER_OUT)/%.o,$(or $(USER_SRCS_$(1)),$(1).c)) \
		$(USER_START) $(USER_LIB) $(USER_LD)
	$$(say) "  LD      $$@"
	@$$(USER_CC) $$(USER_LDFLAGS) -o $$@ $(USER_START) \
		$(patsubst %.c,$(USER_OUT)/%.o,$(or $(USER_SRCS_$(1)),$(1).c)) $(USER_LIB) -lgcc
endef
$(foreach p,$(USER_NAMES),$(eval $(call user_program,$(p))))

-include $(wildcard $(USER_OUT)/*.d)
