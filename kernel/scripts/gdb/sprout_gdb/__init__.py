"""Sprout's GDB commands, one module per part of the kernel. kernel/scripts/gdb_sprout.py
loads this package and calls register(); sprout-help lists the commands in the order
below (roughly the order of the labs)."""

from . import command, harts, help, memory, paging, procs, threads, trap

MODULES = [harts, threads, trap, memory, paging, procs, help]


def register():
    command.REGISTRY.clear()
    for module in MODULES:
        command.register(module.COMMANDS)
