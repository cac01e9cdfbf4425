/*
 * xen_filter.h - crashcopy -X: keep Xen's and dom0's machine frames, drop
 * domU frames and free frames, decided from Xen's frame_table.
 *
 * (1) What is read (VMCOREINFO_XEN, xen/common/kexec.c): SYMBOL(frame_table)
 * (a pointer variable holding FRAMETABLE_VIRT_START, 0xffff82e000000000 on
 * x86_64), SYMBOL(max_page), SYMBOL(domain_list) and
 * OFFSET(domain.next_in_list)/OFFSET(domain.domain_id), SYMBOL(dom_xen),
 * SYMBOL(dom_io), SIZE(page_info), OFFSET(page_info.count_info),
 * OFFSET(page_info._domain).  struct page_info per machine frame:
 * count_info (unsigned long) and v.inuse._domain (a u32 pdx of the owner's
 * struct domain, which lives in the direct map; pdx == mfn without pdx
 * compression, the case on machines without large holes).
 *
 * (2) count_info's flag bits moved with XSA-402 (CVE-2022-26363, Xen
 * commit ae09597da3; in 4.17.0+, 4.16.2+, 4.15.3+, 4.14.6, 4.13.5):
 *   bit 63 PGC_allocated and 62 PGC_xen_heap in both;
 *   PGC_state (2 bits; 3 = free): bits 55-56 before, 58-59 after.
 * The version does not tell which a build has, so both are counted over the
 * whole frame table and the layout that finds free frames wins (spec
 * xen-dom0.md §7.4: 62,012 free frames one way, 0 the other); a tie keeps
 * the new layout for Xen >= 4.17, the old one before.
 *
 * (3) A frame is dropped when (a) its state is free, or (b) PGC_allocated
 * is set and its owner is a domain on domain_list whose domain_id is
 * neither 0 nor a system domain (>= DOMID_FIRST_RESERVED 0x7ff0).  Every
 * other frame is kept: Xen's own (not allocated, or xen heap), dom0's,
 * dom_xen's and dom_io's, frames above max_page, any frame whose page_info
 * cannot be read, and allocated frames whose owner is not on domain_list
 * (counted: a dying domain's, say).
 *
 * (5) frame_table is indexed by pdx, which equals the mfn unless Xen
 * compresses pdx (machines with large holes in their address bits), and
 * VMCOREINFO_XEN does not say which.  So xen_filter_create() samples up
 * to INDEX_SAMPLES of dom0's own frames through its p2m and reads their
 * page_info: allocated to dom0, all but one in 16 (a grant or MMIO frame
 * in the p2m), or -X refuses (UNSUPPORTED) -- dropping frames by another
 * frame's page_info would drop dom0's and Xen's blindly.
 *
 * (4) Bounds: domain_list is followed for at most XEN_FILTER_MAX_DOMAINS
 * entries (a loop is CORRUPT); the frame table is read in windows of the
 * caller's size, so memory does not grow with the machine.
 */
#ifndef CRASHKIT_XEN_FILTER_H
#define CRASHKIT_XEN_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "../../lib/error.h"
#include "../../lib/xen.h"

enum { XEN_FILTER_MAX_DOMAINS = 32768 };

struct xen_filter_counts {
	uint64_t domu;		/* dropped: allocated to a domU */
	uint64_t free;		/* dropped: PGC_state free */
	uint64_t unreadable;	/* kept: page_info not in the dump */
	uint64_t unknown_owner;	/* kept: allocated to a domain not on
				 * domain_list (dying, or pdx compression
				 * on a machine with large holes) */
	unsigned int domains;	/* on domain_list */
	const char *layout;	/* static: which count_info layout */
};

struct xen_filter;

/**
 * xen_filter_create() - read the layouts and domain_list, pick the
 * count_info layout (one pass over the frame table).  Errors: NOT_FOUND
 * naming the missing VMCOREINFO_XEN key, CORRUPT, FAULT, NOMEM.
 */
struct crash_error *xen_filter_create(const struct xen *xen,
				      struct xen_filter **ret);

/**
 * xen_filter_window() - for machine frames [@start, @start + @count),
 * clear bit (mfn - start) of @keep (LSB first) for each frame to drop.
 */
struct crash_error *xen_filter_window(struct xen_filter *f, uint64_t start,
				      uint64_t count, uint8_t *keep);

void xen_filter_counts(const struct xen_filter *f,
		       struct xen_filter_counts *ret);
void xen_filter_destroy(struct xen_filter *f);

#endif
