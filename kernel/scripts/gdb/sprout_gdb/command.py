"""The base of every Sprout command: one place that turns "not there yet" and unreadable
memory into one line of output instead of a Python traceback, and the list that
`sprout-help` prints.

A command subclasses SproutCommand, sets `name`, `summary` (one line for sprout-help),
`usage` and `since` (when it starts to show something), and implements run(args). Inside
run(), raise NotUp("...") when the state it reads does not exist at this stop, and
UsageError("...") for bad arguments; write output with out().
"""

import traceback

import gdb

from .core import NotUp, UsageError

# name -> command, in the order they were registered.
REGISTRY = {}


class TracebackParameter(gdb.Parameter):
    """When on, a Sprout command that fails unexpectedly prints the Python traceback."""

    set_doc = "Set whether Sprout's GDB commands print Python tracebacks of their own bugs."
    show_doc = "Show whether Sprout's GDB commands print Python tracebacks of their own bugs."

    def __init__(self):
        super().__init__("sprout-traceback", gdb.COMMAND_MAINTENANCE, gdb.PARAM_BOOLEAN)
        self.value = False

    def get_set_string(self):
        return ""

    def get_show_string(self, value):
        return "Sprout commands print tracebacks: %s" % value


_traceback = None


def out(text=""):
    gdb.write(text + "\n")


class SproutCommand(gdb.Command):
    name = None
    summary = ""
    usage = ""
    since = ""
    listed = True  # False: an older name, left out of sprout-help

    def __init__(self):
        super().__init__(self.name, gdb.COMMAND_USER)
        REGISTRY[self.name] = self

    def invoke(self, arg, from_tty):
        try:
            args = gdb.string_to_argv(arg)
        except (ValueError, gdb.error) as e:
            raise gdb.GdbError("%s: %s" % (self.name, e))
        # Expressions and type names are C, even when the selected frame is assembly
        # (context_switch, trap_entry), where GDB would parse them as assembly.
        language = gdb.parameter("language")
        if language != "c":
            gdb.execute("set language c", to_string=True)
        try:
            self.run(args)
        except NotUp as e:
            out("%s: %s" % (self.name, e))
        except UsageError as e:
            raise gdb.GdbError("%s: %s\nusage: %s" % (self.name, e, self.usage))
        except gdb.GdbError:
            raise
        except gdb.MemoryError as e:
            out("%s: cannot read the kernel's memory at this stop (%s)" % (self.name, e))
        except gdb.error as e:
            out("%s: cannot read the kernel's state at this stop (%s)" % (self.name, e))
        except KeyboardInterrupt:
            raise
        except Exception as e:  # a bug of this script: say so in one line
            out("%s: internal error: %s: %s (`set sprout-traceback on` shows where)" %
                (self.name, type(e).__name__, e))
            if _traceback is not None and _traceback.value:
                gdb.write(traceback.format_exc())
        finally:
            if language != "c":
                gdb.execute("set language %s" % language, to_string=True)

    def run(self, args):
        raise NotImplementedError


def register(classes):
    global _traceback
    if _traceback is None:
        _traceback = TracebackParameter()
    for cls in classes:
        cls()
