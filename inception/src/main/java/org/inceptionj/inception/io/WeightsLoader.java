package org.inceptionj.inception.io;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.inceptionj.api.Tensor;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Summary;

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
 *
 * <p>The file is untrusted: every problem with it is an {@link InvalidFileException} naming it. Besides
 * names, dtypes and shapes, a load refuses NaN and infinite values in any tensor it would copy (a
 * model holding one computes NaN logits, whose argmax is a silent constant), and a file carrying a data
 * checksum has been verified by {@link SafeTensors#read}; {@link Report#checksum()} says whether it had
 * one. A configuration taken from a file ({@link #fitHeads}, {@link ModelCard#read}) is checked before any
 * model is built: each field within {@link InceptionV3.Config}'s limits, and the model no larger than the
 * tensors the file holds ({@link #checkHolds}).
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
     * @param checksum   VERIFIED when the file recorded a data checksum (ours do) and matched it; ABSENT when it
     *                   recorded none (files from elsewhere), so corruption of its data could not be detected
     */
    public record Report(List<String> loaded, List<String> ignored, List<String> missing,
                         List<String> unexpected, List<String> mismatched, SafeTensors.Checksum checksum) {
        public Report {
            loaded = List.copyOf(loaded);
            ignored = List.copyOf(ignored);
            missing = List.copyOf(missing);
            unexpected = List.copyOf(unexpected);
            mismatched = List.copyOf(mismatched);
            if (checksum == null) {
                throw new IllegalArgumentException("WeightsLoader.Report: checksum state is null (VERIFIED or ABSENT)");
            }
        }

        /** A report of a file whose checksum state is not known: ABSENT. */
        public Report(List<String> loaded, List<String> ignored, List<String> missing, List<String> unexpected,
                      List<String> mismatched) {
            this(loaded, ignored, missing, unexpected, mismatched, SafeTensors.Checksum.ABSENT);
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

    /** How messages name the file. */
    private static final String WHAT = "weights";

    /**
     * Copies the file's tensors into {@code model}'s parameters where name, dtype (F32) and shape
     * match exactly. Strict: any missing, unexpected or mismatched key fails the load, all of them
     * reported in one message, and the model is left unchanged. Not strict: loads what matches and
     * reports the rest. Either way, a file missing more than half of the model's keys is rejected
     * as not Inception-v3 weights.
     *
     * <p>Mutates the values of {@code model.parameters()} (not their shapes or identities).
     *
     * @throws InvalidFileException if the file is invalid, not Inception-v3, holds a non-finite value in a tensor
     *                              it would load, or (strict) does not match
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
        Report report = new Report(loaded, ignored, missing, unexpected, mismatched, st.checksum());

        if (missing.size() * 2 > params.size()) {
            throw new InvalidFileException(WHAT, file, "does not look like Inception-v3: "
                    + missing.size() + " of " + params.size() + " expected keys missing, e.g. "
                    + examples(missing) + "; the file has e.g. " + examples(new ArrayList<>(st.entries().keySet())));
        }
        if (strict && !report.complete()) {
            StringBuilder m = new StringBuilder("does not match the model (strict load, nothing loaded):");
            if (!missing.isEmpty()) {
                m.append("\n  missing (").append(missing.size()).append("): ").append(missing);
            }
            if (!unexpected.isEmpty()) {
                m.append("\n  unexpected (").append(unexpected.size()).append("): ").append(unexpected);
            }
            if (!mismatched.isEmpty()) {
                m.append("\n  mismatched (").append(mismatched.size()).append("): ").append(mismatched);
            }
            throw new InvalidFileException(WHAT, file, m.toString());
        }
        List<String> nonFinite = new ArrayList<>();
        for (SafeTensors.Entry e : toCopy.values()) {
            String where = e.nonFinite();
            if (where != null) {
                nonFinite.add(e.name() + ": " + where);
            }
        }
        if (!nonFinite.isEmpty()) {
            throw new InvalidFileException(WHAT, file, "non-finite weights in " + nonFinite.size() + " tensor(s), "
                    + examples(nonFinite) + "; a model holding them computes NaN (nothing loaded)");
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
     * when it is a 2-D [K, C] whose C is the width {@code base}'s classifier reads (else K is unchanged and
     * the load reports the mismatch). The file's K is held to [{@value InceptionV3.Config#MIN_NUM_CLASSES},
     * {@value InceptionV3.Config#MAX_NUM_CLASSES}] before anything is built from it; a [K, C] with the
     * right C is K·C values the file really holds, so the classifier built is no larger than the file.
     *
     * @throws InvalidFileException if {@code fc.weight} declares a class count outside the limits
     */
    public static InceptionV3.Config fitHeads(InceptionV3.Config base, SafeTensors st) {
        boolean aux = false;
        for (String name : st.entries().keySet()) {
            aux |= name.startsWith("AuxLogits.");
        }
        InceptionV3.Config c = base.withAuxLogits(aux);
        SafeTensors.Entry fc = st.entries().get("fc.weight");
        if (fc != null && fc.shape().length == 2) {
            int k = fc.shape()[0];
            if (k < InceptionV3.Config.MIN_NUM_CLASSES || k > InceptionV3.Config.MAX_NUM_CLASSES) {
                throw new InvalidFileException(WHAT, st.file(), "'fc.weight' has shape " + fc.tensorShape() + ": "
                        + k + " classes, outside [" + InceptionV3.Config.MIN_NUM_CLASSES + ", "
                        + InceptionV3.Config.MAX_NUM_CLASSES + "]");
            }
            if (fc.shape()[1] == classifierWidth(c)) {
                c = c.withNumClasses(k);
            }
        }
        return c;
    }

    /** C, the features the classifier of {@code config} reads: Mixed_7c's channels. */
    private static int classifierWidth(InceptionV3.Config config) {
        int side = config.minInput(false);
        return Summary.of(config, side, side, InceptionV3.Mode.EVAL).row("Mixed_7c").output().dim(0);
    }

    /**
     * Refuses a configuration read from {@code st}'s metadata that describes a model larger than the
     * tensors the file holds: a file that carries a whole model (exported weights, a checkpoint) holds at
     * least its P trainable values as F32, so a config whose {@link Summary} counts more than the file's
     * F32 values does not belong to the file, and building it would allocate what no file backs (a
     * tampered {@code model.widthMultiplier=4.0} in a small checkpoint asks for gigabytes). Nothing is built.
     *
     * @param what how the message names the file ("weights", "checkpoint")
     * @throws InvalidFileException naming the file, the configuration and both counts
     */
    public static void checkHolds(SafeTensors st, InceptionV3.Config config, String what) {
        long held = 0;
        for (SafeTensors.Entry e : st.entries().values()) {
            held += e.dtype() == SafeTensors.DType.F32 ? e.floats().length : 0;
        }
        checkHolds(held, st.file(), config, what);
    }

    /** {@link #checkHolds(SafeTensors, InceptionV3.Config, String)} from a header alone. */
    public static void checkHolds(SafeTensors.Header header, InceptionV3.Config config, String what) {
        checkHolds(header.f32Values(), header.file(), config, what);
    }

    private static void checkHolds(long held, java.nio.file.Path file, InceptionV3.Config config, String what) {
        int side = config.minInput(false);
        long needed = Summary.of(config, side, side, InceptionV3.Mode.EVAL).parameters();
        if (needed > held) {
            throw new InvalidFileException(what, file, String.format(java.util.Locale.ROOT,
                    "its metadata describes a model of %,d parameters (%d classes, width %s) but the file holds only"
                            + " %,d F32 values: the configuration does not belong to these tensors",
                    needed, config.numClasses(), config.widthMultiplier(), held));
        }
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
