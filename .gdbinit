# Connects gdb-multiarch to `make qemu-gdb` and loads the kernel's symbols.
# gdb reads this file only if allowed: see docs/getting-started.md ("Debugging").
set confirm off
set architecture riscv:rv64
file build/kernel.elf
target remote localhost:1234
# Stop where OpenSBI hands over to the kernel.
break _start
echo \nConnected. `continue` runs to _start; `break kmain` then `continue` for C.\n
