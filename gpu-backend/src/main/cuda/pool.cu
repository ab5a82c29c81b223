// Max and average pooling over NCHW planes, forward and backward, with per-side padding and
// dilation (the general geometry of Pool2dSpec in floor mode; ceil mode is refused by Ops for this
// backend). Backward is a gather: one thread per input cell sums the contributions of the output
// windows that cover it, in window order, so there are no atomics and the result is deterministic.
//
// Geometry: window (oh, ow) covers ih = oh·sh − pt + i·dh, iw = ow·sw − pl + j·dw, i < kh, j < kw.
// Max: padded cells are −∞ (left out); the value is Java's Math.max over the real cells; the
// winner of a window (backward) is its first real cell in row-major window order with the largest
// value (v > best), as in the CPU backend, PyTorch and cuDNN.
// Average: Σ over the real cells / divisor, the divisor counting the window's cells inside the
// padded input (count_include_pad) or inside the input.
#include "common.cuh"

struct Pool {
    int n_c, h, w, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, include_pad;
};

// The cells of a window starting at `first` with k taps `d` apart inside [lo, hi).
__device__ __forceinline__ int cells(int first, int k, int d, int lo, int hi) {
    int c = 0;
    for (int i = 0; i < k; i++) {
        const int p = first + i * d;
        c += p >= lo && p < hi;
    }
    return c;
}

__device__ __forceinline__ float divisor(const Pool& p, int top, int left) {
    const int rows = p.include_pad ? cells(top, p.kh, p.dh, -p.pt, p.h + p.pb) : cells(top, p.kh, p.dh, 0, p.h);
    const int cols = p.include_pad ? cells(left, p.kw, p.dw, -p.pl, p.w + p.pr) : cells(left, p.kw, p.dw, 0, p.w);
    return (float) rows * (float) cols;
}

// Plane offset ih·w + iw of window (oh, ow)'s first maximum; −1 if the window has no real cell.
__device__ __forceinline__ int winner(const float* x, const Pool& p, int oh, int ow) {
    int best_at = -1;
    float best = 0.0f;
    for (int i = 0; i < p.kh; i++) {
        const int ih = oh * p.sh - p.pt + i * p.dh;
        if (ih < 0 || ih >= p.h) continue;
        for (int j = 0; j < p.kw; j++) {
            const int iw = ow * p.sw - p.pl + j * p.dw;
            if (iw < 0 || iw >= p.w) continue;
            const float v = x[ih * p.w + iw];
            if (best_at < 0 || v > best) {
                best_at = ih * p.w + iw;
                best = v;
            }
        }
    }
    return best_at;
}

// out [n_c, oh, ow] from x [n_c, h, w]; is_max selects the pool.
extern "C" __global__ void pool_forward(float* __restrict__ out, const float* __restrict__ x, Pool p, int is_max) {
    const long long n = (long long) p.n_c * p.oh * p.ow;
    FOR_EACH(o, n) {
        const int ow = (int) (o % p.ow), oh = (int) ((o / p.ow) % p.oh);
        const long long plane = o / ((long long) p.oh * p.ow);
        const float* xp = x + plane * p.h * p.w;
        const int top = oh * p.sh - p.pt, left = ow * p.sw - p.pl;
        float acc = is_max ? -INFINITY : 0.0f;
        for (int i = 0; i < p.kh; i++) {
            const int ih = top + i * p.dh;
            if (ih < 0 || ih >= p.h) continue;
            for (int j = 0; j < p.kw; j++) {
                const int iw = left + j * p.dw;
                if (iw < 0 || iw >= p.w) continue;
                const float v = xp[ih * p.w + iw];
                acc = is_max ? jmax(acc, v) : __fadd_rn(acc, v);
            }
        }
        out[o] = is_max ? acc : __fdiv_rn(acc, divisor(p, top, left));
    }
}

// The output rows (cols) whose windows can cover input row ih: o with o·s − pad + i·d = ih for some
// tap i < k. Candidates are [lo, hi]; each is checked for a whole tap.
__device__ __forceinline__ void covering(int in, int k, int s, int pad, int d, int out_size, int* lo, int* hi) {
    const int first = in + pad - (k - 1) * d;   // o·s ≥ first
    *lo = first <= 0 ? 0 : (first + s - 1) / s;
    *hi = min(out_size - 1, (in + pad) / s);
}

// dx [n_c, h, w] (overwritten) from dy [n_c, oh, ow]; the max pool also reads x to find winners.
extern "C" __global__ void pool_backward(float* __restrict__ dx, const float* __restrict__ dy,
                                         const float* __restrict__ x, Pool p, int is_max) {
    const long long n = (long long) p.n_c * p.h * p.w;
    FOR_EACH(idx, n) {
        const int iw = (int) (idx % p.w), ih = (int) ((idx / p.w) % p.h);
        const long long plane = idx / ((long long) p.h * p.w);
        const float* dyp = dy + plane * p.oh * p.ow;
        const float* xp = is_max ? x + plane * p.h * p.w : nullptr;
        int oh_lo, oh_hi, ow_lo, ow_hi;
        covering(ih, p.kh, p.sh, p.pt, p.dh, p.oh, &oh_lo, &oh_hi);
        covering(iw, p.kw, p.sw, p.pl, p.dw, p.ow, &ow_lo, &ow_hi);
        float acc = 0.0f;
        for (int oh = oh_lo; oh <= oh_hi; oh++) {
            const int ti = ih - (oh * p.sh - p.pt);   // offset into the window, a multiple of dh for a tap
            if (ti < 0 || ti % p.dh != 0 || ti / p.dh >= p.kh) continue;
            for (int ow = ow_lo; ow <= ow_hi; ow++) {
                const int tj = iw - (ow * p.sw - p.pl);
                if (tj < 0 || tj % p.dw != 0 || tj / p.dw >= p.kw) continue;
                const float g = dyp[oh * p.ow + ow];
                if (is_max) {
                    if (winner(xp, p, oh, ow) == ih * p.w + iw) {
                        acc = __fadd_rn(acc, g);
                    }
                } else {
                    acc = __fadd_rn(acc, __fdiv_rn(g, divisor(p, oh * p.sh - p.pt, ow * p.sw - p.pl)));
                }
            }
        }
        dx[idx] = acc;
    }
}
