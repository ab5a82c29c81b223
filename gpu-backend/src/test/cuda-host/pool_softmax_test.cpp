// pool.cu and softmax.cu on the CPU: forward against direct loops and the gather backward against the
// obvious scatter (each dy to its window's first maximum, or spread over the window), for Inception's
// geometries and odd ones (padding, stride 3, dilation 2, both divisors), with ties; softmax and
// log-softmax along a middle axis, forward and backward, against double formulas.
#include "pool.cu"
namespace sm {
#include "softmax.cu"
}

struct Geo {
    int h, w, kh, kw, sh, sw, pt, pl, dh, dw, include;
};

static int out_size(int in, int k, int s, int p, int d) {
    return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

int main() {
    uint64_t st = 11;
    const Geo geos[] = {
            {9, 9, 3, 3, 2, 2, 0, 0, 1, 1, 1},   // maxpool 3/2
            {7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1},   // avg 3/1 pad 1, padding counted
            {7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 0},   // ... not counted
            {17, 17, 5, 5, 3, 3, 0, 0, 1, 1, 1}, // aux 5/3
            {8, 10, 3, 2, 3, 2, 1, 1, 2, 1, 0},  // stride 3, dilation 2, pad 1, rectangular
            {5, 6, 2, 3, 1, 2, 1, 1, 1, 1, 1},
    };
    const int nc = 3;
    for (const Geo& g : geos) {
        int oh = out_size(g.h, g.kh, g.sh, g.pt, g.dh), ow = out_size(g.w, g.kw, g.sw, g.pl, g.dw);
        Pool p{nc, g.h, g.w, oh, ow, g.kh, g.kw, g.sh, g.sw, g.pt, g.pl, g.pt, g.pl, g.dh, g.dw, g.include};
        std::vector<float> x(nc * g.h * g.w), dy(nc * oh * ow);
        for (float& v : x) v = (float) (int) host_random(st, 0, 4);   // small integers: ties
        for (float& v : dy) v = host_random(st, -1, 1);
        for (int is_max = 0; is_max < 2; is_max++) {
            std::vector<float> y(dy.size(), NAN), dx(x.size(), NAN), want_y(dy.size()), want_dx(x.size(), 0.0f);
            launch1(pool_forward, 3, 7, y.data(), (const float*) x.data(), p, is_max);
            launch1(pool_backward, 2, 9, dx.data(), (const float*) dy.data(), (const float*) x.data(), p, is_max);
            for (int c = 0; c < nc; c++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        float best = -INFINITY, sum = 0;
                        int win = -1, rows = 0, cols = 0;
                        for (int a = 0; a < g.kh; a++) {
                            int ih = i * g.sh - g.pt + a * g.dh;
                            rows += g.include ? (ih >= -g.pt && ih < g.h + g.pt) : (ih >= 0 && ih < g.h);
                        }
                        for (int b = 0; b < g.kw; b++) {
                            int iw = j * g.sw - g.pl + b * g.dw;
                            cols += g.include ? (iw >= -g.pl && iw < g.w + g.pl) : (iw >= 0 && iw < g.w);
                        }
                        for (int a = 0; a < g.kh; a++)
                            for (int b = 0; b < g.kw; b++) {
                                int ih = i * g.sh - g.pt + a * g.dh, iw = j * g.sw - g.pl + b * g.dw;
                                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                                float v = x[(c * g.h + ih) * g.w + iw];
                                sum += v;
                                if (win < 0 || v > best) {
                                    best = v;
                                    win = ih * g.w + iw;
                                }
                            }
                        float d = (float) rows * (float) cols, gy = dy[(c * oh + i) * ow + j];
                        want_y[(c * oh + i) * ow + j] = is_max ? best : sum / d;
                        if (is_max) {
                            if (win >= 0) want_dx[c * g.h * g.w + win] += gy;
                        } else {
                            for (int a = 0; a < g.kh; a++)
                                for (int b = 0; b < g.kw; b++) {
                                    int ih = i * g.sh - g.pt + a * g.dh, iw = j * g.sw - g.pl + b * g.dw;
                                    if (ih >= 0 && ih < g.h && iw >= 0 && iw < g.w)
                                        want_dx[(c * g.h + ih) * g.w + iw] += gy / d;
                                }
                        }
                    }
            for (size_t k = 0; k < y.size(); k++)
                CHECK(close_to(y[k], want_y[k], 1e-6), "pool %s %dx%d/%d y[%zu] %g want %g", is_max ? "max" : "avg", g.kh,
                      g.kw, g.sh, k, y[k], want_y[k]);
            for (size_t k = 0; k < dx.size(); k++)
                CHECK(close_to(dx[k], want_dx[k], 1e-5), "pool %s backward %dx%d/%d dx[%zu] %g want %g",
                      is_max ? "max" : "avg", g.kh, g.kw, g.sh, k, dx[k], want_dx[k]);
        }
    }

    // softmax along axis 1 of [2,5,3]
    {
        const int outer = 2, n = 5, inner = 3;
        float x[30], dy[30], y[30], dx[30];
        for (float& v : x) v = host_random(st, -5, 5);
        for (float& v : dy) v = host_random(st, -1, 1);
        for (int lg = 0; lg < 2; lg++) {
            launch1(sm::softmax_forward, 2, 2, y, (const float*) x, (long long) (outer * inner), n, (long long) inner, lg);
            launch1(sm::softmax_backward, 1, 4, dx, (const float*) dy, (const float*) y, (long long) (outer * inner), n,
                    (long long) inner, lg);
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++) {
                    double m = -INFINITY, s = 0, dot = 0, sdy = 0;
                    for (int k = 0; k < n; k++) m = std::fmax(m, x[(o * n + k) * inner + i]);
                    for (int k = 0; k < n; k++) s += std::exp(x[(o * n + k) * inner + i] - m);
                    for (int k = 0; k < n; k++) {
                        int at = (o * n + k) * inner + i;
                        double p = std::exp(x[at] - m) / s;
                        double want = lg ? x[at] - m - std::log(s) : p;
                        CHECK(close_to(y[at], want, 1e-6), "softmax log=%d y[%d] %g want %g", lg, at, y[at], want);
                        dot += dy[at] * p;
                        sdy += dy[at];
                    }
                    for (int k = 0; k < n; k++) {
                        int at = (o * n + k) * inner + i;
                        double p = std::exp(x[at] - m) / s;
                        double want = lg ? dy[at] - p * sdy : p * (dy[at] - dot);
                        CHECK(close_to(dx[at], want, 1e-5), "softmax backward log=%d dx[%d] %g want %g", lg, at, dx[at],
                              want);
                    }
                }
        }
    }
    return host_finish("pool+softmax");
}
