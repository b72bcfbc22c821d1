#!/usr/bin/env python3
"""Turns `nm -n` output of the first kernel link into an assembly symbol table.

The kernel links twice: first with an empty table (`--empty`), then with the table
this script writes from the first link's text symbols. kernel/lib/ksyms.c reads it.
"""
import sys


def main(argv):
    symbols = []
    if "--empty" not in argv:
        seen = set()
        for line in sys.stdin:
            parts = line.split()
            if len(parts) != 3 or parts[1] not in ("T", "t"):
                continue
            addr, name = int(parts[0], 16), parts[2]
            # Local labels of assembly loops are not functions.
            if name.startswith(".L") or addr in seen:
                continue
            seen.add(addr)
            symbols.append((addr, name))
    out = ['\t.section .ksyms, "a"', "\t.balign 8", "\t.globl ksyms_count",
           "ksyms_count:", f"\t.quad {len(symbols)}", "\t.globl ksyms_addrs",
           "ksyms_addrs:"]
    out += [f"\t.quad {addr:#x}" for addr, _ in symbols]
    out += ["\t.globl ksyms_names", "ksyms_names:"]
    out += [f'\t.asciz "{name}"' for _, name in symbols]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
