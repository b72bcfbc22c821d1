/*
 * Fills struct platform from the device tree. Each node is matched by what it is
 * (compatible string, device_type, or path), never by where QEMU happens to put it.
 */
#include "dev/platform.h"

#include "lib/fdt.h"
#include "lib/string.h"

struct platform platform;

/*
 * What the walk remembers to resolve PLIC contexts afterwards: the phandle of each
 * hart's interrupt controller (a child of its cpu node, visited right after it) and the
 * PLIC's interrupts-extended list of (controller phandle, cause) pairs, one per context.
 */
static struct {
	int32_t last_cpu; /* hart id of the cpu node visited last, or -1 */
	uint32_t intc_phandle[MAX_HARTS];
	const uint8_t *plic_contexts;
	uint32_t plic_contexts_len;
} walk = {.last_cpu = -1};

#define INTC_SUPERVISOR_EXTERNAL 9 /* the cause a context with S-mode semantics names */

static bool isa_has_extension(const char *isa, const char *ext)
{
	/* Multi-letter extensions follow '_' in the ISA string, e.g. "rv64imac_..._sstc". */
	size_t n = strlen(ext);
	for (const char *p = strchr(isa, '_'); p; p = strchr(p + 1, '_'))
		if (strncmp(p + 1, ext, n) == 0 && (p[1 + n] == '_' || p[1 + n] == '\0'))
			return true;
	return false;
}

static void probe_cpu(const struct fdt_node *node, struct platform *pf)
{
	const char *status = fdt_prop_string(node, "status");
	uint32_t hartid;
	walk.last_cpu = -1;
	if ((status && strcmp(status, "okay") != 0) || !fdt_prop_u32(node, "reg", &hartid))
		return;
	if (pf->nharts == MAX_HARTS || hartid >= MAX_HARTS) {
		pf->nharts_ignored++;
		return;
	}
	walk.last_cpu = (int32_t)hartid;
	pf->hart_ids[pf->nharts++] = hartid;
	const char *isa = fdt_prop_string(node, "riscv,isa");
	/* The timer mode must be the same on every hart, so Sstc needs all of them. */
	bool sstc = isa && isa_has_extension(isa, "sstc");
	pf->has_sstc = (pf->nharts == 1) ? sstc : (pf->has_sstc && sstc);
}

/* Records a device the kernel will touch, so the kernel map (lab 6) can map it. */
static void add_device(struct platform *pf, const char *name, uint64_t base, uint64_t size)
{
	if (pf->ndevices < PLATFORM_MAX_DEVICES)
		pf->devices[pf->ndevices++] = (struct platform_device){name, base, size};
}

/*
 * Each virtio-mmio slot goes on both lists: platform.devices, so that the kernel map
 * (lab 6) maps its registers, and platform.virtio, where a driver looks for its device.
 * QEMU lists the slots from the highest address down; keep them in address order, so
 * that the first slot (bus virtio-mmio-bus.0, the one `make qemu` puts the disk in)
 * comes first.
 */
static void probe_virtio(const struct fdt_node *node, struct platform *pf)
{
	uint64_t addr, size;
	uint32_t irq;
	if (pf->nvirtio == PLATFORM_MAX_VIRTIO || !fdt_reg(node, 0, &addr, &size) ||
	    !fdt_prop_u32(node, "interrupts", &irq))
		return;
	int i = pf->nvirtio++;
	for (; i > 0 && pf->virtio[i - 1].base > addr; i--)
		pf->virtio[i] = pf->virtio[i - 1];
	pf->virtio[i] = (struct platform_virtio){addr, size, irq};
	add_device(pf, "virtio", addr, size);
}

static void visit(const struct fdt_node *node, void *ctx)
{
	struct platform *pf = ctx;
	uint64_t addr, size;
	const char *device_type = fdt_prop_string(node, "device_type");
	uint32_t v;

	if (device_type && strcmp(device_type, "memory") == 0 && pf->ram.size == 0 &&
	    fdt_reg(node, 0, &addr, &size)) {
		pf->ram = (struct mem_range){addr, size};
	} else if (fdt_node_is(node, "/cpus")) {
		if (fdt_prop_u32(node, "timebase-frequency", &v))
			pf->timebase_hz = v;
	} else if (device_type && strcmp(device_type, "cpu") == 0) {
		probe_cpu(node, pf);
	} else if (fdt_is_compatible(node, "riscv,cpu-intc")) {
		if (walk.last_cpu >= 0 && fdt_prop_u32(node, "phandle", &v))
			walk.intc_phandle[walk.last_cpu] = v;
	} else if (fdt_node_is(node, "/chosen")) {
		const char *args = fdt_prop_string(node, "bootargs");
		if (args)
			strlcpy(pf->bootargs, args, sizeof pf->bootargs);
	} else if (fdt_parent_is(node, "/reserved-memory")) {
		if (pf->nreserved < PLATFORM_MAX_RESERVED && fdt_reg(node, 0, &addr, &size))
			pf->reserved[pf->nreserved++] = (struct mem_range){addr, size};
	} else if (fdt_is_compatible(node, "ns16550a")) {
		if (pf->uart_base == 0 && fdt_reg(node, 0, &addr, &size)) {
			pf->uart_base = addr;
			add_device(pf, "uart", addr, size);
			if (fdt_prop_u32(node, "interrupts", &v))
				pf->uart_irq = v;
		}
	} else if (fdt_is_compatible(node, "sifive,test0")) {
		if (fdt_reg(node, 0, &addr, &size)) {
			pf->test_base = addr;
			add_device(pf, "test", addr, size);
		}
	} else if (fdt_is_compatible(node, "riscv,plic0") ||
	           fdt_is_compatible(node, "sifive,plic-1.0.0")) {
		if (fdt_reg(node, 0, &addr, &size)) {
			pf->plic_base = addr;
			pf->plic_size = size;
			add_device(pf, "plic", addr, size);
			walk.plic_contexts =
			        fdt_prop(node, "interrupts-extended", &walk.plic_contexts_len);
		}
	} else if (fdt_is_compatible(node, "virtio,mmio")) {
		probe_virtio(node, pf);
	} else if (fdt_is_compatible(node, "riscv,clint0") ||
	           fdt_is_compatible(node, "sifive,clint0")) {
		if (fdt_reg(node, 0, &addr, &size))
			pf->clint_base = addr;
	}
}

/* Context i of the PLIC is the pair i of interrupts-extended. */
static void resolve_plic_contexts(struct platform *pf)
{
	for (int h = 0; h < MAX_HARTS; h++)
		pf->plic_context[h] = -1;
	uint32_t pairs = walk.plic_contexts ? walk.plic_contexts_len / 8 : 0;
	for (uint32_t i = 0; i < pairs; i++) {
		uint32_t phandle = fdt_be32(walk.plic_contexts + 8 * i);
		uint32_t cause = fdt_be32(walk.plic_contexts + 8 * i + 4);
		for (int h = 0; h < MAX_HARTS; h++)
			if (cause == INTC_SUPERVISOR_EXTERNAL && walk.intc_phandle[h] == phandle &&
			    phandle != 0)
				pf->plic_context[h] = (int)i;
	}
}

const char *platform_probe(uintptr_t dtb)
{
	struct fdt fdt;
	const char *err = fdt_open(&fdt, dtb);
	if (err)
		return err;
	platform.dtb = (struct mem_range){dtb, fdt.total_size};
	err = fdt_walk(&fdt, visit, &platform);
	if (err)
		return err;
	resolve_plic_contexts(&platform);
	uint64_t addr, size;
	for (int i = 0; fdt_reserved(&fdt, i, &addr, &size); i++)
		if (platform.nreserved < PLATFORM_MAX_RESERVED)
			platform.reserved[platform.nreserved++] = (struct mem_range){addr, size};
	if (platform.ram.size == 0)
		return "device tree has no memory node";
	if (platform.nharts == 0)
		return "device tree lists no usable hart";
	if (platform.uart_base == 0)
		return "device tree has no ns16550a serial port";
	if (platform.timebase_hz == 0)
		return "device tree gives no timebase-frequency under /cpus";
	return NULL;
}
