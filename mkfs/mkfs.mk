# mkfs, the host program that builds and checks file-system images (mkfs/README.md).
# Included by the top-level Makefile; also works alone, from the repository root:
#
#   make -f mkfs/mkfs.mk build/mkfs     build it
#   make -f mkfs/mkfs.mk mkfstest       build it and run mkfs/test_mkfs.py
#
# $(BUILD)/mkfs-asan is the same program under ASan and UBSan: the tests feed it
# corrupted and random images, where a stray read must fail loudly, not pass by luck.

HOSTCC  ?= cc
BUILD   ?= build
PYTHON  ?= python3

MKFS := $(BUILD)/mkfs
MKFS_ASAN := $(BUILD)/mkfs-asan
MKFS_SRCS := mkfs/mkfs.c mkfs/check.c
MKFS_DEPS := $(MKFS_SRCS) mkfs/mkfs.h kernel/abi/fs_format.h mkfs/mkfs.mk
MKFS_CFLAGS := -std=c11 -g -Wall -Wextra -Werror -Ikernel
MKFS_ASAN_FLAGS := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

.PHONY: mkfstest

$(MKFS): $(MKFS_DEPS)
	@mkdir -p $(dir $@)
	@$(HOSTCC) $(MKFS_CFLAGS) -O2 -o $@ $(MKFS_SRCS)

$(MKFS_ASAN): $(MKFS_DEPS)
	@mkdir -p $(dir $@)
	@$(HOSTCC) $(MKFS_CFLAGS) $(MKFS_ASAN_FLAGS) -o $@ $(MKFS_SRCS)

# The tests build both programs again through this file (a no-op by then) with the same
# BUILD, so that running them with unittest alone works too.
mkfstest: $(MKFS) $(MKFS_ASAN)
	@MKFS_BUILD=$(BUILD) $(PYTHON) -m unittest discover -s mkfs -p 'test_*.py'
