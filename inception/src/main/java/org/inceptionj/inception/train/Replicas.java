package org.inceptionj.inception.train;

import java.awt.image.BufferedImage;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.inceptionj.api.RandomStream;
import org.inceptionj.api.Tensor;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.data.Dataset;
import org.inceptionj.inception.distributed.Collective;

/**
 * What keeps N replicas one run: at the start they check that they agree on the options and the
 * data ({@link #checkAgreement}) and take rank 0's whole state ({@link #broadcastState}); during it
 * they stop at the same step ({@link #anyRank}). Used by {@link Trainer}; every rank calls each
 * method at the same point.
 */
final class Replicas {
    private Replicas() {
    }

    /**
     * Compares this rank's {@code facts} (name → value: the options, the data's fingerprint) with
     * rank 0's, which it broadcasts. When any rank differs, every rank throws: a rank that differs
     * names each fact, its value there and on rank 0; rank 0 says how many ranks differ.
     */
    static void checkAgreement(Collective c, Map<String, String> facts) {
        StringBuilder sb = new StringBuilder();
        facts.forEach((k, v) -> sb.append(k).append('\u0000').append(v).append('\u0000'));
        byte[] mine = sb.toString().getBytes(StandardCharsets.UTF_8);
        byte[] root;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment length = a.allocate(ValueLayout.JAVA_LONG);
            length.set(ValueLayout.JAVA_LONG, 0, mine.length);
            c.broadcast(length, 0);
            MemorySegment text = a.allocate(Math.max(1, length.get(ValueLayout.JAVA_LONG, 0)));
            if (c.rank() == 0) {
                MemorySegment.copy(mine, 0, text, ValueLayout.JAVA_BYTE, 0, mine.length);
            }
            c.broadcast(text, 0);
            root = text.asSlice(0, length.get(ValueLayout.JAVA_LONG, 0)).toArray(ValueLayout.JAVA_BYTE);
        }
        Map<String, String> rootFacts = new LinkedHashMap<>();
        String[] parts = new String(root, StandardCharsets.UTF_8).split("\u0000", -1);
        for (int i = 0; i + 1 < parts.length; i += 2) {
            rootFacts.put(parts[i], parts[i + 1]);
        }
        List<String> differences = new ArrayList<>();
        facts.forEach((k, v) -> {
            String there = rootFacts.get(k);
            if (!v.equals(there)) {
                differences.add(k + " is " + abbreviate(v) + " here, " + (there == null ? "not given" : abbreviate(there))
                        + " on rank 0");
            }
        });
        rootFacts.keySet().stream().filter(k -> !facts.containsKey(k)).forEach(k -> differences.add(k + " is not given here, "
                + abbreviate(rootFacts.get(k)) + " on rank 0"));
        int disagreeing = count(c, !differences.isEmpty());
        if (disagreeing > 0) {
            throw new IllegalArgumentException(differences.isEmpty()
                    ? "distributed: " + disagreeing + " of " + c.size() + " ranks disagree with rank " + c.rank()
                            + " on the options or the data (each of them names what differs); all ranks stop"
                    : "distributed: rank " + c.rank() + " disagrees with rank 0: " + String.join("; ", differences)
                            + "; all ranks stop");
        }
    }

    /**
     * Copies rank 0's state to every rank: every parameter and running statistic of the model, the
     * optimizer's slots, the parameter average's shadows, and the step counters; rank r &gt; 0 draws
     * its dropout masks from rank 0's stream mixed with r. A new run so
     * starts from rank 0's initialization, a resumed one from the checkpoint rank 0 read.
     */
    static void broadcastState(Collective c, TrainStep step) {
        List<Tensor> tensors = new ArrayList<>(step.model().parameters().asMap().values());
        tensors.addAll(step.optimizer().slots().values());
        if (step.ema() != null) {
            tensors.addAll(step.ema().shadows().values());
        }
        int largest = tensors.stream().mapToInt(Tensor::size).max().orElse(1);
        float[] host = new float[largest];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buffer = a.allocate((long) largest * Float.BYTES, 64);
            for (Tensor t : tensors) {
                int n = t.size();
                MemorySegment part = buffer.asSlice(0, (long) n * Float.BYTES);
                if (c.rank() == 0) {
                    t.backend().read(t, host, 0);
                    MemorySegment.copy(host, 0, part, ValueLayout.JAVA_FLOAT, 0, n);
                }
                c.broadcast(part, 0);
                if (c.rank() != 0) {
                    MemorySegment.copy(part, ValueLayout.JAVA_FLOAT, 0, host, 0, n);
                    t.backend().write(t, host, 0);
                }
            }
            InceptionV3 model = step.model();
            MemorySegment counters = a.allocate(ValueLayout.JAVA_LONG, 4);
            counters.setAtIndex(ValueLayout.JAVA_LONG, 0, step.steps());
            counters.setAtIndex(ValueLayout.JAVA_LONG, 1, step.examplesSeen());
            counters.setAtIndex(ValueLayout.JAVA_LONG, 2, model.dropoutSeedBase());
            counters.setAtIndex(ValueLayout.JAVA_LONG, 3, model.dropoutStep());
            c.broadcast(counters, 0);
            step.restoreCounters(counters.getAtIndex(ValueLayout.JAVA_LONG, 0), counters.getAtIndex(ValueLayout.JAVA_LONG, 1));
            // Dropout: each replica its own masks (as the paper's replicas), all derived from rank 0's stream, which
            // its checkpoint keeps: a resumed run draws the same masks on every rank again.
            long base = counters.getAtIndex(ValueLayout.JAVA_LONG, 2);
            model.restoreDropoutStream(c.rank() == 0 ? base : RandomStream.mix(base, c.rank()),
                    counters.getAtIndex(ValueLayout.JAVA_LONG, 3));
        }
    }

    /** Whether {@code flag} holds on any rank (one small all-reduce): how all ranks stop at the same step. */
    static boolean anyRank(Collective c, boolean flag) {
        return count(c, flag) > 0;
    }

    /** The number of ranks on which {@code flag} holds. */
    private static int count(Collective c, boolean flag) {
        if (c.size() == 1) {
            return flag ? 1 : 0;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocate(ValueLayout.JAVA_FLOAT);
            one.set(ValueLayout.JAVA_FLOAT, 0, flag ? 1f : 0f);
            c.allReduceSum(one);
            return Math.round(one.get(ValueLayout.JAVA_FLOAT, 0));
        }
    }

    /**
     * A fingerprint of {@code d} that ranks compare without reading all of it: SHA-256 of its size,
     * its classes, every label, and the pixels of 8 examples spread over it. Paths are left out
     * (each machine may keep the data elsewhere).
     */
    static String fingerprint(Dataset d) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        int n = d.size();
        sha.update(ByteBuffer.allocate(4).putInt(n).array());
        sha.update(String.join("\u0000", d.classes()).getBytes(StandardCharsets.UTF_8));
        ByteBuffer labels = ByteBuffer.allocate(4 * n);
        for (int i = 0; i < n; i++) {
            labels.putInt(d.label(i));
        }
        sha.update(labels.array());
        for (int k = 0; k < Math.min(8, n); k++) {
            BufferedImage im = d.image((int) ((long) k * n / Math.min(8, n)));
            int[] rgb = im.getRGB(0, 0, im.getWidth(), im.getHeight(), null, 0, im.getWidth());
            ByteBuffer pixels = ByteBuffer.allocate(8 + 4 * rgb.length).putInt(im.getWidth()).putInt(im.getHeight());
            pixels.asIntBuffer().put(rgb);
            sha.update(pixels.array());
        }
        return n + " examples, sha256 " + HexFormat.of().formatHex(sha.digest(), 0, 8);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
