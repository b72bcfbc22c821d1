# Connects gdb-multiarch to `make qemu-gdb` and loads the kernel's symbols.
# gdb reads this file only if allowed: see docs/getting-started.md ("Debugging").
set confirm off
set architecture riscv:rv64
file build/kernel.elf

# Sprout's commands (docs/gdb.md; `sprout-help` lists them): harts, threads, locks,
# trapframe, bump, buddy, pagetable, procs. Loaded before `target remote`, which ends
# this file early when no QEMU is waiting; a broken script must not stop the connect.
python
try:
    gdb.execute("source kernel/scripts/gdb_sprout.py")
except gdb.error as e:
    print("Sprout's GDB commands did not load: %s" % e)
end

target remote localhost:1234
# No breakpoint of our own: a walk-through's `break f` then `continue` stops at f.
echo \nConnected; QEMU waits before the firmware. No breakpoint is set: `break _start` stops where the kernel begins, `break kmain` at its C code. `sprout-help` lists the kernel commands.\n
