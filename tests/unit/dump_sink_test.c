/*
 * dump_sink_test.c - the file sink (NAME.incomplete, 0600, rename on
 * finish), the flattened stream (record framing, coalescing, end marker),
 * flat_reassemble() on good and hostile streams, and write errors (a
 * closed pipe, /dev/full); direct I/O against a model of the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../../capture/crashcopy/dump_sink.h"
#include "../../lib/sha256.h"
#include "test.h"

static char tmpdir[64];

static char *path_in_tmp(const char *name)
{
	static char buf[4][256];
	static int next;
	char *p = buf[next++ % 4];
	snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
	return p;
}

/* The whole content of @path (malloc'd) and its size. */
static uint8_t *slurp(const char *path, size_t *size_ret)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	struct stat st;
	fstat(fd, &st);
	uint8_t *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*size_ret = got;
	return buf;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * The writes every sink test replays: out of order, overlapping (the last
 * wins), a 0-length one, many small contiguous ones, and a 3 MiB one.
 */
static void replay_writes(struct dump_sink *s, bool *ok)
{
	static uint8_t big[3 << 20];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + i / 4096);
	uint8_t small[4096];
	struct crash_error *err;
#define W(off, buf, len)                                                     \
	do {                                                                 \
		if ((err = dump_sink_write(s, off, buf, len))) {             \
			fprintf(stderr, "write: %s\n", err->message);        \
			crash_error_destroy(err);                            \
			*ok = false;                                         \
		}                                                            \
	} while (0)
	memset(small, 'H', 64);
	W(0, small, 64);
	// 300 contiguous pages: coalesced into records of at least 1 MiB.
	for (int i = 0; i < 300; i++) {
		memset(small, 'a' + i % 26, sizeof(small));
		W(8192 + (uint64_t)i * 4096, small, sizeof(small));
	}
	W(4096, small, 0);
	W(8 << 20, big, sizeof(big));
	// The header rewritten: the last write wins.
	memset(small, 'h', 16);
	W(0, small, 16);
#undef W
}

static void test_file_sink(void)
{
	char *final = path_in_tmp("dump");
	char *tmp = path_in_tmp("dump.incomplete");
	struct dump_sink *s = NULL;
	mode_t old = umask(0);
	CHECK_OK(dump_sink_file_create(final, 0, &s));
	umask(old);
	if (!s)
		return;
	CHECK(!dump_sink_is_stream(s));
	CHECK_STR(dump_sink_name(s), tmp);
	struct stat st;
	CHECK(stat(tmp, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(stat(final, &st) < 0 && errno == ENOENT);
	bool ok = true;
	replay_writes(s, &ok);
	CHECK(ok);
	// Destroyed unfinished: NAME.incomplete stays, NAME does not appear.
	dump_sink_destroy(s);
	CHECK(stat(tmp, &st) == 0);
	CHECK(stat(final, &st) < 0);

	// O_EXCL: an existing NAME.incomplete is not replaced ...
	char want[512];
	snprintf(want, sizeof(want), "%s: cannot create it: File exists", tmp);
	s = NULL;
	CHECK_ERR(dump_sink_file_create(final, 0, &s), CRASH_ERR_OS, want);
	// ... unless asked; then its mode is reset too.
	chmod(tmp, 0644);
	CHECK_OK(dump_sink_file_create(final, DUMP_SINK_OVERWRITE, &s));
	if (!s)
		return;
	CHECK(stat(tmp, &st) == 0 && (st.st_mode & 0777) == 0600);
	ok = true;
	replay_writes(s, &ok);
	CHECK(ok);
	CHECK_OK(dump_sink_sync(s));
	CHECK_OK(dump_sink_finish(s));
	CHECK_OK(dump_sink_finish(s));
	snprintf(want, sizeof(want), "%s: write after finish", tmp);
	CHECK_ERR(dump_sink_write(s, 0, "x", 1), CRASH_ERR_UNSUPPORTED, want);
	dump_sink_destroy(s);
	CHECK(stat(tmp, &st) < 0 && errno == ENOENT);
	CHECK(stat(final, &st) == 0 && st.st_size == (8 << 20) + (3 << 20));

	size_t size;
	uint8_t *buf = slurp(final, &size);
	CHECK(buf && memcmp(buf, "hhhhhhhhhhhhhhhhHHHH", 20) == 0);
	CHECK(buf && buf[8192] == 'a' && buf[8192 + 299 * 4096] == 'a' + 299 % 26);
	CHECK(buf && buf[4096] == 0);
	free(buf);

	// A finished NAME is not replaced without overwrite.
	snprintf(want, sizeof(want), "%s: refusing to replace it: File exists",
		 final);
	s = NULL;
	CHECK_ERR(dump_sink_file_create(final, 0, &s), CRASH_ERR_OS, want);
	CHECK(s == NULL);

	snprintf(want, sizeof(want),
		 "%s/nodir/x.incomplete: cannot create it: No such file or directory",
		 tmpdir);
	CHECK_ERR(dump_sink_file_create(path_in_tmp("nodir/x"), 0, &s),
		  CRASH_ERR_OS, want);
	dump_sink_destroy(NULL);
}

/* Walk a stream's records; false if the framing is wrong. */
static bool check_framing(const uint8_t *buf, size_t size, size_t *records_ret,
			  size_t *small_ret)
{
	if (size < 4096 || memcmp(buf, "makedumpfile\0\0\0\0", 16) != 0 ||
	    get_be64(buf + 16) != 1 || get_be64(buf + 24) != 1)
		return false;
	for (size_t i = 32; i < 4096; i++)
		if (buf[i])
			return false;
	size_t pos = 4096, records = 0, small = 0;
	while (size - pos >= 16) {
		uint64_t off = get_be64(buf + pos), len = get_be64(buf + pos + 8);
		pos += 16;
		if (off == UINT64_MAX && len == UINT64_MAX) {
			*records_ret = records;
			*small_ret = small;
			return pos == size;
		}
		// W1: never 0; W5: never above 64 MiB.
		if (len == 0 || len > (64 << 20) || len > size - pos)
			return false;
		if (len < (1 << 20))
			small++;
		records++;
		pos += len;
	}
	return false;
}

static void test_flat_roundtrip(void)
{
	int fd = memfd_create("stream", 0);
	struct dump_sink *s = NULL;
	CHECK_OK(dump_sink_flat_create(fd, "stream", &s));
	if (!s)
		return;
	CHECK(dump_sink_is_stream(s));
	CHECK_STR(dump_sink_name(s), "stream");
	bool ok = true;
	replay_writes(s, &ok);
	CHECK(ok);
	CHECK_OK(dump_sink_finish(s));
	dump_sink_destroy(s);

	size_t size = (size_t)lseek(fd, 0, SEEK_END);
	uint8_t *buf = malloc(size);
	CHECK(pread(fd, buf, size, 0) == (ssize_t)size);
	size_t records = 0, small = 0;
	CHECK(check_framing(buf, size, &records, &small));
	// 64 B header; 300 pages as 1 MiB + 176 KiB (the run breaks at
	// 8 MiB); 3 MiB at once; the 16-byte header rewrite.
	CHECK_EQ_U64(records, 5);
	CHECK_EQ_U64(small, 3);
	free(buf);

	// Reassembled, it is byte for byte the file sink's output.
	char *final = path_in_tmp("reassembled");
	CHECK_OK(dump_sink_file_create(final, 0, &s));
	lseek(fd, 0, SEEK_SET);
	CHECK_OK(flat_reassemble(fd, "stream", s));
	CHECK_OK(dump_sink_finish(s));
	dump_sink_destroy(s);
	size_t a_size, b_size;
	uint8_t *a = slurp(final, &a_size);
	uint8_t *b = slurp(path_in_tmp("dump"), &b_size);
	CHECK(a && b && a_size == b_size && memcmp(a, b, a_size) == 0);
	free(a);
	free(b);

	// makedumpfile -R agrees.
	char cmd[1024];
	char *mdf_out = path_in_tmp("mdf-R");
	snprintf(cmd, sizeof(cmd),
		 "makedumpfile -R %s < /proc/%d/fd/%d >/dev/null 2>&1 && cmp -s %s %s",
		 mdf_out, (int)getpid(), fd, mdf_out, path_in_tmp("dump"));
	lseek(fd, 0, SEEK_SET);
	CHECK(system(cmd) == 0);
	close(fd);
}

/* Run flat_reassemble() on @len bytes of @stream; returns its error. */
static struct crash_error *reassemble_bytes(const uint8_t *stream, size_t len)
{
	int fd = memfd_create("hostile", 0);
	if (write(fd, stream, len) != (ssize_t)len)
		return crash_error_create(CRASH_ERR_OS, "test: memfd write");
	lseek(fd, 0, SEEK_SET);
	struct dump_sink *out = NULL;
	struct crash_error *err =
		dump_sink_file_create(path_in_tmp("hostile-out"), DUMP_SINK_OVERWRITE, &out);
	if (!err)
		err = flat_reassemble(fd, "in.flat", out);
	dump_sink_destroy(out);
	close(fd);
	return err;
}

/* A header, then @n records of {offset, size} with size bytes of payload. */
static size_t build_stream(uint8_t *buf, const int64_t (*rec)[2], size_t n,
			   bool end_marker)
{
	memset(buf, 0, 4096);
	memcpy(buf, "makedumpfile", 12);
	put_be64(buf + 16, 1);
	put_be64(buf + 24, 1);
	size_t pos = 4096;
	for (size_t i = 0; i < n; i++) {
		put_be64(buf + pos, (uint64_t)rec[i][0]);
		put_be64(buf + pos + 8, (uint64_t)rec[i][1]);
		pos += 16;
		if (rec[i][1] > 0 && rec[i][1] < 65536) {
			memset(buf + pos, 'p', (size_t)rec[i][1]);
			pos += (size_t)rec[i][1];
		}
	}
	if (end_marker) {
		memset(buf + pos, 0xff, 16);
		pos += 16;
	}
	return pos;
}

static void test_flat_hostile(void)
{
	static uint8_t buf[1 << 17];
	size_t len;

	static const int64_t good[][2] = { { 0, 100 }, { 4096, 10 } };
	len = build_stream(buf, good, 2, true);
	CHECK_OK(reassemble_bytes(buf, len));

	// R1
	CHECK_ERR(reassemble_bytes(buf, 100), CRASH_ERR_CORRUPT,
		  "in.flat: truncated flattened header: 100 of 4096 bytes");
	buf[12] = 'X';
	CHECK_ERR(reassemble_bytes(buf, len), CRASH_ERR_CORRUPT,
		  "in.flat: not a flattened dump: the 16-byte signature at byte offset 0 is not \"makedumpfile\"");
	buf[12] = 0;
	put_be64(buf + 16, 2);
	CHECK_ERR(reassemble_bytes(buf, len), CRASH_ERR_CORRUPT,
		  "in.flat: flattened header type 2 at byte offset 16, expected 1");
	put_be64(buf + 16, 1);
	put_be64(buf + 24, 7);
	CHECK_ERR(reassemble_bytes(buf, len), CRASH_ERR_CORRUPT,
		  "in.flat: flattened header version 7 at byte offset 24, expected 1");

	// R3: a zero-size record, a negative and a huge size.
	static const int64_t zero[][2] = { { 0, 100 }, { 4096, 0 } };
	len = build_stream(buf, zero, 2, true);
	CHECK_ERR(reassemble_bytes(buf, len), CRASH_ERR_CORRUPT,
		  "in.flat: record at byte offset 4212: size 0, expected 1 to 1073741824");
	static const int64_t negsize[][2] = { { 0, -2 } };
	len = build_stream(buf, negsize, 1, true);
	CHECK_ERR(reassemble_bytes(buf, len), CRASH_ERR_CORRUPT,
		  "in.flat: record at byte offset 4096: size -2, expected 1 to 1073741824");
	static const int64_t huge[][2] = { { 0, INT64_C(1) << 40 } };
	len = build_stream(buf, huge, 1, true);
	CHECK_ERR(reassemble_bytes(buf, len), CRASH_ERR_CORRUPT,
		  "in.flat: record at byte offset 4096: size 1099511627776, expected 1 to 1073741824");

	// R4: a negative offset, -1 with a real size, 2^62.
	static const int64_t negoff[][2] = { { -4096, 10 } };
	len = build_stream(buf, negoff, 1, true);
	CHECK_ERR(reassemble_bytes(buf, len), CRASH_ERR_CORRUPT,
		  "in.flat: record at byte offset 4096: offset -4096, expected 0 to 2^62-1");
	static const int64_t halfend[][2] = { { -1, 10 } };
	len = build_stream(buf, halfend, 1, true);
	CHECK_ERR(reassemble_bytes(buf, len), CRASH_ERR_CORRUPT,
		  "in.flat: record at byte offset 4096: offset -1, expected 0 to 2^62-1");
	static const int64_t far[][2] = { { INT64_C(1) << 62, 10 } };
	len = build_stream(buf, far, 1, true);
	CHECK_ERR(reassemble_bytes(buf, len), CRASH_ERR_CORRUPT,
		  "in.flat: record at byte offset 4096: offset 4611686018427387904, expected 0 to 2^62-1");

	// R2, R5: truncated payload, truncated record header, no end marker.
	len = build_stream(buf, good, 2, false);
	CHECK_ERR(reassemble_bytes(buf, len - 4), CRASH_ERR_CORRUPT,
		  "in.flat: record at byte offset 4212: truncated payload: the stream ends at byte offset 4234, 4 of 10 bytes missing");
	CHECK_ERR(reassemble_bytes(buf, 4096 + 116 + 8), CRASH_ERR_CORRUPT,
		  "in.flat: truncated record header at byte offset 4212: 8 of 16 bytes");
	CHECK_ERR(reassemble_bytes(buf, len), CRASH_ERR_CORRUPT,
		  "in.flat: no end marker: the stream ends at byte offset 4238 after 2 records");
	CHECK_ERR(reassemble_bytes(buf, 4096), CRASH_ERR_CORRUPT,
		  "in.flat: no end marker: the stream ends at byte offset 4096 after 0 records");

	// R6: reading stops at the end marker; what follows (here a hostile
	// record header, as the rest of a raw device may hold) is not read.
	len = build_stream(buf, good, 2, true);
	memset(buf + len, 0xff, 64);
	{
		int fd = memfd_create("trailing", 0);
		CHECK(write(fd, buf, len + 64) == (ssize_t)(len + 64));
		lseek(fd, 0, SEEK_SET);
		struct dump_sink *out = NULL;
		CHECK_OK(dump_sink_file_create(path_in_tmp("trailing-out"), DUMP_SINK_OVERWRITE, &out));
		CHECK_OK(flat_reassemble(fd, "in.flat", out));
		CHECK(lseek(fd, 0, SEEK_CUR) == (off_t)len);
		dump_sink_destroy(out);
		close(fd);
	}
}

static void test_stream_errors(void)
{
	signal(SIGPIPE, SIG_IGN);
	struct dump_sink *s = NULL;

	// A reader that went away before the header.
	int p[2];
	CHECK(pipe(p) == 0);
	close(p[0]);
	CHECK_ERR(dump_sink_flat_create(p[1], "pipe", &s), CRASH_ERR_OS,
		  "pipe: writing the flattened header: Broken pipe");
	CHECK(s == NULL);
	close(p[1]);

	// A reader that went away mid-stream.
	CHECK(pipe(p) == 0);
	CHECK_OK(dump_sink_flat_create(p[1], "pipe", &s));
	close(p[0]);
	static uint8_t big[2 << 20];
	CHECK_ERR(dump_sink_write(s, 0, big, sizeof(big)), CRASH_ERR_OS,
		  "pipe: writing a record of 2097152 bytes for offset 0x0: Broken pipe");
	// The framing is lost: no more writes, no end marker.
	CHECK_ERR(dump_sink_write(s, 0, big, 10), CRASH_ERR_OS,
		  "pipe: an earlier write failed: Broken pipe");
	CHECK_ERR(dump_sink_finish(s), CRASH_ERR_OS,
		  "pipe: an earlier write failed: Broken pipe");
	CHECK_ERR(dump_sink_sync(s), CRASH_ERR_OS,
		  "pipe: an earlier write failed: Broken pipe");
	dump_sink_destroy(s);
	close(p[1]);

	// A small write is buffered: the error comes with the flush.
	CHECK(pipe(p) == 0);
	s = NULL;
	CHECK_OK(dump_sink_flat_create(p[1], "pipe", &s));
	close(p[0]);
	CHECK_OK(dump_sink_write(s, 4096, big, 100));
	CHECK_ERR(dump_sink_finish(s), CRASH_ERR_OS,
		  "pipe: writing a record of 100 bytes for offset 0x1000: Broken pipe");
	dump_sink_destroy(s);
	close(p[1]);

	// A full disk.
	int full = open("/dev/full", O_WRONLY);
	if (full >= 0) {
		CHECK_ERR(dump_sink_flat_create(full, "/dev/full", &s),
			  CRASH_ERR_OS,
			  "/dev/full: writing the flattened header: No space left on device");
		close(full);
	}
	signal(SIGPIPE, SIG_DFL);
}

/* The SHA-256 of @len bytes as hex. */
static void hex_of(const uint8_t *buf, size_t len, char *hex)
{
	struct sha256 h;
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_init(&h);
	sha256_update(&h, buf, len);
	sha256_final(&h, d);
	sha256_hex(d, hex);
}

/*
 * dump_sink_hash_enable(): the digest is that of exactly the bytes left
 * behind, for a file written out of order (the header rewritten last) and
 * for a stream (its header, records and end marker); none before finish.
 */
static void test_sink_hash(void)
{
	char *final = path_in_tmp("hashed");
	struct dump_sink *s = NULL;
	uint8_t d[SHA256_DIGEST_SIZE];
	char got[2 * SHA256_DIGEST_SIZE + 1], want[2 * SHA256_DIGEST_SIZE + 1];
	CHECK_OK(dump_sink_file_create(final, 0, &s));
	if (!s)
		return;
	dump_sink_hash_enable(s);
	bool ok = true;
	replay_writes(s, &ok);
	CHECK(ok);
	CHECK(!dump_sink_sha256(s, d));
	CHECK_OK(dump_sink_finish(s));
	CHECK(dump_sink_sha256(s, d));
	dump_sink_destroy(s);
	sha256_hex(d, got);
	size_t size;
	uint8_t *buf = slurp(final, &size);
	CHECK(buf && size == (8 << 20) + (3 << 20));
	if (buf)
		hex_of(buf, size, want);
	CHECK_STR(got, want);
	free(buf);

	int fd = memfd_create("hashed-stream", 0);
	s = NULL;
	CHECK_OK(dump_sink_flat_create(fd, "stream", &s));
	if (!s)
		return;
	dump_sink_hash_enable(s);
	replay_writes(s, &ok);
	CHECK(ok);
	CHECK_OK(dump_sink_finish(s));
	CHECK(dump_sink_sha256(s, d));
	dump_sink_destroy(s);
	sha256_hex(d, got);
	size = (size_t)lseek(fd, 0, SEEK_END);
	buf = malloc(size);
	CHECK(buf && pread(fd, buf, size, 0) == (ssize_t)size);
	if (buf)
		hex_of(buf, size, want);
	CHECK_STR(got, want);
	free(buf);
	close(fd);

	// Not enabled: no digest.
	CHECK_OK(dump_sink_file_create(path_in_tmp("unhashed"), 0, &s));
	if (!s)
		return;
	CHECK_OK(dump_sink_finish(s));
	CHECK(!dump_sink_sha256(s, d));
	dump_sink_destroy(s);
}

/*
 * Direct I/O (dump_sink.c D1-D4): a file sink given the kdump writer's
 * shapes of writes -- an unaligned contiguous data stream in odd sizes,
 * descriptor batches below it, an overlapping rewrite, the header last --
 * leaves exactly the bytes a model of the file holds, with and without
 * DUMP_SINK_BUFFERED.  On ext2/3/4 and XFS the bulk went through O_DIRECT
 * (dump_sink_direct_bytes() counts it); elsewhere none did.
 */
static void test_direct_io(void)
{
	enum { FILE_BYTES = 12 << 20, DATA_START = (1 << 20) + 333 };
	uint8_t *model = calloc(1, FILE_BYTES), *src = malloc(FILE_BYTES);
	if (!model || !src) {
		CHECK(!"out of memory");
		free(model);
		free(src);
		return;
	}
	for (size_t i = 0; i < FILE_BYTES; i++)
		src[i] = (uint8_t)(i * 131 + (i >> 12) * 7 + 1);
	struct statfs fs;
	CHECK(statfs(tmpdir, &fs) == 0);
	bool direct_fs = fs.f_type == 0xef53 || fs.f_type == 0x58465342;
	for (int pass = 0; pass < 2; pass++) {
		unsigned int flags = pass ? DUMP_SINK_BUFFERED : 0;
		char *final = path_in_tmp(pass ? "buffered" : "direct");
		struct dump_sink *s = NULL;
		CHECK_OK(dump_sink_file_create(final, flags, &s));
		if (!s)
			break;
		memset(model, 0, FILE_BYTES);
		uint64_t end = 0;
		bool ok = true;
		struct crash_error *err;
#define W(off, len)                                                          \
	do {                                                                 \
		memcpy(model + (off), src + (off), (len));                   \
		if ((off) + (len) > end)                                     \
			end = (off) + (len);                                 \
		if ((err = dump_sink_write(s, (off), src + (off), (len)))) { \
			fprintf(stderr, "write: %s\n", err->message);        \
			crash_error_destroy(err);                            \
			ok = false;                                          \
		}                                                            \
	} while (0)
		W(0, 464);
		uint64_t data = DATA_START, desc = 4096 + 17;
		uint32_t seed = 12345;
		// Data appends of 1..1 MiB + 4095 bytes, a descriptor batch now
		// and then, as kdump_writer.c K7/K8 interleave them.
		while (data < FILE_BYTES - (2 << 20)) {
			seed = seed * 1103515245 + 12345;
			size_t len = 1 + (seed >> 8) % ((1 << 20) + 4095);
			W(data, len);
			data += len;
			if (seed & 0x100 && desc + 24 * 97 < DATA_START) {
				W(desc, 24 * 97);
				desc += 24 * 97;
			}
		}
		// An aligned rewrite over what was written buffered and direct.
		W(DATA_START - 333 + 8192, 3 << 20);
		W(0, 464);
#undef W
		CHECK(ok);
		CHECK_OK(dump_sink_finish(s));
		uint64_t direct = dump_sink_direct_bytes(s);
		dump_sink_destroy(s);
		if (pass || !direct_fs)
			CHECK_EQ_U64(direct, 0);
		else
			CHECK(direct > FILE_BYTES / 2);
		size_t size;
		uint8_t *got = slurp(final, &size);
		CHECK_EQ_U64(size, end);
		CHECK(got && memcmp(got, model, end) == 0);
		free(got);
	}
	free(model);
	free(src);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dump_sink_test.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	RUN(test_file_sink);
	RUN(test_flat_roundtrip);
	RUN(test_flat_hostile);
	RUN(test_stream_errors);
	RUN(test_sink_hash);
	RUN(test_direct_io);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return test_summary("dump_sink_test");
}
