/*
 * kdump_writer_test.c - the kdump-compressed writer.
 *
 * Exact header and sub-header bytes for x86_64 (LP64 LE), i386 (ILP32
 * packed), the 32pad variant and a big-endian LP64 machine, restated here
 * from spec dump-formats.md §1.2 and §1.4 rather than from the writer's
 * tables; the bitmap sizing rule of §1.5 (including max_mapnr past 2^32);
 * then a small synthetic dump (300 pfns with holes, excluded pages, zero,
 * raw and compressed pages) written with each codec to a file and to a
 * flattened stream, checked three ways: our own parse of the descriptor
 * table, flat_reassemble() and makedumpfile -R against the seekable file,
 * and the readers as oracles (libkdumpfile through kdump_oracle.py, and
 * crash --osrelease).  Then the incomplete bit, lost pages, write errors
 * and every argument check with its exact message.
 */
#include <errno.h>
#include <fcntl.h>
#include <lzo/lzo1x.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "../../capture/crashcopy/kdump_writer.h"
#include "test.h"

enum {
	PAGE = 4096,
	NPFN = 300,
};

static char tmpdir[64];
/* kdump_oracle.py, found from this binary: TOP/build/asan/tests/unit/. */
static char oracle_path[4096];
static const char osrelease[] = "6.1.0-crashkit-test";
static const struct rd_format le64 = { RD_LITTLE_ENDIAN, 8 };
static const struct rd_format le32 = { RD_LITTLE_ENDIAN, 4 };
static const struct rd_format be64 = { RD_BIG_ENDIAN, 8 };

static char *tmp_path(const char *name)
{
	static char buf[8][256];
	static int next;
	char *p = buf[next++ % 8];
	snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
	return p;
}

static uint8_t *slurp(const char *path, size_t *size_ret)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	struct stat st;
	fstat(fd, &st);
	uint8_t *buf = malloc((size_t)st.st_size + 1);
	ssize_t n = pread(fd, buf, (size_t)st.st_size, 0);
	close(fd);
	*size_ret = n < 0 ? 0 : (size_t)n;
	return buf;
}

static bool files_equal(const char *a, const char *b)
{
	size_t na, nb;
	uint8_t *pa = slurp(a, &na), *pb = slurp(b, &nb);
	bool eq = pa && pb && na == nb && memcmp(pa, pb, na) == 0;
	free(pa);
	free(pb);
	return eq;
}

static void le(uint8_t *p, size_t size, uint64_t v)
{
	rd_put_uint(&le64, p, size, v);
}

/* An ELF note: 12-byte header, name and desc each padded to 4. */
static size_t put_note(uint8_t *p, const struct rd_format *f, const char *name,
		       uint32_t type, const void *desc, size_t desc_size)
{
	size_t namesz = strlen(name) + 1;
	rd_put_uint(f, p, 4, namesz);
	rd_put_uint(f, p + 4, 4, desc_size);
	rd_put_uint(f, p + 8, 4, type);
	size_t pos = 12;
	memset(p + pos, 0, (namesz + 3) & ~(size_t)3);
	memcpy(p + pos, name, namesz);
	pos += (namesz + 3) & ~(size_t)3;
	memset(p + pos, 0, (desc_size + 3) & ~(size_t)3);
	memcpy(p + pos, desc, desc_size);
	return pos + ((desc_size + 3) & ~(size_t)3);
}

static uint8_t notes[1024];

/* x86_64 header info over @notes: a zero CORE note and VMCOREINFO. */
static struct kdump_header_info make_info(enum codec_kind codec,
					  bool shared_zero)
{
	struct kdump_header_info info;
	memset(&info, 0, sizeof(info));
	info.format = le64;
	info.abi = KDUMP_ABI_LP64;
	info.block_size = PAGE;
	info.max_mapnr = NPFN;
	static const char *const uts[6] = { "Linux", "crashhost", osrelease,
					    "#1 SMP PREEMPT_DYNAMIC", "x86_64",
					    "(none)" };
	for (int i = 0; i < 6; i++)
		memcpy(info.utsname + 65 * i, uts[i], strlen(uts[i]));
	info.crashtime = 1700000123;
	info.nr_cpus = 1;
	info.phys_base = UINT64_C(0xffffffffd7c00000);
	info.dump_level = shared_zero ? 31 : 0;
	info.codec = codec;
	char vmcoreinfo[256];
	int n = snprintf(vmcoreinfo, sizeof(vmcoreinfo),
			 "OSRELEASE=%s\nPAGESIZE=4096\nKERNELOFFSET=0\n"
			 "NUMBER(pgtable_l5_enabled)=0\nCRASHTIME=1700000123\n",
			 osrelease);
	// x86_64's NT_PRSTATUS is 336 bytes.
	static const uint8_t prstatus[336];
	size_t pos = put_note(notes, &le64, "CORE", 1, prstatus, sizeof(prstatus));
	info.vmcoreinfo_offset = pos + 12 + 12;
	pos += put_note(notes + pos, &le64, "VMCOREINFO", 0, vmcoreinfo,
			(size_t)n);
	info.vmcoreinfo_size = (uint64_t)n;
	info.notes = notes;
	info.notes_size = pos;
	info.shared_zero_page = shared_zero;
	return info;
}

/* The synthetic machine: what each pfn is. */
enum pfn_kind { PFN_HOLE, PFN_EXCLUDED, PFN_ZERO, PFN_RANDOM, PFN_FILLED, PFN_TEXT };

static enum pfn_kind pfn_kind(uint64_t pfn)
{
	if ((pfn >= 100 && pfn < 104) || pfn >= 280)
		return PFN_HOLE;
	if (pfn >= 10 && pfn < 20)
		return PFN_EXCLUDED;
	if (pfn % 7 == 3)
		return PFN_ZERO;
	if (pfn % 11 == 5)
		return PFN_RANDOM;
	// Filled like freed init memory (0xcc) or slab poison (0x6b): small
	// identical payloads, stored once (K10).
	if (pfn % 13 == 6)
		return PFN_FILLED;
	return PFN_TEXT;
}

static void fill_page(uint64_t pfn, uint8_t *page)
{
	uint32_t x = (uint32_t)pfn * 2654435761u + 1;
	switch (pfn_kind(pfn)) {
	case PFN_ZERO:
	case PFN_HOLE:
	case PFN_EXCLUDED:
		memset(page, 0, PAGE);
		break;
	case PFN_RANDOM:
		for (int i = 0; i < PAGE; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			page[i] = (uint8_t)x;
		}
		break;
	case PFN_FILLED:
		memset(page, pfn % 2 ? 0xcc : 0x6b, PAGE);
		break;
	case PFN_TEXT:
		for (int i = 0; i < PAGE; i += 32) {
			char line[64];
			snprintf(line, sizeof(line),
				 "pfn %05u line %04u crashkit.........\n",
				 (unsigned)pfn % 100000, (unsigned)i / 32);
			memcpy(page + i, line, 32);
		}
		break;
	}
}

static void make_bitmaps(uint8_t *ram, uint8_t *dump, uint64_t *count)
{
	memset(ram, 0, (NPFN + 7) / 8);
	memset(dump, 0, (NPFN + 7) / 8);
	*count = 0;
	for (uint64_t pfn = 0; pfn < NPFN; pfn++) {
		enum pfn_kind k = pfn_kind(pfn);
		if (k != PFN_HOLE)
			ram[pfn / 8] |= (uint8_t)(1 << (pfn % 8));
		if (k != PFN_HOLE && k != PFN_EXCLUDED) {
			dump[pfn / 8] |= (uint8_t)(1 << (pfn % 8));
			(*count)++;
		}
	}
}

/*
 * Write the synthetic dump through @sinks (a file and a stream get the
 * same pages); @lost_pfn is reported lost (UINT64_MAX: none); stop after
 * @stop_after pages (UINT64_MAX: all).  Returns the writers' completeness.
 */
static bool write_dump(struct dump_sink **sinks, int nsinks,
		       const struct kdump_header_info *info, uint64_t lost_pfn,
		       uint64_t stop_after, struct kdump_writer_counts *counts)
{
	uint8_t ram[(NPFN + 7) / 8], dump[(NPFN + 7) / 8];
	uint64_t count;
	make_bitmaps(ram, dump, &count);
	struct kdump_writer *w[2] = { NULL, NULL };
	for (int i = 0; i < nsinks; i++)
		CHECK_OK(kdump_writer_create(sinks[i], info, ram, dump, count,
					     &w[i]));
	struct codec *c = NULL;
	CHECK_OK(codec_create(info->codec, PAGE, &c));
	if (!c || !w[0] || (nsinks > 1 && !w[1]))
		return false;
	uint8_t page[PAGE];
	uint64_t given = 0;
	for (uint64_t pfn = 0; pfn < NPFN && given < stop_after; pfn++) {
		enum pfn_kind k = pfn_kind(pfn);
		if (k == PFN_HOLE || k == PFN_EXCLUDED)
			continue;
		given++;
		for (int i = 0; i < nsinks; i++) {
			if (pfn == lost_pfn) {
				CHECK_OK(kdump_writer_lost(w[i], pfn));
				continue;
			}
			fill_page(pfn, page);
			bool zero = info->shared_zero_page && k == PFN_ZERO;
			const uint8_t *out = page;
			uint32_t size = PAGE, flags = 0;
			if (!zero)
				CHECK_OK(codec_page(c, page, &out, &size, &flags));
			CHECK_OK(kdump_writer_page(w[i], pfn, zero, out, size,
						   flags));
		}
	}
	bool complete[2] = { false, false };
	for (int i = 0; i < nsinks; i++) {
		CHECK_OK(kdump_writer_finish(w[i], &complete[i]));
		if (i == 0 && counts)
			kdump_writer_counts(w[i], counts);
		kdump_writer_destroy(w[i]);
	}
	codec_destroy(c);
	if (nsinks > 1)
		CHECK(complete[0] == complete[1]);
	return complete[0];
}

/* The side files for kdump_oracle.py: EXPECT and EXPECT.bin. */
static void write_expect(const char *path, const char *arch, uint64_t lost_pfn)
{
	FILE *f = fopen(path, "w");
	fprintf(f, "page_size %d\narch %s\nosrelease %s\n", PAGE, arch,
		osrelease);
	char bin[300];
	snprintf(bin, sizeof(bin), "%s.bin", path);
	FILE *b = fopen(bin, "w");
	uint8_t page[PAGE];
	for (uint64_t pfn = 0; pfn < NPFN; pfn++) {
		enum pfn_kind k = pfn_kind(pfn);
		const char *kind = k == PFN_HOLE ? "hole" :
				   k == PFN_EXCLUDED ? "excluded" :
				   pfn == lost_pfn ? "lost" : "data";
		fprintf(f, "%u %s\n", (unsigned)pfn, kind);
		fill_page(pfn, page);
		fwrite(page, 1, PAGE, b);
	}
	fclose(b);
	fclose(f);
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
	return rc;
}

/* The expected LP64 header of make_info(), restated from spec §1.2. */
static void expect_header_lp64(uint8_t *h, uint32_t status,
			       const struct kdump_header_info *info)
{
	memset(h, 0, PAGE);
	memcpy(h, "KDUMP   ", 8);
	le(h + 8, 4, 6);
	memcpy(h + 12, info->utsname, 390);
	le(h + 408, 8, 1700000123);
	le(h + 416, 8, 0);
	le(h + 424, 4, status);
	le(h + 428, 4, PAGE);
	le(h + 432, 4, 1);	// 104 + notes < 4096
	le(h + 436, 4, 2);	// 300 bits: one block per bitmap
	le(h + 440, 4, NPFN);
	le(h + 460, 4, 1);
}

static void test_lp64_file_bytes(void)
{
	struct kdump_header_info info = make_info(CODEC_LZO, true);
	struct dump_sink *s = NULL;
	CHECK_OK(dump_sink_file_create(tmp_path("lp64"), 0, &s));
	if (!s)
		return;
	uint8_t ram[(NPFN + 7) / 8], dump[(NPFN + 7) / 8];
	uint64_t count;
	make_bitmaps(ram, dump, &count);
	struct kdump_writer *w = NULL;
	CHECK_OK(kdump_writer_create(s, &info, ram, dump, count, &w));
	if (!w)
		return;

	// A file sink writes in the background: sync makes it visible.
	CHECK_OK(dump_sink_sync(s));
	size_t size;
	uint8_t *f = slurp(tmp_path("lp64.incomplete"), &size);
	uint8_t want[PAGE];
	// K7: incomplete (0x8) with the lzo bit (0x2) from the first write.
	expect_header_lp64(want, 0xa, &info);
	CHECK(size >= 4 * PAGE && memcmp(f, want, PAGE) == 0);

	// The sub-header (spec §1.4), then the notes verbatim.
	uint8_t sub[104] = { 0 };
	le(sub + 0, 8, UINT64_C(0xffffffffd7c00000));
	le(sub + 8, 4, 31);
	le(sub + 32, 8, 0x1068 + info.vmcoreinfo_offset);
	le(sub + 40, 8, info.vmcoreinfo_size);
	le(sub + 48, 8, 0x1068);
	le(sub + 56, 8, info.notes_size);
	le(sub + 96, 8, NPFN);
	CHECK(size >= 2 * PAGE && memcmp(f + PAGE, sub, 104) == 0);
	CHECK(size >= 2 * PAGE &&
	      memcmp(f + PAGE + 104, notes, info.notes_size) == 0);
	CHECK(size >= 2 * PAGE &&
	      memcmp(f + 0x1068 + info.vmcoreinfo_offset, "OSRELEASE=", 10) == 0);
	// Both bitmaps, LSB first, zero padded to a block each.
	CHECK(size >= 4 * PAGE && memcmp(f + 2 * PAGE, ram, sizeof(ram)) == 0);
	CHECK(size >= 4 * PAGE && memcmp(f + 3 * PAGE, dump, sizeof(dump)) == 0);
	// LSB first: pfns 8-9 dumpable, 10-15 excluded; 100-103 a hole.
	CHECK(size >= 4 * PAGE && f[2 * PAGE + 1] == 0xff && f[3 * PAGE + 1] == 0x03);
	CHECK(size >= 4 * PAGE && f[2 * PAGE + 12] == 0x0f && f[3 * PAGE + 12] == 0x0f);
	bool pad_zero = true;
	for (size_t i = sizeof(ram); i < PAGE && size >= 4 * PAGE; i++)
		pad_zero = pad_zero && f[2 * PAGE + i] == 0 && f[3 * PAGE + i] == 0;
	CHECK(pad_zero);
	free(f);

	// Half the pages: still incomplete in the file.
	struct codec *c = NULL;
	CHECK_OK(codec_create(CODEC_LZO, PAGE, &c));
	uint8_t page[PAGE];
	uint64_t given = 0;
	for (uint64_t pfn = 0; pfn < NPFN; pfn++) {
		enum pfn_kind k = pfn_kind(pfn);
		if (k == PFN_HOLE || k == PFN_EXCLUDED)
			continue;
		fill_page(pfn, page);
		const uint8_t *out = page;
		uint32_t psize = PAGE, flags = 0;
		if (k != PFN_ZERO)
			CHECK_OK(codec_page(c, page, &out, &psize, &flags));
		CHECK_OK(kdump_writer_page(w, pfn, k == PFN_ZERO, out, psize,
					   flags));
		if (++given == count / 2) {
			CHECK_OK(dump_sink_sync(s));
			f = slurp(tmp_path("lp64.incomplete"), &size);
			CHECK_EQ_U64(rd_u32(&le64, f + 424), 0xa);
			free(f);
		}
	}
	codec_destroy(c);
	bool complete = false;
	CHECK_OK(kdump_writer_finish(w, &complete));
	CHECK(complete);
	struct kdump_writer_counts counts;
	kdump_writer_counts(w, &counts);
	kdump_writer_destroy(w);
	CHECK_OK(dump_sink_finish(s));
	dump_sink_destroy(s);

	// Complete: the same header with only the lzo bit.
	f = slurp(tmp_path("lp64"), &size);
	expect_header_lp64(want, 0x2, &info);
	CHECK(memcmp(f, want, PAGE) == 0);

	// The descriptor table (spec §1.6, §1.7): one per dumpable pfn.
	uint64_t desc_off = 4 * PAGE, data_off = desc_off + 24 * count;
	uint64_t idx = 0, next_data = data_off + PAGE, zero = 0, raw = 0, lzo = 0;
	// K10: where each fill's payload went first, and pages sharing it.
	uint64_t fill_off[2] = { 0, 0 }, shared = 0;
	bool descs_ok = true, data_ok = true;
	for (uint64_t pfn = 0; pfn < NPFN; pfn++) {
		enum pfn_kind k = pfn_kind(pfn);
		if (k == PFN_HOLE || k == PFN_EXCLUDED)
			continue;
		const uint8_t *d = f + desc_off + 24 * idx++;
		uint64_t off = rd_u64(&le64, d);
		uint32_t dsize = rd_u32(&le64, d + 8), flags = rd_u32(&le64, d + 12);
		descs_ok = descs_ok && rd_u64(&le64, d + 16) == 0;
		fill_page(pfn, page);
		if (k == PFN_ZERO) {
			// All zero pages share the first data block.
			descs_ok = descs_ok && off == data_off && dsize == PAGE &&
				   flags == 0;
			zero++;
			continue;
		}
		// Data follows in pfn order, appended without gaps; a fill
		// after the first of its byte points at the first (K10).
		uint64_t *first = k == PFN_FILLED ? &fill_off[pfn % 2] : NULL;
		if (first && *first) {
			descs_ok = descs_ok && off == *first;
			shared++;
		} else {
			descs_ok = descs_ok && off == next_data;
			next_data += dsize;
			if (first)
				*first = off;
		}
		if (flags == 0) {
			raw++;
			data_ok = data_ok && dsize == PAGE &&
				  memcmp(f + off, page, PAGE) == 0;
		} else {
			lzo++;
			uint8_t back[PAGE];
			lzo_uint n = PAGE;
			data_ok = data_ok && flags == 0x2 && dsize < PAGE &&
				  lzo1x_decompress_safe(f + off, dsize, back, &n,
							NULL) == LZO_E_OK &&
				  n == PAGE && memcmp(back, page, PAGE) == 0;
		}
	}
	CHECK(descs_ok);
	CHECK(data_ok);
	CHECK_EQ_U64(size, next_data);
	bool zero_block = true;
	for (int i = 0; i < PAGE; i++)
		zero_block = zero_block && f[data_off + (uint64_t)i] == 0;
	CHECK(zero_block);
	CHECK_EQ_U64(counts.pages, count);
	CHECK_EQ_U64(counts.zero_pages, zero);
	CHECK_EQ_U64(counts.raw_pages, raw);
	CHECK_EQ_U64(counts.compressed_pages, lzo);
	CHECK_EQ_U64(counts.lost_pages, 0);
	CHECK_EQ_U64(counts.data_bytes, next_data - data_off);
	CHECK_EQ_U64(counts.shared_pages, shared);
	CHECK(zero > 30 && raw > 15 && lzo > 150 && shared > 10);
	free(f);
}

static void test_ilp32_and_be_bytes(void)
{
	// i386: ILP32 with u64 aligned to 4 (spec §1.2 last paragraph, §1.4).
	struct kdump_header_info info = make_info(CODEC_ZLIB, false);
	info.format = le32;
	info.abi = KDUMP_ABI_ILP32_PACKED;
	memcpy(info.utsname + 4 * 65, "i686\0\0", 6);
	info.phys_base = 0x1000000;
	struct kdump_layout l;
	CHECK_OK(kdump_layout_compute(&info, 5, &l));
	CHECK_EQ_U64(l.header_size, 452);
	CHECK_EQ_U64(l.sub_header_size, 80);
	uint8_t h[464], want[464];
	kdump_header_encode(&info, &l, 0x9, h);
	memset(want, 0, sizeof(want));
	memcpy(want, "KDUMP   ", 8);
	le(want + 8, 4, 6);
	memcpy(want + 12, info.utsname, 390);
	le(want + 404, 4, 1700000123);
	le(want + 412, 4, 0x9);
	le(want + 416, 4, PAGE);
	le(want + 420, 4, 1);
	le(want + 424, 4, 2);
	le(want + 428, 4, NPFN);
	le(want + 448, 4, 1);
	CHECK(memcmp(h, want, 452) == 0);

	uint8_t sub[104], wsub[104] = { 0 };
	kdump_sub_header_encode(&info, &l, sub);
	le(wsub + 0, 4, 0x1000000);
	le(wsub + 4, 4, 0);
	le(wsub + 20, 8, 0x1050 + info.vmcoreinfo_offset);
	le(wsub + 28, 4, info.vmcoreinfo_size);
	le(wsub + 32, 8, 0x1050);
	le(wsub + 40, 4, info.notes_size);
	le(wsub + 72, 8, NPFN);
	CHECK(memcmp(sub, wsub, 80) == 0);

	// AArch32/MIPS "32pad": 4 bytes of padding before every u64.
	info.abi = KDUMP_ABI_ILP32_PADDED;
	CHECK_OK(kdump_layout_compute(&info, 5, &l));
	CHECK_EQ_U64(l.header_size, 452);
	CHECK_EQ_U64(l.sub_header_size, 96);
	kdump_header_encode(&info, &l, 0x9, h);
	CHECK(memcmp(h, want, 452) == 0);
	kdump_sub_header_encode(&info, &l, sub);
	memset(wsub, 0, sizeof(wsub));
	le(wsub + 0, 4, 0x1000000);
	le(wsub + 24, 8, 0x1060 + info.vmcoreinfo_offset);
	le(wsub + 32, 4, info.vmcoreinfo_size);
	le(wsub + 40, 8, 0x1060);
	le(wsub + 48, 4, info.notes_size);
	le(wsub + 88, 8, NPFN);
	CHECK(memcmp(sub, wsub, 96) == 0);

	// A big-endian LP64 machine (s390x, ppc64): every field swapped.
	info = make_info(CODEC_ZSTD, true);
	info.format = be64;
	CHECK_OK(kdump_layout_compute(&info, 5, &l));
	kdump_header_encode(&info, &l, 0x28, h);
	static const uint8_t version_be[4] = { 0, 0, 0, 6 };
	static const uint8_t status_be[4] = { 0, 0, 0, 0x28 };
	static const uint8_t tv_sec_be[8] = { 0, 0, 0, 0, 0x65, 0x53, 0xf1, 0x7b };
	CHECK(memcmp(h + 8, version_be, 4) == 0);
	CHECK(memcmp(h + 424, status_be, 4) == 0);
	CHECK(memcmp(h + 408, tv_sec_be, 8) == 0);
	kdump_sub_header_encode(&info, &l, sub);
	static const uint8_t phys_be[8] = { 0xff, 0xff, 0xff, 0xff,
					    0xd7, 0xc0, 0, 0 };
	CHECK(memcmp(sub, phys_be, 8) == 0);
	CHECK_EQ_U64(rd_u64(&be64, sub + 96), NPFN);
	CHECK_EQ_U64(rd_u32(&be64, sub + 8), 31);
}

static void test_bitmap_sizing(void)
{
	struct kdump_header_info info = make_info(CODEC_NONE, false);
	struct kdump_layout l;
	static const struct {
		uint64_t max_mapnr;
		uint32_t block_size;
		uint32_t bitmap_blocks;
	} cases[] = {
		{ 1, 4096, 2 },
		{ 32768, 4096, 2 },	// 4096 bytes: exactly one block
		{ 32769, 4096, 4 },
		{ 262100, 4096, 16 },	// verified on a real dump (spec §1.5)
		{ 262100, 65536, 2 },
		{ 524289, 65536, 4 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		info.max_mapnr = cases[i].max_mapnr;
		info.block_size = cases[i].block_size;
		CHECK_OK(kdump_layout_compute(&info, 1, &l));
		CHECK_EQ_U64(l.bitmap_blocks, cases[i].bitmap_blocks);
		CHECK_EQ_U64(l.len_one_bitmap,
			     (uint64_t)cases[i].bitmap_blocks / 2 * cases[i].block_size);
		CHECK_EQ_U64(l.bitmap_offset, 2 * (uint64_t)cases[i].block_size);
		CHECK_EQ_U64(l.desc_offset,
			     l.bitmap_offset + (uint64_t)l.bitmap_blocks * cases[i].block_size);
		CHECK_EQ_U64(l.data_offset, l.desc_offset + 24);
	}

	// sub_hdr_size counts the sub-header and the notes (spec §1.1).
	info.max_mapnr = NPFN;
	info.block_size = PAGE;
	info.notes_size = PAGE - 104;
	CHECK_OK(kdump_layout_compute(&info, 1, &l));
	CHECK_EQ_U64(l.sub_hdr_size, 1);
	info.notes_size = PAGE - 103;
	CHECK_OK(kdump_layout_compute(&info, 1, &l));
	CHECK_EQ_U64(l.sub_hdr_size, 2);
	CHECK_EQ_U64(l.bitmap_offset, 3 * PAGE);

	// max_mapnr past 2^32 (> 16 TiB of 4 KiB pages): the header says
	// UINT_MAX, max_mapnr_64 the whole value (spec §1.3).
	info = make_info(CODEC_LZO, true);
	info.max_mapnr = (UINT64_C(1) << 32) + 5;
	CHECK_OK(kdump_layout_compute(&info, 1000, &l));
	CHECK_EQ_U64(l.bitmap_blocks, 2 * ((UINT64_C(1) << 29) / PAGE + 1));
	uint8_t h[464], sub[104];
	kdump_header_encode(&info, &l, 0x2, h);
	kdump_sub_header_encode(&info, &l, sub);
	CHECK_EQ_U64(rd_u32(&le64, h + 440), 0xffffffff);
	CHECK_EQ_U64(rd_u32(&le64, h + 436), 262146);
	CHECK_EQ_U64(rd_u64(&le64, sub + 96), (UINT64_C(1) << 32) + 5);
}

/* Write the synthetic dump with @codec and check it with every oracle. */
static void check_codec_dump(enum codec_kind codec, bool shared_zero)
{
	char name[64], flat[64], expect[64];
	snprintf(name, sizeof(name), "dump-%s", codec_name(codec));
	snprintf(flat, sizeof(flat), "dump-%s.flat", codec_name(codec));
	snprintf(expect, sizeof(expect), "dump-%s.expect", codec_name(codec));
	char *file = tmp_path(name);
	char *flat_path = tmp_path(flat);
	char *expect_path = tmp_path(expect);

	struct dump_sink *sinks[2] = { NULL, NULL };
	CHECK_OK(dump_sink_file_create(file, 0, &sinks[0]));
	int fd = open(flat_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK_OK(dump_sink_flat_create(fd, flat_path, &sinks[1]));
	if (!sinks[0] || !sinks[1])
		return;
	struct kdump_header_info info = make_info(codec, shared_zero);
	CHECK(write_dump(sinks, 2, &info, UINT64_MAX, UINT64_MAX, NULL));
	CHECK_OK(dump_sink_finish(sinks[0]));
	CHECK_OK(dump_sink_finish(sinks[1]));
	dump_sink_destroy(sinks[0]);
	dump_sink_destroy(sinks[1]);
	close(fd);

	// The stream, reassembled by us and by makedumpfile -R, is the file.
	struct dump_sink *out = NULL;
	char *re = tmp_path("reassembled");
	CHECK_OK(dump_sink_file_create(re, DUMP_SINK_OVERWRITE, &out));
	fd = open(flat_path, O_RDONLY);
	CHECK_OK(flat_reassemble(fd, flat_path, out));
	close(fd);
	CHECK_OK(dump_sink_finish(out));
	dump_sink_destroy(out);
	CHECK(files_equal(re, file));
	char mdf_name[64];
	snprintf(mdf_name, sizeof(mdf_name), "dump-%s.mdf-R", codec_name(codec));
	// makedumpfile -R will not replace an existing file.
	char *mdf = tmp_path(mdf_name);
	CHECK(run("makedumpfile -R %s < %s > /dev/null 2>&1", mdf, flat_path) == 0);
	CHECK(files_equal(mdf, file));

	// libkdumpfile reads every page back (or reports it excluded/hole).
	write_expect(expect_path, "x86_64", UINT64_MAX);
	CHECK(run("/usr/bin/python3 %s %s %s", oracle_path,
		  file, expect_path) == 0);
	// crash reads VMCOREINFO from the notes, from the file and the stream.
	CHECK(run("crash --osrelease %s 2>/dev/null | grep -qx '%s'", file,
		  osrelease) == 0);
	CHECK(run("crash --osrelease %s 2>/dev/null | grep -qx '%s'", flat_path,
		  osrelease) == 0);
}

static void test_oracles(void)
{
	check_codec_dump(CODEC_LZO, true);
	check_codec_dump(CODEC_ZLIB, true);
	check_codec_dump(CODEC_ZSTD, true);
	check_codec_dump(CODEC_NONE, false);
}

/* An i386 dump (ILP32 packed headers) read back by libkdumpfile. */
static void test_i386_oracle(void)
{
	struct kdump_header_info info = make_info(CODEC_LZO, true);
	info.format = le32;
	info.abi = KDUMP_ABI_ILP32_PACKED;
	memcpy(info.utsname + 4 * 65, "i686\0\0", 6);
	info.phys_base = 0;
	// Rebuild the notes for i386: NT_PRSTATUS is 144 bytes there.
	char vmcoreinfo[256];
	int n = snprintf(vmcoreinfo, sizeof(vmcoreinfo),
			 "OSRELEASE=%s\nPAGESIZE=4096\nCRASHTIME=1700000123\n",
			 osrelease);
	static const uint8_t prstatus[144];
	size_t pos = put_note(notes, &le32, "CORE", 1, prstatus, sizeof(prstatus));
	info.vmcoreinfo_offset = pos + 12 + 12;
	pos += put_note(notes + pos, &le32, "VMCOREINFO", 0, vmcoreinfo,
			(size_t)n);
	info.vmcoreinfo_size = (uint64_t)n;
	info.notes_size = pos;

	struct dump_sink *s = NULL;
	char *file = tmp_path("i386");
	CHECK_OK(dump_sink_file_create(file, 0, &s));
	if (!s)
		return;
	CHECK(write_dump(&s, 1, &info, UINT64_MAX, UINT64_MAX, NULL));
	CHECK_OK(dump_sink_finish(s));
	dump_sink_destroy(s);
	size_t size;
	uint8_t *f = slurp(file, &size);
	// ILP32: status at 412, complete with the lzo bit.
	CHECK_EQ_U64(rd_u32(&le32, f + 412), 0x2);
	CHECK_EQ_U64(rd_u64(&le32, f + PAGE + 32), PAGE + 80);
	free(f);
	char *expect = tmp_path("i386.expect");
	write_expect(expect, "ia32", UINT64_MAX);
	CHECK(run("/usr/bin/python3 %s %s %s", oracle_path, file,
		  expect) == 0);
}

static void test_incomplete(void)
{
	// A lost page: descriptor offset 0, the dump stays marked incomplete.
	struct dump_sink *s = NULL;
	char *file = tmp_path("lost");
	CHECK_OK(dump_sink_file_create(file, 0, &s));
	if (!s)
		return;
	struct kdump_header_info info = make_info(CODEC_LZO, true);
	struct kdump_writer_counts counts;
	CHECK(!write_dump(&s, 1, &info, 42, UINT64_MAX, &counts));
	CHECK_EQ_U64(counts.lost_pages, 1);
	CHECK_OK(dump_sink_finish(s));
	dump_sink_destroy(s);
	size_t size;
	uint8_t *f = slurp(file, &size);
	CHECK_EQ_U64(rd_u32(&le64, f + 424), 0xa);
	// pfn 42's descriptor has rank 32: pfns 0-9 and 20-41 come before
	// it (zero pages stay dumpable, spec §1.7).
	uint64_t rank = 0;
	for (uint64_t pfn = 0; pfn < 42; pfn++)
		if (pfn_kind(pfn) != PFN_HOLE && pfn_kind(pfn) != PFN_EXCLUDED)
			rank++;
	CHECK_EQ_U64(rank, 32);
	CHECK_EQ_U64(rd_u64(&le64, f + 4 * PAGE + 24 * rank), 0);
	CHECK_EQ_U64(rd_u32(&le64, f + 4 * PAGE + 24 * rank + 8), 0);
	CHECK(rd_u64(&le64, f + 4 * PAGE + 24 * (rank + 1)) != 0);
	free(f);
	char *expect = tmp_path("lost.expect");
	write_expect(expect, "x86_64", 42);
	CHECK(run("/usr/bin/python3 %s %s %s", oracle_path, file,
		  expect) == 0);

	// Stopped early: the pages not given are lost too, still marked.
	s = NULL;
	file = tmp_path("short");
	CHECK_OK(dump_sink_file_create(file, 0, &s));
	if (!s)
		return;
	CHECK(!write_dump(&s, 1, &info, UINT64_MAX, 100, &counts));
	CHECK_EQ_U64(counts.pages, 100);
	CHECK_OK(dump_sink_finish(s));
	dump_sink_destroy(s);
	f = slurp(file, &size);
	CHECK_EQ_U64(rd_u32(&le64, f + 424), 0xa);
	free(f);
}

static void test_write_errors(void)
{
	signal(SIGPIPE, SIG_IGN);
	int p[2];
	CHECK(pipe(p) == 0);
	struct dump_sink *s = NULL;
	CHECK_OK(dump_sink_flat_create(p[1], "pipe", &s));
	close(p[0]);
	struct kdump_header_info info = make_info(CODEC_NONE, false);
	uint8_t ram[(NPFN + 7) / 8], dump[(NPFN + 7) / 8];
	uint64_t count;
	make_bitmaps(ram, dump, &count);
	struct kdump_writer *w = NULL;
	// The headers and bitmaps are buffered into one pending record.
	CHECK_OK(kdump_writer_create(s, &info, ram, dump, count, &w));
	if (!w)
		return;
	uint8_t page[PAGE];
	fill_page(0, page);
	// Page data is buffered too (K8) ...
	CHECK_OK(kdump_writer_page(w, 0, false, page, PAGE, 0));
	CHECK_OK(kdump_writer_page(w, 1, false, page, PAGE, 0));
	// ... so the error comes with finish's flush: the data write breaks
	// the run, and the pending header record fails.
	bool complete = true;
	CHECK_ERR(kdump_writer_finish(w, &complete), CRASH_ERR_OS,
		  "pipe: writing a record of 16384 bytes for offset 0x0: Broken pipe");
	CHECK(complete);
	struct kdump_writer_counts counts;
	kdump_writer_counts(w, &counts);
	// The two pages whose data was not written are lost.
	CHECK_EQ_U64(counts.pages, 0);
	CHECK_EQ_U64(counts.raw_pages, 0);
	CHECK_EQ_U64(counts.lost_pages, 2);
	CHECK_EQ_U64(counts.data_bytes, 0);
	CHECK_ERR(kdump_writer_page(w, 2, false, page, PAGE, 0), CRASH_ERR_OS,
		  "kdump writer: pipe: pfn 0x2 not written: an earlier write failed: Broken pipe");
	CHECK_ERR(kdump_writer_finish(w, &complete), CRASH_ERR_OS,
		  "kdump writer: pipe: an earlier write failed; the dump stays marked incomplete: Broken pipe");
	CHECK(complete);
	kdump_writer_destroy(w);
	dump_sink_destroy(s);
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);
}

/*
 * K9: the same dump written window by window (every window size, from 8
 * pfns to all of them) is byte-identical to the one written from whole
 * bitmaps; windows out of order, a window opened before the last one's
 * pages were all given, and a page past its window are refused.
 */
static void write_windowed(const char *path, uint64_t win)
{
	struct kdump_header_info info = make_info(CODEC_LZO, true);
	uint8_t ram[(NPFN + 7) / 8], dump[(NPFN + 7) / 8], page[PAGE];
	uint64_t count;
	make_bitmaps(ram, dump, &count);
	struct dump_sink *s = NULL;
	struct kdump_writer *w = NULL;
	struct codec *c = NULL;
	CHECK_OK(dump_sink_file_create(path, DUMP_SINK_OVERWRITE, &s));
	if (s)
		CHECK_OK(kdump_writer_open(s, &info, count, &w));
	CHECK_OK(codec_create(info.codec, PAGE, &c));
	if (!s || !w || !c)
		return;
	for (uint64_t start = 0; start < NPFN; start += win) {
		uint64_t n = NPFN - start < win ? NPFN - start : win;
		CHECK_OK(kdump_writer_window(w, start, n, ram + start / 8,
					     dump + start / 8));
		for (uint64_t pfn = start; pfn < start + n; pfn++) {
			enum pfn_kind k = pfn_kind(pfn);
			if (k == PFN_HOLE || k == PFN_EXCLUDED)
				continue;
			fill_page(pfn, page);
			const uint8_t *out = page;
			uint32_t size = PAGE, flags = 0;
			if (k != PFN_ZERO)
				CHECK_OK(codec_page(c, page, &out, &size, &flags));
			CHECK_OK(kdump_writer_page(w, pfn, k == PFN_ZERO, out, size,
						   flags));
		}
	}
	bool complete = false;
	CHECK_OK(kdump_writer_finish(w, &complete));
	CHECK(complete);
	CHECK_OK(dump_sink_finish(s));
	kdump_writer_destroy(w);
	dump_sink_destroy(s);
	codec_destroy(c);
}

static void test_windows(void)
{
	struct kdump_header_info info = make_info(CODEC_LZO, true);
	struct dump_sink *s = NULL;
	char *whole = strdup(tmp_path("whole"));
	CHECK_OK(dump_sink_file_create(whole, DUMP_SINK_OVERWRITE, &s));
	if (!s)
		return;
	CHECK(write_dump(&s, 1, &info, UINT64_MAX, UINT64_MAX, NULL));
	CHECK_OK(dump_sink_finish(s));
	dump_sink_destroy(s);
	static const uint64_t wins[] = { 8, 16, 64, 104, 296, 304, NPFN, 4096 };
	for (size_t i = 0; i < sizeof(wins) / sizeof(wins[0]); i++) {
		char *path = tmp_path("windowed");
		write_windowed(path, wins[i]);
		CHECK(files_equal(whole, path));
		if (!files_equal(whole, path))
			fprintf(stderr, "windows of %" PRIu64 " pfns: not the same file\n",
				wins[i]);
	}
	free(whole);

	uint8_t ram[(NPFN + 7) / 8], dump[(NPFN + 7) / 8], page[PAGE];
	uint64_t count;
	make_bitmaps(ram, dump, &count);
	memset(page, 0x5a, PAGE);
	struct kdump_writer *w = NULL;
	CHECK_OK(dump_sink_file_create(tmp_path("badwin"), DUMP_SINK_OVERWRITE, &s));
	if (!s)
		return;
	CHECK_OK(kdump_writer_open(s, &info, count, &w));
	if (!w)
		return;
	CHECK_ERR(kdump_writer_window(w, 8, 8, ram + 1, dump + 1), CRASH_ERR_CORRUPT,
		  "kdump writer: window of 8 pfns at 0x8, expected one at 0x0 of a multiple of 8 pfns (or the last)");
	CHECK_ERR(kdump_writer_window(w, 0, 12, ram, dump), CRASH_ERR_CORRUPT,
		  "kdump writer: window of 12 pfns at 0x0, expected one at 0x0 of a multiple of 8 pfns (or the last)");
	CHECK_OK(kdump_writer_window(w, 0, 16, ram, dump));
	// The first dumpable pfn of the window must come first ...
	uint64_t first = 0;
	while (first < 16 && !(dump[first / 8] >> (first % 8) & 1))
		first++;
	CHECK(first < 16);
	uint64_t in_window = 0;
	for (uint64_t pfn = 0; pfn < 16; pfn++)
		in_window += dump[pfn / 8] >> (pfn % 8) & 1;
	char want[160];
	snprintf(want, sizeof(want), "kdump writer: window at pfn 0x10 opened before %" PRIu64 " dumpable pages of the last one were given",
		 in_window);
	CHECK_ERR(kdump_writer_window(w, 16, 16, ram + 2, dump + 2), CRASH_ERR_CORRUPT,
		  want);
	// ... and no page lies past the window.
	snprintf(want, sizeof(want), "kdump writer: pfn 0x11 given, expected pfn 0x%" PRIx64 " (the next set bit of the dumpable bitmap)",
		 first);
	CHECK_ERR(kdump_writer_page(w, 17, false, page, PAGE, 0), CRASH_ERR_CORRUPT,
		  want);
	for (uint64_t pfn = first; pfn < 16; pfn++)
		if (dump[pfn / 8] >> (pfn % 8) & 1)
			CHECK_OK(kdump_writer_lost(w, pfn));
	CHECK_ERR(kdump_writer_lost(w, 17), CRASH_ERR_CORRUPT,
		  "kdump writer: pfn 0x11 given past the window that ends at pfn 0x10");
	kdump_writer_destroy(w);
	dump_sink_destroy(s);
}

static void test_bad_arguments(void)
{
	struct kdump_header_info info = make_info(CODEC_LZO, true);
	struct kdump_layout l;
	info.block_size = 3000;
	CHECK_ERR(kdump_layout_compute(&info, 1, &l), CRASH_ERR_UNSUPPORTED,
		  "kdump writer: block size 3000 is not a power of two from 1024 to 1048576");
	info = make_info(CODEC_LZO, true);
	info.format.ptr_size = 4;
	CHECK_ERR(kdump_layout_compute(&info, 1, &l), CRASH_ERR_CORRUPT,
		  "kdump writer: pointer size 4 does not match the LP64 ABI (8)");
	info = make_info(CODEC_LZO, true);
	info.max_mapnr = 0;
	CHECK_ERR(kdump_layout_compute(&info, 0, &l), CRASH_ERR_UNSUPPORTED,
		  "kdump writer: max_mapnr 0, expected at least one pfn");
	info = make_info(CODEC_LZO, true);
	CHECK_ERR(kdump_layout_compute(&info, NPFN + 1, &l), CRASH_ERR_CORRUPT,
		  "kdump writer: 301 dumpable pages exceed max_mapnr 300");
	info.vmcoreinfo_offset = info.notes_size - 10;
	CHECK_ERR(kdump_layout_compute(&info, 1, &l), CRASH_ERR_CORRUPT,
		  "kdump writer: VMCOREINFO at 0x1e2 size 0x6d lies outside the 0x1ec bytes of notes");
	info = make_info((enum codec_kind)7, true);
	CHECK_ERR(kdump_layout_compute(&info, 1, &l), CRASH_ERR_UNSUPPORTED,
		  "kdump writer: unknown compression 7");

	struct dump_sink *s = NULL;
	CHECK_OK(dump_sink_file_create(tmp_path("bad"), 0, &s));
	if (!s)
		return;
	info = make_info(CODEC_LZO, false);
	uint8_t ram[(NPFN + 7) / 8], dump[(NPFN + 7) / 8];
	uint64_t count;
	make_bitmaps(ram, dump, &count);
	struct kdump_writer *w = NULL;
	CHECK_ERR(kdump_writer_create(s, &info, ram, dump, count - 1, &w),
		  CRASH_ERR_CORRUPT,
		  "kdump writer: dumpable count 265, but the dumpable bitmap has 266 bits set");
	// 300 bits: bits 300-303 of the last byte must be clear.
	dump[37] |= 0x10;
	CHECK_ERR(kdump_writer_create(s, &info, ram, dump, count, &w),
		  CRASH_ERR_CORRUPT,
		  "kdump writer: the dumpable bitmap has bits set past max_mapnr 300");
	dump[37] &= 0x0f;
	ram[37] |= 0x80;
	CHECK_ERR(kdump_writer_create(s, &info, ram, dump, count, &w),
		  CRASH_ERR_CORRUPT,
		  "kdump writer: the RAM bitmap has bits set past max_mapnr 300");
	ram[37] &= 0x0f;
	dump[12] |= 0x10;	// pfn 100: a hole
	CHECK_ERR(kdump_writer_create(s, &info, ram, dump, count + 1, &w),
		  CRASH_ERR_CORRUPT,
		  "kdump writer: pfn 0x64 is dumpable but not RAM");
	dump[12] &= (uint8_t)~0x10;
	CHECK(w == NULL);

	CHECK_OK(kdump_writer_create(s, &info, ram, dump, count, &w));
	if (!w)
		return;
	uint8_t page[PAGE] = { 0 };
	CHECK_ERR(kdump_writer_page(w, 1, false, page, PAGE, 0), CRASH_ERR_CORRUPT,
		  "kdump writer: pfn 0x1 given, expected pfn 0x0 (the next set bit of the dumpable bitmap)");
	CHECK_ERR(kdump_writer_page(w, 0, true, NULL, 0, 0), CRASH_ERR_CORRUPT,
		  "kdump writer: pfn 0x0 given as a zero page, but the dump has no shared zero block");
	CHECK_ERR(kdump_writer_page(w, 0, false, page, 100, 0), CRASH_ERR_CORRUPT,
		  "kdump writer: pfn 0x0: raw payload of 100 bytes, expected the block size 4096");
	CHECK_ERR(kdump_writer_page(w, 0, false, page, 100, 0x1), CRASH_ERR_CORRUPT,
		  "kdump writer: pfn 0x0: flags 0x1, expected 0 or 0x2 (lzo)");
	CHECK_ERR(kdump_writer_page(w, 0, false, page, PAGE, 0x2), CRASH_ERR_CORRUPT,
		  "kdump writer: pfn 0x0: compressed payload of 4096 bytes, expected 1 to 4095");
	CHECK_OK(kdump_writer_page(w, 0, false, page, PAGE, 0));
	// pfns 10-19 are excluded: after 9 comes 20.
	for (uint64_t pfn = 1; pfn < 10; pfn++)
		CHECK_OK(kdump_writer_lost(w, pfn));
	CHECK_ERR(kdump_writer_lost(w, 10), CRASH_ERR_CORRUPT,
		  "kdump writer: pfn 0xa given, expected pfn 0x14 (the next set bit of the dumpable bitmap)");
	for (uint64_t pfn = 20; pfn < NPFN; pfn++)
		if (pfn_kind(pfn) != PFN_HOLE)
			CHECK_OK(kdump_writer_lost(w, pfn));
	CHECK_ERR(kdump_writer_lost(w, 280), CRASH_ERR_CORRUPT,
		  "kdump writer: pfn 0x118 given after all 266 dumpable pages");
	bool complete = true;
	CHECK_OK(kdump_writer_finish(w, &complete));
	CHECK(!complete);
	CHECK_ERR(kdump_writer_finish(w, &complete), CRASH_ERR_CORRUPT,
		  "kdump writer: finish called twice");
	CHECK_ERR(kdump_writer_lost(w, 281), CRASH_ERR_CORRUPT,
		  "kdump writer: pfn 0x119 given after finish");
	kdump_writer_destroy(w);
	kdump_writer_destroy(NULL);
	dump_sink_destroy(s);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kdump_writer_test.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	ssize_t n = readlink("/proc/self/exe", oracle_path, sizeof(oracle_path) - 64);
	if (n < 0) {
		perror("readlink /proc/self/exe");
		return 2;
	}
	oracle_path[n] = 0;
	for (int i = 0; i < 5; i++) {
		char *slash = strrchr(oracle_path, '/');
		if (slash)
			*slash = 0;
	}
	strcat(oracle_path, "/tests/unit/kdump_oracle.py");

	RUN(test_lp64_file_bytes);
	RUN(test_ilp32_and_be_bytes);
	RUN(test_bitmap_sizing);
	RUN(test_oracles);
	RUN(test_i386_oracle);
	RUN(test_incomplete);
	RUN(test_write_errors);
	RUN(test_bad_arguments);
	RUN(test_windows);
	if (!getenv("KEEP_TMP") && run("rm -rf %s", tmpdir) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return test_summary("kdump_writer_test");
}
