/* vmcore_xen.c - see vmcore_xen.h. */
#include "vmcore_xen.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The kernel image map, arch/x86/include/asm/page_64_types.h. */
static const uint64_t START_KERNEL_map = UINT64_C(0xffffffff80000000);
/* Bytes of /proc/cmdline we read (COMMAND_LINE_SIZE is 2048 on x86). */
enum { CMDLINE_MAX = 8192 };

static struct crash_error *read_mach(void *arg, uint64_t maddr, void *buf,
				     size_t size)
{
	return vmcore_read_phys(arg, maddr, buf, size);
}

struct crash_error *vmcore_xen_create(struct vmcore *vm,
				      void (*warn)(void *arg,
						   const char *message),
				      struct xen **ret)
{
	size_t note_count, seg_count;
	const struct vmcore_note *notes = vmcore_notes(vm, &note_count);
	const struct vmcore_segment *segs = vmcore_segments(vm, &seg_count);
	struct xen_note *xn = calloc(note_count ? note_count : 1, sizeof(*xn));
	struct xlat_range *ranges = calloc(seg_count ? seg_count : 1,
					   sizeof(*ranges));
	if (!xn || !ranges) {
		free(xn);
		free(ranges);
		return &crash_enomem;
	}
	for (size_t i = 0; i < note_count; i++)
		xn[i] = (struct xen_note){ notes[i].name, notes[i].type,
					   notes[i].desc, notes[i].desc_size };
	// The bytes the file holds: [p_filesz, p_memsz) reads as zeros, which
	// no scan needs and no p2m frame may be (a lying p_memsz must not
	// make a scan read terabytes of zeros).
	for (size_t i = 0; i < seg_count; i++)
		ranges[i] = (struct xlat_range){ segs[i].paddr, 0,
						 segs[i].file_size };
	struct xen_reader r = {
		.arg = vm,
		.read_mach = read_mach,
		.warn = warn,
		.format = vmcore_format(vm),
		.machine = vmcore_machine(vm),
		.notes = xn,
		.note_count = note_count,
		.ranges = ranges,
		.range_count = seg_count,
	};
	struct crash_error *err = xen_create(&r, ret);
	free(xn);
	free(ranges);
	return err;
}

static struct crash_error *read_dom0_phys(void *arg, uint64_t paddr, void *buf,
					  size_t size)
{
	return xen_read_dom0_phys(arg, paddr, buf, size);
}

struct crash_error *vmcore_xen_dom0_xlat_create(struct vmcore *vm,
						const struct xen *xen,
						const struct vmcoreinfo *vi,
						void (*warn)(void *arg,
							     const char *message),
						struct xlat **ret)
{
	// Dom0's pseudo-physical space: up to the p2m's 512^3 frames.  No
	// p_vaddr hint: kexec-tools' are direct-map + machine address.
	struct xlat_range range = {
		0, 0, (uint64_t)XEN_P2M_MAX_PFN * XEN_PAGE_SIZE
	};
	struct xlat_reader reader = {
		.arg = (void *)xen,
		.read_phys = read_dom0_phys,
		.warn = warn,
		.format = vmcore_format(vm),
		.machine = vmcore_machine(vm),
		.vmcoreinfo = vi,
		.ranges = &range,
		.range_count = 1,
		.pgtables_hold_machine_frames = true,
	};
	(void)warn;
	return xlat_create(&reader, ret);
}

/* Parse "0xHEX" or "HEX" from [p, end); false if malformed. */
static bool parse_hex(const char *p, const char *end, uint64_t *ret)
{
	if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	if (p == end || end - p > 16)
		return false;
	uint64_t v = 0;
	for (; p < end; p++) {
		int d = *p >= '0' && *p <= '9'	 ? *p - '0'
			: *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
			: *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
						 : -1;
		if (d < 0)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*ret = v;
	return true;
}

struct crash_error *vmcore_xen_cmdline(const char *path,
				       struct vmcore_xen_hints *ret)
{
	struct vmcore_xen_hints h = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*ret = h;
		return NULL;
	}
	char buf[CMDLINE_MAX + 1];
	size_t len = 0;
	while (len < CMDLINE_MAX) {
		ssize_t n = read(fd, buf + len, CMDLINE_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	const char *p = buf, *end = buf + len;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\n' || *p == '\t'))
			p++;
		const char *w = p;
		while (p < end && *p != ' ' && *p != '\n' && *p != '\t')
			p++;
		size_t wl = (size_t)(p - w);
		static const char k1[] = "crashkit.dom0_vmcoreinfo=",
				  k2[] = "xen_dom0_vmcoreinfo=",
				  k3[] = "crashkit.xen_conring=";
		const char *v = NULL;
		if (wl > sizeof(k1) - 1 && !memcmp(w, k1, sizeof(k1) - 1))
			v = w + sizeof(k1) - 1;
		else if (wl > sizeof(k2) - 1 && !memcmp(w, k2, sizeof(k2) - 1))
			v = w + sizeof(k2) - 1;
		if (v) {
			if (!parse_hex(v, p, &h.dom0_vmcoreinfo))
				return crash_error_create(
					CRASH_ERR_CORRUPT,
					"%s: '%.*s' is not an address", path,
					(int)wl, w);
			h.has_dom0_vmcoreinfo = true;
			continue;
		}
		if (wl > sizeof(k3) - 1 && !memcmp(w, k3, sizeof(k3) - 1)) {
			uint64_t vals[4] = {0};
			int n = 0;
			const char *q = w + sizeof(k3) - 1;
			while (q <= p && n < 4) {
				const char *c = memchr(q, ',', (size_t)(p - q));
				const char *e = c ? c : p;
				if (!parse_hex(q, e, &vals[n]))
					break;
				n++;
				q = e + 1;
				if (!c)
					break;
			}
			if (n < 3 || q < p)
				return crash_error_create(
					CRASH_ERR_CORRUPT,
					"%s: '%.*s' is not crashkit.xen_conring="
					"0xCONRING,0xSIZE,0xPROD[,0xCONS]",
					path, (int)wl, w);
			h.has_conring = true;
			h.conring = (struct xen_conring_syms){
				vals[0], vals[1], vals[2], vals[3]
			};
		}
	}
	*ret = h;
	return NULL;
}

void vmcore_xen_dom0_deinit(struct vmcore_xen_dom0 *d)
{
	free(d->text);
	d->text = NULL;
}

/* Does @text validate as dom0's: init_uts_ns reads through the p2m? */
static bool dom0_validates(struct vmcore *vm, const struct xen *xen,
			   const char *text, size_t size)
{
	struct vmcoreinfo *vi;
	struct crash_error *err = vmcoreinfo_parse(text, size, &vi);
	if (err) {
		crash_error_destroy(err);
		return false;
	}
	struct xlat *x;
	err = vmcore_xen_dom0_xlat_create(vm, xen, vi, NULL, &x);
	bool ok = !err && xlat_utsname(x);
	crash_error_destroy(err);
	if (!err)
		xlat_destroy(x);
	vmcoreinfo_destroy(vi);
	return ok;
}

struct crash_error *vmcore_xen_dom0(struct vmcore *vm, const struct xen *xen,
				    const uint64_t *hint,
				    const struct vmcore_xen_hints *hints,
				    struct vmcore_xen_dom0 *ret)
{
	struct vmcore_xen_dom0 d = {0};
	struct crash_error *err;
	uint64_t at = 0;
	const char *source = NULL;
	if (hint) {
		at = *hint;
		source = "--dom0-vmcoreinfo";
	} else {
		const char *text;
		size_t size;
		err = vmcore_vmcoreinfo(vm, &text, &size);
		if (!err) {
			while (size > 0 && text[size - 1] == '\0')
				size--;
			d.text = malloc(size + 1);
			if (!d.text)
				return &crash_enomem;
			memcpy(d.text, text, size);
			d.text[size] = '\0';
			d.size = size;
			d.source = "VMCOREINFO note in the dump";
			*ret = d;
			return NULL;
		}
		if (!crash_error_catch(&err, CRASH_ERR_NOT_FOUND))
			return err;
		if (hints && hints->has_dom0_vmcoreinfo) {
			at = hints->dom0_vmcoreinfo;
			source = "crashkit.dom0_vmcoreinfo= on the command line";
		}
	}
	if (source) {
		err = xen_dom0_vmcoreinfo_at(xen, at, &d.text, &d.size);
		if (err)
			return crash_error_prefix(err, "%s", source);
		d.has_maddr = true;
		d.maddr = at;
		d.source = source;
		*ret = d;
		return NULL;
	}
	uint64_t hits[XEN_SCAN_MAX_HITS];
	size_t count;
	err = xen_dom0_vmcoreinfo_scan(xen, 0, hits, &count);
	if (err)
		return crash_error_prefix(err, "scanning for dom0's VMCOREINFO");
	if (!count)
		return crash_error_create(
			CRASH_ERR_NOT_FOUND,
			"no dom0 VMCOREINFO: none in the notes, no hint "
			"(--dom0-vmcoreinfo=, crashkit.dom0_vmcoreinfo=) and "
			"no note found in %" PRIu64 " bytes of machine memory",
			xen_mach_end(xen));
	size_t pick = 0;
	for (size_t i = 0; i < count; i++) {
		char *text;
		size_t size;
		err = xen_dom0_vmcoreinfo_at(xen, hits[i], &text, &size);
		if (err) {
			crash_error_destroy(err);
			continue;
		}
		bool ok = dom0_validates(vm, xen, text, size);
		free(text);
		if (ok) {
			pick = i;
			break;
		}
	}
	err = xen_dom0_vmcoreinfo_at(xen, hits[pick], &d.text, &d.size);
	if (err)
		return err;
	d.has_maddr = true;
	d.maddr = hits[pick];
	d.source = "scan of machine memory";
	d.scan_hits = (unsigned)count;
	*ret = d;
	return NULL;
}

struct crash_error *vmcore_xen_dom0_crosscheck(const struct xen *xen,
					       const struct xlat *x,
					       const struct vmcoreinfo *vi,
					       unsigned int *checked_ret)
{
	uint64_t pgt;
	struct crash_error *err = vmcoreinfo_symbol(vi, "init_top_pgt", &pgt);
	if (err && crash_error_catch(&err, CRASH_ERR_NOT_FOUND))
		err = vmcoreinfo_symbol(vi, "init_level4_pgt", &pgt);
	if (err)
		return err;
	int64_t phys_base = 0, l5 = 0;
	crash_error_destroy(vmcoreinfo_number(vi, "phys_base", &phys_base));
	crash_error_destroy(vmcoreinfo_number(vi, "pgtable_l5_enabled", &l5));
	if (pgt < START_KERNEL_map)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "SYMBOL(init_top_pgt)=%" PRIx64
					  " is not a kernel image address",
					  pgt);
	uint64_t pgt_phys = pgt - START_KERNEL_map + (uint64_t)phys_base;
	static const char *const syms[] = { "init_uts_ns", "prb", "log_buf" };
	unsigned checked = 0;
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		uint64_t va, pa, mfn, via_p2m, via_walk;
		err = vmcoreinfo_symbol(vi, syms[i], &va);
		if (err) {
			crash_error_destroy(err);
			continue;
		}
		err = xlat_kv_to_phys(x, va, &pa);
		if (!err)
			err = xen_pfn_to_mfn(xen, pa / XEN_PAGE_SIZE, &mfn, NULL);
		if (err)
			return crash_error_prefix(err, "%s at 0x%" PRIx64,
						  syms[i], va);
		via_p2m = mfn * XEN_PAGE_SIZE + pa % XEN_PAGE_SIZE;
		err = xen_dom0_walk(xen, pgt_phys, l5 == 1 ? 5 : 4, va,
				    &via_walk);
		if (err)
			return crash_error_prefix(err, "%s at 0x%" PRIx64,
						  syms[i], va);
		if (via_walk != via_p2m)
			return crash_error_create(
				CRASH_ERR_CORRUPT,
				"%s at 0x%" PRIx64 ": the p2m gives machine 0x%"
				PRIx64 ", dom0's page tables 0x%" PRIx64,
				syms[i], va, via_p2m, via_walk);
		checked++;
	}
	*checked_ret = checked;
	return NULL;
}
