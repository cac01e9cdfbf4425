/*
 * Unit tests for lib/sha256.c: the known answers of FIPS 180-4's examples
 * (NIST "SHA256.pdf": "abc", the 448-bit message), the empty message and
 * 1,000,000 x 'a', each also fed in awkward pieces so block boundaries and
 * the partial-block path are crossed, through the portable code and (where
 * the CPU has them) the x86 SHA extensions; both paths agree on random
 * messages; init picks the extensions exactly when /proc/cpuinfo has
 * sha_ni.
 */
#include "../../lib/sha256.h"
#include "test.h"

/* @portable: with sha_ni cleared after init. */
static void digest_of(const void *data, size_t len, size_t piece,
		      bool portable, char *hex)
{
	struct sha256 s;
	uint8_t d[SHA256_DIGEST_SIZE];
	const uint8_t *p = data;
	sha256_init(&s);
	if (portable)
		s.sha_ni = false;
	if (!piece)
		piece = len ? len : 1;
	for (size_t off = 0; off < len; off += piece)
		sha256_update(&s, p + off, len - off < piece ? len - off : piece);
	sha256_final(&s, d);
	sha256_hex(d, hex);
}

static void check_vector(const void *data, size_t len, const char *want)
{
	static const size_t pieces[] = {0, 1, 3, 55, 56, 63, 64, 65, 4096};
	char hex[2 * SHA256_DIGEST_SIZE + 1];
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		for (int portable = 0; portable < 2; portable++) {
			digest_of(data, len, pieces[i], portable, hex);
			CHECK_STR(hex, want);
		}
	}
}

static void test_empty(void)
{
	check_vector("", 0,
		     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_abc(void)
{
	check_vector("abc", 3,
		     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_448_bits(void)
{
	const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	check_vector(m, strlen(m),
		     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_million_a(void)
{
	size_t len = 1000000;
	char *m = malloc(len);
	CHECK(m != NULL);
	if (!m)
		return;
	memset(m, 'a', len);
	check_vector(m, len,
		     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(m);
}

/* 55 and 56 bytes: the last message length that pads within one block. */
static void test_padding_edges(void)
{
	char m[64];
	memset(m, 'a', sizeof(m));
	check_vector(m, 55,
		     "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	check_vector(m, 56,
		     "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	check_vector(m, 64,
		     "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

/* Whether /proc/cpuinfo's first flags line lists sha_ni. */
static bool cpuinfo_sha_ni(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[8192];
	bool found = false;
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) == 0) {
			found = strstr(line, " sha_ni") != NULL;
			break;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/*
 * Both paths give the same digest of random messages of every length up
 * to a few blocks and of 1 MiB, fed in random pieces; init chose the
 * extensions as the CPU has them.
 */
static void test_paths_agree(void)
{
	struct sha256 probe;
	sha256_init(&probe);
	CHECK(probe.sha_ni == cpuinfo_sha_ni());
	printf("  sha256: %s\n", probe.sha_ni ? "SHA extensions" : "portable code");
	size_t cap = 1 << 20;
	uint8_t *m = malloc(cap);
	CHECK(m != NULL);
	if (!m)
		return;
	uint32_t seed = 1;
	for (size_t i = 0; i < cap; i++) {
		seed = seed * 1103515245 + 12345;
		m[i] = (uint8_t)(seed >> 16);
	}
	for (size_t len = 0; len <= cap; len = len < 300 ? len + 1 : len * 2 + 7) {
		if (len > cap)
			len = cap;
		uint8_t d[2][SHA256_DIGEST_SIZE];
		for (int portable = 0; portable < 2; portable++) {
			struct sha256 s;
			sha256_init(&s);
			if (portable)
				s.sha_ni = false;
			for (size_t off = 0; off < len;) {
				seed = seed * 1103515245 + 12345;
				size_t piece = 1 + (seed >> 16) % 200;
				if (piece > len - off)
					piece = len - off;
				sha256_update(&s, m + off, piece);
				off += piece;
			}
			sha256_final(&s, d[portable]);
		}
		CHECK(memcmp(d[0], d[1], sizeof(d[0])) == 0);
		if (len == cap)
			break;
	}
	free(m);
}

int main(void)
{
	RUN(test_empty);
	RUN(test_abc);
	RUN(test_448_bits);
	RUN(test_million_a);
	RUN(test_padding_edges);
	RUN(test_paths_agree);
	return test_summary("sha256_test");
}
