package org.inceptionj.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.inceptionj.api.Backends;
import org.inceptionj.api.Conv2dSpec;
import org.inceptionj.api.Ops;
import org.inceptionj.api.RandomStream;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the conformance kit does not check and a GPU backend must get right: device memory (out of
 * memory reported and recovered from, zero fill of reused blocks, nothing left after close, no growth
 * over repeated steps), the context on another thread, the cuDNN minimum epsilon, determinism of the
 * cuDNN backward algorithms on an Inception shape. Skipped, with the reason, without a GPU.
 *
 * <p><b>Never run</b>: written without a GPU.
 */
@Tag("gpu")
@ExtendWith(CudaAvailable.class)
class CudaBackendTest {
    private static final long GIB = 1L << 30;

    @Test
    void isWhatTheProviderReturns() {
        try (var b = Backends.load("cuda")) {
            assertTrue(b instanceof CudaBackend, b.getClass().getName());
            assertTrue(b.describe().contains("cuDNN") && b.describe().contains("GPU 0"), b.describe());
        }
    }

    @Test
    void outOfMemoryNamesTheRequestAndTheBackendRecovers() {
        try (CudaBackend be = new CudaBackend()) {
            try (Tensor warm = Ops.fromArray(be, Shape.of(1), new float[] {1}); Tensor w2 = Ops.affine(warm, 1f, 0f)) {
                w2.toArray();   // loads the kernel module now: with the device full, cuModuleLoadData would fail
            }
            long total = CudaRuntime.get().device.totalMemory();
            List<Tensor> hog = new ArrayList<>();
            DeviceOutOfMemoryException oom = null;
            int floats = 1 << 29;   // 2 GiB a tensor
            for (long i = 0; i <= total / (2 * GIB) + 2 && oom == null; i++) {
                try {
                    hog.add(be.empty(Shape.of(floats)));
                } catch (DeviceOutOfMemoryException e) {
                    oom = e;
                }
            }
            assertTrue(oom != null, "allocated " + hog.size() + " × 2 GiB on a " + (total >> 20) + " MiB device");
            assertEquals(4L * floats, oom.requestedBytes());
            assertTrue(oom.getMessage().contains(Long.toString(4L * floats)) && oom.getMessage().contains("in use"),
                    oom.getMessage());
            assertEquals(hog.size() * 4L * floats, be.liveBytes(), "the failed allocation is not counted");
            hog.forEach(Tensor::close);
            assertEquals(0, be.liveBytes());
            // usable again: a big allocation (the cache gives back what it holds) and an op with a result
            try (Tensor big = be.empty(Shape.of(floats)); Tensor x = Ops.fromArray(be, Shape.of(3), new float[] {1, 2, 3});
                 Tensor y = Ops.affine(x, 2f, 1f)) {
                assertArrayEquals(new float[] {3, 5, 7}, y.toArray());
                assertEquals(4L * floats + 24, be.liveBytes());
            }
        }
    }

    @Test
    void allocateZeroFillsAReusedBlock() {
        try (CudaBackend be = new CudaBackend()) {
            Shape s = Shape.of(1000);
            Tensor t = be.empty(s);
            be.fill(t, 7f);
            t.close();
            try (Tensor z = be.allocate(s)) {
                long reused = be.allocatorStats().cacheHits();
                assertEquals(1, reused, "the block came from the cache");
                for (float v : z.toArray()) {
                    assertEquals(0f, v);
                }
            }
        }
    }

    @Test
    void closeGivesEveryBlockBackToTheDevice() {
        long before = CudaDriver.memInfo()[0];
        CudaBackend be = new CudaBackend();
        Tensor a = be.allocate(Shape.of(1 << 28));   // 1 GiB, left open on purpose
        Tensor b = be.empty(Shape.of(1 << 20));
        b.close();                                   // cached
        be.synchronize();
        assertTrue(CudaDriver.memInfo()[0] < before - GIB / 2, "the GiB is on the device");
        be.close();
        long after = CudaDriver.memInfo()[0];
        assertTrue(Math.abs(after - before) < 64L << 20, "free before " + before + ", after close " + after);
        a.close();   // after the backend: counted off, nothing freed twice
        assertEquals(0, be.liveBytes());
    }

    @Test
    void repeatedStepsDoNotGrowDeviceMemory() {
        try (CudaBackend be = new CudaBackend()) {
            Conv2dSpec spec = Conv2dSpec.of(1, 0, 3);   // Mixed_6b's 1×7
            long[] held = new long[20];
            for (int step = 0; step < held.length; step++) {
                try (TensorScope s = TensorScope.open()) {
                    Tensor x = Ops.uniform(be, Shape.of(8, 128, 17, 17), step, -1f, 1f);
                    Tensor w = Ops.uniform(be, Shape.of(128, 128, 1, 7), 100 + step, -0.1f, 0.1f);
                    Tensor y = Ops.conv2d(x, w, null, spec);
                    Ops.conv2dBackwardData(y, w, x.shape(), spec);
                    Ops.conv2dBackwardWeight(y, x, w.shape(), spec);
                    Ops.sum(y).item();
                }
                held[step] = be.allocatorStats().deviceBytes();
            }
            assertEquals(held[2], held[held.length - 1], "device bytes after step 3 and after step 20");
            assertEquals(0, be.liveBytes());
        }
    }

    @Test
    void opsRunOnAnotherThread() throws InterruptedException {
        try (CudaBackend be = new CudaBackend(); Tensor x = Ops.fromArray(be, Shape.of(2), new float[] {-1, 4})) {
            AtomicReference<Object> result = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try (Tensor y = Ops.relu(x)) {
                    result.set(y.toArray());
                } catch (Throwable e) {
                    result.set(e);
                }
            });
            t.start();
            t.join();
            assertTrue(result.get() instanceof float[], String.valueOf(result.get()));
            assertArrayEquals(new float[] {0, 4}, (float[]) result.get());
        }
    }

    @Test
    void batchNormEpsilonBelowCudnnsMinimumIsAClearError() {
        try (CudaBackend be = new CudaBackend(); TensorScope s = TensorScope.open()) {
            Tensor x = Ops.uniform(be, Shape.of(2, 3, 4, 4), 1, -1f, 1f);
            Tensor gamma = Ops.full(be, Shape.of(3), 1f), beta = Ops.full(be, Shape.of(3), 0f);
            Tensor runMean = Ops.full(be, Shape.of(3), 0f), runVar = Ops.full(be, Shape.of(3), 1f);
            Tensor out = be.empty(x.shape()), m = be.empty(Shape.of(3)), v = be.empty(Shape.of(3));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> be.batchNormTraining(out, m, v, x, gamma, beta, runMean, runVar, 1e-6f, 0.1f));
            assertTrue(e.getMessage().contains("CUDNN_BN_MIN_EPSILON") && e.getMessage().contains("[2,3,4,4]"),
                    e.getMessage());
        }
    }

    @Test
    void cudnnBackwardIsDeterministicOnAnInceptionShape() {
        try (CudaBackend be = new CudaBackend(); TensorScope s = TensorScope.open()) {
            Conv2dSpec spec = Conv2dSpec.of(2, 0);   // Mixed_6a.branch3x3: 288 → 384, 3×3/2
            Tensor x = Ops.uniform(be, Shape.of(16, 288, 35, 35), 3, -1f, 1f);
            Tensor w = Ops.uniform(be, Shape.of(384, 288, 3, 3), 4, -0.05f, 0.05f);
            Tensor dy = Ops.uniform(be, Shape.of(16, 384, 17, 17), 5, -1f, 1f);
            float[] dw1 = Ops.conv2dBackwardWeight(dy, x, w.shape(), spec).toArray();
            float[] dw2 = Ops.conv2dBackwardWeight(dy, x, w.shape(), spec).toArray();
            float[] dx1 = Ops.conv2dBackwardData(dy, w, x.shape(), spec).toArray();
            float[] dx2 = Ops.conv2dBackwardData(dy, w, x.shape(), spec).toArray();
            assertArrayEquals(dw1, dw2, "backward filter, same bits twice");
            assertArrayEquals(dx1, dx2, "backward data, same bits twice");
        }
    }

    @Test
    void fillRandomIsTheApisStream() {
        try (CudaBackend be = new CudaBackend(); Tensor t = be.empty(Shape.of(1001))) {
            be.fillRandom(t, RandomStream.Distribution.NORMAL, 42, 0.5f, 2f);
            float[] v = t.toArray();
            for (int i = 0; i < v.length; i++) {
                assertEquals(RandomStream.sample(RandomStream.Distribution.NORMAL, 42, i, 0.5f, 2f), v[i]);
            }
        }
    }
}
