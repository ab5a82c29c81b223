package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13's proof of equivalence: 2 ranks × batch B under {@code mpirun -np 2} (Open MPI through
 * FFM, {@link Trainer} with a collective) end with the same parameters and parameter average after
 * k steps as one process that runs the same two micro-batches per step and averages their gradients
 * (per-micro-batch batch normalization): bit for bit. Tolerance: none. For two ranks MPI's sum is
 * g₀ + g₁ whatever its algorithm (one addition, commutative), and the single process computes the
 * same sum and the same ×½ (see {@link AveragedGradients}); every process uses one CPU thread, so
 * the backend's own sums are in one order. The same batches trained as single batches of 2·B (BN
 * over the whole batch) must differ: the comparison can fail.
 *
 * <p>With three ranks MPI_Allreduce may add in another order than a sum over micro-batches, so the
 * second test uses the rank-order reduction, which makes three ranks bit-identical too.
 *
 * <p>Needs {@code mpirun} (Open MPI 4: {@code apt-get install openmpi-bin libopenmpi-dev}) on the
 * PATH, which CI installs ({@code .ci/run}); skipped, saying so, without it.
 */
class DistributedEquivalenceTest {
    private static final long LIMIT_SECONDS = 240;

    @TempDir
    Path tmp;

    @Test
    void twoRanksOfBatchBEqualOneProcessAveragingTwoMicroBatchesBitForBit() throws Exception {
        Path out = Files.createDirectory(tmp.resolve("two"));
        trainBothWays(2, "mpi", out);
        Map<String, float[]> rank0 = read(out.resolve("rank0.bin")), rank1 = read(out.resolve("rank1.bin"));
        Map<String, float[]> ref = read(out.resolve("reference.bin")), whole = read(out.resolve("whole-batch.bin"));
        assertBitIdentical(rank0, rank1, "rank 1", "rank 0");
        assertBitIdentical(ref, rank0, "rank 0 (2 ranks x batch " + DistributedEquivalence.B + ", MPI_Allreduce)",
                "one process averaging 2 micro-batches");
        assertTrue(Files.isRegularFile(out.resolve("checkpoint.safetensors")), "rank 0 wrote its checkpoint");
        assertEquals(DistributedEquivalence.STEPS, Checkpoint.steps(out.resolve("checkpoint.safetensors")));
        int differing = 0;
        for (var e : ref.entrySet()) {
            differing += Arrays.equals(e.getValue(), whole.get(e.getKey())) ? 0 : 1;
        }
        assertTrue(differing > 0, "one batch of 2B (BN over the whole batch) gave the same parameters as two micro-batches:"
                + " the comparison would not see a difference");
    }

    /**
     * Three ranks, where MPI_Allreduce's order of additions is its own: with the rank-order reduction
     * ({@link org.inceptionj.inception.distributed.OpenMpi.Reduction#RANK_ORDER}) they too equal one
     * process averaging three micro-batches, bit for bit.
     */
    @Test
    void threeRanksSummingInRankOrderEqualOneProcessAveragingThreeMicroBatchesBitForBit() throws Exception {
        Path out = Files.createDirectory(tmp.resolve("three"));
        trainBothWays(3, "rank_order", out);
        Map<String, float[]> ref = read(out.resolve("reference.bin"));
        for (int r = 0; r < 3; r++) {
            assertBitIdentical(ref, read(out.resolve("rank" + r + ".bin")), "rank " + r + " (3 ranks, rank-order sum)",
                    "one process averaging 3 micro-batches");
        }
    }

    /** Trains under mpirun -np {@code ranks}, then the single-process reference with as many micro-batches. */
    private void trainBothWays(int ranks, String reduction, Path out) throws IOException, InterruptedException {
        Path mpirun = onPath("mpirun");
        Assumptions.assumeTrue(mpirun != null, "mpirun is not on the PATH: the distributed equivalence tests need Open MPI"
                + " (apt-get install openmpi-bin libopenmpi-dev); CI installs it");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String main = DistributedEquivalence.class.getName();
        List<String> jvm = List.of(
                // -cp first: for a `java` command, mpirun takes the first argument containing "cp" for the class-path
                // option and prefixes the next argument with the working folder (-Dinceptionj.cpu... would match).
                "-cp", System.getProperty("java.class.path"),
                "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss4m", "-Xmx1g",
                "-Dinceptionj.backend=cpu", "-Dinceptionj.cpu.threads=1");
        List<String> mpi = new ArrayList<>(List.of(mpirun.toString(), "--oversubscribe", "-np", Integer.toString(ranks), java));
        mpi.addAll(jvm);
        mpi.addAll(List.of(main, "ranks", out.toString(), reduction));
        run(mpi, "mpirun -np " + ranks);
        List<String> reference = new ArrayList<>(List.of(java));
        reference.addAll(jvm);
        reference.addAll(List.of(main, "reference", out.toString(), Integer.toString(ranks)));
        run(reference, "the single-process reference");
    }

    private static void assertBitIdentical(Map<String, float[]> expected, Map<String, float[]> actual, String actualName,
                                           String expectedName) {
        assertEquals(expected.keySet(), actual.keySet());
        for (var e : expected.entrySet()) {
            float[] a = e.getValue(), b = actual.get(e.getKey());
            for (int i = 0; i < a.length; i++) {
                if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                    fail(e.getKey() + "[" + i + "] is " + b[i] + " on " + actualName + ", " + a[i] + " in " + expectedName
                            + " (bits " + Integer.toHexString(Float.floatToRawIntBits(b[i])) + " vs "
                            + Integer.toHexString(Float.floatToRawIntBits(a[i])) + ")");
                }
            }
        }
    }

    /** Runs {@code cmd} with a time limit, failing with its output when it fails or overruns. */
    private void run(List<String> cmd, String what) throws IOException, InterruptedException {
        Path log = Files.createTempFile(tmp, "out", ".txt");
        Process p = DistributedEquivalence.mpirunProcess(cmd, log).start();
        if (!p.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail(what + " did not finish within " + LIMIT_SECONDS + " s; output:\n" + tail(log));
        }
        if (p.exitValue() != 0) {
            fail(what + " exited with " + p.exitValue() + "; output:\n" + tail(log));
        }
    }

    private static String tail(Path log) throws IOException {
        String s = Files.readString(log);
        return s.length() <= 4000 ? s : "..." + s.substring(s.length() - 4000);
    }

    private static Map<String, float[]> read(Path file) throws IOException {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            assertEquals(DistributedEquivalence.STEPS, in.readLong(), file + ": steps taken");
            while (in.available() > 0) {
                String name = in.readUTF();
                float[] v = new float[in.readInt()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = Float.intBitsToFloat(in.readInt());
                }
                out.put(name, v);
            }
        }
        return out;
    }

    /** The executable {@code name} in a folder of the PATH, or null. */
    static Path onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
