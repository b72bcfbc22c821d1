/*
 * A small reader for the flattened device tree (FDT) that the firmware hands the
 * kernel: it walks nodes depth-first and reads properties. It never writes the blob,
 * never allocates, and checks every offset against the blob's size so a corrupt tree
 * gives an error instead of a wild read.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define FDT_MAX_DEPTH 16

struct fdt {
	const uint8_t *blob;
	uint32_t total_size;
	uint32_t struct_offset, struct_size;
	uint32_t strings_offset, strings_size;
	uint32_t rsvmap_offset;
};

struct fdt_node {
	const struct fdt *fdt;
	const char *name;                /* unit name, e.g. "serial@10000000"; "" for the root */
	const char *path[FDT_MAX_DEPTH]; /* names from the root down to this node */
	int depth;                       /* 0 for the root */
	uint32_t props_offset;           /* first token after the node's name */
	uint32_t address_cells;          /* of the parent: how to read this node's "reg" */
	uint32_t size_cells;
};

/* Returns NULL on success, or a sentence saying what is wrong with the blob. */
const char *fdt_open(struct fdt *fdt, uintptr_t addr);

/* Calls visit for every node, parents before children. Returns NULL or an error. */
typedef void (*fdt_visitor)(const struct fdt_node *node, void *ctx);
const char *fdt_walk(const struct fdt *fdt, fdt_visitor visit, void *ctx);

const void *fdt_prop(const struct fdt_node *node, const char *name, uint32_t *len);
bool fdt_prop_u32(const struct fdt_node *node, const char *name, uint32_t *out);
const char *fdt_prop_string(const struct fdt_node *node, const char *name);
bool fdt_is_compatible(const struct fdt_node *node, const char *compatible);
bool fdt_reg(const struct fdt_node *node, int index, uint64_t *addr, uint64_t *size);
/* True if the node's path is exactly `path`, e.g. "/cpus" or "/chosen". */
bool fdt_node_is(const struct fdt_node *node, const char *path);
/* True if the node is a direct child of `path`. */
bool fdt_parent_is(const struct fdt_node *node, const char *path);

/* The blob's memory reservation block: entry i, false past the end. */
bool fdt_reserved(const struct fdt *fdt, int index, uint64_t *addr, uint64_t *size);

static inline uint32_t fdt_be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}
