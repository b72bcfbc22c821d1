/*
 * Device numbers: a T_DEVICE inode (kernel/abi/fs_format.h) names its driver by `major`
 * and a unit of that driver by `minor`. User programs make device files with
 * mknod(path, major, minor); the kernel's device table (kernel/fs/devsw.h) maps each
 * major number to its driver.
 */
#pragma once

#define CONSOLE 1 /* the console: reads what is typed, writes to the screen */

#define NDEV    8 /* major numbers 1..NDEV-1 exist; 0 is no device */
