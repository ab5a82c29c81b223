package org.inceptionj.inception.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shards for data-parallel training: rank r's batch b is part r of the unsharded global batch b. */
class DataLoaderShardTest {
    private static final int S = 16;

    @TempDir
    static Path shared;
    static ImageFolder data;   // 3 classes × 7 images

    @BeforeAll
    static void writeData() {
        data = SyntheticData.write(shared.resolve("syn"), 3, 7, 10, 20, 5);
    }

    private static DataLoader.Builder loader(int batch) {
        return DataLoader.builder(data, TrainAugmentation.tfSlim(S, 5), S).batchSize(batch).seed(9).workers(1);
    }

    private static List<DataLoader.Batch> epoch(DataLoader l, int e) {
        List<DataLoader.Batch> out = new ArrayList<>();
        try (DataLoader.Epoch batches = l.epoch(e)) {
            batches.forEach(out::add);
        }
        return out;
    }

    @Test
    void threeRanksSplitEachGlobalBatchDisjointlyAndExactly() {
        int ranks = 3, b = 2; // 21 examples: 3 global batches of 6, 3 left over
        try (DataLoader whole = loader(ranks * b).build()) {
            List<DataLoader.Batch> global = epoch(whole, 1);
            assertEquals(3, global.size());
            Set<Integer> seen = new HashSet<>();
            for (int r = 0; r < ranks; r++) {
                try (DataLoader shard = loader(b).shard(r, ranks).build()) {
                    assertEquals(3, shard.batchesPerEpoch());
                    List<DataLoader.Batch> mine = epoch(shard, 1);
                    for (int k = 0; k < mine.size(); k++) {
                        DataLoader.Batch g = global.get(k), m = mine.get(k);
                        int chw = 3 * S * S;
                        assertArrayEquals(Arrays.copyOfRange(g.indices(), r * b, (r + 1) * b), m.indices(), "rank " + r + " batch " + k);
                        assertArrayEquals(Arrays.copyOfRange(g.labels(), r * b, (r + 1) * b), m.labels());
                        assertArrayEquals(Arrays.copyOfRange(g.images(), r * b * chw, (r + 1) * b * chw), m.images());
                        for (int i : m.indices()) {
                            assertTrue(seen.add(i), "example " + i + " is in two shards");
                        }
                    }
                }
            }
            assertEquals(18, seen.size(), "the shards cover the global batches");
        }
    }

    @Test
    void badShardsAreRefusedNamingTheValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loader(2).shard(3, 3));
        assertTrue(e.getMessage().contains("shard 3 of 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> loader(2).shard(0, 2).dropLast(false).build());
        assertTrue(e.getMessage().contains("needs dropLast"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> loader(8).shard(1, 3).build());
        assertTrue(e.getMessage().contains("fewer than one global batch of 3 x 8"), e.getMessage());
    }
}
