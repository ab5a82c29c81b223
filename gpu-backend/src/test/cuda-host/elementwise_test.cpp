// elementwise.cu on the CPU: every unary and binary op (Java's max/min on signed zeros and NaN),
// broadcasting with the strides CudaBackend.broadcastStrides gives, affine, clip, ReLU backward,
// batch norm with given statistics and for M = 1.
#include "elementwise.cu"

static float java_max(float a, float b) {
    if (a != a || b != b) return NAN;
    if (a == 0 && b == 0) return std::signbit(a) ? b : a;
    return a > b ? a : b;
}

static float java_min(float a, float b) {
    if (a != a || b != b) return NAN;
    if (a == 0 && b == 0) return std::signbit(a) ? a : b;
    return a < b ? a : b;
}

static bool same(float a, float b) {
    return same_bits(a, b) || (a != a && b != b);
}

int main() {
    const float specials[] = {0.0f, -0.0f, 1.5f, -2.25f, INFINITY, -INFINITY, NAN, 1e-40f, 3e38f, 0.1f};
    const int n = sizeof specials / sizeof specials[0];
    float out[n * n], a[n * n], b[n * n];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            a[i * n + j] = specials[i];
            b[i * n + j] = specials[j];
        }

    // unary, every op
    for (int op = 0; op < 8; op++) {
        launch1(unary, 2, 4, out, (const float*) specials, (long long) n, op);
        for (int i = 0; i < n; i++) {
            float x = specials[i], want;
            switch (op) {
                case 0: want = -x; break;
                case 1: want = std::fabs(x); break;
                case 2: want = std::sqrt(x); break;
                case 3: want = (float) std::exp((double) x); break;
                case 4: want = (float) std::log((double) x); break;
                case 5: want = java_max(x, 0.0f); break;
                case 6: want = x * x; break;
                default: want = 1.0f / x; break;
            }
            CHECK(same(out[i], want), "unary op %d x=%g: %g want %g", op, x, out[i], want);
        }
    }

    // binary, same shapes (dense = 3): every pair of specials
    Dims d{}, s{};
    d.v[0] = n * n;
    s.v[0] = 1;
    for (int op = 0; op < 6; op++) {
        launch1(binary, 3, 8, out, (const float*) a, (const float*) b, (long long) (n * n), op, 1, d, s, s, 3);
        for (int i = 0; i < n * n; i++) {
            float x = a[i], y = b[i], want;
            switch (op) {
                case 0: want = x + y; break;
                case 1: want = x - y; break;
                case 2: want = x * y; break;
                case 3: want = x / y; break;
                case 4: want = java_max(x, y); break;
                default: want = java_min(x, y); break;
            }
            CHECK(same(out[i], want), "binary op %d (%g, %g): %g want %g", op, x, y, out[i], want);
        }
    }

    // binary with broadcasting: out [2,3,4] = a [3,1] - b [2,1,4]
    {
        float av[3], bv[8], o[24];
        uint64_t st = 1;
        for (float& v : av) v = host_random(st, -1, 1);
        for (float& v : bv) v = host_random(st, -1, 1);
        Dims od{}, as{}, bs{};
        od.v[0] = 2; od.v[1] = 3; od.v[2] = 4;
        as.v[0] = 0; as.v[1] = 1; as.v[2] = 0;    // a [3,1] aligned right: axis 1 stride 1, axis 2 broadcast
        bs.v[0] = 4; bs.v[1] = 0; bs.v[2] = 1;    // b [2,1,4]
        launch1(binary, 2, 5, o, (const float*) av, (const float*) bv, 24LL, 1, 3, od, as, bs, 0);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++) {
                    float want = av[j] - bv[i * 4 + k];
                    CHECK(same(o[(i * 3 + j) * 4 + k], want), "broadcast [%d,%d,%d]", i, j, k);
                }
        // out aliases a (same shape), b a row vector [4]
        float x[24], row[4];
        for (float& v : x) v = host_random(st, -1, 1);
        for (float& v : row) v = host_random(st, -1, 1);
        float x0[24];
        std::memcpy(x0, x, sizeof x);
        Dims rs{};
        rs.v[2] = 1;
        launch1(binary, 1, 7, x, (const float*) x, (const float*) row, 24LL, 2, 3, od, as, rs, 1);
        for (int i = 0; i < 24; i++) CHECK(same(x[i], x0[i] * row[i % 4]), "in place row broadcast %d", i);
    }

    // affine, clip (lo > hi gives hi), ReLU backward
    {
        launch1(affine_kernel, 2, 3, out, (const float*) specials, (long long) n, 2.5f, -1.0f);
        for (int i = 0; i < n; i++) CHECK(same(out[i], specials[i] * 2.5f + -1.0f), "affine %g", specials[i]);
        launch1(affine_kernel, 1, 4, out, (const float*) specials, (long long) n, 1.0f, 0.0f);
        CHECK(same(out[1], 0.0f), "affine turns -0 into +0 as Java's 1*x + 0 does");
        launch1(clip, 2, 3, out, (const float*) specials, (long long) n, -1.0f, 2.0f);
        for (int i = 0; i < n; i++)
            CHECK(same(out[i], java_min(java_max(specials[i], -1.0f), 2.0f)), "clip %g", specials[i]);
        launch1(clip, 1, 2, out, (const float*) specials, (long long) n, 3.0f, 1.0f);
        CHECK(same(out[2], 1.0f), "clip with lo > hi gives hi: %g", out[2]);
        float dy[n];
        for (int i = 0; i < n; i++) dy[i] = (float) (i + 1);
        launch1(relu_backward, 2, 2, out, (const float*) dy, (const float*) specials, (long long) n);
        for (int i = 0; i < n; i++) CHECK(same(out[i], specials[i] > 0 ? dy[i] : 0.0f), "relu backward %d", i);
    }

    // batch norm inference, x [2,3,5] (outer 2, C 3, inner 5)
    {
        float x[30], o[30], g[3] = {1.5f, -0.5f, 2}, be[3] = {0.1f, 0.2f, -0.3f}, m[3] = {0.5f, -1, 0}, v[3] = {1, 4, 0.25f};
        uint64_t st = 7;
        for (float& e : x) e = host_random(st, -2, 2);
        launch1(bn_inference, 2, 8, o, (const float*) x, (const float*) g, (const float*) be, (const float*) m,
                (const float*) v, 30LL, 3, 5LL, 1e-3f);
        for (int i = 0; i < 30; i++) {
            int c = (i / 5) % 3;
            float want = g[c] * ((x[i] - m[c]) / std::sqrt(v[c] + 1e-3f)) + be[c];
            CHECK(same(o[i], want), "bn inference %d: %g want %g", i, o[i], want);
        }
        // M = 1: x [1,3]
        float sm[3], si[3], rm[3] = {1, 2, 3}, rv[3] = {4, 5, 6};
        launch1(bn_training_single, 1, 2, o, sm, si, (const float*) x, (const float*) g, (const float*) be, rm, rv, 3,
                1e-3f, 0.25f);
        for (int c = 0; c < 3; c++) {
            CHECK(same(sm[c], x[c]), "saved mean %d", c);
            CHECK(same(si[c], (float) (1.0 / std::sqrt((double) 1e-3f))), "saved inv std %d", c);
            CHECK(same(o[c], be[c]) || same(o[c], g[c] * 0.0f * si[c] + be[c]), "out = beta %d", c);
            CHECK(same(rm[c], 0.75f * (float) (c + 1) + 0.25f * x[c]), "running mean %d", c);
            CHECK(same(rv[c], 0.75f * (float) (c + 4)), "running var %d: %g", c, rv[c]);
        }
    }
    return host_finish("elementwise");
}
