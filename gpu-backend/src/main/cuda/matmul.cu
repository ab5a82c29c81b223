// out[M,N] = op(a)·op(b), op(a) = a[M,K] or (trans_a) the transpose of a[K,M]; op(b) = b[K,N] or
// (trans_b) the transpose of b[N,K]. A plain shared-memory tiled SGEMM (no cuBLAS: its JCuda binding
// needs libcublas.so.11): each block computes a TILE×TILE tile of out, one element per thread,
// walking K in TILE-wide slabs; each thread sums its dot product in k order with fmaf, so the result
// is deterministic. Inception uses it only for the fc layer (2048 → classes), a tiny share of a step.
// Launch: grid (ceil(N/TILE), ceil(M/TILE)), block (TILE, TILE).
#define TILE 16

__device__ __forceinline__ float a_at(const float* a, int m, int k, int M, int K, int trans) {
    return trans ? a[(long long) k * M + m] : a[(long long) m * K + k];
}

__device__ __forceinline__ float b_at(const float* b, int k, int n, int K, int N, int trans) {
    return trans ? b[(long long) n * K + k] : b[(long long) k * N + n];
}

extern "C" __global__ void matmul(float* __restrict__ out, const float* __restrict__ a, const float* __restrict__ b,
                                  int M, int N, int K, int trans_a, int trans_b) {
    __shared__ float as[TILE][TILE];
    __shared__ float bs[TILE][TILE];
    const int row = blockIdx.y * TILE + threadIdx.y;
    const int col = blockIdx.x * TILE + threadIdx.x;
    float acc = 0.0f;
    for (int k0 = 0; k0 < K; k0 += TILE) {
        const int ka = k0 + threadIdx.x, kb = k0 + threadIdx.y;
        as[threadIdx.y][threadIdx.x] = row < M && ka < K ? a_at(a, row, ka, M, K, trans_a) : 0.0f;
        bs[threadIdx.y][threadIdx.x] = kb < K && col < N ? b_at(b, kb, col, K, N, trans_b) : 0.0f;
        __syncthreads();
#pragma unroll
        for (int k = 0; k < TILE; k++) {
            acc = fmaf(as[threadIdx.y][k], bs[k][threadIdx.x], acc);
        }
        __syncthreads();
    }
    if (row < M && col < N) {
        out[(long long) row * N + col] = acc;
    }
}
