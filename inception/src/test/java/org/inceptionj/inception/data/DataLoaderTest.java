package org.inceptionj.inception.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.api.Tensor;
import org.inceptionj.inception.image.Preprocessing;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataLoaderTest {
    private static final int S = 16;

    @TempDir
    static Path shared;
    static ImageFolder data;   // 3 classes × 5 images, 10..40 px per side

    @TempDir
    Path tmp;

    @BeforeAll
    static void writeData() {
        data = SyntheticData.write(shared.resolve("syn"), 3, 5, 10, 40, 11);
    }

    private static DataLoader.Builder train(ImageFolder d, int batch) {
        return DataLoader.builder(d, TrainAugmentation.tfSlim(S, 5), S).batchSize(batch).seed(123);
    }

    private static List<DataLoader.Batch> all(DataLoader loader, int epoch) {
        List<DataLoader.Batch> out = new ArrayList<>();
        try (DataLoader.Epoch e = loader.epoch(epoch)) {
            for (DataLoader.Batch b : e) {
                out.add(b);
            }
        }
        return out;
    }

    @Test
    void everyIndexOnceWithMatchingLabelsAndTheTransformsPixels() {
        TrainAugmentation aug = TrainAugmentation.tfSlim(S, 5);
        try (DataLoader loader = DataLoader.builder(data, aug, S).batchSize(4).seed(123).dropLast(false).workers(2).build()) {
            assertEquals(4, loader.batchesPerEpoch());
            List<DataLoader.Batch> batches = all(loader, 2);
            assertEquals(List.of(4, 4, 4, 3), batches.stream().map(DataLoader.Batch::size).toList());
            List<Integer> seen = new ArrayList<>();
            for (DataLoader.Batch b : batches) {
                assertEquals(b.size() * 3 * S * S, b.images().length);
                assertEquals(List.of(b.size(), 3, S, S), Arrays.stream(b.shape().dims()).boxed().toList());
                for (int k = 0; k < b.size(); k++) {
                    int index = b.indices()[k];
                    seen.add(index);
                    assertEquals(data.label(index), b.labels()[k]);
                    float[] expected = aug.apply(data.image(index), 2, index);
                    assertArrayEquals(expected, Arrays.copyOfRange(b.images(), k * 3 * S * S, (k + 1) * 3 * S * S));
                }
            }
            List<Integer> sorted = new ArrayList<>(seen);
            sorted.sort(null);
            assertEquals(java.util.stream.IntStream.range(0, 15).boxed().toList(), sorted);
            assertNotEquals(sorted, seen, "epoch order is shuffled");
        }
    }

    @Test
    void eachEpochHasItsOwnPermutationAndTheSeedFixesIt() {
        try (DataLoader a = train(data, 4).workers(1).build(); DataLoader b = train(data, 4).workers(1).build();
             DataLoader c = train(data, 4).workers(1).seed(124).build()) {
            int[] e0 = a.order(0), e1 = a.order(1);
            assertFalse(Arrays.equals(e0, e1));
            assertArrayEquals(e0, b.order(0));
            assertFalse(Arrays.equals(e0, c.order(0)));
            int[] s = e1.clone();
            Arrays.sort(s);
            assertArrayEquals(java.util.stream.IntStream.range(0, 15).toArray(), s);
        }
        try (DataLoader eval = DataLoader.builder(data, Transform.eval(Preprocessing.TF_INCEPTION, S), S)
                .shuffle(false).dropLast(false).batchSize(6).workers(1).build()) {
            assertArrayEquals(java.util.stream.IntStream.range(0, 15).toArray(), eval.order(7));
            List<DataLoader.Batch> batches = all(eval, 0);
            assertEquals(3, batches.size());
            assertArrayEquals(new int[] {12, 13, 14}, batches.get(2).indices());
            assertArrayEquals(Preprocessing.TF_INCEPTION.apply(data.image(13), S),
                    Arrays.copyOfRange(batches.get(2).images(), 3 * S * S, 6 * S * S));
        }
    }

    @Test
    void batchesAreIdenticalForOneAndThreeWorkers() {
        try (DataLoader one = train(data, 4).workers(1).prefetch(1).build();
             DataLoader three = train(data, 4).workers(3).prefetch(3).build()) {
            for (int epoch = 0; epoch < 2; epoch++) {
                List<DataLoader.Batch> a = all(one, epoch), b = all(three, epoch);
                assertEquals(a.size(), b.size());
                for (int i = 0; i < a.size(); i++) {
                    assertArrayEquals(a.get(i).indices(), b.get(i).indices());
                    assertArrayEquals(a.get(i).labels(), b.get(i).labels());
                    assertArrayEquals(a.get(i).images(), b.get(i).images());
                }
            }
        }
    }

    /** A resumed run starts mid-epoch: the batches from there on are those of the full epoch. */
    @Test
    void anEpochCanStartAtAnyBatch() {
        try (DataLoader loader = train(data, 4).workers(2).build()) {
            List<DataLoader.Batch> full = all(loader, 3);
            List<DataLoader.Batch> tail = new ArrayList<>();
            try (DataLoader.Epoch e = loader.epoch(3, 2)) {
                for (DataLoader.Batch b : e) {
                    tail.add(b);
                }
            }
            assertEquals(full.size() - 2, tail.size());
            for (int i = 0; i < tail.size(); i++) {
                assertEquals(full.get(i + 2).number(), tail.get(i).number());
                assertArrayEquals(full.get(i + 2).indices(), tail.get(i).indices());
                assertArrayEquals(full.get(i + 2).images(), tail.get(i).images());
            }
            assertThrows(IllegalArgumentException.class, () -> loader.epoch(0, loader.batchesPerEpoch() + 1));
            assertThrows(IllegalArgumentException.class, () -> loader.epoch(0, -1));
        }
    }

    @Test
    void dropLastArithmetic() {
        int[][] cases = {{4, 1, 3, 4}, {5, 1, 3, 3}, {15, 1, 1, 1}, {16, 1, 0, 1}, {1, 1, 15, 15}, {7, 1, 2, 3}};
        for (int[] c : cases) {
            try (DataLoader drop = train(data, c[0]).workers(c[1]).build();
                 DataLoader keep = train(data, c[0]).workers(c[1]).dropLast(false).build()) {
                assertEquals(c[2], drop.batchesPerEpoch(), "dropLast, batch " + c[0]);
                assertEquals(c[3], keep.batchesPerEpoch(), "keep last, batch " + c[0]);
                if (c[0] == 7) {
                    List<DataLoader.Batch> d = all(drop, 0), k = all(keep, 0);
                    assertEquals(List.of(7, 7), d.stream().map(DataLoader.Batch::size).toList());
                    assertEquals(List.of(7, 7, 1), k.stream().map(DataLoader.Batch::size).toList());
                    // The kept remainder is the last index of the epoch's permutation.
                    assertEquals(keep.order(0)[14], k.get(2).indices()[0]);
                }
            }
        }
    }

    @Test
    void aCorruptFileFailsNamingItOrIsSkippedAndReported() throws Exception {
        Path root = tmp.resolve("c");
        ImageFolder d = SyntheticData.write(root, 2, 3, 10, 20, 3);
        Path bad = d.path(4);
        Files.writeString(bad, "not a png at all");
        try (DataLoader loader = train(d, 2).dropLast(false).workers(2).build()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> all(loader, 0));
            assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
        }
        List<String> skipped = new ArrayList<>();
        try (DataLoader loader = train(d, 2).dropLast(false).workers(2).skipCorrupt(true, skipped::add).build()) {
            List<DataLoader.Batch> batches = all(loader, 0);
            int total = batches.stream().mapToInt(DataLoader.Batch::size).sum();
            assertEquals(5, total);
            assertEquals(1, skipped.size());
            assertTrue(skipped.get(0).contains(bad.toString()), skipped.get(0));
            assertTrue(batches.stream().allMatch(b -> Arrays.stream(b.indices()).noneMatch(i -> i == 4)));
        }
    }

    private static long liveThreads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(prefix) && t.isAlive()).count();
    }

    @Test
    void closingMidEpochStopsTheThreads() {
        DataLoader loader = train(data, 2).workers(3).prefetch(3).build();
        DataLoader.Epoch e = loader.epoch(0);
        DataLoader.Batch first = e.next();
        assertEquals(2, first.size());
        assertTrue(liveThreads(loader.threadPrefix()) > 0, "workers started");
        loader.close();
        assertTrue(loader.isTerminated());
        assertEquals(0, liveThreads(loader.threadPrefix()));
        assertFalse(e.hasNext());
        assertThrows(java.util.NoSuchElementException.class, e::next);
        assertThrows(IllegalStateException.class, () -> loader.epoch(1));

        // Starting a new epoch abandons the old one without disturbing the new one.
        try (DataLoader l2 = train(data, 4).workers(2).build()) {
            DataLoader.Epoch a = l2.epoch(0);
            a.next();
            List<DataLoader.Batch> b = all(l2, 1);
            assertEquals(3, b.size());
            assertFalse(a.hasNext());
        }
    }

    @Test
    void closingFromAnotherThreadReleasesAConsumerWaitingInNext() throws Exception {
        Transform slow = (image, epoch, index) -> {
            try {
                Thread.sleep(2_000);
            } catch (InterruptedException e) {
                throw new IllegalStateException("interrupted", e);
            }
            return new float[3 * S * S];
        };
        DataLoader loader = DataLoader.builder(data, slow, S).batchSize(4).workers(1).prefetch(1).build();
        DataLoader.Epoch e = loader.epoch(0);
        RuntimeException[] thrown = new RuntimeException[1];
        Thread consumer = new Thread(() -> {
            try {
                e.next();
            } catch (RuntimeException ex) {
                thrown[0] = ex;
            }
        });
        long start = System.nanoTime();
        consumer.start();
        Thread.sleep(100);
        loader.close();
        consumer.join(5_000);
        assertFalse(consumer.isAlive(), "consumer still blocked after close");
        assertTrue(thrown[0] instanceof IllegalStateException && thrown[0].getMessage().contains("closed"),
                String.valueOf(thrown[0]));
        assertTrue(System.nanoTime() - start < 1_900_000_000L, "close waited for the slow decode instead of interrupting it");
        assertTrue(loader.isTerminated());
    }

    @Test
    void aBatchBecomesATensorOfShapeNx3xSxS() {
        try (Backend backend = Backends.load(); DataLoader loader = train(data, 4).workers(1).build()) {
            DataLoader.Batch b = loader.epoch(0).next();
            try (Tensor t = b.toTensor(backend)) {
                assertEquals(b.shape(), t.shape());
                assertArrayEquals(b.images(), t.toArray());
            }
        }
    }
}
