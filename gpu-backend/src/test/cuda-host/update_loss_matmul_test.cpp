// update.cu, loss.cu and matmul.cu on the CPU: every optimizer over a list with an empty entry,
// per-entry and single scales, a non-finite scale that writes nothing, against the CPU backend's
// formulas (same operations, so same bits); cross-entropy with and without a prior; the tiled
// matmul with every transpose at sizes that are not multiples of the tile.
#include "update.cu"
namespace xent {
#include "loss.cu"
}
namespace mm {
#include "matmul.cu"
}

struct Lists {
    std::vector<std::vector<float>> t[4];
};

static Lists make(uint64_t& st, const std::vector<int>& sizes) {
    Lists l;
    for (auto& list : l.t)
        for (int n : sizes) {
            std::vector<float> v(n);
            for (float& e : v) e = host_random(st, 0.1f, 1.0f);
            list.push_back(v);
        }
    return l;
}

int main() {
    uint64_t st = 5;
    const std::vector<int> sizes = {7, 0, 33, 1};
    const int T = (int) sizes.size();
    std::vector<long long> start(T + 1, 0);
    for (int e = 0; e < T; e++) start[e + 1] = start[e] + sizes[e];
    float scales[4] = {0.5f, 2.0f, -1.0f, 3.0f};
    for (int variant = 0; variant < 3; variant++) {   // 0: one scale, 1: one per entry, 2: a NaN among them
        int nscales = variant == 0 ? 1 : T;
        float sc[4];
        std::memcpy(sc, scales, sizeof sc);
        if (variant == 2) sc[3] = NAN;
        int ok = -1;
        launch1(gate, 1, 1, &ok, (const float*) sc, nscales);
        CHECK(ok == (variant == 2 ? 0 : 1), "gate %d", ok);
        for (int opt = 0; opt < 4; opt++) {
            Lists l = make(st, sizes), before = l;
            std::vector<float*> p[4];
            for (int k = 0; k < 4; k++)
                for (auto& v : l.t[k]) p[k].push_back(v.data());
            float lr = 0.01f, mu = 0.9f, rho = 0.9f, eps = 1.0f, b1 = 0.9f, b2 = 0.999f, d = 0.99f;
            float p1 = 0.9f, p2 = 0.999f, scratch[3];
            switch (opt) {
                case 0:
                    launch1(momentum_list, 2, 5, p[0].data(), p[1].data(), (const float* const*) p[2].data(),
                            (const long long*) start.data(), T, (const float*) sc, nscales, (const int*) &ok, lr, mu, 1);
                    break;
                case 1:
                    launch1(rmsprop_list, 3, 4, p[0].data(), p[1].data(), p[2].data(), (const float* const*) p[3].data(),
                            (const long long*) start.data(), T, (const float*) sc, nscales, (const int*) &ok, lr, rho,
                            1.0f - rho, mu, eps);
                    break;
                case 2:
                    launch1(adam_prepare, 1, 1, scratch, (const float*) &p1, (const float*) &p2, (const int*) &ok, lr, b1, b2);
                    launch1(adam_list, 2, 3, p[0].data(), p[1].data(), p[2].data(), (const float* const*) p[3].data(),
                            (const long long*) start.data(), T, (const float*) sc, nscales, (const int*) &ok,
                            (const float*) scratch, b1, 1.0f - b1, b2, 1.0f - b2, eps);
                    launch1(adam_commit, 1, 1, &p1, &p2, (const float*) scratch, (const int*) &ok);
                    break;
                default:
                    launch1(ema_list, 1, 6, p[0].data(), (const float* const*) p[1].data(), (const long long*) start.data(),
                            T, (const int*) &ok, 1.0f - d);
            }
            float np1 = b1 * 0.9f, np2 = b2 * 0.999f;
            float alpha = (float) (lr * std::sqrt(1 - (double) np2) / (1 - (double) np1));
            for (int e = 0; e < T; e++) {
                float s = sc[nscales == 1 ? 0 : e];
                for (int j = 0; j < sizes[e]; j++) {
                    float th = before.t[0][e][j], a = before.t[1][e][j], b = before.t[2][e][j], g3 = before.t[3][e][j];
                    float w0 = th, w1 = a, w2 = b;
                    if (variant != 2) {
                        if (opt == 0) {   // theta, acc, grad
                            float g = s * b;
                            w1 = mu * a + g;
                            w0 = th - lr * (mu * w1 + g);
                        } else if (opt == 1) {   // theta, ms, mom, grad
                            float g = s * g3;
                            w1 = rho * a + (1.0f - rho) * (g * g);
                            w2 = mu * b + lr * (g / std::sqrt(w1 + eps));
                            w0 = th - w2;
                        } else if (opt == 2) {   // theta, m, v, grad
                            float g = s * g3;
                            w1 = b1 * a + (1.0f - b1) * g;
                            w2 = b2 * b + (1.0f - b2) * (g * g);
                            w0 = th - alpha * (w1 / (std::sqrt(w2) + eps));
                        } else {   // shadow, theta
                            w0 = th - (1.0f - d) * (th - a);
                        }
                    }
                    CHECK(same_bits(l.t[0][e][j], w0) && same_bits(l.t[1][e][j], w1) && same_bits(l.t[2][e][j], w2),
                          "optimizer %d variant %d entry %d element %d: %g %g %g want %g %g %g", opt, variant, e, j,
                          l.t[0][e][j], l.t[1][e][j], l.t[2][e][j], w0, w1, w2);
                }
            }
            if (opt == 2) {
                CHECK(variant == 2 ? (p1 == 0.9f && p2 == 0.999f) : (same_bits(p1, np1) && same_bits(p2, np2)),
                      "adam powers %g %g", p1, p2);
            }
        }
        // axpy, y[1] (empty) and y[3] is x[3]
        {
            Lists l = make(st, sizes), before = l;
            std::vector<float*> y, x;
            for (int e = 0; e < T; e++) {
                y.push_back(l.t[0][e].data());
                x.push_back(e == 3 ? l.t[0][e].data() : l.t[1][e].data());
            }
            launch1(axpy_list, 2, 4, y.data(), (const float* const*) x.data(), (const long long*) start.data(), T, 0.5f);
            for (int e = 0; e < T; e++)
                for (int j = 0; j < sizes[e]; j++) {
                    float xv = e == 3 ? before.t[0][e][j] : before.t[1][e][j];
                    CHECK(same_bits(l.t[0][e][j], before.t[0][e][j] + 0.5f * xv), "axpy %d %d", e, j);
                }
        }
    }

    // label-smoothed cross-entropy, N = 3, K = 7, with and without a prior
    for (int with_prior = 0; with_prior < 2; with_prior++) {
        const int n = 3, k = 7;
        float logits[n * k], prior[k], d[n * k], loss = NAN;
        double rows[n];
        int labels[n] = {0, 6, 3};
        float psum = 0;
        for (float& v : logits) v = host_random(st, -4, 4);
        for (float& v : prior) psum += v = host_random(st, 0.1f, 1);
        for (float& v : prior) v /= psum;
        launch1(xent::softmax_xent, n, 8, rows, d, (const float*) logits, (const int*) labels,
                (const float*) (with_prior ? prior : nullptr), n, k, 0.1f);
        launch1(xent::mean_rows, 1, 1, &loss, (const double*) rows, n);
        double total = 0;
        for (int r = 0; r < n; r++) {
            double m = -INFINITY, s = 0, dot = 0;
            for (int c = 0; c < k; c++) m = std::fmax(m, logits[r * k + c]);
            for (int c = 0; c < k; c++) s += std::exp(logits[r * k + c] - m);
            double lse = m + std::log(s);
            for (int c = 0; c < k; c++) {
                double u = with_prior ? prior[c] : 1.0 / k, q = (c == labels[r] ? 0.9 : 0.0) + 0.1 * u;
                dot += q * logits[r * k + c];
                double want = (std::exp(logits[r * k + c] - lse) - q) / n;
                CHECK(close_to(d[r * k + c], want, 1e-6), "dlogits[%d,%d] %g want %g", r, c, d[r * k + c], want);
            }
            total += lse - dot;
        }
        CHECK(close_to(loss, total / n, 1e-6), "loss %g want %g", loss, total / n);
    }

    // matmul, every transpose, M=19, N=23, K=37
    {
        const int M = 19, N = 23, K = 37;
        std::vector<float> a(M * K), b(K * N), out(M * N);
        for (float& v : a) v = host_random(st, -1, 1);
        for (float& v : b) v = host_random(st, -1, 1);
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                std::fill(out.begin(), out.end(), NAN);
                launch(mm::matmul, (N + 15) / 16, (M + 15) / 16, 16, 16, out.data(), (const float*) a.data(),
                       (const float*) b.data(), M, N, K, ta, tb);
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++) {
                        double want = 0;
                        for (int q = 0; q < K; q++)
                            want += (double) (ta ? a[q * M + i] : a[i * K + q]) * (tb ? b[j * K + q] : b[q * N + j]);
                        CHECK(close_to(out[i * N + j], want, 1e-5), "matmul ta=%d tb=%d [%d,%d] %g want %g", ta, tb, i, j,
                              out[i * N + j], want);
                    }
            }
    }
    return host_finish("update+loss+matmul");
}
