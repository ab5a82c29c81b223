package org.inceptionj.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.management.ObjectName;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.cpu.CpuBackend;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.train.TrainConfig;
import org.inceptionj.inception.train.TrainStep;

/**
 * The memory a training step of the paper's recipe needs (Inception-v3 with the aux head, 299×299),
 * per batch size: what a user sizes {@code -Xmx} and a machine by. Not a JMH benchmark: it measures
 * bytes, not time, and one step is enough once the caches are warm.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -XX:NativeMemoryTracking=summary -Xmx20g \
 *        -cp benchmarks/target/benchmarks.jar org.inceptionj.bench.MemoryFootprint [BATCH ...] [--steps N] [--size S]
 * </pre>
 *
 * Per batch: the model and optimizer state (live tensors before the first step), the most bytes live
 * tensors held at once during a step (what the step needs), the peak Java heap during a step (the heap
 * pools' peak usage, reset before the step: the live tensors plus garbage not yet collected), the heap in use after a full
 * collection once the step is over (what stays: tensors and the CPU backend's array cache), the
 * process's peak resident size, and the committed memory outside the Java heap from Native Memory
 * Tracking (metaspace, code cache, thread stacks, GC structures; the CPU backend keeps every tensor on
 * the heap). Without {@code -XX:NativeMemoryTracking=summary} that column says so.
 */
public final class MemoryFootprint {
    private MemoryFootprint() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> batches = new ArrayList<>();
        int steps = 3, size = 299;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--steps" -> steps = positive("--steps", value(args, ++i), 1000);
                case "--size" -> size = positive("--size", value(args, ++i), 2048);
                default -> batches.add(positive("batch", args[i], 4096));
            }
        }
        if (size < 75) {
            throw new IllegalArgumentException("MemoryFootprint: --size must be at least 75 (Inception-v3's smallest"
                    + " input), got " + size);
        }
        if (batches.isEmpty()) {
            batches = List.of(8, 32);
        }
        boolean aux = size >= 299;   // the aux head's 5×5 convolution needs the 17×17 grid of a 299 input
        System.out.printf("Training step memory, Inception-v3 %dx%d%s, paper recipe, %d step(s) per batch; -Xmx %s%n",
                size, size, aux ? " with aux head" : "", steps, mib(Runtime.getRuntime().maxMemory()));
        System.out.println("| batch | model + optimizer state | peak of live tensors in a step | peak heap in a step "
                + "(with uncollected garbage) | heap kept after a step | peak resident (process) "
                + "| committed outside the heap (NMT) |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (int batch : batches) {
            System.out.println(measure(batch, steps, size, aux));
        }
    }

    private static String measure(int batch, int steps, int size, boolean aux) throws Exception {
        try (CpuBackend backend = Bench.backend("vector", "all");
             InceptionV3 model = new InceptionV3(backend, InceptionV3.Config.torchvision().withAuxLogits(aux), 42);
             Tensor x = Ops.fromArray(backend, Shape.of(batch, 3, size, size),
                     Bench.uniform(1, batch * 3 * size * size, -1f, 1f));
             TrainStep step = new TrainStep(model, TrainConfig.paper())) {
            int[] labels = new int[batch];
            for (int i = 0; i < batch; i++) {
                labels[i] = (i * 397) % 1000;
            }
            long state = backend.liveBytes() - x.size() * 4L;
            long peak = 0, tensors = 0;
            for (int k = 0; k < steps; k++) {
                System.gc();
                ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
                backend.resetPeakLiveBytes();
                double loss = step.run(x, labels).totalLoss();
                if (!Double.isFinite(loss)) {
                    throw new IllegalStateException("MemoryFootprint: batch " + batch + " step " + k + " loss " + loss);
                }
                peak = Math.max(peak, heapPeak());
                tensors = Math.max(tensors, backend.peakLiveBytes());
            }
            System.gc();
            long kept = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            return String.format("| %d | %s | %s | %s | %s (array cache %s) | %s | %s |", batch, mib(state),
                    mib(tensors), mib(peak), mib(kept), mib(backend.cachedBytes()), residentPeak(), offHeap());
        }
    }

    /** Sum of the heap pools' peaks: an upper bound of the heap in use at any one moment. */
    private static long heapPeak() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) {
                sum += p.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    /** VmHWM of /proc/self/status: the most resident memory the process has had (Linux). */
    private static String residentPeak() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return mib(Long.parseLong(line.replaceAll("\\D", "")) * 1024);
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        return "n/a (no /proc)";
    }

    /** NMT's committed total minus the Java heap's committed memory, via the vmNativeMemory command. */
    private static String offHeap() {
        try {
            String text = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                    new Object[] {new String[] {"summary", "scale=KB"}}, new String[] {String[].class.getName()});
            long total = committedKb(text, "Total:"), heap = committedKb(text, "Java Heap (");
            if (total < 0 || heap < 0) {
                return "n/a (start with -XX:NativeMemoryTracking=summary)";
            }
            return mib((total - heap) * 1024);
        } catch (Exception e) {
            return "n/a (" + e.getMessage() + ")";
        }
    }

    private static long committedKb(String text, String section) {
        int at = text.indexOf(section);
        if (at < 0) {
            return -1;
        }
        Matcher m = Pattern.compile("committed=(\\d+)KB").matcher(text);
        return m.find(at) ? Long.parseLong(m.group(1)) : -1;
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException("MemoryFootprint: " + args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static int positive(String what, String s, int max) {
        int v;
        try {
            v = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("MemoryFootprint: " + what + " must be an integer, got '" + s + "'");
        }
        if (v < 1 || v > max) {
            throw new IllegalArgumentException("MemoryFootprint: " + what + " must be in [1, " + max + "], got " + v);
        }
        return v;
    }

    private static String mib(long bytes) {
        return String.format("%,.0f MiB", bytes / (1024.0 * 1024));
    }
}
