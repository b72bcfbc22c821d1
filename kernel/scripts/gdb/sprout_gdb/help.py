"""`sprout-help`: one line per Sprout command, from each command's own summary."""

from .command import REGISTRY, SproutCommand, UsageError, out


class HelpCommand(SproutCommand):
    """List Sprout's GDB commands, one line each; `help COMMAND` says more.

Usage: sprout-help"""

    name = "sprout-help"
    summary = "this list"
    usage = "sprout-help"
    since = "always"

    def run(self, args):
        if args:
            raise UsageError("sprout-help takes no argument; try `help %s`" % args[0])
        out("Sprout's GDB commands (kernel/scripts/gdb_sprout.py, docs/gdb.md); "
            "`help NAME` for details:")
        for name, cmd in REGISTRY.items():
            if cmd.listed:
                out("  %-12s %s" % (name, cmd.summary))
        out("Each one works at any stop: before its part of the kernel is up it says so.")


COMMANDS = [HelpCommand]
