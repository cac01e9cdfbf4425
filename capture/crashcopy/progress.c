/*
 * progress.c - percent, MB/s and ETA on stderr (progress.h).
 *
 * The rate is the average since the start: the copy is one long stream
 * whose speed changes little, and an average does not jump about on a
 * serial console.  MB is 10^6 bytes, as dd and makedumpfile print it.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

/* How often a line is drawn: in place on a tty, appended elsewhere. */
static const uint64_t tty_interval_ns = 200000000;
static const uint64_t log_interval_ns = 5000000000ULL;

uint64_t progress_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void progress_init(struct progress *p, int fd, bool enabled,
		   const char *label, uint64_t total_size)
{
	memset(p, 0, sizeof(*p));
	p->enabled = enabled;
	p->fd = fd;
	p->tty = isatty(fd);
	p->label = label;
	p->total_size = total_size;
	p->start_ns = progress_now_ns();
	p->last_ns = p->start_ns;
}

double progress_seconds(const struct progress *p)
{
	return (double)(progress_now_ns() - p->start_ns) / 1e9;
}

static void draw(struct progress *p, uint64_t now, bool final)
{
	char line[160];
	double seconds = (double)(now - p->start_ns) / 1e9;
	double percent = p->total_size
		? 100.0 * (double)p->done_size / (double)p->total_size : 100.0;
	double rate = seconds > 0 ? (double)p->done_size / seconds : 0;
	char eta[32] = "--:--";
	if (final) {
		snprintf(eta, sizeof(eta), "done in %.1f s", seconds);
	} else if (rate > 0 && p->total_size >= p->done_size) {
		uint64_t left = (uint64_t)((double)(p->total_size - p->done_size) / rate);
		snprintf(eta, sizeof(eta), "ETA %u:%02u", (unsigned)(left / 60),
			 (unsigned)(left % 60));
	}
	int n = snprintf(line, sizeof(line), "%scrashcopy: %s %5.1f%% %8.1f MB/s %s%s",
			 p->tty ? "\r" : "", p->label, percent, rate / 1e6, eta,
			 p->tty && !final ? "\033[K" : "\n");
	if (n > 0 && (size_t)n < sizeof(line)) {
		ssize_t w = write(p->fd, line, (size_t)n);
		(void)w;
	}
	p->drawn = p->tty && !final;
	p->last_ns = now;
}

void progress_update(struct progress *p, uint64_t done_size)
{
	p->done_size = done_size;
	if (!p->enabled)
		return;
	uint64_t now = progress_now_ns();
	if (now - p->last_ns >= (p->tty ? tty_interval_ns : log_interval_ns))
		draw(p, now, false);
}

void progress_deinit(struct progress *p)
{
	if (!p->enabled)
		return;
	draw(p, progress_now_ns(), true);
}
