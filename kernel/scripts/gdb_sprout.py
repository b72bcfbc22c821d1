"""Sprout's GDB commands: harts, threads, locks, trapframe, bump, buddy, pagetable, procs
and sprout-help (docs/gdb.md).

Load it in gdb-multiarch with the kernel's symbols:

    (gdb) source kernel/scripts/gdb_sprout.py

The repository's .gdbinit does that before it connects. The commands live in the package
kernel/scripts/gdb/sprout_gdb/; sourcing this file again reloads them all, so an edited
command takes effect without restarting GDB.
"""

import os
import sys

try:
    _HERE = os.path.dirname(os.path.abspath(__file__))
except NameError:  # run with `python exec(...)`: assume the repository root
    _HERE = os.path.abspath(os.path.join("kernel", "scripts"))

_PACKAGE_DIR = os.path.join(_HERE, "gdb")
if _PACKAGE_DIR not in sys.path:
    sys.path.insert(0, _PACKAGE_DIR)

# A fresh import each time: the modules of an earlier `source` may be stale.
for _name in [n for n in sys.modules if n == "sprout_gdb" or n.startswith("sprout_gdb.")]:
    del sys.modules[_name]

import sprout_gdb  # noqa: E402

sprout_gdb.register()
