package org.inceptionj.inception.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Our decoding against Pillow's: every file in the resources {@code golden/} (made by
 * {@code inception/tools/make_image_goldens.py}: PNG of every colour type and bit depth, interlaced,
 * with tRNS and gamma chunks; JPEG gray, YCbCr 4:4:4/4:2:2/4:2:0/4:4:0, progressive, restart
 * markers, RGB, CMYK, YCCK, EXIF-rotated, with an ICC profile) is decoded by {@link Images#readRgb}
 * and compared with the bytes of Pillow 12.3's {@code Image.open(f).convert("RGB")}. Every pixel
 * must be equal, JPEG included: libjpeg 6b (the JDK's) and libjpeg-turbo (Pillow's) share the
 * integer IDCT and the fancy upsampling, and {@link Jpeg} converts colours and smooths 4:4:0 as
 * libjpeg-turbo does (measured on 156 larger JPEG files too: maximum difference 0).
 */
class ImageGoldenTest {

    record Case(String file, int width, int height, String pillowMode, String description) {
        @Override
        public String toString() {
            return file + " (" + description + ")";
        }
    }

    static Path golden(String name) {
        URL url = ImageGoldenTest.class.getResource("golden/" + name);
        if (url == null) {
            throw new IllegalStateException("test resource golden/" + name + " is missing");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<Case> cases() throws IOException {
        return Files.readAllLines(golden("manifest.tsv")).stream()
                .filter(l -> !l.startsWith("#") && !l.isBlank())
                .map(l -> l.split("\t"))
                .map(f -> new Case(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]), f[3], f[4]))
                .toList();
    }

    static Stream<Arguments> all() throws IOException {
        return cases().stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void decodesAsPillowConvertRgb(Case c) throws IOException {
        byte[] expected = Files.readAllBytes(golden(c.file().replaceAll("\\.(png|jpg)$", ".rgb")));
        BufferedImage img = Images.readRgb(golden(c.file()));
        assertEquals(BufferedImage.TYPE_INT_RGB, img.getType());
        assertEquals(c.width(), img.getWidth(), "width");
        assertEquals(c.height(), img.getHeight(), "height");
        assertEquals(3L * c.width() * c.height(), expected.length, "golden size");
        int differing = 0, maxDiff = 0;
        String first = null;
        for (int y = 0; y < c.height(); y++) {
            for (int x = 0; x < c.width(); x++) {
                int rgb = img.getRGB(x, y);
                for (int ch = 0; ch < 3; ch++) {
                    int ours = rgb >> (16 - 8 * ch) & 0xFF, pillow = expected[(y * c.width() + x) * 3 + ch] & 0xFF;
                    if (ours != pillow) {
                        differing++;
                        maxDiff = Math.max(maxDiff, Math.abs(ours - pillow));
                        if (first == null) {
                            first = "(" + x + ", " + y + ") channel " + ch + ": ours " + ours + ", Pillow " + pillow;
                        }
                    }
                }
            }
        }
        assertEquals(0, differing, c.file() + " (Pillow mode " + c.pillowMode() + "): " + differing
                + " samples differ from Pillow, by up to " + maxDiff + "; first at " + first);
    }

    /** The finding that started this: opaque gray 128 in a gray+alpha PNG became 188 (a gamma conversion). */
    @Test
    void grayAlphaKeepsItsGrayAndDropsAlpha() throws IOException {
        BufferedImage img = Images.readRgb(golden("png_gray_alpha8.png"));
        assertEquals(0x808080, img.getRGB(0, 0) & 0xFFFFFF, "opaque gray 128");
        assertEquals(0x808080, img.getRGB(1, 0) & 0xFFFFFF, "transparent gray 128: alpha dropped, not blended");
        assertEquals(0xC8C8C8, img.getRGB(2, 0) & 0xFFFFFF, "nearly transparent gray 200");
    }

    @Test
    void everyKindIsCovered() throws IOException {
        List<String> modes = cases().stream().map(c -> c.file().substring(0, 3) + " " + c.pillowMode()).distinct().toList();
        for (String m : List.of("png 1", "png L", "png I;16", "png LA", "png RGB", "png RGBA", "png P", "jpe L",
                "jpe RGB", "jpe CMYK")) {
            assertTrue(modes.contains(m), "golden files of kind " + m + " (have " + modes + ")");
        }
    }
}
