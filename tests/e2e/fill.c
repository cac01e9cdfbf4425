/*
 * fill MIB: allocate MIB MiB of anonymous memory, write every page, then sleep
 * until killed, so that a crash dump of the machine holds user pages (dump
 * level 8). Built on the host with gcc -static -O2 for the crash-kernel.sh
 * guest, which has no libc. Half of the pages are compressible (a repeated
 * short pattern with the page number in it), half incompressible (xorshift
 * output), interleaved in blocks of 16 pages, so that compressors see a mix.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE 4096u

int main(int argc, char **argv)
{
	unsigned long mib, pages, i;
	uint64_t x = 0x9e3779b97f4a7c15u;
	uint8_t *mem;

	if (argc != 2 || (mib = strtoul(argv[1], NULL, 10)) == 0) {
		fprintf(stderr, "usage: fill MIB\n");
		return 2;
	}
	pages = mib * (1024 * 1024 / PAGE);
	mem = malloc(pages * PAGE);
	if (!mem) {
		fprintf(stderr, "fill: cannot allocate %lu MiB\n", mib);
		return 1;
	}
	for (i = 0; i < pages; i++) {
		uint8_t *p = mem + i * PAGE;
		unsigned j;

		if ((i / 16) % 2 == 0) {
			char line[64];
			int n = snprintf(line, sizeof(line), "crashkit fill page %lu of %lu\n", i, pages);

			for (j = 0; j + (unsigned)n <= PAGE; j += (unsigned)n)
				memcpy(p + j, line, (size_t)n);
			memset(p + j, '.', PAGE - j);
		} else {
			for (j = 0; j < PAGE; j += 8) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				memcpy(p + j, &x, 8);
			}
		}
	}
	printf("fill: %lu MiB touched\n", mib);
	fflush(stdout);
	for (;;)
		pause();
}
