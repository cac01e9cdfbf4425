/*
 * libFuzzer harness: crashcopy -R, the flattened-stream reader.  The input
 * is the stream; the output goes to a file sink in a private directory and
 * is discarded.  A hostile stream must end in a clean error, never a crash,
 * a hang or an unbounded allocation.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../capture/crashcopy/dump_sink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[] = "/tmp/fuzz-flat.XXXXXX";
	static int made;
	if (!made) {
		if (!mkdtemp(dir))
			return 0;
		made = 1;
	}
	char path[64];
	snprintf(path, sizeof(path), "%s/out", dir);
	unlink(path);

	int fd = memfd_create("fuzz-flat", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return 0;
	}
	struct dump_sink *sink;
	struct crash_error *err = dump_sink_file_create(path, DUMP_SINK_OVERWRITE, &sink);
	if (!err) {
		err = flat_reassemble(fd, "fuzz", sink);
		dump_sink_destroy(sink);
	}
	crash_error_destroy(err);
	close(fd);
	unlink(path);
	snprintf(path, sizeof(path), "%s/out.incomplete", dir);
	unlink(path);
	return 0;
}
