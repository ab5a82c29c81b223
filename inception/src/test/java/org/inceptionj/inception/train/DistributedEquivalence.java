package org.inceptionj.inception.train;

import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.Ops;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.inceptionj.inception.data.DataLoader;
import org.inceptionj.inception.data.Dataset;
import org.inceptionj.inception.data.Transform;
import org.inceptionj.inception.distributed.Collective;
import org.inceptionj.inception.distributed.OpenMpi;

/**
 * The two sides of {@link DistributedEquivalenceTest}, each a process of its own (one CPU thread,
 * so that the backend's sums are in one order):
 *
 * <ul>
 *   <li>{@code ranks OUT REDUCTION}, under {@code mpirun -np N}: each rank builds the model from its own seed
 *       (rank 0's is broadcast: the others' must not matter) and trains {@value #STEPS} steps with
 *       the {@link Trainer} on its shard, batch {@value #B}; each rank writes its parameters to
 *       {@code OUT/rank<r>.bin}, rank 0 also its checkpoint;</li>
 *   <li>{@code reference OUT M}: one process, seed 0, reads the same data as global batches of M·B
 *       (an unsharded loader), splits each into M parts and runs one {@link TrainStep} on the M
 *       micro-batches, whose gradients it averages; it writes {@code OUT/reference.bin}; for M = 2 then the
 *       same batches as single batches of 2·B (BN over the whole batch) into {@code OUT/whole-batch.bin}.</li>
 * </ul>
 * The recipe exercises what must act on the averaged gradient: weight decay, label smoothing,
 * global-norm clipping at a threshold that bites, SGD with Nesterov momentum, and the parameter
 * average (whose shadows are written too).
 */
public final class DistributedEquivalence {
    static final int B = 3;
    static final int STEPS = 3;
    static final int SIZE = 75;
    static final int CLASSES = 3;
    static final int EXAMPLES = 30; // 5 global batches of 2 x 3 per epoch, or 3 of 3 x 3 and 3 left over

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("die")) {
            try (OpenMpi mpi = OpenMpi.start(Duration.ofSeconds(60))) {
                dieOnRankOne(mpi, Path.of(args[1]));
            }
            return;
        }
        if (args.length != 3 || !List.of("ranks", "reference").contains(args[0])) {
            throw new IllegalArgumentException("usage: DistributedEquivalence ranks OUT mpi|rank_order, or reference OUT"
                    + " MICROBATCHES; got " + Arrays.toString(args));
        }
        Path out = Path.of(args[1]);
        if (args[0].equals("ranks")) {
            OpenMpi.Reduction reduction = OpenMpi.Reduction.valueOf(args[2].toUpperCase(java.util.Locale.ROOT));
            try (OpenMpi mpi = OpenMpi.start(Duration.ofSeconds(60), reduction)) {
                ranks(mpi, out);
            }
        } else {
            reference(out, Integer.parseInt(args[2]));
        }
    }

    /**
     * An mpirun command line as the tests start it, its output into {@code log}: mpirun refuses root
     * unless told (CI containers run as root), and shared-memory copies across processes need ptrace
     * rights that containers often lack, so they copy through the buffer instead.
     */
    static ProcessBuilder mpirunProcess(List<String> cmd, Path log) {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMPI_ALLOW_RUN_AS_ROOT", "1");
        pb.environment().put("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
        pb.environment().put("OMPI_MCA_btl_vader_single_copy_mechanism", "none");
        return pb;
    }

    static InceptionV3.Config config() {
        return Presets.named("inception-v3").withNumClasses(CLASSES).withWidthMultiplier(0.0625).withAuxLogits(false)
                .withDropout(0f);
    }

    static TrainConfig recipe() {
        return Recipe.small().config(2).withClipping(GradientClipping.Mode.GLOBAL_NORM, 0.5f).withEmaDecay(0.9f);
    }

    private static void ranks(Collective c, Path out) throws IOException {
        try (Backend backend = Backends.load();
             InceptionV3 net = new InceptionV3(backend, config(), 1000 + c.rank(), InceptionV3.Init.HE);
             Trainer t = Trainer.builder(net, data()).config(recipe()).epochs(2).batchSize(B).imageSize(SIZE)
                     .transforms(VIEW, VIEW).seed(7).workers(1).maxSteps(STEPS).collective(c)
                     .checkpoint(out.resolve("checkpoint.safetensors"), 0).build()) {
            Trainer.Outcome o = t.fit();
            if (o.steps() != STEPS) {
                throw new IllegalStateException("rank " + c.rank() + " took " + o.steps() + " steps, not " + STEPS);
            }
            write(out.resolve("rank" + c.rank() + ".bin"), t.step());
        }
    }

    /**
     * {@code die OUT}: two ranks train with a checkpoint after every step, and rank 1's process ends
     * abruptly (halt, exit code 9, no MPI_Finalize) once 2 steps are done: the job must stop.
     */
    private static void dieOnRankOne(Collective c, Path out) {
        try (Backend backend = Backends.load();
             InceptionV3 net = new InceptionV3(backend, config(), 1000, InceptionV3.Init.HE);
             Trainer t = Trainer.builder(net, data()).config(recipe()).epochs(50).batchSize(B).imageSize(SIZE)
                     .transforms(VIEW, VIEW).seed(7).workers(1).collective(c)
                     .checkpoint(out.resolve("checkpoint.safetensors"), 1).build()) {
            if (c.rank() == 1) {
                Thread.ofPlatform().daemon().start(() -> {
                    while (t.step().steps() < 2) {
                        Thread.onSpinWait();
                    }
                    Runtime.getRuntime().halt(9);
                });
            }
            t.fit();
        }
        throw new IllegalStateException("rank " + c.rank() + " finished 50 epochs: rank 1 never died");
    }

    /** One process, M micro-batches of B per step: what M ranks compute. */
    private static void reference(Path out, int micro) throws IOException {
        int chw = 3 * SIZE * SIZE;
        try (Backend backend = Backends.load();
             InceptionV3 net = new InceptionV3(backend, config(), 1000, InceptionV3.Init.HE);
             DataLoader loader = DataLoader.builder(data(), VIEW, SIZE).batchSize(micro * B).seed(7).workers(1).build();
             TrainStep step = new TrainStep(net, recipe().withExamplesPerEpoch((long) loader.batchesPerEpoch() * micro * B));
             DataLoader.Epoch epoch = loader.epoch(0)) {
            for (int s = 0; s < STEPS; s++) {
                DataLoader.Batch batch = epoch.next();
                List<Tensor> parts = new ArrayList<>();
                List<int[]> labels = new ArrayList<>();
                try {
                    for (int m = 0; m < micro; m++) {
                        parts.add(Ops.fromArray(backend, Shape.of(B, 3, SIZE, SIZE),
                                Arrays.copyOfRange(batch.images(), m * B * chw, (m + 1) * B * chw)));
                        labels.add(Arrays.copyOfRange(batch.labels(), m * B, (m + 1) * B));
                    }
                    step.run(parts, labels);
                } finally {
                    parts.forEach(Tensor::close);
                }
            }
            write(out.resolve("reference.bin"), step);
        }
        if (micro != 2) {
            return;
        }
        // The same global batches as one batch of 2·B (batch statistics over all of it): not the same
        // computation, so its parameters must differ, which shows that the comparison can fail.
        try (Backend backend = Backends.load();
             InceptionV3 net = new InceptionV3(backend, config(), 1000, InceptionV3.Init.HE);
             DataLoader loader = DataLoader.builder(data(), VIEW, SIZE).batchSize(2 * B).seed(7).workers(1).build();
             TrainStep step = new TrainStep(net, recipe().withExamplesPerEpoch((long) loader.batchesPerEpoch() * 2 * B));
             DataLoader.Epoch epoch = loader.epoch(0)) {
            for (int s = 0; s < STEPS; s++) {
                DataLoader.Batch batch = epoch.next();
                try (Tensor x = batch.toTensor(backend)) {
                    step.run(x, batch.labels());
                }
            }
            write(out.resolve("whole-batch.bin"), step);
        }
    }

    /**
     * The trainable parameters, then the parameter average's shadows of them, as raw float bits in
     * order. (Not the BN running statistics: each replica keeps its own, by design.)
     */
    private static void write(Path file, TrainStep step) throws IOException {
        Map<String, Tensor> params = step.model().parameters().trainable(), shadows = step.ema().shadows();
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(file))) {
            o.writeLong(step.steps());
            for (String kind : List.of("", "ema:")) {
                for (String name : params.keySet()) {
                    float[] v = (kind.isEmpty() ? params : shadows).get(name).toArray();
                    o.writeUTF(kind + name);
                    o.writeInt(v.length);
                    for (float f : v) {
                        o.writeInt(Float.floatToRawIntBits(f));
                    }
                }
            }
        }
    }

    /** Example i: a 16×16 RGB image of seeded noise around a colour of its class. */
    static Dataset data() {
        return new Dataset() {
            public String source() {
                return "equivalence test data";
            }

            public int size() {
                return EXAMPLES;
            }

            public List<String> classes() {
                return List.of("a", "b", "c");
            }

            public int label(int i) {
                return i % CLASSES;
            }

            public BufferedImage image(int i) {
                SplittableRandom rng = new SplittableRandom(i);
                BufferedImage im = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
                int base = 60 + 60 * label(i);
                for (int y = 0; y < 16; y++) {
                    for (int x = 0; x < 16; x++) {
                        int g = Math.clamp(base + rng.nextInt(-50, 51), 0, 255);
                        im.setRGB(x, y, g << 16 | (255 - g) << 8 | rng.nextInt(256));
                    }
                }
                return im;
            }

            public String describe(int i) {
                return "noise #" + i;
            }
        };
    }

    /** The image scaled to SIZE×SIZE by nearest neighbour, channels in [−1, 1]. */
    static final Transform VIEW = (img, epoch, index) -> {
        float[] v = new float[3 * SIZE * SIZE];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                int rgb = img.getRGB(x * img.getWidth() / SIZE, y * img.getHeight() / SIZE);
                for (int ch = 0; ch < 3; ch++) {
                    v[(ch * SIZE + y) * SIZE + x] = ((rgb >> (16 - 8 * ch)) & 0xFF) / 127.5f - 1f;
                }
            }
        }
        return v;
    };
}
