package org.inceptionj.inception.predict;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.image.Preprocessing;
import org.junit.jupiter.api.Test;

class PredictTest {
    @Test
    void topKAverageAndClassNames() {
        float[] p = new float[1000];
        p[3] = 0.5f;
        p[7] = 0.3f;
        p[1] = 0.3f;
        List<Predictor.Prediction> top = Predictor.topK(p, 3);
        assertEquals(List.of(3, 1, 7), top.stream().map(Predictor.Prediction::index).toList());
        assertEquals("tench, Tinca tinca", ImageNetClasses.name(0));
        assertEquals(ImageNetClasses.name(3), top.get(0).label());
        assertEquals(1000, ImageNetClasses.count());
        assertEquals("background", Predictor.topK(new float[1001], 1).get(0).label());
        assertArrayEquals(new float[] {0.25f, 0.75f}, Predictor.average(List.of(new float[] {0f, 1f},
                new float[] {0.5f, 0.5f})), 1e-7f);
        assertThrows(IllegalArgumentException.class, () -> Predictor.topK(p, 0));
        assertThrows(IllegalArgumentException.class, () -> ImageNetClasses.name(1000));
    }

    @Test
    void multiCropAndEnsembleAverageSoftmaxOutputs() {
        try (Backend backend = Backends.load();
             InceptionV3 a = new InceptionV3(backend, new InceptionV3.Config(10, false, true, 0.5f), 1);
             InceptionV3 b = new InceptionV3(backend, new InceptionV3.Config(10, false, true, 0.5f), 2)) {
            BufferedImage img = new BufferedImage(90, 80, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 80; y++) {
                for (int x = 0; x < 90; x++) {
                    img.setRGB(x, y, (x * 2) << 16 | (y * 3) << 8 | 77);
                }
            }
            List<float[]> views = Preprocessing.TORCHVISION.tenCrop(img, 75);
            List<float[]> each = Predictor.probabilities(a, views, 75, 4);
            assertEquals(10, each.size());
            float[] mc = Predictor.multiCrop(a, views, 75, 3);
            float[] expected = Predictor.average(each);
            assertArrayEquals(expected, mc, 1e-6f, "batching does not change the average");
            double sum = 0;
            for (float v : mc) {
                sum += v;
            }
            assertEquals(1.0, sum, 1e-5);
            float[] ens = Predictor.ensemble(List.of(a, b), views, 75, 5);
            assertArrayEquals(Predictor.average(List.of(mc, Predictor.multiCrop(b, views, 75, 5))), ens, 1e-6f);
        }
    }
}
