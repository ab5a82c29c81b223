package org.inceptionj.inception.fuzz;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.io.ModelCard;
import org.inceptionj.inception.io.SafeTensors;
import org.inceptionj.inception.io.WeightsLoader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weights files, malformed every way {@link SafeTensorsMutations} knows plus the faults of weights:
 * class counts and widths a model card or {@code fc.weight} may claim, and NaN or infinities written
 * with a correct checksum (so the loader's own check is what must catch them). Each case goes down
 * the path {@code predict} takes: read, model card, {@link WeightsLoader#fitHeads}, build, strict load.
 */
class SafeTensorsFuzzTest {
    /** The smallest width: 160 thousand parameters, so building and loading a case takes milliseconds. */
    static final InceptionV3.Config TINY = new InceptionV3.Config(10, false, true, 0.5f).withWidthMultiplier(0.01);

    static Backend backend;
    static SafeTensorsBytes base;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws IOException {
        backend = Backends.load("cpu");
        Path f = dir.resolve("base.safetensors");
        try (InceptionV3 m = new InceptionV3(backend, TINY, 1)) {
            List<String> classes = new ArrayList<>();
            for (int k = 0; k < 10; k++) {
                classes.add("class " + k);
            }
            WeightsLoader.save(m, f, new ModelCard(TINY, classes, 75, "resize", false));
        }
        base = SafeTensorsBytes.of(Files.readAllBytes(f));
        predictPath(f); // the unmutated file loads
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    /** What {@code predict --weights f} does with the file before it sees an image. */
    static void predictPath(Path f) {
        SafeTensors st = SafeTensors.read(f);
        ModelCard card = ModelCard.read(st, f);
        InceptionV3.Config config = WeightsLoader.fitHeads(card != null ? card.config() : TINY, st);
        try (InceptionV3 net = new InceptionV3(backend, config, 0)) {
            WeightsLoader.load(net, st, true);
        }
    }

    static final List<String> CATEGORIES = new ArrayList<>(SafeTensorsMutations.CATEGORIES);

    static {
        CATEGORIES.add("class counts and widths");
        CATEGORIES.add("NaN or infinity in data");
    }

    @Test
    void everyMalformedWeightsFileIsRefusedNamingIt() {
        new FuzzHarness("safetensors weights", 10_000).run(FuzzHarness.cases(), (index, random) -> {
            String category = CATEGORIES.get(index % CATEGORIES.size());
            SafeTensorsMutations.Mutant m = switch (category) {
                case "class counts and widths" -> classCounts(random);
                case "NaN or infinity in data" -> nonFinite(base, random);
                default -> SafeTensorsMutations.make(category, base, random);
            };
            Path f = dir.resolve("case-" + index + ".safetensors");
            Files.write(f, m.bytes());
            return new FuzzHarness.Case(f, category, m.mayBeValid());
        }, f -> {
            try {
                predictPath(f);
            } finally {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }).assertNoUnexpected();
    }

    private static final String[][] CARD_LIES = {
            {"model.numClasses", "1000000"}, {"model.numClasses", "100001"}, {"model.numClasses", "0"},
            {"model.numClasses", "-1"}, {"model.numClasses", "2147483648"}, {"model.numClasses", "11"},
            {"model.widthMultiplier", "4.0"}, {"model.widthMultiplier", "1.0"}, {"model.widthMultiplier", "0.5"},
            {"model.widthMultiplier", "NaN"}, {"model.widthMultiplier", "1.0E10"}, {"model.widthMultiplier", "0.0"},
            {"model.widthMultiplier", "-0.5"}, {"model.firstStride", "1000000"}, {"model.firstStride", "9"},
            {"model.firstStride", "0"}, {"inceptionj.input_size", "1000000000"}, {"inceptionj.input_size", "0"},
            {"inceptionj.input_size", "4096"}, {"inceptionj.input_size", "-75"}, {"inceptionj.input_size", "75x"},
            {"model.dropout", "1.0"}, {"model.auxBatchNorm", "true"}};

    /** A model card or an {@code fc.weight} claiming a model far larger than the file, or outside the limits. */
    static SafeTensorsMutations.Mutant classCounts(Random r) {
        if (r.nextInt(4) == 0) {
            // A header-only file whose fc.weight [K, 0] holds no bytes at all.
            long k = new long[] {1_000_000, 100_001, Integer.MAX_VALUE, 0}[r.nextInt(4)];
            String h = "{\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[" + k + ",0],\"data_offsets\":[0,0]}}";
            return SafeTensorsMutations.Mutant.bad(new SafeTensorsBytes(h, new byte[0]).bytes());
        }
        String[] lie = CARD_LIES[r.nextInt(CARD_LIES.length)];
        return SafeTensorsMutations.Mutant.bad(base.withMetadata(lie[0], lie[1]).bytes());
    }

    /** One value of one tensor replaced by NaN or an infinity, the checksum recomputed to match. */
    static SafeTensorsMutations.Mutant nonFinite(SafeTensorsBytes file, Random r) {
        byte[] d = file.data().clone();
        int at = 4 * r.nextInt(d.length / 4);
        float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x7f800001),
                Float.intBitsToFloat(0xffc12345)};
        ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN).putFloat(at, bad[r.nextInt(bad.length)]);
        return SafeTensorsMutations.Mutant.bad(file.withData(d).withChecksum().bytes());
    }
}
