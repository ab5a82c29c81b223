package org.inceptionj.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import com.sun.management.HotSpotDiagnosticMXBean;

/**
 * Which memory pages the engines of a side-by-side run get: the JVM's heap (InceptionJ's tensors and weights) and
 * the native allocations of the peers that run in the same process (ONNX Runtime's and PyTorch's, through glibc's
 * malloc). Why it is printed: a forward reads its 95 MB of weights once per pass, and the page size decides how
 * many page-table entries that takes (about 23,000 on 4 KiB pages, 50 on 2 MiB ones), so a table's reader
 * should know what each side had. (On this project's host huge pages did not pay for any engine: see
 * benchmarks/CPU-SPEED-LOG.md.)
 *
 * <p>On Linux, with transparent huge pages in "madvise" mode (the usual default), the JVM's heap gets them with
 * {@code -XX:+UseTransparentHugePages} and glibc's malloc with
 * {@code GLIBC_TUNABLES=glibc.malloc.hugetlb=1} in the environment (glibc 2.35 and later); in "always" mode
 * everything gets them, in "never" mode nothing does.
 *
 * @param system            the system's transparent-huge-pages mode: "always", "madvise", "never", or "none"
 *                          where the system has no such setting (not Linux)
 * @param jvmHeap           whether the JVM's heap is on huge pages
 * @param nativeAllocations whether malloc's large allocations in this process are
 */
public record MemoryPages(String system, boolean jvmHeap, boolean nativeAllocations) {

    /** Where Linux keeps the mode, the chosen one in brackets: "always [madvise] never". */
    static final Path SETTING = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");

    /** The pages of this process. */
    public static MemoryPages ofThisProcess() {
        String setting = null;
        try {
            if (Files.isRegularFile(SETTING)) {
                setting = Files.readString(SETTING, StandardCharsets.US_ASCII);
            }
        } catch (IOException e) {
            setting = null;
        }
        String jvmOption = null;
        try {
            HotSpotDiagnosticMXBean hotSpot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            jvmOption = hotSpot == null ? null : hotSpot.getVMOption("UseTransparentHugePages").getValue();
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            jvmOption = null; // a JVM without the option (not Linux, or not HotSpot)
        }
        return of(setting, jvmOption, System.getenv("GLIBC_TUNABLES"));
    }

    /**
     * The pages that follow from the system's setting (the file's text, or null), the JVM's
     * UseTransparentHugePages option (its value, or null) and the GLIBC_TUNABLES environment variable (or null).
     */
    static MemoryPages of(String setting, String jvmOption, String glibcTunables) {
        String system = setting == null ? "none"
                : setting.contains("[always]") ? "always"
                : setting.contains("[madvise]") ? "madvise"
                : "never";
        boolean always = system.equals("always"), madvise = system.equals("madvise");
        boolean jvm = always || madvise && "true".equals(jvmOption);
        boolean malloc = always || madvise && glibcHugePages(glibcTunables);
        return new MemoryPages(system, jvm, malloc);
    }

    /** Whether GLIBC_TUNABLES (colon-separated name=value pairs) sets glibc.malloc.hugetlb=1. */
    static boolean glibcHugePages(String tunables) {
        if (tunables == null) {
            return false;
        }
        for (String t : tunables.split(":")) {
            if (t.trim().equals("glibc.malloc.hugetlb=1")) {
                return true;
            }
        }
        return false;
    }

    /**
     * One line for the report: each side's pages and, in "madvise" mode, the setting that gives it the other kind
     * (in the other modes the system decides for both sides, and neither setting changes it).
     */
    public String describe() {
        boolean choose = system.equals("madvise");
        return String.format(Locale.ROOT,
                "memory pages: transparent huge pages %s; InceptionJ's heap on %s pages (%s); the peers' native"
                        + " memory on %s pages (%s)",
                system, size(jvmHeap),
                !choose ? "set by the system"
                        : String.format("-XX:%sUseTransparentHugePages for %s", jvmHeap ? "-" : "+", size(!jvmHeap)),
                size(nativeAllocations),
                !choose ? "set by the system"
                        : nativeAllocations ? "without GLIBC_TUNABLES=glibc.malloc.hugetlb=1 for 4 KiB"
                        : "GLIBC_TUNABLES=glibc.malloc.hugetlb=1 for 2 MiB");
    }

    private static String size(boolean huge) {
        return huge ? "2 MiB" : "4 KiB";
    }
}
