/*
 * vmcore_test.c - ELF cores built in the test (ELF32/ELF64, LE/BE), good
 * and hostile: headers, notes, the PT_LOAD map, reads, and the minimal core
 * written from tracked reads.  Every failure asserts code and exact message.
 *
 * struct core below is a tiny ELF core writer: the ELF header and program
 * headers sit in the first CORE_DATA_START bytes; notes and segment bytes
 * are appended after it.  Memory bytes follow pattern(), so any read can be
 * checked against the address it came from.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/rd.h"
#include "../../lib/vmcore.h"
#include "test.h"

enum { CORE_DATA_START = 4096, CORE_MAX_PH = 64 };

static char test_dir[64];

struct core_ph {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

struct core {
	bool is64;
	struct rd_format f;
	uint16_t machine, e_type, phentsize;
	uint8_t ident_class, ident_data, ident_version;
	uint64_t phoff;
	int phnum_override;	/* -1: the real count */
	bool xnum;		/* ELF64: e_phnum PN_XNUM, count in section 0 */
	uint64_t xnum_shoff;	/* where section 0 goes; 0: the end */
	uint32_t xnum_count;	/* its sh_info; 0: the real count */
	struct core_ph ph[CORE_MAX_PH];
	size_t phnum;
	uint8_t *data;
	size_t size;
	uint8_t notes[16384];
	size_t notes_size;
};

/* The byte of memory at @paddr in a segment tagged @tag. */
static uint8_t pattern(uint64_t paddr, uint8_t tag)
{
	return (uint8_t)(paddr * 7 + (paddr >> 12) + tag);
}

static void core_init(struct core *c, bool is64, enum rd_byte_order order,
		      uint16_t machine)
{
	memset(c, 0, sizeof(*c));
	c->is64 = is64;
	c->f.byte_order = order;
	c->f.ptr_size = is64 ? 8 : 4;
	c->machine = machine;
	c->e_type = ET_CORE;
	c->ident_class = is64 ? ELFCLASS64 : ELFCLASS32;
	c->ident_data = order == RD_LITTLE_ENDIAN ? ELFDATA2LSB : ELFDATA2MSB;
	c->ident_version = EV_CURRENT;
	c->phentsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	c->phoff = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	c->phnum_override = -1;
	c->data = calloc(1, CORE_DATA_START);
	c->size = CORE_DATA_START;
}

static void core_free(struct core *c)
{
	free(c->data);
}

/* Append @n bytes (zeros if @p is NULL); returns their file offset. */
static uint64_t core_append(struct core *c, const void *p, size_t n)
{
	uint64_t offset = c->size;
	c->data = realloc(c->data, c->size + n);
	if (p)
		memcpy(c->data + c->size, p, n);
	else
		memset(c->data + c->size, 0, n);
	c->size += n;
	return offset;
}

static void core_phdr(struct core *c, uint32_t type, uint64_t offset,
		      uint64_t vaddr, uint64_t paddr, uint64_t filesz,
		      uint64_t memsz)
{
	c->ph[c->phnum++] = (struct core_ph){ type, offset, vaddr, paddr,
					      filesz, memsz };
}

/* Append raw 32-bit words to the pending notes. */
static void core_note_words(struct core *c, size_t n, ...)
{
	va_list ap;
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		rd_put_uint(&c->f, c->notes + c->notes_size, 4,
			    va_arg(ap, uint32_t));
		c->notes_size += 4;
	}
	va_end(ap);
}

static void core_note(struct core *c, const char *name, uint32_t type,
		      const void *desc, uint32_t descsz)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	core_note_words(c, 3, namesz, descsz, type);
	memcpy(c->notes + c->notes_size, name, namesz);
	c->notes_size += (namesz + 3) & ~3u;
	memcpy(c->notes + c->notes_size, desc, descsz);
	c->notes_size += (descsz + 3) & ~3u;
}

/* Append the pending notes (plus @pad zero bytes) as one PT_NOTE. */
static void core_flush_notes(struct core *c, size_t pad)
{
	uint64_t offset = core_append(c, c->notes, c->notes_size);
	core_append(c, NULL, pad);
	core_phdr(c, PT_NOTE, offset, 0, 0, c->notes_size + pad,
		  c->notes_size + pad);
	memset(c->notes, 0, sizeof(c->notes));
	c->notes_size = 0;
}

/* A PT_LOAD whose @filesz file bytes follow pattern(@tag). */
static void core_load(struct core *c, uint64_t paddr, uint64_t vaddr,
		      uint64_t filesz, uint64_t memsz, uint8_t tag)
{
	uint8_t *bytes = malloc(filesz ? filesz : 1);
	for (uint64_t i = 0; i < filesz; i++)
		bytes[i] = pattern(paddr + i, tag);
	uint64_t offset = core_append(c, bytes, filesz);
	free(bytes);
	core_phdr(c, PT_LOAD, offset, vaddr, paddr, filesz, memsz);
}

#define PUT(base, type, field, value)                                        \
	rd_put_uint(&c->f, (uint8_t *)(base) + offsetof(type, field),        \
		    sizeof(((type *)0)->field), (value))

/* Write the core to @name in the test directory, cut at @size if not 0. */
static void core_write(struct core *c, const char *name, size_t size,
		       char *path_ret)
{
	uint8_t *b = c->data;
	memset(b, 0, CORE_DATA_START);
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = c->ident_class;
	b[EI_DATA] = c->ident_data;
	b[EI_VERSION] = c->ident_version;
	uint16_t phnum = c->phnum_override >= 0 ? (uint16_t)c->phnum_override
						: (uint16_t)c->phnum;
	if (c->xnum) {
		Elf64_Shdr sh0;
		memset(&sh0, 0, sizeof(sh0));
		uint64_t shoff = core_append(c, &sh0, sizeof(sh0));
		b = c->data;	// moved by realloc, header bytes kept
		PUT(b + shoff, Elf64_Shdr, sh_size, 1);
		PUT(b + shoff, Elf64_Shdr, sh_info,
		    c->xnum_count ? c->xnum_count : c->phnum);
		PUT(b, Elf64_Ehdr, e_shoff, c->xnum_shoff ? c->xnum_shoff : shoff);
		PUT(b, Elf64_Ehdr, e_shentsize, sizeof(Elf64_Shdr));
		phnum = PN_XNUM;
	}
	if (c->is64) {
		PUT(b, Elf64_Ehdr, e_type, c->e_type);
		PUT(b, Elf64_Ehdr, e_machine, c->machine);
		PUT(b, Elf64_Ehdr, e_version, EV_CURRENT);
		PUT(b, Elf64_Ehdr, e_phoff, c->phoff);
		PUT(b, Elf64_Ehdr, e_ehsize, sizeof(Elf64_Ehdr));
		PUT(b, Elf64_Ehdr, e_phentsize, c->phentsize);
		PUT(b, Elf64_Ehdr, e_phnum, phnum);
	} else {
		PUT(b, Elf32_Ehdr, e_type, c->e_type);
		PUT(b, Elf32_Ehdr, e_machine, c->machine);
		PUT(b, Elf32_Ehdr, e_version, EV_CURRENT);
		PUT(b, Elf32_Ehdr, e_phoff, c->phoff);
		PUT(b, Elf32_Ehdr, e_ehsize, sizeof(Elf32_Ehdr));
		PUT(b, Elf32_Ehdr, e_phentsize, c->phentsize);
		PUT(b, Elf32_Ehdr, e_phnum, phnum);
	}
	size_t ehdr = c->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	for (size_t i = 0; i < c->phnum; i++) {
		const struct core_ph *p = &c->ph[i];
		if (c->is64) {
			uint8_t *h = b + ehdr + i * sizeof(Elf64_Phdr);
			PUT(h, Elf64_Phdr, p_type, p->type);
			PUT(h, Elf64_Phdr, p_offset, p->offset);
			PUT(h, Elf64_Phdr, p_vaddr, p->vaddr);
			PUT(h, Elf64_Phdr, p_paddr, p->paddr);
			PUT(h, Elf64_Phdr, p_filesz, p->filesz);
			PUT(h, Elf64_Phdr, p_memsz, p->memsz);
		} else {
			uint8_t *h = b + ehdr + i * sizeof(Elf32_Phdr);
			PUT(h, Elf32_Phdr, p_type, p->type);
			PUT(h, Elf32_Phdr, p_offset, p->offset);
			PUT(h, Elf32_Phdr, p_vaddr, p->vaddr);
			PUT(h, Elf32_Phdr, p_paddr, p->paddr);
			PUT(h, Elf32_Phdr, p_filesz, p->filesz);
			PUT(h, Elf32_Phdr, p_memsz, p->memsz);
		}
	}
	snprintf(path_ret, 256, "%s/%s", test_dir, name);
	FILE *f = fopen(path_ret, "wb");
	if (!f) {
		perror(path_ret);
		exit(2);
	}
	size_t n = size ? size : c->size;
	if (fwrite(b, 1, n, f) != n || fclose(f) != 0) {
		perror(path_ret);
		exit(2);
	}
}

struct warnings {
	int count;
	char last[512];
};

static void on_warn(void *arg, const char *message)
{
	struct warnings *w = arg;
	w->count++;
	snprintf(w->last, sizeof(w->last), "%s", message);
}

static char *msg(char *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static char *msg(char *buf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, 512, fmt, ap);
	va_end(ap);
	return buf;
}

/* Does [paddr, paddr + size) read as pattern(@tag)? */
static bool read_matches(struct vmcore *vm, uint64_t paddr, size_t size,
			 uint8_t tag)
{
	uint8_t *buf = malloc(size);
	struct crash_error *err = vmcore_read_phys(vm, paddr, buf, size);
	bool ok = !err;
	if (err) {
		fprintf(stderr, "read 0x%llx: %s\n", (unsigned long long)paddr,
			err->message);
		crash_error_destroy(err);
	}
	for (size_t i = 0; ok && i < size; i++)
		ok = buf[i] == pattern(paddr + i, tag);
	free(buf);
	return ok;
}

static const char vmcoreinfo_text[] =
	"OSRELEASE=6.1.0\nPAGESIZE=4096\nSYMBOL(prb)=ffffffff82a1c0e0\n";

/* A typical core: 2 CPUs, VMCOREINFO, two PT_LOADs with a gap. */
static void make_good(struct core *c, bool is64, enum rd_byte_order order,
		      uint16_t machine)
{
	core_init(c, is64, order, machine);
	uint8_t prstatus[336] = { 1, 2, 3 };
	core_note(c, "CORE", NT_PRSTATUS, prstatus, sizeof(prstatus));
	core_note(c, "CORE", NT_PRSTATUS, prstatus, sizeof(prstatus));
	core_note(c, "VMCOREINFO", 0, vmcoreinfo_text,
		  sizeof(vmcoreinfo_text) - 1);
	core_flush_notes(c, 0);
	core_load(c, 0x1000, 0xc0001000, 0x3000, 0x3000, 1);
	core_load(c, 0x10000, 0, 0x2000, 0x2000, 2);
}

static void test_good_cores(void)
{
	static const struct {
		bool is64;
		enum rd_byte_order order;
		uint16_t machine;
		unsigned int ptr_size;
	} cases[] = {
		{ true, RD_LITTLE_ENDIAN, EM_X86_64, 8 },
		{ true, RD_BIG_ENDIAN, EM_S390, 8 },
		{ true, RD_BIG_ENDIAN, EM_PPC64, 8 },
		{ true, RD_LITTLE_ENDIAN, EM_AARCH64, 8 },
		{ true, RD_LITTLE_ENDIAN, EM_386, 4 },	// i386 PAE: ELF64
		{ true, RD_LITTLE_ENDIAN, EM_RISCV, 8 },
		{ false, RD_LITTLE_ENDIAN, EM_RISCV, 4 },
		{ false, RD_LITTLE_ENDIAN, EM_386, 4 },
		{ false, RD_BIG_ENDIAN, EM_PPC, 4 },
		{ false, RD_LITTLE_ENDIAN, EM_ARM, 4 },
		{ false, RD_BIG_ENDIAN, EM_MIPS, 4 },
		{ true, RD_BIG_ENDIAN, EM_MIPS, 8 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct core c;
		char path[256];
		make_good(&c, cases[i].is64, cases[i].order, cases[i].machine);
		core_write(&c, "good", 0, path);
		core_free(&c);
		struct warnings w = { 0 };
		struct vmcore *vm = NULL;
		CHECK_OK(vmcore_open(path, on_warn, &w, &vm));
		if (!vm)
			continue;
		CHECK_EQ_U64(w.count, 0);
		CHECK_STR(vmcore_path(vm), path);
		CHECK_EQ_U64(vmcore_format(vm)->byte_order, cases[i].order);
		CHECK_EQ_U64(vmcore_format(vm)->ptr_size, cases[i].ptr_size);
		CHECK_EQ_U64(vmcore_machine(vm), cases[i].machine);
		CHECK_EQ_U64(vmcore_elf_class(vm),
			     cases[i].is64 ? ELFCLASS64 : ELFCLASS32);
		CHECK_EQ_U64(vmcore_cpu_count(vm), 2);

		size_t n;
		const struct vmcore_note *notes = vmcore_notes(vm, &n);
		CHECK_EQ_U64(n, 3);
		CHECK_STR(notes[0].name, "CORE");
		CHECK_EQ_U64(notes[0].type, NT_PRSTATUS);
		CHECK_EQ_U64(notes[0].desc_size, 336);
		CHECK_EQ_U64(notes[0].desc[2], 3);
		CHECK_EQ_U64(notes[0].file_offset, CORE_DATA_START);
		CHECK_EQ_U64(notes[1].file_offset, CORE_DATA_START + 12 + 8 + 336);
		CHECK_STR(notes[2].name, "VMCOREINFO");

		const char *text = NULL;
		size_t size = 0;
		CHECK_OK(vmcore_vmcoreinfo(vm, &text, &size));
		CHECK_EQ_U64(size, sizeof(vmcoreinfo_text) - 1);
		CHECK(text && memcmp(text, vmcoreinfo_text, size) == 0);

		const struct vmcore_segment *segs = vmcore_segments(vm, &n);
		CHECK_EQ_U64(n, 2);
		CHECK_EQ_U64(segs[0].paddr, 0x1000);
		CHECK_EQ_U64(segs[0].vaddr, 0xc0001000);
		CHECK_EQ_U64(segs[0].file_size, 0x3000);
		CHECK_EQ_U64(segs[1].paddr, 0x10000);
		CHECK_EQ_U64(segs[1].mem_size, 0x2000);
		CHECK(read_matches(vm, 0x1000, 16, 1));
		CHECK(read_matches(vm, 0x3ff0, 16, 1));
		CHECK(read_matches(vm, 0x1ffe, 4, 1));	// across cache pages
		CHECK(read_matches(vm, 0x1000, 0x3000, 1));	// direct pread
		CHECK(read_matches(vm, 0x11234, 100, 2));
		CHECK(vmcore_file_size(vm) > CORE_DATA_START + 0x5000);
		vmcore_close(vm);
	}
	vmcore_close(NULL);
}

static void test_unknown_machine(void)
{
	struct core c;
	char path[256], want[512];
	make_good(&c, true, RD_LITTLE_ENDIAN, 0x1234);
	core_write(&c, "unknown", 0, path);
	core_free(&c);
	struct warnings w = { 0 };
	struct vmcore *vm = NULL;
	CHECK_OK(vmcore_open(path, on_warn, &w, &vm));
	CHECK_EQ_U64(w.count, 1);
	CHECK_STR(w.last, msg(want, "vmcore: %s: unknown e_machine 4660: assuming 8-byte pointers from the ELF class", path));
	if (vm)
		CHECK_EQ_U64(vmcore_format(vm)->ptr_size, 8);
	vmcore_close(vm);
	// A NULL callback is allowed.
	vm = NULL;
	CHECK_OK(vmcore_open(path, NULL, NULL, &vm));
	vmcore_close(vm);
}

/* Open @path expecting @code and the message "vmcore: PATH: @text". */
#define CHECK_OPEN_ERR(path, code, ...)                                      \
	do {                                                                 \
		char want_[1024], text_[400];                                 \
		struct vmcore *vm_ = NULL;                                   \
		snprintf(text_, sizeof(text_), __VA_ARGS__);                 \
		snprintf(want_, sizeof(want_), "vmcore: %s: %s", (path),     \
			 text_);                                             \
		CHECK_ERR(vmcore_open((path), NULL, NULL, &vm_), (code),     \
			  want_);                                            \
		CHECK(vm_ == NULL);                                          \
	} while (0)


/*
 * A note that does not fit ends its segment: the core opens, keeps the
 * @notes notes before it and warns once with this text.
 */
#define CHECK_OPEN_NOTE_WARN(path, notes, ...)                               \
	do {                                                                 \
		char want_[1024], text_[400];                                \
		struct vmcore *vm_ = NULL;                                   \
		struct warnings w_ = { 0 };                                  \
		snprintf(text_, sizeof(text_), __VA_ARGS__);                 \
		snprintf(want_, sizeof(want_),                               \
			 "vmcore: %s: %s; ignoring the rest of the segment", \
			 (path), text_);                                     \
		CHECK_OK(vmcore_open((path), on_warn, &w_, &vm_));           \
		CHECK_EQ_U64(w_.count, 1);                                   \
		CHECK_STR(w_.last, want_);                                   \
		if (vm_) {                                                   \
			size_t n_ = 0;                                       \
			vmcore_notes(vm_, &n_);                              \
			CHECK_EQ_U64(n_, (notes));                           \
			vmcore_close(vm_);                                   \
		}                                                            \
	} while (0)

static void test_bad_headers(void)
{
	struct core c;
	char path[256];

	make_good(&c, true, RD_LITTLE_ENDIAN, EM_X86_64);
	core_write(&c, "short", 2, path);
	CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT, "not an ELF file (2 bytes long)");
	core_write(&c, "empty", 0, path);
	truncate(path, 0);
	CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT, "not an ELF file (0 bytes long)");
	core_write(&c, "ident", 10, path);
	CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT,
		       "truncated in the ELF header: the file has 10 bytes");
	core_write(&c, "ehdr", 40, path);
	CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT,
		       "truncated in the ELF header: the file has 40 bytes, an ELF64 header needs 64");
	c.data[3] = 0;
	memcpy(c.data, "\x7f" "EL", 3);
	{
		// core_write rewrites the magic: write this one by hand.
		snprintf(path, sizeof(path), "%s/magic", test_dir);
		FILE *f = fopen(path, "wb");
		fwrite("\x7f" "EL\0\2\1\1", 1, 7, f);
		fwrite(c.data + 7, 1, 100, f);
		fclose(f);
		CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT,
			       "not an ELF file (magic 7f 45 4c 00)");
	}
	core_free(&c);

	make_good(&c, true, RD_LITTLE_ENDIAN, EM_X86_64);
	c.ident_class = 3;
	core_write(&c, "class", 0, path);
	CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT,
		       "EI_CLASS 3 is neither ELFCLASS32 nor ELFCLASS64");
	c.ident_class = ELFCLASS64;
	c.ident_data = 0;
	core_write(&c, "data", 0, path);
	CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT,
		       "EI_DATA 0 is neither ELFDATA2LSB nor ELFDATA2MSB");
	c.ident_data = ELFDATA2LSB;
	c.ident_version = 2;
	core_write(&c, "version", 0, path);
	CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT, "EI_VERSION 2 is not EV_CURRENT");
	c.ident_version = EV_CURRENT;
	c.e_type = ET_EXEC;
	core_write(&c, "exec", 0, path);
	CHECK_OPEN_ERR(path, CRASH_ERR_UNSUPPORTED, "e_type 2 is not ET_CORE");
	c.e_type = ET_CORE;

	// Program headers: none, too many, wrong size, past EOF, truncated.
	c.phnum_override = 0;
	core_write(&c, "phnum0", 0, path);
	CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT,
		       "e_phnum is 0: a core needs program headers");
	c.phnum_override = -1;
	c.phentsize = 32;
	core_write(&c, "phentsize", 0, path);
	CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT,
		       "e_phentsize 32 is not 56 for ELF64");
	c.phentsize = sizeof(Elf64_Phdr);
	c.phoff = 0x100000;
	core_write(&c, "phoff", 0, path);
	CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT,
		       "program headers at e_phoff 0x100000 (3 x 56 bytes) extend past the end of the file (0x%zx bytes)",
		       c.size);
	c.phoff = sizeof(Elf64_Ehdr);
	core_write(&c, "phdrs", 64 + 56 + 10, path);
	CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT,
		       "program headers at e_phoff 0x40 (3 x 56 bytes) extend past the end of the file (0x82 bytes)");
	core_free(&c);

	// ELF32: the header needs 52 bytes.
	make_good(&c, false, RD_BIG_ENDIAN, EM_PPC);
	core_write(&c, "ehdr32", 51, path);
	CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT,
		       "truncated in the ELF header: the file has 51 bytes, an ELF32 header needs 52");
	c.phentsize = 56;
	core_write(&c, "phentsize32", 0, path);
	CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT,
		       "e_phentsize 56 is not 32 for ELF32");
	core_free(&c);

	char want[512];
	snprintf(path, sizeof(path), "%s/does-not-exist", test_dir);
	CHECK_ERR(vmcore_open(path, NULL, NULL, &(struct vmcore *){ NULL }),
		  CRASH_ERR_OS,
		  msg(want, "vmcore: %s: open: No such file or directory", path));
}

/* e_phnum PN_XNUM: the count is in section 0's sh_info. */
static void test_extended_phnum(void)
{
	struct core c;
	char path[256];
	make_good(&c, true, RD_LITTLE_ENDIAN, EM_X86_64);
	c.xnum = true;
	core_write(&c, "xnum", 0, path);
	core_free(&c);
	struct vmcore *vm = NULL;
	CHECK_OK(vmcore_open(path, NULL, NULL, &vm));
	if (vm) {
		size_t n;
		vmcore_segments(vm, &n);
		CHECK_EQ_U64(n, 2);
		CHECK(read_matches(vm, 0x1000, 0x3000, 1));
		vmcore_close(vm);
	}
	// Section 0 past the end of the file.
	make_good(&c, true, RD_LITTLE_ENDIAN, EM_X86_64);
	c.xnum = true;
	c.xnum_shoff = 0x7fffffff;
	core_write(&c, "xnum-bad", 0, path);
	core_free(&c);
	CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT,
		       "e_phnum is PN_XNUM but section 0 at e_shoff 0x7fffffff is not inside the file (0x%zx bytes)",
		       c.size);
	// A count in sh_info that does not fit the file is not clamped.
	make_good(&c, true, RD_LITTLE_ENDIAN, EM_X86_64);
	c.xnum = true;
	c.xnum_count = 1000;
	core_write(&c, "xnum-count", 0, path);
	CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT,
		       "program headers at e_phoff 0x40 (1000 x 56 bytes) extend past the end of the file (0x%zx bytes)",
		       c.size);
	core_free(&c);
}

static void test_bad_notes(void)
{
	struct core c;
	char path[256];

	// Notes cut off by the end of the file.
	make_good(&c, true, RD_LITTLE_ENDIAN, EM_X86_64);
	core_write(&c, "notes-cut", CORE_DATA_START + 100, path);
	CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT,
		       "PT_NOTE 0: p_offset 0x1000 + p_filesz 0x%zx extends past the end of the file (0x%x bytes)",
		       (size_t)c.ph[0].filesz, CORE_DATA_START + 100);
	// A huge PT_NOTE is refused before any allocation.
	c.ph[0].filesz = 0x7fffffff00;
	core_write(&c, "notes-huge", 0, path);
	CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT,
		       "PT_NOTE 0: p_filesz 0x7fffffff00 exceeds the limit of 0x4000000");
	core_free(&c);

	// Two PT_NOTEs of 48 MiB each pass the limit together (sparse file).
	core_init(&c, true, RD_LITTLE_ENDIAN, EM_X86_64);
	core_phdr(&c, PT_NOTE, 0x1000, 0, 0, 48 << 20, 48 << 20);
	core_phdr(&c, PT_NOTE, 0x1000, 0, 0, 48 << 20, 48 << 20);
	core_write(&c, "notes-total", 0, path);
	truncate(path, 0x1000 + (48 << 20));
	CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT,
		       "PT_NOTE 1: the PT_NOTE segments hold more than the limit of 0x4000000 bytes");
	core_free(&c);

	// PT_NOTE with p_filesz 0: no notes, no VMCOREINFO, still a core.
	core_init(&c, true, RD_LITTLE_ENDIAN, EM_X86_64);
	core_phdr(&c, PT_NOTE, 0x1000, 0, 0, 0, 0);
	core_load(&c, 0, 0, 0x1000, 0x1000, 0);
	core_write(&c, "notes-empty", 0, path);
	core_free(&c);
	struct vmcore *vm = NULL;
	CHECK_OK(vmcore_open(path, NULL, NULL, &vm));
	if (vm) {
		size_t n = 9;
		vmcore_notes(vm, &n);
		CHECK_EQ_U64(n, 0);
		CHECK_EQ_U64(vmcore_cpu_count(vm), 0);
		const char *text = NULL;
		size_t size = 0;
		CHECK(vmcore_vmcoreinfo(vm, &text, &size) == &crash_not_found);
		CHECK(text == NULL);
		vmcore_close(vm);
	}

	// n_namesz near 2^32.
	core_init(&c, true, RD_LITTLE_ENDIAN, EM_X86_64);
	core_note(&c, "CORE", NT_PRSTATUS, "abcd", 4);
	core_note_words(&c, 3, 0xfffffffcu, 4u, 1u);
	core_note_words(&c, 2, 0u, 0u);
	core_flush_notes(&c, 0);
	core_write(&c, "namesz", 0, path);
	CHECK_OPEN_NOTE_WARN(path, 1,
		       "PT_NOTE 0: note 1 n_namesz 0xfffffffc exceeds the 8 bytes left in the segment");
	core_free(&c);

	// n_descsz near 2^32, in an ELF32 big-endian core, second PT_NOTE.
	core_init(&c, false, RD_BIG_ENDIAN, EM_PPC);
	core_note(&c, "CORE", NT_PRSTATUS, "abcd", 4);
	core_flush_notes(&c, 0);
	core_note_words(&c, 3, 5u, 0xffffffffu, 0u);
	memcpy(c.notes + c.notes_size, "VMCOREINFO", 8);
	c.notes_size += 8;
	core_flush_notes(&c, 4096);
	core_write(&c, "descsz", 0, path);
	CHECK_OPEN_NOTE_WARN(path, 1,
		       "PT_NOTE 1: note 0 n_descsz 0xffffffff exceeds the 4096 bytes left in the segment");
	core_free(&c);

	// The brief's example: n_descsz 0x7fffff00 with 4096 bytes left.
	core_init(&c, true, RD_LITTLE_ENDIAN, EM_X86_64);
	core_phdr(&c, PT_LOAD, 0x1000, 0, 0, 0, 0);
	core_note(&c, "CORE", NT_PRSTATUS, "abcd", 4);
	core_note(&c, "CORE", NT_PRSTATUS, "abcd", 4);
	core_note(&c, "CORE", NT_PRSTATUS, "abcd", 4);
	core_note_words(&c, 3, 11u, 0x7fffff00u, 0u);
	memcpy(c.notes + c.notes_size, "VMCOREINFO", 11);
	c.notes_size += 12;
	core_flush_notes(&c, 4096);
	core_write(&c, "descsz2", 0, path);
	CHECK_OPEN_NOTE_WARN(path, 3,
		       "PT_NOTE 1: note 3 n_descsz 0x7fffff00 exceeds the 4096 bytes left in the segment");
	core_free(&c);

	// A header cut short by the segment's end (not zero padding).
	core_init(&c, true, RD_LITTLE_ENDIAN, EM_X86_64);
	core_note(&c, "CORE", NT_PRSTATUS, "abcd", 4);
	core_note_words(&c, 2, 5u, 5u);
	core_flush_notes(&c, 0);
	core_write(&c, "short-header", 0, path);
	CHECK_OPEN_NOTE_WARN(path, 1,
		       "PT_NOTE 0: note 1 header needs 12 bytes, 8 left in the segment");
	core_free(&c);
}

static void test_notes_layouts(void)
{
	struct core c;
	char path[256], want[512];
	static const char second[] = "OSRELEASE=second\n";

	// Several PT_NOTEs, zero-padded tails (long and short), duplicate
	// VMCOREINFO, odd name and desc sizes, a note with an empty name.
	core_init(&c, false, RD_LITTLE_ENDIAN, EM_386);
	core_note(&c, "CORE", NT_PRSTATUS, "abcde", 5);
	core_note(&c, "VMCOREINFO", 0, vmcoreinfo_text,
		  sizeof(vmcoreinfo_text) - 1);
	core_flush_notes(&c, 64);
	core_note(&c, "CORE", NT_PRSTATUS, "ab", 2);
	core_note(&c, "CORE", 2, "fpu", 3);	// NT_PRFPREG: not a CPU
	core_note_words(&c, 3, 0u, 4u, 7u);
	core_note_words(&c, 1, 0x01020304u);
	core_flush_notes(&c, 8);
	core_note(&c, "VMCOREINFO", 0, second, sizeof(second) - 1);
	core_flush_notes(&c, 0);
	core_load(&c, 0, 0, 0x100, 0x100, 0);
	core_write(&c, "layouts", 0, path);
	core_free(&c);

	struct warnings w = { 0 };
	struct vmcore *vm = NULL;
	CHECK_OK(vmcore_open(path, on_warn, &w, &vm));
	if (!vm)
		return;
	CHECK_EQ_U64(w.count, 1);
	CHECK_STR(w.last, msg(want, "vmcore: %s: 2 VMCOREINFO notes: using the first, at file offset 0x%x",
			      path, CORE_DATA_START + 12 + 8 + 8));
	size_t n;
	const struct vmcore_note *notes = vmcore_notes(vm, &n);
	CHECK_EQ_U64(n, 6);
	CHECK_EQ_U64(vmcore_cpu_count(vm), 2);
	CHECK_STR(notes[0].name, "CORE");
	CHECK_EQ_U64(notes[0].desc_size, 5);
	CHECK(memcmp(notes[0].desc, "abcde", 5) == 0);
	CHECK_STR(notes[3].name, "CORE");
	CHECK_EQ_U64(notes[3].type, 2);
	CHECK_STR(notes[4].name, "");
	CHECK_EQ_U64(notes[4].type, 7);
	CHECK_EQ_U64(notes[4].desc_size, 4);
	CHECK_STR(notes[5].name, "VMCOREINFO");
	const char *text = NULL;
	size_t size = 0;
	CHECK_OK(vmcore_vmcoreinfo(vm, &text, &size));
	CHECK_EQ_U64(size, sizeof(vmcoreinfo_text) - 1);
	CHECK(text && memcmp(text, vmcoreinfo_text, size) == 0);
	vmcore_close(vm);
}

static void test_loads(void)
{
	struct core c;
	char path[256], want[512];

	// Unsorted, overlapping, zero-filled and zero-size PT_LOADs:
	//   0: [0x20000, 0x22000)  file 0x1000, zero-fill to 0x22000   tag 1
	//   1: [0x4000, 0x6000)    "kernel text" over segment 3        tag 2
	//   2: [0x0, 0x8000)       p_filesz 0: all zero, under 1 and 3
	//   3: [0x0, 0x10000)      the direct map                      tag 3
	//   4: zero-size at 0x50000
	//   5: [0x21000, 0x23000)  file bytes over segment 0's zero fill tag 4
	core_init(&c, true, RD_BIG_ENDIAN, EM_PPC64);
	core_note(&c, "CORE", NT_PRSTATUS, "abcd", 4);
	core_flush_notes(&c, 0);
	core_load(&c, 0x20000, 0, 0x1000, 0x2000, 1);
	core_load(&c, 0x4000, 0xffffffff81000000, 0x2000, 0x2000, 2);
	core_load(&c, 0x0, 0, 0, 0x8000, 9);
	core_load(&c, 0x0, 0xffff880000000000, 0x10000, 0x10000, 3);
	core_load(&c, 0x50000, 0, 0, 0, 9);
	core_load(&c, 0x21800, 0, 0x1800, 0x1800, 4);
	core_write(&c, "loads", 0, path);
	core_free(&c);

	struct warnings w = { 0 };
	struct vmcore *vm = NULL;
	CHECK_OK(vmcore_open(path, on_warn, &w, &vm));
	if (!vm)
		return;
	CHECK_EQ_U64(w.count, 0);
	size_t n;
	const struct vmcore_segment *segs = vmcore_segments(vm, &n);
	CHECK_EQ_U64(n, 6);
	CHECK_EQ_U64(segs[0].paddr, 0x20000);	// file order kept
	CHECK_EQ_U64(segs[4].mem_size, 0);
	// Overlaps: file bytes win; among them, the first segment.
	CHECK(read_matches(vm, 0x0, 0x4000, 3));
	CHECK(read_matches(vm, 0x4000, 0x2000, 2));
	CHECK(read_matches(vm, 0x3ff8, 16, 3) == false);
	CHECK(read_matches(vm, 0x3ff8, 8, 3));
	CHECK(read_matches(vm, 0x6000, 0xa000, 3));
	// Zero fill of segment 0 where segment 5 has no bytes.
	uint8_t buf[0x3000];
	memset(buf, 0xee, sizeof(buf));
	CHECK_OK(vmcore_read_phys(vm, 0x20ff0, buf, 0x20));
	CHECK(read_matches(vm, 0x20ff0, 0x10, 1));
	bool zeros = true;
	for (size_t i = 0x10; i < 0x20; i++)
		zeros = zeros && buf[i] == 0;
	CHECK(zeros);
	CHECK(read_matches(vm, 0x21800, 0x1800, 4));
	// One read across file bytes, zero fill and another segment.
	CHECK_OK(vmcore_read_phys(vm, 0x20000, buf, 0x3000));
	bool ok = true;
	for (size_t i = 0; i < 0x3000; i++) {
		uint64_t a = 0x20000 + i;
		uint8_t want_byte = a < 0x21000 ? pattern(a, 1) :
				    a < 0x21800 ? 0 : pattern(a, 4);
		ok = ok && buf[i] == want_byte;
	}
	CHECK(ok);
	// Faults: in a gap, after the end, across the end of a segment.
	struct crash_error *err = vmcore_read_phys(vm, 0x10000, buf, 1);
	CHECK(err && err->address == 0x10000);
	CHECK_ERR(err, CRASH_ERR_FAULT,
		  msg(want, "vmcore: %s: physical address 0x10000 is not in the dump", path));
	err = vmcore_read_phys(vm, 0xfff0, buf, 0x20);
	CHECK(err && err->address == 0x10000);
	CHECK_ERR(err, CRASH_ERR_FAULT,
		  msg(want, "vmcore: %s: physical address 0x10000 is not in the dump", path));
	err = vmcore_read_phys(vm, 0x22ff0, buf, 0x2000);
	CHECK(err && err->address == 0x23000);
	CHECK_ERR(err, CRASH_ERR_FAULT,
		  msg(want, "vmcore: %s: physical address 0x23000 is not in the dump", path));
	err = vmcore_read_phys(vm, UINT64_MAX - 4, buf, 16);
	CHECK_ERR(err, CRASH_ERR_FAULT,
		  msg(want, "vmcore: %s: physical address 0xfffffffffffffffb is not in the dump", path));
	CHECK_OK(vmcore_read_phys(vm, 0x99999, buf, 0));
	vmcore_close(vm);
}

static void test_truncated_loads(void)
{
	struct core c;
	char path[256], want[512];
	core_init(&c, true, RD_LITTLE_ENDIAN, EM_X86_64);
	core_note(&c, "CORE", NT_PRSTATUS, "abcd", 4);
	core_flush_notes(&c, 0);
	core_load(&c, 0x0, 0, 0x2000, 0x2000, 1);
	// 0x3000 file bytes, then zero fill to 0x4000; the file ends inside.
	core_load(&c, 0x100000, 0, 0x3000, 0x4000, 2);
	core_load(&c, 0x200000, 0, 0x1000, 0x1000, 3);
	size_t cut = (size_t)c.ph[2].offset + 0x1800;
	core_write(&c, "truncated", cut, path);
	core_free(&c);

	struct warnings w = { 0 };
	struct vmcore *vm = NULL;
	CHECK_OK(vmcore_open(path, on_warn, &w, &vm));
	if (!vm)
		return;
	CHECK_EQ_U64(w.count, 1);
	CHECK_STR(w.last, msg(want, "vmcore: %s: 2 of 3 PT_LOAD segments extend past the end of the file (0x2800 bytes missing): reads there fail",
			      path));
	size_t n;
	const struct vmcore_segment *segs = vmcore_segments(vm, &n);
	CHECK_EQ_U64(segs[1].file_size, 0x1800);
	CHECK_EQ_U64(segs[1].mem_size, 0x4000);
	CHECK_EQ_U64(segs[2].file_size, 0);
	CHECK(read_matches(vm, 0x100000, 0x1800, 2));
	uint8_t buf[0x2000];
	struct crash_error *err = vmcore_read_phys(vm, 0x1017f0, buf, 0x20);
	CHECK(err && err->address == 0x101800);
	CHECK_ERR(err, CRASH_ERR_FAULT,
		  msg(want, "vmcore: %s: physical address 0x101800: PT_LOAD 2 is truncated at file offset 0x%zx",
		      path, cut));
	// The zero fill past p_filesz is still zeros, not missing.
	memset(buf, 1, 16);
	CHECK_OK(vmcore_read_phys(vm, 0x103000, buf, 16));
	CHECK(buf[0] == 0 && buf[15] == 0);
	err = vmcore_read_phys(vm, 0x200000, buf, 1);
	CHECK(err && err->address == 0x200000);
	crash_error_destroy(err);
	vmcore_close(vm);
}

static void test_bad_loads(void)
{
	struct core c;
	char path[256], want[512];
	core_init(&c, true, RD_LITTLE_ENDIAN, EM_X86_64);
	core_note(&c, "CORE", NT_PRSTATUS, "abcd", 4);
	core_flush_notes(&c, 0);
	core_load(&c, 0xfffffffffffff000, 0, 0x1000, 0x1000, 1);
	core_write(&c, "load-wrap", 0, path);
	CHECK_OPEN_ERR(path, CRASH_ERR_CORRUPT,
		       "PT_LOAD 1: p_paddr 0xfffffffffffff000 + p_memsz 0x1000 passes the end of the address space");
	core_free(&c);
	// p_filesz > p_memsz is repaired with a warning.
	core_init(&c, true, RD_LITTLE_ENDIAN, EM_X86_64);
	core_note(&c, "CORE", NT_PRSTATUS, "abcd", 4);
	core_flush_notes(&c, 0);
	core_load(&c, 0x1000, 0, 0x1000, 0x800, 1);
	core_write(&c, "filesz", 0, path);
	core_free(&c);
	struct warnings w = { 0 };
	struct vmcore *vm = NULL;
	CHECK_OK(vmcore_open(path, on_warn, &w, &vm));
	CHECK_EQ_U64(w.count, 1);
	CHECK_STR(w.last, msg(want, "vmcore: %s: PT_LOAD 1: p_filesz 0x1000 exceeds p_memsz 0x800: using p_memsz",
			      path));
	if (vm) {
		uint8_t b[2];
		CHECK(read_matches(vm, 0x17ff, 1, 1));
		struct crash_error *err = vmcore_read_phys(vm, 0x17ff, b, 2);
		CHECK(err && err->address == 0x1800);
		crash_error_destroy(err);
	}
	vmcore_close(vm);
}

static void test_short_read(void)
{
	struct core c;
	char path[256], want[512];
	make_good(&c, true, RD_LITTLE_ENDIAN, EM_X86_64);
	uint64_t seg1 = c.ph[2].offset;
	core_write(&c, "shrinks", 0, path);
	core_free(&c);
	struct vmcore *vm = NULL;
	CHECK_OK(vmcore_open(path, NULL, NULL, &vm));
	if (!vm)
		return;
	// The file shrinks after open (a copy still being written, a bad disk).
	CHECK(truncate(path, (off_t)seg1 + 0x100) == 0);
	uint8_t buf[0x2000];
	struct crash_error *err = vmcore_read_phys(vm, 0x10000, buf, 0x200);
	CHECK(err && err->address == 0x10100);
	CHECK_ERR(err, CRASH_ERR_FAULT,
		  msg(want, "vmcore: %s: physical address 0x10100: file offset 0x%llx is past the end of the file (short read)",
		      path, (unsigned long long)seg1 + 0x100));
	err = vmcore_read_phys(vm, 0x10000, buf, 0x2000);	// direct pread
	CHECK(err && err->address == 0x10100);
	CHECK_ERR(err, CRASH_ERR_FAULT,
		  msg(want, "vmcore: %s: physical address 0x10100: file offset 0x%llx is past the end of the file (short read)",
		      path, (unsigned long long)seg1 + 0x100));
	CHECK(read_matches(vm, 0x10000, 0x100, 2));
	vmcore_close(vm);
}

/* Write a minimal core from @vm to @name, reopen it, return it. */
static struct vmcore *minimal_round_trip(struct vmcore *vm, const char *name,
					 char *path)
{
	snprintf(path, 256, "%s/%s", test_dir, name);
	CHECK_OK(vmcore_write_minimal(vm, path));
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s.incomplete", path);
	CHECK(access(tmp, F_OK) != 0);
	struct warnings w = { 0 };
	struct vmcore *small = NULL;
	CHECK_OK(vmcore_open(path, on_warn, &w, &small));
	CHECK_EQ_U64(w.count, 0);
	return small;
}

static void test_write_minimal(void)
{
	struct core c;
	char path[256], want[512];
	// ELF64 LE with overlapping segments and zero fill.
	core_init(&c, true, RD_LITTLE_ENDIAN, EM_X86_64);
	uint8_t prstatus[336] = { 9 };
	core_note(&c, "CORE", NT_PRSTATUS, prstatus, sizeof(prstatus));
	core_note(&c, "VMCOREINFO", 0, vmcoreinfo_text,
		  sizeof(vmcoreinfo_text) - 1);
	core_flush_notes(&c, 32);
	core_note(&c, "CORE", NT_PRSTATUS, "xyz", 3);
	core_flush_notes(&c, 0);
	core_load(&c, 0x1000000, 0xffffffff81000000, 0x3000, 0x3000, 1);
	core_load(&c, 0x0, 0xffff888000000000, 0x2400000, 0x2400000, 2);
	core_load(&c, 0x4000000, 0, 0x1000, 0x3000, 3);
	core_write(&c, "big", 0, path);
	core_free(&c);

	struct vmcore *vm = NULL;
	CHECK_OK(vmcore_open(path, NULL, NULL, &vm));
	if (!vm)
		return;
	uint8_t before[4][0x2000], after[0x2000];
	static const struct { uint64_t paddr; size_t size; } reads[] = {
		{ 0x1000ff0, 0x20 },	// text segment, chosen over direct map
		{ 0x5000, 0x2000 },	// direct map, two pages
		{ 0x4000ff8, 0x10 },	// file bytes into zero fill
		{ 0x4002000, 0x10 },	// zero fill only
	};
	CHECK_OK(vmcore_read_phys(vm, 0x100000, after, 16));	// not tracked
	vmcore_track_reads(vm, true);
	for (size_t i = 0; i < 4; i++)
		CHECK_OK(vmcore_read_phys(vm, reads[i].paddr, before[i],
					  reads[i].size));
	vmcore_track_reads(vm, false);
	CHECK_OK(vmcore_read_phys(vm, 0x200000, after, 16));	// not tracked

	struct vmcore *small = minimal_round_trip(vm, "minimal", path);
	if (small) {
		for (size_t i = 0; i < 4; i++) {
			CHECK_OK(vmcore_read_phys(small, reads[i].paddr, after,
						  reads[i].size));
			CHECK(memcmp(before[i], after, reads[i].size) == 0);
		}
		CHECK_EQ_U64(vmcore_machine(small), EM_X86_64);
		CHECK_EQ_U64(vmcore_elf_class(small), ELFCLASS64);
		CHECK_EQ_U64(vmcore_cpu_count(small), 2);
		size_t n, m;
		const struct vmcore_note *a = vmcore_notes(vm, &n);
		const struct vmcore_note *b = vmcore_notes(small, &m);
		CHECK_EQ_U64(m, n);
		for (size_t i = 0; i < n && i < m; i++) {
			CHECK_STR(a[i].name, b[i].name);
			CHECK(a[i].desc_size == b[i].desc_size &&
			      memcmp(a[i].desc, b[i].desc, a[i].desc_size) == 0);
		}
		const char *text;
		size_t size;
		CHECK_OK(vmcore_vmcoreinfo(small, &text, &size));
		// Whole pages are kept, with the source's p_vaddr offsets.
		CHECK(read_matches(small, 0x1000000, 0x2000, 1));
		CHECK(read_matches(small, 0x5000, 0x2000, 2));
		const struct vmcore_segment *segs = vmcore_segments(small, &n);
		bool text_seen = false;
		for (size_t i = 0; i < n; i++) {
			CHECK_EQ_U64(segs[i].file_size, segs[i].mem_size);
			if (segs[i].paddr == 0x1000000 &&
			    segs[i].vaddr == 0xffffffff81000000)
				text_seen = true;
		}
		CHECK(text_seen);
		// What was not read while tracking is not there.
		struct crash_error *err = vmcore_read_phys(small, 0x100000, after, 1);
		CHECK_ERR(err, CRASH_ERR_FAULT,
			  msg(want, "vmcore: %s: physical address 0x100000 is not in the dump", path));
		err = vmcore_read_phys(small, 0x200000, after, 1);
		CHECK(err && err->code == CRASH_ERR_FAULT);
		crash_error_destroy(err);
		vmcore_close(small);
	}

	// Tracking past TRACK_MAX_RANGES merges gaps but keeps every page.
	vmcore_track_reads(vm, true);
	for (uint64_t page = 0; page < 2 * 4100; page += 2)
		CHECK_OK(vmcore_read_phys(vm, 0x100000 + page * 4096, after, 1));
	vmcore_track_reads(vm, false);
	small = minimal_round_trip(vm, "minimal-many", path);
	if (small) {
		bool ok = true;
		for (uint64_t page = 0; page < 2 * 4100; page += 2) {
			uint64_t a = 0x100000 + page * 4096;
			// The kernel-text segment wins over the direct map.
			uint8_t tag = a >= 0x1000000 && a < 0x1003000 ? 1 : 2;
			ok = ok && read_matches(small, a, 4096, tag);
		}
		CHECK(ok);
		CHECK(read_matches(small, 0x5000, 0x2000, 2));	// still there
		size_t n;
		vmcore_segments(small, &n);
		CHECK(n < 4100);	// the gaps were merged
		vmcore_close(small);
	}

	// An unwritable destination fails with the temporary name.
	snprintf(path, sizeof(path), "%s/no-such-dir/core", test_dir);
	CHECK_ERR(vmcore_write_minimal(vm, path), CRASH_ERR_OS,
		  msg(want, "vmcore: %s.incomplete: open: No such file or directory",
		      path));
	vmcore_close(vm);
}

static void test_write_minimal_elf32_be(void)
{
	struct core c;
	char path[256];
	make_good(&c, false, RD_BIG_ENDIAN, EM_PPC);
	core_write(&c, "good32", 0, path);
	core_free(&c);
	struct vmcore *vm = NULL;
	CHECK_OK(vmcore_open(path, NULL, NULL, &vm));
	if (!vm)
		return;
	uint8_t before[100], after[100];
	vmcore_track_reads(vm, true);
	CHECK_OK(vmcore_read_phys(vm, 0x3f00, before, 100));
	vmcore_track_reads(vm, false);
	struct vmcore *small = minimal_round_trip(vm, "minimal32", path);
	if (small) {
		CHECK_EQ_U64(vmcore_elf_class(small), ELFCLASS32);
		CHECK_EQ_U64(vmcore_format(small)->byte_order, RD_BIG_ENDIAN);
		CHECK_EQ_U64(vmcore_format(small)->ptr_size, 4);
		CHECK_OK(vmcore_read_phys(small, 0x3f00, after, 100));
		CHECK(memcmp(before, after, 100) == 0);
		size_t n;
		const struct vmcore_segment *segs = vmcore_segments(small, &n);
		CHECK_EQ_U64(n, 1);
		CHECK_EQ_U64(segs[0].paddr, 0x3000);
		CHECK_EQ_U64(segs[0].vaddr, 0xc0003000);
		CHECK_EQ_U64(segs[0].mem_size, 0x1000);
		vmcore_close(small);
	}
	// Nothing tracked: a core with notes only.
	vmcore_close(vm);
	vm = NULL;
	snprintf(path, sizeof(path), "%s/good32", test_dir);
	CHECK_OK(vmcore_open(path, NULL, NULL, &vm));
	if (!vm)
		return;
	small = minimal_round_trip(vm, "notes-only", path);
	if (small) {
		size_t n;
		vmcore_segments(small, &n);
		CHECK_EQ_U64(n, 0);
		CHECK_EQ_U64(vmcore_cpu_count(small), 2);
		vmcore_close(small);
	}
	vmcore_close(vm);
}

/*
 * s390x's kdump kernel writes RAM as one PT_LOAD at p_paddr 0 = p_vaddr 0
 * (the identity map): a minimal core keeps virtual = physical there, while
 * p_vaddr 0 elsewhere still means "no virtual address".
 */
static void test_write_minimal_identity_at_zero(void)
{
	struct core c;
	char path[256];
	core_init(&c, true, RD_BIG_ENDIAN, EM_S390);
	uint8_t prstatus[336] = { 9 };
	core_note(&c, "CORE", NT_PRSTATUS, prstatus, sizeof(prstatus));
	core_note(&c, "VMCOREINFO", 0, vmcoreinfo_text,
		  sizeof(vmcoreinfo_text) - 1);
	core_flush_notes(&c, 0);
	core_load(&c, 0x0, 0x0, 0x10000, 0x10000, 1);
	core_load(&c, 0x20000, 0x0, 0x4000, 0x4000, 2);
	core_write(&c, "s390x", 0, path);
	core_free(&c);
	struct vmcore *vm = NULL;
	CHECK_OK(vmcore_open(path, NULL, NULL, &vm));
	if (!vm)
		return;
	uint8_t buf[16];
	vmcore_track_reads(vm, true);
	CHECK_OK(vmcore_read_phys(vm, 0x5008, buf, sizeof(buf)));
	CHECK_OK(vmcore_read_phys(vm, 0x22008, buf, sizeof(buf)));
	vmcore_track_reads(vm, false);
	struct vmcore *small = minimal_round_trip(vm, "minimal-s390x", path);
	if (small) {
		CHECK_EQ_U64(vmcore_machine(small), EM_S390);
		CHECK_EQ_U64(vmcore_format(small)->byte_order, RD_BIG_ENDIAN);
		size_t n;
		const struct vmcore_segment *segs = vmcore_segments(small, &n);
		CHECK_EQ_U64(n, 2);
		if (n == 2) {
			CHECK_EQ_U64(segs[0].paddr, 0x5000);
			CHECK_EQ_U64(segs[0].vaddr, 0x5000);
			CHECK_EQ_U64(segs[1].paddr, 0x22000);
			CHECK_EQ_U64(segs[1].vaddr, 0);
		}
		CHECK(read_matches(small, 0x5000, 0x1000, 1));
		CHECK(read_matches(small, 0x22000, 0x1000, 2));
		vmcore_close(small);
	}
	vmcore_close(vm);
}

static void remove_test_dir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", test_dir);
}

/* True if @size bytes at @p are segment @tag's bytes from @paddr on. */
static bool bytes_match(const uint8_t *p, uint64_t paddr, size_t size,
			uint8_t tag)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] != pattern(paddr + i, tag))
			return false;
	return true;
}

static void test_map_phys(void)
{
	struct core c;
	char path[256];

	// 0: [0x100000, +9 MiB + 0x800) in the file, zero fill to +0x1000,
	//    so it spans three granules and ends mid-page at the file's end
	//    only after segment 1: tag 1.
	// 1: [0x4000000, +0x3000): tag 2.
	uint64_t big = (9u << 20) + 0x800;
	core_init(&c, true, RD_LITTLE_ENDIAN, EM_X86_64);
	core_note(&c, "CORE", NT_PRSTATUS, "abcd", 4);
	core_flush_notes(&c, 0);
	core_load(&c, 0x4000000, 0, 0x3000, 0x3000, 2);
	core_load(&c, 0x100000, 0, big, big + 0x800, 1);
	core_write(&c, "map", 0, path);
	core_free(&c);

	struct vmcore *vm = NULL;
	CHECK_OK(vmcore_open(path, NULL, NULL, &vm));
	if (!vm)
		return;
	const uint8_t *p = NULL, *q = NULL;
	CHECK_OK(vmcore_map_phys(vm, 0x4000000, 0x3000, &p));
	CHECK(p && bytes_match(p, 0x4000000, 0x3000, 2));
	CHECK_OK(vmcore_map_phys(vm, 0x100000, 0x1000, &q));
	CHECK(q && bytes_match(q, 0x100000, 0x1000, 1));
	// The previous window survives one further call.
	CHECK(p && bytes_match(p, 0x4000000, 0x3000, 2));
	// Across a granule of the file, and a run of 4 MiB.
	CHECK_OK(vmcore_map_phys(vm, 0x100000 + (4u << 20) - 0x2000, 0x4000, &p));
	CHECK(p && bytes_match(p, 0x100000 + (4u << 20) - 0x2000, 0x4000, 1));
	CHECK_OK(vmcore_map_phys(vm, 0x100000 + (3u << 20), 4u << 20, &p));
	CHECK(p && bytes_match(p, 0x100000 + (3u << 20), 4u << 20, 1));
	// The file's last bytes, mid-page.
	CHECK_OK(vmcore_map_phys(vm, 0x100000 + big - 0x1800, 0x1800, &p));
	CHECK(p && bytes_match(p, 0x100000 + big - 0x1800, 0x1800, 1));
	// File bytes are not the zero mapping, nor is nothing.
	CHECK(!vmcore_map_is_zeros(vm, p));
	CHECK(!vmcore_map_is_zeros(vm, NULL));
	// Not mappable: zero fill, past a segment's end, a gap, nothing.
	p = NULL;
	CHECK(vmcore_map_phys(vm, 0x100000 + big - 0x10, 0x20, &p) == &crash_not_found);
	CHECK(vmcore_map_phys(vm, 0x100000 + big, 0x10, &p) == &crash_not_found);
	CHECK(vmcore_map_phys(vm, 0x4002000, 0x2000, &p) == &crash_not_found);
	CHECK(vmcore_map_phys(vm, 0x80000, 0x1000, &p) == &crash_not_found);
	CHECK(vmcore_map_phys(vm, 0x100000, 0, &p) == &crash_not_found);
	CHECK(p == NULL);	// untouched on failure

	// vmcore_file_span(): the same ranges, as a descriptor and offset
	// whose pread() gives the bytes vmcore_read_phys() gives.
	size_t nsegs;
	const struct vmcore_segment *sg = vmcore_segments(vm, &nsegs);
	int sfd = -1;
	uint64_t off = 0;
	CHECK_OK(vmcore_file_span(vm, 0x100000 + 0x3000, 0x2000, &sfd, &off));
	CHECK(nsegs == 2 && off == sg[1].file_offset + 0x3000);
	static uint8_t span[0x2000];
	CHECK(sfd >= 0 && pread(sfd, span, sizeof(span), (off_t)off) == (ssize_t)sizeof(span));
	CHECK(bytes_match(span, 0x100000 + 0x3000, sizeof(span), 1));
	CHECK_OK(vmcore_file_span(vm, 0x100000 + big - 0x1800, 0x1800, &sfd, &off));
	CHECK_OK(vmcore_file_span(vm, 0x4000000, 0x3000, &sfd, &off));
	CHECK(off == sg[0].file_offset);
	sfd = -7;
	CHECK(vmcore_file_span(vm, 0x100000 + big - 0x10, 0x20, &sfd, &off) == &crash_not_found);
	CHECK(vmcore_file_span(vm, 0x4002000, 0x2000, &sfd, &off) == &crash_not_found);
	CHECK(vmcore_file_span(vm, 0x80000, 0x1000, &sfd, &off) == &crash_not_found);
	CHECK(vmcore_file_span(vm, 0x100000, 0, &sfd, &off) == &crash_not_found);
	CHECK(sfd == -7);	// untouched on failure
	vmcore_close(vm);

	// A hole punched into segment 1's file bytes (where the file system
	// can): zeros from the zero mapping, as vmcore_read_phys() reads them;
	// a range half in the hole is left to vmcore_read_phys().
	size_t count;
	CHECK_OK(vmcore_open(path, NULL, NULL, &vm));
	if (!vm)
		return;
	const struct vmcore_segment *segs = vmcore_segments(vm, &count);
	uint64_t fo = segs[1].file_offset;
	uint64_t hole = (fo + (1u << 20) - 1) / (1u << 20) * (1u << 20) + (1u << 20);
	uint64_t hole_paddr = 0x100000 + (hole - fo);
	int fd = open(path, O_RDWR);
	bool punched = fd >= 0 && fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					   (off_t)hole, 2u << 20) == 0;
	if (fd >= 0)
		close(fd);
	if (punched) {
		static uint8_t buf[1u << 20];
		CHECK_OK(vmcore_map_phys(vm, hole_paddr, 1u << 20, &p));
		bool zero = p != NULL;
		for (size_t i = 0; zero && i < (1u << 20); i++)
			zero = p[i] == 0;
		CHECK(zero);
		CHECK(vmcore_map_is_zeros(vm, p));
		CHECK_OK(vmcore_read_phys(vm, hole_paddr, buf, sizeof(buf)));
		CHECK(p && memcmp(p, buf, sizeof(buf)) == 0);
		p = NULL;
		CHECK(vmcore_map_phys(vm, hole_paddr - 0x1000, 0x2000, &p) == &crash_not_found);
		CHECK_OK(vmcore_read_phys(vm, hole_paddr - 0x1000, buf, 0x2000));
		CHECK(bytes_match(buf, hole_paddr - 0x1000, 0x1000, 1) &&
		      buf[0x1000] == 0 && buf[0x1fff] == 0);
		// The file cut short after open, at the hole's start: SEEK_DATA
		// says ENXIO there as for a hole, but those bytes are gone now,
		// not zeros.
		CHECK(truncate(path, (off_t)hole) == 0);
		p = NULL;
		CHECK(vmcore_map_phys(vm, hole_paddr, 0x1000, &p) == &crash_not_found);
		CHECK(p == NULL);
	}
	vmcore_close(vm);
}

int main(void)
{
	snprintf(test_dir, sizeof(test_dir), "/tmp/vmcore_test.XXXXXX");
	if (!mkdtemp(test_dir)) {
		perror("mkdtemp");
		return 2;
	}
	RUN(test_good_cores);
	RUN(test_unknown_machine);
	RUN(test_bad_headers);
	RUN(test_extended_phnum);
	RUN(test_bad_notes);
	RUN(test_notes_layouts);
	RUN(test_loads);
	RUN(test_truncated_loads);
	RUN(test_bad_loads);
	RUN(test_short_read);
	RUN(test_map_phys);
	RUN(test_write_minimal);
	RUN(test_write_minimal_elf32_be);
	RUN(test_write_minimal_identity_at_zero);
	remove_test_dir();
	return test_summary("vmcore_test");
}
