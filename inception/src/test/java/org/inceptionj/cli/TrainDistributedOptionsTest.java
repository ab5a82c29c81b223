package org.inceptionj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.inceptionj.inception.distributed.OpenMpi;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@code train --distributed}'s bad input, refused before anything is read or written, naming the value. */
class TrainDistributedOptionsTest {

    @Test
    void mpiWithoutMpirunSaysHowToStartIt() {
        Assumptions.assumeFalse(OpenMpi.startedByMpirun(), "this test JVM was itself started by mpirun");
        CliRun r = CliRun.of("train", "--distributed", "mpi", "--max-steps", "1");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--distributed mpi: this process was not started by Open MPI's mpirun"), r.err());
        assertTrue(r.err().contains("mpirun -np N java -jar inceptionj.jar train --distributed mpi"), r.err());
        assertTrue(r.err().contains("apt-get install openmpi-bin libopenmpi-dev"), r.err());
    }

    @Test
    void unknownEnginesRulesAndTimeoutsAreNamed() {
        CliRun engine = CliRun.of("train", "--distributed", "nccl");
        assertEquals(2, engine.code());
        assertTrue(engine.err().contains("--distributed nccl is not one of: none, mpi"), engine.err());
        CliRun rule = CliRun.of("train", "--lr-scaling", "sqrt");
        assertTrue(rule.err().contains("--lr-scaling sqrt is not one of: linear, none"), rule.err());
        CliRun timeout = CliRun.of("train", "--distributed-timeout", "0");
        assertTrue(timeout.err().contains("--distributed-timeout 0 must be >= 1"), timeout.err());
    }
}
