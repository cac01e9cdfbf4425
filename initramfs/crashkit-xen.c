/*
 * crashkit-xen - ask the Xen hypervisor, from a PV dom0, where its crash
 * reservation is and whether a crash image is loaded.
 *
 * In a PV dom0 Linux sees neither the reservation (/proc/iomem, /proc/cmdline,
 * /sys/kernel/kexec_crash_size) nor the load state (kexec_crash_loaded stays
 * 0): both live in Xen.  This helper asks Xen directly through the privcmd
 * hypercall ioctl of /dev/xen/privcmd (module xen-privcmd), so it needs no
 * libxenctrl, no xenstored and no xenfs, and is built static for initramfs
 * use.  Hypercalls used (Xen public ABI, stable since Xen 4.4):
 *   kexec_op(KEXEC_CMD_kexec_get_range)  MA_CRASH, MA_CPU nr, MA_VMCOREINFO
 *   kexec_op(KEXEC_CMD_kexec_status)     crash type
 *   xen_version(XENVER_version, XENVER_commandline)
 *
 * Usage: crashkit-xen [--device PATH] COMMAND
 *   info     key=value lines: version, crash_start, crash_size, crash_loaded,
 *            vmcoreinfo_xen, cpu_notes, cmdline (every item it could get)
 *   range    "START SIZE" of the crash area (hex); "0x0 0x0" when Xen has none
 *   loaded   "1" when a crash image is loaded, "0" when not
 *   cmdline  Xen's own command line
 * Exit: 0 ok; 1 a hypercall or /dev/xen/privcmd failed (message on stderr);
 * 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* Linux include/uapi/xen/privcmd.h: the one ioctl we use. */
struct ck_privcmd_hypercall {
	uint64_t op;
	uint64_t arg[5];
};
#define CK_IOCTL_PRIVCMD_HYPERCALL \
	_IOC(_IOC_NONE, 'P', 0, sizeof(struct ck_privcmd_hypercall))

/* Xen public/xen.h hypercall numbers. */
#define CK_HYPERVISOR_xen_version 17
#define CK_HYPERVISOR_kexec_op 37

/* Xen public/version.h. */
#define CK_XENVER_version 0
#define CK_XENVER_commandline 9
#define CK_XEN_COMMANDLINE_LEN 1024

/* Xen public/kexec.h. */
#define CK_KEXEC_CMD_kexec_get_range 3
#define CK_KEXEC_CMD_kexec_status 6
#define CK_KEXEC_TYPE_CRASH 1
#define CK_KEXEC_RANGE_MA_CRASH 0
#define CK_KEXEC_RANGE_MA_CPU 2
#define CK_KEXEC_RANGE_MA_VMCOREINFO 6

/* xen_kexec_range_t on x86_64: int, int, unsigned long size, start. */
struct ck_kexec_range {
	int32_t range;
	int32_t nr;
	uint64_t size;
	uint64_t start;
};

/* xen_kexec_status_t. */
struct ck_kexec_status {
	uint8_t type;
};

/* More physical CPUs than this are not listed (a bound, not a limit of Xen). */
#define CK_MAX_CPUS 4096

/*
 * Hypercall arguments must be mapped and stay mapped while Xen copies them:
 * one locked page holds them all.
 */
union ck_buf {
	struct ck_kexec_range range;
	struct ck_kexec_status status;
	char cmdline[CK_XEN_COMMANDLINE_LEN];
};

static const char *device = "/dev/xen/privcmd";
static int privcmd_fd = -1;
static union ck_buf *buf;

/* hypercall(): the hypercall's value, or -errno (privcmd returns -1/errno). */
static long hypercall(uint64_t op, uint64_t a0, uint64_t a1)
{
	struct ck_privcmd_hypercall h;
	long rc;

	memset(&h, 0, sizeof(h));
	h.op = op;
	h.arg[0] = a0;
	h.arg[1] = a1;
	rc = ioctl(privcmd_fd, CK_IOCTL_PRIVCMD_HYPERCALL, &h);
	if (rc < 0)
		return -errno;
	return rc;
}

static int open_privcmd(void)
{
	privcmd_fd = open(device, O_RDWR | O_CLOEXEC);
	if (privcmd_fd < 0) {
		int e = errno;

		fprintf(stderr, "crashkit-xen: %s: %s%s\n", device, strerror(e),
			e == ENOENT ? " (modprobe xen-privcmd; is this a Xen dom0?)" : "");
		return -1;
	}
	buf = mmap(NULL, sizeof(*buf), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		fprintf(stderr, "crashkit-xen: mmap: %s\n", strerror(errno));
		return -1;
	}
	/* Best effort: the page is touched right before each call anyway. */
	(void)mlock(buf, sizeof(*buf));
	return 0;
}

/* get_range(): 0 and *start, *size filled, or the negative Xen error. */
static long get_range(int range, int nr, uint64_t *start, uint64_t *size)
{
	long rc;

	memset(buf, 0, sizeof(*buf));
	buf->range.range = range;
	buf->range.nr = nr;
	rc = hypercall(CK_HYPERVISOR_kexec_op, CK_KEXEC_CMD_kexec_get_range,
		       (uint64_t)(uintptr_t)&buf->range);
	if (rc < 0)
		return rc;
	*start = buf->range.start;
	*size = buf->range.size;
	return 0;
}

static int report_range_error(const char *what, long rc)
{
	fprintf(stderr, "crashkit-xen: kexec_get_range %s: %s (Xen error %ld)\n",
		what, strerror((int)-rc), rc);
	return 1;
}

static int cmd_range(void)
{
	uint64_t start, size;
	long rc = get_range(CK_KEXEC_RANGE_MA_CRASH, 0, &start, &size);

	if (rc < 0)
		return report_range_error("crash area", rc);
	printf("0x%llx 0x%llx\n", (unsigned long long)start,
	       (unsigned long long)size);
	return 0;
}

/* crash_loaded(): 0 or 1, or the negative Xen error. */
static long crash_loaded(void)
{
	memset(buf, 0, sizeof(*buf));
	buf->status.type = CK_KEXEC_TYPE_CRASH;
	return hypercall(CK_HYPERVISOR_kexec_op, CK_KEXEC_CMD_kexec_status,
			 (uint64_t)(uintptr_t)&buf->status);
}

static int cmd_loaded(void)
{
	long rc = crash_loaded();

	if (rc < 0) {
		fprintf(stderr, "crashkit-xen: kexec_status: %s (Xen error %ld)\n",
			strerror((int)-rc), rc);
		return 1;
	}
	printf("%d\n", rc ? 1 : 0);
	return 0;
}

/* get_cmdline(): 0 with buf->cmdline NUL-terminated, or the negative error. */
static long get_cmdline(void)
{
	long rc;

	memset(buf, 0, sizeof(*buf));
	rc = hypercall(CK_HYPERVISOR_xen_version, CK_XENVER_commandline,
		       (uint64_t)(uintptr_t)buf->cmdline);
	if (rc < 0)
		return rc;
	buf->cmdline[sizeof(buf->cmdline) - 1] = '\0';
	return 0;
}

/* print_clean(): s with control bytes as '?', so one line stays one line. */
static void print_clean(const char *s)
{
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
	putchar('\n');
}

static int cmd_cmdline(void)
{
	long rc = get_cmdline();

	if (rc < 0) {
		fprintf(stderr, "crashkit-xen: xen_version commandline: %s (Xen error %ld)\n",
			strerror((int)-rc), rc);
		return 1;
	}
	print_clean(buf->cmdline);
	return 0;
}

static int cmd_info(void)
{
	uint64_t start, size;
	long rc, ver;
	int cpu, status = 0;

	ver = hypercall(CK_HYPERVISOR_xen_version, CK_XENVER_version, 0);
	if (ver < 0) {
		fprintf(stderr, "crashkit-xen: xen_version: %s\n", strerror((int)-ver));
		return 1;
	}
	printf("version=%ld.%ld\n", (ver >> 16) & 0xffff, ver & 0xffff);
	rc = get_range(CK_KEXEC_RANGE_MA_CRASH, 0, &start, &size);
	if (rc < 0) {
		status = report_range_error("crash area", rc);
	} else {
		printf("crash_start=0x%llx\ncrash_size=0x%llx\n",
		       (unsigned long long)start, (unsigned long long)size);
	}
	rc = crash_loaded();
	if (rc < 0) {
		fprintf(stderr, "crashkit-xen: kexec_status: %s\n", strerror((int)-rc));
		status = 1;
	} else {
		printf("crash_loaded=%d\n", rc ? 1 : 0);
	}
	rc = get_range(CK_KEXEC_RANGE_MA_VMCOREINFO, 0, &start, &size);
	if (rc == 0)
		printf("vmcoreinfo_xen=0x%llx 0x%llx\n", (unsigned long long)start,
		       (unsigned long long)size);
	/* Xen answers -EINVAL past the last CPU, and for all of them without
	 * a crash area. */
	for (cpu = 0; cpu < CK_MAX_CPUS; cpu++) {
		if (get_range(CK_KEXEC_RANGE_MA_CPU, cpu, &start, &size) < 0)
			break;
		printf("cpu_note=%d 0x%llx 0x%llx\n", cpu,
		       (unsigned long long)start, (unsigned long long)size);
	}
	printf("cpu_notes=%d\n", cpu);
	if (get_cmdline() == 0) {
		fputs("cmdline=", stdout);
		print_clean(buf->cmdline);
	}
	return status;
}

static int usage(void)
{
	fputs("usage: crashkit-xen [--device PATH] info|range|loaded|cmdline\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	const char *cmd;
	int rc;

	if (argc >= 3 && strcmp(argv[1], "--device") == 0) {
		device = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc != 2)
		return usage();
	cmd = argv[1];
	if (strcmp(cmd, "info") != 0 && strcmp(cmd, "range") != 0 &&
	    strcmp(cmd, "loaded") != 0 && strcmp(cmd, "cmdline") != 0)
		return usage();
	if (open_privcmd() < 0)
		return 1;
	if (strcmp(cmd, "info") == 0)
		rc = cmd_info();
	else if (strcmp(cmd, "range") == 0)
		rc = cmd_range();
	else if (strcmp(cmd, "loaded") == 0)
		rc = cmd_loaded();
	else
		rc = cmd_cmdline();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "crashkit-xen: writing the answer: %s\n", strerror(errno));
		return 1;
	}
	return rc;
}
