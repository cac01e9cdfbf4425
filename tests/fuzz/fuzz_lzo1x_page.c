/*
 * libFuzzer harness: our LZO1X page encoder.  The input is the page (cut
 * or zero-padded to a page size its first byte picks); the table is kept
 * from run to run, as the codec keeps it from page to page, so every stale
 * state the fuzzer reaches is exercised, and the stream must equal the one
 * a fresh table gives.  A stream that does not decode with liblzo2's
 * lzo1x_decompress_safe() to the page, is not smaller than it, or depends
 * on the table's history aborts.
 */
#include <lzo/lzo1x.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../capture/crashcopy/lzo1x_page.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lzo1x_page_table table, fresh;
	static int ready;
	static uint8_t page[LZO1X_PAGE_MAX], back[LZO1X_PAGE_MAX];
	static uint8_t dst[LZO1X_PAGE_BOUND(LZO1X_PAGE_MAX)];
	static uint8_t again[LZO1X_PAGE_BOUND(LZO1X_PAGE_MAX)];
	static const size_t sizes[] = {1024, 4096, 16384};
	if (size == 0)
		return 0;
	if (!ready) {
		lzo1x_page_table_init(&table);
		ready = 1;
	}
	size_t n = sizes[data[0] % 3];
	data++;
	size--;
	memset(page, 0, n);
	memcpy(page, data, size < n ? size : n);
	size_t got = lzo1x_page_compress(page, n, dst, &table);
	lzo1x_page_table_init(&fresh);
	if (lzo1x_page_compress(page, n, again, &fresh) != got ||
	    memcmp(dst, again, got) != 0)
		abort();
	if (got == 0)
		return 0;
	lzo_uint back_len = n;
	if (got >= n ||
	    lzo1x_decompress_safe(dst, got, back, &back_len, NULL) != LZO_E_OK ||
	    back_len != n || memcmp(back, page, n) != 0)
		abort();
	return 0;
}
