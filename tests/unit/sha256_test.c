/*
 * Unit tests for lib/sha256.c: the known answers of FIPS 180-4's examples
 * (NIST "SHA256.pdf": "abc", the 448-bit message), the empty message and
 * 1,000,000 x 'a', each also fed in awkward pieces so block boundaries and
 * the partial-block path are crossed.
 */
#include "../../lib/sha256.h"
#include "test.h"

static void digest_of(const void *data, size_t len, size_t piece, char *hex)
{
	struct sha256 s;
	uint8_t d[SHA256_DIGEST_SIZE];
	const uint8_t *p = data;
	sha256_init(&s);
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
		digest_of(data, len, pieces[i], hex);
		CHECK_STR(hex, want);
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

int main(void)
{
	RUN(test_empty);
	RUN(test_abc);
	RUN(test_448_bits);
	RUN(test_million_a);
	RUN(test_padding_edges);
	return test_summary("sha256_test");
}
