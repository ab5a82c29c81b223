package org.inceptionj.inception.io;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.inceptionj.inception.InceptionV3;

/**
 * What travels with trained weights in their safetensors metadata, so that {@code predict} and
 * {@code evaluate} need no flags to use them: the architecture ({@code model.*}, every field of
 * {@link InceptionV3.Config}), the class names in label order, the input side and the name of the
 * evaluation preprocessing, and whether the training images were grayscale (a colour picture is then
 * reduced to its luminance first, as the training images were).
 *
 * @param config        the architecture the weights belong to
 * @param classes       class names, label k = {@code classes.get(k)}
 * @param inputSize     the side of the square input the model was trained at
 * @param preprocessing the evaluation preprocessing's name ({@code resize}, {@code tf}, {@code torchvision})
 * @param grayscale     whether the training images had one channel
 */
public record ModelCard(InceptionV3.Config config, List<String> classes, int inputSize, String preprocessing,
                        boolean grayscale) {
    static final String MODEL = "model.";
    static final String CLASSES = "inceptionj.classes";
    static final String INPUT_SIZE = "inceptionj.input_size";
    static final String PREPROCESSING = "inceptionj.preprocessing";
    static final String GRAYSCALE = "inceptionj.grayscale";

    public ModelCard {
        if (config == null || classes == null || preprocessing == null) {
            throw new IllegalArgumentException("ModelCard: config, classes and preprocessing must be given");
        }
        if (classes.size() != config.numClasses()) {
            throw new IllegalArgumentException("ModelCard: " + classes.size() + " class names for a model of "
                    + config.numClasses() + " classes");
        }
        for (String c : classes) {
            if (c == null || c.isEmpty() || c.contains("\n")) {
                throw new IllegalArgumentException("ModelCard: class name '" + c + "' is empty or has a line break");
            }
        }
        if (inputSize < 1 || inputSize > InceptionV3.Config.MAX_INPUT_SIDE) {
            throw new IllegalArgumentException("ModelCard: input size must be in [1, " + InceptionV3.Config.MAX_INPUT_SIDE
                    + "], got " + inputSize);
        }
        classes = List.copyOf(classes);
    }

    /** The card as metadata entries. */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        RecordText.flatten(MODEL, config, m);
        m.put(CLASSES, String.join("\n", classes));
        m.put(INPUT_SIZE, Integer.toString(inputSize));
        m.put(PREPROCESSING, preprocessing);
        m.put(GRAYSCALE, Boolean.toString(grayscale));
        return m;
    }

    /**
     * The card in {@code st}'s metadata, or null when the file has none (weights from elsewhere). Checked
     * before anything is built from it: every field within its limits ({@link InceptionV3.Config}, the input
     * side at most {@value InceptionV3.Config#MAX_INPUT_SIDE}) and the model it describes no larger than the
     * tensors the file holds ({@link WeightsLoader#checkHolds}).
     *
     * @throws InvalidFileException naming {@code file} and the offending key
     */
    public static ModelCard read(SafeTensors st, Path file) {
        Map<String, String> m = st.metadata();
        if (!m.containsKey(CLASSES)) {
            return null;
        }
        InceptionV3.Config config = RecordText.unflatten(MODEL, InceptionV3.Config.class, m, file);
        String size = m.getOrDefault(INPUT_SIZE, "");
        ModelCard card;
        try {
            card = new ModelCard(config, List.of(m.get(CLASSES).split("\n", -1)), Integer.parseInt(size),
                    m.getOrDefault(PREPROCESSING, "tf"), Boolean.parseBoolean(m.get(GRAYSCALE)));
        } catch (NumberFormatException e) {
            throw new InvalidFileException(WHAT, file, "'" + INPUT_SIZE + "' = '" + abbreviate(size) + "' is not an integer", e);
        } catch (IllegalArgumentException e) {
            throw new InvalidFileException(WHAT, file, e.getMessage(), e);
        }
        WeightsLoader.checkHolds(st, config, WHAT);
        return card;
    }

    private static final String WHAT = "weights";

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
