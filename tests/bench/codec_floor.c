/*
 * codec_floor KDUMP CODEC - the CPU time crashcopy's codec alone spends on
 * the pages a dump stores, in one thread: a lower bound of any copy that
 * compresses page by page, for make bench (tests/bench/bench.py copy).
 *
 * KDUMP is a kdump-compressed dump written without compression (crashcopy
 * -d LEVEL, no -c/-l/-z), so its payloads are the kept pages themselves.
 * Every page that is not all zero (a copy points zero pages at the shared
 * zero block without compressing them) goes through codec_compress_into(),
 * the call crashcopy's workers make, with one reused codec (CODEC: lzo,
 * zstd or zlib).  The pages are read into memory first; the timed part is
 * the compression only, best of three passes, thread CPU time.  Prints one
 * JSON line: {"pages":N,"cpu_ms":T,"bytes":B,"zstd":"VERSION"} (the libzstd
 * linked, as crashcopy links it).
 *
 * Reads the LP64 little-endian header only (the bench core is x86_64), and
 * checks what it uses: this is a bench tool, but a wrong file must give a
 * message, not a wrong figure.  Exit 0, or 1 with a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "../../capture/crashcopy/codec.h"
#include "../../lib/fd_io.h"
#include "../../lib/rd.h"

/* disk_dump_header, LP64 (kdump_writer.c's byte map). */
enum {
	HDR_SIZE = 464,
	HDR_BLOCK_SIZE = 428,
	HDR_SUB_HDR_SIZE = 432,
	HDR_BITMAP_BLOCKS = 436,
	DESC_SIZE = 24,
	PASSES = 3,
};

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "codec_floor: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

/* The bench core's dump: x86_64. */
static const struct rd_format lp64_le = {RD_LITTLE_ENDIAN, 8};

static uint32_t get32(const uint8_t *p)
{
	return rd_u32(&lp64_le, p);
}

/* @len bytes at @offset of @fd, or die naming @what. */
static void read_at(int fd, void *buf, size_t len, uint64_t offset,
		    const char *what)
{
	size_t got;
	if (fd_pread_full(fd, buf, len, offset, &got) != 0 || got != len)
		die("cannot read the %s", what);
}

static double thread_cpu_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		die("%s", "usage: codec_floor KDUMP lzo|zstd|zlib");
	enum codec_kind kind = strcmp(argv[2], "lzo") == 0 ? CODEC_LZO
			     : strcmp(argv[2], "zstd") == 0 ? CODEC_ZSTD
			     : strcmp(argv[2], "zlib") == 0 ? CODEC_ZLIB
			     : CODEC_NONE;
	if (kind == CODEC_NONE)
		die("unknown codec '%s'", argv[2]);
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("cannot open %s", argv[1]);
	uint8_t hdr[HDR_SIZE];
	read_at(fd, hdr, sizeof(hdr), 0, "header");
	if (memcmp(hdr, "KDUMP   ", 8) != 0)
		die("%s is not a kdump-compressed dump", argv[1]);
	uint32_t bs = get32(hdr + HDR_BLOCK_SIZE);
	uint32_t sub = get32(hdr + HDR_SUB_HDR_SIZE);
	uint32_t blocks = get32(hdr + HDR_BITMAP_BLOCKS);
	if (bs < 1024 || bs > (1u << 20) || (bs & (bs - 1)) || blocks == 0 ||
	    blocks % 2 || blocks > (1u << 20) || sub > (1u << 20))
		die("%s: block size or bitmap blocks out of range", argv[1]);

	// Descriptors: one per set bit of the second bitmap.
	size_t half = (size_t)blocks / 2 * bs;
	uint8_t *bitmap = malloc(half);
	if (!bitmap)
		die("%s", "out of memory");
	read_at(fd, bitmap, half, (uint64_t)(1 + sub) * bs + half, "second bitmap");
	uint64_t count = 0;
	for (size_t i = 0; i < half; i++)
		count += (uint64_t)__builtin_popcount(bitmap[i]);
	free(bitmap);

	uint8_t *pages = malloc(count ? count * bs : 1);
	uint8_t desc[DESC_SIZE], *dst = NULL;
	if (!pages)
		die("%s", "out of memory");
	uint64_t desc_at = (uint64_t)(1 + sub + blocks) * bs, kept = 0;
	for (uint64_t i = 0; i < count; i++) {
		read_at(fd, desc, sizeof(desc), desc_at + i * DESC_SIZE, "descriptors");
		uint64_t offset = rd_u64(&lp64_le, desc);
		if (get32(desc + 8) != bs || get32(desc + 12) != 0)
			die("%s: a page is compressed (write it with no -c/-l/-z)", argv[1]);
		uint8_t *p = pages + kept * bs;
		read_at(fd, p, bs, offset, "pages");
		for (uint32_t j = 0; j < bs; j++) {
			if (p[j]) {
				kept++;
				break;
			}
		}
	}
	close(fd);

	struct codec *c;
	struct crash_error *err = codec_create(kind, bs, &c);
	if (err || !(dst = malloc(codec_bound(c))))
		die("%s", "cannot create the codec");
	double best = 0;
	uint64_t bytes = 0;
	for (int pass = 0; pass < PASSES; pass++) {
		double t = thread_cpu_ms();
		bytes = 0;
		for (uint64_t i = 0; i < kept; i++) {
			size_t n = codec_compress_into(c, pages + i * bs, dst);
			bytes += n ? n : bs;
		}
		t = thread_cpu_ms() - t;
		if (pass == 0 || t < best)
			best = t;
	}
	printf("{\"pages\":%" PRIu64 ",\"cpu_ms\":%.1f,\"bytes\":%" PRIu64
	       ",\"zstd\":\"%s\"}\n", kept, best, bytes, ZSTD_versionString());
	codec_destroy(c);
	free(dst);
	free(pages);
	return 0;
}
