/*
 * Flattened device tree walker (Devicetree Specification v0.4, chapter 5). The
 * structure block is a sequence of big-endian 32-bit tokens: BEGIN_NODE + name,
 * PROP + length + name offset + value, END_NODE, NOP, and END.
 */
#include "lib/fdt.h"

#include "lib/string.h"

#define FDT_MAGIC      0xd00dfeed
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9

static uint32_t align4(uint32_t x)
{
	return (x + 3) & ~3u;
}

/*
 * Caller must pass the address the firmware gave in a1: readable memory holding at
 * least the 40-byte header. Everything past the header is checked against its sizes.
 */
const char *fdt_open(struct fdt *fdt, uintptr_t addr)
{
	const uint8_t *b = (const uint8_t *)addr;
	if (addr == 0 || addr % 4 != 0)
		return "device tree address is null or misaligned";
	if (fdt_be32(b) != FDT_MAGIC)
		return "no device tree magic (0xd00dfeed) at the address the firmware gave";
	fdt->blob = b;
	fdt->total_size = fdt_be32(b + 4);
	fdt->struct_offset = fdt_be32(b + 8);
	fdt->strings_offset = fdt_be32(b + 12);
	fdt->rsvmap_offset = fdt_be32(b + 16);
	fdt->strings_size = fdt_be32(b + 32);
	fdt->struct_size = fdt_be32(b + 36);
	uint32_t version = fdt_be32(b + 20);
	if (version < 17)
		return "device tree version is older than 17";
	if (fdt->total_size > (64u << 20))
		return "device tree claims to be larger than 64 MiB";
	if ((uint64_t)fdt->struct_offset + fdt->struct_size > fdt->total_size ||
	    (uint64_t)fdt->strings_offset + fdt->strings_size > fdt->total_size ||
	    fdt->rsvmap_offset >= fdt->total_size)
		return "device tree blocks lie outside its total size";
	return NULL;
}

/* Reads the token at *off inside the structure block, or FDT_END past its end. */
static uint32_t next_token(const struct fdt *fdt, uint32_t *off)
{
	if (*off + 4 > fdt->struct_size)
		return FDT_END;
	uint32_t tok = fdt_be32(fdt->blob + fdt->struct_offset + *off);
	*off += 4;
	return tok;
}

static const char *struct_string(const struct fdt *fdt, uint32_t off, uint32_t *len)
{
	const char *s = (const char *)fdt->blob + fdt->struct_offset + off;
	uint32_t max = fdt->struct_size - off;
	uint32_t n = 0;
	while (n < max && s[n])
		n++;
	if (n == max)
		return NULL;
	*len = n;
	return s;
}

/* Skips a property at *off (just after its PROP token); false if it is malformed. */
static bool skip_prop(const struct fdt *fdt, uint32_t *off, uint32_t *len, uint32_t *nameoff)
{
	if (*off + 8 > fdt->struct_size)
		return false;
	const uint8_t *p = fdt->blob + fdt->struct_offset + *off;
	*len = fdt_be32(p);
	*nameoff = fdt_be32(p + 4);
	if (*len > fdt->struct_size - *off - 8 || *nameoff >= fdt->strings_size)
		return false;
	*off += 8 + align4(*len);
	return true;
}

const void *fdt_prop(const struct fdt_node *node, const char *name, uint32_t *len)
{
	const struct fdt *fdt = node->fdt;
	uint32_t off = node->props_offset;
	for (;;) {
		uint32_t start = off;
		uint32_t tok = next_token(fdt, &off);
		if (tok == FDT_NOP)
			continue;
		if (tok != FDT_PROP)
			return NULL;
		uint32_t plen, nameoff;
		if (!skip_prop(fdt, &off, &plen, &nameoff))
			return NULL;
		const char *pname = (const char *)fdt->blob + fdt->strings_offset + nameoff;
		if (strncmp(pname, name, fdt->strings_size - nameoff) == 0) {
			if (len)
				*len = plen;
			return fdt->blob + fdt->struct_offset + start + 12;
		}
	}
}

bool fdt_prop_u32(const struct fdt_node *node, const char *name, uint32_t *out)
{
	uint32_t len;
	const void *p = fdt_prop(node, name, &len);
	if (!p || len < 4)
		return false;
	*out = fdt_be32(p);
	return true;
}

const char *fdt_prop_string(const struct fdt_node *node, const char *name)
{
	uint32_t len;
	const char *p = fdt_prop(node, name, &len);
	if (!p || len == 0 || p[len - 1] != '\0')
		return NULL;
	return p;
}

bool fdt_is_compatible(const struct fdt_node *node, const char *compatible)
{
	uint32_t len;
	const char *p = fdt_prop(node, "compatible", &len);
	if (!p || len == 0 || p[len - 1] != '\0')
		return false;
	/* The property is a list of NUL-terminated strings. */
	for (const char *end = p + len; p < end; p += strlen(p) + 1)
		if (strcmp(p, compatible) == 0)
			return true;
	return false;
}

static uint64_t read_cells(const uint8_t *p, uint32_t cells)
{
	uint64_t v = 0;
	for (uint32_t i = 0; i < cells; i++)
		v = v << 32 | fdt_be32(p + 4 * i);
	return v;
}

bool fdt_reg(const struct fdt_node *node, int index, uint64_t *addr, uint64_t *size)
{
	uint32_t len;
	const uint8_t *p = fdt_prop(node, "reg", &len);
	uint32_t ac = node->address_cells, sc = node->size_cells;
	uint32_t entry = 4 * (ac + sc);
	if (!p || entry == 0 || ac > 2 || sc > 2 || (uint32_t)(index + 1) * entry > len)
		return false;
	p += index * entry;
	*addr = read_cells(p, ac);
	*size = read_cells(p + 4 * ac, sc);
	return true;
}

static bool path_matches(const struct fdt_node *node, int depth, const char *path)
{
	/* path "/a/b" matches node names path[1]="a", path[2]="b" */
	int level = 0;
	const char *p = path;
	while (*p == '/' && p[1] != '\0') {
		p++;
		level++;
		if (level > depth)
			return false;
		size_t n = 0;
		while (p[n] && p[n] != '/')
			n++;
		const char *name = node->path[level];
		if (strncmp(name, p, n) != 0 || name[n] != '\0')
			return false;
		p += n;
	}
	return level == depth;
}

bool fdt_node_is(const struct fdt_node *node, const char *path)
{
	return path_matches(node, node->depth, path);
}

bool fdt_parent_is(const struct fdt_node *node, const char *path)
{
	return node->depth > 0 && path_matches(node, node->depth - 1, path);
}

const char *fdt_walk(const struct fdt *fdt, fdt_visitor visit, void *ctx)
{
	struct fdt_node node = {.fdt = fdt, .depth = -1};
	uint32_t addr_cells[FDT_MAX_DEPTH + 1], size_cells[FDT_MAX_DEPTH + 1];
	uint32_t off = 0;
	/* Cells that apply to the root's own "reg" (spec defaults). */
	addr_cells[0] = 2;
	size_cells[0] = 1;
	for (;;) {
		uint32_t tok = next_token(fdt, &off);
		switch (tok) {
		case FDT_BEGIN_NODE: {
			uint32_t len;
			const char *name = struct_string(fdt, off, &len);
			if (!name)
				return "device tree node name runs past the structure block";
			if (node.depth + 1 >= FDT_MAX_DEPTH)
				return "device tree is nested too deeply";
			node.depth++;
			node.name = name;
			node.path[node.depth] = name;
			off += align4(len + 1);
			node.props_offset = off;
			node.address_cells = addr_cells[node.depth];
			node.size_cells = size_cells[node.depth];
			/* This node's #address-cells/#size-cells apply to its children. */
			uint32_t v;
			addr_cells[node.depth + 1] =
			        fdt_prop_u32(&node, "#address-cells", &v) ? v : 2;
			size_cells[node.depth + 1] = fdt_prop_u32(&node, "#size-cells", &v) ? v : 1;
			visit(&node, ctx);
			break;
		}
		case FDT_END_NODE:
			if (node.depth < 0)
				return "device tree has an unmatched END_NODE";
			node.depth--;
			break;
		case FDT_PROP: {
			uint32_t plen, nameoff;
			if (!skip_prop(fdt, &off, &plen, &nameoff))
				return "device tree property runs past the structure block";
			break;
		}
		case FDT_NOP:
			break;
		case FDT_END:
			return node.depth == -1 ? NULL : "device tree ends inside a node";
		default:
			return "device tree has an unknown token";
		}
	}
}

bool fdt_reserved(const struct fdt *fdt, int index, uint64_t *addr, uint64_t *size)
{
	uint32_t off = fdt->rsvmap_offset + 16 * (uint32_t)index;
	if (off + 16 > fdt->total_size)
		return false;
	const uint8_t *p = fdt->blob + off;
	*addr = read_cells(p, 2);
	*size = read_cells(p + 8, 2);
	return *addr != 0 || *size != 0;
}
