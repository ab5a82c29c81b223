package org.inceptionj.inception.distributed;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.Locale;

/**
 * {@link Collective} on Open MPI's C library ({@code libmpi.so.40}, Debian's {@code libopenmpi-dev}),
 * called through the FFM API ({@code java.lang.foreign}); Debian ships no {@code mpi.jar}, and
 * nothing here needs one. The process must have been started by {@code mpirun -np N java ...}: the
 * rank and size come from there.
 *
 * <p>Three facts of Open MPI's ABI, from its {@code mpi.h}:
 * <ul>
 *   <li>a handle is a pointer, and the predefined ones are addresses of global objects of the
 *       library: {@code MPI_COMM_WORLD = &ompi_mpi_comm_world}, {@code MPI_FLOAT = &ompi_mpi_float},
 *       {@code MPI_BYTE = &ompi_mpi_byte}, {@code MPI_SUM = &ompi_mpi_op_sum},
 *       {@code MPI_ERRORS_RETURN = &ompi_mpi_errors_return}; {@code MPI_IN_PLACE} is {@code (void*) 1};</li>
 *   <li>its components (transports, PMIx) are plugins that it {@code dlopen}s and that resolve
 *       libmpi's own symbols: the library must be loaded with {@code RTLD_GLOBAL}, which
 *       {@link System#load} does not do, so it is opened with {@code dlopen} itself;</li>
 *   <li>its default error handler aborts the job: {@code MPI_ERRORS_RETURN} is set on the
 *       communicator instead, and every return code is checked here and turned into an exception
 *       that names the call and {@code MPI_Error_string}'s text.</li>
 * </ul>
 *
 * <p>Two reductions. {@link Reduction#MPI} is {@code MPI_Allreduce}: Open MPI picks its algorithm
 * (and so the order of the additions) by message size and rank count; for two ranks the sum is
 * a + b whatever it picks, for more it may differ from a sum in rank order in the last bits.
 * {@link Reduction#RANK_ORDER} is deterministic for any N: rank 0 gathers each chunk of every rank
 * ({@code MPI_Gather}), sums it in rank order, ((x₀ + x₁) + x₂) + …, and broadcasts it
 * ({@code MPI_Bcast}): the order in which one process sums N micro-batches (see
 * {@code AveragedGradients}), so N ranks reproduce it bit for bit, at the cost of rank 0 receiving
 * and adding everything (N times the traffic of a ring at the root).
 *
 * <p>Bounded waits: a daemon thread watches the {@link #allReduceSum} and {@link #broadcast} calls;
 * one that has waited longer than {@code waitLimit} for the other ranks (one has died, or hangs)
 * prints which call and for how long, and halts this process with exit code 3, after which
 * {@code mpirun} stops the whole job. (mpirun itself stops the job as soon as any rank exits with
 * an error; the watchdog covers a rank that hangs without exiting.) Every MPI call is made from the
 * thread that built this object (MPI_THREAD_SINGLE).
 */
public final class OpenMpi implements Collective {
    /** The soname of Open MPI 4's library (Debian bookworm: Open MPI 4.1). */
    public static final String LIBRARY = "libmpi.so.40";
    private static final int RTLD_NOW = 0x2, RTLD_GLOBAL = 0x100;
    private static final int MPI_SUCCESS = 0, MPI_MAX_STRING = 256;
    /** MPI's element count is a C int: larger buffers go in chunks of this many elements. */
    private static final long MAX_COUNT = 1L << 30;
    private static final MemorySegment MPI_IN_PLACE = MemorySegment.ofAddress(1);
    /** Floats per gathered chunk of {@link Reduction#RANK_ORDER}: rank 0 holds N of them at a time. */
    private static final int ORDERED_CHUNK = 1 << 20;

    /** How {@link #allReduceSum} adds the ranks' buffers (see the class comment). */
    public enum Reduction { MPI, RANK_ORDER }

    private final MemorySegment commWorld, mpiFloat, mpiByte, mpiSum;
    private final MethodHandle allreduce, gather, bcast, barrier, abort, finalize, errorString;
    private final Reduction reduction;
    /** RANK_ORDER on rank 0: where the ranks' chunks are gathered; made on first use. */
    private Arena gatherArena;
    private MemorySegment gathered;
    private final int rank, size;
    private final String version;
    private final Thread owner = Thread.currentThread();
    private final Duration waitLimit;
    /** The call being waited in and since when (System.nanoTime), or null; read by the watchdog. */
    private volatile String waitingIn;
    private volatile long waitingSince;
    private boolean closed;

    private OpenMpi(Duration waitLimit, Reduction reduction) {
        this.waitLimit = waitLimit;
        this.reduction = reduction;
        Linker linker = Linker.nativeLinker();
        SymbolLookup mpi = openGlobal(linker);
        commWorld = symbol(mpi, "ompi_mpi_comm_world");
        mpiFloat = symbol(mpi, "ompi_mpi_float");
        mpiByte = symbol(mpi, "ompi_mpi_byte");
        mpiSum = symbol(mpi, "ompi_mpi_op_sum");
        MemorySegment errorsReturn = symbol(mpi, "ompi_mpi_errors_return");
        MethodHandle initialized = function(linker, mpi, "MPI_Initialized", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        MethodHandle init = function(linker, mpi, "MPI_Init", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        MethodHandle commRank = function(linker, mpi, "MPI_Comm_rank", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        MethodHandle commSize = function(linker, mpi, "MPI_Comm_size", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        MethodHandle setErrhandler = function(linker, mpi, "MPI_Comm_set_errhandler",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        MethodHandle libraryVersion = function(linker, mpi, "MPI_Get_library_version",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        allreduce = function(linker, mpi, "MPI_Allreduce",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        gather = function(linker, mpi, "MPI_Gather",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        bcast = function(linker, mpi, "MPI_Bcast", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        barrier = function(linker, mpi, "MPI_Barrier", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        abort = function(linker, mpi, "MPI_Abort", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        finalize = function(linker, mpi, "MPI_Finalize", FunctionDescriptor.of(JAVA_INT));
        errorString = function(linker, mpi, "MPI_Error_string", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment flag = a.allocate(JAVA_INT);
            check("MPI_Initialized", (int) initialized.invokeExact(flag));
            if (flag.get(JAVA_INT, 0) != 0) {
                throw new IllegalStateException("OpenMpi: MPI is already initialized in this process (one OpenMpi per process)");
            }
            check("MPI_Init", (int) init.invokeExact(MemorySegment.NULL, MemorySegment.NULL));
            check("MPI_Comm_set_errhandler", (int) setErrhandler.invokeExact(commWorld, errorsReturn));
            MemorySegment out = a.allocate(JAVA_INT);
            check("MPI_Comm_rank", (int) commRank.invokeExact(commWorld, out));
            rank = out.get(JAVA_INT, 0);
            check("MPI_Comm_size", (int) commSize.invokeExact(commWorld, out));
            size = out.get(JAVA_INT, 0);
            MemorySegment text = a.allocate(MPI_MAX_STRING);
            check("MPI_Get_library_version", (int) libraryVersion.invokeExact(text, out));
            version = text.getString(0).split("[,\n]")[0].trim(); // "Open MPI v4.1.4"
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("OpenMpi: " + t, t);
        }
        Thread watchdog = Thread.ofPlatform().daemon().name("inceptionj-mpi-watchdog").start(this::watch);
        assert watchdog.isDaemon();
    }

    /**
     * Starts Open MPI in this process (MPI_Init). Fails with a message saying how to start the job
     * when the process was not started by {@code mpirun} (no {@code OMPI_COMM_WORLD_SIZE} in the
     * environment), and what to install when libmpi is missing.
     *
     * @param waitLimit how long an all-reduce or broadcast may wait for the other ranks before this
     *                  process stops (positive)
     */
    public static OpenMpi start(Duration waitLimit) {
        return start(waitLimit, Reduction.MPI);
    }

    /** {@link #start(Duration)} with the given reduction (see the class comment). */
    public static OpenMpi start(Duration waitLimit, Reduction reduction) {
        if (waitLimit == null || waitLimit.isNegative() || waitLimit.isZero() || reduction == null) {
            throw new IllegalArgumentException("OpenMpi: the wait limit must be positive and a reduction given, got "
                    + waitLimit + " and " + reduction);
        }
        String worldSize = System.getenv("OMPI_COMM_WORLD_SIZE");
        if (worldSize == null) {
            throw new IllegalStateException("distributed training with Open MPI needs the processes to be started by mpirun"
                    + " (OMPI_COMM_WORLD_SIZE is not set: this process was started directly): run, for N processes,"
                    + " mpirun -np N java -jar inceptionj.jar train --distributed mpi ...");
        }
        return new OpenMpi(waitLimit, reduction);
    }

    /** Whether this process was started by Open MPI's mpirun (it set OMPI_COMM_WORLD_SIZE). */
    public static boolean startedByMpirun() {
        return System.getenv("OMPI_COMM_WORLD_SIZE") != null;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public String describe() {
        return version + ", rank " + rank + " of " + size
                + (reduction == Reduction.RANK_ORDER ? ", sums in rank order" : "");
    }

    @Override
    public void allReduceSum(MemorySegment floats) {
        if (floats == null || floats.byteSize() % Float.BYTES != 0) {
            throw new IllegalArgumentException("allReduceSum: " + (floats == null ? "null buffer"
                    : floats.byteSize() + " bytes is not a whole number of floats"));
        }
        long n = floats.byteSize() / Float.BYTES;
        if (reduction == Reduction.RANK_ORDER && size > 1) {
            allReduceInRankOrder(floats, n);
            return;
        }
        for (long from = 0; from < n; from += MAX_COUNT) {
            int count = (int) Math.min(MAX_COUNT, n - from);
            MemorySegment part = floats.asSlice(from * Float.BYTES, (long) count * Float.BYTES);
            call("MPI_Allreduce of " + n + " floats", () -> (int) allreduce.invokeExact(MPI_IN_PLACE, part, count, mpiFloat,
                    mpiSum, commWorld));
        }
    }

    /** RANK_ORDER: per chunk, gather at rank 0, add in rank order there, broadcast the sum. */
    private void allReduceInRankOrder(MemorySegment floats, long n) {
        if (rank == 0 && gathered == null) {
            gatherArena = Arena.ofShared();
            gathered = gatherArena.allocate((long) size * ORDERED_CHUNK * Float.BYTES, 64);
        }
        MemorySegment receive = rank == 0 ? gathered : MemorySegment.NULL;
        for (long from = 0; from < n; from += ORDERED_CHUNK) {
            int count = (int) Math.min(ORDERED_CHUNK, n - from);
            MemorySegment part = floats.asSlice(from * Float.BYTES, (long) count * Float.BYTES);
            call("MPI_Gather of " + count + " floats to rank 0", () -> (int) gather.invokeExact(part, count, mpiFloat, receive,
                    count, mpiFloat, 0, commWorld));
            if (rank == 0) {
                // gathered = [x₀ | x₁ | … | x_{N−1}], count floats each: part[i] = ((x₀[i] + x₁[i]) + x₂[i]) + …
                for (int i = 0; i < count; i++) {
                    float sum = gathered.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    for (int r = 1; r < size; r++) {
                        sum += gathered.getAtIndex(ValueLayout.JAVA_FLOAT, (long) r * count + i);
                    }
                    part.setAtIndex(ValueLayout.JAVA_FLOAT, i, sum);
                }
            }
            call("MPI_Bcast of " + count + " summed floats from rank 0",
                    () -> (int) bcast.invokeExact(part, count, mpiFloat, 0, commWorld));
        }
    }

    @Override
    public void broadcast(MemorySegment bytes, int root) {
        if (bytes == null || root < 0 || root >= size) {
            throw new IllegalArgumentException("broadcast: " + (bytes == null ? "null buffer"
                    : "root " + root + " is not a rank (0.." + (size - 1) + ")"));
        }
        long n = bytes.byteSize();
        for (long from = 0; from < n; from += MAX_COUNT) {
            int count = (int) Math.min(MAX_COUNT, n - from);
            MemorySegment part = bytes.asSlice(from, count);
            call("MPI_Bcast of " + n + " bytes from rank " + root,
                    () -> (int) bcast.invokeExact(part, count, mpiByte, root, commWorld));
        }
    }

    @Override
    public void barrier() {
        checkThread("MPI_Barrier");
        try {
            check("MPI_Barrier", (int) barrier.invokeExact(commWorld));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("MPI_Barrier: " + t, t);
        }
    }

    @Override
    public void abort(int code) {
        System.err.flush();
        System.out.flush();
        try {
            int rc = (int) abort.invokeExact(commWorld, code);
            assert rc == MPI_SUCCESS;
        } catch (Throwable t) {
            // MPI_Abort does not return; if it failed, halting this rank still ends the job through mpirun.
        }
        Runtime.getRuntime().halt(code);
    }

    /** MPI_Finalize: every rank must call it after its last collective call. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (gatherArena != null) {
            gatherArena.close();
        }
        try {
            check("MPI_Finalize", (int) finalize.invokeExact());
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("MPI_Finalize: " + t, t);
        }
    }

    @FunctionalInterface
    private interface MpiCall {
        int invoke() throws Throwable;
    }

    /** Runs one watched MPI call and checks its return code. */
    private void call(String what, MpiCall c) {
        checkThread(what);
        waitingSince = System.nanoTime();
        waitingIn = what;
        try {
            check(what, c.invoke());
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(what + ": " + t, t);
        } finally {
            waitingIn = null;
        }
    }

    private void checkThread(String what) {
        if (closed) {
            throw new IllegalStateException(what + ": Open MPI was finalized on rank " + rank);
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException(what + ": called from thread " + Thread.currentThread().getName()
                    + ", but MPI was started (MPI_THREAD_SINGLE) on " + owner.getName());
        }
    }

    /** The watchdog's loop: halts the process when a watched call has waited past the limit. */
    private void watch() {
        long limit = waitLimit.toNanos();
        while (true) {
            try {
                Thread.sleep(Math.max(10, Math.min(1000, waitLimit.toMillis() / 10)));
            } catch (InterruptedException e) {
                return;
            }
            String in = waitingIn;
            long waited = System.nanoTime() - waitingSince;
            if (in != null && waited > limit) {
                System.err.printf(Locale.ROOT, "%nrank %d: %s has waited %.0f s for the other ranks, more than the limit of"
                        + " %d s: a rank has died or hangs; stopping this rank (the last checkpoint written is intact)%n",
                        rank, in, waited / 1e9, waitLimit.toSeconds());
                System.err.flush();
                Runtime.getRuntime().halt(3);
            }
        }
    }

    private void check(String what, int rc) {
        if (rc == MPI_SUCCESS) {
            return;
        }
        String text = "error " + rc;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(MPI_MAX_STRING), len = a.allocate(JAVA_INT);
            if ((int) errorString.invokeExact(rc, s, len) == MPI_SUCCESS) {
                text = "error " + rc + ": " + s.getString(0);
            }
        } catch (Throwable ignored) {
            // the code alone names the error
        }
        throw new IllegalStateException(what + " failed on rank " + rank + " (" + text + ")");
    }

    /** libmpi opened with RTLD_NOW | RTLD_GLOBAL (see the class comment), as a lookup of its symbols. */
    private static SymbolLookup openGlobal(Linker linker) {
        MethodHandle dlopen = linker.downcallHandle(linker.defaultLookup().find("dlopen").orElseThrow(
                () -> new IllegalStateException("OpenMpi: the C library has no dlopen")), FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        MemorySegment handle;
        try (Arena a = Arena.ofConfined()) {
            handle = (MemorySegment) dlopen.invokeExact(a.allocateFrom(LIBRARY), RTLD_NOW | RTLD_GLOBAL);
        } catch (Throwable t) {
            throw new IllegalStateException("OpenMpi: dlopen(" + LIBRARY + "): " + t, t);
        }
        if (handle.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("OpenMpi: cannot load " + LIBRARY + " (Open MPI 4): install it, on Debian or"
                    + " Ubuntu with apt-get install openmpi-bin libopenmpi-dev, and start the job with mpirun -np N ...");
        }
        // The library is now loaded globally; this lookup finds the same loaded copy (dlopen counts references).
        return SymbolLookup.libraryLookup(LIBRARY, Arena.global());
    }

    private static MemorySegment symbol(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new IllegalStateException("OpenMpi: " + LIBRARY + " has no symbol " + name
                + " (is it Open MPI? MPICH and others name their handles differently)"));
    }

    private static MethodHandle function(Linker linker, SymbolLookup lookup, String name, FunctionDescriptor d) {
        return linker.downcallHandle(symbol(lookup, name), d);
    }
}
