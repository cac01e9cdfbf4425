/*
 * summary.h - the one-screen crash summary (crashdmesg --summary).
 *
 * Facts come from VMCOREINFO and the ELF notes (release, build id, crash
 * time, CPUs), from init_uts_ns (hostname, version) and from the log: the
 * panic reason exists only in the log text (printk-formats.md §4.7), so
 * the summary collects records as a sink and picks out the panic line, the
 * oops/BUG/WARNING headers and the lines just before the panic.  It keeps a
 * bounded number of short lines, whatever the log's size.
 */
#ifndef CRASHKIT_SUMMARY_H
#define CRASHKIT_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>

#include "../lib/error.h"
#include "printk.h"

struct summary;

/** What the summary reports besides the log. All borrowed. */
struct summary_facts {
	const char *path;
	const char *arch;
	const char *osrelease;		/* VMCOREINFO OSRELEASE, or NULL */
	const char *build_id;		/* or NULL */
	bool has_crashtime;
	uint64_t crashtime;		/* epoch seconds */
	unsigned int cpu_count;		/* NT_PRSTATUS notes */
	const uint8_t *utsname;		/* struct new_utsname (6 x 65), or NULL */
	bool has_kernel_offset;
	uint64_t kernel_offset;
	const char *xlat_method;
	const char *hypervisor;		/* Xen dump: "Xen 4.17.7 (...)", or NULL */
	const struct printk_stats *stats;	/* or NULL if no log was read */
	const char *log_error;		/* why no log, or NULL */
};

struct crash_error *summary_create(struct summary **ret);
void summary_destroy(struct summary *s);

/** Sink callback: collect one record. Errors: NOMEM. */
struct crash_error *summary_add(struct summary *s,
				const struct printk_record *rec);

/**
 * summary_render() - the summary text, "\n"-terminated lines, malloc'ed
 * into *@text_ret (*@size_ret bytes).  Dump text in it is escaped.
 */
struct crash_error *summary_render(const struct summary *s,
				   const struct summary_facts *facts,
				   char **text_ret, size_t *size_ret);

#endif
