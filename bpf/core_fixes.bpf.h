/* Kernel layout changes handled with CO-RE flavours.  Each entry cites the
 * kernel change it bridges; callers test with bpf_core_field_exists(). */
#ifndef MEMLEAKBPF_CORE_FIXES_BPF_H
#define MEMLEAKBPF_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

/* mm->rss_stat became an array of percpu_counter in 6.2 (commit
 * f1a7941243c1 "mm: convert mm's rss stats into percpu_counter"); before,
 * it was struct mm_rss_stat { atomic_long_t count[NR_MM_COUNTERS]; }.
 * Both get_mm_counter() variants read the central count only, as here. */
struct mm_rss_stat___pre62 {
	atomic_long_t count[4];
};
struct mm_struct___pre62 {
	struct mm_rss_stat___pre62 rss_stat;
};

/* Constant indices only: CO-RE relocates each access separately. */
#define MM_COUNTER_READ(mm, idx)                                                  \
	(bpf_core_field_exists(((struct mm_struct___pre62 *)(mm))->rss_stat.count) \
		 ? BPF_CORE_READ((struct mm_struct___pre62 *)(mm), rss_stat.count[idx].counter) \
		 : BPF_CORE_READ((mm), rss_stat[idx].count))

static __always_inline __u64 mm_counter_read(struct mm_struct *mm, int member)
{
	long v;

	switch (member) {
	case 0: v = MM_COUNTER_READ(mm, 0); break;
	case 1: v = MM_COUNTER_READ(mm, 1); break;
	case 2: v = MM_COUNTER_READ(mm, 2); break;
	case 3: v = MM_COUNTER_READ(mm, 3); break;
	default: v = 0;
	}
	/* percpu_counter_read_positive(): the central count may dip below 0 */
	return v < 0 ? 0 : v;
}

/* folio->flags became memdesc_flags_t (a struct wrapping the word) in
 * v6.18 ("mm: introduce memdesc_flags_t"); before, a plain unsigned long.
 * A field relocation does not match a struct against an integer, so each
 * layout gets its own flavour.  The word is the same either way. */
struct folio___flags_ul {
	unsigned long flags;
};

static __always_inline unsigned long folio_flags_word(struct folio *folio)
{
	unsigned long flags = 0;

	if (bpf_core_field_exists(struct folio___flags_ul, flags))
		bpf_probe_read_kernel(&flags, sizeof(flags), (void *)folio +
				      bpf_core_field_offset(struct folio___flags_ul, flags));
	else
		bpf_probe_read_kernel(&flags, sizeof(flags), (void *)folio +
				      bpf_core_field_offset(struct folio, flags));
	return flags;
}

/* A large folio's order: its own byte folio->_folio_order before v6.4,
 * the low byte of the first tail page's flags (folio->_flags_1) since
 * (commit ebc1baf5c9b4 "mm: free up a word in the first tail page"). */
struct folio___pre64 {
	unsigned char _folio_order;
};

static __always_inline __u32 folio_order_large(struct folio *folio)
{
	if (bpf_core_field_exists(struct folio___pre64, _folio_order))
		return BPF_CORE_READ((struct folio___pre64 *)folio, _folio_order);
	return BPF_CORE_READ(folio, _flags_1) & 0xff;
}

#endif
