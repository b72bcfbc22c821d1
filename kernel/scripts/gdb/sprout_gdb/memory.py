"""`bump` and `buddy`: the boot allocator of lab 1 and the page allocator of lab 5.

The boot allocator's state is the static `bump` in kernel/mm/bump.c: the run it serves
[start, end), the first free byte `next`, padding and calls, and `sealed_for` (set at the
handover). The page allocator is the global `kpages` (kernel/mm/pages.c): kpages.buddy (the
free lists: free_head[k] is the page index of the first free block of order k, linked
through pages[i].next, NO_PAGE = 0xffffffff at the end), pagecaches[h] (kernel/mm/pagecache.c) (each hart's
cache of free single pages) and kpages.ready.
"""

import gdb

from .command import SproutCommand, out
from .core import (NotUp, UsageError, address_of, array_len, find_variable, kernel_entered,
                   kib, num, read_cstring)

NO_PAGE = 0xFFFFFFFF
PAGE_SHIFT = 12
LIST_DEFAULT = 32


def _fields(t):
    t = t.strip_typedefs()
    if t.code != gdb.TYPE_CODE_STRUCT:
        return set()
    return set(f.name for f in t.fields())


def with_bytes(n):
    text = kib(n)
    return text if text.endswith("bytes") else "%s (%d bytes)" % (text, n)


class BumpCommand(SproutCommand):
    """Show the boot allocator (kernel/mm/bump.c): its run, next free byte, used, left, sealed.

Usage: bump"""

    name = "bump"
    summary = "the boot allocator: range, next free address, used/left, calls, sealed"
    usage = "bump"
    since = "lab 1 (bump_init() in boot_bootstrap)"

    def run(self, args):
        if args:
            raise UsageError("bump takes no argument")
        kernel_entered()
        b = find_variable("bump", want=lambda t: {"start", "end", "next"} <= _fields(t))
        if b is None:
            raise NotUp("the kernel has no boot allocator state `bump` (kernel/mm/bump.c)")
        start, end, nxt = num(b["start"]), num(b["end"]), num(b["next"])
        if end == 0:
            raise NotUp("not up yet: bump_init() has not run (boot_bootstrap(), lab 1)")
        kernel = address_of("_start") or 0
        if not start <= nxt <= end or start == end or start % 4096 or end % 4096 or \
                start < kernel:
            raise NotUp("not up yet, or overwritten: start 0x%x, next 0x%x, end 0x%x do not "
                        "make a run (stopped before bump_init() finished?)" % (start, nxt, end))
        fields = _fields(b.type)
        used, left = nxt - start, end - nxt
        out("boot allocator: [0x%x, 0x%x), %s" % (start, end, kib(end - start)))
        out("  next free  0x%x" % nxt)
        extra = []
        if "calls" in fields:
            extra.append("in %d calls" % int(b["calls"]))
        if "padding" in fields:
            extra.append("%d bytes of it alignment padding" % int(b["padding"]))
        out("  used       %s%s" % (with_bytes(used), ", " + ", ".join(extra) if extra else ""))
        out("  left       %s, %.1f%% of the run" % (with_bytes(left),
                                                     100.0 * left / (end - start)))
        if "sealed_for" in fields:
            sealed = num(b["sealed_for"])
            if sealed:
                out("  sealed     yes: boot_alloc() panics now; use %s" %
                    (read_cstring(sealed) or "?"))
            else:
                out("  sealed     no: boot_alloc() still hands out memory")


def page_allocator():
    """kpages, once the page allocator has taken over; raises NotUp before."""
    kernel_entered()
    kp = find_variable("kpages")
    if kp is None:
        raise NotUp("not available yet: the page allocator arrives in lab 5 (no `kpages`)")
    if not bool(int(kp["ready"])):
        raise NotUp("not up yet: the page allocator has not taken over (handover(), lab 5); "
                    "`bump` shows the boot allocator")
    b = kp["buddy"]
    orders = array_len(b["free_blocks"])
    free, managed, npages = int(b["free_pages"]), int(b["managed_pages"]), int(b["npages"])
    if not free <= managed <= npages or num(b["pages"]) == 0 or \
            any(int(b["free_blocks"][k]) > npages for k in range(orders)):
        raise NotUp("not consistent: %d free of %d managed pages in %d described, pages[] at "
                    "0x%x (kpages.ready is set, but the allocator looks overwritten)" %
                    (free, managed, npages, num(b["pages"])))
    return kp


class BuddyCommand(SproutCommand):
    """Show the page allocator (kernel/mm/pages.c, kernel/mm/buddy.c).

Usage: buddy                 free blocks per order, totals, per-hart page caches
       buddy ORDER [COUNT]   the free blocks of ORDER in free-list order (first COUNT,
                             32 unless given; `all` for every one)

The totals line checks that the blocks on the lists add up to free_pages."""

    name = "buddy"
    summary = "free lists per order and per-hart caches; `buddy ORDER` lists free blocks"
    usage = "buddy [ORDER [COUNT|all]]"
    since = "lab 5 (handover(): kpages.ready)"

    def run(self, args):
        if len(args) > 2:
            raise UsageError("too many arguments")
        kp = page_allocator()
        b = kp["buddy"]
        orders = array_len(b["free_blocks"])
        if not args:
            self.summary_of(kp, b, orders)
            return
        try:
            order = int(args[0], 0)
        except ValueError:
            raise UsageError("ORDER must be a number from 0 to %d" % (orders - 1))
        if not 0 <= order < orders:
            raise UsageError("ORDER must be from 0 to %d" % (orders - 1))
        limit = LIST_DEFAULT
        if len(args) == 2:
            if args[1] == "all":
                limit = None
            else:
                try:
                    limit = int(args[1], 0)
                except ValueError:
                    raise UsageError("COUNT must be a number or `all`")
        self.list_order(b, order, limit)

    def summary_of(self, kp, b, orders):
        free_pages = int(b["free_pages"])
        managed = int(b["managed_pages"])
        out("page allocator: %d of %d pages free in the buddy allocator (%s), base 0x%x" % (
            free_pages, managed, kib(free_pages << PAGE_SHIFT), num(b["base"])))
        out("order  block KiB  free blocks      pages")
        listed = 0
        for k in range(orders):
            n = int(b["free_blocks"][k])
            listed += n << k
            out("%5d  %9d  %11d  %9d" % (k, 4 << k, n, n << k))
        verdict = "consistent" if listed == free_pages else \
            "MISMATCH: the lists hold %d pages, free_pages says %d" % (listed, free_pages)
        out("lists total %d pages; free_pages %d: %s" % (listed, free_pages, verdict))
        # The per-hart caches live in kernel/mm/pagecache.c; older trees kept them in
        # kpages.caches.
        caches = find_variable("pagecaches")
        if caches is None:
            caches = kp["caches"]
        cached = 0
        parts = []
        for h in range(array_len(caches)):
            c = int(caches[h]["count"])
            cached += c
            if c:
                parts.append("hart %d: %d" % (h, c))
        out("per-hart caches: %d pages%s%s" % (cached, " (" + ", ".join(parts) + ")"
                                               if parts else "",
                                               "" if bool(int(kp["caching"])) else
                                               "; caching is off"))
        out("free altogether: %d pages (%s)" % (free_pages + cached,
                                                 kib((free_pages + cached) << PAGE_SHIFT)))
        c = b["counters"]
        out("counters: %d allocs, %d frees, %d splits, %d merges, %d failed" % (
            int(c["allocs"]), int(c["frees"]), int(c["splits"]), int(c["merges"]),
            int(c["failures"])))

    def list_order(self, b, order, limit):
        base = num(b["base"])
        npages = int(b["npages"])
        pages = b["pages"]
        expected = int(b["free_blocks"][order])
        i = int(b["free_head"][order])
        shown, seen = 0, set()
        out("free blocks of order %d (%s each), %d on the list:" % (
            order, kib(4096 << order), expected))
        if i == NO_PAGE:
            out("  (none)")
        while i != NO_PAGE:
            if i in seen or i >= npages:
                out("  (the list is broken here: page index %d %s)" % (
                    i, "comes round again" if i in seen else "is past the end"))
                return
            seen.add(i)
            if limit is not None and shown >= limit:
                out("  ... (%d in all; `buddy %d all` lists every one)" % (expected, order))
                return
            addr = base + (i << PAGE_SHIFT)
            p = pages[i]
            note = ""
            if int(p["order"]) != order:
                note = "  (its page says order %d)" % int(p["order"])
            out("  0x%x-0x%x%s" % (addr, addr + (4096 << order), note))
            shown += 1
            i = int(p["next"])
        if shown != expected:
            out("  (the list holds %d blocks, free_blocks[%d] says %d)" % (shown, order,
                                                                          expected))


class BuddyFreeCommand(BuddyCommand):
    """The older name of `buddy` (no argument): the free blocks of each order."""

    name = "buddy-free"
    listed = False

    def run(self, args):
        if args:
            raise UsageError("buddy-free takes no argument; `buddy ORDER` lists blocks")
        BuddyCommand.run(self, [])


class BuddyListCommand(BuddyCommand):
    """The older name of `buddy ORDER`: the free blocks of ORDER (the first 32)."""

    name = "buddy-list"
    usage = "buddy-list ORDER"
    listed = False

    def run(self, args):
        if len(args) != 1:
            raise UsageError("buddy-list needs exactly one ORDER")
        BuddyCommand.run(self, args)


COMMANDS = [BumpCommand, BuddyCommand, BuddyFreeCommand, BuddyListCommand]
