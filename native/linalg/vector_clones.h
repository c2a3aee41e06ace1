// Function multi-versioning for the hot plain loops (fixed-order sums that are not handed to BLAS,
// so that their bits do not depend on the thread count). The addon is built for baseline x86-64,
// which gives these loops SSE2 without FMA; with this attribute GCC also compiles an x86-64-v3
// clone (AVX2 + FMA) and the loader picks one per machine, so the prebuilt binary stays portable.
// A given machine always runs the same clone; two machines of different levels may differ in the
// last bits (FMA rounds once where SSE2 rounds twice).
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define TDAKIT_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define TDAKIT_VECTOR_CLONES
#endif
