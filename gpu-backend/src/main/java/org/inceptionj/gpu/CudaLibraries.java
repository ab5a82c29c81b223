package org.inceptionj.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.inceptionj.api.BackendUnavailableException;

/**
 * Finds and loads the native libraries of the cuDNN backend, in an order that works on real hosts
 * with cuDNN 8 or 9 and never loads a stale or foreign copy:
 * <ol>
 *   <li><b>cuDNN</b> ({@link #loadCudnn()}): {@code libcudnn.so.9} (else {@code .so.8}) is looked for in
 *       the directory named by {@code -D}{@value #CUDNN_PATH_PROPERTY}{@code =DIR} or
 *       {@value #CUDNN_PATH_ENV}{@code =DIR} (if one is set, only there), else in LD_LIBRARY_PATH, the
 *       system library directories, {@code /usr/local/cuda*}{@code /lib64}, and finally in the
 *       {@code site-packages/nvidia/cudnn/lib} folders of Python (pip's {@code nvidia-cudnn-cu12/13}):
 *       the active virtualenv or conda prefix, the folders {@code python3 -c} reports, and the
 *       usual install prefixes. The library is {@code System.load}ed by its absolute path, so its
 *       SONAME satisfies JCudnn's dependency without LD_LIBRARY_PATH.</li>
 *   <li><b>JCudnn</b>: its native library is copied from this jar ({@code lib/}) to a directory private
 *       to this JVM (created owner-only under {@code java.io.tmpdir}, deleted on exit), patched for
 *       cuDNN 9 ({@link JCudnnPatch}), loaded, and JCudnn's class initialized ({@link Cudnn}).</li>
 *   <li><b>Driver</b> ({@link #loadDriver()}): JCudaDriver's native library, copied the same way; it
 *       needs {@code libcuda.so.1}, which only the NVIDIA driver installs.</li>
 * </ol>
 *
 * <p>Why a private directory: JCuda's own loader ({@code jcuda.LibUtils}) copies its libraries to
 * {@code java.io.tmpdir} only if no file of that name is there yet, so it reuses whatever an earlier
 * run (another version, another user, an unpatched copy) left behind. Its class initializers still
 * call that loader; while they run, {@code java.io.tmpdir} names the private directory, so the
 * loader finds the copy already loaded (a no-op). The property is restored at once; this class
 * holds its lock meanwhile.
 *
 * <p>Every failure is a {@link BackendUnavailableException} naming what is missing (driver, cuDNN)
 * and what to install or set. Loading is idempotent; a success is remembered.
 *
 * <p>Run so far: on Linux x86-64 without a GPU or driver, with the cuDNN 9.24 pip wheel
 * (nvidia-cudnn-cu13): cuDNN and the patched JCudnn load, and the driver fails with its message.
 * Never run with a driver or GPU present.
 */
public final class CudaLibraries {
    /** System property naming the directory of libcudnn.so.9 (or .so.8). */
    public static final String CUDNN_PATH_PROPERTY = "inceptionj.cudnn.path";
    /** Environment variable naming the directory of libcudnn.so.9 (or .so.8). */
    public static final String CUDNN_PATH_ENV = "INCEPTIONJ_CUDNN_PATH";

    /** The JCuda version whose natives this jar carries (every org.jcuda artifact is at it). */
    static final String JCUDA_VERSION = "11.7.0";
    static final String JCUDNN_LIB = "libJCudnn-" + JCUDA_VERSION + "-linux-x86_64.so";
    static final String JCUDA_DRIVER_LIB = "libJCudaDriver-" + JCUDA_VERSION + "-linux-x86_64.so";

    private static final String[] CUDNN_NAMES = {"libcudnn.so.9", "libcudnn.so.8"};
    private static final System.Logger LOG = System.getLogger("org.inceptionj.gpu");

    /** Where cuDNN was found and how. {@code major} comes from the file name (9 for libcudnn.so.9). */
    record CudnnLocation(Path library, int major, String how) {
    }

    /** A loaded cuDNN: its file, version as cuDNN reports it, and what was done to JCudnn. */
    public record CudnnInfo(Path library, int major, int minor, int patch, String how, Path jcudnn,
                            JCudnnPatch.Outcome patch9) {
        public String version() {
            return major + "." + minor + "." + patch;
        }
    }

    private static Path nativeDir;
    private static CudnnInfo cudnn;
    private static boolean driverLoaded;

    private CudaLibraries() {
    }

    // ------------------------------------------------------------------ cuDNN

    /** Finds, loads and checks cuDNN and JCudnn (see the class comment). Idempotent. */
    public static synchronized CudnnInfo loadCudnn() {
        if (cudnn != null) {
            return cudnn;
        }
        checkPlatform();
        CudnnLocation loc = locateCudnn();
        Path lib = loc.library().toAbsolutePath();
        try {
            System.load(lib.toString());
        } catch (UnsatisfiedLinkError e) {
            throw new BackendUnavailableException("cuDNN was found at " + lib + " (" + loc.how() + ") but does not load: "
                    + e.getMessage() + ". Use a cuDNN 8 or 9 build for CUDA 11-13 on x86-64, complete with the"
                    + " libcudnn_*.so libraries next to it", e);
        }
        Path jcudnn = extract(JCUDNN_LIB);
        JCudnnPatch.Outcome outcome = null;
        if (loc.major() == 9) {
            try {
                outcome = JCudnnPatch.forCudnn9(jcudnn).outcome();
            } catch (IOException | IllegalStateException e) {
                throw new BackendUnavailableException("cannot adapt JCudnn " + JCUDA_VERSION + " to cuDNN 9: "
                        + e.getMessage(), e);
            }
        }
        try {
            System.load(jcudnn.toString());
            whileJCudaLoaderLooksIn(nativeDir(), Cudnn::initializeBinding);
        } catch (UnsatisfiedLinkError e) {
            throw new BackendUnavailableException("JCudnn " + JCUDA_VERSION + " does not load next to " + lib + ": "
                    + e.getMessage(), e);
        }
        int major = Cudnn.majorVersion();
        if (major != loc.major()) {
            throw new BackendUnavailableException("cuDNN at " + lib + " reports major version " + major
                    + " but its file name says " + loc.major() + "; name the right directory with -D"
                    + CUDNN_PATH_PROPERTY + "=DIR");
        }
        cudnn = new CudnnInfo(lib, major, Cudnn.minorVersion(), Cudnn.patchLevel(), loc.how(), jcudnn, outcome);
        LOG.log(System.Logger.Level.INFO, "cuDNN {0} loaded from {1} ({2}); JCudnn {3}{4}", cudnn.version(), lib,
                loc.how(), JCUDA_VERSION, outcome == null ? "" : " patched for cuDNN 9 (" + outcome + ")");
        return cudnn;
    }

    /** Where cuDNN is, by the order in the class comment; throws naming every place looked at. */
    static CudnnLocation locateCudnn() {
        return locateCudnn(System.getProperty(CUDNN_PATH_PROPERTY), System.getenv(CUDNN_PATH_ENV),
                System.getenv("LD_LIBRARY_PATH"), CudaLibraries::pythonSitePackages);
    }

    /** The search with its inputs explicit (for tests): property, environment, LD_LIBRARY_PATH, Python. */
    static CudnnLocation locateCudnn(String property, String env, String ldLibraryPath,
                                     java.util.function.Supplier<List<Path>> python) {
        String explicit = null;
        String source = null;
        if (property != null && !property.isBlank()) {
            explicit = property.trim();
            source = "-D" + CUDNN_PATH_PROPERTY;
        } else if (env != null && !env.isBlank()) {
            explicit = env.trim();
            source = CUDNN_PATH_ENV;
        }
        if (explicit != null) {
            Path p = Path.of(explicit);
            String from = source;
            Optional<CudnnLocation> f = Files.isRegularFile(p) ? fileAsCudnn(p, from) : findIn(List.of(p), from);
            return f.orElseThrow(() -> new BackendUnavailableException(from + "=" + p + " names no cuDNN: it holds"
                    + " neither libcudnn.so.9 nor libcudnn.so.8. Point it at the directory that does (for pip's"
                    + " nvidia-cudnn-cu12/13 wheel: .../site-packages/nvidia/cudnn/lib)"));
        }
        List<Path> searched = new ArrayList<>(libraryDirs(ldLibraryPath));
        Optional<CudnnLocation> f = findIn(searched, "system search");
        if (f.isPresent()) {
            return f.get();
        }
        List<Path> py = new ArrayList<>();
        for (Path sp : python.get()) {
            py.add(sp.resolve("nvidia/cudnn/lib"));
        }
        searched.addAll(py);
        f = findIn(py, "Python site-packages");
        return f.orElseThrow(() -> new BackendUnavailableException("cuDNN was not found: no libcudnn.so.9 or"
                + " libcudnn.so.8 in " + searched + ". Install cuDNN 9 (NVIDIA's packages, or pip install"
                + " nvidia-cudnn-cu12) or name its directory with -D" + CUDNN_PATH_PROPERTY + "=DIR or "
                + CUDNN_PATH_ENV + "=DIR"));
    }

    /** LD_LIBRARY_PATH, the system library directories, then every {@code /usr/local/cuda*}{@code /lib64}, newest name first. */
    static List<Path> libraryDirs(String ldLibraryPath) {
        Set<Path> d = new LinkedHashSet<>();
        if (ldLibraryPath != null) {
            for (String p : ldLibraryPath.split(":")) {
                if (!p.isBlank()) {
                    d.add(Path.of(p));
                }
            }
        }
        for (String s : new String[] {"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib",
                "/usr/local/lib", "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib"}) {
            d.add(Path.of(s));
        }
        d.addAll(globDirs(Path.of("/usr/local"), "cuda-*", "lib64"));
        d.add(Path.of("/usr/lib/wsl/lib"));
        return List.copyOf(d);
    }

    /** The first directory holding libcudnn.so.9 or libcudnn.so.8 (9 preferred within a directory). */
    static Optional<CudnnLocation> findIn(List<Path> dirs, String how) {
        for (Path dir : dirs) {
            for (String name : CUDNN_NAMES) {
                Path p = dir.resolve(name);
                if (Files.exists(p)) {
                    return Optional.of(new CudnnLocation(p, name.endsWith(".9") ? 9 : 8, how + ": " + dir));
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<CudnnLocation> fileAsCudnn(Path file, String how) {
        String n = file.getFileName().toString();
        if (n.startsWith("libcudnn.so.9")) {
            return Optional.of(new CudnnLocation(file, 9, how + ": " + file));
        }
        if (n.startsWith("libcudnn.so.8")) {
            return Optional.of(new CudnnLocation(file, 8, how + ": " + file));
        }
        return findIn(List.of(file.getParent() == null ? Path.of(".") : file.getParent()), how);
    }

    /**
     * Python's site-packages folders, most specific first: $VIRTUAL_ENV and $CONDA_PREFIX, what
     * {@code python3 -c "import site; ..."} reports (10 s at most), then the usual prefixes
     * (~/.local, /usr/local, /usr, /opt/conda).
     */
    static List<Path> pythonSitePackages() {
        Set<Path> out = new LinkedHashSet<>();
        for (String var : new String[] {"VIRTUAL_ENV", "CONDA_PREFIX"}) {
            String v = System.getenv(var);
            if (v != null && !v.isBlank()) {
                out.addAll(sitePackagesUnder(Path.of(v)));
            }
        }
        out.addAll(askPython());
        String home = System.getProperty("user.home");
        if (home != null) {
            out.addAll(sitePackagesUnder(Path.of(home, ".local")));
        }
        for (String prefix : new String[] {"/usr/local", "/usr", "/opt/conda"}) {
            out.addAll(sitePackagesUnder(Path.of(prefix)));
        }
        return List.copyOf(out);
    }

    /** {@code PREFIX/lib/python3*}{@code /site-packages} and {@code dist-packages}, newest name first. */
    static List<Path> sitePackagesUnder(Path prefix) {
        List<Path> out = new ArrayList<>();
        for (Path py : globDirs(prefix.resolve("lib"), "python3*", null)) {
            for (String sp : new String[] {"site-packages", "dist-packages"}) {
                if (Files.isDirectory(py.resolve(sp))) {
                    out.add(py.resolve(sp));
                }
            }
        }
        return out;
    }

    private static List<Path> askPython() {
        List<Path> out = new ArrayList<>();
        try {
            Process p = new ProcessBuilder("python3", "-c",
                    "import site\nfor d in site.getsitepackages() + [site.getusersitepackages()]: print(d)")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            p.getOutputStream().close();
            byte[] text;
            try (InputStream in = p.getInputStream()) {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return out;
                }
                text = in.readAllBytes();
            }
            if (p.exitValue() == 0) {
                for (String line : new String(text, StandardCharsets.UTF_8).split("\n")) {
                    if (!line.isBlank() && Files.isDirectory(Path.of(line.trim()))) {
                        out.add(Path.of(line.trim()));
                    }
                }
            }
        } catch (IOException e) {
            // no python3 on the PATH: the fixed prefixes are still scanned
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
    }

    /** Subdirectories of {@code dir} matching {@code glob} (then {@code sub} inside each, if given), names descending. */
    private static List<Path> globDirs(Path dir, String glob, String sub) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
            for (Path p : ds) {
                Path q = sub == null ? p : p.resolve(sub);
                if (Files.isDirectory(q)) {
                    out.add(q);
                }
            }
        } catch (IOException e) {
            return out;
        }
        out.sort(Comparator.comparing(Path::toString).reversed());
        return out;
    }

    // ------------------------------------------------------------------ driver

    /**
     * Loads JCudaDriver's native library (which needs the driver's {@code libcuda.so.1}) and
     * initializes its class. Does not touch a GPU: {@code cuInit} is {@link CudaDriver}'s.
     *
     * @throws BackendUnavailableException "no NVIDIA driver (libcuda.so.1) found: ..." without a driver
     */
    public static synchronized void loadDriver() {
        if (driverLoaded) {
            return;
        }
        checkPlatform();
        Path lib = extract(JCUDA_DRIVER_LIB);
        try {
            System.load(lib.toString());
        } catch (UnsatisfiedLinkError e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("libcuda.so")) {
                throw new BackendUnavailableException("no NVIDIA driver (libcuda.so.1) found: " + m + ". Install the"
                        + " NVIDIA driver (CUDA 11.7 or later) on a machine with an NVIDIA GPU; the dynamic loader"
                        + " finds libcuda.so.1 through ldconfig or LD_LIBRARY_PATH (WSL: /usr/lib/wsl/lib)", e);
            }
            throw new BackendUnavailableException("JCudaDriver " + JCUDA_VERSION + " does not load: " + m, e);
        }
        whileJCudaLoaderLooksIn(nativeDir(), CudaDriver::initializeBinding);
        driverLoaded = true;
    }

    // ------------------------------------------------------------------ private copies

    /** This JVM's private directory for native libraries: owner-only, deleted on exit. */
    static synchronized Path nativeDir() {
        if (nativeDir == null) {
            try {
                nativeDir = Files.createTempDirectory("inceptionj-cuda-",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (IOException | UnsupportedOperationException e) {
                throw new BackendUnavailableException("cannot create a private directory for the CUDA libraries under "
                        + System.getProperty("java.io.tmpdir") + ": " + e.getMessage()
                        + "; point -Djava.io.tmpdir at a writable local directory", e);
            }
            nativeDir.toFile().deleteOnExit();
        }
        return nativeDir;
    }

    /** Copies resource {@code lib/NAME} of this jar to the private directory (once) and returns the copy. */
    static synchronized Path extract(String name) {
        Path target = nativeDir().resolve(name);
        if (Files.exists(target)) {
            return target;
        }
        try (InputStream in = CudaLibraries.class.getResourceAsStream("/lib/" + name)) {
            if (in == null) {
                throw new BackendUnavailableException("this build of inceptionj-gpu-backend lacks lib/" + name
                        + " (the Maven build copies it from org.jcuda's natives jars; rebuild the jar)");
            }
            Files.copy(in, target);
            target.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new BackendUnavailableException("cannot copy lib/" + name + " to " + target + ": " + e.getMessage(), e);
        }
        return target;
    }

    /**
     * Runs a JCuda class initializer while {@code java.io.tmpdir} names {@code dir}, where its
     * loader then finds the library we already loaded (see the class comment).
     */
    private static void whileJCudaLoaderLooksIn(Path dir, Runnable init) {
        String old = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", dir.toString());
        try {
            init.run();
        } finally {
            if (old == null) {
                System.clearProperty("java.io.tmpdir");
            } else {
                System.setProperty("java.io.tmpdir", old);
            }
        }
    }

    private static void checkPlatform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new BackendUnavailableException("the cuDNN backend runs on Linux x86-64 only; this JVM is "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        }
    }
}
