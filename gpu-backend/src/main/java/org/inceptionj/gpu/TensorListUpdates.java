package org.inceptionj.gpu;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import jcuda.Pointer;

import org.inceptionj.api.Tensor;

/**
 * The {@code cuda} backend's optimizer primitives (sum of squares, axpy, momentum, RMSProp, Adam,
 * EMA): each call is one launch over every tensor of its lists ({@code update.cu}, {@code reduce.cu}),
 * which find their tensors through a <b>pointer table</b> in device memory: for each list its T
 * device pointers, then the T + 1 element offsets. A training step passes the same lists every step,
 * so a table is uploaded once per content and then found in a map (no synchronizing copy). The scale
 * gate (nothing written when a scale is NaN or ±∞) is computed on the device by {@code gate} into a
 * 4-byte block that the update kernels read.
 *
 * <p><b>Never run</b> on a GPU; the kernels ran on the CPU ({@code KernelHostEmulationTest}).
 */
final class TensorListUpdates {
    private final CudaBackend be;
    private final CachingAllocator memory;
    private final Map<TableKey, Long> tables = new HashMap<>();
    private static final int THREADS = 256;   // sum_squares_list: a power of two, as block_sum needs

    TensorListUpdates(CudaBackend be, CachingAllocator memory) {
        this.be = be;
        this.memory = memory;
    }

    /** The contents of a pointer table, as a map key (the same lists every step: uploaded once). */
    private record TableKey(long[] words) {
        @Override
        public boolean equals(Object o) {
            return o instanceof TableKey k && Arrays.equals(words, k.words);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(words);
        }
    }

    /**
     * A device table: for each list its T device pointers, then the T + 1 element offsets
     * start[e] = Σ_{i<e} size(list0[i]). Returns its address; list l's pointers are at
     * address + 8·T·l, the offsets after the last list.
     */
    private long table(Tensor[]... lists) {
        int t = lists[0].length;
        long[] words = new long[lists.length * t + t + 1];
        for (int l = 0; l < lists.length; l++) {
            for (int e = 0; e < t; e++) {
                words[l * t + e] = lists[l][e].size() == 0 ? 0 : ptr(lists[l][e]);
            }
        }
        long at = 0;
        for (int e = 0; e < t; e++) {
            words[lists.length * t + e] = at;
            at += lists[0][e].size();
        }
        words[lists.length * t + t] = at;
        return tableOf(words);
    }

    private static long elements(Tensor[] xs) {
        long n = 0;
        for (Tensor x : xs) {
            n += x.size();
        }
        return n;
    }

    void sumOfSquares(Tensor out, Tensor[] xs) {
        int t = xs.length;
        long[] words = new long[2 * t];
        for (int e = 0; e < t; e++) {
            words[e] = xs[e].size() == 0 ? 0 : ptr(xs[e]);
            words[t + e] = xs[e].size();
        }
        long table = tableOf(words);
        be.launch(PtxModules.REDUCE, "sum_squares_list", t, THREADS, THREADS * 8,
                new KernelArgs().ptr(ptr(out)).ptr(table).ptr(table + 8L * t));
    }

    /**
     * The words on the device, uploaded once per content: an optimizer is called with the same lists
     * every step, so after the first step this is a map lookup and no synchronizing copy. A table
     * whose tensors were closed is never looked up again unless their blocks come back at the same
     * addresses with the same sizes, and then its contents are right again.
     */
    private long tableOf(long[] words) {
        TableKey key = new TableKey(words);
        Long cached = tables.get(key);
        if (cached != null) {
            return cached;
        }
        if (tables.size() >= 256) {
            tables.values().forEach(memory::free);
            tables.clear();
        }
        long dev = memory.alloc(8L * words.length);
        CudaDriver.copyToDevice(dev, Pointer.to(words), 8L * words.length, be.stream(), "pointer table");
        tables.put(key, dev);
        return dev;
    }

    void axpy(Tensor[] y, float alpha, Tensor[] x) {
        int t = y.length;
        long table = table(y, x);
        be.launch(PtxModules.UPDATE, "axpy_list", elements(y), new KernelArgs().ptr(table).ptr(table + 8L * t)
                .ptr(table + 16L * t).i32(t).f32(alpha));
    }

    /** ok[0] = every element of scale finite, in a 4-byte block the caller frees after its launches. */
    private long gate(Tensor scale) {
        long ok = memory.alloc(4);
        be.launch(PtxModules.UPDATE, "gate", 1, 1, 0, new KernelArgs().ptr(ok).ptr(ptr(scale)).i32(scale.size()));
        return ok;
    }

    void momentumUpdate(Tensor[] theta, Tensor[] acc, Tensor[] grad, Tensor scale, float lr, float mu,
                               boolean nesterov) {
        int t = theta.length;
        long table = table(theta, acc, grad), ok = gate(scale);
        try {
            be.launch(PtxModules.UPDATE, "momentum_list", elements(theta), new KernelArgs().ptr(table).ptr(table + 8L * t)
                    .ptr(table + 16L * t).ptr(table + 24L * t).i32(t).ptr(ptr(scale)).i32(scale.size()).ptr(ok).f32(lr)
                    .f32(mu).i32(nesterov ? 1 : 0));
        } finally {
            memory.free(ok);
        }
    }

    void rmsPropUpdate(Tensor[] theta, Tensor[] ms, Tensor[] mom, Tensor[] grad, Tensor scale, float lr,
                              float rho, float mu, float eps) {
        int t = theta.length;
        long table = table(theta, ms, mom, grad), ok = gate(scale);
        try {
            be.launch(PtxModules.UPDATE, "rmsprop_list", elements(theta), new KernelArgs().ptr(table).ptr(table + 8L * t)
                    .ptr(table + 16L * t).ptr(table + 24L * t).ptr(table + 32L * t).i32(t).ptr(ptr(scale))
                    .i32(scale.size()).ptr(ok).f32(lr).f32(rho).f32(1f - rho).f32(mu).f32(eps));
        } finally {
            memory.free(ok);
        }
    }

    void adamUpdate(Tensor[] theta, Tensor[] m, Tensor[] v, Tensor[] grad, Tensor beta1Power, Tensor beta2Power,
                           Tensor scale, float lr, float beta1, float beta2, float eps) {
        int t = theta.length;
        long table = table(theta, m, v, grad), ok = gate(scale), scratch = memory.alloc(12);
        try {
            be.launch(PtxModules.UPDATE, "adam_prepare", 1, 1, 0, new KernelArgs().ptr(scratch).ptr(ptr(beta1Power))
                    .ptr(ptr(beta2Power)).ptr(ok).f32(lr).f32(beta1).f32(beta2));
            be.launch(PtxModules.UPDATE, "adam_list", elements(theta), new KernelArgs().ptr(table).ptr(table + 8L * t)
                    .ptr(table + 16L * t).ptr(table + 24L * t).ptr(table + 32L * t).i32(t).ptr(ptr(scale))
                    .i32(scale.size()).ptr(ok).ptr(scratch).f32(beta1).f32(1f - beta1).f32(beta2).f32(1f - beta2)
                    .f32(eps));
            be.launch(PtxModules.UPDATE, "adam_commit", 1, 1, 0, new KernelArgs().ptr(ptr(beta1Power))
                    .ptr(ptr(beta2Power)).ptr(scratch).ptr(ok));
        } finally {
            memory.free(scratch);
            memory.free(ok);
        }
    }

    void emaUpdate(Tensor[] shadow, Tensor[] theta, Tensor gate, float decay) {
        int t = shadow.length;
        long table = table(shadow, theta), ok = gate(gate);
        try {
            be.launch(PtxModules.UPDATE, "ema_list", elements(shadow), new KernelArgs().ptr(table).ptr(table + 8L * t)
                    .ptr(table + 16L * t).i32(t).ptr(ok).f32(1f - decay));
        } finally {
            memory.free(ok);
        }
    }

    private static long ptr(Tensor t) {
        return CudaBackend.ptr(t);
    }

    /** Forgets the tables (their blocks go with the allocator). */
    void clear() {
        tables.clear();
    }
}
