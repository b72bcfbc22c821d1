#!/usr/bin/env python3
"""Writes compile_commands.json for clangd: one entry per kernel C file.

Usage (from the Makefile): compdb.py CC "CFLAGS" file.c ...
"""
import json
import os
import shlex
import sys


def main(argv):
    if len(argv) < 2:
        print("usage: compdb.py CC CFLAGS FILE...", file=sys.stderr)
        return 2
    cc, flags, files = argv[0], shlex.split(argv[1]), argv[2:]
    root = os.getcwd()
    entries = [{"directory": root, "file": os.path.join(root, f),
                "arguments": [cc, *flags, "-c", f]} for f in files]
    json.dump(entries, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
