#!/bin/sh
# Checks for the tools Sprout needs and, on Debian or Ubuntu, installs the missing
# ones with apt-get (through sudo when not root). Elsewhere it says what to install.
# Arguments name further commands a target needs, each from the Debian package of the
# same name (make test: clang-format).
set -e
missing=""
need() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need riscv64-unknown-elf-gcc gcc-riscv64-unknown-elf
need riscv64-unknown-elf-addr2line binutils-riscv64-unknown-elf
need riscv64-unknown-elf-objdump binutils-riscv64-unknown-elf
need make make
need qemu-system-riscv64 qemu-system-misc
need gdb-multiarch gdb-multiarch
need python3 python3
for extra in "$@"; do
	need "$extra" "$extra"
done
# QEMU's "-bios default" is OpenSBI; Debian ships it in the opensbi package.
[ -e /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin ] ||
	[ -e /usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin ] || missing="$missing opensbi"
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "Sprout needs these packages (Debian names):$missing" >&2
	echo "Install the equivalents for your system: a riscv64-unknown-elf GCC and binutils," >&2
	echo "qemu-system-riscv64 (7.2 or later) with OpenSBI, gdb-multiarch and python3" >&2
	echo "(and for make test, clang-format)." >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || { echo "need root or sudo to install:$missing" >&2; exit 1; }
	sudo=sudo
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq $missing
