"""`pagetable`: Sv39 page tables (RISC-V privileged specification, "Sv39").

Paging arrives in lab 6. Until then the kernel runs with satp bare and `pagetable` says
so; `pagetable ADDR` already walks any Sv39 table it is given (a root table's physical
address or a whole satp value), which is how it was tested: against a table built by
hand in free memory.

Sv39 in brief: satp = MODE (bits 63:60, 8 for Sv39) | ASID (59:44) | PPN (43:0) of the
root table. A virtual address has three 9-bit indices (bits 38:30, 29:21, 20:12) and a
12-bit offset; bits 63:39 copy bit 38. Each table is one 4 KiB page of 512 PTEs:
V R W X U G A D in bits 0-7, RSW in 8-9, the PPN in bits 53:10. A valid PTE with R, W and
X all clear points at the next table; any other valid PTE is a leaf, mapping 1 GiB at
level 2, 2 MiB at level 1, 4 KiB at level 0.

With lab 6, KERNEL_ROOT_NAMES names the kernel's root table (`kernel_pt` in
kernel/vm/kvm.c), so `pagetable` with no argument walks the kernel's table even on a hart
whose satp is still bare.
"""

import gdb

from .command import SproutCommand, out
from .core import NotUp, UsageError, find_variable, kib, num, read_bytes

KERNEL_ROOT_NAMES = ("kernel_pt",)  # kernel/vm/kvm.c

SATP_BARE, SATP_SV39 = 0, 8
LEVELS = 3
PTE_BITS = "rwxugad"  # bits 1..7
PPN_MASK = (1 << 44) - 1
MAX_LINES = 256
MAX_TABLES = 1024  # a walk that finds more is following garbage


def satp_root(value):
    """(root table address, ASID or None) from a satp value or a bare table address."""
    mode = value >> 60
    if mode == SATP_SV39:
        return (value & PPN_MASK) << 12, (value >> 44) & 0xFFFF
    if mode == SATP_BARE:
        if value & 0xFFF:
            raise UsageError("0x%x is neither a satp value nor a page-aligned table address" %
                             value)
        return value, None
    raise UsageError("satp mode %d is not Sv39 (8); only Sv39 is decoded" % mode)


def canonical(va):
    """The 64-bit form of a 39-bit address: bits 63:39 copy bit 38."""
    return (va | (((1 << 64) - 1) ^ ((1 << 39) - 1))) if va & (1 << 38) else va


def flags_text(pte):
    return "".join(c if pte & (1 << (i + 1)) else "-" for i, c in enumerate(PTE_BITS))


def pte_problem(pte, level):
    """Why a valid PTE is malformed (the hardware would raise a page fault), or None."""
    r, w, x = pte & 2, pte & 4, pte & 8
    if w and not r:
        return "W without R is reserved"
    if not (r or w or x):
        if pte & 0xD0:
            return "a pointer to a table must have U, A and D clear"
        if level == 0:
            return "a level-0 PTE must be a leaf"
        return None
    ppn = (pte >> 10) & PPN_MASK
    if level and ppn & ((1 << (9 * level)) - 1):
        return "misaligned superpage"
    return None


class Memory:
    """Reads physical memory: through QEMU's physical-memory mode when paging is on."""

    def __init__(self):
        self.physical_mode = False

    def __enter__(self):
        try:
            satp = int(gdb.parse_and_eval("$satp")) & ((1 << 64) - 1)
        except gdb.error:
            satp = 0
        if satp >> 60:
            try:
                gdb.execute("maintenance packet Qqemu.PhyMemMode:1", to_string=True)
                gdb.execute("maintenance flush dcache", to_string=True)
                self.physical_mode = True
            except gdb.error:
                out("(paging is on and QEMU's physical-memory mode is not available: tables "
                    "are read through the current translation)")
        return self

    def __exit__(self, *exc):
        if self.physical_mode:
            try:
                gdb.execute("maintenance packet Qqemu.PhyMemMode:0", to_string=True)
                gdb.execute("maintenance flush dcache", to_string=True)
            except gdb.error:
                pass
        return False

    @staticmethod
    def table(addr):
        raw = read_bytes(addr, 4096)
        return [int.from_bytes(raw[i:i + 8], "little") for i in range(0, 4096, 8)]


def walk(root, mem):
    """[(va, pa, size, pte, level, problem)] of every leaf, in address order."""
    leaves = []
    tables = [0]

    def visit(table_addr, level, va_base, depth):
        tables[0] += 1
        if tables[0] > MAX_TABLES:
            raise NotUp("gave up after %d tables: is 0x%x really a root table?" %
                        (MAX_TABLES, root))
        for i, pte in enumerate(mem.table(table_addr)):
            if not pte & 1:
                continue
            va = va_base | (i << (12 + 9 * level))
            problem = pte_problem(pte, level)
            pa = ((pte >> 10) & PPN_MASK) << 12
            if pte & 0xE or problem:
                leaves.append((canonical(va), pa, 1 << (12 + 9 * level), pte, level, problem))
            elif depth < LEVELS:
                visit(pa, level - 1, va, depth + 1)

    visit(root, LEVELS - 1, 0, 1)
    return leaves


def merge(leaves):
    """Runs of leaves contiguous in VA and PA with the same flags, as one range each."""
    ranges = []
    for va, pa, size, pte, level, problem in leaves:
        if ranges and not problem:
            last = ranges[-1]
            if (last["va"] + last["size"] == va and last["pa"] + last["size"] == pa and
                    last["flags"] == pte & 0xFF and not last["problem"]):
                last["size"] += size
                last["levels"].add(level)
                continue
        ranges.append({"va": va, "pa": pa, "size": size, "flags": pte & 0xFF,
                       "levels": {level}, "problem": problem})
    return ranges


def translate(root, va, mem):
    """Prints each level of the walk for one virtual address."""
    out("translating 0x%x:" % va)
    table = root
    for level in range(LEVELS - 1, -1, -1):
        index = (va >> (12 + 9 * level)) & 0x1FF
        pte = mem.table(table)[index]
        text = "  level %d: table 0x%x [%3d] = 0x%016x" % (level, table, index, pte)
        if not pte & 1:
            out(text + "  not valid: page fault")
            return
        problem = pte_problem(pte, level)
        pa = ((pte >> 10) & PPN_MASK) << 12
        if problem:
            out(text + "  %s: page fault" % problem)
            return
        if pte & 0xE:
            offset = va & ((1 << (12 + 9 * level)) - 1)
            out(text + "  leaf %s" % flags_text(pte))
            out("  -> physical 0x%x (%s page)" % (pa + offset, kib(1 << (12 + 9 * level))))
            return
        out(text + "  -> next table")
        table = pa
    out("  (no leaf after three levels)")


def kernel_root():
    """The kernel's root table (lab 6), or None while the kernel has none."""
    for name in KERNEL_ROOT_NAMES:
        v = find_variable(name)
        if v is not None:
            t = v.type.strip_typedefs()
            if t.code == gdb.TYPE_CODE_ARRAY:
                return num(v.address)
            return num(v) or None  # 0 until kvm_init() has built it
    return None


class PagetableCommand(SproutCommand):
    """Walk an Sv39 page table: the mapped ranges, with their flags.

Usage: pagetable                  the table in the selected hart's satp
       pagetable ROOT             the table at physical address ROOT, or a satp value
       pagetable -va VA [ROOT]    how VA translates, level by level

Paging arrives in lab 6; until then satp is bare and every address is physical."""

    name = "pagetable"
    summary = "the Sv39 mappings of satp or of the table at ADDR; -va VA translates one address"
    usage = "pagetable [-va VA] [ROOT|SATP]"
    since = "lab 6 (paging); `pagetable ROOT` walks any table now"

    def run(self, args):
        va = None
        if args[:1] == ["-va"]:
            if len(args) < 2:
                raise UsageError("-va needs an address")
            va = self.value(args[1])
            args = args[2:]
        if len(args) > 1:
            raise UsageError("too many arguments")
        note = None
        if args:
            root, asid = satp_root(self.value(args[0]))
            if kernel_root() is None:
                note = "(paging is not on yet on this hart; walking 0x%x as an Sv39 table as asked)" % root
        else:
            root, asid = self.current_root()
        with Memory() as mem:
            if note:
                out(note)
            if va is not None:
                translate(root, va, mem)
                return
            self.listing(root, asid, mem)

    @staticmethod
    def value(text):
        try:
            return int(gdb.parse_and_eval(text)) & ((1 << 64) - 1)
        except gdb.error as e:
            raise UsageError(str(e))

    @staticmethod
    def current_root():
        try:
            satp = int(gdb.parse_and_eval("$satp")) & ((1 << 64) - 1)
        except gdb.error:
            satp = None
        if satp is not None and satp >> 60:
            return satp_root(satp)
        root = kernel_root()
        if root is not None:
            return root, None
        raise NotUp("not up yet: kvm_init() turns paging on (lab 6; satp is %s: every address "
                    "is physical). `pagetable ROOT` walks a table you give it" %
                    ("bare" if satp is not None else "unreadable"))

    @staticmethod
    def listing(root, asid, mem):
        leaves = walk(root, mem)
        ranges = merge(leaves)
        out("Sv39 table at 0x%x%s: %d leaf entries in %d ranges" % (
            root, ", ASID %d" % asid if asid is not None else "", len(leaves), len(ranges)))
        if not ranges:
            out("  (no valid leaf: every access would page-fault)")
            return
        out("  %-37s    %-29s %9s  %s" % ("VIRTUAL (first-last)", "PHYSICAL", "SIZE", "FLAGS"))
        for n, r in enumerate(ranges):
            if n == MAX_LINES:
                out("  ... %d more ranges" % (len(ranges) - n))
                break
            level = "/".join("L%d" % l for l in sorted(r["levels"], reverse=True))
            out("  0x%016x-0x%016x -> 0x%011x-0x%011x %9s  %s %s%s" % (
                r["va"], r["va"] + r["size"] - 1, r["pa"], r["pa"] + r["size"] - 1,
                kib(r["size"]), flags_text(r["flags"]), level,
                "  BAD: %s" % r["problem"] if r["problem"] else ""))


COMMANDS = [PagetableCommand]
