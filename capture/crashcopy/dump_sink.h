/*
 * dump_sink.h - where a dump's bytes go: a seekable file or a flattened
 * stream.
 *
 * The kdump-compressed and ELF writers place bytes at file offsets (the
 * header first, descriptors and page data in two regions at once).  A
 * seekable file takes them with pwrite(); a pipe cannot seek, so the
 * flattened format (makedumpfile -F; spec dump-formats.md §2) wraps each
 * write in a big-endian {offset, size} record after a 4 KiB header, and ends
 * with the {-1, -1} marker.  makedumpfile -R and crashcopy -R undo it.
 *
 * A file sink writes NAME.incomplete (mode 0600, O_EXCL unless overwrite),
 * from a background thread (dump_sink.c A1-A3): bytes given are in the
 * file once dump_sink_sync() or dump_sink_finish() returned; finish fsyncs
 * and renames it to NAME.  A sink destroyed
 * without finish leaves NAME.incomplete in place: nothing is lost.
 *
 * Errors are CRASH_ERR_OS with errno (ENOSPC, EIO, EPIPE) naming the path.
 */
#ifndef CRASHKIT_DUMP_SINK_H
#define CRASHKIT_DUMP_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../lib/error.h"

struct dump_sink;

/** dump_sink_file_create() flags. */
enum {
	DUMP_SINK_OVERWRITE = 1 << 0,	/* replace PATH and PATH.incomplete */
	DUMP_SINK_BUFFERED = 1 << 1,	/* never O_DIRECT (dump_sink.c D1-D4) */
};

/**
 * A seekable file: PATH.incomplete, renamed to PATH by finish.  On ext2/3/4
 * and XFS its bulk is written with O_DIRECT unless DUMP_SINK_BUFFERED.
 */
struct crash_error *dump_sink_file_create(const char *path, unsigned int flags,
					  struct dump_sink **ret);

/** Bytes a file sink wrote with direct I/O so far (0 for a stream). */
uint64_t dump_sink_direct_bytes(struct dump_sink *s);

/** A flattened stream to @fd (not closed); @name is for messages. */
struct crash_error *dump_sink_flat_create(int fd, const char *name,
					  struct dump_sink **ret);

/**
 * Place @len bytes at @offset.  @len 0 is a no-op (never a 0-size record).
 * A stream coalesces contiguous writes into records of 1 MiB or more, so
 * its errors may surface at a later write or at finish; after a failed
 * stream write every call fails (the framing is lost).
 */
struct crash_error *dump_sink_write(struct dump_sink *s, uint64_t offset,
				    const void *buf, size_t len);

/**
 * dump_sink_sync() - make what was written so far durable before a write
 * that depends on it (the writer's final header): a file is fdatasync'd; a
 * stream's pending record is written out.  Errors: OS.
 */
struct crash_error *dump_sink_sync(struct dump_sink *s);

/** True for a flattened stream (the header cannot be rewritten later). */
bool dump_sink_is_stream(const struct dump_sink *s);

/**
 * dump_sink_finish() - file: fsync, rename PATH.incomplete to PATH;
 * stream: write the end marker and flush.
 */
struct crash_error *dump_sink_finish(struct dump_sink *s);

/**
 * dump_sink_hash_enable() - compute the SHA-256 of exactly the bytes the
 * sink leaves behind (the renamed file, or every byte of the stream), for
 * dump_sink_sha256().  Call it right after create, before any write.
 * A stream hashes its bytes as they go out (its 4 KiB header included); a
 * file is written out of order (the header last), so finish reads it back
 * once, before fsync and rename: one more pass over the output, from the
 * page cache, at the hash's speed (about 300 MB/s).
 */
void dump_sink_hash_enable(struct dump_sink *s);

/**
 * dump_sink_sha256() - the digest of a sink that was hash-enabled and
 * finished; false (and @digest untouched) otherwise.
 */
bool dump_sink_sha256(const struct dump_sink *s, uint8_t digest[32]);

/** The name of what is being written (PATH.incomplete, or the stream). */
const char *dump_sink_name(const struct dump_sink *s);

/** Free; a file not finished stays as PATH.incomplete. NULL is ignored. */
void dump_sink_destroy(struct dump_sink *s);

/**
 * flat_reassemble() - read a flattened stream from @in_fd (checking the
 * header, every record's offset and size, and the end marker) and write the
 * bytes to @out through a file sink.  Errors: CORRUPT (bad header, a record
 * with size <= 0 or above 1 GiB, an offset below 0 or from 2^62 on, a
 * stream truncated anywhere, no end marker, data after it; the message
 * names the byte offset in the stream), OS.  Payloads are copied in 1 MiB
 * chunks whatever the record size.
 */
struct crash_error *flat_reassemble(int in_fd, const char *in_name,
				    struct dump_sink *out);

#endif
