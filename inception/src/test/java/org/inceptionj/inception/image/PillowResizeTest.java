package org.inceptionj.inception.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;

import javax.imageio.ImageIO;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Golden files made by Pillow 9.4.0 itself (resources {@code pillow/}): a 120×90 noisy RGB image,
 * {@code Image.resize((w, h), Image.BILINEAR)} of it at five sizes (shrinking, growing and mixed), and
 * torchvision's eval recipe scaled down, Resize(64) then CenterCrop(56) — a resize to 85×64 and the
 * crop box at left round(14.5) = 14 (Python rounds half to even), top 4. Our resampling must give
 * every pixel exactly.
 */
class PillowResizeTest {

    private static BufferedImage png(String name) throws IOException {
        try (InputStream in = PillowResizeTest.class.getResourceAsStream("pillow/" + name)) {
            if (in == null) {
                throw new IllegalStateException("test resource pillow/" + name + " is missing");
            }
            return Images.toRgb(ImageIO.read(in));
        }
    }

    private static int mismatches(BufferedImage expected, BufferedImage actual) {
        assertEquals(expected.getWidth(), actual.getWidth());
        assertEquals(expected.getHeight(), actual.getHeight());
        int bad = 0;
        for (int y = 0; y < expected.getHeight(); y++) {
            for (int x = 0; x < expected.getWidth(); x++) {
                if ((expected.getRGB(x, y) & 0xFFFFFF) != (actual.getRGB(x, y) & 0xFFFFFF)) {
                    bad++;
                }
            }
        }
        return bad;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"37x29", "64x48", "250x181", "120x45", "53x90"})
    void bilinearResizeMatchesPillowPixelForPixel(String size) throws IOException {
        String[] wh = size.split("x");
        BufferedImage expected = png("bilinear_" + size + ".png");
        BufferedImage ours = Images.resizeLikePillow(png("input.png"), Integer.parseInt(wh[0]), Integer.parseInt(wh[1]));
        assertEquals(0, mismatches(expected, ours), "pixels that differ from Pillow at " + size);
    }

    @Test
    void torchvisionResizeAndCenterCropMatchPillow() throws IOException {
        BufferedImage input = png("input.png");
        BufferedImage ours = Preprocessing.centerCrop(Preprocessing.resizeShorterSide(input, 64), 56, 56);
        assertEquals(0, mismatches(png("resize64_centercrop56.png"), ours));
        // Java2D's bilinear filter (what the TF recipe still uses) does not: the test can tell them apart.
        BufferedImage java2d = Images.resize(input, 37, 29);
        assertTrue(mismatches(png("bilinear_37x29.png"), java2d) > 100, "Java2D differs from Pillow when shrinking");
    }
}
