/* Unit tests for crashdmesg/output.c: every mode's exact bytes. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../crashdmesg/output.h"
#include "test.h"

/* Format @rec in @mode and return what was written (static buffer). */
static const char *render(enum output_mode mode, bool caller,
			  const struct printk_record *rec)
{
	static char buf[8192];
	int fd = memfd_create("output-test", 0);
	struct output_options opt = {.mode = mode, .show_caller = caller,
				     .caller_width = 6};
	struct output *out;
	CHECK_OK(output_create(fd, "memfd", &opt, &out));
	CHECK_OK(output_record(out, rec));
	CHECK_OK(output_flush(out));
	output_destroy(out);
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static struct printk_record text_record(const char *text)
{
	struct printk_record rec = {
		.present = PRINTK_HAS_SEQ | PRINTK_HAS_TS | PRINTK_HAS_LEVEL |
			   PRINTK_HAS_FLAGS,
		.seq = 7,
		.ts_nsec = 1234567891ull,
		.level = 6,
		.facility = 0,
		.text = (const uint8_t *)text,
		.text_len = strlen(text),
	};
	return rec;
}

static void test_dmesg_plain(void)
{
	struct printk_record rec = text_record("hello");
	CHECK_STR(render(OUTPUT_DMESG, false, &rec), "[    1.234567] hello\n");
	rec.ts_nsec = 123456789012345678ull;
	CHECK_STR(render(OUTPUT_DMESG, false, &rec),
		  "[123456789.012345] hello\n");
}

static void test_dmesg_multiline_indent(void)
{
	struct printk_record rec = text_record("one\ntwo\n");
	// Rule 3: continuation lines indented by the prefix width; a trailing
	// newline ends with a blank line and no indentation.
	CHECK_STR(render(OUTPUT_DMESG, false, &rec),
		  "[    1.234567] one\n               two\n\n");
}

static void test_dmesg_empty_record(void)
{
	struct printk_record rec = text_record("");
	CHECK_STR(render(OUTPUT_DMESG, false, &rec), "\n");
	CHECK_STR(render(OUTPUT_VMCORE_DMESG, false, &rec), "[    1.234567] \n");
}

static void test_dmesg_escapes(void)
{
	struct printk_record rec = text_record("a\x1b[31mb\tc\r\xc3\xa9\x7f");
	CHECK_STR(render(OUTPUT_DMESG, false, &rec),
		  "[    1.234567] a\\x1b[31mb\tc\\x0d\\xc3\\xa9\\x7f\n");
	// vmcore-dmesg keeps isspace() bytes (\r) but escapes ESC and >= 0x7f.
	CHECK_STR(render(OUTPUT_VMCORE_DMESG, false, &rec),
		  "[    1.234567] a\\x1b[31mb\tc\r\\xc3\\xa9\\x7f\n");
}

static void test_caller(void)
{
	struct printk_record rec = text_record("x");
	rec.present |= PRINTK_HAS_CALLER;
	rec.caller_id = 123;
	CHECK_STR(render(OUTPUT_DMESG, true, &rec), "[    1.234567] [  T123] x\n");
	rec.caller_id = 0x80000003u;
	CHECK_STR(render(OUTPUT_DMESG, true, &rec), "[    1.234567] [    C3] x\n");
	CHECK_STR(render(OUTPUT_DMESG, false, &rec), "[    1.234567] x\n");
	CHECK_STR(render(OUTPUT_KMSG, true, &rec), "6,7,1234567,-,caller=C3;x\n");
}

static void test_raw(void)
{
	struct printk_record rec = text_record("x");
	rec.facility = 3;
	rec.level = 4;
	CHECK_STR(render(OUTPUT_RAW, false, &rec), "<28>[    1.234567] x\n");
}

static void test_kmsg(void)
{
	struct printk_record rec = text_record("a\\b\nc");
	rec.log_flags = PRINTK_LOG_CONT;
	const uint8_t subsystem[] = "pci", device[] = "+pci:0000:00:01.0";
	rec.subsystem = subsystem;
	rec.subsystem_len = 3;
	rec.device = device;
	rec.device_len = sizeof(device) - 1;
	CHECK_STR(render(OUTPUT_KMSG, false, &rec),
		  "6,7,1234567,c;a\\x5cb\\x0ac\n SUBSYSTEM=pci\n"
		  " DEVICE=+pci:0000:00:01.0\n");
}

static void test_kmsg_dict(void)
{
	struct printk_record rec = text_record("t");
	static const uint8_t dict[] = "SUBSYSTEM=usb\0DEVICE=c189:1";
	rec.dict = dict;
	rec.dict_len = sizeof(dict) - 1;
	CHECK_STR(render(OUTPUT_KMSG, false, &rec),
		  "6,7,1234567,-;t\n SUBSYSTEM=usb\n DEVICE=c189:1\n");
}

static void test_json(void)
{
	struct printk_record rec = text_record("q\"\\\xe9\n");
	CHECK_STR(render(OUTPUT_JSON, false, &rec),
		  "{\"seq\":7,\"ts_nsec\":1234567891,\"level\":6,\"facility\":0,"
		  "\"caller\":null,\"text\":\"q\\\"\\\\\\u00e9\\u000a\","
		  "\"dev_info\":null}\n");
}

static void test_legacy_lines(void)
{
	static const char raw[] = "<6>[    5.000001] legacy\n";
	struct printk_record rec = {
		.present = PRINTK_HAS_TS | PRINTK_HAS_LEVEL,
		.ts_nsec = 5000001000ull,
		.level = 6,
		.raw = (const uint8_t *)raw,
		.raw_len = sizeof(raw) - 1,
		.text = (const uint8_t *)raw + 18,
		.text_len = 6,
	};
	CHECK_STR(render(OUTPUT_DMESG, false, &rec), "[    5.000001] legacy\n");
	CHECK_STR(render(OUTPUT_VMCORE_DMESG, false, &rec), raw);
	CHECK_STR(render(OUTPUT_RAW, false, &rec), raw);

	static const char torn[] = "rn line\n";
	struct printk_record t = {
		.raw = (const uint8_t *)torn, .raw_len = 8,
		.text = (const uint8_t *)torn, .text_len = 7,
	};
	CHECK_STR(render(OUTPUT_DMESG, false, &t), "rn line\n");
	// The last line of a legacy buffer may lack its newline.
	t.raw_len = 7;
	CHECK_STR(render(OUTPUT_VMCORE_DMESG, false, &t), "rn line");
}

static void test_cap_and_write_error(void)
{
	struct printk_record rec = text_record("hello");
	int fd = memfd_create("cap", 0);
	struct output_options opt = {.mode = OUTPUT_DMESG, .max_bytes = 30};
	struct output *out;
	CHECK_OK(output_create(fd, "capped", &opt, &out));
	CHECK_OK(output_record(out, &rec));
	CHECK_ERR(output_record(out, &rec), CRASH_ERR_CORRUPT,
		  "output to capped would exceed the 30-byte output cap");
	output_destroy(out);
	close(fd);

	int pipefd[2];
	CHECK(pipe(pipefd) == 0);
	close(pipefd[0]);
	signal(SIGPIPE, SIG_IGN);
	struct output_options plain = {.mode = OUTPUT_DMESG};
	CHECK_OK(output_create(pipefd[1], "pipe", &plain, &out));
	CHECK_OK(output_record(out, &rec));
	CHECK_ERR(output_flush(out), CRASH_ERR_OS, "writing pipe: Broken pipe");
	output_destroy(out);
	close(pipefd[1]);
}

int main(void)
{
	RUN(test_dmesg_plain);
	RUN(test_dmesg_multiline_indent);
	RUN(test_dmesg_empty_record);
	RUN(test_dmesg_escapes);
	RUN(test_caller);
	RUN(test_raw);
	RUN(test_kmsg);
	RUN(test_kmsg_dict);
	RUN(test_json);
	RUN(test_legacy_lines);
	RUN(test_cap_and_write_error);
	return test_summary("output");
}
