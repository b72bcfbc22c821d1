/*
 * The flags of open() and the device numbers of mknod(), shared by the kernel's file
 * system and user programs.
 *
 * Exactly one of O_RDONLY, O_WRONLY and O_RDWR, or'ed with any of the others. A
 * directory opens only O_RDONLY.
 */
#pragma once

#define O_RDONLY 0x000
#define O_WRONLY 0x001
#define O_RDWR   0x002
#define O_CREATE 0x200 /* make a regular file if path does not exist */
#define O_TRUNC  0x400 /* empty a regular file opened for writing */

/* Device majors for mknod(path, major, minor) and T_DEVICE inodes. */
#define CONSOLE 1 /* the console (the UART): user programs open it as /console */
