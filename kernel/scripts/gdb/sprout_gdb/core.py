"""Reading the kernel's state from GDB: symbols, memory, registers, and the map from
GDB's threads (QEMU's virtual CPUs) to the kernel's harts.

Everything here looks kernel objects up by name and reads fields by name, so it keeps
working when a file moves or a struct gains a member. A field that may live in two
places (struct hart's trap-entry fields, directly in struct hart or in its member
`entry`) is read with member(h, "entry.stack_lo", "stack_lo"): the first path that
exists wins.

Commands never trust what they read: at _start the kernel's .bss may still hold what a
previous run left there. Reads that fail raise gdb.MemoryError or gdb.error, which the
command base (command.py) turns into one line.
"""

import re

import gdb

MASK64 = (1 << 64) - 1


class NotUp(Exception):
    """What a command shows does not exist yet at this stop; the message says why."""


class UsageError(Exception):
    """The command's arguments are wrong; the message says how."""


# ---- Symbols ----


def _strip(t):
    return t.strip_typedefs() if t is not None else None


def type_name(t):
    """'struct thread', 'struct thread [64]', ... for comparisons."""
    return str(_strip(t))


def is_struct(t, name):
    """True if t (typedefs stripped) is `struct name`."""
    t = _strip(t)
    return t is not None and t.code == gdb.TYPE_CODE_STRUCT and t.tag == name


def is_enum(t, name):
    t = _strip(t)
    return t is not None and t.code == gdb.TYPE_CODE_ENUM and t.tag == name


def is_array_of(t, name):
    t = _strip(t)
    return t is not None and t.code == gdb.TYPE_CODE_ARRAY and is_struct(t.target(), name)


def lookup_type(name):
    """The type `name` ('struct thread'), or None if the kernel has none."""
    try:
        return gdb.lookup_type(name)
    except gdb.error:
        return None


def _symbol_file(sym):
    try:
        return sym.symtab.filename if sym.symtab else None
    except (AttributeError, gdb.error):
        return None


def _is_data(sym):
    """A variable, or an extern declaration of one (GDB may find that first)."""
    if sym.is_variable:
        return True
    return sym.addr_class == gdb.SYMBOL_LOC_UNRESOLVED and not sym.is_function


def find_variable(name, want=None, near=None):
    """The kernel variable `name` as a gdb.Value, or None.

    Static variables with common names exist in several files (there are three
    `per_hart`), so callers narrow the choice: `want` is a predicate on the variable's
    type; `near` names a global variable defined in the same file (the scheduler's
    `running` is the one next to `sched_lock`), used when the type leaves a choice.
    """
    found = []
    try:
        g = gdb.lookup_global_symbol(name)
    except gdb.error:
        g = None
    if g is not None:
        found.append(g)
    try:
        statics = list(gdb.lookup_static_symbols(name))
    except AttributeError:  # GDB before 10
        s = gdb.lookup_static_symbol(name)
        statics = [s] if s is not None else []
    except gdb.error:
        statics = []
    found += [s for s in statics if s is not None]
    found = [s for s in found if _is_data(s)]
    if want is not None:
        found = [s for s in found if want(s.type)]
    if near and len(found) > 1:
        anchor = gdb.lookup_global_symbol(near)
        where = _symbol_file(anchor) if anchor is not None else None
        if where:
            same = [s for s in found if _symbol_file(s) == where]
            found = same or found
    if not found:
        return None
    return found[0].value()


def require_variable(name, want=None, near=None, what=None):
    v = find_variable(name, want, near)
    if v is None:
        raise NotUp("the kernel has no variable '%s'%s (is build/kernel.elf loaded?)" %
                    (name, " (%s)" % what if what else ""))
    return v


def address_of(name):
    """The address of symbol `name`, with or without debug information, or None."""
    try:
        return int(gdb.parse_and_eval("(unsigned long)&%s" % name))
    except gdb.error:
        return None


def enum_names(tname, prefix=""):
    """{value: name} of enum `tname`, names lower-cased without `prefix`; {} if none."""
    t = lookup_type(tname)
    if t is None:
        return {}
    names = {}
    for f in _strip(t).fields():
        n = f.name
        if prefix and n.startswith(prefix):
            n = n[len(prefix):]
        names[int(f.enumval)] = n.lower()
    return names


# ---- Values and memory ----


def member(v, *paths):
    """v's field at the first of `paths` ('entry.stack_lo', 'stack_lo') that exists."""
    last = None
    for path in paths:
        try:
            cur = v
            for part in path.split("."):
                cur = cur[part]
            return cur
        except gdb.error as e:
            if "no member" not in str(e).lower():
                raise
            last = e
    raise gdb.error("%s has none of the fields %s (%s)" % (type_name(v.type),
                                                            ", ".join(paths), last))


def num(v):
    """An integer or pointer gdb.Value as a Python int (pointers unsigned)."""
    n = int(v)
    if n < 0 and _strip(v.type).code == gdb.TYPE_CODE_PTR:
        n &= MASK64
    return n


def u64(v):
    return int(v) & MASK64


def inferior():
    return gdb.selected_inferior()


def read_bytes(addr, size):
    return bytes(inferior().read_memory(addr, size))


def read_u64(addr):
    return int.from_bytes(read_bytes(addr, 8), "little")


def read_u32(addr):
    return int.from_bytes(read_bytes(addr, 4), "little")


def _printable(raw):
    text = raw.decode("utf-8", "replace")
    return "".join(c if c.isprintable() else "?" for c in text)


def read_cstring(addr, limit=64):
    """The NUL-terminated string at addr (at most `limit` bytes), or None if unreadable."""
    if addr == 0:
        return None
    try:
        raw = read_bytes(addr, limit)
    except gdb.MemoryError:
        raw = b""
        try:
            for i in range(limit):
                raw += read_bytes(addr + i, 1)
                if raw.endswith(b"\0"):
                    break
        except gdb.MemoryError:
            if not raw:
                return None
    return _printable(raw.split(b"\0", 1)[0])


def string_of(v, limit=64):
    """A char array or char pointer as a str ('?' for unreadable)."""
    t = _strip(v.type)
    if t.code == gdb.TYPE_CODE_ARRAY:
        n = min(t.sizeof, limit)
        raw = read_bytes(num(v.address), n) if v.address is not None else b""
        return _printable(raw.split(b"\0", 1)[0])
    s = read_cstring(num(v), limit)
    return "?" if s is None else s


def lock_name(lk_ptr):
    """The name of the spinlock at pointer value lk_ptr, quoted, for reports."""
    if num(lk_ptr) == 0:
        return "(none)"
    try:
        name = read_cstring(num(lk_ptr.dereference()["name"]))
    except (gdb.error, gdb.MemoryError):
        return "(unreadable lock at 0x%x)" % num(lk_ptr)
    return "'%s'" % (name if name is not None else "(unnamed)")


def array_len(v):
    t = _strip(v.type)
    lo, hi = t.range()
    return hi - lo + 1


def kib(nbytes):
    """A size for people: '4 KiB', '2 MiB', '1 GiB' when exact, else '123.6 MiB'."""
    for shift, unit in ((30, "GiB"), (20, "MiB"), (10, "KiB")):
        if nbytes >= (1 << shift):
            if nbytes % (1 << shift) == 0:
                return "%d %s" % (nbytes >> shift, unit)
            return "%.1f %s" % (nbytes / float(1 << shift), unit)
    return "%d bytes" % nbytes


# ---- Code addresses ----

_INFO_SYMBOL = re.compile(r"^(?P<name>\S+)(?: \+ (?P<off>\d+))? in section (?P<sect>\S+)")


def symbol_at(addr):
    """(name, offset) of the ELF symbol covering addr (code or data), or None."""
    try:
        out = gdb.execute("info symbol 0x%x" % addr, to_string=True)
    except gdb.error:
        return None
    m = _INFO_SYMBOL.match(out.strip())
    if not m:
        return None
    return m.group("name"), int(m.group("off") or 0)


def symbolize(addr):
    """'func+0x1c' (what the kernel's %pS prints), or the bare address."""
    s = symbol_at(addr)
    if s is None:
        return "0x%x" % addr
    name, off = s
    return "%s+0x%x" % (name, off) if off else name


def source_line(pc, is_return=False):
    """'kernel/sched/sched.c:231' for the code at pc (a return address: the call before it)."""
    try:
        sal = gdb.find_pc_line(pc - 1 if is_return and pc else pc)
    except gdb.error:
        return None
    if sal is None or sal.symtab is None or not sal.line:
        return None
    return "%s:%d" % (sal.symtab.filename, sal.line)


def describe_code(addr, is_return=False):
    """'func+0x1c (kernel/x.c:12)'."""
    where = source_line(addr, is_return)
    text = symbolize(addr)
    return "%s (%s)" % (text, where) if where else text


def function_name(frame):
    try:
        return frame.name()
    except gdb.error:
        return None


# ---- CPUs and harts ----


class Cpu:
    """One of QEMU's virtual CPUs as GDB sees it (one GDB thread each)."""

    def __init__(self, thread, index, pc, sp, tp, fp, selected):
        self.thread = thread
        self.index = index  # QEMU's CPU index, hart id on the virt machine
        self.pc, self.sp, self.tp, self.fp = pc, sp, tp, fp
        self.selected = selected
        self.hart = None  # index into harts[], when tp points at a struct hart

    @property
    def label(self):
        return "cpu#%d" % self.thread.num


class Selection:
    """Restores GDB's selected thread and frame when a command is done looking around."""

    def __enter__(self):
        self.thread = gdb.selected_thread()
        self.level = 0
        try:
            f = gdb.selected_frame()
            level = 0
            while f.newer() is not None:
                f = f.newer()
                level += 1
            self.level = level
        except gdb.error:
            pass
        return self

    def __exit__(self, *exc):
        if self.thread is not None and self.thread.is_valid():
            self.thread.switch()
            if self.level:
                try:
                    gdb.execute("frame %d" % self.level, to_string=True)
                except gdb.error:
                    pass
        return False


def require_target():
    """Raises NotUp unless GDB is attached to a running kernel."""
    try:
        t = gdb.selected_thread()
    except gdb.error:
        t = None
    if t is None or not t.is_valid():
        raise NotUp("no kernel is running: start `make qemu-gdb`, then "
                    "`target remote localhost:1234`")
    return t


def _reg(frame, name):
    try:
        return u64(frame.read_register(name))
    except (gdb.error, ValueError):
        return None


def cpus():
    """Every CPU, in QEMU's order, with its registers read from its innermost frame."""
    selected = require_target()
    result = []
    with Selection():
        for t in sorted(inferior().threads(), key=lambda t: t.num):
            t.switch()
            f = gdb.newest_frame()
            lwp = t.ptid[1] if t.ptid[1] else t.num
            cpu = Cpu(t, lwp - 1, _reg(f, "pc"), _reg(f, "sp"), _reg(f, "tp"), _reg(f, "s0"),
                      t.num == selected.num)
            result.append(cpu)
    table = find_variable("harts", want=lambda t: is_array_of(t, "hart"))
    if table is not None:
        base = num(table.address)
        size = _strip(table.type).target().sizeof
        count = array_len(table)
        for c in result:
            if c.tp is not None and base <= c.tp < base + size * count and \
                    (c.tp - base) % size == 0:
                c.hart = (c.tp - base) // size
        # A CPU inside the firmware (an SBI call) has the firmware's tp; on the virt
        # machine QEMU's CPU i is hart i.
        taken = set(c.hart for c in result if c.hart is not None)
        for c in result:
            if c.hart is None and 0 <= c.index < count and c.index not in taken:
                try:
                    if bool(int(table[c.index]["online"])):
                        c.hart = c.index
                        taken.add(c.index)
                except (gdb.error, gdb.MemoryError):
                    pass
    return result


def describe_pc(pc):
    """A CPU's pc for tables: 'func+0x10', or 'firmware 0x80000408' below the kernel."""
    if pc is None:
        return "?"
    start = address_of("_start")
    if start is not None and pc < start:
        return "firmware 0x%x" % pc
    return symbolize(pc)


def selected_cpu(all_cpus=None):
    for c in all_cpus if all_cpus is not None else cpus():
        if c.selected:
            return c
    return None


def harts_table():
    return require_variable("harts", want=lambda t: is_array_of(t, "hart"),
                            what="the per-hart table, kernel/hart/hart.c")


# ---- How far the boot has come ----


def kernel_entered(all_cpus=None):
    """Raises NotUp while no hart has reached kmain: .bss may still be garbage then.

    The boot hart claims the boot (entry.S's boot_claimed, in .data) and then zeroes
    .bss; until it calls kmain, nothing in .bss can be trusted. A CPU whose pc lies
    between _start and arrived_late is on that path.
    """
    all_cpus = all_cpus if all_cpus is not None else cpus()
    start = address_of("_start")
    late = address_of("arrived_late")
    claimed_at = address_of("boot_claimed")
    if claimed_at is not None:
        try:
            claimed = read_u32(claimed_at)
        except gdb.MemoryError:
            claimed = 1
        if claimed == 0:
            pcs = ", ".join("%s pc 0x%x" % (c.label, c.pc) for c in all_cpus
                            if c.pc is not None)
            where = "stopped at _start" if any(c.pc == start for c in all_cpus) \
                else "the harts are still in the firmware"
            raise NotUp("not up yet: the kernel has not started, %s (%s)" % (where, pcs))
    if start is not None and late is not None:
        for c in all_cpus:
            if c.pc is not None and start <= c.pc < late:
                raise NotUp("not up yet: hart %d is still in _start, before kmain (%s): "
                            ".bss is not cleared yet" % (c.index, symbolize(c.pc)))
    return all_cpus


def phase():
    """The boot phase name ('early', 'bootstrap', ...), or None if unknown."""
    v = find_variable("current", want=lambda t: is_enum(t, "boot_phase"))
    if v is None:
        return None
    names = enum_names("enum boot_phase", "PHASE_")
    return names.get(int(v), "invalid (%d)" % int(v))
