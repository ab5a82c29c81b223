package org.inceptionj.inception.predict;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Reading JPEG and PNG files into 8-bit RGB, with every conversion stated:
 * <ul>
 *   <li>grayscale (8 or 16 bit), palette and RGBA images are converted to RGB (alpha is dropped,
 *       gray is replicated into the three channels);</li>
 *   <li>16-bit-per-channel PNGs are reduced to 8 bits per channel;</li>
 *   <li>CMYK / YCCK JPEGs are rejected (Java's decoder does not read them): convert them to RGB first;</li>
 *   <li>corrupt or truncated files, and files that are not JPEG or PNG, are rejected naming the file;</li>
 *   <li>images of any size ≥ 1×1 are accepted; the preprocessing resizes them (upsampling tiny ones).</li>
 * </ul>
 */
public final class Images {
    private Images() {
    }

    /** Reads {@code file} as an 8-bit RGB image ({@link BufferedImage#TYPE_INT_RGB}). */
    public static BufferedImage readRgb(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("image: path is null");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("image " + file + ": no such file");
        }
        BufferedImage img;
        try (InputStream raw = Files.newInputStream(file); ImageInputStream in = ImageIO.createImageInputStream(raw)) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new IllegalArgumentException("image " + file + ": not a JPEG or PNG file (unrecognized format)");
            }
            ImageReader reader = readers.next();
            String format = reader.getFormatName().toLowerCase();
            if (!format.equals("jpeg") && !format.equals("png")) {
                reader.dispose();
                throw new IllegalArgumentException("image " + file + ": format " + format + " is not supported; use JPEG or PNG");
            }
            try {
                reader.setInput(in);
                img = reader.read(0);
            } catch (javax.imageio.IIOException e) {
                String m = String.valueOf(e.getMessage());
                if (m.contains("Unsupported Image Type") || m.contains("CMYK") || m.contains("YCCK")) {
                    throw new IllegalArgumentException("image " + file + ": CMYK/YCCK JPEG is not supported; convert it to RGB", e);
                }
                throw new IllegalArgumentException("image " + file + ": corrupt or truncated " + format + " (" + m + ")", e);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("image " + file + ": cannot be read (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException) {
                throw e;
            }
            throw new IllegalArgumentException("image " + file + ": corrupt or truncated (" + e + ")", e);
        }
        if (img == null || img.getWidth() < 1 || img.getHeight() < 1) {
            throw new IllegalArgumentException("image " + file + ": decodes to no pixels");
        }
        return toRgb(img);
    }

    /** Any image as 8-bit RGB (gray replicated, alpha dropped, 16-bit reduced). */
    public static BufferedImage toRgb(BufferedImage img) {
        if (img.getType() == BufferedImage.TYPE_INT_RGB) {
            return img;
        }
        BufferedImage rgb = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = rgb.createGraphics();
        try {
            g.drawImage(img, 0, 0, null);
        } finally {
            g.dispose();
        }
        return rgb;
    }

    /** Bilinear resize to exactly width × height. */
    public static BufferedImage resize(BufferedImage img, int width, int height) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("resize: target " + width + "x" + height + " is empty");
        }
        if (img.getWidth() == width && img.getHeight() == height) {
            return img;
        }
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.drawImage(img, 0, 0, width, height, null);
        } finally {
            g.dispose();
        }
        return out;
    }
}
