package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.inception.InceptionV3;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rank that dies: under {@code mpirun -np 2}, rank 1's process halts after step 2; the job must
 * end (not hang) within a bounded time, with an error naming the dead process, and rank 0's last
 * checkpoint must load. Needs mpirun, as {@link DistributedEquivalenceTest}; skipped without it.
 */
class DistributedFailureTest {
    /** The bound: mpirun notices a dead process at once; 60 s leaves room for a loaded machine's JVM starts. */
    private static final long LIMIT_SECONDS = 120;

    @TempDir
    Path tmp;

    @Test
    void aRankThatDiesStopsTheJobAndLeavesTheLastCheckpointWhole() throws Exception {
        Path mpirun = DistributedEquivalenceTest.onPath("mpirun");
        Assumptions.assumeTrue(mpirun != null, "mpirun is not on the PATH: the distributed failure test needs Open MPI"
                + " (apt-get install openmpi-bin libopenmpi-dev); CI installs it");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(mpirun.toString(), "--oversubscribe", "-np", "2", java,
                "-cp", System.getProperty("java.class.path"), "--add-modules=jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Xss4m", "-Xmx1g", "-Dinceptionj.backend=cpu",
                "-Dinceptionj.cpu.threads=1", DistributedEquivalence.class.getName(), "die", tmp.toString()));
        Path log = tmp.resolve("out.txt");
        Process p = DistributedEquivalence.mpirunProcess(cmd, log).start();
        if (!p.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail("the job did not stop within " + LIMIT_SECONDS + " s after rank 1 died; output:\n" + Files.readString(log));
        }
        String out = Files.readString(log);
        assertNotEquals(0, p.exitValue(), out);
        assertTrue(out.contains("Exit code:    9") || out.contains("exited on signal"), "mpirun names the dead process:\n" + out);
        assertTrue(!out.contains("never died"), out);
        Path ckpt = tmp.resolve("checkpoint.safetensors");
        long steps = Checkpoint.steps(ckpt);
        assertTrue(steps >= 2, "the checkpoint holds step " + steps);
        try (Backend backend = Backends.load();
             InceptionV3 net = new InceptionV3(backend, DistributedEquivalence.config(), 1, InceptionV3.Init.HE);
             TrainStep step = new TrainStep(net, Checkpoint.trainConfig(ckpt))) {
            Checkpoint.load(step, ckpt); // verifies its checksum: the file is whole
            assertTrue(step.steps() >= 2);
        }
    }
}
