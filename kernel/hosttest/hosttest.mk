# Host tests and benchmark of the allocators (kernel/mm/buddy.c, kernel/mm/kmalloc.c), built
# with the host's compiler. Included by the top-level Makefile, after BUILD is set:
#
#   make hosttest              build and run the tests (ASan + UBSan); SEED=n adds a seed
#   make hostbench             print operations per second (-O2, no sanitizers)
#
# kernel/hosttest/ is not part of the kernel build.

HOSTCC ?= gcc
HOSTTEST_DIR := kernel/hosttest
HOSTTEST_OUT := $(BUILD)/hosttest
SEED ?=

HOSTTEST_WARN := -Wall -Wextra -Werror -fno-strict-aliasing
HOSTTEST_CFLAGS := -std=gnu11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -DHOST_TEST -Ikernel $(HOSTTEST_WARN)
HOSTBENCH_CFLAGS := -std=gnu11 -g -O2 -DHOST_TEST -Ikernel $(HOSTTEST_WARN)

# What every host program links: the allocators, the test helpers they share with the
# kernel's tests, the host's panic(), the harness.
HOSTTEST_COMMON := kernel/mm/buddy.c kernel/mm/kmalloc.c kernel/tests/mm_util.c \
	$(HOSTTEST_DIR)/host_env.c $(HOSTTEST_DIR)/harness.c
HOSTTEST_HEADERS := kernel/mm/buddy.h kernel/mm/kmalloc.h kernel/mm/kmalloc_internal.h \
	kernel/mm/mm_port.h kernel/config.h kernel/debug/lab.h kernel/tests/mm_util.h \
	$(HOSTTEST_DIR)/harness.h
HOSTTEST_PROGS := $(HOSTTEST_OUT)/buddy_host $(HOSTTEST_OUT)/kmalloc_host
HOSTBENCH_PROGS := $(HOSTTEST_OUT)/bench $(HOSTTEST_OUT)/bench_debug

.PHONY: hosttest hostbench

# Each program ends with its own "N passed, N failed" line; the last line sums them all,
# for make test's step counter, which reads only the last such line.
hosttest: $(HOSTTEST_PROGS)
	@status=0; passed=0; failed=0; for t in $(HOSTTEST_PROGS); do \
		echo "== $$t $(SEED)"; $$t $(SEED) > $$t.log 2>&1 || status=1; cat $$t.log; \
		set -- $$(tail -n 1 $$t.log); \
		if [ "$$2" = passed, ] && [ "$$4" = failed ]; then \
			passed=$$((passed + $$1)); failed=$$((failed + $$3)); \
		else echo "$$t did not finish"; failed=$$((failed + 1)); status=1; fi; \
	done; echo "== all host tests"; echo "$$passed passed, $$failed failed"; exit $$status

hostbench: $(HOSTBENCH_PROGS)
	@for b in $(HOSTBENCH_PROGS); do $$b; done

$(HOSTTEST_OUT)/%_host: $(HOSTTEST_DIR)/%_host.c $(HOSTTEST_COMMON) $(HOSTTEST_HEADERS) \
		$(HOSTTEST_DIR)/hosttest.mk
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTTEST_CFLAGS) -o $@ $< $(HOSTTEST_COMMON)

$(HOSTTEST_OUT)/bench: $(HOSTTEST_DIR)/bench_host.c $(HOSTTEST_COMMON) $(HOSTTEST_HEADERS) \
		$(HOSTTEST_DIR)/hosttest.mk
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTBENCH_CFLAGS) -DMM_DEBUG=0 -o $@ $< $(HOSTTEST_COMMON)

$(HOSTTEST_OUT)/bench_debug: $(HOSTTEST_DIR)/bench_host.c $(HOSTTEST_COMMON) $(HOSTTEST_HEADERS) \
		$(HOSTTEST_DIR)/hosttest.mk
	@mkdir -p $(dir $@)
	$(say) "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTBENCH_CFLAGS) -DMM_DEBUG=1 -o $@ $< $(HOSTTEST_COMMON)
