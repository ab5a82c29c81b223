package org.inceptionj.inception.predict;

import java.util.ArrayList;
import java.util.List;

import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.inceptionj.inception.InceptionV3;

/**
 * Batch inference with class probabilities, top-k, multi-crop averaging and model ensembles
 * (paper Tables 4–5: the softmax outputs of several crops, or of several models, are averaged).
 */
public final class Predictor {
    private Predictor() {
    }

    /** One ranked class. */
    public record Prediction(int index, String label, float probability) {
    }

    /**
     * Softmax probabilities of {@code model} (evaluation mode) for each CHW input of size×size,
     * in batches of at most {@code batch}.
     */
    public static List<float[]> probabilities(InceptionV3 model, List<float[]> inputs, int size, int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("predict: batch size must be >= 1, got " + batch);
        }
        int k = model.config().numClasses();
        List<float[]> out = new ArrayList<>(inputs.size());
        var backend = model.parameters().backend();
        for (int from = 0; from < inputs.size(); from += batch) {
            int n = Math.min(batch, inputs.size() - from);
            float[] data = new float[n * 3 * size * size];
            for (int i = 0; i < n; i++) {
                float[] chw = inputs.get(from + i);
                if (chw.length != 3 * size * size) {
                    throw new IllegalArgumentException("predict: input " + (from + i) + " has " + chw.length
                            + " values, expected 3x" + size + "x" + size);
                }
                System.arraycopy(chw, 0, data, i * chw.length, chw.length);
            }
            try (TensorScope s = TensorScope.open()) {
                Tensor x = Ops.fromArray(backend, Shape.of(n, 3, size, size), data);
                float[] p = Ops.softmax(model.forward(x, InceptionV3.Mode.EVAL).logits(), 1).toArray();
                for (int i = 0; i < n; i++) {
                    float[] row = new float[k];
                    System.arraycopy(p, i * k, row, 0, k);
                    out.add(row);
                }
            }
        }
        return out;
    }

    /** The element-wise mean of several probability vectors (crops of one image, or models). */
    public static float[] average(List<float[]> probabilities) {
        if (probabilities.isEmpty()) {
            throw new IllegalArgumentException("average: no probability vectors");
        }
        int k = probabilities.get(0).length;
        double[] sum = new double[k];
        for (float[] p : probabilities) {
            if (p.length != k) {
                throw new IllegalArgumentException("average: vectors of " + k + " and " + p.length + " classes");
            }
            for (int i = 0; i < k; i++) {
                sum[i] += p[i];
            }
        }
        float[] mean = new float[k];
        for (int i = 0; i < k; i++) {
            mean[i] = (float) (sum[i] / probabilities.size());
        }
        return mean;
    }

    /** Multi-crop evaluation of one image: the mean softmax over its views (e.g. {@link Preprocessing#tenCrop}). */
    public static float[] multiCrop(InceptionV3 model, List<float[]> views, int size, int batch) {
        return average(probabilities(model, views, size, batch));
    }

    /** Ensemble evaluation: the mean of each model's softmax for the same input views. */
    public static float[] ensemble(List<InceptionV3> models, List<float[]> views, int size, int batch) {
        if (models.isEmpty()) {
            throw new IllegalArgumentException("ensemble: no models");
        }
        List<float[]> perModel = new ArrayList<>();
        for (InceptionV3 m : models) {
            perModel.add(multiCrop(m, views, size, batch));
        }
        return average(perModel);
    }

    /**
     * The k most probable classes, highest first (ties: lower index first); labels from
     * {@link ImageNetClasses} when the classifier has 1000 (or 1001, background first) outputs.
     */
    public static List<Prediction> topK(float[] probabilities, int k) {
        return topK(probabilities, k, null);
    }

    /**
     * The k most probable classes with the labels {@code names} (index → name; the weights' own class
     * names), or as {@link #topK(float[], int)} names them when {@code names} is null.
     */
    public static List<Prediction> topK(float[] probabilities, int k, List<String> names) {
        if (names != null && names.size() != probabilities.length) {
            throw new IllegalArgumentException("top-k: " + names.size() + " class names for " + probabilities.length
                    + " outputs");
        }
        if (k < 1) {
            throw new IllegalArgumentException("top-k: k must be >= 1, got " + k);
        }
        int n = probabilities.length;
        int offset = n == 1001 ? 1 : 0;
        boolean named = n == 1000 || n == 1001;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> probabilities[a] != probabilities[b]
                ? Float.compare(probabilities[b], probabilities[a]) : Integer.compare(a, b));
        List<Prediction> top = new ArrayList<>();
        for (int i = 0; i < Math.min(k, n); i++) {
            int c = order[i];
            String label = names != null ? names.get(c) : named ? ImageNetClasses.name(c, offset) : "class " + c;
            top.add(new Prediction(c, label, probabilities[c]));
        }
        return top;
    }
}
