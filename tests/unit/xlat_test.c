/*
 * xlat_test.c - lib/xlat.c and lib/arch/<arch>.c against an in-memory machine.
 *
 * Each case builds a fake physical memory (a few malloc'ed ranges read by
 * a read_phys callback that counts its calls), a VMCOREINFO text parsed by
 * vmcoreinfo_parse(), an init_uts_ns at the physical address the right
 * mapping gives, and for x86_64 inline page tables.  It then checks which
 * candidate wins (xlat_method()), translations, the hostname read at
 * validation, and the exact code and message of every failure.
 */
#include <elf.h>

#include "../../lib/vmcoreinfo.h"
#include "../../lib/xlat.h"
#include "test.h"

enum { FAKE_MAX_RANGES = 8, FAKE_MAX_WARNINGS = 8 };

struct fake_mem {
	struct xlat_range ranges[FAKE_MAX_RANGES];
	uint8_t *data[FAKE_MAX_RANGES];
	size_t count;
	unsigned reads;
	char warnings[FAKE_MAX_WARNINGS][512];
	size_t warning_count;
	struct rd_format format;
	struct vmcoreinfo *vi;
	struct xlat_reader reader;
};

static struct crash_error *fake_read_phys(void *arg, uint64_t paddr, void *buf,
					  size_t size)
{
	struct fake_mem *m = arg;
	m->reads++;
	for (size_t i = 0; i < m->count; i++) {
		const struct xlat_range *r = &m->ranges[i];
		if (paddr >= r->paddr && paddr - r->paddr <= r->size &&
		    r->size - (paddr - r->paddr) >= size) {
			memcpy(buf, m->data[i] + (paddr - r->paddr), size);
			return NULL;
		}
	}
	return crash_error_fault(paddr,
				 "fake: physical 0x%" PRIx64 " not in the dump",
				 paddr);
}

static void fake_warn(void *arg, const char *message)
{
	struct fake_mem *m = arg;
	if (m->warning_count < FAKE_MAX_WARNINGS)
		snprintf(m->warnings[m->warning_count++],
			 sizeof(m->warnings[0]), "%s", message);
}

static void fake_init(struct fake_mem *m, uint16_t machine,
		      enum rd_byte_order order, unsigned ptr_size)
{
	memset(m, 0, sizeof(*m));
	m->format.byte_order = order;
	m->format.ptr_size = ptr_size;
	m->reader.arg = m;
	m->reader.read_phys = fake_read_phys;
	m->reader.warn = fake_warn;
	m->reader.format = &m->format;
	m->reader.machine = machine;
	m->reader.ranges = m->ranges;
}

static void fake_add(struct fake_mem *m, uint64_t paddr, uint64_t size,
		     uint64_t vaddr)
{
	if (m->count >= FAKE_MAX_RANGES)
		abort();
	m->ranges[m->count] = (struct xlat_range){ paddr, vaddr, size };
	m->data[m->count] = calloc(1, size);
	if (!m->data[m->count])
		abort();
	m->count++;
	m->reader.range_count = m->count;
}

static uint8_t *fake_ptr(struct fake_mem *m, uint64_t paddr)
{
	for (size_t i = 0; i < m->count; i++)
		if (paddr >= m->ranges[i].paddr &&
		    paddr - m->ranges[i].paddr < m->ranges[i].size)
			return m->data[i] + (paddr - m->ranges[i].paddr);
	abort();
}

static void fake_put_u64(struct fake_mem *m, uint64_t paddr, uint64_t v)
{
	rd_put_uint(&m->format, fake_ptr(m, paddr), 8, v);
}

/* A struct new_utsname at @paddr: sysname, nodename, release. */
static void fake_put_uts(struct fake_mem *m, uint64_t paddr,
			 const char *release)
{
	uint8_t *p = fake_ptr(m, paddr);
	memcpy(p, "Linux", 6);
	memcpy(p + 65, "testhost", 9);
	memcpy(p + 130, release, strlen(release) + 1);
	memcpy(p + 195, "#1 SMP", 7);
}

static void fake_vmcoreinfo(struct fake_mem *m, const char *text)
{
	CHECK_OK(vmcoreinfo_parse(text, strlen(text), &m->vi));
	m->reader.vmcoreinfo = m->vi;
}

static void fake_deinit(struct fake_mem *m)
{
	for (size_t i = 0; i < m->count; i++)
		free(m->data[i]);
	vmcoreinfo_destroy(m->vi);
}

static uint64_t kv(const struct xlat *x, uint64_t vaddr)
{
	uint64_t pa = UINT64_MAX;
	struct crash_error *err = xlat_kv_to_phys(x, vaddr, &pa);
	if (err) {
		fprintf(stderr, "%s: kv(0x%" PRIx64 "): %s\n", test_current,
			vaddr, err->message);
		crash_error_destroy(err);
	}
	return pa;
}

static void check_hostname(const struct xlat *x)
{
	const uint8_t *uts = xlat_utsname(x);
	CHECK(uts != NULL);
	if (uts)
		CHECK_STR((const char *)uts + XLAT_UTSNAME_FIELD_SIZE,
			  "testhost");
}

/*
 * x86_64 machine: phys_base 16 MiB, init_top_pgt at START+1 MiB (physical
 * 0x1100000), init_uts_ns at START+0x1e00010 (physical 0x2e00010), RAM at
 * [0, 64 KiB) and [0x5000000, +16 KiB).  Page tables pt(n) are the pages
 * of the range at 0x1100000.
 */
static const uint64_t UTS_KV = UINT64_C(0xffffffff81e00010);
static const uint64_t UTS_PA = 0x2e00010;
static const uint64_t PT_BASE = 0x1100000;
static const uint64_t KASLR_PO = UINT64_C(0xffff9a0000000000);
static const uint64_t VMALLOC = UINT64_C(0xffffc90000000000);
static const uint64_t P = 1, PSE = 0x80;

static uint64_t pt(unsigned n)
{
	return PT_BASE + 0x1000 * (uint64_t)n;
}

static const char X86_VI_FMT[] =
	"OSRELEASE=6.1.0-test\n"
	"PAGESIZE=4096\n"
	"SYMBOL(init_uts_ns)=ffffffff81e00010\n"
	"NUMBER(phys_base)=16777216\n"
	"NUMBER(KERNEL_IMAGE_SIZE)=1073741824\n"
	"%s";

static void x86_setup(struct fake_mem *m, uint64_t low_vaddr,
		      const char *extra_vi)
{
	fake_init(m, EM_X86_64, RD_LITTLE_ENDIAN, 8);
	fake_add(m, 0, 0x10000, low_vaddr);
	fake_add(m, PT_BASE, 0x10000, 0);
	fake_add(m, 0x2e00000, 0x1000, 0);
	fake_add(m, 0x5000000, 0x4000, 0);
	fake_put_uts(m, UTS_PA, "6.1.0-test");
	char text[1024];
	snprintf(text, sizeof(text), X86_VI_FMT, extra_vi);
	fake_vmcoreinfo(m, text);
}

/* 4-level tables: direct map at KASLR_PO (2 MiB page at 0), a decoy
 * mapping of 1 GiB at a lower address, and vmalloc pages.  @mask is OR'ed
 * into every entry (an SME C-bit). */
static void x86_tables_4l(struct fake_mem *m, uint64_t mask)
{
	// pgd[300]: decoy, 1 GiB page at physical 1 GiB
	fake_put_u64(m, pt(0) + 8 * 300, pt(3) | P | mask);
	fake_put_u64(m, pt(3), 0x40000000 | P | PSE | mask);
	// pgd[308] -> pud -> pmd[0]: 2 MiB page at physical 0
	fake_put_u64(m, pt(0) + 8 * 308, pt(1) | P | mask);
	fake_put_u64(m, pt(1), pt(2) | P | mask);
	fake_put_u64(m, pt(2), 0 | P | PSE | mask);
	// pgd[402] (vmalloc) -> pud pt(4) -> pmd pt(5) -> pte pt(6)
	fake_put_u64(m, pt(0) + 8 * 402, pt(4) | P | mask);
	fake_put_u64(m, pt(4), pt(5) | P | mask);
	fake_put_u64(m, pt(4) + 8, 0x40000000 | P | PSE | mask);
	fake_put_u64(m, pt(5), pt(6) | P | mask);
	fake_put_u64(m, pt(5) + 8, 0x4e00000 | P | PSE | mask);
	fake_put_u64(m, pt(6), 0x5000000 | P | mask);
	fake_put_u64(m, pt(6) + 8, 0x5003000 | P | mask);
	fake_put_u64(m, pt(6) + 16, 0x5001000 | P | mask);
	fake_put_u64(m, pt(6) + 24, 0x5002000 | P | mask);
}

static void test_x86_64_ptload(void)
{
	struct fake_mem m;
	x86_setup(&m, KASLR_PO, "");
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_arch_name(x), "x86_64");
		CHECK_STR(xlat_method(x), "direct map from PT_LOAD");
		CHECK_EQ_U64(kv(x, UTS_KV), UTS_PA);
		CHECK_EQ_U64(kv(x, KASLR_PO + 0x1234), 0x1234);
		check_hostname(x);
		CHECK(m.warning_count == 0);
	}
	xlat_destroy(x);
	fake_deinit(&m);
}

static void test_x86_64_search_4level_sme(void)
{
	struct fake_mem m;
	const uint64_t sme = UINT64_C(1) << 47;
	// PT_LOAD vaddrs are 0 (QEMU without paging): only the tables tell.
	x86_setup(&m, 0,
		  "SYMBOL(init_top_pgt)=ffffffff80100000\n"
		  "NUMBER(pgtable_l5_enabled)=0\n"
		  "NUMBER(sme_mask)=140737488355328\n");
	x86_tables_4l(&m, sme);
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x), "direct map found in the page tables");
		CHECK_EQ_U64(kv(x, KASLR_PO + 0x4321), 0x4321);
		// 4 KiB pages, 2 MiB page, 1 GiB page through the walk.
		CHECK_EQ_U64(kv(x, VMALLOC + 0x10), 0x5000010);
		CHECK_EQ_U64(kv(x, VMALLOC + 0x1ff8), 0x5003ff8);
		CHECK_EQ_U64(kv(x, VMALLOC + 0x200123), 0x4e00123);
		CHECK_EQ_U64(kv(x, VMALLOC + 0x40000000 + 0x12345),
			     0x40012345);
		check_hostname(x);

		// Coalescing: pages 0 and 1 are not contiguous, 1 and 2 are
		// not, 2 and 3 are: three runs, three reads, each page
		// walked once.
		uint8_t buf[0x4000];
		fake_put_u64(&m, 0x5000ff8, 0x1111);
		fake_put_u64(&m, 0x5003000, 0x2222);
		fake_put_u64(&m, 0x5001000, 0x3333);
		m.reads = 0;
		CHECK_OK(xlat_read_kv(x, VMALLOC, buf, sizeof(buf)));
		CHECK(m.reads == 4 * 4 + 3);	// 4 walks of 4 levels, 3 runs
		CHECK_EQ_U64(rd_u64(&m.format, buf + 0xff8), 0x1111);
		CHECK_EQ_U64(rd_u64(&m.format, buf + 0x1000), 0x2222);
		CHECK_EQ_U64(rd_u64(&m.format, buf + 0x2000), 0x3333);
		// Through the direct map: one run, one read.
		m.reads = 0;
		CHECK_OK(xlat_read_kv(x, KASLR_PO + 0x800, buf, 0x3000));
		CHECK(m.reads == 1);

		// Walk failures name level, index and raw entry.
		uint64_t pa;
		CHECK_ERR(xlat_kv_to_phys(x, VMALLOC + 0x400000, &pa),
			  CRASH_ERR_FAULT,
			  "x86_64: page walk of 0xffffc90000400000: pmd[2] = "
			  "0x0000000000000000 is not present");
		CHECK_ERR(xlat_kv_to_phys(x, UINT64_C(0x0000100000000000), &pa),
			  CRASH_ERR_FAULT,
			  "x86_64: page walk of 0x0000100000000000: pgd[32] = "
			  "0x0000000000000000 is not present");
		CHECK_ERR(xlat_kv_to_phys(x, UINT64_C(0x8000000000000000), &pa),
			  CRASH_ERR_FAULT,
			  "x86_64: page walk of 0x8000000000000000: not a "
			  "canonical 4-level address");
		// A read that reaches an unmapped page names its address.
		CHECK_ERR(xlat_read_kv(x, VMALLOC + 0x3ff8, buf, 16),
			  CRASH_ERR_FAULT,
			  "x86_64: page walk of 0xffffc90000004000: pte[4] = "
			  "0x0000000000000000 is not present");
		// A page that translates but is not in the dump.
		struct crash_error *err =
			xlat_read_kv(x, VMALLOC + 0x40000000, buf, 8);
		CHECK(err && err->code == CRASH_ERR_FAULT &&
		      err->address == VMALLOC + 0x40000000);
		CHECK_ERR(err, CRASH_ERR_FAULT,
			  "kernel virtual 0xffffc90040000000 (physical "
			  "0x40000000): fake: physical 0x40000000 not in the "
			  "dump");
	}
	xlat_destroy(x);
	fake_deinit(&m);
}

/* Contradictory PT_LOADs are ignored; the wrong constants are rejected by
 * the page tables; the search wins. */
static void test_x86_64_reject_constants(void)
{
	struct fake_mem m;
	x86_setup(&m, UINT64_C(0xffff888000000000),
		  "SYMBOL(init_top_pgt)=ffffffff80100000\n");
	m.ranges[3].vaddr = UINT64_C(0xffff880000000000) + 0x5000000;
	x86_tables_4l(&m, 0);
	// Map 0xffff888000000000 to physical 1 GiB: a wrong direct map.
	fake_put_u64(&m, pt(0) + 8 * 273, pt(7) | P);
	fake_put_u64(&m, pt(7), 0x40000000 | P | PSE);
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x)
		CHECK_STR(xlat_method(x), "direct map found in the page tables");
	xlat_destroy(x);

	// Without the search (its root hidden), (c) is cross-checked and
	// the walk-only candidate remains.
	fake_put_u64(&m, pt(0) + 8 * 308, 0);
	x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x), "kernel image rule and page tables");
		CHECK_EQ_U64(kv(x, VMALLOC + 0x10), 0x5000010);
		uint64_t pa;
		CHECK_ERR(xlat_kv_to_phys(x, KASLR_PO, &pa), CRASH_ERR_FAULT,
			  "x86_64: page walk of 0xffff9a0000000000: pgd[308] = "
			  "0x0000000000000000 is not present");
	}
	xlat_destroy(x);
	fake_deinit(&m);
}

static void test_x86_64_constant(void)
{
	struct fake_mem m;
	x86_setup(&m, 0, "");
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x),
			  "direct map at 0xffff888000000000 (4.20+)");
		CHECK_EQ_U64(kv(x, UINT64_C(0xffff888000000010)), 0x10);
		uint64_t pa;
		CHECK_ERR(xlat_kv_to_phys(x, VMALLOC, &pa), CRASH_ERR_FAULT,
			  "x86_64: kernel virtual address 0xffffc90000000000 "
			  "is not mapped by the direct map at "
			  "0xffff888000000000 (4.20+)");
	}
	xlat_destroy(x);
	fake_deinit(&m);
}

static void test_x86_64_5level(void)
{
	struct fake_mem m;
	// KASLR'd 5-level direct map: pgd[299], p4d[0], pud[3] -> 1 GiB at 0.
	const uint64_t po = UINT64_C(0xff2b0000c0000000);
	x86_setup(&m, 0,
		  "SYMBOL(init_top_pgt)=ffffffff80100000\n"
		  "NUMBER(pgtable_l5_enabled)=1\n");
	fake_put_u64(&m, pt(0) + 8 * 299, pt(1) | P);
	fake_put_u64(&m, pt(1), pt(2) | P);
	fake_put_u64(&m, pt(2) + 8 * 3, 0 | P | PSE);
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x), "direct map found in the page tables");
		CHECK_EQ_U64(kv(x, po + 0x2345), 0x2345);
		uint64_t pa;
		CHECK_ERR(xlat_kv_to_phys(x, UINT64_C(0xff11000000000000), &pa),
			  CRASH_ERR_FAULT,
			  "x86_64: page walk of 0xff11000000000000: pgd[273] = "
			  "0x0000000000000000 is not present");
		CHECK_ERR(xlat_kv_to_phys(x, po + (UINT64_C(1) << 30), &pa),
			  CRASH_ERR_FAULT,
			  "x86_64: page walk of 0xff2b000100000000: pud[4] = "
			  "0x0000000000000000 is not present");
	}
	xlat_destroy(x);
	fake_deinit(&m);
}

/* Hostile: every kernel-half top-level entry points at the table itself.
 * The search is bounded; the walk is bounded by its levels. */
static void test_x86_64_self_loop(void)
{
	struct fake_mem m;
	x86_setup(&m, 0,
		  "SYMBOL(init_top_pgt)=ffffffff80100000\n"
		  "NUMBER(pgtable_l5_enabled)=1\n");
	for (unsigned i = 256; i < 512; i++)
		fake_put_u64(&m, pt(0) + 8 * i, pt(0) | P);
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	CHECK(m.warning_count >= 1);
	CHECK_STR(m.warnings[0], "x86_64: direct-map search stopped after "
				 "16384 page-table reads");
	if (x) {
		// The loop makes every kernel address "map" to the table: the
		// walk ends after 5 levels with an answer, not a hang.
		uint64_t pa;
		struct crash_error *err = xlat_kv_to_phys(x, VMALLOC, &pa);
		crash_error_destroy(err);
		CHECK(m.reads < 200000);
	}
	xlat_destroy(x);
	fake_deinit(&m);
}

static void test_release_mismatch(void)
{
	struct fake_mem m;
	x86_setup(&m, KASLR_PO, "");
	fake_put_uts(&m, UTS_PA, "5.10.0\x1b[31m");
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x), "direct map from PT_LOAD");
		CHECK(xlat_utsname(x) == NULL);
	}
	CHECK(m.warning_count == 1);
	CHECK_STR(m.warnings[0],
		  "x86_64: no mapping validates; using the direct map from "
		  "PT_LOAD anyway: init_uts_ns at 0xffffffff81e00010: release "
		  "\"5.10.0\\x1b[31m\" is not OSRELEASE \"6.1.0-test\"");
	xlat_destroy(x);
	fake_deinit(&m);
}

static void test_missing_init_uts_ns(void)
{
	struct fake_mem m;
	fake_init(&m, EM_X86_64, RD_LITTLE_ENDIAN, 8);
	fake_add(&m, 0, 0x1000, 0);
	fake_vmcoreinfo(&m, "OSRELEASE=6.1.0\n");
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x),
			  "direct map at 0xffff888000000000 (4.20+)");
		CHECK(xlat_utsname(x) == NULL);
	}
	CHECK(m.warning_count == 1);
	CHECK_STR(m.warnings[0],
		  "x86_64: vmcoreinfo has no SYMBOL(init_uts_ns): using the "
		  "direct map at 0xffff888000000000 (4.20+) without validating "
		  "it");
	xlat_destroy(x);
	fake_deinit(&m);
}

static void test_uts_unreadable(void)
{
	struct fake_mem m;
	fake_init(&m, EM_PPC64, RD_BIG_ENDIAN, 8);
	fake_add(&m, 0, 0x1000, 0);
	fake_vmcoreinfo(&m, "SYMBOL(init_uts_ns)=c000000001a00000\n");
	struct xlat *x = NULL;
	CHECK_ERR(xlat_create(&m.reader, &x), CRASH_ERR_UNSUPPORTED,
		  "ppc64: none of 1 candidate mappings reads init_uts_ns at "
		  "0xc000000001a00000; the linear map at 0xc000000000000000: "
		  "kernel virtual 0xc000000001a00000 (physical 0x1a00000): "
		  "fake: physical 0x1a00000 not in the dump");
	CHECK(x == NULL);
	fake_deinit(&m);
}

static void test_unknown_machine(void)
{
	struct fake_mem m;
	fake_init(&m, EM_SPARCV9, RD_BIG_ENDIAN, 8);
	struct xlat *x = NULL;
	CHECK_ERR(xlat_create(&m.reader, &x), CRASH_ERR_UNSUPPORTED,
		  "xlat: e_machine 43 is not a supported architecture");
}

static void test_uts_offset(void)
{
	// No OFFSET(uts_namespace.name): name after a 4-byte kref is found.
	struct fake_mem m;
	fake_init(&m, EM_PPC64, RD_BIG_ENDIAN, 8);
	fake_add(&m, 0x1a00000, 0x1000, 0);
	fake_put_uts(&m, 0x1a00004, "4.4.0");
	fake_vmcoreinfo(&m, "OSRELEASE=4.4.0\n"
			    "SYMBOL(init_uts_ns)=c000000001a00000\n");
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x), "linear map at 0xc000000000000000");
		check_hostname(x);
	}
	xlat_destroy(x);
	vmcoreinfo_destroy(m.vi);

	// OFFSET exported and pointing elsewhere: the name must be there.
	fake_vmcoreinfo(&m, "OSRELEASE=4.4.0\n"
			    "SYMBOL(init_uts_ns)=c000000001a00000\n"
			    "OFFSET(uts_namespace.name)=8\n");
	x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	CHECK(x && xlat_utsname(x) == NULL);
	CHECK_STR(m.warnings[0],
		  "ppc64: no mapping validates; using the linear map at "
		  "0xc000000000000000 anyway: init_uts_ns at 0xc000000001a00000"
		  ": sysname at OFFSET(uts_namespace.name)=8 is \"x\", not "
		  "\"Linux\"");
	xlat_destroy(x);
	fake_deinit(&m);
}

static void test_i386_vmsplit(void)
{
	struct fake_mem m;
	fake_init(&m, EM_386, RD_LITTLE_ENDIAN, 4);
	fake_add(&m, 0, 0x1000, 0);
	fake_add(&m, 0x1800000, 0x1000, 0);
	fake_put_uts(&m, 0x1800000, "3.10.0");
	// 0xc1800000 under VMSPLIT_3G would also be physical 0x1800000:
	// put the symbol at 0x81800000 so that only VMSPLIT_2G fits.
	fake_vmcoreinfo(&m, "OSRELEASE=3.10.0\n"
			    "SYMBOL(init_uts_ns)=81800000\n");
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x),
			  "linear map at 0x80000000 (VMSPLIT_2G)");
		CHECK_EQ_U64(kv(x, 0x80000010), 0x10);
		check_hostname(x);
		uint64_t ptr;
		fake_put_u64(&m, 0x1800000 + 0x200, 0x11223344);
		CHECK_OK(xlat_read_ptr_kv(x, 0x81800200, &ptr));
		CHECK_EQ_U64(ptr, 0x11223344);
	}
	xlat_destroy(x);
	fake_deinit(&m);
}

static void test_arm64_52_on_48(void)
{
	// 6.x kernel built for 52-bit VAs on 48-bit hardware: PHYS_OFFSET is
	// lowered by _PAGE_OFFSET(48) - _PAGE_OFFSET(52) = 0xf000000000000.
	struct fake_mem m;
	fake_init(&m, EM_AARCH64, RD_LITTLE_ENDIAN, 8);
	fake_add(&m, 0x40000000, 0x1000, 0);
	fake_add(&m, 0x41a00000, 0x1000, 0);
	fake_put_uts(&m, 0x41a00010, "6.12.0");
	// image at 0xffff800080000000 -> physical 0x40000000
	fake_vmcoreinfo(&m, "OSRELEASE=6.12.0\n"
			    "NUMBER(VA_BITS)=52\n"
			    "NUMBER(TCR_EL1_T1SZ)=16\n"
			    "NUMBER(kimage_voffset)=0xffff800040000000\n"
			    "NUMBER(PHYS_OFFSET)=0xfff1000040000000\n"
			    "SYMBOL(init_uts_ns)=ffff800081a00010\n");
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x),
			  "linear map below the image (5.11+), PAGE_OFFSET from "
			  "VA_BITS, smaller runtime VA size");
		CHECK_EQ_U64(kv(x, UINT64_C(0xffff000000000000) + 0x123),
			     0x40000123);
		CHECK_EQ_U64(kv(x, UINT64_C(0xffff800081a00010)), 0x41a00010);
		check_hostname(x);
	}
	xlat_destroy(x);
	fake_deinit(&m);
}

static void test_arm64_pre_5_4(void)
{
	// 4.14, VA_BITS 48: linear map in the top half at 0xffff800000000000,
	// image in the bottom half (vmalloc) at 0xffff000008080000.
	struct fake_mem m;
	fake_init(&m, EM_AARCH64, RD_LITTLE_ENDIAN, 8);
	fake_add(&m, 0x80000000, 0x1000, 0);
	fake_add(&m, 0x81a00000, 0x1000, 0);
	fake_put_uts(&m, 0x81a00000, "4.14.0");
	fake_vmcoreinfo(&m, "OSRELEASE=4.14.0\n"
			    "NUMBER(VA_BITS)=48\n"
			    "NUMBER(kimage_voffset)=0xfffeffff88000000\n"
			    "NUMBER(PHYS_OFFSET)=0x80000000\n"
			    "SYMBOL(init_uts_ns)=ffff000009a00000\n");
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x), "linear map above the image (4.6-5.3)");
		CHECK_EQ_U64(kv(x, UINT64_C(0xffff800000000010)), 0x80000010);
		check_hostname(x);
	}
	xlat_destroy(x);
	fake_deinit(&m);
}

/* arm64 page tables (lib/arch/arm64.c (4)): 4 KiB granule, @b-bit VAs,
 * tables handed out from a64_next.  Descriptors carry AF (bit 10) and,
 * without LPA2, SH = inner shareable (bits 9:8), which the walk must mask. */
static uint64_t a64_next;

static uint64_t a64_enc(uint64_t pa, bool lpa2)
{
	if (lpa2)
		return (pa & UINT64_C(0x0003fffffffff000)) | (pa >> 50 & 3) << 8 |
		       0x400;
	return pa | 0x700;
}

static uint64_t a64_dec(uint64_t e, bool lpa2)
{
	if (lpa2)
		return (e & UINT64_C(0x0003fffffffff000)) | (e >> 8 & 3) << 50;
	return e & UINT64_C(0x0000fffffffff000);
}

/* Map @va to @pa: a page (@stop 1) or a block at ARM level 4 - @stop. */
static void a64_map(struct fake_mem *m, uint64_t root, unsigned b,
		    uint64_t va, uint64_t pa, unsigned stop)
{
	unsigned levels = (b - 12 + 8) / 9;
	bool lpa2 = b == 52;
	uint64_t table = root;
	for (unsigned level = levels;; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		unsigned width = level == levels ? b - shift : 9;
		uint64_t ea = table + 8 * ((va >> shift) & ((1u << width) - 1));
		if (level == stop) {
			fake_put_u64(m, ea, a64_enc(pa, lpa2) | (level == 1 ? 3 : 1));
			return;
		}
		uint64_t e = rd_u64(&m->format, fake_ptr(m, ea));
		if (!e) {
			e = a64_enc(a64_next, lpa2) | 3;
			a64_next += 0x1000;
			fake_put_u64(m, ea, e);
		}
		table = a64_dec(e, lpa2);
	}
}

/* 6.x with @b-bit VAs: linear map from PT_LOAD 0x40000000 (2 MiB), the
 * image PT_LOAD at 0xffff800080000000 -> 0x40200000 (1 MiB) holding
 * init_uts_ns, swapper_pg_dir at 0x40230000 and the other tables. */
static void a64_setup(struct fake_mem *m, unsigned b)
{
	char vi[512];
	fake_init(m, EM_AARCH64, RD_LITTLE_ENDIAN, 8);
	fake_add(m, 0x40000000, 0x200000, 0);
	fake_add(m, 0x40200000, 0x100000, UINT64_C(0xffff800080000000));
	fake_put_uts(m, 0x40220000, "6.12.0");
	snprintf(vi, sizeof(vi),
		 "OSRELEASE=6.12.0\nPAGESIZE=4096\nNUMBER(VA_BITS)=%u\n"
		 "NUMBER(TCR_EL1_T1SZ)=%u\n"
		 "NUMBER(kimage_voffset)=0xffff80003fe00000\n"
		 "NUMBER(PHYS_OFFSET)=0x40000000\n"
		 "SYMBOL(_stext)=ffff800080010000\n"
		 "SYMBOL(swapper_pg_dir)=ffff800080030000\n"
		 "SYMBOL(init_uts_ns)=ffff800080020000\n",
		 b, 64 - b);
	fake_vmcoreinfo(m, vi);
	a64_next = 0x40231000;
	// The linear map's first 2 MiB (xlat.c valid (5) walks it).
	a64_map(m, 0x40230000, b, (uint64_t)0 - (UINT64_C(1) << b),
		0x40000000, 2);
	// vmemmap: a 4 KiB page; vmalloc: a 2 MiB block.
	a64_map(m, 0x40230000, b, UINT64_C(0xfffffc0000001000), 0x40100000, 1);
	a64_map(m, 0x40230000, b, UINT64_C(0xffff800090000000), 0x40000000, 2);
}

static void test_arm64_walk_48(void)
{
	struct fake_mem m;
	a64_setup(&m, 48);
	fake_put_u64(&m, 0x40100ff8, 0x5a5a);
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x), "linear map below the image (5.4+)");
		CHECK(m.warning_count == 0);
		check_hostname(x);
		CHECK_EQ_U64(kv(x, UINT64_C(0xffff000000000123)), 0x40000123);
		// The image rule holds only the kernel-text PT_LOAD (5) ...
		CHECK_EQ_U64(kv(x, UINT64_C(0xffff800080020010)), 0x40220010);
		// ... so vmemmap and vmalloc go through the page tables.
		CHECK_EQ_U64(kv(x, UINT64_C(0xfffffc0000001ff8)), 0x40100ff8);
		CHECK_EQ_U64(kv(x, UINT64_C(0xffff800090123456)), 0x40123456);
		uint64_t v = 0, pa;
		CHECK_OK(xlat_read_ptr_kv(x, UINT64_C(0xfffffc0000001ff8), &v));
		CHECK_EQ_U64(v, 0x5a5a);
		CHECK_ERR(xlat_kv_to_phys(x, UINT64_C(0xffff8000a0000000), &pa),
			  CRASH_ERR_FAULT,
			  "arm64: page walk of 0xffff8000a0000000: level 2[256] "
			  "= 0x0000000000000000 is not valid");
		CHECK_ERR(xlat_kv_to_phys(x, UINT64_C(0x0000800000000000), &pa),
			  CRASH_ERR_FAULT,
			  "arm64: page walk of 0x0000800000000000: not a 48-bit "
			  "kernel (TTBR1) address");
		// A block descriptor at the last level is reserved (the
		// vmemmap page's table is the fifth allocated: 0x40235000).
		fake_put_u64(&m, 0x40235008, 0x40101000 | 0x401);
		CHECK_ERR(xlat_kv_to_phys(x, UINT64_C(0xfffffc0000001000), &pa),
			  CRASH_ERR_FAULT,
			  "arm64: page walk of 0xfffffc0000001000: level 3[1] = "
			  "0x0000000040101401 is a block, reserved at this level");
	}
	xlat_destroy(x);
	fake_deinit(&m);
}

static void test_arm64_empty_root(void)
{
	// swapper_pg_dir all zero (a synthetic dump, or one trimmed without
	// its tables): no tables, the rules alone, no warning.
	struct fake_mem m;
	a64_setup(&m, 48);
	memset(fake_ptr(&m, 0x40230000), 0, 0x1000);
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x), "linear map below the image (5.4+)");
		CHECK(m.warning_count == 0);
		check_hostname(x);
		// The image rule is not cut without tables (5).
		CHECK_EQ_U64(kv(x, UINT64_C(0xffff800090000000)),
			     UINT64_C(0x50200000));
	}
	xlat_destroy(x);
	fake_deinit(&m);
}

static void test_arm64_walk_52_lpa2(void)
{
	// 4 KiB pages, 52-bit VAs: five levels, output address bits 51:50 in
	// descriptor bits 9:8 (FEAT_LPA2).
	struct fake_mem m;
	a64_setup(&m, 52);
	fake_add(&m, UINT64_C(0xc000000000000), 0x1000, 0);
	a64_map(&m, 0x40230000, 52, UINT64_C(0xfffffc0000002000),
		UINT64_C(0xc000000000000), 1);
	fake_put_u64(&m, UINT64_C(0xc000000000010), 0x7777);
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x), "linear map below the image (5.4+)");
		check_hostname(x);
		CHECK_EQ_U64(kv(x, UINT64_C(0xfff0000000000123)), 0x40000123);
		CHECK_EQ_U64(kv(x, UINT64_C(0xfffffc0000001010)), 0x40100010);
		CHECK_EQ_U64(kv(x, UINT64_C(0xfffffc0000002010)),
			     UINT64_C(0xc000000000010));
		uint64_t v = 0;
		CHECK_OK(xlat_read_ptr_kv(x, UINT64_C(0xfffffc0000002010), &v));
		CHECK_EQ_U64(v, 0x7777);
	}
	xlat_destroy(x);
	fake_deinit(&m);
}

static void test_s390x(void)
{
	struct fake_mem m;
	fake_init(&m, EM_S390, RD_BIG_ENDIAN, 8);
	fake_add(&m, 0, 0x1000, 0);
	fake_add(&m, 0x3a00000, 0x1000, 0);
	fake_put_uts(&m, 0x3a00100, "6.10.0");
	// 6.10: image at 0x3ffe0000000 virtual, 0x2000000 physical.
	fake_vmcoreinfo(&m, "OSRELEASE=6.10.0\n"
			    "IDENTITYBASE=80000000\n"
			    "KERNELOFFSET=3ffe0000000\n"
			    "KERNELOFFPHYS=2000000\n"
			    "SYMBOL(init_uts_ns)=3ffe1a00100\n");
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x), "kernel image at KERNELOFFSET, "
					  "identity map at IDENTITYBASE (6.10+)");
		CHECK_EQ_U64(kv(x, 0x80000010), 0x10);
		check_hostname(x);
	}
	xlat_destroy(x);
	vmcoreinfo_destroy(m.vi);

	// Contradictory keys (KERNELOFFPHYS outside the dump): the identity
	// of older kernels is the candidate that validates.
	fake_vmcoreinfo(&m, "OSRELEASE=6.10.0\n"
			    "IDENTITYBASE=0\n"
			    "KERNELOFFSET=3a00000\n"
			    "KERNELOFFPHYS=7000000000\n"
			    "SYMBOL(init_uts_ns)=3a00100\n");
	x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x)
		CHECK_STR(xlat_method(x), "identity mapping (up to 6.9)");
	xlat_destroy(x);
	fake_deinit(&m);
}

/*
 * s390x up to 6.9 with page tables: a region-third root at swapper_pg_dir
 * (every entry typed 1, empty ones invalid), the identity map as 1 MiB
 * segment frames, a vmemmap-like address through a page table, a 2 GiB
 * region-third frame; the identity rule ends at the PT_LOADs' end.  A dump
 * without the root page keeps the identity rule alone.
 */
/*
 * s390x with swapper_pg_dir at @swapper_pg_dir (hex): xlat_create() keeps
 * the identity rule alone (no page tables), and it translates 1:1.
 */
static void check_s390x_identity_only(struct fake_mem *m,
				      const char *swapper_pg_dir)
{
	char text[128];
	snprintf(text, sizeof(text), "OSRELEASE=6.1.0\n"
		 "SYMBOL(init_uts_ns)=5000\nSYMBOL(swapper_pg_dir)=%s\n",
		 swapper_pg_dir);
	fake_vmcoreinfo(m, text);
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m->reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x), "identity mapping (up to 6.9)");
		CHECK_EQ_U64(kv(x, UINT64_C(0x3ffe0000010)),
			     UINT64_C(0x3ffe0000010));
	}
	xlat_destroy(x);
	vmcoreinfo_destroy(m->vi);
	m->vi = NULL;
	m->reader.vmcoreinfo = NULL;
}

static void test_s390x_walk(void)
{
	struct fake_mem m;
	fake_init(&m, EM_S390, RD_BIG_ENDIAN, 8);
	fake_add(&m, 0, 0x40000, 0);
	fake_put_uts(&m, 0x5000, "6.1.0");
	const uint64_t r3 = 0x10000, seg0 = 0x14000, seg1 = 0x1c000,
		       pt = 0x18000;
	for (uint64_t i = 0; i < 2048; i++) {
		fake_put_u64(&m, r3 + 8 * i, 0x24);	// region-third, invalid
		fake_put_u64(&m, seg0 + 8 * i, 0x20);	// segment, invalid
		fake_put_u64(&m, seg1 + 8 * i, 0x20);
	}
	for (uint64_t i = 0; i < 256; i++)
		fake_put_u64(&m, pt + 8 * i, 0x400);	// page, invalid
	fake_put_u64(&m, r3, seg0 | 0x04);
	fake_put_u64(&m, r3 + 8 * 1, UINT64_C(0x180000000) | 0x400 | 0x04);
	fake_put_u64(&m, r3 + 8 * 0x7ff, seg1 | 0x04);
	fake_put_u64(&m, seg0, 0x0 | 0x400);		// 1 MiB frame at 0
	fake_put_u64(&m, seg1 + 8 * 0x600, pt);
	fake_put_u64(&m, pt, 0x3000);
	fake_vmcoreinfo(&m, "OSRELEASE=6.1.0\n"
			    "SYMBOL(init_uts_ns)=5000\n"
			    "SYMBOL(swapper_pg_dir)=10000\n");
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x), "identity mapping (up to 6.9), page "
					  "tables at swapper_pg_dir");
		check_hostname(x);
		CHECK_EQ_U64(kv(x, 0x12345), 0x12345);		// identity rule
		CHECK_EQ_U64(kv(x, UINT64_C(0x3ffe0000010)), 0x3010);
		CHECK_EQ_U64(kv(x, UINT64_C(0x80000123)), UINT64_C(0x180000123));
		CHECK_EQ_U64(kv(x, UINT64_C(0xf0000)), 0xf0000);
		uint64_t pa;
		CHECK_ERR(xlat_kv_to_phys(x, UINT64_C(0x3ffe0001000), &pa),
			  CRASH_ERR_FAULT,
			  "s390x: page walk of 0x000003ffe0001000: page[1] = "
			  "0x0000000000000400 is not valid");
		CHECK_ERR(xlat_kv_to_phys(x, UINT64_C(0x100000000), &pa),
			  CRASH_ERR_FAULT,
			  "s390x: page walk of 0x0000000100000000: "
			  "region-third[2] = 0x0000000000000024 is not valid");
		CHECK_ERR(xlat_kv_to_phys(x, UINT64_C(1) << 42, &pa),
			  CRASH_ERR_FAULT,
			  "s390x: page walk of 0x0000040000000000: beyond a "
			  "region-third-table root");
	}
	xlat_destroy(x);
	vmcoreinfo_destroy(m.vi);

	// A root whose entries disagree about their table type: no tables.
	fake_put_u64(&m, r3 + 8 * 5, 0x28);
	check_s390x_identity_only(&m, "10000");

	// A root that parses but whose walk disagrees with the identity map
	// (segment entry 0 now points at 1 MiB): the identity rule alone.
	fake_put_u64(&m, r3 + 8 * 5, 0x24);
	fake_put_u64(&m, seg0, 0x100000 | 0x400);
	check_s390x_identity_only(&m, "10000");

	// An all-zero root page (synthetic cores): no tables.
	check_s390x_identity_only(&m, "30000");

	// The root page not in the dump (a trimmed core): identity alone.
	check_s390x_identity_only(&m, "80000");
	fake_deinit(&m);
}

/* A ppc64 radix entry: big-endian whatever the kernel's byte order. */
static void ppc64_put_entry(struct fake_mem *m, uint64_t paddr, uint64_t v)
{
	static const struct rd_format be = { RD_BIG_ENDIAN, 8 };
	rd_put_uint(&be, fake_ptr(m, paddr), 8, v);
}

/*
 * ppc64le with 64 KiB pages and a radix tree at swapper_pg_dir: the PGD
 * (13 bits), a PUD and a PMD (9 bits each) and a 256-byte PTE fragment (5
 * bits) map vmemmap's first 64 KiB page; a PMD leaf maps 2 MiB, a PUD
 * leaf the linear map's first GiB.  Entries
 * are big-endian on a little-endian kernel.  A PGD without a present
 * entry leaves the linear rule alone.
 */
static void test_ppc64_radix_walk(void)
{
	struct fake_mem m;
	fake_init(&m, EM_PPC64, RD_LITTLE_ENDIAN, 8);
	fake_add(&m, 0, 0x200000, 0);
	fake_put_uts(&m, 0x5000, "6.1.0");
	const uint64_t present = UINT64_C(1) << 63, leaf = UINT64_C(1) << 62;
	const uint64_t pgd = 0x10000, pud = 0x20000, pmd = 0x21000, pte = 0x22000,
		       lin = 0x23000;
	// The linear map's first GiB as a PUD leaf (xlat.c valid (5)
	// compares the walk with the linear rule on the root's page).
	ppc64_put_entry(&m, pgd, present | lin | 9);
	ppc64_put_entry(&m, lin, present | leaf | 0);
	// vmemmap 0xc00c000000000000: PGD index 0x1800, then 0, 0, 0.
	ppc64_put_entry(&m, pgd + 8 * 0x1800, present | pud | 9);
	ppc64_put_entry(&m, pud, present | pmd | 9);
	ppc64_put_entry(&m, pmd, present | pte | 5);
	ppc64_put_entry(&m, pmd + 8, present | leaf | UINT64_C(0x40000000));
	ppc64_put_entry(&m, pte, present | leaf | 0x150000);
	fake_vmcoreinfo(&m, "OSRELEASE=6.1.0\nPAGESIZE=65536\n"
			    "SYMBOL(init_uts_ns)=c000000000005000\n"
			    "SYMBOL(swapper_pg_dir)=c000000000010000\n");
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x), "linear map at 0xc000000000000000, "
					  "radix page tables at swapper_pg_dir");
		check_hostname(x);
		CHECK_EQ_U64(kv(x, UINT64_C(0xc000000000012345)), 0x12345);
		CHECK_EQ_U64(kv(x, UINT64_C(0xc00c000000000010)), 0x150010);
		CHECK_EQ_U64(kv(x, UINT64_C(0xc00c0000002abcde)),
			     UINT64_C(0x400abcde));
		uint64_t pa;
		CHECK_ERR(xlat_kv_to_phys(x, UINT64_C(0xc00c000000010000), &pa),
			  CRASH_ERR_FAULT,
			  "ppc64: page walk of 0xc00c000000010000: PTE[1] = "
			  "0x0000000000000000 is not present");
		CHECK_ERR(xlat_kv_to_phys(x, UINT64_C(0xc00c000040000000), &pa),
			  CRASH_ERR_FAULT,
			  "ppc64: page walk of 0xc00c000040000000: PUD[1] = "
			  "0x0000000000000000 is not present");
		CHECK_ERR(xlat_kv_to_phys(x, UINT64_C(0xc010000000000000), &pa),
			  CRASH_ERR_FAULT,
			  "ppc64: page walk of 0xc010000000000000: outside the "
			  "52-bit radix tree");
	}
	xlat_destroy(x);
	vmcoreinfo_destroy(m.vi);

	// A PGD with no present entry (a synthetic or trimmed core): the
	// linear rule alone.
	fake_vmcoreinfo(&m, "OSRELEASE=6.1.0\nPAGESIZE=65536\n"
			    "SYMBOL(init_uts_ns)=c000000000005000\n"
			    "SYMBOL(swapper_pg_dir)=c000000000100000\n");
	x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x)
		CHECK_STR(xlat_method(x), "linear map at 0xc000000000000000");
	xlat_destroy(x);
	fake_deinit(&m);
}

/*
 * ppc64le on the hash MMU: vmemmap through vmemmap_list (two 64 KiB
 * blocks, mmu_psize_defs[2].shift = 16), no radix tree; a lookup outside
 * the blocks faults, and a list that loops ends at the node bound.
 */
/* VMCOREINFO of test_ppc64_vmemmap_list with vmemmap_backing.phys at @phys. */
static void ppc64_list_vmcoreinfo(struct fake_mem *m, unsigned phys)
{
	char text[512];
	snprintf(text, sizeof(text), "OSRELEASE=6.1.0\nPAGESIZE=65536\n"
		 "SYMBOL(init_uts_ns)=c000000000005000\n"
		 "SYMBOL(vmemmap_list)=c000000000006000\n"
		 "SYMBOL(mmu_vmemmap_psize)=c000000000006100\n"
		 "SYMBOL(mmu_psize_defs)=c000000000006200\n"
		 "SIZE(mmu_psize_def)=96\nOFFSET(mmu_psize_def.shift)=0\n"
		 "OFFSET(vmemmap_backing.phys)=%u\n", phys);
	fake_vmcoreinfo(m, text);
}

static void test_ppc64_vmemmap_list(void)
{
	struct fake_mem m;
	fake_init(&m, EM_PPC64, RD_LITTLE_ENDIAN, 8);
	fake_add(&m, 0, 0x10000, 0);
	fake_put_uts(&m, 0x5000, "6.1.0");
	const uint64_t po = UINT64_C(0xc000000000000000);
	const uint64_t vmemmap = UINT64_C(0xc00c000000000000);
	fake_put_u64(&m, 0x6000, po + 0x7000);		// vmemmap_list
	fake_put_u64(&m, 0x7000, po + 0x7100);		// node 1: next
	fake_put_u64(&m, 0x7008, 0x150000);		//   phys
	fake_put_u64(&m, 0x7010, vmemmap);		//   virt_addr
	fake_put_u64(&m, 0x7100, 0);			// node 2
	fake_put_u64(&m, 0x7108, 0x170000);
	fake_put_u64(&m, 0x7110, vmemmap + 0x10000);
	fake_put_u64(&m, 0x6100, 2);			// mmu_vmemmap_psize
	fake_put_u64(&m, 0x6200 + 2 * 96, 16);		// mmu_psize_defs[2].shift
	ppc64_list_vmcoreinfo(&m, 8);
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x), "linear map at 0xc000000000000000, "
					  "vmemmap through vmemmap_list (hash MMU)");
		check_hostname(x);
		CHECK_EQ_U64(kv(x, vmemmap + 0x10), 0x150010);
		CHECK_EQ_U64(kv(x, vmemmap + 0x10020), 0x170020);
		CHECK_EQ_U64(kv(x, po + 0x1234), 0x1234);
		uint64_t pa;
		CHECK_ERR(xlat_kv_to_phys(x, vmemmap + 0x20000, &pa), CRASH_ERR_FAULT,
			  "ppc64: 0xc00c000000020000 is in no block of vmemmap_list");
		// A list that loops: the node bound ends the lookup.
		fake_put_u64(&m, 0x7100, po + 0x7000);
		CHECK_ERR(xlat_kv_to_phys(x, vmemmap + 0x20000, &pa), CRASH_ERR_FAULT,
			  "ppc64: vmemmap_list lookup of 0xc00c000000020000: node "
			  "1048576 at 0xc000000000007000 is not a list node");
	}
	xlat_destroy(x);
	vmcoreinfo_destroy(m.vi);

	// A layout that disagrees (phys at 16): no list candidate.
	ppc64_list_vmcoreinfo(&m, 16);
	x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x)
		CHECK_STR(xlat_method(x), "linear map at 0xc000000000000000");
	xlat_destroy(x);
	fake_deinit(&m);
}

static void test_riscv64(void)
{
	struct fake_mem m;
	fake_init(&m, EM_RISCV, RD_LITTLE_ENDIAN, 8);
	fake_add(&m, 0x80000000, 0x1000, 0);
	fake_add(&m, 0x81a00000, 0x1000, 0);
	fake_put_uts(&m, 0x81a00000, "6.6.0");
	fake_vmcoreinfo(&m, "OSRELEASE=6.6.0\n"
			    "NUMBER(PAGE_OFFSET)=0xff60000000000000\n"
			    "NUMBER(KERNEL_LINK_ADDR)=0xffffffff80000000\n"
			    "NUMBER(phys_ram_base)=0x80000000\n"
			    "NUMBER(va_kernel_pa_offset)=0xffffffff00000000\n"
			    "SYMBOL(init_uts_ns)=ffffffff81a00000\n");
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x),
			  "kernel image and linear map from VMCOREINFO");
		CHECK_EQ_U64(kv(x, UINT64_C(0xff60000000000040)), 0x80000040);
		check_hostname(x);
	}
	xlat_destroy(x);
	fake_deinit(&m);

	fake_init(&m, EM_RISCV, RD_LITTLE_ENDIAN, 4);
	CHECK_ERR(xlat_create(&m.reader, &x), CRASH_ERR_UNSUPPORTED,
		  "riscv64: a dump with 4-byte pointers is riscv32, not "
		  "supported");
}

/*
 * riscv64 Sv39 (PAGE_OFFSET 0xffffffd600000000): swapper_pg_dir in the
 * image maps the linear map's first GiB as a level-2 superpage and a
 * vmemmap-like address below PAGE_OFFSET through levels 1 and 0; an
 * invalid PTE and a non-Sv39 address fault; a root with no valid PTE
 * leaves the rules alone.
 */
/* VMCOREINFO of test_riscv64_walk with swapper_pg_dir at @swapper. */
static void riscv64_walk_vmcoreinfo(struct fake_mem *m, uint64_t swapper)
{
	char text[512];
	snprintf(text, sizeof(text), "OSRELEASE=6.12.0\n"
		 "NUMBER(PAGE_OFFSET)=0xffffffd600000000\n"
		 "NUMBER(KERNEL_LINK_ADDR)=0xffffffff80000000\n"
		 "NUMBER(phys_ram_base)=0x80000000\n"
		 "NUMBER(va_kernel_pa_offset)=0xfffffffeffe00000\n"
		 "SYMBOL(init_uts_ns)=ffffffff80001000\n"
		 "SYMBOL(swapper_pg_dir)=%" PRIx64 "\n", swapper);
	fake_vmcoreinfo(m, text);
}

static void test_riscv64_walk(void)
{
	struct fake_mem m;
	fake_init(&m, EM_RISCV, RD_LITTLE_ENDIAN, 8);
	fake_add(&m, 0x80000000, 0x400000, 0);
	fake_put_uts(&m, 0x80201000, "6.12.0");
	const uint64_t root = 0x80210000, l1 = 0x80211000, l0 = 0x80212000;
	const uint64_t vmemmap = UINT64_C(0xffffffc6fee00000);
	// Valid, and R|W for a leaf; the PPN is the address >> 12 at bit 10.
	fake_put_u64(&m, root + 8 * 344, (UINT64_C(0x80000000) >> 12) << 10 | 0x7);
	fake_put_u64(&m, root + 8 * 283, (l1 >> 12) << 10 | 0x1);
	fake_put_u64(&m, l1 + 8 * 503, (l0 >> 12) << 10 | 0x1);
	fake_put_u64(&m, l0, (UINT64_C(0x80300000) >> 12) << 10 | 0x7);
	riscv64_walk_vmcoreinfo(&m, UINT64_C(0xffffffff80010000));
	struct xlat *x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x) {
		CHECK_STR(xlat_method(x), "kernel image and linear map from "
					  "VMCOREINFO, Sv39 page tables at swapper_pg_dir");
		check_hostname(x);
		CHECK_EQ_U64(kv(x, vmemmap + 0x123), 0x80300123);
		CHECK_EQ_U64(kv(x, UINT64_C(0xffffffd600000040)), 0x80000040);
		uint64_t pa;
		CHECK_ERR(xlat_kv_to_phys(x, vmemmap + 0x1000, &pa), CRASH_ERR_FAULT,
			  "riscv64: page walk of 0xffffffc6fee01000: level 0 [1] = "
			  "0x0000000000000000 is not valid");
		CHECK_ERR(xlat_kv_to_phys(x, UINT64_C(0xffff8f0000000000), &pa),
			  CRASH_ERR_FAULT,
			  "riscv64: page walk of 0xffff8f0000000000: not an Sv39 address");
	}
	xlat_destroy(x);
	vmcoreinfo_destroy(m.vi);

	// swapper_pg_dir on a page with no valid PTE: the rules alone.
	riscv64_walk_vmcoreinfo(&m, UINT64_C(0xffffffff80020000));
	x = NULL;
	CHECK_OK(xlat_create(&m.reader, &x));
	if (x)
		CHECK_STR(xlat_method(x), "kernel image and linear map from VMCOREINFO");
	xlat_destroy(x);
	fake_deinit(&m);
}

int main(void)
{
	RUN(test_x86_64_ptload);
	RUN(test_x86_64_search_4level_sme);
	RUN(test_x86_64_reject_constants);
	RUN(test_x86_64_constant);
	RUN(test_x86_64_5level);
	RUN(test_x86_64_self_loop);
	RUN(test_release_mismatch);
	RUN(test_missing_init_uts_ns);
	RUN(test_uts_unreadable);
	RUN(test_unknown_machine);
	RUN(test_uts_offset);
	RUN(test_i386_vmsplit);
	RUN(test_arm64_52_on_48);
	RUN(test_arm64_pre_5_4);
	RUN(test_arm64_walk_48);
	RUN(test_arm64_walk_52_lpa2);
	RUN(test_arm64_empty_root);
	RUN(test_s390x);
	RUN(test_s390x_walk);
	RUN(test_ppc64_radix_walk);
	RUN(test_ppc64_vmemmap_list);
	RUN(test_riscv64);
	RUN(test_riscv64_walk);
	return test_summary("xlat");
}
