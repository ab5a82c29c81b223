// Runs InceptionJ's CUDA kernels on the CPU, to check their index arithmetic and formulas where there
// is no GPU (KernelHostEmulationTest compiles each harness with g++ and runs it). Every thread of a
// block is a std::thread; __syncthreads() is a std::barrier over the block's threads; blocks run one
// after another, so __shared__ arrays (static locals) belong to the running block. The float
// intrinsics are plain IEEE operations (compiled with -ffp-contract=off: no FMA contraction), which is
// what the _rn intrinsics are. What this cannot show: memory-model races, the driver, launch limits,
// and how nvcc compiles; the GPU checks those.
#pragma once
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

using std::min;
using std::max;

#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __shared__ static

struct HostDim3 {
    unsigned int x = 1, y = 1, z = 1;
};

inline thread_local HostDim3 threadIdx, blockIdx;
inline HostDim3 blockDim, gridDim;
inline std::barrier<>* host_block_barrier = nullptr;
alignas(16) inline unsigned char host_dynamic_shared[1 << 16];

inline void __syncthreads() {
    host_block_barrier->arrive_and_wait();
}

// `extern __shared__ double s[];` is rewritten to this by the test (dynamic shared memory).
template <class T>
inline T* host_shared() {
    return reinterpret_cast<T*>(host_dynamic_shared);
}

inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __dsqrt_rn(double a) { return std::sqrt(a); }
using std::isfinite;
using std::signbit;

// kernel<<<grid, block, shared>>>(args...) as a sequence of blocks of std::threads.
template <class... P, class... A>
void launch(void (*kernel)(P...), unsigned gx, unsigned gy, unsigned bx, unsigned by, A... args) {
    gridDim = {gx, gy, 1};
    blockDim = {bx, by, 1};
    for (unsigned by_ = 0; by_ < gy; by_++) {
        for (unsigned bx_ = 0; bx_ < gx; bx_++) {
            std::memset(host_dynamic_shared, 0xff, sizeof host_dynamic_shared);   // garbage, as on a GPU
            std::barrier<> bar(bx * by);
            host_block_barrier = &bar;
            std::vector<std::thread> threads;
            for (unsigned ty = 0; ty < by; ty++) {
                for (unsigned tx = 0; tx < bx; tx++) {
                    threads.emplace_back([&, tx, ty] {
                        blockIdx = {bx_, by_, 1};
                        threadIdx = {tx, ty, 1};
                        kernel(static_cast<P>(args)...);
                        bar.arrive_and_drop();
                    });
                }
            }
            for (auto& t : threads) t.join();
            host_block_barrier = nullptr;
        }
    }
}

template <class... P, class... A>
void launch1(void (*kernel)(P...), unsigned grid, unsigned block, A... args) {
    launch(kernel, grid, 1, block, 1, args...);
}

inline int host_failures = 0;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            std::printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);     \
            std::printf(__VA_ARGS__);                                       \
            std::printf("\n");                                              \
            if (++host_failures > 20) std::exit(1);                         \
        }                                                                   \
    } while (0)

inline bool same_bits(float a, float b) {
    uint32_t x, y;
    std::memcpy(&x, &a, 4);
    std::memcpy(&y, &b, 4);
    return x == y;
}

inline bool close_to(double a, double b, double rel) {
    return std::fabs(a - b) <= rel * std::fmax(1.0, std::fmax(std::fabs(a), std::fabs(b)));
}

// A reproducible float in [lo, hi) (an LCG; the kernels' results do not depend on which values).
inline float host_random(uint64_t& state, float lo, float hi) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (hi - lo) * (float) ((state >> 40) * 0x1.0p-24);
}

inline int host_finish(const char* name) {
    if (host_failures) {
        std::printf("%s: %d failures\n", name, host_failures);
        return 1;
    }
    std::printf("%s: ok\n", name);
    return 0;
}
