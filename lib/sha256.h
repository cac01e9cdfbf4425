/*
 * sha256.h - SHA-256 (FIPS 180-4 §6.2) of a byte stream.
 *
 * For checksums of what crashcopy writes (--json "output_sha256"), so a
 * capture script can name the digest of the file it saved without reading
 * it again.  Not for secrets: no constant-time promises, no key handling.
 * A context is caller-allocated (_init), fed any number of times
 * (_update), and _final writes the 32-byte digest; it cannot fail.
 */
#ifndef CRASHKIT_SHA256_H
#define CRASHKIT_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { SHA256_DIGEST_SIZE = 32, SHA256_BLOCK_SIZE = 64 };

struct sha256 {
	uint32_t h[8];			/* the hash value H(i) */
	uint64_t length;		/* message bytes so far */
	uint8_t block[SHA256_BLOCK_SIZE];	/* a partial block */
	size_t block_len;
	bool sha_ni;			/* blocks go through the x86 SHA extensions */
};

/**
 * sha256_init() - the initial hash value H(0) (§5.3.3), and whether this
 * CPU has the x86 SHA extensions (sha_ni; about 8 times the portable
 * code's speed).  Clearing sha_ni after init selects the portable code.
 */
void sha256_init(struct sha256 *s);

/** sha256_update() - append @len bytes of @data to the message. */
void sha256_update(struct sha256 *s, const void *data, size_t len);

/**
 * sha256_final() - pad (§5.1.1), process the last block(s) and write the
 * digest, big-endian, to @digest.  @s must be re-initialised before reuse.
 */
void sha256_final(struct sha256 *s, uint8_t digest[SHA256_DIGEST_SIZE]);

/** sha256_hex() - @digest as 64 lowercase hex digits and a NUL in @hex. */
void sha256_hex(const uint8_t digest[SHA256_DIGEST_SIZE],
		char hex[2 * SHA256_DIGEST_SIZE + 1]);

#endif
