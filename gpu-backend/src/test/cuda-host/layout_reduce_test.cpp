// layout.cu and reduce.cu on the CPU: concat and slice as CudaBackend launches copy_block; every axis
// subset of a [2,3,4,5] tensor reduced by SUM, MEAN and MAX against a direct loop; sums of squares of
// a list with an empty tensor.
#include "layout.cu"
namespace red {
#include "reduce.cu"
}

int main() {
    uint64_t st = 3;
    // concat along axis 1 of [2, 1+3+2, 4]: parts [2,1,4], [2,3,4], [2,2,4]; then slice each back
    {
        const int rows = 2, inner = 4, widths[3] = {1, 3, 2}, total = 6;
        std::vector<std::vector<float>> parts(3);
        for (int p = 0; p < 3; p++) {
            parts[p].resize(rows * widths[p] * inner);
            for (float& v : parts[p]) v = host_random(st, -1, 1);
        }
        std::vector<float> out(rows * total * inner, NAN);
        long long at = 0;
        for (int p = 0; p < 3; p++) {
            long long cols = (long long) widths[p] * inner;
            launch1(copy_block, 2, 3, out.data(), (const float*) parts[p].data(), (long long) rows, cols,
                    (long long) total * inner, at, cols, 0LL);
            at += cols;
        }
        int start = 0;
        for (int p = 0; p < 3; p++) {
            for (int r = 0; r < rows; r++)
                for (int k = 0; k < widths[p]; k++)
                    for (int i = 0; i < inner; i++)
                        CHECK(out[(r * total + start + k) * inner + i] == parts[p][(r * widths[p] + k) * inner + i],
                              "concat part %d", p);
            std::vector<float> back(parts[p].size(), NAN);
            long long cols = (long long) widths[p] * inner;
            launch1(copy_block, 1, 5, back.data(), (const float*) out.data(), (long long) rows, cols, cols, 0LL,
                    (long long) total * inner, (long long) start * inner);
            CHECK(back == parts[p], "slice %d", p);
            start += widths[p];
        }
    }

    // reduce over every axis subset
    {
        const int dims[4] = {2, 3, 4, 5};
        float x[120];
        for (float& v : x) v = host_random(st, -10, 10);
        x[17] = x[18];   // a tie for MAX
        Dims d{};
        for (int i = 0; i < 4; i++) d.v[i] = dims[i];
        for (int mask = 0; mask < 16; mask++) {
            long long count = 1, outN = 1;
            for (int i = 0; i < 4; i++) (mask >> i & 1 ? count : outN) *= dims[i];
            for (int op = 0; op < 3; op++) {
                std::vector<float> out(outN, NAN);
                launch1(red::reduce_axes, 2, 4, out.data(), (const float*) x, outN, 4, d, mask, count, op);
                std::vector<double> sum(outN, 0.0);
                std::vector<float> mx(outN, -INFINITY);
                for (int i0 = 0; i0 < 2; i0++) for (int i1 = 0; i1 < 3; i1++) for (int i2 = 0; i2 < 4; i2++)
                    for (int i3 = 0; i3 < 5; i3++) {
                        int idx[4] = {i0, i1, i2, i3};
                        long long o = 0;
                        for (int a = 0; a < 4; a++)
                            if (!(mask >> a & 1)) o = o * dims[a] + idx[a];
                        float v = x[((i0 * 3 + i1) * 4 + i2) * 5 + i3];
                        sum[o] += v;
                        mx[o] = std::fmax(mx[o], v);
                    }
                for (long long o = 0; o < outN; o++) {
                    double want = op == 2 ? mx[o] : op == 1 ? sum[o] / count : sum[o];
                    CHECK(close_to(out[o], want, op == 2 ? 0 : 1e-6), "reduce op %d mask %d out %lld: %g want %g", op, mask,
                          o, out[o], want);
                }
            }
        }
    }

    // sums of squares of a list: sizes 1000, 0, 3
    {
        std::vector<float> t0(1000), t2(3);
        for (float& v : t0) v = host_random(st, -1, 1);
        for (float& v : t2) v = host_random(st, -1, 1);
        const float* xs[3] = {t0.data(), nullptr, t2.data()};
        long long ns[3] = {1000, 0, 3};
        float out[3] = {NAN, NAN, NAN};
        launch1(red::sum_squares_list, 3, 64, out, (const float* const*) xs, (const long long*) ns);
        double s0 = 0, s2 = 0;
        for (float v : t0) s0 += (double) v * v;
        for (float v : t2) s2 += (double) v * v;
        CHECK(close_to(out[0], s0, 1e-6) && out[1] == 0 && close_to(out[2], s2, 1e-6), "sums %g %g %g", out[0], out[1],
              out[2]);
    }
    return host_finish("layout+reduce");
}
