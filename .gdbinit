# Connects gdb-multiarch to `make qemu-gdb` and loads the kernel's symbols.
# gdb reads this file only if allowed: see docs/getting-started.md ("Debugging").
set confirm off
set architecture riscv:rv64
file build/kernel.elf

# Lab 5: the page allocator's free lists (docs/labs/5-buddy.md). Defined before
# `target remote`, which ends this file early when no QEMU is waiting.
define buddy-free
  if !kpages.ready
    echo the page allocator has not taken over yet (see handover() in kernel/mm/handover.c)\n
  else
    set $b = &kpages.buddy
    set $orders = sizeof($b->free_blocks) / sizeof($b->free_blocks[0])
    printf "order  block KiB  free blocks\n"
    set $k = 0
    while $k < $orders
      printf "%5d  %9d  %11lu\n", $k, 4 << $k, $b->free_blocks[$k]
      set $k = $k + 1
    end
    printf "%lu of %lu pages free in the buddy allocator; per-hart caches:", $b->free_pages, $b->managed_pages
    set $h = 0
    while $h < sizeof(pagecaches) / sizeof(pagecaches[0])
      if pagecaches[$h].count
        printf " hart %d: %u", $h, pagecaches[$h].count
      end
      set $h = $h + 1
    end
    printf "\n"
  end
end
document buddy-free
Prints the free blocks of each order in the page allocator (kpages.buddy), the free
page count and the pages held in each hart's cache.
end

define buddy-list
  if !kpages.ready
    echo the page allocator has not taken over yet (see handover() in kernel/mm/handover.c)\n
  else
    set $b = &kpages.buddy
    set $i = $b->free_head[$arg0]
    set $n = 0
    while $i != 0xffffffff && $n < 32
      printf "  %#lx\n", $b->base + ((unsigned long)$i << 12)
      set $i = $b->pages[$i].next
      set $n = $n + 1
    end
    if $i != 0xffffffff
      printf "  ... (%lu in all)\n", $b->free_blocks[$arg0]
    end
  end
end
document buddy-list
buddy-list ORDER: the start addresses of the free blocks of ORDER, in free-list order
(the first 32).
end
target remote localhost:1234
# Stop where OpenSBI hands over to the kernel.
break _start
echo \nConnected. `continue` runs to _start; `break kmain` then `continue` for C.\n
