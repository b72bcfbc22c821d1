/*
 * The short integer type names of the classic teaching interface (uint, uchar, uint64,
 * ...), so that programs written for it compile here. user.h includes this file.
 */
#pragma once

#include <stdint.h>

typedef unsigned int uint;
typedef unsigned short ushort;
typedef unsigned char uchar;

typedef uint8_t uint8;
typedef uint16_t uint16;
typedef uint32_t uint32;
typedef uint64_t uint64;
