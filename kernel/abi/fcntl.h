/*
 * Flags of open(), shared by the kernel (kernel/fs/file.c) and user programs. The access
 * mode is the low two bits: exactly one of O_RDONLY, O_WRONLY, O_RDWR.
 */
#pragma once

#define O_RDONLY  0x000
#define O_WRONLY  0x001
#define O_RDWR    0x002
#define O_ACCMODE 0x003 /* the access-mode bits */
#define O_CREATE  0x200 /* create the file if it does not exist */
#define O_TRUNC   0x400 /* empty the file on open (a file opened for writing) */
