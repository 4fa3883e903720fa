/* A 64-bit hash of a stack's frames, the key of the stack maps of kernel
 * mode (bpf/kmem.bpf.c) and growth -a (bpf/growth_all.bpf.c): unlike a
 * BPF_MAP_TYPE_STACK_TRACE bucket, two stacks collide with probability
 * ~n^2/2^65, and the programs check the frames on every hit.  Computed the
 * same way in BPF and (for the unit tests) in userspace.  A
 * multiply-xorshift mix per frame and murmur3's finalizer: every bit of
 * every frame reaches every bit of the key. */
#ifndef MEMLEAKBPF_STACK_HASH_H
#define MEMLEAKBPF_STACK_HASH_H

#define STACK_HASH_SEED 0x9e3779b97f4a7c15ULL

static inline __u64 stack_hash_step(__u64 h, __u64 ip)
{
	h ^= ip;
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 32);
}

static inline __u64 stack_hash_final(__u64 h, __u32 nframes)
{
	h ^= nframes;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

#endif
