"""`procs`: user processes, which arrive in lab 7.

The command is registered now so that `sprout-help` lists it and the handouts can name
it. To fill it in for lab 7: PROC_TYPE names the kernel's process structure; once the
kernel has it, run() finds the process table (PROC_TABLE_NAMES) and prints one line per
process from describe(). Until then it says when processes arrive.
"""

import gdb

from .command import SproutCommand, out
from .core import NotUp, UsageError, find_variable, kernel_entered, lookup_type

PROC_TYPE = "struct proc"
PROC_TABLE_NAMES = ()  # lab 7: e.g. ("procs",)


def describe(p):
    """One line for the process p (a gdb.Value of PROC_TYPE). Lab 7 fills this in."""
    return str(p.address)


class ProcsCommand(SproutCommand):
    """List the user processes: pid, name, state, page table, threads.

Usage: procs

Processes arrive in lab 7; until then the command says so."""

    name = "procs"
    summary = "each user process (lab 7)"
    usage = "procs"
    since = "lab 7 (processes)"

    def run(self, args):
        if args:
            raise UsageError("procs takes no argument")
        if lookup_type(PROC_TYPE) is None or not PROC_TABLE_NAMES:
            raise NotUp("not available yet: processes arrive in lab 7")
        kernel_entered()
        for name in PROC_TABLE_NAMES:
            table = find_variable(name)
            if table is None:
                continue
            t = table.type.strip_typedefs()
            if t.code != gdb.TYPE_CODE_ARRAY:
                continue
            lo, hi = t.range()
            for i in range(lo, hi + 1):
                out(describe(table[i]))
            return
        raise NotUp("no process table (%s) in this kernel" % ", ".join(PROC_TABLE_NAMES))


COMMANDS = [ProcsCommand]
