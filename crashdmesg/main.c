/*
 * crashdmesg - print the kernel log saved in a vmcore.
 *
 * main() is the only place that prints errors and the only place that knows
 * exit codes (doc/crashdmesg.1 "EXIT STATUS"):
 *   0 ok, 1 usage, 2 not a vmcore or unreadable, 3 no log found or
 *   unsupported format, 4 log partially recovered, 5 output failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cli_size.h"
#include "../lib/error.h"
#include "../lib/vmcore.h"
#include "../lib/vmcore_xen.h"
#include "../lib/vmcore_xlat.h"
#include "../lib/vmcoreinfo.h"
#include "../lib/xlat.h"
#include "output.h"
#include "printk.h"
#include "summary.h"

#ifndef CRASHKIT_VERSION
#define CRASHKIT_VERSION "0.1"
#endif

enum exit_code {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_UNREADABLE = 2,
	EXIT_NO_LOG = 3,
	EXIT_PARTIAL = 4,
	EXIT_OUTPUT = 5,
};

static const char program[] = "crashdmesg";

struct options {
	const char *vmcore_path;
	const char *output_path;
	const char *save_minimal_path;
	const struct printk_decoder *forced_decoder;
	struct output_options output;
	enum { CALLER_AUTO, CALLER_ON, CALLER_OFF } caller;
	bool summary;
	bool quiet;
	struct printk_options printk;
	/* Xen machine cores (doc/crashdmesg.1 "XEN"). */
	bool xen_console;
	const char *xen_symbols_path;
	const char *cmdline_path;
	bool has_dom0_vmcoreinfo;
	uint64_t dom0_vmcoreinfo;
};

static const struct printk_decoder *const decoders[] = {
	// Precedence when several anchors are present (printk-formats.md §0).
	&printk_ringbuffer_decoder,
	&printk_records_decoder,
	&printk_legacy_decoder,
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s [OPTIONS] [VMCORE]\n"
"Print the kernel log saved in VMCORE (default /proc/vmcore).\n"
"\n"
"  --format=legacy|records|ringbuffer  decode as this log format\n"
"  --vmcore-dmesg       kexec-tools vmcore-dmesg layout\n"
"  -r, --raw            prefix <facility<<3|level> (dmesg -r)\n"
"  --json               one JSON object per record\n"
"  --kmsg               /dev/kmsg record lines\n"
"  --summary            a one-screen crash summary\n"
"  --caller=auto|on|off print caller ids (auto: when the kernel had them)\n"
"  --caller-width=N     width of the caller field (default 8)\n"
"  --since-clear        only what dmesg showed after the last 'dmesg -c'\n"
"  --max-buffer=BYTES   largest log buffer to read (default 2G)\n"
"  --max-output=BYTES   stop after this much output (default 16G)\n"
"  -o, --output=FILE    write to FILE (via FILE.incomplete, mode 0600)\n"
"  --save-minimal=FILE  also write a small ELF vmcore with only the notes\n"
"                       and the pages the log needed\n"
"  --xen                on a Xen dump: print Xen's console ring instead\n"
"  --xen-symbols=FILE   Xen's System.map or dom0's /proc/xen/xensyms, for\n"
"                       --xen (without it the ring is found by a scan)\n"
"  --dom0-vmcoreinfo=MADDR  machine address of dom0's VMCOREINFO note\n"
"  --cmdline=FILE       read crashkit.dom0_vmcoreinfo= / crashkit.xen_conring=\n"
"                       from FILE (default /proc/cmdline for /proc/vmcore)\n"
"  -q, --quiet          no trailer on stderr\n"
"  -h, --help           this help\n"
"  -V, --version        print the version\n"
"\n"
"Exit status: 0 ok, 1 usage, 2 not a vmcore or unreadable, 3 no log found\n"
"or unsupported, 4 log partially recovered, 5 output failed.\n",
		program);
}

static void print_error(const char *what, const struct crash_error *err)
{
	if (what)
		fprintf(stderr, "%s: %s: %s\n", program, what, err->message);
	else
		fprintf(stderr, "%s: %s\n", program, err->message);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum {
		OPT_FORMAT = 256, OPT_VMCORE_DMESG, OPT_JSON, OPT_KMSG,
		OPT_SUMMARY, OPT_CALLER, OPT_CALLER_WIDTH, OPT_SINCE_CLEAR,
		OPT_MAX_BUFFER, OPT_MAX_OUTPUT, OPT_SAVE_MINIMAL,
		OPT_XEN, OPT_XEN_SYMBOLS, OPT_DOM0_VMCOREINFO, OPT_CMDLINE,
	};
	static const struct option longopts[] = {
		{"format", required_argument, NULL, OPT_FORMAT},
		{"vmcore-dmesg", no_argument, NULL, OPT_VMCORE_DMESG},
		{"raw", no_argument, NULL, 'r'},
		{"json", no_argument, NULL, OPT_JSON},
		{"kmsg", no_argument, NULL, OPT_KMSG},
		{"summary", no_argument, NULL, OPT_SUMMARY},
		{"caller", required_argument, NULL, OPT_CALLER},
		{"caller-width", required_argument, NULL, OPT_CALLER_WIDTH},
		{"since-clear", no_argument, NULL, OPT_SINCE_CLEAR},
		{"max-buffer", required_argument, NULL, OPT_MAX_BUFFER},
		{"max-output", required_argument, NULL, OPT_MAX_OUTPUT},
		{"output", required_argument, NULL, 'o'},
		{"save-minimal", required_argument, NULL, OPT_SAVE_MINIMAL},
		{"xen", no_argument, NULL, OPT_XEN},
		{"xen-symbols", required_argument, NULL, OPT_XEN_SYMBOLS},
		{"dom0-vmcoreinfo", required_argument, NULL, OPT_DOM0_VMCOREINFO},
		{"cmdline", required_argument, NULL, OPT_CMDLINE},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;
	uint64_t v;

	o->vmcore_path = "/proc/vmcore";
	o->output.mode = OUTPUT_DMESG;
	o->output.caller_width = 8;
	o->output.max_bytes = (uint64_t)16 << 30;
	o->printk.max_buffer = PRINTK_LOG_BUF_MAX;
	while ((c = getopt_long(argc, argv, "ro:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_FORMAT:
			o->forced_decoder = NULL;
			for (size_t i = 0; i < sizeof(decoders) / sizeof(decoders[0]); i++)
				if (strcmp(optarg, decoders[i]->name) == 0)
					o->forced_decoder = decoders[i];
			if (!o->forced_decoder) {
				fprintf(stderr, "%s: --format: '%s' is not legacy, records or ringbuffer\n",
					program, optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_VMCORE_DMESG: o->output.mode = OUTPUT_VMCORE_DMESG; break;
		case 'r': o->output.mode = OUTPUT_RAW; break;
		case OPT_JSON: o->output.mode = OUTPUT_JSON; break;
		case OPT_KMSG: o->output.mode = OUTPUT_KMSG; break;
		case OPT_SUMMARY: o->summary = true; break;
		case OPT_CALLER:
			if (strcmp(optarg, "auto") == 0)
				o->caller = CALLER_AUTO;
			else if (strcmp(optarg, "on") == 0)
				o->caller = CALLER_ON;
			else if (strcmp(optarg, "off") == 0)
				o->caller = CALLER_OFF;
			else {
				fprintf(stderr, "%s: --caller: '%s' is not auto, on or off\n",
					program, optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_CALLER_WIDTH:
			if (!cli_parse_size(optarg, &v) || v > 32) {
				fprintf(stderr, "%s: --caller-width: '%s' is not a number from 0 to 32\n",
					program, optarg);
				return EXIT_USAGE;
			}
			o->output.caller_width = (unsigned)v;
			break;
		case OPT_SINCE_CLEAR: o->printk.since_clear = true; break;
		case OPT_MAX_BUFFER:
			if (!cli_parse_size(optarg, &v) || v == 0 || v > PRINTK_LOG_BUF_MAX) {
				fprintf(stderr, "%s: --max-buffer: '%s' is not a size from 1 to 2G\n",
					program, optarg);
				return EXIT_USAGE;
			}
			o->printk.max_buffer = v;
			break;
		case OPT_MAX_OUTPUT:
			if (!cli_parse_size(optarg, &v) || v == 0) {
				fprintf(stderr, "%s: --max-output: '%s' is not a size\n",
					program, optarg);
				return EXIT_USAGE;
			}
			o->output.max_bytes = v;
			break;
		case 'o': o->output_path = optarg; break;
		case OPT_SAVE_MINIMAL: o->save_minimal_path = optarg; break;
		case OPT_XEN: o->xen_console = true; break;
		case OPT_XEN_SYMBOLS: o->xen_symbols_path = optarg; break;
		case OPT_CMDLINE: o->cmdline_path = optarg; break;
		case OPT_DOM0_VMCOREINFO: {
			char *end;
			errno = 0;
			o->dom0_vmcoreinfo = strtoull(optarg, &end, 16);
			if (!optarg[0] || *end || errno) {
				fprintf(stderr, "%s: --dom0-vmcoreinfo: '%s' is not a hex machine address\n",
					program, optarg);
				return EXIT_USAGE;
			}
			o->has_dom0_vmcoreinfo = true;
			break;
		}
		case 'q': o->quiet = true; break;
		case 'h': usage(stdout); exit(EXIT_OK);
		case 'V': printf("%s %s\n", program, CRASHKIT_VERSION); exit(EXIT_OK);
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc)
		o->vmcore_path = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", program, argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	return EXIT_OK;
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

/* The decoder's sink: the output (or the summary) and notes on stderr. */
struct sink_state {
	struct output *output;
	struct summary *summary;
	bool quiet;
	uint64_t notes;
	bool failed;	/* the output failed: decoding stopped there */
};

static struct crash_error *sink_record(void *arg,
				       const struct printk_record *rec)
{
	struct sink_state *st = arg;
	struct crash_error *err = st->summary ? summary_add(st->summary, rec)
					      : output_record(st->output, rec);
	if (err)
		st->failed = true;
	return err;
}

/* Notes are capped so a shredded log cannot flood stderr. */
static void sink_note(void *arg, const char *message)
{
	struct sink_state *st = arg;
	if (st->notes++ < 50)
		fprintf(stderr, "%s: %s\n", program, message);
	else if (st->notes == 51)
		fprintf(stderr, "%s: further notes suppressed\n", program);
}

static struct crash_error *write_all(int fd, const char *path,
				     const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return crash_error_os(errno, "writing %s", path);
		}
		data += n;
		len -= (size_t)n;
	}
	return NULL;
}

/* Output file: FILE.incomplete, mode 0600, renamed when complete. */
struct output_file {
	int fd;
	const char *path;	/* what the user named, or "stdout" */
	char *tmp_path;		/* NAME.incomplete while writing a regular file */
	bool owns_fd;
};

static struct crash_error *output_file_open(const char *path,
					    struct output_file *f)
{
	struct stat st;

	f->fd = STDOUT_FILENO;
	f->path = path ? path : "stdout";
	f->tmp_path = NULL;
	if (!path)
		return NULL;
	// A device, FIFO or socket (-o /dev/ttyS0) is written in place: a
	// rename would replace the device node with a regular file.
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		f->fd = open(path, O_WRONLY | O_CLOEXEC);
		if (f->fd < 0)
			return crash_error_os(errno, "opening %s", path);
		f->owns_fd = true;
		return NULL;
	}
	if (asprintf(&f->tmp_path, "%s.incomplete", path) < 0) {
		f->tmp_path = NULL;
		return &crash_enomem;
	}
	f->fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		     0600);
	f->owns_fd = true;
	if (f->fd < 0)
		return crash_error_os(errno, "creating %s", f->tmp_path);
	// O_CREAT does not change the mode of an existing file.
	if (fchmod(f->fd, 0600) < 0)
		return crash_error_os(errno, "chmod 0600 %s", f->tmp_path);
	return NULL;
}

/* fsync and rename into place; on failure the .incomplete file stays. */
static struct crash_error *output_file_commit(struct output_file *f)
{
	if (!f->tmp_path)
		return NULL;
	if (fsync(f->fd) < 0)
		return crash_error_os(errno, "fsync %s", f->tmp_path);
	if (rename(f->tmp_path, f->path) < 0)
		return crash_error_os(errno, "renaming %s to %s", f->tmp_path,
				      f->path);
	return NULL;
}

static void output_file_close(struct output_file *f)
{
	if (f->owns_fd && f->fd >= 0)
		close(f->fd);
	free(f->tmp_path);
}

static const struct printk_decoder *
detect_decoder(const struct vmcoreinfo *vi)
{
	for (size_t i = 0; i < sizeof(decoders) / sizeof(decoders[0]); i++)
		if (decoders[i]->detect(vi))
			return decoders[i];
	return NULL;
}

/*
 * Whether to print caller ids: 5.1-5.9 say so by exporting the caller_id
 * offset; 5.10+ store a caller id whatever the config, so it is off unless
 * asked for (printk-formats.md §2.5).
 */
static bool caller_shown(const struct options *o, const struct vmcoreinfo *vi,
			 const struct printk_decoder *dec)
{
	if (o->caller != CALLER_AUTO)
		return o->caller == CALLER_ON;
	return dec == &printk_records_decoder &&
	       vmcoreinfo_has(vi, "OFFSET(printk_log.caller_id)");
}

/*
 * 3.5-4.8 wrote '+' for later continuation fragments in /dev/kmsg; the
 * era shows only in OSRELEASE ("4.8.0-...").  Unparsable: the newer rule.
 */
static bool kernel_before_4_9(const struct vmcoreinfo *vi)
{
	const char *release = vmcoreinfo_get(vi, "OSRELEASE");
	unsigned major, minor;
	if (!release || sscanf(release, "%u.%u", &major, &minor) != 2)
		return false;
	return major < 4 || (major == 4 && minor < 9);
}

static const char *arch_name_of_machine(uint16_t machine)
{
	switch (machine) {
	case 62: return "x86_64";
	case 3: return "i386";
	case 183: return "arm64";
	case 40: return "arm";
	case 21: return "ppc64";
	case 20: return "ppc";
	case 22: return "s390x";
	case 243: return "riscv";
	default: return "unknown";
	}
}

/* Read a small text file whole (at most @max bytes). */
static struct crash_error *read_small_file(const char *path, size_t max,
					   char **text_ret, size_t *size_ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return crash_error_os(errno, "opening %s", path);
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	struct crash_error *err = NULL;
	if (!buf) {
		close(fd);
		return &crash_enomem;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= max) {
				err = crash_error_create(CRASH_ERR_UNSUPPORTED,
							 "%s is larger than %zu bytes",
							 path, max);
				break;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				err = &crash_enomem;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = crash_error_os(errno, "reading %s", path);
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	*text_ret = buf;
	*size_ret = len;
	return NULL;
}

/* The console symbols from --xen-symbols or the command line, if any. */
static struct crash_error *conring_symbols(const struct options *o,
					  const struct vmcore_xen_hints *hints,
					  struct xen_conring_syms *syms,
					  bool *have_ret)
{
	*have_ret = false;
	if (o->xen_symbols_path) {
		char *text = NULL;
		size_t size = 0;
		struct crash_error *err = read_small_file(o->xen_symbols_path,
							  256u << 20, &text,
							  &size);
		if (!err) {
			err = xen_symbols_parse(text, size, syms);
			free(text);
		}
		if (err)
			return crash_error_prefix(err, "%s", o->xen_symbols_path);
		*have_ret = true;
	} else if (hints->has_conring) {
		*syms = hints->conring;
		*have_ret = true;
	}
	return NULL;
}

/*
 * crashdmesg --xen: Xen's console ring, through its symbols (--xen-symbols,
 * or crashkit.xen_conring= on the capture command line) or a scan.  The
 * text is escaped as dmesg text is (tab and newline kept).
 */
static int print_xen_console(const struct options *o, struct xen *xen,
			     const struct vmcore_xen_hints *hints)
{
	struct xen_conring_syms syms;
	bool have_syms;
	struct crash_error *err = conring_symbols(o, hints, &syms, &have_syms);
	if (err) {
		print_error(NULL, err);
		crash_error_destroy(err);
		return EXIT_USAGE;
	}
	struct xen_conring ring = {0};
	err = have_syms ? xen_conring_read(xen, &syms, &ring)
			: xen_conring_scan(xen, 0, &ring);
	if (err) {
		if (err->code == CRASH_ERR_NOT_FOUND && !have_syms)
			fprintf(stderr, "%s: %s: no Xen console ring found by "
				"scanning for \"(XEN) Xen version \" (the ring "
				"may have wrapped): give --xen-symbols=FILE\n",
				program, o->vmcore_path);
		else
			print_error(o->vmcore_path, err);
		int code = err->code == CRASH_ERR_NOMEM ? EXIT_UNREADABLE : EXIT_NO_LOG;
		crash_error_destroy(err);
		return code;
	}
	struct output_file file = {.fd = -1};
	char *esc = malloc(4 * ring.size + 1);
	err = esc ? output_file_open(o->output_path, &file) : &crash_enomem;
	if (!err) {
		size_t n = output_escape_dmesg(esc, ring.text, ring.size);
		if (n && esc[n - 1] != '\n')
			esc[n++] = '\n';
		err = write_all(file.fd, file.path, esc, n);
	}
	if (!err)
		err = output_file_commit(&file);
	free(esc);
	output_file_close(&file);
	int rc = EXIT_OK;
	if (err) {
		print_error(NULL, err);
		crash_error_destroy(err);
		rc = EXIT_OUTPUT;
	} else if (!o->quiet) {
		fprintf(stderr, "%s: Xen %s console ring: %zu bytes (%s; ring at "
			"machine 0x%" PRIx64 "%s; Xen virtual: %s)\n",
			program, xen_version(xen), ring.size, ring.method,
			ring.ring_mach,
			ring.wrapped ? ", wrapped: older text lost" : "",
			xen_xv_method(xen));
	}
	xen_conring_deinit(&ring);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	struct vmcore *vm = NULL;
	struct vmcoreinfo *vi = NULL;
	struct xlat *x = NULL;
	struct output *out = NULL;
	struct summary *summary = NULL;
	struct output_file file = {.fd = -1};
	struct crash_error *err;
	struct printk_stats stats = {0};
	const struct printk_decoder *dec = NULL;
	const char *log_error = NULL;
	char *log_error_buf = NULL;
	struct xen *xen = NULL;
	struct vmcore_xen_dom0 dom0 = {0};
	char xen_line[400] = "";
	int rc = parse_options(argc, argv, &o);
	if (rc != EXIT_OK)
		return rc;

	// A closed pipe is an output error (exit 5), not a silent death.
	signal(SIGPIPE, SIG_IGN);

	err = vmcore_open(o.vmcore_path, warn_stderr, NULL, &vm);
	if (err) {
		print_error(NULL, err);
		crash_error_destroy(err);
		return EXIT_UNREADABLE;
	}
	if (o.save_minimal_path) {
		vmcore_track_reads(vm, true);
		o.printk.whole_arrays = true;
	}

	const char *vi_text;
	size_t vi_size;
	// A Xen machine core: dom0's VMCOREINFO and translation go through
	// the hypervisor's notes and dom0's p2m (lib/vmcore_xen.h).
	err = vmcore_xen_create(vm, warn_stderr, &xen);
	if (err && !crash_error_catch(&err, CRASH_ERR_NOT_FOUND)) {
		print_error(o.vmcore_path, err);
		rc = err->code == CRASH_ERR_NOMEM ? EXIT_UNREADABLE : EXIT_NO_LOG;
		crash_error_destroy(err);
		goto out;
	}
	struct vmcore_xen_hints hints = {0};
	if (xen) {
		const char *cmdline = o.cmdline_path;
		if (!cmdline && strcmp(o.vmcore_path, "/proc/vmcore") == 0)
			cmdline = "/proc/cmdline";
		err = cmdline ? vmcore_xen_cmdline(cmdline, &hints) : NULL;
		if (err) {
			print_error(NULL, err);
			crash_error_destroy(err);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (o.xen_console) {
		if (!xen) {
			fprintf(stderr, "%s: %s: --xen: not a Xen dump (no Xen "
				"notes)\n", program, o.vmcore_path);
			rc = EXIT_NO_LOG;
		} else {
			rc = print_xen_console(&o, xen, &hints);
		}
		goto out;
	}
	if (xen) {
		err = vmcore_xen_dom0(vm, xen,
				      o.has_dom0_vmcoreinfo ? &o.dom0_vmcoreinfo
							    : NULL,
				      &hints, &dom0);
		if (err) {
			fprintf(stderr, "%s: %s: Xen %s dump: %s\n", program,
				o.vmcore_path, xen_version(xen), err->message);
			rc = err->code == CRASH_ERR_NOMEM ? EXIT_UNREADABLE
							  : EXIT_NO_LOG;
			crash_error_destroy(err);
			goto out;
		}
		vi_text = dom0.text;
		vi_size = dom0.size;
		if (dom0.has_maddr)
			snprintf(xen_line, sizeof(xen_line),
				 "Xen %s (machine dump; dom0 VMCOREINFO at "
				 "machine 0x%" PRIx64 ", from the %s)",
				 xen_version(xen), dom0.maddr, dom0.source);
		else
			snprintf(xen_line, sizeof(xen_line),
				 "Xen %s (machine dump; dom0 VMCOREINFO from "
				 "the %s)",
				 xen_version(xen), dom0.source);
	} else {
		err = vmcore_vmcoreinfo(vm, &vi_text, &vi_size);
	}
	if (err) {
		if (err->code == CRASH_ERR_NOT_FOUND) {
			fprintf(stderr, "%s: %s: no VMCOREINFO note: cannot locate the log\n",
				program, o.vmcore_path);
			rc = EXIT_NO_LOG;
		} else {
			print_error(o.vmcore_path, err);
			rc = EXIT_UNREADABLE;
		}
		crash_error_destroy(err);
		goto out;
	}
	err = vmcoreinfo_parse(vi_text, vi_size, &vi);
	if (err) {
		print_error(o.vmcore_path, err);
		crash_error_destroy(err);
		rc = EXIT_UNREADABLE;
		goto out;
	}

	dec = o.forced_decoder ? o.forced_decoder : detect_decoder(vi);
	if (xen) {
		err = vmcore_xen_dom0_xlat_create(vm, xen, vi, warn_stderr, &x);
		unsigned checked = 0;
		struct crash_error *cc =
			err ? NULL : vmcore_xen_dom0_crosscheck(xen, x, vi, &checked);
		if (cc && !crash_error_catch(&cc, CRASH_ERR_NOT_FOUND)) {
			fprintf(stderr, "%s: warning: dom0's page tables disagree "
				"with its p2m: %s\n", program, cc->message);
			crash_error_destroy(cc);
		}
	} else {
		err = vmcore_xlat_create(vm, vi, warn_stderr, &x);
	}
	if (err && err->code == CRASH_ERR_NOMEM) {
		print_error(NULL, err);
		rc = EXIT_UNREADABLE;
		goto out;
	}
	if (err) {
		log_error_buf = strdup(err->message);
		log_error = log_error_buf;
		if (!o.summary) {
			print_error(o.vmcore_path, err);
			crash_error_destroy(err);
			rc = EXIT_NO_LOG;
			goto out;
		}
		crash_error_destroy(err);
	} else if (!dec) {
		log_error = "VMCOREINFO names no log buffer (no SYMBOL(prb), "
			    "SYMBOL(log_first_idx) or SYMBOL(log_end))";
		if (!o.summary) {
			fprintf(stderr, "%s: %s: %s\n", program, o.vmcore_path,
				log_error);
			rc = EXIT_NO_LOG;
			goto out;
		}
	}

	err = output_file_open(o.output_path, &file);
	if (!err) {
		o.output.show_caller = dec && caller_shown(&o, vi, dec);
		o.output.kmsg_flags_3_5 = dec == &printk_records_decoder &&
					  kernel_before_4_9(vi);
		err = output_create(file.fd, file.path, &o.output, &out);
	}
	if (!err && o.summary)
		err = summary_create(&summary);
	if (err) {
		print_error(NULL, err);
		crash_error_destroy(err);
		rc = EXIT_OUTPUT;
		goto out;
	}

	struct sink_state sink_state = {
		.output = out, .summary = summary, .quiet = o.quiet,
	};
	bool output_failed = false;
	if (x && dec) {
		struct printk_source src = {
			.vmcoreinfo = vi,
			.format = vmcore_format(vm),
			.arg = x,
			.read_kv = read_kv_xlat,
			.options = o.printk,
		};
		struct printk_sink sink = {
			.arg = &sink_state,
			.record = sink_record,
			.note = sink_note,
		};
		stats.format_name = dec->name;
		err = dec->decode(&src, &sink, &stats);
		if (!stats.format_name)
			stats.format_name = dec->name;
		if (err) {
			output_failed = sink_state.failed;
			print_error(output_failed ? NULL : o.vmcore_path, err);
			if (!log_error) {
				log_error_buf = strdup(err->message);
				log_error = log_error_buf;
			}
			crash_error_destroy(err);
			rc = output_failed ? EXIT_OUTPUT
			   : stats.printed ? EXIT_PARTIAL : EXIT_NO_LOG;
		} else if (stats.skipped) {
			rc = EXIT_PARTIAL;
		}
	}

	if (summary) {
		char *text;
		size_t size;
		struct summary_facts facts = {
			.path = o.vmcore_path,
			.arch = x ? xlat_arch_name(x)
				  : arch_name_of_machine(vmcore_machine(vm)),
			.osrelease = vmcoreinfo_get(vi, "OSRELEASE"),
			.build_id = vmcoreinfo_get(vi, "BUILD-ID"),
			.cpu_count = vmcore_cpu_count(vm),
			.utsname = x ? xlat_utsname(x) : NULL,
			.xlat_method = x ? xlat_method(x) : NULL,
			.hypervisor = xen_line[0] ? xen_line : NULL,
			.stats = (x && dec && (stats.printed || !log_error)) ? &stats : NULL,
			.log_error = log_error,
		};
		struct crash_error *e2 = vmcoreinfo_decimal(vi, "CRASHTIME",
							    &facts.crashtime);
		facts.has_crashtime = !e2;
		crash_error_destroy(e2);
		e2 = vmcoreinfo_hex(vi, "KERNELOFFSET", &facts.kernel_offset);
		facts.has_kernel_offset = !e2;
		crash_error_destroy(e2);
		err = summary_render(summary, &facts, &text, &size);
		if (!err) {
			err = write_all(file.fd, file.path, text, size);
			free(text);
		}
		if (err) {
			print_error(NULL, err);
			crash_error_destroy(err);
			output_failed = true;
			rc = EXIT_OUTPUT;
		} else if (!x || !dec) {
			rc = EXIT_NO_LOG;
		}
	}

	if (!output_failed) {
		err = output_flush(out);
		if (!err && (rc == EXIT_OK || rc == EXIT_PARTIAL))
			err = output_file_commit(&file);
		if (err) {
			print_error(NULL, err);
			crash_error_destroy(err);
			rc = EXIT_OUTPUT;
		}
	}

	if (o.save_minimal_path && x && xen) {
		// Keep Xen's console ring too when its symbols are known.
		struct xen_conring_syms syms;
		bool have_syms;
		struct xen_conring ring = {0};
		err = conring_symbols(&o, &hints, &syms, &have_syms);
		if (!err && have_syms)
			err = xen_conring_read(xen, &syms, &ring);
		xen_conring_deinit(&ring);
		if (err) {
			print_error("--save-minimal: Xen console ring", err);
			crash_error_destroy(err);
		}
	}
	if (o.save_minimal_path && x) {
		err = vmcore_write_minimal(vm, o.save_minimal_path);
		if (err) {
			print_error("--save-minimal", err);
			crash_error_destroy(err);
			if (rc == EXIT_OK)
				rc = EXIT_OUTPUT;
		}
	}

	if (!o.quiet && x && dec && !o.summary) {
		fprintf(stderr, "%s: %s log: %" PRIu64 " records printed, %" PRIu64
			" skipped, %" PRIu64 " lost",
			program, stats.format_name, stats.printed, stats.skipped,
			stats.lost);
		if (stats.has_fail_count && stats.fail_count)
			fprintf(stderr, ", %" PRIu64 " failed reservations",
				stats.fail_count);
		if (stats.skipped && stats.first_skip_reason[0])
			fprintf(stderr, " (first skip: %s)", stats.first_skip_reason);
		fprintf(stderr, "\n");
	}

out:
	free(log_error_buf);
	vmcore_xen_dom0_deinit(&dom0);
	xen_destroy(xen);
	summary_destroy(summary);
	output_destroy(out);
	output_file_close(&file);
	xlat_destroy(x);
	vmcoreinfo_destroy(vi);
	vmcore_close(vm);
	return rc;
}
