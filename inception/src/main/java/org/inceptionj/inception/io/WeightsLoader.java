package org.inceptionj.inception.io;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.inceptionj.api.Tensor;
import org.inceptionj.inception.InceptionV3;

/**
 * Inception-v3 weights in safetensors files under torchvision's state-dict names (spec §10), so
 * a file converted from torchvision's {@code inception_v3} loads one to one.
 *
 * <p>Loading validates first and copies after: a strict load that fails changes nothing. Keys
 * torchvision files carry that this model does not need are accepted and ignored:
 * {@code *.num_batches_tracked} (BN's step counter, I64 []), {@code AuxLogits.*} when the
 * model has no aux head (torchvision loads with the head, then drops it), and the training state of a
 * checkpoint, {@code optimizer.*} and {@code ema.*} (see {@link #TRAINING_STATE_PREFIXES}), so a training
 * checkpoint loads strictly as plain weights.
 */
public final class WeightsLoader {
    private WeightsLoader() {
    }

    /**
     * What a load did, each list in file order (missing: in model order).
     *
     * @param loaded     model parameters overwritten from the file
     * @param ignored    file keys accepted and deliberately not used (num_batches_tracked, AuxLogits without
     *                   the head, a checkpoint's optimizer.* and ema.*)
     * @param missing    model parameters the file does not have (left as they were)
     * @param unexpected file keys the model does not have
     * @param mismatched file keys whose shape or dtype differs from the model's, with both
     */
    public record Report(List<String> loaded, List<String> ignored, List<String> missing,
                         List<String> unexpected, List<String> mismatched) {
        public Report {
            loaded = List.copyOf(loaded);
            ignored = List.copyOf(ignored);
            missing = List.copyOf(missing);
            unexpected = List.copyOf(unexpected);
            mismatched = List.copyOf(mismatched);
        }

        /** True when every model parameter was loaded and nothing in the file went unused by mistake. */
        public boolean complete() {
            return missing.isEmpty() && unexpected.isEmpty() && mismatched.isEmpty();
        }

        @Override
        public String toString() {
            return "loaded " + loaded.size() + ", ignored " + ignored.size() + ", missing " + missing
                    + ", unexpected " + unexpected + ", mismatched " + mismatched;
        }
    }

    /**
     * Key prefixes of a training checkpoint's optimizer slots and parameter averages. No model
     * parameter starts with them (torchvision's names start with a layer name), so loading ignores them.
     */
    public static final List<String> TRAINING_STATE_PREFIXES = List.of("optimizer.", "ema.");

    /** How many examples an error message lists before "...". */
    private static final int EXAMPLES = 5;

    /**
     * Copies the file's tensors into {@code model}'s parameters where name, dtype (F32) and shape
     * match exactly. Strict: any missing, unexpected or mismatched key fails the load, all of them
     * reported in one message, and the model is left unchanged. Not strict: loads what matches and
     * reports the rest. Either way, a file missing more than half of the model's keys is rejected
     * as not Inception-v3 weights.
     *
     * <p>Mutates the values of {@code model.parameters()} (not their shapes or identities).
     *
     * @throws IllegalArgumentException if the file is invalid, not Inception-v3, or (strict) does not match
     */
    public static Report load(InceptionV3 model, Path file, boolean strict) {
        return load(model, SafeTensors.read(file), strict);
    }

    /** {@link #load(InceptionV3, Path, boolean)} from a file already read. */
    public static Report load(InceptionV3 model, SafeTensors st, boolean strict) {
        Path file = st.file();
        Map<String, Tensor> params = model.parameters().asMap();
        boolean hasAux = model.config().auxLogits();

        Map<Tensor, SafeTensors.Entry> toCopy = new LinkedHashMap<>();
        List<String> loaded = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (SafeTensors.Entry e : st.entries().values()) {
            String name = e.name();
            Tensor p = params.get(name);
            if (p == null) {
                if (name.endsWith(".num_batches_tracked") || (!hasAux && name.startsWith("AuxLogits."))
                        || isTrainingState(name)) {
                    ignored.add(name);
                } else {
                    unexpected.add(name);
                }
            } else if (e.dtype() != SafeTensors.DType.F32) {
                mismatched.add(name + ": dtype " + e.dtype() + " in the file, F32 in the model");
            } else if (!e.tensorShape().equals(p.shape())) {
                mismatched.add(name + ": shape " + e.tensorShape() + " in the file, " + p.shape() + " in the model");
            } else {
                toCopy.put(p, e);
                loaded.add(name);
            }
        }
        List<String> missing = new ArrayList<>();
        for (String name : params.keySet()) {
            if (!st.entries().containsKey(name)) {
                missing.add(name);
            }
        }
        Report report = new Report(loaded, ignored, missing, unexpected, mismatched);

        if (missing.size() * 2 > params.size()) {
            throw new IllegalArgumentException("WeightsLoader: " + file + " does not look like Inception-v3: "
                    + missing.size() + " of " + params.size() + " expected keys missing, e.g. "
                    + examples(missing) + "; the file has e.g. " + examples(new ArrayList<>(st.entries().keySet())));
        }
        if (strict && !report.complete()) {
            StringBuilder m = new StringBuilder("WeightsLoader: ").append(file)
                    .append(" does not match the model (strict load, nothing loaded):");
            if (!missing.isEmpty()) {
                m.append("\n  missing (").append(missing.size()).append("): ").append(missing);
            }
            if (!unexpected.isEmpty()) {
                m.append("\n  unexpected (").append(unexpected.size()).append("): ").append(unexpected);
            }
            if (!mismatched.isEmpty()) {
                m.append("\n  mismatched (").append(mismatched.size()).append("): ").append(mismatched);
            }
            throw new IllegalArgumentException(m.toString());
        }
        for (var c : toCopy.entrySet()) {
            Tensor p = c.getKey();
            p.backend().write(p, c.getValue().floats(), 0);
        }
        return report;
    }

    /**
     * {@code base} adjusted to the heads a state dict holds, so that a checkpoint saved from a model built
     * with {@code aux_logits=False} or with another number of classes loads strictly into the rest of the
     * preset: the aux head only if the file has {@code AuxLogits.*} keys, K from the rows of {@code fc.weight}
     * (a 2-D tensor; unchanged when absent or not 2-D — the load then reports it).
     */
    public static InceptionV3.Config fitHeads(InceptionV3.Config base, SafeTensors st) {
        boolean aux = false;
        for (String name : st.entries().keySet()) {
            aux |= name.startsWith("AuxLogits.");
        }
        InceptionV3.Config c = base.withAuxLogits(aux);
        SafeTensors.Entry fc = st.entries().get("fc.weight");
        if (fc != null && fc.shape().length == 2 && fc.shape()[0] >= 1) {
            c = c.withNumClasses(fc.shape()[0]);
        }
        return c;
    }

    /**
     * Writes every parameter and BN running statistic of {@code model} as F32 under its
     * torchvision name, in state-dict order (no {@code num_batches_tracked}: PyTorch's BatchNorm
     * loads without it). Atomic, see {@link SafeTensors#write}.
     */
    public static void save(InceptionV3 model, Path file) {
        SafeTensors.write(file, model.parameters().asMap(), Map.of("format", "pt"));
    }

    /** {@link #save(InceptionV3, Path)} with {@code card}'s metadata (architecture, class names, input) beside the tensors. */
    public static void save(InceptionV3 model, Path file, ModelCard card) {
        if (card == null || !card.config().equals(model.config())) {
            throw new IllegalArgumentException("WeightsLoader.save: the card " + (card == null ? "is null"
                    : "describes " + card.config() + ", the model is " + model.config()));
        }
        Map<String, String> meta = new java.util.LinkedHashMap<>(card.toMetadata());
        meta.put("format", "pt");
        SafeTensors.write(file, model.parameters().asMap(), meta);
    }

    /** True for a checkpoint's optimizer slot or parameter average ({@link #TRAINING_STATE_PREFIXES}). */
    public static boolean isTrainingState(String name) {
        for (String prefix : TRAINING_STATE_PREFIXES) {
            if (name.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    private static String examples(List<String> names) {
        List<String> head = names.subList(0, Math.min(EXAMPLES, names.size()));
        return head + (names.size() > EXAMPLES ? " ..." : "");
    }
}
