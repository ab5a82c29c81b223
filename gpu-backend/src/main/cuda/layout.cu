// Strided block copies: concat and slice (a split is several slices). Both tensors are viewed as
// [rows, row length] around the axis: rows = the product of the dims before the axis, and a row of
// the smaller tensor (cols = its axis extent × the product of the dims after) sits at column
// offset `off` inside a row of the larger one.
//   concat part p: dst = out,  dst_row = out row length, dst_off = (axis start of p)·inner
//   slice:         src = x,    src_row = x row length,   src_off = start·inner
#include "common.cuh"

extern "C" __global__ void copy_block(float* __restrict__ dst, const float* __restrict__ src, long long rows,
                                      long long cols, long long dst_row, long long dst_off, long long src_row,
                                      long long src_off) {
    FOR_EACH(i, rows * cols) {
        const long long r = i / cols, c = i % cols;
        dst[r * dst_row + dst_off + c] = src[r * src_row + src_off + c];
    }
}
