/*
 * xen_test.c - lib/xen.c against an in-memory machine: Xen notes built
 * inline, a p2m of three levels laid out frame by frame (two frame-list
 * pages, shared missing and identity pages, per-entry identity, INVALID
 * entries, scattered non-contiguous runs), hostile notes and p2m frames,
 * dom0 VMCOREINFO notes, the console ring and the symbol-file parser.
 */
#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include "../../capture/crashcopy/xen_filter.h"
#include "../../lib/vmcore_xen.h"
#include "../../lib/xen.h"
#include "test.h"

enum { MEM_FRAMES = 256, MEM_SIZE = MEM_FRAMES * 4096 };

struct fake {
	uint8_t *mem;
	unsigned reads;
	struct rd_format fmt;
	struct xlat_range range;
	uint8_t info[80];
	uint8_t regs[32];
	char xvi[512];
	struct xen_note notes[4];
	size_t note_count;
	struct xen_reader r;
};

static struct crash_error *fake_read(void *arg, uint64_t maddr, void *buf,
				     size_t size)
{
	struct fake *f = arg;
	f->reads++;
	if (maddr > MEM_SIZE || MEM_SIZE - maddr < size)
		return crash_error_fault(maddr, "fake: machine 0x%" PRIx64
					 " not in the dump", maddr);
	memcpy(buf, f->mem + maddr, size);
	return NULL;
}

static void put64(struct fake *f, uint64_t maddr, uint64_t v)
{
	rd_put_uint(&f->fmt, f->mem + maddr, 8, v);
}

/* Frames: 1 top, 2 missing leaf, 3 mid-missing, 4 identity page, 5 list
 * for top 0, 6 list for top 1, 7 leaf of pfns 0-511, 8 leaf of pfns
 * 512-1023, 9 leaf of pfns 0x40000-0x401ff (top 1). */
static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->mem = calloc(1, MEM_SIZE);
	if (!f->mem)
		abort();
	f->fmt = (struct rd_format){ RD_LITTLE_ENDIAN, 8 };
	f->range = (struct xlat_range){ 0, 0, MEM_SIZE };
	const uint64_t inv = UINT64_MAX, ident = UINT64_C(1) << 62;
	for (unsigned i = 0; i < 512; i++) {
		put64(f, 1 * 4096 + 8 * i, 3);
		put64(f, 2 * 4096 + 8 * i, inv);
		put64(f, 3 * 4096 + 8 * i, 2);
		put64(f, 4 * 4096 + 8 * i, ident | i);	/* IDENTITY_FRAME(0..511) */
		put64(f, 5 * 4096 + 8 * i, 2);
		put64(f, 6 * 4096 + 8 * i, 2);
		put64(f, 7 * 4096 + 8 * i, inv);
		put64(f, 8 * 4096 + 8 * i, inv);
		put64(f, 9 * 4096 + 8 * i, inv);
	}
	put64(f, 1 * 4096 + 0, 5);
	put64(f, 1 * 4096 + 8, 6);
	put64(f, 5 * 4096 + 0, 7);
	put64(f, 5 * 4096 + 8, 8);
	put64(f, 5 * 4096 + 8 * 3, 4);	/* pfns 1536-2047: shared identity */
	put64(f, 6 * 4096 + 0, 9);
	// pfns 0x10-0x13 -> 100,101,102,103 (a run); 0x14 -> 90 (descending
	// single); 0x15 -> 120; 0x20 identity (per entry); 0x21 missing.
	for (unsigned i = 0; i < 4; i++)
		put64(f, 7 * 4096 + 8 * (0x10 + i), 100 + i);
	put64(f, 7 * 4096 + 8 * 0x14, 90);
	put64(f, 7 * 4096 + 8 * 0x15, 120);
	put64(f, 7 * 4096 + 8 * 0x20, ident | 0x20);
	put64(f, 8 * 4096 + 8 * 5, 130);		/* pfn 517 */
	put64(f, 9 * 4096 + 8 * 7, (UINT64_C(1) << 63) | 140); /* foreign */

	uint64_t iv[10] = { 4, 17, 200 * 4096, 200 * 4096, 200 * 4096,
			    200 * 4096, 200 * 4096, 0, 0x80000, 1 };
	for (int i = 0; i < 10; i++)
		rd_put_uint(&f->fmt, f->info + 8 * i, 8, iv[i]);
	memcpy(f->mem + 200 * 4096, ".7-unit\0", 8);
	rd_put_uint(&f->fmt, f->regs + 16, 8, 0x1234000);
	snprintf(f->xvi, sizeof(f->xvi),
		 "PAGESIZE=4096\nSYMBOL(max_page)=ffff82d040100208\n"
		 "SYMBOL(pgd_l4)=ffff82d040001000\n");
	f->notes[0] = (struct xen_note){ "CORE", 1, f->regs, 32 };
	f->notes[1] = (struct xen_note){ "Xen", XEN_ELFNOTE_CRASH_REGS, f->regs, 32 };
	f->notes[2] = (struct xen_note){ "Xen", XEN_ELFNOTE_CRASH_INFO, f->info, 80 };
	f->notes[3] = (struct xen_note){ "VMCOREINFO_XEN", 0,
					 (const uint8_t *)f->xvi,
					 (uint32_t)strlen(f->xvi) };
	f->note_count = 4;
	f->r = (struct xen_reader){
		.arg = f, .read_mach = fake_read, .format = &f->fmt,
		.machine = EM_X86_64, .notes = f->notes,
		.note_count = f->note_count, .ranges = &f->range,
		.range_count = 1,
	};
}

static void fake_deinit(struct fake *f)
{
	free(f->mem);
}

static struct xen *fake_xen(struct fake *f)
{
	struct xen *x = NULL;
	f->r.note_count = f->note_count;
	CHECK_OK(xen_create(&f->r, &x));
	return x;
}

static void test_notes(void)
{
	struct fake f;
	fake_init(&f);
	struct xen *x = fake_xen(&f);
	if (x) {
		const struct xen_crash_info *i = xen_crash_info(x);
		CHECK(i && i->version == 2);
		CHECK_EQ_U64(i->xen_phys_start, 0x80000);
		CHECK_EQ_U64(i->p2m_frame_list_list_mfn, 1);
		CHECK_STR(xen_version(x), "4.17.7-unit");
		CHECK_EQ_U64(xen_cr3_count(x), 1);
		CHECK_EQ_U64(xen_cr3(x, 0), 0x1234000);
		CHECK(xen_vmcoreinfo(x) != NULL);
		CHECK_EQ_U64(xen_mach_end(x), MEM_SIZE);
	}
	xen_destroy(x);

	// v1: 9 longs, no xen_phys_start; the last long is the p2m root.
	rd_put_uint(&f.fmt, f.info + 64, 8, 1);
	f.notes[2].desc_size = 72;
	x = fake_xen(&f);
	if (x) {
		CHECK(xen_crash_info(x)->version == 1);
		CHECK(!xen_crash_info(x)->has_xen_phys_start);
		CHECK_EQ_U64(xen_crash_info(x)->p2m_frame_list_list_mfn, 1);
	}
	xen_destroy(x);

	// Truncated, oversize, and an absurd major version.
	f.notes[2].desc_size = 40;
	CHECK_ERR(xen_create(&f.r, &x), CRASH_ERR_CORRUPT,
		  "xen: CRASH_INFO note is 40 bytes, not 72 (crash_xen_info_t "
		  "v1) or 80 (v2)");
	f.notes[2].desc_size = 80;
	rd_put_uint(&f.fmt, f.info, 8, 1000);
	CHECK_ERR(xen_create(&f.r, &x), CRASH_ERR_CORRUPT,
		  "xen: CRASH_INFO major version 1000 is not a Xen version");
	rd_put_uint(&f.fmt, f.info, 8, 4);

	// Not Xen at all; not x86_64.
	f.note_count = 1;
	f.r.note_count = 1;
	CHECK(xen_create(&f.r, &x) == &crash_not_found);
	f.note_count = 4;
	f.r.note_count = 4;
	f.r.machine = EM_AARCH64;
	CHECK_ERR(xen_create(&f.r, &x), CRASH_ERR_UNSUPPORTED,
		  "xen: e_machine 183: only x86_64 Xen cores are supported");
	f.r.machine = EM_X86_64;

	// Without CRASH_INFO the p2m is unknown.
	f.notes[2] = f.notes[1];
	x = fake_xen(&f);
	uint64_t mfn;
	if (x) {
		CHECK(xen_crash_info(x) == NULL);
		CHECK(xen_pfn_to_mfn(x, 0x10, &mfn, NULL) == &crash_not_found);
		CHECK_STR(xen_version(x), "unknown");
	}
	xen_destroy(x);
	fake_deinit(&f);
}

static void test_p2m(void)
{
	struct fake f;
	fake_init(&f);
	struct xen *x = fake_xen(&f);
	if (!x) {
		fake_deinit(&f);
		return;
	}
	uint64_t mfn = 0;
	enum xen_p2m_kind kind;
	CHECK_OK(xen_pfn_to_mfn(x, 0x12, &mfn, &kind));
	CHECK_EQ_U64(mfn, 102);
	CHECK(kind == XEN_P2M_MFN);
	CHECK_OK(xen_pfn_to_mfn(x, 0x14, &mfn, NULL));
	CHECK_EQ_U64(mfn, 90);
	CHECK_OK(xen_pfn_to_mfn(x, 517, &mfn, NULL));
	CHECK_EQ_U64(mfn, 130);
	// Second frame-list page (pfn >= 512 * 512), a foreign frame.
	CHECK_OK(xen_pfn_to_mfn(x, 0x40007, &mfn, &kind));
	CHECK_EQ_U64(mfn, 140);
	CHECK(kind == XEN_P2M_FOREIGN);
	// Per-entry identity, and the shared identity page whose entries
	// name pfns 0-511: the bit counts, not the entry's low bits.
	CHECK_OK(xen_pfn_to_mfn(x, 0x20, &mfn, &kind));
	CHECK_EQ_U64(mfn, 0x20);
	CHECK(kind == XEN_P2M_IDENTITY);
	CHECK_OK(xen_pfn_to_mfn(x, 1536 + 7, &mfn, &kind));
	CHECK_EQ_U64(mfn, 1543);
	CHECK(kind == XEN_P2M_IDENTITY);
	// Missing: an INVALID entry, the shared missing pages, beyond 512^3.
	CHECK_ERR(xen_pfn_to_mfn(x, 0x21, &mfn, &kind), CRASH_ERR_FAULT,
		  "xen: dom0 pfn 0x21 has no machine frame (p2m entry INVALID)");
	CHECK(kind == XEN_P2M_MISSING);
	CHECK_ERR(xen_pfn_to_mfn(x, 0x90000, &mfn, NULL), CRASH_ERR_FAULT,
		  "xen: dom0 pfn 0x90000 has no machine frame (p2m entry INVALID)");
	CHECK_ERR(xen_pfn_to_mfn(x, 512 * 512 * 512, &mfn, NULL),
		  CRASH_ERR_FAULT,
		  "xen: dom0 pfn 0x8000000 is above the p2m's 512^3 frames");

	// Reading across pages follows the scattered frames.
	memcpy(f.mem + 103 * 4096 + 4090, "abcdef", 6);
	memcpy(f.mem + 90 * 4096, "ghij", 4);
	char buf[10];
	CHECK_OK(xen_read_dom0_phys(x, 0x13 * 4096 + 4090, buf, 10));
	CHECK(memcmp(buf, "abcdefghij", 10) == 0);
	CHECK_ERR(xen_read_dom0_phys(x, 0x15 * 4096 + 4095, buf, 2),
		  CRASH_ERR_FAULT,
		  "xen: dom0 pfn 0x16 has no machine frame (p2m entry INVALID)");

	struct xen_p2m_stats st;
	CHECK_OK(xen_p2m_stats(x, &st));
	CHECK_EQ_U64(st.mfn_count, 8);
	CHECK_EQ_U64(st.identity_count, 1 + 512);
	// Runs: 0x10-0x13, 0x14, 0x15, 517, 0x40007.
	CHECK_EQ_U64(st.run_count, 5);
	CHECK_EQ_U64(st.max_pfn, 0x40008);

	// dom0's own frames in pfn order: not the identity entries, not the
	// foreign frame 140; with room for fewer, every 2nd, every 4th.
	uint64_t own[16];
	size_t n = 99;
	CHECK_OK(xen_p2m_own_frames(x, own, 16, &n));
	CHECK_EQ_U64(n, 7);
	const uint64_t want[7] = { 100, 101, 102, 103, 90, 120, 130 };
	for (size_t i = 0; i < 7 && i < n; i++)
		CHECK_EQ_U64(own[i], want[i]);
	CHECK_OK(xen_p2m_own_frames(x, own, 4, &n));
	CHECK_EQ_U64(n, 4);
	if (n == 4)
		CHECK(own[0] == 100 && own[1] == 102 && own[2] == 90 && own[3] == 130);
	CHECK_OK(xen_p2m_own_frames(x, own, 3, &n));
	CHECK_EQ_U64(n, 2);
	if (n == 2)
		CHECK(own[0] == 100 && own[1] == 90);
	CHECK_OK(xen_p2m_own_frames(x, own, 7, &n));
	CHECK_EQ_U64(n, 7);
	CHECK_OK(xen_p2m_own_frames(x, own, 6, &n));
	CHECK_EQ_U64(n, 4);
	CHECK_OK(xen_p2m_own_frames(x, own, 1, &n));
	CHECK(n == 1 && own[0] == 100);
	xen_destroy(x);
	fake_deinit(&f);
}

static void test_p2m_hostile(void)
{
	struct fake f;
	fake_init(&f);
	// The root outside the dump.
	rd_put_uint(&f.fmt, f.info + 72, 8, 0x7fffffff);
	struct xen *x = fake_xen(&f);
	uint64_t mfn;
	struct xen_p2m_stats st;
	if (x) {
		CHECK_ERR(xen_pfn_to_mfn(x, 0x10, &mfn, NULL), CRASH_ERR_CORRUPT,
			  "xen: p2m frame-list-list frame 0x7fffffff is outside "
			  "the dump's machine memory (256 frames)");
		CHECK_ERR(xen_p2m_stats(x, &st), CRASH_ERR_CORRUPT,
			  "xen: p2m frame-list-list frame 0x7fffffff is outside "
			  "the dump's machine memory (256 frames)");
	}
	xen_destroy(x);
	rd_put_uint(&f.fmt, f.info + 72, 8, 1);

	// A PVH dom0: no PV p2m.
	rd_put_uint(&f.fmt, f.info + 72, 8, 0);
	x = fake_xen(&f);
	if (x) {
		CHECK_ERR(xen_pfn_to_mfn(x, 0x10, &mfn, NULL), CRASH_ERR_UNSUPPORTED,
			  "xen: CRASH_INFO dom0_pfn_to_mfn_frame_list_list is 0: "
			  "dom0 has no PV p2m (a PVH dom0 is not supported)");
		CHECK_ERR(xen_p2m_stats(x, &st), CRASH_ERR_UNSUPPORTED,
			  "xen: CRASH_INFO dom0_pfn_to_mfn_frame_list_list is 0: "
			  "dom0 has no PV p2m (a PVH dom0 is not supported)");
	}
	xen_destroy(x);
	rd_put_uint(&f.fmt, f.info + 72, 8, 1);

	// A frame-list entry far outside; an INVALID frame-list-list entry.
	put64(&f, 5 * 4096, UINT64_C(0x123456789));
	put64(&f, 1 * 4096 + 8, UINT64_MAX);
	x = fake_xen(&f);
	if (x) {
		CHECK_ERR(xen_pfn_to_mfn(x, 0x10, &mfn, NULL), CRASH_ERR_CORRUPT,
			  "xen: p2m leaf frame 0x123456789 is outside the dump's "
			  "machine memory (256 frames)");
		CHECK_ERR(xen_pfn_to_mfn(x, 0x40007, &mfn, NULL), CRASH_ERR_FAULT,
			  "xen: dom0 pfn 0x40007: frame-list-list entry is INVALID");
		CHECK_ERR(xen_p2m_stats(x, &st), CRASH_ERR_CORRUPT,
			  "xen: p2m frame-list 0x5[0] = 0x123456789 is outside the "
			  "dump's machine memory");
	}
	xen_destroy(x);

	// A loop: every frame-list entry of top 0 points at the root page.
	for (unsigned i = 0; i < 512; i++)
		put64(&f, 5 * 4096 + 8 * i, 1);
	put64(&f, 1 * 4096 + 8, 6);
	x = fake_xen(&f);
	if (x) {
		unsigned before = f.reads;
		// The "leaf" is the root page: entry 0x10 reads 3 (a frame).
		CHECK_OK(xen_pfn_to_mfn(x, 0x10, &mfn, NULL));
		CHECK_EQ_U64(mfn, 3);
		CHECK(f.reads - before == 3);	/* bounded: 3 levels */
		// Stats: the root page read as a leaf holds "frames" (5, 6, 3,
		// ...) for every slot: more than the machine has, CORRUPT,
		// after one read of it.
		CHECK_ERR(xen_p2m_stats(x, &st), CRASH_ERR_CORRUPT,
			  "xen: the p2m maps more than the 256 machine frames of "
			  "the dump");
	}
	xen_destroy(x);

	// Every slot a distinct leaf page full of frames: more frames than
	// the machine has is CORRUPT, not a long walk.
	for (unsigned i = 0; i < 512; i++)
		put64(&f, 5 * 4096 + 8 * i, 10 + i % 200);
	for (unsigned p = 10; p < 210; p++)
		for (unsigned i = 0; i < 512; i++)
			put64(&f, p * 4096 + 8 * i, i % 200);
	x = fake_xen(&f);
	if (x)
		CHECK_ERR(xen_p2m_stats(x, &st), CRASH_ERR_CORRUPT,
			  "xen: the p2m maps more than the 256 machine frames of "
			  "the dump");
	xen_destroy(x);
	fake_deinit(&f);
}

static void put_note(struct fake *f, uint64_t at, uint32_t namesz,
		     uint32_t descsz, const char *text)
{
	rd_put_uint(&f->fmt, f->mem + at, 4, namesz);
	rd_put_uint(&f->fmt, f->mem + at + 4, 4, descsz);
	rd_put_uint(&f->fmt, f->mem + at + 8, 4, 0);
	memcpy(f->mem + at + 12, "VMCOREINFO\0\0", 12);
	memcpy(f->mem + at + 24, text, strlen(text));
}

static void test_dom0_vmcoreinfo(void)
{
	struct fake f;
	fake_init(&f);
	const char *good = "OSRELEASE=6.1.0-unit\nSYMBOL(prb)=ffffffff82000000\n";
	put_note(&f, 20 * 4096, 11, (uint32_t)strlen(good) + 3, good);
	put_note(&f, 21 * 4096 + 132, 11, (uint32_t)strlen(good), good);
	put_note(&f, 22 * 4096, 11, 0x7fffffff, good);
	put_note(&f, 23 * 4096, 11, 30, "OSRELEASE=\x1b[31mred\n");
	put_note(&f, 24 * 4096, 12, 30, good);
	struct xen *x = fake_xen(&f);
	if (!x) {
		fake_deinit(&f);
		return;
	}
	char *text = NULL;
	size_t size = 0;
	CHECK_OK(xen_dom0_vmcoreinfo_at(x, 20 * 4096, &text, &size));
	CHECK_EQ_U64(size, strlen(good));
	CHECK(text && strcmp(text, good) == 0);
	free(text);
	CHECK_ERR(xen_dom0_vmcoreinfo_at(x, 22 * 4096, &text, &size),
		  CRASH_ERR_CORRUPT,
		  "xen: dom0 VMCOREINFO note at machine 0x16000: descsz "
		  "2147483647 is not 1 to 8192");
	CHECK_ERR(xen_dom0_vmcoreinfo_at(x, 23 * 4096, &text, &size),
		  CRASH_ERR_CORRUPT,
		  "xen: dom0 VMCOREINFO at machine 0x17000: byte 0x1b at offset "
		  "10 is not text");
	CHECK_ERR(xen_dom0_vmcoreinfo_at(x, 24 * 4096, &text, &size),
		  CRASH_ERR_CORRUPT,
		  "xen: no VMCOREINFO note at machine 0x18000 (namesz 12, want "
		  "11 and \"VMCOREINFO\")");
	CHECK_ERR(xen_dom0_vmcoreinfo_at(x, MEM_SIZE - 8, &text, &size),
		  CRASH_ERR_FAULT,
		  "xen: dom0 VMCOREINFO note at machine 0xffff8: fake: machine "
		  "0xffff8 not in the dump");

	uint64_t hits[XEN_SCAN_MAX_HITS];
	size_t count = 0;
	CHECK_OK(xen_dom0_vmcoreinfo_scan(x, 0, hits, &count));
	CHECK_EQ_U64(count, 2);
	CHECK_EQ_U64(hits[0], 20 * 4096);	/* page-aligned first */
	CHECK_EQ_U64(hits[1], 21 * 4096 + 132);
	xen_destroy(x);
	fake_deinit(&f);
}

static void test_xen_virtual_and_conring(void)
{
	struct fake f;
	fake_init(&f);
	// pgd_l4 at image offset 0x1000 maps XEN_VIRT_START by a 2 MiB page
	// at xen_phys_start 0x80000... which is not 2 MiB aligned: use a
	// 4 KiB walk instead (l4 -> l3 -> l2 -> l1).
	const uint64_t start = UINT64_C(0xffff82d040000000), ps = 0x80000;
	uint64_t l4 = ps + 0x1000, l3 = ps + 0x2000, l2 = ps + 0x3000,
		 l1 = ps + 0x4000;
	put64(&f, l4 + 8 * ((start >> 39) & 511), l3 | 0x63);
	put64(&f, l3 + 8 * ((start >> 30) & 511), l2 | 0x63);
	put64(&f, l2 + 8 * ((start >> 21) & 511), l1 | 0x63);
	for (unsigned i = 0; i < 16; i++)
		put64(&f, l1 + 8 * i, (ps + i * 4096) | 0x63);
	struct xen *x = fake_xen(&f);
	if (!x) {
		fake_deinit(&f);
		return;
	}
	CHECK_STR(xen_xv_method(x), "image at 0xffff82d040000000 -> machine "
		  "0x80000, checked by walking pgd_l4");
	uint64_t m;
	CHECK_OK(xen_xv_to_mach(x, start + 0x5123, &m));
	CHECK_EQ_U64(m, 0x85123);
	CHECK_OK(xen_xv_to_mach(x, UINT64_C(0xffff830000012345), &m));
	CHECK_EQ_U64(m, 0x12345);
	// Outside both rules: the pgd_l4 walk, which has nothing there.
	CHECK_ERR(xen_xv_to_mach(x, UINT64_C(0xffff82e000000000), &m),
		  CRASH_ERR_FAULT,
		  "xen: page walk of 0xffff82e000000000: pud[384] = "
		  "0x0000000000000000 is not present");
	(void)m;

	// The console ring: 16 KiB at machine 0xc0000, wrapped.
	const uint64_t ring = 0xc0000;
	for (unsigned i = 0; i < 16384; i++)
		f.mem[ring + i] = (uint8_t)('a' + i % 26);
	memcpy(f.mem + ring + 100, "NEWEST", 6);
	put64(&f, ps + 0x100, UINT64_C(0xffff830000000000) + ring);
	rd_put_uint(&f.fmt, f.mem + ps + 0x108, 4, 16384);
	rd_put_uint(&f.fmt, f.mem + ps + 0x10c, 4, 16384 * 3 + 106);
	struct xen_conring_syms syms = { start + 0x100, start + 0x108,
					 start + 0x10c, 0 };
	struct xen_conring c = {0};
	CHECK_OK(xen_conring_read(x, &syms, &c));
	CHECK_EQ_U64(c.size, 16384);
	CHECK(c.wrapped);
	CHECK(c.text && memcmp(c.text + 16384 - 6, "NEWEST", 6) == 0);
	CHECK_EQ_U64(c.ring_mach, ring);
	xen_conring_deinit(&c);
	rd_put_uint(&f.fmt, f.mem + ps + 0x108, 4, 12345);
	CHECK_ERR(xen_conring_read(x, &syms, &c), CRASH_ERR_CORRUPT,
		  "xen: conring_size 12345 is not a power of two from 4096 to "
		  "16777216");
	// The scan: no banner anywhere yet, then one.
	CHECK(xen_conring_scan(x, 0, &c) == &crash_not_found);
	memcpy(f.mem + 0xd0000, "(XEN) Xen version 4.17.7 (x)\n(XEN) hi\n", 38);
	CHECK_OK(xen_conring_scan(x, 0, &c));
	CHECK_EQ_U64(c.size, 38);
	CHECK_EQ_U64(c.ring_mach, 0xd0000);
	xen_conring_deinit(&c);
	xen_destroy(x);
	fake_deinit(&f);
}

static void test_symbols(void)
{
	struct xen_conring_syms s;
	const char *xensyms =
		"ffff82d040256c30 t drivers/char/console.c#conring_puts\n"
		"ffff82d04041f0a0 d drivers/char/console.c#_conring\n"
		"ffff82d04045ed60 d drivers/char/console.c#conring_size\n"
		"ffff82d04045ed68 d drivers/char/console.c#conring\n"
		"ffff82d0405899d0 b drivers/char/console.c#conringp\n"
		"ffff82d0405899d4 b drivers/char/console.c#conringc\n";
	CHECK_OK(xen_symbols_parse(xensyms, strlen(xensyms), &s));
	CHECK_EQ_U64(s.conring, 0xffff82d04045ed68);
	CHECK_EQ_U64(s.conring_size, 0xffff82d04045ed60);
	CHECK_EQ_U64(s.conringp, 0xffff82d0405899d0);
	CHECK_EQ_U64(s.conringc, 0xffff82d0405899d4);
	const char *map = "0xffff82d04045ed68 d conring\r\n"
			  "0xffff82d04045ed60 d conring_size\n"
			  "0xffff82d0405899d0 b conringp";
	CHECK_OK(xen_symbols_parse(map, strlen(map), &s));
	CHECK_EQ_U64(s.conringp, 0xffff82d0405899d0);
	CHECK_EQ_U64(s.conringc, 0);
	CHECK_ERR(xen_symbols_parse(map, 40, &s), CRASH_ERR_NOT_FOUND,
		  "xen symbols: no symbol conring_size");
	const char *bad = "ffff82zz4045ed68 d conring\n";
	CHECK_ERR(xen_symbols_parse(bad, strlen(bad), &s), CRASH_ERR_CORRUPT,
		  "xen symbols: line 1: address of conring is not hex");
}

static void test_cmdline(void)
{
	char path[] = "/tmp/xen_test_cmdlineXXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	const char *line = "console=ttyS0 crashkit.dom0_vmcoreinfo=0x00000000355da000 "
			   "crashkit.xen_conring=0xffff82d04045ed68,0xffff82d04045ed60,"
			   "0xffff82d0405899d0 elfcorehdr=327024K\n";
	CHECK(write(fd, line, strlen(line)) == (ssize_t)strlen(line));
	close(fd);
	struct vmcore_xen_hints h;
	CHECK_OK(vmcore_xen_cmdline(path, &h));
	CHECK(h.has_dom0_vmcoreinfo);
	CHECK_EQ_U64(h.dom0_vmcoreinfo, 0x355da000);
	CHECK(h.has_conring);
	CHECK_EQ_U64(h.conring.conring, 0xffff82d04045ed68);
	CHECK_EQ_U64(h.conring.conringp, 0xffff82d0405899d0);
	CHECK_EQ_U64(h.conring.conringc, 0);
	fd = open(path, O_WRONLY | O_TRUNC);
	const char *bad = "crashkit.dom0_vmcoreinfo=0xZZ\n";
	CHECK(write(fd, bad, strlen(bad)) == (ssize_t)strlen(bad));
	close(fd);
	struct crash_error *err = vmcore_xen_cmdline(path, &h);
	CHECK(err && err->code == CRASH_ERR_CORRUPT);
	crash_error_destroy(err);
	unlink(path);
	CHECK_OK(vmcore_xen_cmdline("/nonexistent/cmdline", &h));
	CHECK(!h.has_dom0_vmcoreinfo && !h.has_conring);
}

/* Map the Xen image (XEN_VIRT_START -> 0x80000) by 4 KiB pages. */
static void map_image(struct fake *f)
{
	const uint64_t start = UINT64_C(0xffff82d040000000), ps = 0x80000;
	uint64_t l4 = ps + 0x1000, l3 = ps + 0x2000, l2 = ps + 0x3000,
		 l1 = ps + 0x4000;
	put64(f, l4 + 8 * ((start >> 39) & 511), l3 | 0x63);
	put64(f, l3 + 8 * ((start >> 30) & 511), l2 | 0x63);
	put64(f, l2 + 8 * ((start >> 21) & 511), l1 | 0x63);
	for (unsigned i = 0; i < 16; i++)
		put64(f, l1 + 8 * i, (ps + i * 4096) | 0x63);
}

/* The machine frames fake_init()'s p2m gives dom0 as its own. */
static bool is_dom0_frame(uint64_t fr)
{
	return fr == 90 || (fr >= 100 && fr < 104) || fr == 120 || fr == 130;
}

/*
 * Rewrite test_frame_filter()'s frame table with dom0's page_info @shift
 * entries after its frames, none for frame @missing, and check that
 * xen_filter_create() refuses, @wrong of the 7 sampled frames not dom0's.
 */
static void check_misindexed(struct fake *f, uint64_t shift, uint64_t missing,
			     unsigned wrong)
{
	for (uint64_t fr = 0; fr < 256; fr++) {
		bool mine = fr >= shift && is_dom0_frame(fr - shift) &&
			    fr - shift != missing;
		put64(f, 0xe0000 + fr * 32 + 8, mine ? UINT64_C(1) << 63 | 1 : 0);
		rd_put_uint(&f->fmt, f->mem + 0xe0000 + fr * 32 + 24, 4, mine ? 0xf0 : 0);
	}
	char want[200];
	snprintf(want, sizeof(want),
		 "xen: frame_table is not indexed by machine frame as -X assumes "
		 "(pdx compression?): %u of 7 sampled dom0 frames are not dom0's there",
		 wrong);
	struct xen *x = fake_xen(f);
	struct xen_filter *xf = NULL;
	if (x)
		CHECK_ERR(xen_filter_create(x, &xf), CRASH_ERR_UNSUPPORTED, want);
	xen_filter_destroy(xf);
	xen_destroy(x);
}

/* crashcopy -X's frame classification (capture/crashcopy/xen_filter.c). */
static void test_frame_filter(void)
{
	struct fake f;
	fake_init(&f);
	map_image(&f);
	const uint64_t start = UINT64_C(0xffff82d040000000), ps = 0x80000;
	const uint64_t dm = UINT64_C(0xffff830000000000);
	snprintf(f.xvi, sizeof(f.xvi),
		 "PAGESIZE=4096\nSYMBOL(domain_list)=%" PRIx64
		 "\nSYMBOL(frame_table)=%" PRIx64 "\nSYMBOL(max_page)=%" PRIx64
		 "\nSIZE(page_info)=32\nOFFSET(page_info.count_info)=8\n"
		 "OFFSET(page_info._domain)=24\nOFFSET(domain.domain_id)=0\n"
		 "OFFSET(domain.next_in_list)=16\nSYMBOL(pgd_l4)=%" PRIx64 "\n",
		 start + 0x200, start + 0x208, start + 0x210, start + 0x1000);
	f.notes[3].desc_size = (uint32_t)strlen(f.xvi);
	put64(&f, ps + 0x200, dm + 0xf0000);	/* domain_list -> d0 */
	put64(&f, ps + 0x208, dm + 0xe0000);	/* frame_table */
	put64(&f, ps + 0x210, 256);		/* max_page */
	put64(&f, 0xf0000 + 16, dm + 0xf1000);	/* d0 -> d5 */
	rd_put_uint(&f.fmt, f.mem + 0xf1000, 2, 5);
	for (int layout = 0; layout < 2; layout++) {
		unsigned shift = layout ? 55 : 58;
		for (uint64_t fr = 0; fr < 256; fr++) {
			uint64_t ci = 0, dom = 0;
			if (fr >= 10 && fr < 20)
				ci = UINT64_C(3) << shift;
			else if (fr >= 20 && fr < 25)
				ci = UINT64_C(1) << 63 | 1, dom = 0xf1;
			else if (is_dom0_frame(fr))
				ci = UINT64_C(1) << 63 | 1, dom = 0xf0;
			put64(&f, 0xe0000 + fr * 32 + 8, ci);
			rd_put_uint(&f.fmt, f.mem + 0xe0000 + fr * 32 + 24, 4, dom);
		}
		struct xen *x = fake_xen(&f);
		struct xen_filter *xf = NULL;
		if (x)
			CHECK_OK(xen_filter_create(x, &xf));
		if (xf) {
			uint8_t keep[32];
			memset(keep, 0xff, sizeof(keep));
			CHECK_OK(xen_filter_window(xf, 0, 256, keep));
			struct xen_filter_counts c;
			xen_filter_counts(xf, &c);
			CHECK_EQ_U64(c.free, 10);
			CHECK_EQ_U64(c.domu, 5);
			CHECK_EQ_U64(c.domains, 2);
			CHECK(strstr(c.layout, layout ? "before XSA-402" : "58-59"));
			// frames 10-24 dropped: bits 10-15 of byte 1, byte 2 bits
			// 0-7, byte 3 bit 0; the rest (Xen's, dom0's) kept.
			CHECK_EQ_U64(keep[0], 0xff);
			CHECK_EQ_U64(keep[1], 0x03);
			CHECK_EQ_U64(keep[2], 0x00);
			CHECK_EQ_U64(keep[3], 0xfe);
			CHECK_EQ_U64(keep[4], 0xff);
		}
		xen_filter_destroy(xf);
		xen_destroy(x);
	}
	// frame_table not indexed by mfn (as under pdx compression): the
	// page_info at dom0's frames is not dom0's, and -X refuses rather than
	// drop frames by another frame's state.  Here each entry is 16 off.
	check_misindexed(&f, 16, UINT64_MAX, 7);
	// One in 16 may be special (a grant or MMIO frame): 1 of 7 is not.
	check_misindexed(&f, 0, 120, 1);
	// domain_list that loops: bounded, CORRUPT.
	put64(&f, 0xf1000 + 16, dm + 0xf0000);
	struct xen *x = fake_xen(&f);
	struct xen_filter *xf = NULL;
	if (x)
		CHECK_ERR(xen_filter_create(x, &xf), CRASH_ERR_CORRUPT,
			  "xen: domain_list has more than 32768 entries (a loop?)");
	xen_destroy(x);
	// A missing key names itself.
	snprintf(f.xvi, sizeof(f.xvi), "PAGESIZE=4096\nSYMBOL(max_page)=%" PRIx64 "\n",
		 start + 0x210);
	f.notes[3].desc_size = (uint32_t)strlen(f.xvi);
	x = fake_xen(&f);
	if (x)
		CHECK_ERR(xen_filter_create(x, &xf), CRASH_ERR_NOT_FOUND,
			  "VMCOREINFO_XEN has no SYMBOL(frame_table)");
	xen_destroy(x);
	fake_deinit(&f);
}

int main(void)
{
	RUN(test_notes);
	RUN(test_p2m);
	RUN(test_p2m_hostile);
	RUN(test_dom0_vmcoreinfo);
	RUN(test_xen_virtual_and_conring);
	RUN(test_symbols);
	RUN(test_cmdline);
	RUN(test_frame_filter);
	return test_summary("xen_test");
}
