package org.inceptionj.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What the side-by-side runner says of each engine's memory pages. */
class MemoryPagesTest {

    @Test
    void inMadviseModeEachSideAsksForItself() {
        String madvise = "always [madvise] never\n";
        assertEquals(new MemoryPages("madvise", true, true),
                MemoryPages.of(madvise, "true", "glibc.malloc.hugetlb=1"));
        assertEquals(new MemoryPages("madvise", true, false), MemoryPages.of(madvise, "true", null));
        assertEquals(new MemoryPages("madvise", false, true),
                MemoryPages.of(madvise, "false", "glibc.malloc.check=0:glibc.malloc.hugetlb=1"));
        assertEquals(new MemoryPages("madvise", false, false),
                MemoryPages.of(madvise, null, "glibc.malloc.hugetlb=0"));
    }

    @Test
    void alwaysGivesEveryoneHugePagesAndNeverOrNoSettingGivesNoOne() {
        assertEquals(new MemoryPages("always", true, true), MemoryPages.of("[always] madvise never", "false", null));
        assertEquals(new MemoryPages("never", false, false),
                MemoryPages.of("always madvise [never]", "true", "glibc.malloc.hugetlb=1"));
        assertEquals(new MemoryPages("none", false, false), MemoryPages.of(null, null, "glibc.malloc.hugetlb=1"));
    }

    @Test
    void theLineSaysWhatEachSideHadAndHowToChangeIt() {
        String jvmOnly = new MemoryPages("madvise", true, false).describe();
        assertTrue(jvmOnly.contains("InceptionJ's heap on 2 MiB pages (-XX:-UseTransparentHugePages for 4 KiB)"),
                jvmOnly);
        assertTrue(jvmOnly.contains("native memory on 4 KiB pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1 for 2 MiB)"),
                jvmOnly);
        String peersOnly = new MemoryPages("madvise", false, true).describe();
        assertTrue(peersOnly.contains("InceptionJ's heap on 4 KiB pages (-XX:+UseTransparentHugePages for 2 MiB)"),
                peersOnly);
        assertTrue(peersOnly.contains("native memory on 2 MiB pages"), peersOnly);
    }

    @Test
    void outsideMadviseModeTheLineOffersNoSettingThatWouldNotWork() {
        String always = new MemoryPages("always", true, true).describe();
        assertTrue(always.contains("InceptionJ's heap on 2 MiB pages (set by the system)"), always);
        assertTrue(always.contains("native memory on 2 MiB pages (set by the system)"), always);
        assertFalse(always.contains("UseTransparentHugePages"), always);
        assertFalse(always.contains("GLIBC_TUNABLES"), always);
        String none = new MemoryPages("none", false, false).describe();
        assertFalse(none.contains("UseTransparentHugePages"), none);
    }
}
