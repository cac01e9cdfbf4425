/*
 * dump_sink.c - a seekable file or a flattened stream, and the reassembler
 * that turns the stream back into the file.
 *
 * What it is: the writers (kdump_writer.c, the ELF writer) place bytes at
 * file offsets, in two regions at once (descriptors low, page data high)
 * and the header twice (incomplete, then complete).  A file takes that with
 * pwrite(); a pipe (crashcopy -F | ssh host 'cat > f') cannot seek, so
 * makedumpfile's flattened format (-F; spec dump-formats.md §2) wraps each
 * write in a record saying where its bytes belong.
 *
 * Flattened stream byte map (every integer big-endian, whatever the dump's
 * byte order; makedumpfile.h struct makedumpfile_header and
 * makedumpfile_data_header, libkdumpfile src/kdumpfile/diskdump.c):
 *
 *   0     16  signature  "makedumpfile" then NULs
 *   16     8  type       1 (TYPE_FLAT_HEADER)
 *   24     8  version    1
 *   32  4064  zero
 *   4096 ...  records:   offset i64, size i64, then size payload bytes
 *        ...  end marker: offset -1, size -1, no payload
 *
 * Rules of the stream we write (numbered, cited in code):
 *  W1. Never a record of size 0: makedumpfile -R stops at the first record
 *      with buf_size <= 0 and fails unless it is the -1/-1 end marker
 *      (rearrange_dumpdata()).
 *  W2. Large records: consecutive writes whose offsets are contiguous are
 *      coalesced until at least FLAT_RECORD_MIN_SIZE (1 MiB) is pending.
 *      crash's store_flat_data_array() insertion-sorts the records, so
 *      their count matters (spec §2).
 *  W3. Order is kept: a write that does not continue the pending record
 *      flushes it first, so the last write to a range is still the last
 *      record for it (-R and libkdumpfile let the last record win).
 *  W4. The end marker goes out only from dump_sink_finish(): a receiver
 *      that sees none knows the stream was cut.
 *  W5. No record is larger than FLAT_RECORD_MAX_EMIT (64 MiB), well below
 *      the 1 GiB that flat_reassemble() accepts (R3).
 *
 * Validity conditions of flat_reassemble() (each failure is CORRUPT naming
 * the byte offset in the stream and the value):
 *  R1. The stream holds a whole 4096-byte header: signature
 *      "makedumpfile" padded with NULs to 16 bytes, type 1, version 1.
 *  R2. Each record header is whole; a stream that ends at a record
 *      boundary has no end marker.
 *  R3. 0 < size <= FLAT_RECORD_MAX_SIZE (1 GiB).  makedumpfile writes at
 *      most its write cache at once; the bound keeps a hostile size from
 *      meaning "read forever".  The payload is copied in 1 MiB chunks, so
 *      memory use does not depend on it.
 *  R4. 0 <= offset < 2^62, so offset + size cannot wrap and the output
 *      file stays within what pwrite() accepts.
 *  R5. The payload is whole.
 *  R6. The end marker is exactly -1/-1, and reading stops there.  What
 *      follows is not read: a stream saved on a raw device is followed by
 *      the rest of the device (makedumpfile -R stops there too).
 * The loop is bounded: each record consumes at least 17 stream bytes.
 *
 * What a crash leaves half-done: a file sink killed before finish stays as
 * NAME.incomplete (the writer has also set the incomplete bit in the dump
 * header); a stream cut anywhere lacks its end marker (W4, R2, R5).
 *
 * File sinks: NAME.incomplete is created 0600 with O_EXCL (unless
 * overwrite), fchmod()ed to 0600 in case it existed, written with pwrite()
 * loops that retry EINTR and continue short writes; finish fsyncs, renames
 * it to NAME (RENAME_NOREPLACE unless overwrite) and fsyncs the directory.
 *
 * File sinks write in the background: dump_sink_write() copies the bytes
 * into one of FILE_SLOTS slots of FILE_SLOT_SIZE and returns; a writer
 * thread pwrite()s the slots in the order given (so the last write to a
 * range still wins, and data still lands before the descriptors that point
 * at it) and starts the disk's writeback of each range at once
 * (sync_file_range(SYNC_FILE_RANGE_WRITE)), so that the final fsync has
 * little left to wait for.  The caller compresses the next pages while the
 * kernel copies the last ones into the page cache: with one compressing
 * thread, crashcopy uses two.  Rules:
 *  A1. After a failed pwrite the writer drops every later slot unwritten:
 *      nothing written after a failure can point at bytes that are missing.
 *  A2. The failure is reported (as the failed pwrite's error, naming its
 *      offset and size) by the next dump_sink_write(), dump_sink_sync() or
 *      dump_sink_finish(); so an error may surface one call late, as the
 *      writers' own buffering already allows.
 *  A3. sync, finish and destroy first wait until every slot given is
 *      written or dropped; destroy then stops the thread, so an unfinished
 *      NAME.incomplete holds everything written before it.
 * If the thread cannot be started, writes are synchronous.
 *
 * Direct I/O (file sinks on ext2/3/4 and XFS, unless DUMP_SINK_BUFFERED):
 * the writer thread also holds NAME.incomplete open with O_DIRECT and
 * writes the block-aligned middle of each slot through it, straight from
 * the slot to the disk; only a slot's partial first and last blocks (and
 * every write of the synchronous fallback) go through the page cache.
 * Why: the page cache costs a copy of every output byte plus the file
 * system's per-page bookkeeping (a third of a -d 1 copy's CPU time, more
 * than lzo), and in a capture kernel of a few hundred MiB it is memory the
 * kernel must reclaim while the dump is written.  Rules:
 *  D1. A slot's bytes sit in its buffer at the offset's remainder modulo
 *      DIRECT_ALIGN (the host page size, at least 4096), so the aligned
 *      middle of the file range is also aligned in memory.  Direct and
 *      buffered writes never share a host page of the file: the kernel
 *      writes back and drops the page-cache pages a direct write covers,
 *      and the partial blocks are whole pages of their own.
 *  D2. A direct write refused with EINVAL (a file system or device with
 *      other alignment needs) is redone buffered, and direct I/O is off
 *      for the rest of the sink.  Other errors are the write's (A1, A2).
 *  D3. Other file systems get buffered writes only: NFS and FUSE serve
 *      O_DIRECT one synchronous request at a time, tmpfs has no disk.
 *  D4. fsync and fdatasync still run: direct writes do not make the file's
 *      size and extents, or the disk's write cache, durable.
 *
 * SIGPIPE: writing to a closed pipe raises it; main() ignores the signal so
 * that the write fails with EPIPE and is reported like any other error.
 */
#include "dump_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../../lib/fd_io.h"
#include "../../lib/sha256.h"

enum {
	FLAT_HEADER_SIZE = 4096,
	FLAT_SIGNATURE_SIZE = 16,
	FLAT_TYPE_FLAT_HEADER = 1,
	FLAT_VERSION = 1,
	FLAT_RECORD_HEADER_SIZE = 16,
	// W2: a pending record is flushed once it holds this much.
	FLAT_RECORD_MIN_SIZE = 1 << 20,
	// W2: room for one more write below the minimum size on top.
	FLAT_BUFFER_SIZE = 2 << 20,
	// W5: the largest record we write.
	FLAT_RECORD_MAX_EMIT = 64 << 20,
	// R3: the largest record flat_reassemble() accepts.
	FLAT_RECORD_MAX_SIZE = 1 << 30,
	// R3: payloads are copied in chunks of this size.
	FLAT_CHUNK_SIZE = 1 << 20,
	// File sinks: the background writer's queue (4 MiB in all: peak
	// RSS is a goal; a direct write waits for the disk, and 1 MiB ones,
	// the kdump writer's data appends, kept pace where 512 KiB did not).
	FILE_SLOT_SIZE = 1024 << 10,
	FILE_SLOTS = 4,
	// D1: the least alignment of direct writes (more on big-page hosts).
	DIRECT_ALIGN_MIN = 4096,
	// D3: statfs() f_type of the file systems that get direct I/O.
	EXT234_SUPER_MAGIC = 0xef53,
	XFS_SUPER_MAGIC = 0x58465342,
};

/* One queued pwrite of a file sink. */
struct file_slot {
	uint8_t *base;		/* FILE_SLOT_SIZE + direct_align bytes */
	uint8_t *buf;		/* D1: base + offset % direct_align */
	size_t len;
	uint64_t offset;
};

/*
 * The background writer of a file sink (A1-A3).  Slots
 * [head, head + count) modulo FILE_SLOTS are queued, head first; only the
 * caller's thread adds slots, only the writer removes them.
 */
struct file_writer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work;	/* a slot was queued, or stop */
	pthread_cond_t space;	/* a slot was written or dropped */
	struct file_slot slots[FILE_SLOTS];
	unsigned int head, count;
	bool stop;
	// A1, A2: the first failed pwrite.
	int errnum;
	uint64_t err_offset;
	size_t err_len;
	// D1-D3: the O_DIRECT descriptor, -1 when off; the writer's alone
	// once started.
	int direct_fd;
	size_t direct_align;
};

static const char flat_signature[] = "makedumpfile";
// R4: offsets from 2^62 up are rejected.
static const uint64_t flat_offset_limit = UINT64_C(1) << 62;

struct dump_sink {
	bool is_stream;
	int fd;
	// File sinks: NAME.incomplete; streams: the caller's name.
	char *name;
	// File sinks: the final NAME.
	char *final_path;
	bool overwrite;
	bool finished;
	// Set after a failed write of a stream: its framing is lost.
	int broken_errnum;
	// Streams: the pending record (W2, W3).
	uint8_t *buf;
	size_t buf_len;
	uint64_t buf_offset;
	// File sinks: NULL when writes are synchronous.
	struct file_writer *fw;
	// File sinks: bytes written with direct I/O (under fw->lock while
	// the writer runs).
	uint64_t direct_bytes;
	// dump_sink_hash_enable(): streams hash what fd_write_all() sends,
	// files are read back by finish; digest_ready once finished.
	bool hashing, digest_ready;
	struct sha256 hash;
	uint8_t digest[SHA256_DIGEST_SIZE];
};

static struct crash_error *sink_alloc(bool is_stream, int fd, const char *name,
				      struct dump_sink **ret)
{
	struct dump_sink *s = calloc(1, sizeof(*s));
	if (!s)
		return &crash_enomem;
	s->is_stream = is_stream;
	s->fd = fd;
	s->name = strdup(name);
	if (!s->name) {
		free(s);
		return &crash_enomem;
	}
	*ret = s;
	return NULL;
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

/* pwrite() through the page cache, and start that range's writeback. */
static int buffered_write(int fd, const uint8_t *buf, size_t len,
			  uint64_t offset)
{
	if (len == 0)
		return 0;
	int errnum = fd_pwrite_all(fd, buf, len, offset);
	// Start the writeback now; fsync waits for the rest.
	if (!errnum)
		sync_file_range(fd, (off_t)offset, (off_t)len,
				SYNC_FILE_RANGE_WRITE);
	return errnum;
}

/*
 * Write one slot: its aligned middle with direct I/O when on (D1), the
 * partial blocks around it buffered; *@direct_ret counts the direct bytes.
 * D2: EINVAL from the direct descriptor (also after a short write left an
 * unaligned rest) turns it off and the whole middle is written buffered:
 * the same bytes again where some went through.  Returns 0 or an errno.
 */
static int slot_write(int fd, struct file_writer *fw,
		      const struct file_slot *slot, uint64_t *direct_ret)
{
	uint64_t align = fw->direct_align;
	uint64_t start = slot->offset, end = slot->offset + slot->len;
	uint64_t mid = (start + align - 1) / align * align;
	uint64_t mid_end = end / align * align;
	*direct_ret = 0;
	if (fw->direct_fd < 0 || mid >= mid_end)
		return buffered_write(fd, slot->buf, slot->len, start);
	const uint8_t *p = slot->buf + (mid - start);
	size_t len = (size_t)(mid_end - mid);
	int errnum = buffered_write(fd, slot->buf, (size_t)(mid - start), start);
	if (!errnum) {
		errnum = fd_pwrite_all(fw->direct_fd, p, len, mid);
		if (errnum == EINVAL) {
			close(fw->direct_fd);
			fw->direct_fd = -1;
			errnum = buffered_write(fd, p, len, mid);
		} else if (!errnum) {
			*direct_ret = len;
		}
	}
	if (errnum)
		return errnum;
	return buffered_write(fd, slot->buf + (mid_end - start),
			      (size_t)(end - mid_end), mid_end);
}

static void *file_writer_run(void *arg)
{
	struct dump_sink *s = arg;
	struct file_writer *fw = s->fw;
	pthread_mutex_lock(&fw->lock);
	// Ends when stopped with nothing queued (A3).
	for (;;) {
		while (fw->count == 0 && !fw->stop)
			pthread_cond_wait(&fw->work, &fw->lock);
		if (fw->count == 0)
			break;
		struct file_slot *slot = &fw->slots[fw->head];
		bool failed = fw->errnum != 0;
		pthread_mutex_unlock(&fw->lock);
		int errnum = 0;
		// A1: nothing after a failure.
		uint64_t direct = 0;
		if (!failed)
			errnum = slot_write(s->fd, fw, slot, &direct);
		pthread_mutex_lock(&fw->lock);
		s->direct_bytes += direct;
		if (errnum && !fw->errnum) {
			fw->errnum = errnum;
			fw->err_offset = slot->offset;
			fw->err_len = slot->len;
		}
		fw->head = (fw->head + 1) % FILE_SLOTS;
		fw->count--;
		pthread_cond_broadcast(&fw->space);
	}
	pthread_mutex_unlock(&fw->lock);
	return NULL;
}

/*
 * D3: a second descriptor of @path with O_DIRECT, if @fd's file system is
 * one that gets direct I/O; -1 otherwise.
 */
static int direct_open(int fd, const char *path)
{
	struct statfs st;
	if (fstatfs(fd, &st) != 0 ||
	    (st.f_type != EXT234_SUPER_MAGIC && st.f_type != XFS_SUPER_MAGIC))
		return -1;
	return open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
}

/*
 * Start the background writer, with direct I/O unless @buffered; on any
 * failure writes stay synchronous (and buffered).
 */
static void file_writer_start(struct dump_sink *s, bool buffered)
{
	struct file_writer *fw = calloc(1, sizeof(*fw));
	if (!fw)
		return;
	long host_page = sysconf(_SC_PAGESIZE);
	fw->direct_align = host_page > DIRECT_ALIGN_MIN ? (size_t)host_page
							: DIRECT_ALIGN_MIN;
	for (int i = 0; i < FILE_SLOTS; i++) {
		void *p;
		if (posix_memalign(&p, fw->direct_align,
				   FILE_SLOT_SIZE + fw->direct_align) != 0)
			goto fail;
		fw->slots[i].base = p;
	}
	fw->direct_fd = buffered ? -1 : direct_open(s->fd, s->name);
	pthread_mutex_init(&fw->lock, NULL);
	pthread_cond_init(&fw->work, NULL);
	pthread_cond_init(&fw->space, NULL);
	s->fw = fw;
	if (pthread_create(&fw->thread, NULL, file_writer_run, s) == 0)
		return;
	s->fw = NULL;
	pthread_cond_destroy(&fw->space);
	pthread_cond_destroy(&fw->work);
	pthread_mutex_destroy(&fw->lock);
	if (fw->direct_fd >= 0)
		close(fw->direct_fd);
fail:
	for (int i = 0; i < FILE_SLOTS; i++)
		free(fw->slots[i].base);
	free(fw);
}

/* The writer's first failure as an error (A2); NULL if none.  Locked. */
static struct crash_error *file_writer_error(const struct dump_sink *s)
{
	const struct file_writer *fw = s->fw;
	if (!fw->errnum)
		return NULL;
	return crash_error_os(fw->errnum,
			      "%s: writing %zu bytes at offset 0x%" PRIx64,
			      s->name, fw->err_len, fw->err_offset);
}

/* A3: wait until every queued slot is written or dropped; its error. */
static struct crash_error *file_writer_drain(struct dump_sink *s)
{
	struct file_writer *fw = s->fw;
	if (!fw)
		return NULL;
	pthread_mutex_lock(&fw->lock);
	while (fw->count > 0)
		pthread_cond_wait(&fw->space, &fw->lock);
	struct crash_error *err = file_writer_error(s);
	pthread_mutex_unlock(&fw->lock);
	return err;
}

/* Queue @len bytes at @offset, in slot-sized pieces (A1, A2). */
static struct crash_error *file_writer_queue(struct dump_sink *s,
					     uint64_t offset, const void *buf,
					     size_t len)
{
	struct file_writer *fw = s->fw;
	const uint8_t *p = buf;
	while (len > 0) {
		size_t n = len < FILE_SLOT_SIZE ? len : FILE_SLOT_SIZE;
		pthread_mutex_lock(&fw->lock);
		while (fw->count == FILE_SLOTS && !fw->errnum)
			pthread_cond_wait(&fw->space, &fw->lock);
		struct crash_error *err = file_writer_error(s);
		unsigned int idx = (fw->head + fw->count) % FILE_SLOTS;
		pthread_mutex_unlock(&fw->lock);
		if (err)
			return err;
		// The free slot is the caller's until count covers it.
		struct file_slot *slot = &fw->slots[idx];
		slot->buf = slot->base + offset % fw->direct_align;	// D1
		memcpy(slot->buf, p, n);
		slot->len = n;
		slot->offset = offset;
		pthread_mutex_lock(&fw->lock);
		fw->count++;
		pthread_cond_signal(&fw->work);
		pthread_mutex_unlock(&fw->lock);
		p += n;
		offset += n;
		len -= n;
	}
	return NULL;
}

/* A3: drain, stop and join the writer; writes are synchronous after. */
static void file_writer_stop(struct dump_sink *s)
{
	struct file_writer *fw = s->fw;
	if (!fw)
		return;
	pthread_mutex_lock(&fw->lock);
	fw->stop = true;
	pthread_cond_signal(&fw->work);
	pthread_mutex_unlock(&fw->lock);
	pthread_join(fw->thread, NULL);
	pthread_cond_destroy(&fw->space);
	pthread_cond_destroy(&fw->work);
	pthread_mutex_destroy(&fw->lock);
	if (fw->direct_fd >= 0)
		close(fw->direct_fd);
	for (int i = 0; i < FILE_SLOTS; i++)
		free(fw->slots[i].base);
	free(fw);
	s->fw = NULL;
}

struct crash_error *dump_sink_file_create(const char *path, unsigned int flags,
					  struct dump_sink **ret)
{
	bool overwrite = flags & DUMP_SINK_OVERWRITE;
	size_t path_len = strlen(path);
	char *tmp = malloc(path_len + sizeof(".incomplete"));
	if (!tmp)
		return &crash_enomem;
	memcpy(tmp, path, path_len);
	memcpy(tmp + path_len, ".incomplete", sizeof(".incomplete"));

	struct stat st;
	if (!overwrite && lstat(path, &st) == 0) {
		struct crash_error *err =
			crash_error_os(EEXIST, "%s: refusing to replace it", path);
		free(tmp);
		return err;
	}

	int oflags = O_WRONLY | O_CREAT | O_CLOEXEC;
	oflags |= overwrite ? O_TRUNC : O_EXCL;
	int fd = open(tmp, oflags, 0600);
	if (fd < 0) {
		struct crash_error *err =
			crash_error_os(errno, "%s: cannot create it", tmp);
		free(tmp);
		return err;
	}
	// An existing file keeps its mode under O_TRUNC; a dump holds secrets.
	if (fchmod(fd, 0600) < 0) {
		struct crash_error *err =
			crash_error_os(errno, "%s: chmod 0600", tmp);
		close(fd);
		free(tmp);
		return err;
	}

	struct dump_sink *s;
	struct crash_error *err = sink_alloc(false, fd, tmp, &s);
	free(tmp);
	if (err) {
		close(fd);
		return err;
	}
	s->overwrite = overwrite;
	s->final_path = strdup(path);
	if (!s->final_path) {
		dump_sink_destroy(s);
		return &crash_enomem;
	}
	file_writer_start(s, flags & DUMP_SINK_BUFFERED);
	*ret = s;
	return NULL;
}

/* The stream's 4096-byte header into @header (zeroed by the caller). */
static void flat_header_encode(uint8_t *header)
{
	memcpy(header, flat_signature, sizeof(flat_signature) - 1);
	put_be64(header + FLAT_SIGNATURE_SIZE, FLAT_TYPE_FLAT_HEADER);
	put_be64(header + FLAT_SIGNATURE_SIZE + 8, FLAT_VERSION);
}

/* fd_write_all() to a stream sink, hashing what goes out. */
static int stream_write(struct dump_sink *s, const void *buf, size_t len)
{
	int errnum = fd_write_all(s->fd, buf, len);
	if (!errnum && s->hashing)
		sha256_update(&s->hash, buf, len);
	return errnum;
}

struct crash_error *dump_sink_flat_create(int fd, const char *name,
					  struct dump_sink **ret)
{
	struct dump_sink *s;
	struct crash_error *err = sink_alloc(true, fd, name, &s);
	if (err)
		return err;
	s->buf = malloc(FLAT_BUFFER_SIZE);
	uint8_t *header = calloc(1, FLAT_HEADER_SIZE);
	if (!s->buf || !header) {
		free(header);
		dump_sink_destroy(s);
		return &crash_enomem;
	}
	flat_header_encode(header);
	int errnum = fd_write_all(fd, header, FLAT_HEADER_SIZE);
	free(header);
	if (errnum) {
		err = crash_error_os(errnum, "%s: writing the flattened header",
				     name);
		dump_sink_destroy(s);
		return err;
	}
	*ret = s;
	return NULL;
}

/* One record: header and payload.  W1: callers never pass @len 0. */
static struct crash_error *flat_emit(struct dump_sink *s, uint64_t offset,
				     const void *buf, size_t len)
{
	uint8_t header[FLAT_RECORD_HEADER_SIZE];
	put_be64(header, offset);
	put_be64(header + 8, len);
	int errnum = stream_write(s, header, sizeof(header));
	if (!errnum)
		errnum = stream_write(s, buf, len);
	if (errnum) {
		s->broken_errnum = errnum;
		return crash_error_os(errnum,
				      "%s: writing a record of %zu bytes for offset 0x%" PRIx64,
				      s->name, len, offset);
	}
	return NULL;
}

static struct crash_error *flat_flush(struct dump_sink *s)
{
	if (s->buf_len == 0)
		return NULL;
	size_t len = s->buf_len;
	s->buf_len = 0;
	return flat_emit(s, s->buf_offset, s->buf, len);
}

static struct crash_error *flat_write(struct dump_sink *s, uint64_t offset,
				      const void *buf, size_t len)
{
	struct crash_error *err;
	// W2, W3: continue the pending record when contiguous and room is left.
	bool contiguous = s->buf_len > 0 &&
			  offset == s->buf_offset + s->buf_len;
	if (!contiguous || len > FLAT_BUFFER_SIZE - s->buf_len) {
		if ((err = flat_flush(s)))
			return err;
	}
	if (s->buf_len == 0 && len >= FLAT_RECORD_MIN_SIZE) {
		// W5: a huge write (a bitmap of a big machine) in pieces.
		const uint8_t *p = buf;
		while (len > 0) {
			size_t n = len < FLAT_RECORD_MAX_EMIT ? len :
					FLAT_RECORD_MAX_EMIT;
			if ((err = flat_emit(s, offset, p, n)))
				return err;
			p += n;
			offset += n;
			len -= n;
		}
		return NULL;
	}
	if (s->buf_len == 0)
		s->buf_offset = offset;
	memcpy(s->buf + s->buf_len, buf, len);
	s->buf_len += len;
	if (s->buf_len >= FLAT_RECORD_MIN_SIZE)
		return flat_flush(s);
	return NULL;
}

struct crash_error *dump_sink_write(struct dump_sink *s, uint64_t offset,
				    const void *buf, size_t len)
{
	// W1: nothing to place, no record.
	if (len == 0)
		return NULL;
	if (offset >= flat_offset_limit ||
	    len > flat_offset_limit - offset)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "%s: a write of %zu bytes at offset 0x%" PRIx64 " passes 2^62",
					  s->name, len, offset);
	if (s->finished)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "%s: write after finish", s->name);
	if (s->is_stream) {
		if (s->broken_errnum)
			return crash_error_os(s->broken_errnum,
					      "%s: an earlier write failed",
					      s->name);
		return flat_write(s, offset, buf, len);
	}
	if (s->fw)
		return file_writer_queue(s, offset, buf, len);
	int errnum = fd_pwrite_all(s->fd, buf, len, offset);
	if (errnum)
		return crash_error_os(errnum,
				      "%s: writing %zu bytes at offset 0x%" PRIx64,
				      s->name, len, offset);
	return NULL;
}

bool dump_sink_is_stream(const struct dump_sink *s)
{
	return s->is_stream;
}

struct crash_error *dump_sink_sync(struct dump_sink *s)
{
	if (s->is_stream) {
		if (s->broken_errnum)
			return crash_error_os(s->broken_errnum,
					      "%s: an earlier write failed",
					      s->name);
		return flat_flush(s);
	}
	struct crash_error *err = file_writer_drain(s);
	if (err)
		return err;
	if (fdatasync(s->fd) < 0)
		return crash_error_os(errno, "%s: fdatasync", s->name);
	return NULL;
}

/* fsync the directory holding @path so that the rename is durable. */
static struct crash_error *sync_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path))
			  : strdup(".");
	if (!dir)
		return &crash_enomem;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct crash_error *err = NULL;
	if (fd < 0) {
		err = crash_error_os(errno, "%s: cannot open the directory", dir);
	} else {
		// Some file systems cannot fsync a directory; the data is safe.
		if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS)
			err = crash_error_os(errno, "%s: fsync", dir);
		close(fd);
	}
	free(dir);
	return err;
}

/*
 * The SHA-256 of the whole file as it stands, read back from the start
 * (file sinks are opened write-only, so through a second descriptor).
 */
static struct crash_error *file_hash(struct dump_sink *s)
{
	int fd = open(s->name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return crash_error_os(errno, "%s: reopening it to hash it", s->name);
	uint8_t *chunk = malloc(FLAT_CHUNK_SIZE);
	if (!chunk) {
		close(fd);
		return &crash_enomem;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	struct crash_error *err = NULL;
	uint64_t pos = 0;
	// Bounded by the file's size: every pass reads at least one byte.
	for (;;) {
		size_t got;
		int errnum = fd_read_full(fd, chunk, FLAT_CHUNK_SIZE, &got);
		if (errnum) {
			err = crash_error_os(errnum, "%s: reading it back at offset %" PRIu64,
					     s->name, pos + got);
			break;
		}
		sha256_update(&s->hash, chunk, got);
		pos += got;
		if (got < FLAT_CHUNK_SIZE)
			break;
	}
	free(chunk);
	close(fd);
	if (!err) {
		sha256_final(&s->hash, s->digest);
		s->digest_ready = true;
	}
	return err;
}

void dump_sink_hash_enable(struct dump_sink *s)
{
	sha256_init(&s->hash);
	s->hashing = true;
	if (s->is_stream) {
		// dump_sink_flat_create() has sent the header already.
		uint8_t header[FLAT_HEADER_SIZE] = {0};
		flat_header_encode(header);
		sha256_update(&s->hash, header, sizeof(header));
	}
}

bool dump_sink_sha256(const struct dump_sink *s, uint8_t digest[32])
{
	if (!s->digest_ready)
		return false;
	memcpy(digest, s->digest, SHA256_DIGEST_SIZE);
	return true;
}

struct crash_error *dump_sink_finish(struct dump_sink *s)
{
	struct crash_error *err;
	if (s->finished)
		return NULL;
	if (s->is_stream) {
		if (s->broken_errnum)
			return crash_error_os(s->broken_errnum,
					      "%s: an earlier write failed",
					      s->name);
		if ((err = flat_flush(s)))
			return err;
		// W4: the end marker, only now.
		uint8_t marker[FLAT_RECORD_HEADER_SIZE];
		memset(marker, 0xff, sizeof(marker));
		int errnum = stream_write(s, marker, sizeof(marker));
		if (errnum) {
			s->broken_errnum = errnum;
			return crash_error_os(errnum,
					      "%s: writing the end marker",
					      s->name);
		}
		s->finished = true;
		if (s->hashing) {
			sha256_final(&s->hash, s->digest);
			s->digest_ready = true;
		}
		return NULL;
	}
	if ((err = file_writer_drain(s)))
		return err;
	file_writer_stop(s);
	if (s->hashing && (err = file_hash(s)))
		return err;
	if (fsync(s->fd) < 0)
		return crash_error_os(errno, "%s: fsync", s->name);
	if (renameat2(AT_FDCWD, s->name, AT_FDCWD, s->final_path,
		      s->overwrite ? 0 : RENAME_NOREPLACE) < 0) {
		int errnum = errno;
		// Some file systems (NFS, old kernels) lack RENAME_NOREPLACE.
		if (!s->overwrite && (errnum == EINVAL || errnum == ENOSYS)) {
			if (link(s->name, s->final_path) < 0)
				return crash_error_os(errno,
						      "%s: cannot link it to %s",
						      s->name, s->final_path);
			if (unlink(s->name) < 0)
				return crash_error_os(errno, "%s: unlink",
						      s->name);
		} else {
			return crash_error_os(errnum,
					      "%s: cannot rename it to %s",
					      s->name, s->final_path);
		}
	}
	s->finished = true;
	return sync_parent_dir(s->final_path);
}

uint64_t dump_sink_direct_bytes(struct dump_sink *s)
{
	if (!s->fw)
		return s->direct_bytes;
	pthread_mutex_lock(&s->fw->lock);
	uint64_t n = s->direct_bytes;
	pthread_mutex_unlock(&s->fw->lock);
	return n;
}

const char *dump_sink_name(const struct dump_sink *s)
{
	return s->name;
}

void dump_sink_destroy(struct dump_sink *s)
{
	if (!s)
		return;
	file_writer_stop(s);
	if (!s->is_stream && s->fd >= 0)
		close(s->fd);
	free(s->buf);
	free(s->name);
	free(s->final_path);
	free(s);
}

/*
 * Read one record's payload in chunks and place it (R3, R5).  @pos is the
 * stream offset of the payload; @record_pos that of the record header.
 */
static struct crash_error *flat_copy_payload(int in_fd, const char *in_name,
					     struct dump_sink *out,
					     uint8_t *chunk, uint64_t record_pos,
					     uint64_t offset, uint64_t size,
					     uint64_t *pos)
{
	uint64_t done = 0;
	while (done < size) {
		size_t want = size - done < FLAT_CHUNK_SIZE ?
				      (size_t)(size - done) : FLAT_CHUNK_SIZE;
		size_t got;
		int errnum = fd_read_full(in_fd, chunk, want, &got);
		if (errnum)
			return crash_error_os(errnum,
					      "%s: reading at byte offset %" PRIu64,
					      in_name, *pos + got);
		if (got > 0) {
			struct crash_error *err =
				dump_sink_write(out, offset + done, chunk, got);
			if (err)
				return err;
		}
		*pos += got;
		done += got;
		// R5: the payload is whole.
		if (got < want)
			return crash_error_create(CRASH_ERR_CORRUPT,
						  "%s: record at byte offset %" PRIu64 ": truncated payload: the stream ends at byte offset %" PRIu64 ", %" PRIu64 " of %" PRIu64 " bytes missing",
						  in_name, record_pos, *pos,
						  size - done, size);
	}
	return NULL;
}

struct crash_error *flat_reassemble(int in_fd, const char *in_name,
				    struct dump_sink *out)
{
	struct crash_error *err = NULL;
	uint8_t *chunk = malloc(FLAT_CHUNK_SIZE > FLAT_HEADER_SIZE ?
					FLAT_CHUNK_SIZE : FLAT_HEADER_SIZE);
	if (!chunk)
		return &crash_enomem;

	// R1: the header.
	size_t got;
	int errnum = fd_read_full(in_fd, chunk, FLAT_HEADER_SIZE, &got);
	if (errnum) {
		err = crash_error_os(errnum, "%s: reading at byte offset %zu",
				     in_name, got);
		goto out;
	}
	if (got < FLAT_HEADER_SIZE) {
		err = crash_error_create(CRASH_ERR_CORRUPT,
					 "%s: truncated flattened header: %zu of %d bytes",
					 in_name, got, FLAT_HEADER_SIZE);
		goto out;
	}
	uint8_t want_signature[FLAT_SIGNATURE_SIZE] = { 0 };
	memcpy(want_signature, flat_signature, sizeof(flat_signature) - 1);
	if (memcmp(chunk, want_signature, FLAT_SIGNATURE_SIZE) != 0) {
		err = crash_error_create(CRASH_ERR_CORRUPT,
					 "%s: not a flattened dump: the 16-byte signature at byte offset 0 is not \"makedumpfile\"",
					 in_name);
		goto out;
	}
	int64_t type = (int64_t)get_be64(chunk + FLAT_SIGNATURE_SIZE);
	int64_t version = (int64_t)get_be64(chunk + FLAT_SIGNATURE_SIZE + 8);
	if (type != FLAT_TYPE_FLAT_HEADER) {
		err = crash_error_create(CRASH_ERR_CORRUPT,
					 "%s: flattened header type %" PRId64 " at byte offset 16, expected 1",
					 in_name, type);
		goto out;
	}
	if (version != FLAT_VERSION) {
		err = crash_error_create(CRASH_ERR_CORRUPT,
					 "%s: flattened header version %" PRId64 " at byte offset 24, expected 1",
					 in_name, version);
		goto out;
	}

	uint64_t pos = FLAT_HEADER_SIZE, records = 0;
	// Bounded: each pass consumes at least 17 bytes of a finite stream.
	for (;;) {
		uint8_t rh[FLAT_RECORD_HEADER_SIZE];
		uint64_t record_pos = pos;
		errnum = fd_read_full(in_fd, rh, sizeof(rh), &got);
		if (errnum) {
			err = crash_error_os(errnum,
					     "%s: reading at byte offset %" PRIu64,
					     in_name, pos + got);
			goto out;
		}
		pos += got;
		// R2: whole record headers, and an end marker.
		if (got == 0) {
			err = crash_error_create(CRASH_ERR_CORRUPT,
						 "%s: no end marker: the stream ends at byte offset %" PRIu64 " after %" PRIu64 " records",
						 in_name, pos, records);
			goto out;
		}
		if (got < sizeof(rh)) {
			err = crash_error_create(CRASH_ERR_CORRUPT,
						 "%s: truncated record header at byte offset %" PRIu64 ": %zu of 16 bytes",
						 in_name, record_pos, got);
			goto out;
		}
		int64_t offset = (int64_t)get_be64(rh);
		int64_t size = (int64_t)get_be64(rh + 8);
		if (offset == -1 && size == -1)
			break;
		// R3
		if (size <= 0 || size > FLAT_RECORD_MAX_SIZE) {
			err = crash_error_create(CRASH_ERR_CORRUPT,
						 "%s: record at byte offset %" PRIu64 ": size %" PRId64 ", expected 1 to %d",
						 in_name, record_pos, size,
						 FLAT_RECORD_MAX_SIZE);
			goto out;
		}
		// R4
		if (offset < 0 || (uint64_t)offset >= flat_offset_limit) {
			err = crash_error_create(CRASH_ERR_CORRUPT,
						 "%s: record at byte offset %" PRIu64 ": offset %" PRId64 ", expected 0 to 2^62-1",
						 in_name, record_pos, offset);
			goto out;
		}
		err = flat_copy_payload(in_fd, in_name, out, chunk, record_pos,
					(uint64_t)offset, (uint64_t)size, &pos);
		if (err)
			goto out;
		records++;
	}

out:
	free(chunk);
	return err;
}
