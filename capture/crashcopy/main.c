/*
 * crashcopy - filter, compress and write a vmcore as a dump that crash,
 * makedumpfile, libkdumpfile and drgn open (doc/crashcopy.8).
 *
 * The flow, in one pass over the input:
 *  1. open the ELF core; VMCOREINFO gives PAGESIZE, CRASHTIME,
 *     NUMBER(phys_base), OSRELEASE; the translation layer validates a
 *     mapping and reads init_uts_ns for the header's utsname;
 *  2. max_mapnr = the pfn just past the highest PT_LOAD; the RAM bitmap has
 *     a bit per pfn any PT_LOAD touches;
 *  3. the dump bitmap starts as the RAM bitmap; page_filter_window() drops
 *     what the level allows, a window of pfns at a time (memory bounded);
 *  4. the writer gets the headers and bitmaps, then every dumpable page in
 *     pfn order: read in large contiguous runs, all-zero pages (level bit 1)
 *     pointed at the shared zero block, the rest through the codec.  A
 *     machine whose bitmaps exceed one window (window_pfns()) is filtered
 *     twice: a first pass counts the dumpable pages (the descriptor table
 *     comes before the data), the second gives the writer each window's
 *     bitmaps and then its pages (copy_windows()): memory does not grow
 *     with RAM;
 *  5. a page that cannot be read is "lost" (its pfn is reported) and the
 *     copy goes on; the dump is then marked incomplete.
 *
 * main() is the only place that prints errors and knows exit codes
 * (doc/crashcopy.8 "EXIT STATUS"):
 *   0 ok, 1 usage, 2 input unreadable, 5 output failed, 6 dump incomplete.
 * Exit 6 always means the header's incomplete flag is set: pages that could
 * not be read (the file is complete otherwise and is renamed to NAME), or a
 * stop by SIGINT/SIGTERM (a file stays NAME.incomplete; a stream still gets
 * its end marker).  Exit 5 leaves NAME.incomplete, flagged, as far as the
 * output took it.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../../crashdmesg/output.h"
#include "../../crashdmesg/printk.h"
#include "../../lib/cli_size.h"
#include "../../lib/error.h"
#include "../../lib/fd_io.h"
#include "../../lib/sha256.h"
#include "../../lib/vmcore.h"
#include "../../lib/vmcore_xen.h"
#include "../../lib/vmcore_xlat.h"
#include "../../lib/vmcoreinfo.h"
#include "../../lib/xlat.h"
#include "codec.h"
#include "dump_sink.h"
#include "elf_writer.h"
#include "kdump_writer.h"
#include "map_guard.h"
#include "page_filter.h"
#include "progress.h"
#include "xen_filter.h"

#ifndef CRASHKIT_VERSION
#define CRASHKIT_VERSION "0.1"
#endif

enum exit_code {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_UNREADABLE = 2,
	EXIT_OUTPUT = 5,
	EXIT_INCOMPLETE = 6,
};

static const char program[] = "crashcopy";

/* Page sizes of the supported architectures: 4 KiB to 256 KiB (hexagon). */
enum { PAGE_SIZE_MIN = 4096, PAGE_SIZE_MAX = 256 << 10 };
/* pfns classified per page_filter_window() call: 128 KiB of keep bits. */
enum { FILTER_WINDOW_PFNS = 1 << 20 };
/* A windowed kdump copy's bitmaps without --max-memory: 32 MiB each. */
enum { WINDOW_BITMAP_DEFAULT = 32 << 20 };
/*
 * Default bytes read from the vmcore at once: a run (kdump_pipeline() P2).
 * Three runs in flight of 512 KiB were as fast as of 1 MiB, with 3 MiB less
 * RSS.
 */
enum { READ_CHUNK_DEFAULT = 512 << 10 };
/* Largest bitmap without --max-memory: 512 MiB, 2^32 pfns. */
static const uint64_t bitmap_size_default_max = 512ULL << 20;
/* Lost pfns named in the report; the rest are counted. */
enum { LOST_PFNS_SHOWN = 8 };
/* --num-threads beyond this compress with this many threads. */
enum { KDUMP_THREADS_MAX = 64 };
/*
 * Without --num-threads: a worker per CPU we may run on, up to this many
 * (past it the main thread's reading and writing is the limit).
 */
enum { AUTO_THREADS_MAX = 8 };

/* Set by SIGINT/SIGTERM; the copy loop stops at the next page. */
static volatile sig_atomic_t stop_signal;

enum output_format { FORMAT_KDUMP, FORMAT_ELF };

struct options {
	const char *vmcore_path;
	const char *output_path;	/* NULL or "-": stdout, flattened */
	unsigned int dump_level;
	enum codec_kind codec;
	enum output_format format;
	bool flat;
	bool reassemble;
	bool dump_dmesg;
	bool overwrite;
	bool progress;
	bool json;
	uint64_t max_memory;		/* 0: no limit */
	unsigned int threads;		/* compress workers, 0 and 1: one */
	bool threads_given;		/* --num-threads, else auto_threads() */
	bool non_mmap;			/* read() only, as makedumpfile --non-mmap */
	bool force_mmap;		/* --mmap: map a saved core too */
	bool buffered_io;		/* --no-direct-io: no O_DIRECT output */
	bool xen_filter;		/* -X: Xen + dom0 frames only */
	bool estimate;			/* --estimate: no output, a size guess */
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s [OPTIONS] VMCORE OUTPUT\n"
"       %s -F [OPTIONS] VMCORE > STREAM    (or OUTPUT '-')\n"
"       %s -R OUTPUT < STREAM\n"
"       %s --dump-dmesg VMCORE OUTPUT\n"
"       %s --estimate [-d LEVEL] [-c|-l|-z] VMCORE\n"
"Filter, compress and write the ELF core VMCORE as a kdump-compressed dump\n"
"(or a filtered ELF core) that crash, makedumpfile and libkdumpfile open.\n"
"\n"
"  -d LEVEL            exclude pages (0-31, makedumpfile's bits): 1 zero,\n"
"                      2 cache without private, 4 all cache, 8 user, 16 free\n"
"  -c | -l | -z        compress pages with zlib | lzo | zstd (default: none)\n"
"  -E                  write a filtered ELF core instead (no compression)\n"
"  -F                  write the flattened stream to stdout\n"
"  -R                  reassemble a flattened stream from stdin into OUTPUT\n"
"  -f                  overwrite OUTPUT if it exists\n"
"  -X                  Xen dump: keep Xen's and dom0's frames, drop domU\n"
"                      and free frames (Xen's frame_table)\n"
"  --dump-dmesg        write the kernel log (vmcore-dmesg layout) to OUTPUT\n"
"  --num-threads N     compress with N threads (at most 64), written in order\n"
"  --message-level N   accepted and ignored (makedumpfile compatibility)\n"
"  --progress          percent, MB/s and ETA on stderr (default on a tty)\n"
"  --max-memory SIZE   bound the read buffer and filter window (K, M, G)\n"
"  --non-mmap          read the vmcore with read() only, never mmap()\n"
"  --mmap              map a saved core as /proc/vmcore is mapped (a disk\n"
"                      error under the mapping still loses only its page)\n"
"  --no-direct-io      write OUTPUT through the page cache only (default:\n"
"                      its bulk with O_DIRECT on ext2/3/4 and XFS)\n"
"  --estimate          write nothing: print the expected size of the dump\n"
"                      as one JSON object (filter run, 1 page in 64 compressed)\n"
"  --json              a one-object summary on stdout (stderr when the\n"
"                      dump goes to stdout)\n"
"  -h, --help          this help\n"
"  -v, --version       print the version\n"
"\n"
"Output goes to OUTPUT.incomplete (mode 0600), fsynced and renamed.\n"
"Exit status: 0 ok, 1 usage, 2 input unreadable, 5 output failed,\n"
"6 dump incomplete (pages lost or interrupted; the header says so).\n",
		program, program, program, program, program);
}

static void print_error(const char *what, const struct crash_error *err)
{
	if (what)
		fprintf(stderr, "%s: %s: %s\n", program, what, err->message);
	else
		fprintf(stderr, "%s: %s\n", program, err->message);
}

/* The compress workers a kdump copy starts for --num-threads / auto. */
static unsigned int compress_workers(const struct options *o)
{
	return o->threads < 1 ? 1
	       : o->threads < KDUMP_THREADS_MAX ? o->threads : KDUMP_THREADS_MAX;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum {
		OPT_NUM_THREADS = 256, OPT_MESSAGE_LEVEL, OPT_DUMP_DMESG,
		OPT_PROGRESS, OPT_MAX_MEMORY, OPT_JSON, OPT_NON_MMAP, OPT_MMAP,
		OPT_ESTIMATE, OPT_NO_DIRECT_IO,
	};
	static const struct option longopts[] = {
		{"num-threads", required_argument, NULL, OPT_NUM_THREADS},
		{"message-level", required_argument, NULL, OPT_MESSAGE_LEVEL},
		{"dump-dmesg", no_argument, NULL, OPT_DUMP_DMESG},
		{"progress", no_argument, NULL, OPT_PROGRESS},
		{"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
		{"json", no_argument, NULL, OPT_JSON},
		{"non-mmap", no_argument, NULL, OPT_NON_MMAP},
		{"mmap", no_argument, NULL, OPT_MMAP},
		{"estimate", no_argument, NULL, OPT_ESTIMATE},
		{"no-direct-io", no_argument, NULL, OPT_NO_DIRECT_IO},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	int c, codecs = 0;
	uint64_t v;

	o->threads = 1;
	while ((c = getopt_long(argc, argv, "d:clzEFRfhvX", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!cli_parse_size(optarg, &v) || v > 31) {
				fprintf(stderr, "%s: -d: '%s' is not a dump level from 0 to 31\n",
					program, optarg);
				return EXIT_USAGE;
			}
			o->dump_level = (unsigned)v;
			break;
		case 'c': o->codec = CODEC_ZLIB; codecs++; break;
		case 'l': o->codec = CODEC_LZO; codecs++; break;
		case 'z': o->codec = CODEC_ZSTD; codecs++; break;
		case 'E': o->format = FORMAT_ELF; break;
		case 'F': o->flat = true; break;
		case 'R': o->reassemble = true; break;
		case 'f': o->overwrite = true; break;
		case 'X': o->xen_filter = true; break;
		case OPT_NUM_THREADS:
			if (!cli_parse_size(optarg, &v) || v > 1024) {
				fprintf(stderr, "%s: --num-threads: '%s' is not a number from 0 to 1024\n",
					program, optarg);
				return EXIT_USAGE;
			}
			o->threads = (unsigned)v;
			o->threads_given = true;
			break;
		case OPT_MESSAGE_LEVEL:
			if (!cli_parse_size(optarg, &v) || v > 31) {
				fprintf(stderr, "%s: --message-level: '%s' is not a number from 0 to 31\n",
					program, optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_DUMP_DMESG: o->dump_dmesg = true; break;
		case OPT_PROGRESS: o->progress = true; break;
		case OPT_MAX_MEMORY:
			if (!cli_parse_size(optarg, &v) || v < (1 << 20)) {
				fprintf(stderr, "%s: --max-memory: '%s' is not a size of at least 1M\n",
					program, optarg);
				return EXIT_USAGE;
			}
			o->max_memory = v;
			break;
		case OPT_JSON: o->json = true; break;
		case OPT_NON_MMAP: o->non_mmap = true; break;
		case OPT_MMAP: o->force_mmap = true; break;
		case OPT_ESTIMATE: o->estimate = true; break;
		case OPT_NO_DIRECT_IO: o->buffered_io = true; break;
		case 'h': usage(stdout); exit(EXIT_OK);
		case 'v': printf("%s %s\n", program, CRASHKIT_VERSION); exit(EXIT_OK);
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (codecs > 1) {
		fprintf(stderr, "%s: -c, -l and -z exclude each other\n", program);
		return EXIT_USAGE;
	}
	if (codecs && o->format == FORMAT_ELF) {
		fprintf(stderr, "%s: -E writes no compressed pages: drop -c/-l/-z\n", program);
		return EXIT_USAGE;
	}
	if (o->estimate && (o->reassemble || o->dump_dmesg || o->flat ||
			    o->format == FORMAT_ELF)) {
		fprintf(stderr, "%s: --estimate sizes a kdump-compressed dump: drop -R, -F, -E and --dump-dmesg\n",
			program);
		return EXIT_USAGE;
	}
	if (o->reassemble) {
		if (argc - optind != 1) {
			fprintf(stderr, "%s: -R takes exactly one OUTPUT (the stream is read from stdin)\n",
				program);
			return EXIT_USAGE;
		}
		o->output_path = argv[optind];
		return EXIT_OK;
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: no VMCORE given\n", program);
		usage(stderr);
		return EXIT_USAGE;
	}
	o->vmcore_path = argv[optind++];
	if (o->estimate) {
		if (optind < argc) {
			fprintf(stderr, "%s: --estimate writes no OUTPUT: drop '%s'\n",
				program, argv[optind]);
			return EXIT_USAGE;
		}
		return EXIT_OK;
	}
	if (optind < argc)
		o->output_path = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", program, argv[optind]);
		return EXIT_USAGE;
	}
	if (o->output_path && strcmp(o->output_path, "-") == 0) {
		o->output_path = NULL;
		o->flat = true;
	}
	if (o->dump_dmesg) {
		if (!o->output_path && !o->flat) {
			fprintf(stderr, "%s: --dump-dmesg needs an OUTPUT\n", program);
			return EXIT_USAGE;
		}
		return EXIT_OK;
	}
	if (o->flat && o->output_path) {
		fprintf(stderr, "%s: -F writes to stdout: drop OUTPUT '%s' or use '>'\n",
			program, o->output_path);
		return EXIT_USAGE;
	}
	if (!o->flat && !o->output_path) {
		fprintf(stderr, "%s: no OUTPUT given (use -F or '-' for stdout)\n", program);
		return EXIT_USAGE;
	}
	if (o->flat && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "%s: -F: stdout is a terminal\n", program);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* lib/ warnings: one line each on stderr, after the program name. */
static void warn_stderr(void *arg, const char *message)
{
	(void)arg;
	fprintf(stderr, "%s: warning: %s\n", program, message);
}

static struct crash_error *read_kv_xlat(void *arg, uint64_t vaddr, void *buf,
					size_t size)
{
	return xlat_read_kv(arg, vaddr, buf, size);
}

/* Everything known about the input, from the vmcore and VMCOREINFO. */
struct input {
	struct vmcore *vm;
	struct vmcoreinfo *vi;
	struct xlat *x;			/* NULL: no validated mapping */
	const struct vmcore_segment *segs;
	size_t seg_count;
	uint32_t page_size;
	uint64_t max_mapnr;
	uint8_t *notes;			/* the PT_NOTE bytes, rebuilt */
	size_t notes_size;
	uint64_t vmcoreinfo_offset, vmcoreinfo_size;
	bool non_mmap;			/* never vmcore_map_phys() */
	struct xen *xen;		/* a Xen machine core, else NULL */
	struct vmcore_xen_dom0 dom0;	/* its dom0 VMCOREINFO, if found */
};

static void input_deinit(struct input *in)
{
	free(in->notes);
	vmcore_xen_dom0_deinit(&in->dom0);
	xen_destroy(in->xen);
	xlat_destroy(in->x);
	vmcoreinfo_destroy(in->vi);
	vmcore_close(in->vm);
}

/*
 * The PT_NOTE bytes for the output, rebuilt from the parsed notes in the
 * kernel's layout (Elf32_Nhdr/Elf64_Nhdr are both three 4-byte words; name
 * and descriptor padded to 4 bytes, as /proc/vmcore's notes are).  Also
 * finds the VMCOREINFO descriptor's offset inside them.
 */
static struct crash_error *build_notes(struct input *in)
{
	size_t count, size = 0;
	const struct vmcore_note *notes = vmcore_notes(in->vm, &count);
	const struct rd_format *f = vmcore_format(in->vm);
	for (size_t i = 0; i < count; i++) {
		size_t namesz = strlen(notes[i].name) + 1;
		size += 12 + ((namesz + 3) & ~(size_t)3) +
			(((size_t)notes[i].desc_size + 3) & ~(size_t)3);
		// vmcore.h caps the notes at VMCORE_MAX_NOTES_SIZE in all.
	}
	// A Xen dump gets dom0's VMCOREINFO as a "VMCOREINFO" note, so that
	// crashdmesg reads the copy without a hint or a scan.
	bool add_dom0 = in->xen && in->dom0.text;
	for (size_t i = 0; i < count && add_dom0; i++)
		if (strcmp(notes[i].name, "VMCOREINFO") == 0)
			add_dom0 = false;
	if (add_dom0)
		size += 12 + 12 + ((in->dom0.size + 3) & ~(size_t)3);
	uint8_t *buf = calloc(1, size ? size : 1);
	if (!buf)
		return &crash_enomem;
	size_t pos = 0;
	if (add_dom0) {
		rd_put_uint(f, buf, 4, 11);
		rd_put_uint(f, buf + 4, 4, in->dom0.size);
		memcpy(buf + 12, "VMCOREINFO", 10);
		memcpy(buf + 24, in->dom0.text, in->dom0.size);
		in->vmcoreinfo_offset = 24;
		in->vmcoreinfo_size = in->dom0.size;
		pos = 24 + ((in->dom0.size + 3) & ~(size_t)3);
	}
	for (size_t i = 0; i < count; i++) {
		size_t namesz = strlen(notes[i].name) + 1;
		rd_put_uint(f, buf + pos, 4, namesz);
		rd_put_uint(f, buf + pos + 4, 4, notes[i].desc_size);
		rd_put_uint(f, buf + pos + 8, 4, notes[i].type);
		pos += 12;
		memcpy(buf + pos, notes[i].name, namesz);
		pos += (namesz + 3) & ~(size_t)3;
		if (!in->vmcoreinfo_size && strcmp(notes[i].name, "VMCOREINFO") == 0) {
			in->vmcoreinfo_offset = pos;
			in->vmcoreinfo_size = notes[i].desc_size;
		}
		memcpy(buf + pos, notes[i].desc, notes[i].desc_size);
		pos += ((size_t)notes[i].desc_size + 3) & ~(size_t)3;
	}
	in->notes = buf;
	in->notes_size = size;
	return NULL;
}

/* Open and understand the input; errors are printed here (exit 2). */
static int input_open(const struct options *o, struct input *in)
{
	struct crash_error *err = vmcore_open(o->vmcore_path, warn_stderr, NULL,
					      &in->vm);
	if (err)
		goto fail;
	const char *text;
	size_t text_size;
	// A Xen machine core: dom0's VMCOREINFO (lib/vmcore_xen.h) gives the
	// page size and the header's kernel; without it, Xen's own.
	err = vmcore_xen_create(in->vm, warn_stderr, &in->xen);
	if (err && !crash_error_catch(&err, CRASH_ERR_NOT_FOUND))
		goto fail;
	if (in->xen) {
		struct vmcore_xen_hints hints = {0};
		if (strcmp(o->vmcore_path, "/proc/vmcore") == 0)
			crash_error_destroy(vmcore_xen_cmdline("/proc/cmdline", &hints));
		err = vmcore_xen_dom0(in->vm, in->xen, NULL, &hints, &in->dom0);
		if (!err) {
			text = in->dom0.text;
			text_size = in->dom0.size;
		} else if (xen_vmcoreinfo(in->xen)) {
			fprintf(stderr, "%s: warning: %s: %s; using Xen's VMCOREINFO\n",
				program, o->vmcore_path, err->message);
			crash_error_destroy(err);
			err = vmcore_vmcoreinfo(in->vm, &text, &text_size);
			if (err && crash_error_catch(&err, CRASH_ERR_NOT_FOUND)) {
				size_t n;
				const struct vmcore_note *nt = vmcore_notes(in->vm, &n);
				for (size_t i = 0; i < n; i++)
					if (strcmp(nt[i].name, "VMCOREINFO_XEN") == 0) {
						text = (const char *)nt[i].desc;
						text_size = nt[i].desc_size;
					}
			}
		}
	} else {
		err = vmcore_vmcoreinfo(in->vm, &text, &text_size);
	}
	if (err) {
		if (err->code == CRASH_ERR_NOT_FOUND) {
			fprintf(stderr, "%s: %s: no VMCOREINFO note: page size and kernel layout unknown\n",
				program, o->vmcore_path);
			return EXIT_UNREADABLE;
		}
		goto fail;
	}
	err = vmcoreinfo_parse(text, text_size, &in->vi);
	if (err)
		goto fail;
	uint64_t page_size;
	err = vmcoreinfo_decimal(in->vi, "PAGESIZE", &page_size);
	if (err)
		goto fail;
	if (page_size < PAGE_SIZE_MIN || page_size > PAGE_SIZE_MAX ||
	    (page_size & (page_size - 1))) {
		fprintf(stderr, "%s: %s: VMCOREINFO PAGESIZE=%" PRIu64
			" is not a power of two from 4096 to 262144\n",
			program, o->vmcore_path, page_size);
		return EXIT_UNREADABLE;
	}
	in->page_size = (uint32_t)page_size;

	in->segs = vmcore_segments(in->vm, &in->seg_count);
	if (!in->seg_count) {
		fprintf(stderr, "%s: %s: no PT_LOAD segments: no memory to copy\n",
			program, o->vmcore_path);
		return EXIT_UNREADABLE;
	}
	for (size_t i = 0; i < in->seg_count; i++) {
		uint64_t end;
		if (__builtin_add_overflow(in->segs[i].paddr, in->segs[i].mem_size, &end) ||
		    end > UINT64_MAX - page_size) {
			fprintf(stderr, "%s: %s: PT_LOAD %zu at 0x%" PRIx64 " size 0x%" PRIx64
				" wraps the physical address space\n", program,
				o->vmcore_path, i, in->segs[i].paddr, in->segs[i].mem_size);
			return EXIT_UNREADABLE;
		}
		end = (end + page_size - 1) / page_size;
		if (end > in->max_mapnr)
			in->max_mapnr = end;
	}
	// Each of the two bitmaps takes a bit per pfn up to the highest
	// PT_LOAD: a lying header must not make us allocate (or write)
	// gigabytes.  bitmap_size_default_max covers 16 TiB of 4 KiB
	// pages; --max-memory raises (or lowers) it to a quarter of its value.
	uint64_t bitmap_max = o->max_memory ? o->max_memory / 4 : bitmap_size_default_max;
	// A kdump copy holds one window of them (copy_windows()): --max-memory
	// does not lower its limit, which bounds the bitmaps it writes.
	if (o->format == FORMAT_KDUMP && !o->estimate &&
	    bitmap_max < bitmap_size_default_max)
		bitmap_max = bitmap_size_default_max;
	if (in->max_mapnr / 8 > bitmap_max) {
		fprintf(stderr, "%s: %s: highest PT_LOAD ends at pfn 0x%" PRIx64
			": a bitmap of %" PRIu64 " MiB exceeds the limit of %" PRIu64
			" MiB (raise --max-memory to 4 times that)\n", program,
			o->vmcore_path, in->max_mapnr, in->max_mapnr / 8 >> 20,
			bitmap_max >> 20);
		return EXIT_UNREADABLE;
	}

	// On a Xen dump the translation is dom0's, through its p2m (for
	// --dump-dmesg and the header's utsname); pfns are machine frames,
	// which dom0's struct pages do not describe: build_bitmaps() filters
	// zero pages and -X only.
	if (in->xen && !in->dom0.text)
		err = crash_error_create(CRASH_ERR_UNSUPPORTED,
					 "Xen dump without dom0's VMCOREINFO: "
					 "no dom0 translation");
	else if (in->xen)
		err = vmcore_xen_dom0_xlat_create(in->vm, in->xen, in->vi,
						  warn_stderr, &in->x);
	else
		err = vmcore_xlat_create(in->vm, in->vi, warn_stderr, &in->x);
	if (err && err->code == CRASH_ERR_NOMEM)
		goto fail;
	if (err) {
		// Not fatal for a copy: the utsname falls back to VMCOREINFO
		// and filtering to zero pages only.
		fprintf(stderr, "%s: warning: %s: %s\n", program, o->vmcore_path,
			err->message);
		crash_error_destroy(err);
		in->x = NULL;
	}
	err = build_notes(in);
	if (err)
		goto fail;
	return EXIT_OK;

fail:
	print_error(o->vmcore_path, err);
	crash_error_destroy(err);
	return EXIT_UNREADABLE;
}

/* The crashed machine's headers' ABI, from e_machine (never the ELF class). */
static bool abi_of_machine(uint16_t machine, unsigned ptr_size,
			   enum kdump_abi *ret)
{
	switch (machine) {
	case EM_386:
		*ret = KDUMP_ABI_ILP32_PACKED;
		return true;
	case EM_ARM:
	case EM_MIPS:
	case EM_PPC:
		*ret = KDUMP_ABI_ILP32_PADDED;
		return true;
	case EM_X86_64:
	case EM_AARCH64:
	case EM_PPC64:
	case EM_S390:
	case EM_RISCV:
		if (ptr_size != 8)
			return false;
		*ret = KDUMP_ABI_LP64;
		return true;
	default:
		return false;
	}
}

/* utsname.machine as the kernel reports it, for the fallback utsname. */
static const char *uts_machine_of(uint16_t machine)
{
	switch (machine) {
	case EM_X86_64: return "x86_64";
	case EM_386: return "i686";
	case EM_AARCH64: return "aarch64";
	case EM_ARM: return "arm";
	case EM_PPC64: return "ppc64le";
	case EM_PPC: return "ppc";
	case EM_S390: return "s390x";
	case EM_RISCV: return "riscv64";
	case EM_MIPS: return "mips";
	default: return "unknown";
	}
}

/*
 * The header's utsname: init_uts_ns when the mapping validated, else
 * "Linux", OSRELEASE and the machine name (crash checks utsname.machine).
 */
static void fill_utsname(const struct input *in, uint8_t *uts)
{
	const uint8_t *mem = in->x ? xlat_utsname(in->x) : NULL;
	memset(uts, 0, XLAT_UTSNAME_SIZE);
	if (mem) {
		memcpy(uts, mem, XLAT_UTSNAME_SIZE);
		return;
	}
	const char *release = vmcoreinfo_get(in->vi, "OSRELEASE");
	const size_t field = XLAT_UTSNAME_FIELD_SIZE;
	memcpy(uts, "Linux", 5);
	if (release)
		strncpy((char *)uts + 2 * field, release, field - 1);
	strncpy((char *)uts + 4 * field, uts_machine_of(vmcore_machine(in->vm)),
		field - 1);
	fprintf(stderr, "%s: warning: init_uts_ns not read: header utsname from VMCOREINFO\n",
		program);
}

static inline bool bit_test(const uint8_t *map, uint64_t bit)
{
	return map[bit >> 3] >> (bit & 7) & 1;
}

static inline void bit_set(uint8_t *map, uint64_t bit)
{
	map[bit >> 3] |= (uint8_t)(1u << (bit & 7));
}

static inline void bit_clear(uint8_t *map, uint64_t bit)
{
	map[bit >> 3] &= (uint8_t)~(1u << (bit & 7));
}

/* Set the bits of [first, last] in @map. */
static void bit_set_range(uint8_t *map, uint64_t first, uint64_t last)
{
	while (first <= last && (first & 7)) {
		bit_set(map, first);
		first++;
	}
	if (first <= last && last - first + 1 >= 8) {
		uint64_t bytes = (last - first + 1) / 8;
		memset(map + first / 8, 0xff, bytes);
		first += bytes * 8;
	}
	for (; first <= last; first++)
		bit_set(map, first);
}

static uint64_t bit_count(const uint8_t *map, uint64_t bits)
{
	uint64_t n = 0, i;
	for (i = 0; i + 64 <= bits; i += 64) {
		uint64_t w;
		memcpy(&w, map + i / 8, 8);
		n += (uint64_t)__builtin_popcountll(w);
	}
	for (; i < bits; i++)
		n += bit_test(map, i);
	return n;
}

static bool page_is_zero(const uint8_t *p, size_t size)
{
	return p[0] == 0 && memcmp(p, p + 1, size - 1) == 0;
}

/* How a copy went, for the last line and --json. */
struct copy_stats {
	uint64_t ram_pages, dumpable_pages, done_pages, zero_pages;
	uint64_t lost_pages, lost_pfns[LOST_PFNS_SHOWN];
	uint64_t bitmap_windows;	/* windows of the kdump copy (1: whole) */
	uint64_t output_size;	/* bytes of page data written */
	uint64_t shared_pages;	/* kdump_writer.c K10 */
	struct page_filter_counts filtered;
	const char *filter_fallback;
	bool interrupted, complete;
	double seconds;
};

static void note_lost(struct copy_stats *st, uint64_t pfn,
		      const struct crash_error *err)
{
	if (st->lost_pages < LOST_PFNS_SHOWN)
		st->lost_pfns[st->lost_pages] = pfn;
	if (st->lost_pages == 0)
		fprintf(stderr, "%s: warning: pfn 0x%" PRIx64 " lost: %s\n",
			program, pfn, err->message);
	st->lost_pages++;
}

/*
 * Read one page that a bulk read could not: first whole, then (a
 * fractional page at a PT_LOAD edge) the parts some PT_LOAD holds, the
 * rest zero.  Errors: the whole-page read's error.
 */
static struct crash_error *read_page(struct input *in, uint64_t pfn,
				     uint8_t *buf)
{
	uint64_t lo = pfn * in->page_size, hi = lo + in->page_size;
	struct crash_error *err = vmcore_read_phys(in->vm, lo, buf, in->page_size);
	if (!err || err->code != CRASH_ERR_FAULT)
		return err;
	memset(buf, 0, in->page_size);
	bool any = false;
	for (size_t i = 0; i < in->seg_count; i++) {
		const struct vmcore_segment *s = &in->segs[i];
		uint64_t a = s->paddr > lo ? s->paddr : lo;
		uint64_t b = s->paddr + s->mem_size < hi ? s->paddr + s->mem_size : hi;
		if (a >= b)
			continue;
		struct crash_error *e2 = vmcore_read_phys(in->vm, a, buf + (a - lo),
							  (size_t)(b - a));
		if (e2) {
			crash_error_destroy(e2);
			return err;
		}
		any = true;
	}
	if (!any)
		return err;
	crash_error_destroy(err);
	return NULL;
}

/*
 * for_each_page(): the dumpable pages in pfn order, in runs of up to
 * @chunk bytes (next_run()); @fn gets each page in order (NULL when it
 * could not be read, with the read error).  Stops early on a signal or when
 * @fn fails.  The kdump copy has its own pipelined loop (kdump_pipeline()).
 */
typedef struct crash_error *page_fn(void *arg, uint64_t pfn,
				    const uint8_t *page,
				    const struct crash_error *read_err);

/*
 * Bits of pfns [start, end): bit (pfn - start) of @bits, LSB first; start
 * a multiple of 64, @bits padded to whole 8-byte words.  The whole
 * bitmap, or one window of a windowed kdump copy.
 */
struct bitmap_view {
	const uint8_t *bits;
	uint64_t start, end;
};

/*
 * The first pfn at or after @pfn whose bit is set in @v, or v->end.
 * Bounded by the view; zero words are skipped whole (views start on
 * multiples of 64 pfns, bitmaps are padded to 8 bytes).
 */
static uint64_t bitmap_next_set(const struct bitmap_view *v, uint64_t pfn)
{
	if (pfn < v->start)
		pfn = v->start;
	while (pfn < v->end) {
		uint64_t bit = pfn - v->start;
		if (!(bit & 63) && pfn + 64 <= v->end) {
			uint64_t w;
			memcpy(&w, v->bits + bit / 8, 8);
			if (!w) {
				pfn += 64;
				continue;
			}
		}
		if (bit_test(v->bits, bit))
			return pfn;
		pfn++;
	}
	return v->end;
}

/*
 * One run of dumpable pages: pfns [pfn, pfn + count) at @pages.  A
 * deferred run is not read yet: its pages are the file's bytes at
 * @file_offset of @fd, for the compress workers to pread() into @pages
 * (kdump_pipeline() P7).
 */
struct page_run {
	uint64_t pfn, count;
	const uint8_t *pages;
	bool zeros;	/* a hole of a sparse core: every page is zero */
	bool deferred;
	int fd;
	uint64_t file_offset;
};

/*
 * The next run of set bits of @map at or after *@cursor, up to
 * @chunk_pages long: borrowed from an mmap() window when it lies in one
 * PT_LOAD's file bytes (no copy), else read into @buf, page by page after a
 * failed bulk read (perrs[i] the error of page i, NULL if read).  With
 * @defer, a run of stored file bytes that is not mapped is left unread, as
 * a deferred run at @buf.  The window stays valid across one more call
 * (VMCORE_MAP_WINDOWS is 2), which the pipelined copy relies on.  False at
 * the end of the map.
 */
static bool next_run(struct input *in, const struct bitmap_view *map,
		     uint64_t *cursor, uint8_t *buf, uint64_t chunk_pages,
		     bool defer, struct crash_error **perrs,
		     struct page_run *ret)
{
	uint64_t pfn = bitmap_next_set(map, *cursor);
	if (pfn >= map->end) {
		*cursor = pfn;
		return false;
	}
	uint64_t n = 1;
	while (n < chunk_pages && pfn + n < map->end &&
	       bit_test(map->bits, pfn + n - map->start))
		n++;
	const uint8_t *pages = NULL;
	*ret = (struct page_run){.pfn = pfn, .count = n};
	if ((in->non_mmap ||
	     vmcore_map_phys(in->vm, pfn * in->page_size, n * in->page_size, &pages)) &&
	    defer &&
	    !vmcore_file_span(in->vm, pfn * in->page_size, n * in->page_size,
			      &ret->fd, &ret->file_offset)) {
		ret->deferred = true;
		pages = buf;
	} else if (!pages) {
		pages = buf;
		struct crash_error *rerr = vmcore_read_phys(
			in->vm, pfn * in->page_size, buf, n * in->page_size);
		if (rerr) {
			// Page by page: one bad page must not cost its run.
			for (uint64_t i = 0; i < n; i++)
				perrs[i] = read_page(in, pfn + i, buf + i * in->page_size);
			crash_error_destroy(rerr);
		}
	}
	*cursor = pfn + n;
	ret->pages = pages;
	ret->zeros = vmcore_map_is_zeros(in->vm, pages);
	return true;
}

static void perrs_clear(struct crash_error **perrs, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		crash_error_destroy(perrs[i]);
		perrs[i] = NULL;
	}
}

static struct crash_error *for_each_page(struct input *in, const uint8_t *bits,
					 uint8_t *buf, size_t chunk,
					 struct progress *prog, uint64_t *done,
					 page_fn *fn, void *arg)
{
	uint64_t chunk_pages = chunk / in->page_size, cursor = 0;
	const struct bitmap_view map = {.bits = bits, .end = in->max_mapnr};
	struct crash_error *err = NULL;
	struct crash_error **perrs = calloc(chunk_pages, sizeof(*perrs));
	struct page_run run;
	if (!perrs)
		return &crash_enomem;
	while (!err && !stop_signal &&
	       next_run(in, &map, &cursor, buf, chunk_pages, false, perrs, &run)) {
		for (uint64_t i = 0; i < run.count && !err; i++)
			err = fn(arg, run.pfn + i,
				 perrs[i] ? NULL : run.pages + i * in->page_size, perrs[i]);
		perrs_clear(perrs, run.count);
		*done += run.count;
		progress_update(prog, *done * in->page_size);
	}
	free(perrs);
	return err;
}

/*
 * The part of a page's handling that reads it: the zero check, the codec,
 * and a copy of the payload out of the mapping (map_guard.h G1).  Run
 * through map_guard_run(), so a SIGBUS abandons it and loses the page.
 */
struct page_job {
	const uint8_t *page;
	uint32_t page_size;
	bool zero_check;
	struct codec *codec;	/* NULL: the zero check only */
	uint8_t *copy_to;	/* NULL, or where the payload goes (codec_bound()) */
	bool raw_in_place;	/* with copy_to: a raw page's payload is @page */
	// Results.
	bool zero;
	const uint8_t *payload;
	uint32_t size, flags;
	struct crash_error *err;
};

static void page_job_run(void *arg)
{
	struct page_job *j = arg;
	j->zero = j->zero_check && page_is_zero(j->page, j->page_size);
	if (j->zero || !j->codec)
		return;
	if (j->copy_to && j->raw_in_place) {
		size_t n = codec_compress_into(j->codec, j->page, j->copy_to);
		j->payload = n ? j->copy_to : j->page;
		j->size = n ? (uint32_t)n : j->page_size;
		j->flags = n ? codec_flag(j->codec) : 0;
	} else if (j->copy_to) {
		j->err = codec_page_into(j->codec, j->page, j->copy_to, &j->size,
					 &j->flags);
		j->payload = j->copy_to;
	} else {
		j->err = codec_page(j->codec, j->page, &j->payload, &j->size,
				    &j->flags);
	}
}

/*
 * The kdump copy is a pipeline.  The main thread finds and maps (or reads)
 * the next runs and hands finished ones to the writer, while compress
 * workers (--num-threads of them, by default one per CPU: auto_threads())
 * zero-check and compress the runs in flight into per-page slots; a file
 * sink's own thread then writes.
 *  P1. Each worker has its own codec and touches only the pages it claimed
 *      and their slots: pages are claimed CLAIM_PAGES at a time from the
 *      set's atomic counter, so a worker that drew incompressible or zero
 *      pages (quick) takes more (a fixed split left one idle: -z with two
 *      workers took 14-16 % longer).
 *  P2. Up to SLOT_SETS runs are in flight, each in a slot set of its own
 *      (read buffer, slots).  The workers serve the published sets in
 *      order, each moving on to the next as soon as the current one has no
 *      page left to claim: no worker waits for another at a set's end.  A
 *      set is complete when every worker has left it; only then does the
 *      main thread read its slots, write them and reuse the set.  (With
 *      two sets and a barrier after each, -d 1 -l kept 1.4 of two CPUs
 *      busy: a 1 MiB run was a quarter of a millisecond of work, about what
 *      waking the workers and waiting for the slower one cost.)
 *  P3. A run's mapped pages stay valid while it is compressed: at most
 *      SLOT_SETS runs are mapped at once, no more than vmcore_map_phys()
 *      keeps windows (VMCORE_MAP_WINDOWS), and a new run is mapped only
 *      after the oldest one was written.
 *  P4. Pages reach the writer in pfn order whatever the thread count, and
 *      compression is per page: the output is byte-identical.
 *  P5. A raw page of a run read into the set's buffer is written from the
 *      buffer itself (SLOT_RAW_IN_RUN), which stays untouched until the
 *      set's slots are written.  A mapped run's raw pages are copied into
 *      their slots under the guard (map_guard.h G1): a mapping may still
 *      raise SIGBUS (a disk error under a saved core; a machine check on
 *      poisoned memory under /proc/vmcore) and the writer reads unguarded.
 *  P6. A run that is a hole of a sparse saved core (vmcore_map_is_zeros())
 *      is all zero pages: with level bit 1 the main thread marks it so
 *      and the workers never see it.
 *  P7. With two workers or more, a run of a saved core that is not mapped
 *      is read by the workers, each pread()ing the pages it claims into the
 *      set's buffer (vmcore_file_span()): the copy out of the page cache,
 *      as much CPU as the compression at -d 1 -l, is shared instead of
 *      holding up the main thread (with one worker, the main thread's read
 *      already runs beside it).  Pages a worker could not read whole (an
 *      I/O error, a file cut short) are SLOT_UNREAD; once the set is
 *      complete the main thread reads them page by page (read_page(),
 *      which may find a lost page) and compresses them itself, with a codec
 *      of its own (the workers are busy with the next sets).
 * If no worker thread can be started, the main thread compresses each run
 * itself before writing it.
 */
enum slot_kind {
	SLOT_DATA, SLOT_RAW_IN_RUN, SLOT_ZERO, SLOT_LOST, SLOT_LOST_SIGBUS,
	SLOT_UNREAD,	/* P7: for the main thread to read and compress */
};

/* Runs in flight (P2, P3). */
enum { SLOT_SETS = 3 };
_Static_assert((int)SLOT_SETS <= (int)VMCORE_MAP_WINDOWS,
	       "P3: each run in flight keeps a mapping window");

/* One run in flight: its pages, read errors and compressed slots. */
struct slot_set {
	struct page_run run;
	uint8_t *buf;		/* the run when it could not be mapped */
	struct crash_error **perrs;
	uint8_t *out;		/* slot i at out + i * slot_size */
	uint32_t *sizes, *flags;
	uint8_t *kinds;
	_Atomic uint64_t claim;	/* the next unclaimed page (P1) */
	bool to_workers;	/* published to the workers (P2) */
	unsigned int left;	/* workers done with it, under the pool lock */
};

/* One thread's pass over a set's pages (P1). */
struct compress_slice {
	struct codec *codec;
	struct slot_set *set;
	_Atomic uint64_t *claim;	/* the set's next unclaimed page */
	uint64_t count;			/* pages to claim up to */
	uint32_t page_size;
	size_t slot_size;
	bool zero_check;
	bool raw_in_place;	/* P5 */
	struct crash_error *err;
};

/* Pages a worker claims at a time: few enough to keep the workers even. */
enum { CLAIM_PAGES = 16 };

/*
 * P7: pread() pages [first, end) of a deferred run into the set's buffer;
 * false if they did not all arrive.
 */
static bool deferred_read(const struct slot_set *set, uint32_t page_size,
			  uint64_t first, uint64_t end)
{
	size_t want = (size_t)((end - first) * page_size), got;
	return fd_pread_full(set->run.fd, set->buf + first * page_size, want,
			     set->run.file_offset + first * page_size, &got) == 0 &&
	       got == want;
}

static void compress_slice_run(struct compress_slice *c)
{
	struct slot_set *set = c->set;
	while (!c->err) {
		uint64_t i = atomic_fetch_add_explicit(c->claim, CLAIM_PAGES,
						       memory_order_relaxed);
		if (i >= c->count)
			break;
		uint64_t end = c->count - i < CLAIM_PAGES ? c->count : i + CLAIM_PAGES;
		if (set->run.deferred && !deferred_read(set, c->page_size, i, end)) {
			memset(set->kinds + i, SLOT_UNREAD, (size_t)(end - i));
			continue;
		}
		for (; i < end && !c->err; i++) {
			if (set->perrs[i]) {
				set->kinds[i] = SLOT_LOST;
				continue;
			}
			// G1: the page is read, the slot written; a SIGBUS
			// loses it.
			struct page_job j = {
				.page = set->run.pages + i * c->page_size,
				.page_size = c->page_size,
				.zero_check = c->zero_check, .codec = c->codec,
				.copy_to = set->out + i * c->slot_size,
				.raw_in_place = c->raw_in_place,
			};
			if (!map_guard_run(page_job_run, &j)) {
				set->kinds[i] = SLOT_LOST_SIGBUS;
				continue;
			}
			set->kinds[i] = j.zero ? SLOT_ZERO
					: j.payload == j.page ? SLOT_RAW_IN_RUN
					: SLOT_DATA;
			set->sizes[i] = j.size;
			set->flags[i] = j.flags;
			c->err = j.err;
		}
	}
}

struct kdump_copy;

struct pool_worker {
	struct kdump_copy *k;
	unsigned int index;
};

struct kdump_copy {
	struct kdump_writer *w;
	bool zero_pages;	/* level bit 1 */
	enum codec_kind codec;
	uint32_t page_size;
	size_t slot_size;	/* codec_bound(): a page or LZO's worst case */
	struct copy_stats *st;
	struct slot_set sets[SLOT_SETS];
	unsigned int threads;		/* worker codecs */
	unsigned int started;		/* worker threads running */
	struct codec *codecs[KDUMP_THREADS_MAX];
	struct codec *fixup_codec;	/* P7, made when first needed */
	pthread_t tids[KDUMP_THREADS_MAX];
	struct pool_worker workers[KDUMP_THREADS_MAX];
	// The pool (P2), under lock: the sets published to the workers are
	// numbered from 0, published counts them, and ring[n % SLOT_SETS]
	// is the index of set number n (a worker can lag at most SLOT_SETS
	// sets behind).  errs[t] is worker t's first error (NOMEM only).
	pthread_mutex_t lock;
	pthread_cond_t go, done;
	bool pool_ready;		/* lock and conditions initialised */
	uint64_t published;
	uint8_t ring[SLOT_SETS];
	struct crash_error *errs[KDUMP_THREADS_MAX];
	bool stop;
};

/* @set as seen by a thread compressing with @codec. */
static struct compress_slice kdump_slice(const struct kdump_copy *k,
					 struct slot_set *set,
					 struct codec *codec)
{
	return (struct compress_slice){
		.codec = codec, .set = set,
		.claim = &set->claim, .count = set->run.count,
		.page_size = k->page_size, .slot_size = k->slot_size,
		.zero_check = k->zero_pages,
		// P5: a run read into the set's buffer cannot fault.
		.raw_in_place = set->run.pages == set->buf,
	};
}

static void *pool_worker_run(void *arg)
{
	struct pool_worker *pw = arg;
	struct kdump_copy *k = pw->k;
	uint64_t n = 0;		/* the number of the next set to serve */
	pthread_mutex_lock(&k->lock);
	for (;;) {
		while (k->published == n && !k->stop)
			pthread_cond_wait(&k->go, &k->lock);
		if (k->stop)
			break;
		struct slot_set *set = &k->sets[k->ring[n % SLOT_SETS]];
		bool failed = k->errs[pw->index] != NULL;
		pthread_mutex_unlock(&k->lock);
		// After an error the worker only leaves the sets: the main
		// thread stops at the next one it waits for.
		struct compress_slice c = kdump_slice(k, set, k->codecs[pw->index]);
		if (!failed)
			compress_slice_run(&c);
		pthread_mutex_lock(&k->lock);
		if (c.err)
			k->errs[pw->index] = c.err;
		if (++set->left == k->started)
			pthread_cond_signal(&k->done);
		n++;
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

/* Start @set: publish it to the workers (P2), or compress it here. */
static void kdump_pool_submit(struct kdump_copy *k, struct slot_set *set)
{
	// Published to the workers by the lock below.
	atomic_store_explicit(&set->claim, 0, memory_order_relaxed);
	set->left = 0;
	set->to_workers = false;
	// P6: a hole's pages are zero without looking, and waking the
	// workers for them cost more than the check (a sparse 64 GiB core
	// spent half its time switching threads).
	if (k->zero_pages && set->run.zeros) {
		memset(set->kinds, SLOT_ZERO, set->run.count);
		return;
	}
	if (!k->started) {
		struct compress_slice c = kdump_slice(k, set, k->codecs[0]);
		compress_slice_run(&c);
		// Reported by the next kdump_pool_wait(), first error first.
		if (k->errs[0])
			crash_error_destroy(c.err);
		else
			k->errs[0] = c.err;
		return;
	}
	set->to_workers = true;
	pthread_mutex_lock(&k->lock);
	k->ring[k->published % SLOT_SETS] = (uint8_t)(set - k->sets);
	k->published++;
	pthread_cond_broadcast(&k->go);
	pthread_mutex_unlock(&k->lock);
}

/*
 * Wait until @set is complete (P2: every worker has left it); the first
 * compression error of any worker so far.
 */
static struct crash_error *kdump_pool_wait(struct kdump_copy *k,
					   struct slot_set *set)
{
	struct crash_error *err = NULL;
	unsigned int n = k->started ? k->started : 1;
	if (k->started)
		pthread_mutex_lock(&k->lock);
	while (set->to_workers && set->left < k->started)
		pthread_cond_wait(&k->done, &k->lock);
	for (unsigned int t = 0; t < n; t++) {
		if (k->errs[t] && !err)
			err = k->errs[t];
		else
			crash_error_destroy(k->errs[t]);
		k->errs[t] = NULL;
	}
	if (k->started)
		pthread_mutex_unlock(&k->lock);
	return err;
}

/*
 * P7: read and compress here the pages of the complete @set the workers
 * could not read.
 */
static struct crash_error *kdump_set_fixup(struct kdump_copy *k,
					   struct input *in,
					   struct slot_set *set)
{
	if (!set->run.deferred)
		return NULL;
	// What is left to read, this thread reads: the slice's loop then
	// compresses without reading.
	set->run.deferred = false;
	for (uint64_t i = 0; i < set->run.count; i++) {
		if (set->kinds[i] != SLOT_UNREAD)
			continue;
		if (!k->fixup_codec) {
			struct crash_error *err = codec_create(k->codec, k->page_size,
							       &k->fixup_codec);
			if (err)
				return err;
		}
		set->perrs[i] = read_page(in, set->run.pfn + i,
					  set->buf + i * k->page_size);
		// A slice of page i alone.
		_Atomic uint64_t claim = i;
		struct compress_slice c = kdump_slice(k, set, k->fixup_codec);
		c.claim = &claim;
		c.count = i + 1;
		compress_slice_run(&c);
		if (c.err)
			return c.err;
	}
	return NULL;
}

/* Page @i of @set to the writer, in pfn order (P4). */
static struct crash_error *kdump_slot_write(struct kdump_copy *k,
					    const struct slot_set *set,
					    uint64_t i)
{
	uint64_t pfn = set->run.pfn + i;
	switch (set->kinds[i]) {
	case SLOT_LOST:
		note_lost(k->st, pfn, set->perrs[i]);
		return kdump_writer_lost(k->w, pfn);
	case SLOT_LOST_SIGBUS:
		note_lost(k->st, pfn, &map_guard_sigbus_error);
		return kdump_writer_lost(k->w, pfn);
	case SLOT_ZERO:
		k->st->zero_pages++;
		return kdump_writer_page(k->w, pfn, true, NULL, 0, 0);
	case SLOT_RAW_IN_RUN:
		return kdump_writer_page(k->w, pfn, false,
					 set->run.pages + i * k->page_size,
					 k->page_size, 0);
	default:
		return kdump_writer_page(k->w, pfn, false, set->out + i * k->slot_size,
					 set->sizes[i], set->flags[i]);
	}
}

/*
 * Set up the pipeline: @threads codecs (1 to KDUMP_THREADS_MAX), SLOT_SETS
 * slot sets for runs of @chunk bytes, and the worker threads (as many as
 * start).
 */
static struct crash_error *kdump_copy_init(struct kdump_copy *k,
					   enum codec_kind kind,
					   unsigned int threads, size_t chunk)
{
	size_t pages = chunk / k->page_size;
	k->codec = kind;
	for (unsigned int t = 0; t < threads; t++) {
		struct crash_error *err = codec_create(kind, k->page_size, &k->codecs[t]);
		if (err)
			return err;
		k->threads = t + 1;
	}
	k->slot_size = codec_bound(k->codecs[0]);
	for (int s = 0; s < SLOT_SETS; s++) {
		struct slot_set *set = &k->sets[s];
		set->buf = malloc(chunk);
		set->perrs = calloc(pages, sizeof(*set->perrs));
		set->out = malloc(pages * k->slot_size);
		set->sizes = calloc(pages, sizeof(*set->sizes));
		set->flags = calloc(pages, sizeof(*set->flags));
		set->kinds = calloc(pages, 1);
		if (!set->buf || !set->perrs || !set->out || !set->sizes ||
		    !set->flags || !set->kinds)
			return &crash_enomem;
	}
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->go, NULL);
	pthread_cond_init(&k->done, NULL);
	k->pool_ready = true;
	for (unsigned int t = 0; t < threads; t++) {
		k->workers[t] = (struct pool_worker){.k = k, .index = t};
		if (pthread_create(&k->tids[t], NULL, pool_worker_run, &k->workers[t]))
			break;
		k->started = t + 1;
	}
	return NULL;
}

static void kdump_copy_deinit(struct kdump_copy *k)
{
	if (k->pool_ready) {
		pthread_mutex_lock(&k->lock);
		k->stop = true;
		pthread_cond_broadcast(&k->go);
		pthread_mutex_unlock(&k->lock);
		for (unsigned int t = 0; t < k->started; t++)
			pthread_join(k->tids[t], NULL);
		pthread_cond_destroy(&k->done);
		pthread_cond_destroy(&k->go);
		pthread_mutex_destroy(&k->lock);
	}
	for (unsigned int t = 0; t < k->threads; t++) {
		codec_destroy(k->codecs[t]);
		crash_error_destroy(k->errs[t]);
	}
	codec_destroy(k->fixup_codec);
	for (int s = 0; s < SLOT_SETS; s++) {
		struct slot_set *set = &k->sets[s];
		if (set->perrs)
			perrs_clear(set->perrs, set->run.count);
		free(set->buf);
		free(set->perrs);
		free(set->out);
		free(set->sizes);
		free(set->flags);
		free(set->kinds);
	}
}

/*
 * The pipelined loop (P1-P4): every dumpable page of @map to the writer.
 * Stops on a signal (after the runs in flight), at the first writer or
 * compression error (returned).  Returns with no run in flight.
 */
static struct crash_error *kdump_pipeline(struct input *in,
					  const struct bitmap_view *map,
					  size_t chunk, struct progress *prog,
					  struct kdump_copy *k, uint64_t *done)
{
	uint64_t chunk_pages = chunk / in->page_size, cursor = map->start;
	struct crash_error *err = NULL;
	// P7: with one worker the main thread's read runs beside it instead.
	bool defer = k->started > 1;
	bool more = true;
	unsigned int oldest = 0, in_flight = 0;
	for (;;) {
		// P2, P3: start runs until SLOT_SETS are in flight.
		while (more && !err && in_flight < SLOT_SETS) {
			struct slot_set *set = &k->sets[(oldest + in_flight) % SLOT_SETS];
			more = !stop_signal &&
			       next_run(in, map, &cursor, set->buf, chunk_pages,
					defer, set->perrs, &set->run);
			if (more) {
				kdump_pool_submit(k, set);
				in_flight++;
			}
		}
		if (!in_flight)
			break;
		struct slot_set *set = &k->sets[oldest];
		struct crash_error *werr = kdump_pool_wait(k, set);
		if (!err)
			err = werr;
		else
			crash_error_destroy(werr);
		// After an error the sets still in flight are only waited for
		// (the workers may be writing their slots).
		if (!err)
			err = kdump_set_fixup(k, in, set);
		for (uint64_t i = 0; i < set->run.count && !err; i++)
			err = kdump_slot_write(k, set, i);
		perrs_clear(set->perrs, set->run.count);
		if (!err) {
			*done += set->run.count;
			progress_update(prog, *done * in->page_size);
		}
		set->run.count = 0;
		oldest = (oldest + 1) % SLOT_SETS;
		in_flight--;
	}
	return err;
}

/* ELF: zero pages are excluded before the layout is fixed (spec §3). */
struct zero_scan {
	uint8_t *map;
	uint32_t page_size;
	struct copy_stats *st;
};

static struct crash_error *zero_scan_page(void *arg, uint64_t pfn,
					  const uint8_t *page,
					  const struct crash_error *read_err)
{
	struct zero_scan *z = arg;
	(void)read_err;
	struct page_job j = {.page = page, .page_size = z->page_size,
			     .zero_check = true};
	// A page lost to SIGBUS stays in the plan; the copy loses it.
	if (page && map_guard_run(page_job_run, &j) && j.zero) {
		bit_clear(z->map, pfn);
		z->st->zero_pages++;
	}
	return NULL;
}

/* A memcpy out of a mapping, for map_guard_run(). */
struct mapped_copy {
	uint8_t *dst;
	const uint8_t *src;
	size_t size;
};

static void mapped_copy_run(void *arg)
{
	struct mapped_copy *mc = arg;
	memcpy(mc->dst, mc->src, mc->size);
}

/*
 * Copy the planned ELF loads' file bytes.  A range that cannot be read is
 * retried page by page; an unreadable page is written as zeros and counted
 * lost.  A page the @dump bitmap excludes that the layout still covers (a
 * short excluded run, elf_writer.h (1)) is written as zeros: an excluded
 * page's bytes (a domU's, a free frame's, a user page's) never reach the
 * dump.  Errors: the sink's, NOMEM.
 */
static struct crash_error *elf_copy(struct input *in, struct elf_writer *w,
				    const uint8_t *dump, uint8_t *buf,
				    size_t chunk, struct progress *prog,
				    struct copy_stats *st)
{
	size_t count;
	const struct elf_writer_load *loads = elf_writer_loads(w, &count);
	uint64_t done = 0;
	struct crash_error *err;
	for (size_t i = 0; i < count; i++) {
		const struct elf_writer_load *l = &loads[i];
		uint64_t pos = l->paddr, end = l->paddr + l->file_size;
		while (pos < end) {
			if (stop_signal)
				return NULL;
			size_t n = end - pos < chunk ? (size_t)(end - pos) : chunk;
			const uint8_t *data = buf;
			struct crash_error *rerr = NULL;
			if (in->non_mmap || vmcore_map_phys(in->vm, pos, n, &data)) {
				rerr = vmcore_read_phys(in->vm, pos, buf, n);
			} else {
				// G1, G2: copied out of the mapping under a
				// guard; on SIGBUS read again (page by page on
				// a read error, below).
				struct mapped_copy mc = {.dst = buf, .src = data, .size = n};
				data = buf;
				if (!map_guard_run(mapped_copy_run, &mc))
					rerr = vmcore_read_phys(in->vm, pos, buf, n);
			}
			if (rerr) {
				crash_error_destroy(rerr);
				// Page by page, up to the next page boundary each.
				n = (size_t)((pos / in->page_size + 1) * in->page_size - pos);
				if (n > end - pos)
					n = (size_t)(end - pos);
				rerr = vmcore_read_phys(in->vm, pos, buf, n);
				if (rerr) {
					note_lost(st, pos / in->page_size, rerr);
					crash_error_destroy(rerr);
					memset(buf, 0, n);
				}
			}
			// The bytes are in buf; blank the excluded pages.
			data = buf;
			for (uint64_t p = pos; p < pos + n;) {
				uint64_t pfn = p / in->page_size;
				uint64_t next = (pfn + 1) * in->page_size;
				if (next > pos + n)
					next = pos + n;
				if (pfn >= in->max_mapnr ||
				    !(dump[pfn / 8] >> (pfn % 8) & 1))
					memset(buf + (p - pos), 0, (size_t)(next - p));
				p = next;
			}
			err = elf_writer_data(w, l->file_offset + (pos - l->paddr), data, n);
			if (err)
				return err;
			pos += n;
			done += n;
			st->output_size += n;
			progress_update(prog, done);
		}
	}
	return NULL;
}

/* JSON string: quotes, backslashes and control bytes escaped. */
static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; s && *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void print_json(const struct options *o, const struct input *in,
		       const struct copy_stats *st, struct dump_sink *sink,
		       int rc)
{
	FILE *f = o->output_path ? stdout : stderr;
	fprintf(f, "{\"vmcore\":");
	json_string(f, o->vmcore_path);
	fprintf(f, ",\"output\":");
	if (o->output_path)
		json_string(f, o->output_path);
	else
		fprintf(f, "null");
	fprintf(f, ",\"format\":\"%s\",\"flattened\":%s,\"codec\":\"%s\",\"dump_level\":%u"
		",\"threads\":%u",
		o->format == FORMAT_ELF ? "elf" : "kdump", o->flat ? "true" : "false",
		codec_name(o->codec), o->dump_level,
		o->format == FORMAT_ELF ? 1 : compress_workers(o));
	fprintf(f, ",\"page_size\":%" PRIu32 ",\"max_mapnr\":%" PRIu64
		",\"ram_pages\":%" PRIu64 ",\"dumpable_pages\":%" PRIu64
		",\"written_pages\":%" PRIu64 ",\"zero_pages\":%" PRIu64
		",\"lost_pages\":%" PRIu64 ",\"bitmap_windows\":%" PRIu64,
		in->page_size, in->max_mapnr, st->ram_pages, st->dumpable_pages,
		st->done_pages, st->zero_pages, st->lost_pages, st->bitmap_windows);
	fprintf(f, ",\"excluded\":{\"cache\":%" PRIu64 ",\"cache_private\":%" PRIu64
		",\"user\":%" PRIu64 ",\"free\":%" PRIu64 ",\"hwpoison\":%" PRIu64
		",\"offline\":%" PRIu64 ",\"unaccepted\":%" PRIu64
		",\"kept_kernel_image\":%" PRIu64 "}", st->filtered.cache,
		st->filtered.cache_private, st->filtered.user, st->filtered.free,
		st->filtered.hwpoison, st->filtered.offline, st->filtered.unaccepted,
		st->filtered.kept_image);
	fprintf(f, ",\"filter_fallback\":");
	if (st->filter_fallback)
		json_string(f, st->filter_fallback);
	else
		fprintf(f, "null");
	// The digest of what OUTPUT (or the stream) holds; null when the
	// sink was not finished (interrupted, failed, --dump-dmesg).
	uint8_t digest[SHA256_DIGEST_SIZE];
	char hex[2 * SHA256_DIGEST_SIZE + 1];
	fprintf(f, ",\"output_sha256\":");
	if (sink && dump_sink_sha256(sink, digest)) {
		sha256_hex(digest, hex);
		fprintf(f, "\"%s\"", hex);
	} else {
		fprintf(f, "null");
	}
	fprintf(f, ",\"direct_io_bytes\":%" PRIu64,
		sink ? dump_sink_direct_bytes(sink) : 0);
	fprintf(f, ",\"data_bytes\":%" PRIu64 ",\"shared_pages\":%" PRIu64
		",\"seconds\":%.3f,\"complete\":%s"
		",\"interrupted\":%s,\"exit\":%d}\n", st->output_size,
		st->shared_pages, st->seconds,
		st->complete ? "true" : "false", st->interrupted ? "true" : "false", rc);
	fflush(f);
}

/*
 * --estimate: the size the same options would write, without writing.
 * The filter runs as for a real copy (the same bitmaps, the same counts);
 * then one dumpable page in ESTIMATE_SAMPLE_EVERY (fewer on small dumps,
 * see estimate_sampled(): deterministic and spread over all of memory) is
 * read, zero-checked and compressed as the copy would.  The sample's payload
 * bytes and zero pages are scaled to the dumpable count; the headers,
 * bitmaps and descriptor table are exact (kdump_layout_compute()).  A page
 * that cannot be read counts as a raw page.  The one JSON object goes to
 * stdout; exit 0, or 2 when the input is unreadable.
 */
enum {
	ESTIMATE_SAMPLE_EVERY = 64,
	// Fewer dumpable pages than 64 times this: a denser sample (all of a
	// trimmed core's few pages), since the error grows as the sample
	// shrinks.
	ESTIMATE_SAMPLE_TARGET = 4096,
};

/*
 * Is @pfn in the sample?  A fixed mix of the pfn (splitmix64's finaliser)
 * picks one pfn in @every: deterministic, but blind to strides in memory
 * (a fill pattern every 64 pages, huge pages) that a plain "every 64th"
 * would line up with.
 */
static bool estimate_sampled(uint64_t pfn, uint64_t every)
{
	uint64_t z = pfn + 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z % every == 0;
}

static int estimate(const struct options *o, struct input *in,
		    const uint8_t *dump, const struct copy_stats *st,
		    const struct kdump_header_info *info, uint64_t t_start)
{
	struct codec *codec = NULL;
	struct kdump_layout layout;
	uint32_t ps = in->page_size;
	uint8_t *buf = malloc(ps);
	struct crash_error *err = buf ? codec_create(o->codec, ps, &codec)
				      : &crash_enomem;
	if (!err)
		err = kdump_layout_compute(info, st->dumpable_pages, &layout);
	if (err) {
		print_error(o->vmcore_path, err);
		crash_error_destroy(err);
		codec_destroy(codec);
		free(buf);
		return EXIT_UNREADABLE;
	}
	uint64_t sampled = 0, sampled_zero = 0, sampled_bytes = 0;
	uint64_t every = st->dumpable_pages / ESTIMATE_SAMPLE_TARGET;
	every = every < 1 ? 1 : every > ESTIMATE_SAMPLE_EVERY ? ESTIMATE_SAMPLE_EVERY : every;
	const struct bitmap_view all = {.bits = dump, .end = in->max_mapnr};
	for (uint64_t pfn = bitmap_next_set(&all, 0); pfn < all.end && !stop_signal;
	     pfn = bitmap_next_set(&all, pfn + 1)) {
		if (!estimate_sampled(pfn, every))
			continue;
		const uint8_t *page = NULL;
		if (in->non_mmap || vmcore_map_phys(in->vm, pfn * ps, ps, &page)) {
			struct crash_error *rerr = read_page(in, pfn, buf);
			page = rerr ? NULL : buf;
			crash_error_destroy(rerr);
		}
		sampled++;
		if (!page) {
			sampled_bytes += ps;
			continue;
		}
		struct page_job j = {.page = page, .page_size = ps,
				     .zero_check = o->dump_level & 1, .codec = codec};
		if (!map_guard_run(page_job_run, &j)) {
			sampled_bytes += ps;
			continue;
		}
		if (j.zero) {
			sampled_zero++;
			continue;
		}
		err = j.err;
		if (err) {
			print_error(NULL, err);
			crash_error_destroy(err);
			codec_destroy(codec);
			free(buf);
			return EXIT_UNREADABLE;
		}
		sampled_bytes += j.size;
	}
	codec_destroy(codec);
	free(buf);
	// Scaled in floating point: counts up to 2^52 pages stay exact enough.
	double scale = sampled ? (double)st->dumpable_pages / (double)sampled : 0;
	uint64_t zero = (uint64_t)(sampled_zero * scale + 0.5);
	uint64_t data = (uint64_t)(sampled_bytes * scale + 0.5);
	uint64_t bytes = layout.data_offset + (info->shared_zero_page ? ps : 0) + data;
	printf("{\"pages_total\":%" PRIu64 ",\"pages_kept\":%" PRIu64
	       ",\"pages_excluded\":{\"zero\":%" PRIu64 ",\"cache\":%" PRIu64
	       ",\"cache_private\":%" PRIu64 ",\"user\":%" PRIu64 ",\"free\":%" PRIu64
	       ",\"hwpoison\":%" PRIu64 ",\"offline\":%" PRIu64 ",\"unaccepted\":%" PRIu64
	       "},\"pages_sampled\":%" PRIu64 ",\"bytes_estimate\":%" PRIu64
	       ",\"dump_level\":%u,\"codec\":\"%s\",\"filter_fallback\":",
	       st->ram_pages, st->dumpable_pages - zero, zero, st->filtered.cache,
	       st->filtered.cache_private, st->filtered.user, st->filtered.free,
	       st->filtered.hwpoison, st->filtered.offline, st->filtered.unaccepted,
	       sampled, bytes, o->dump_level, codec_name(o->codec));
	if (st->filter_fallback)
		json_string(stdout, st->filter_fallback);
	else
		fputs("null", stdout);
	printf(",\"seconds\":%.3f}\n", (double)(progress_now_ns() - t_start) / 1e9);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "%s: writing the estimate: %s\n", program, strerror(errno));
		return EXIT_OUTPUT;
	}
	return stop_signal ? EXIT_INCOMPLETE : EXIT_OK;
}

/* dump_sink_file_create() flags for -f and --no-direct-io. */
static unsigned int sink_flags(const struct options *o)
{
	return (o->overwrite ? DUMP_SINK_OVERWRITE : 0) |
	       (o->buffered_io ? DUMP_SINK_BUFFERED : 0);
}

/* -R: a flattened stream on stdin back into OUTPUT. */
static int reassemble(const struct options *o)
{
	struct dump_sink *sink = NULL;
	struct crash_error *err = dump_sink_file_create(o->output_path,
							sink_flags(o), &sink);
	if (err) {
		print_error(NULL, err);
		crash_error_destroy(err);
		return EXIT_OUTPUT;
	}
	int rc = EXIT_OK;
	err = flat_reassemble(STDIN_FILENO, "stdin", sink);
	if (!err && stop_signal)
		rc = EXIT_INCOMPLETE;
	if (!err && rc == EXIT_OK)
		err = dump_sink_finish(sink);
	if (err) {
		print_error(NULL, err);
		rc = err->code == CRASH_ERR_CORRUPT ? EXIT_UNREADABLE : EXIT_OUTPUT;
		crash_error_destroy(err);
	}
	dump_sink_destroy(sink);
	return rc;
}

static const struct printk_decoder *const decoders[] = {
	// Precedence when several anchors are present (printk-formats.md §0).
	&printk_ringbuffer_decoder,
	&printk_records_decoder,
	&printk_legacy_decoder,
};

static struct crash_error *dmesg_record(void *arg, const struct printk_record *rec)
{
	return output_record(arg, rec);
}

static void dmesg_note(void *arg, const char *message)
{
	(void)arg;
	fprintf(stderr, "%s: %s\n", program, message);
}

/*
 * --dump-dmesg: crashdmesg's decoders and output (vmcore-dmesg layout) into
 * OUTPUT.incomplete, renamed when the log was read.
 */
static int dump_dmesg(const struct options *o, struct input *in)
{
	const struct printk_decoder *dec = NULL;
	for (size_t i = 0; i < sizeof(decoders) / sizeof(decoders[0]) && !dec; i++)
		if (decoders[i]->detect(in->vi))
			dec = decoders[i];
	if (!in->x || !dec) {
		fprintf(stderr, "%s: %s: cannot locate the kernel log (%s)\n", program,
			o->vmcore_path, in->x ? "VMCOREINFO names no log buffer"
					      : "no validated address translation");
		return EXIT_UNREADABLE;
	}
	char *tmp = NULL;
	int fd = STDOUT_FILENO;
	if (o->output_path) {
		if (asprintf(&tmp, "%s.incomplete", o->output_path) < 0) {
			print_error(NULL, &crash_enomem);
			return EXIT_OUTPUT;
		}
		if (!o->overwrite && access(o->output_path, F_OK) == 0) {
			fprintf(stderr, "%s: %s exists (use -f to overwrite)\n", program,
				o->output_path);
			free(tmp);
			return EXIT_OUTPUT;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || fchmod(fd, 0600) < 0) {
			fprintf(stderr, "%s: creating %s: %s\n", program, tmp, strerror(errno));
			if (fd >= 0)
				close(fd);
			free(tmp);
			return EXIT_OUTPUT;
		}
	}
	struct output_options oo = {
		.mode = OUTPUT_VMCORE_DMESG,
		.caller_width = 8,
		.max_bytes = (uint64_t)16 << 30,
	};
	struct output *out = NULL;
	struct printk_stats stats = {0};
	int rc = EXIT_OK;
	struct crash_error *err = output_create(fd, o->output_path ? tmp : "stdout",
						&oo, &out);
	if (!err) {
		struct printk_source src = {
			.vmcoreinfo = in->vi,
			.format = vmcore_format(in->vm),
			.arg = in->x,
			.read_kv = read_kv_xlat,
			.options = {.max_buffer = PRINTK_LOG_BUF_MAX},
		};
		struct printk_sink sink = {
			.arg = out, .record = dmesg_record, .note = dmesg_note,
		};
		err = dec->decode(&src, &sink, &stats);
		if (err) {
			print_error(o->vmcore_path, err);
			rc = err->code == CRASH_ERR_OS ? EXIT_OUTPUT
			   : stats.printed ? EXIT_INCOMPLETE : EXIT_UNREADABLE;
			crash_error_destroy(err);
			err = NULL;
		} else if (stats.skipped) {
			rc = EXIT_INCOMPLETE;
		}
		if (rc != EXIT_OUTPUT)
			err = output_flush(out);
	}
	if (!err && tmp && rc != EXIT_OUTPUT && rc != EXIT_UNREADABLE) {
		if (fsync(fd) < 0)
			err = crash_error_os(errno, "fsync %s", tmp);
		else if (rename(tmp, o->output_path) < 0)
			err = crash_error_os(errno, "renaming %s to %s", tmp, o->output_path);
	}
	if (err) {
		print_error(NULL, err);
		crash_error_destroy(err);
		rc = EXIT_OUTPUT;
	}
	output_destroy(out);
	if (tmp)
		close(fd);
	free(tmp);
	return rc;
}

/*
 * A read buffer: READ_CHUNK_DEFAULT, or a twelfth of --max-memory (the
 * pipeline's SLOT_SETS buffers and their slots stay within half), whole
 * pages.
 */
static size_t chunk_size(const struct options *o, uint32_t page_size)
{
	uint64_t chunk = READ_CHUNK_DEFAULT;
	if (o->max_memory && o->max_memory / 12 < chunk)
		chunk = o->max_memory / 12;
	chunk -= chunk % page_size;
	return chunk < page_size ? page_size : (size_t)chunk;
}

/*
 * One pass of the filters over the pfns, window by window (bitmap_fill()).
 * A windowed kdump copy makes two passes, each with its own filters, so
 * the second computes exactly what the first counted (the input does not
 * change and the filters are deterministic; the copy checks the counts).
 */
struct bitmap_pass {
	const struct options *o;
	const struct input *in;
	struct page_filter *f;		/* NULL: no struct-page filtering */
	struct xen_filter *xf;		/* -X */
};

static void bitmap_pass_destroy(struct bitmap_pass *p)
{
	page_filter_destroy(p->f);
	xen_filter_destroy(p->xf);
	p->f = NULL;
	p->xf = NULL;
}

static struct crash_error *bitmap_pass_init(const struct options *o,
					    const struct input *in,
					    struct bitmap_pass *p)
{
	*p = (struct bitmap_pass){.o = o, .in = in};
	struct crash_error *err = NULL;
	if (!in->xen && in->x)
		err = page_filter_create(in->vm, in->vi, in->x, o->dump_level, &p->f);
	if (!err && o->xen_filter) {
		// crashcopy -X: drop domU and free machine frames (xen_filter.h).
		if (!in->xen)
			err = crash_error_create(CRASH_ERR_UNSUPPORTED,
						 "-X: not a Xen dump (no Xen notes)");
		else if ((err = xen_filter_create(in->xen, &p->xf)))
			err = crash_error_prefix(err, "-X");
	}
	if (err)
		bitmap_pass_destroy(p);
	return err;
}

/*
 * The RAM and dump bits of pfns [@start, @start + @n) into @ram and @dump
 * (bitmap_bytes(@n) each): RAM from the PT_LOADs, the dump bits the RAM
 * bits less what the filters drop.  @start is a multiple of 64.
 */
static size_t bitmap_bytes(uint64_t pfns)
{
	// Padded to 8 bytes so bit_count() and next_run() may read words.
	return (size_t)((pfns + 63) / 64 * 8);
}

static struct crash_error *bitmap_fill(struct bitmap_pass *p, uint64_t start,
				       uint64_t n, uint8_t *ram, uint8_t *dump)
{
	const struct input *in = p->in;
	uint64_t end = start + n;
	memset(ram, 0, bitmap_bytes(n));
	for (size_t i = 0; i < in->seg_count; i++) {
		const struct vmcore_segment *s = &in->segs[i];
		if (!s->mem_size)
			continue;
		uint64_t first = s->paddr / in->page_size;
		uint64_t last = (s->paddr + s->mem_size - 1) / in->page_size;
		if (last < start || first >= end)
			continue;
		bit_set_range(ram, (first > start ? first : start) - start,
			      (last < end - 1 ? last : end - 1) - start);
	}
	memcpy(dump, ram, bitmap_bytes(n));
	struct crash_error *err = NULL;
	for (uint64_t at = start; at < end && !err && !stop_signal;
	     at += FILTER_WINDOW_PFNS) {
		uint64_t m = end - at < FILTER_WINDOW_PFNS ? end - at : FILTER_WINDOW_PFNS;
		if (p->f)
			err = page_filter_window(p->f, at, m, dump + (at - start) / 8);
		if (!err && p->xf)
			err = xen_filter_window(p->xf, at, m, dump + (at - start) / 8);
	}
	return err;
}

/* After the counting pass: the filters' counts and notices to @st, stderr. */
static void bitmap_pass_report(const struct bitmap_pass *p, struct copy_stats *st)
{
	const struct options *o = p->o;
	const struct input *in = p->in;
	if (in->xen) {
		// freed at the end of main() like page_filter_fallback()'s copy
		st->filter_fallback = strdup("a Xen dump: pfns are machine frames");
	} else if (!in->x) {
		st->filter_fallback = "no validated address translation for mem_map";
	} else {
		page_filter_counts(p->f, &st->filtered);
		const char *why = page_filter_fallback(p->f);
		if (why)
			st->filter_fallback = strdup(why);
	}
	if (p->xf) {
		struct xen_filter_counts c;
		xen_filter_counts(p->xf, &c);
		fprintf(stderr, "%s: -X: Xen %s, %u domains: dropped %" PRIu64
			" domU and %" PRIu64 " free frames (count_info: %s)%s\n",
			program, xen_version(in->xen), c.domains, c.domu, c.free,
			c.layout, c.unreadable ? "; some page_info unreadable, kept" : "");
		if (c.unknown_owner)
			fprintf(stderr, "%s: -X: kept %" PRIu64 " allocated frames whose owner "
				"is not on domain_list\n", program, c.unknown_owner);
	}
	if (st->filter_fallback && (o->dump_level & ~1u))
		fprintf(stderr, "%s: warning: -d %u: filtering by struct page is off (%s): "
			"only zero pages are excluded\n", program, o->dump_level,
			st->filter_fallback);
}

/*
 * The pfns of one window of a windowed kdump copy: whole bitmaps up to 1
 * TiB of 4 KiB pages (32 MiB each), or with --max-memory a 64th of it
 * per bitmap; a multiple of 64 pfns (next_run() reads words).
 */
static uint64_t window_pfns(const struct options *o)
{
	uint64_t bytes = o->max_memory ? o->max_memory / 64 : WINDOW_BITMAP_DEFAULT;
	bytes -= bytes % 8;
	return (bytes < 8 ? 8 : bytes) * 8;
}

/*
 * One pass of a windowed copy: window after window, its RAM and dump bits
 * (@ram, @dump) for pfns [@start, @start + @n).
 */
struct window_scan {
	struct bitmap_pass p;
	uint8_t *ram, *dump;
	uint64_t win, start, n;
	bool begun;
};

static struct crash_error *window_scan_init(const struct options *o,
					    const struct input *in, uint64_t win,
					    struct window_scan *ws)
{
	*ws = (struct window_scan){.win = win};
	ws->ram = malloc(bitmap_bytes(win));
	ws->dump = malloc(bitmap_bytes(win));
	if (!ws->ram || !ws->dump)
		return &crash_enomem;
	return bitmap_pass_init(o, in, &ws->p);
}

/* The next window into ws->ram, ws->dump; false at the end or on a signal. */
static bool window_scan_next(struct window_scan *ws, struct crash_error **err)
{
	uint64_t max = ws->p.in->max_mapnr;
	if (ws->begun)
		ws->start += ws->win;
	ws->begun = true;
	if (ws->start >= max || stop_signal)
		return false;
	ws->n = max - ws->start < ws->win ? max - ws->start : ws->win;
	*err = bitmap_fill(&ws->p, ws->start, ws->n, ws->ram, ws->dump);
	return !*err;
}

static void window_scan_deinit(struct window_scan *ws)
{
	bitmap_pass_destroy(&ws->p);
	free(ws->ram);
	free(ws->dump);
}

/*
 * The counting pass of a windowed copy: per window, the dumpable pfns
 * (@counts, one per window) and in all (st->dumpable_pages, ram_pages).
 * Errors printed.
 */
static int count_windows(const struct options *o, struct input *in,
			 uint64_t win, uint64_t *counts, struct copy_stats *st)
{
	struct window_scan ws;
	struct crash_error *err = window_scan_init(o, in, win, &ws);
	for (uint64_t i = 0; !err && window_scan_next(&ws, &err); i++) {
		st->ram_pages += bit_count(ws.ram, ws.n);
		counts[i] = bit_count(ws.dump, ws.n);
		st->dumpable_pages += counts[i];
	}
	if (!err)
		bitmap_pass_report(&ws.p, st);
	window_scan_deinit(&ws);
	if (err) {
		print_error(o->vmcore_path, err);
		crash_error_destroy(err);
		return EXIT_UNREADABLE;
	}
	return EXIT_OK;
}

/* Build the whole RAM and dump bitmaps and run the filter; errors printed. */
static int build_bitmaps(const struct options *o, struct input *in,
			 uint8_t **ram_ret, uint8_t **dump_ret,
			 struct copy_stats *st)
{
	size_t bytes = bitmap_bytes(in->max_mapnr);
	uint8_t *ram = malloc(bytes), *dump = malloc(bytes);
	struct bitmap_pass p = {0};
	struct crash_error *err = ram && dump ? bitmap_pass_init(o, in, &p) : &crash_enomem;
	if (!err) {
		err = bitmap_fill(&p, 0, in->max_mapnr, ram, dump);
		if (!err)
			bitmap_pass_report(&p, st);
		bitmap_pass_destroy(&p);
	}
	if (err) {
		print_error(o->vmcore_path, err);
		crash_error_destroy(err);
		free(ram);
		free(dump);
		return EXIT_UNREADABLE;
	}
	st->ram_pages = bit_count(ram, in->max_mapnr);
	*ram_ret = ram;
	*dump_ret = dump;
	return EXIT_OK;
}

/*
 * The kdump header's fields from VMCOREINFO and the input; CRASHTIME and
 * NUMBER(phys_base) are optional (0), a malformed one is an error.  On arm64
 * the sub-header's phys_base is NUMBER(PHYS_OFFSET) (memstart_addr), as
 * makedumpfile's get_phys_base_arm64() writes it and crash's arm64 code
 * reads it back as phys_offset; optional too.
 */
static struct crash_error *kdump_info_fill(const struct options *o,
					   const struct input *in,
					   enum kdump_abi abi,
					   struct kdump_header_info *info)
{
	int64_t phys_base = 0;
	uint64_t crashtime = 0;
	struct crash_error *err = vmcoreinfo_decimal(in->vi, "CRASHTIME", &crashtime);
	if (err && !crash_error_catch(&err, CRASH_ERR_NOT_FOUND))
		return err;
	err = vmcoreinfo_number(in->vi,
				vmcore_machine(in->vm) == EM_AARCH64 ? "PHYS_OFFSET"
								     : "phys_base",
				&phys_base);
	if (err && !crash_error_catch(&err, CRASH_ERR_NOT_FOUND))
		return err;
	*info = (struct kdump_header_info){
		.format = *vmcore_format(in->vm),
		.abi = abi,
		.block_size = in->page_size,
		.max_mapnr = in->max_mapnr,
		.crashtime = crashtime,
		.nr_cpus = vmcore_cpu_count(in->vm),
		.phys_base = (uint64_t)phys_base,
		.dump_level = (int32_t)o->dump_level,
		.codec = o->codec,
		.notes = in->notes,
		.notes_size = in->notes_size,
		.vmcoreinfo_offset = in->vmcoreinfo_offset,
		.vmcoreinfo_size = in->vmcoreinfo_size,
		.shared_zero_page = o->dump_level & 1,
	};
	fill_utsname(in, info->utsname);
	return NULL;
}

/* One copy from the bitmaps to the sink; the writers' shared state. */
struct copy_run {
	const struct options *o;
	struct input *in;
	const uint8_t *ram;
	uint8_t *dump;			/* NULL: a windowed kdump copy */
	uint64_t window_pfns;		/* windowed: pfns per window */
	uint64_t *window_counts;	/* windowed: dumpable pages per window */
	uint8_t *buf;
	size_t chunk;
	bool show;		/* progress on stderr */
	struct progress prog;
	struct copy_stats *st;
	struct dump_sink *sink;
	bool output_failed;
};

/* Print and count an error of the output side. */
static void output_error(struct copy_run *r, struct crash_error *err)
{
	r->output_failed = true;
	print_error(NULL, err);
	crash_error_destroy(err);
}

/*
 * The kdump-compressed copy: headers and bitmaps, then every dumpable page.
 * Returns EXIT_OK once pages went out (the outcome is in r->st and
 * r->output_failed), or the exit code of a setup failure (printed).
 */
/*
 * The second pass of a windowed copy (K9 of kdump_writer.c): per window,
 * its bitmaps again (checked against the first pass's count), then its
 * pages.  Memory: two window bitmaps, whatever the machine's size.
 */
static struct crash_error *copy_windows(struct copy_run *r, struct kdump_copy *k,
					uint64_t *done)
{
	struct window_scan ws;
	struct crash_error *err = window_scan_init(r->o, r->in, r->window_pfns, &ws);
	for (uint64_t i = 0; !err && window_scan_next(&ws, &err); i++) {
		uint64_t count = bit_count(ws.dump, ws.n);
		if (count != r->window_counts[i]) {
			err = crash_error_create(CRASH_ERR_CORRUPT,
						 "%s: the filter kept %" PRIu64 " pages of the window at pfn 0x%" PRIx64 " on its second pass, %" PRIu64 " on the first",
						 r->o->vmcore_path, count, ws.start,
						 r->window_counts[i]);
			break;
		}
		err = kdump_writer_window(k->w, ws.start, ws.n, ws.ram, ws.dump);
		if (!err) {
			const struct bitmap_view view = {.bits = ws.dump, .start = ws.start,
							 .end = ws.start + ws.n};
			err = kdump_pipeline(r->in, &view, r->chunk, &r->prog, k, done);
		}
	}
	window_scan_deinit(&ws);
	return err;
}

static int copy_kdump(struct copy_run *r, const struct kdump_header_info *info)
{
	struct kdump_writer *w = NULL;
	uint64_t done = 0;
	struct kdump_copy k = {
		.zero_pages = r->o->dump_level & 1,
		.page_size = r->in->page_size, .st = r->st,
	};
	unsigned int threads = compress_workers(r->o);
	struct crash_error *err = kdump_writer_open(r->sink, info,
						    r->st->dumpable_pages, &w);
	k.w = w;
	if (!err)
		err = kdump_copy_init(&k, r->o->codec, threads, r->chunk);
	if (err) {
		print_error(NULL, err);
		crash_error_destroy(err);
		kdump_copy_deinit(&k);
		kdump_writer_destroy(w);
		return EXIT_OUTPUT;
	}
	progress_init(&r->prog, STDERR_FILENO, r->show, "copying",
		      r->st->dumpable_pages * r->in->page_size);
	if (r->dump) {
		// Whole bitmaps: one window.
		const struct bitmap_view all = {.bits = r->dump, .end = r->in->max_mapnr};
		err = kdump_writer_window(w, 0, r->in->max_mapnr, r->ram, r->dump);
		if (!err)
			err = kdump_pipeline(r->in, &all, r->chunk, &r->prog, &k, &done);
	} else {
		err = copy_windows(r, &k, &done);
	}
	progress_deinit(&r->prog);
	r->st->done_pages = done;
	struct kdump_writer_counts counts;
	kdump_writer_counts(w, &counts);
	r->st->output_size = counts.data_bytes;
	r->st->shared_pages = counts.shared_pages;
	if (err)
		output_error(r, err);
	bool complete = false;
	err = kdump_writer_finish(w, &complete);
	if (err)
		output_error(r, err);
	r->st->complete = complete && !r->output_failed && !stop_signal;
	kdump_copy_deinit(&k);
	kdump_writer_destroy(w);
	return EXIT_OK;
}

/* The ELF copy (-E); returns as copy_kdump() does. */
static int copy_elf(struct copy_run *r)
{
	struct elf_writer *w = NULL;
	struct elf_writer_info info = {
		.format = *vmcore_format(r->in->vm),
		.elf_class = vmcore_elf_class(r->in->vm),
		.machine = vmcore_machine(r->in->vm),
		.page_size = r->in->page_size,
		.notes = r->in->notes,
		.notes_size = r->in->notes_size,
		.segments = r->in->segs,
		.segment_count = r->in->seg_count,
		.dump_bitmap = r->dump,
		.max_mapnr = r->in->max_mapnr,
	};
	struct crash_error *err = elf_writer_create(r->sink, &info, &w);
	if (err) {
		int rc = err->code == CRASH_ERR_OS ? EXIT_OUTPUT : EXIT_UNREADABLE;
		print_error(rc == EXIT_OUTPUT ? NULL : r->o->vmcore_path, err);
		crash_error_destroy(err);
		return rc;
	}
	progress_init(&r->prog, STDERR_FILENO, r->show, "copying",
		      elf_writer_data_size(w));
	err = elf_copy(r->in, w, r->dump, r->buf, r->chunk, &r->prog, r->st);
	progress_deinit(&r->prog);
	r->st->done_pages = r->st->output_size / r->in->page_size;
	if (err)
		output_error(r, err);
	r->st->complete = !r->output_failed && !stop_signal && !r->st->lost_pages;
	err = elf_writer_finish(w, r->st->complete);
	if (err) {
		output_error(r, err);
		r->st->complete = false;
	}
	elf_writer_destroy(w);
	return EXIT_OK;
}

/* ELF with level bit 1: drop zero pages from @r->dump before the layout. */
static int scan_zero_pages(struct copy_run *r)
{
	uint64_t done = 0;
	struct zero_scan z = {.map = r->dump, .page_size = r->in->page_size,
			      .st = r->st};
	progress_init(&r->prog, STDERR_FILENO, r->show, "zero scan",
		      bit_count(r->dump, r->in->max_mapnr) * r->in->page_size);
	struct crash_error *err = for_each_page(r->in, r->dump, r->buf, r->chunk,
						&r->prog, &done, zero_scan_page, &z);
	progress_deinit(&r->prog);
	if (err) {
		print_error(NULL, err);
		crash_error_destroy(err);
		return EXIT_UNREADABLE;
	}
	return EXIT_OK;
}

/* What happened, on stderr: a signal, lost pages. */
static void report_outcome(const struct copy_run *r)
{
	const struct copy_stats *st = r->st;
	if (st->interrupted)
		fprintf(stderr, "%s: stopped by signal %d after %" PRIu64 " of %" PRIu64
			" pages: %s is marked incomplete\n", program, (int)stop_signal,
			st->done_pages, st->dumpable_pages, dump_sink_name(r->sink));
	if (st->lost_pages) {
		fprintf(stderr, "%s: %" PRIu64 " pages could not be read and are marked lost:",
			program, st->lost_pages);
		for (uint64_t i = 0; i < st->lost_pages && i < LOST_PFNS_SHOWN; i++)
			fprintf(stderr, " 0x%" PRIx64, st->lost_pfns[i]);
		fprintf(stderr, "%s\n", st->lost_pages > LOST_PFNS_SHOWN ? " ..." : "");
	}
}

/*
 * The compress workers when --num-threads is not given: one per CPU this
 * process may run on, at most AUTO_THREADS_MAX, as Red Hat's kdump-utils
 * passes --num-threads=$(nproc) to makedumpfile.  A capture kernel booted
 * with nr_cpus=1 (crashctl boots it so) gets one; so does a copy that
 * compresses nothing (no -c/-l/-z, or -E).
 */
static unsigned int auto_threads(const struct options *o)
{
	cpu_set_t set;
	if (o->codec == CODEC_NONE || o->format == FORMAT_ELF ||
	    sched_getaffinity(0, sizeof(set), &set) != 0)
		return 1;
	int cpus = CPU_COUNT(&set);
	return cpus < 1 ? 1 : cpus > AUTO_THREADS_MAX ? AUTO_THREADS_MAX
						       : (unsigned int)cpus;
}

/*
 * Is @path on procfs (/proc/vmcore)?  Its mappings are the crashed
 * machine's RAM, and mmap spares the kernel an ioremap per read().  A saved
 * core is read with pread() unless --mmap: from the page cache, faulting a
 * mapping in costs more than the copy (1.2 GB core, -d 1 -l: 900 ms of CPU
 * mapped, 680 ms with pread).
 */
static bool input_on_procfs(const char *path)
{
	struct statfs st;
	return path && statfs(path, &st) == 0 && st.f_type == 0x9fa0; // PROC_SUPER_MAGIC
}

int main(int argc, char **argv)
{
	struct options o = {0};
	struct input in = {0};
	struct copy_stats st = {0};
	struct copy_run r = {.o = &o, .in = &in, .st = &st};
	struct kdump_header_info kinfo;
	uint8_t *ram = NULL;
	struct crash_error *err;
	uint64_t t_start = progress_now_ns();
	int rc = parse_options(argc, argv, &o);
	if (rc != EXIT_OK)
		return rc;
	if (!o.threads_given)
		o.threads = auto_threads(&o);

	// A closed pipe is an output error (exit 5), not a silent death.
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (o.reassemble)
		return reassemble(&o);
	if (o.threads > 1 && o.format == FORMAT_ELF)
		fprintf(stderr, "%s: note: --num-threads: -E compresses nothing, "
			"one thread copies\n", program);

	rc = input_open(&o, &in);
	if (rc != EXIT_OK)
		goto out;
	// --non-mmap: read() only.  Otherwise holes of a sparse core always
	// come from the zero mapping; file bytes are mapped for procfs or
	// with --mmap (input_on_procfs()).  Every read of a mapping runs under
	// a map_guard, so a disk error under a saved core's mapping loses its
	// page (exit 6) instead of killing the copy with SIGBUS.
	in.non_mmap = o.non_mmap;
	vmcore_set_map_policy(in.vm,
			      o.non_mmap ? VMCORE_MAP_NONE
			      : (o.force_mmap || input_on_procfs(o.vmcore_path))
				      ? VMCORE_MAP_ALL : VMCORE_MAP_HOLES);
	if (!o.non_mmap) {
		err = map_guard_install();
		if (err) {
			print_error(NULL, err);
			crash_error_destroy(err);
			rc = EXIT_UNREADABLE;
			goto out;
		}
	}
	if (o.dump_dmesg) {
		rc = dump_dmesg(&o, &in);
		goto out;
	}

	enum kdump_abi abi = KDUMP_ABI_LP64;
	if (o.format == FORMAT_KDUMP) {
		if (!abi_of_machine(vmcore_machine(in.vm), vmcore_format(in.vm)->ptr_size,
				    &abi)) {
			fprintf(stderr, "%s: %s: e_machine %u: no kdump header layout known "
				"for this architecture (try -E)\n", program, o.vmcore_path,
				vmcore_machine(in.vm));
			rc = EXIT_UNREADABLE;
			goto out;
		}
		err = kdump_info_fill(&o, &in, abi, &kinfo);
		if (err) {
			print_error(o.vmcore_path, err);
			crash_error_destroy(err);
			rc = EXIT_UNREADABLE;
			goto out;
		}
	}
	// A kdump copy of a machine whose bitmaps exceed one window makes
	// two passes (copy_windows()); the other jobs hold whole bitmaps.
	r.window_pfns = window_pfns(&o);
	if (o.format == FORMAT_KDUMP && !o.estimate && in.max_mapnr > r.window_pfns) {
		r.window_counts = calloc((size_t)((in.max_mapnr - 1) / r.window_pfns + 1),
					 sizeof(*r.window_counts));
		if (!r.window_counts) {
			print_error(NULL, &crash_enomem);
			rc = EXIT_UNREADABLE;
			goto out;
		}
		st.bitmap_windows = (in.max_mapnr - 1) / r.window_pfns + 1;
		rc = count_windows(&o, &in, r.window_pfns, r.window_counts, &st);
	} else {
		st.bitmap_windows = 1;
		rc = build_bitmaps(&o, &in, &ram, &r.dump, &st);
		if (rc == EXIT_OK)
			st.dumpable_pages = bit_count(r.dump, in.max_mapnr);
	}
	if (rc != EXIT_OK)
		goto out;
	r.ram = ram;
	if (o.estimate) {
		rc = estimate(&o, &in, r.dump, &st, &kinfo, t_start);
		goto out;
	}
	r.chunk = chunk_size(&o, in.page_size);
	r.buf = malloc(r.chunk);
	if (!r.buf) {
		print_error(NULL, &crash_enomem);
		rc = EXIT_UNREADABLE;
		goto out;
	}
	r.show = o.progress || isatty(STDERR_FILENO);
	progress_init(&r.prog, STDERR_FILENO, false, "", 0);

	if (o.format == FORMAT_ELF && (o.dump_level & 1) && !stop_signal) {
		rc = scan_zero_pages(&r);
		if (rc != EXIT_OK)
			goto out;
		st.dumpable_pages = bit_count(r.dump, in.max_mapnr);
	}

	err = o.flat ? dump_sink_flat_create(STDOUT_FILENO, "stdout", &r.sink)
		     : dump_sink_file_create(o.output_path, sink_flags(&o), &r.sink);
	if (err) {
		print_error(NULL, err);
		crash_error_destroy(err);
		rc = EXIT_OUTPUT;
		goto out;
	}
	if (o.json)
		dump_sink_hash_enable(r.sink);
	rc = o.format == FORMAT_KDUMP ? copy_kdump(&r, &kinfo) : copy_elf(&r);
	if (rc != EXIT_OK)
		goto out;
	st.interrupted = stop_signal != 0;

	// A file is renamed only when every page was written (lost input
	// pages included); an interrupted or failed file stays NAME.incomplete.
	// A stream gets its end marker whenever it still works, so the
	// receiver holds a readable, marked dump.
	if (!r.output_failed && (dump_sink_is_stream(r.sink) || !st.interrupted)) {
		err = dump_sink_finish(r.sink);
		if (err)
			output_error(&r, err);
	}
	if (r.output_failed)
		rc = EXIT_OUTPUT;
	else if (st.interrupted || !st.complete)
		rc = EXIT_INCOMPLETE;
	report_outcome(&r);
	st.seconds = progress_seconds(&r.prog);

out:
	if (o.json && in.vm && !o.estimate)
		print_json(&o, &in, &st, r.sink, rc);
	dump_sink_destroy(r.sink);
	if (st.filter_fallback && (in.x || in.xen))
		free((char *)st.filter_fallback);
	free(r.buf);
	free(ram);
	free(r.dump);
	free(r.window_counts);
	input_deinit(&in);
	return rc;
}
