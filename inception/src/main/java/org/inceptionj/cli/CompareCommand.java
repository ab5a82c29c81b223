package org.inceptionj.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.inceptionj.inception.io.SafeTensors;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Compares two safetensors files tensor by tensor, in the order of the first file: the porting
 * check's second half. Capture our modules with {@code forward --capture}, capture PyTorch's with
 * forward hooks saved under the same names, and the first row above the threshold is where the two
 * implementations part.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Compare the tensors two safetensors files share (e.g. forward --capture against PyTorch hooks):"
                + " relative L2 error and largest absolute difference per tensor, in the first file's order.")
final class CompareCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "A", description = "safetensors file (its order is the table's)")
    Path a;

    @Parameters(index = "1", paramLabel = "B", description = "safetensors file (the reference)")
    Path b;

    @Option(names = "--threshold", defaultValue = "1e-4",
            description = "Relative L2 error ||A-B||/||B|| above which a tensor is marked (default: ${DEFAULT-VALUE}, the issue's parity bound).")
    double threshold;

    @Override
    public Integer call() {
        if (!(threshold >= 0)) {
            throw new IllegalArgumentException("--threshold " + threshold + " must be >= 0");
        }
        SafeTensors x = SafeTensors.read(a), y = SafeTensors.read(b);
        var out = spec.commandLine().getOut();
        List<String> onlyA = new ArrayList<>(), onlyB = new ArrayList<>();
        String firstBad = null;
        int compared = 0;
        out.printf(Locale.ROOT, "%-16s %-20s %14s %14s%n", "tensor", "shape", "rel. L2", "max |A-B|");
        for (SafeTensors.Entry ea : x.entries().values()) {
            SafeTensors.Entry eb = y.entries().get(ea.name());
            if (eb == null) {
                onlyA.add(ea.name());
                continue;
            }
            if (ea.floats() == null || eb.floats() == null) {
                out.printf(Locale.ROOT, "%-16s not F32 in both files (%s, %s): skipped%n", ea.name(), ea.dtype(), eb.dtype());
                continue;
            }
            if (!ea.tensorShape().equals(eb.tensorShape())) {
                out.printf(Locale.ROOT, "%-16s shape %s in A, %s in B%n", ea.name(), ea.tensorShape(), eb.tensorShape());
                firstBad = firstBad == null ? ea.name() : firstBad;
                continue;
            }
            float[] p = ea.floats(), q = eb.floats();
            double diff = 0, norm = 0, max = 0;
            for (int i = 0; i < p.length; i++) {
                double d = (double) p[i] - q[i];
                diff += d * d;
                norm += (double) q[i] * q[i];
                max = Math.max(max, Math.abs(d));
            }
            double rel = norm == 0 ? (diff == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(diff / norm);
            boolean bad = !(rel <= threshold); // NaN counts as bad
            if (bad && firstBad == null) {
                firstBad = ea.name();
            }
            out.printf(Locale.ROOT, "%-16s %-20s %14.3e %14.3e%s%n", ea.name(), ea.tensorShape(), rel, max, bad ? "  <-" : "");
            compared++;
        }
        for (String name : y.entries().keySet()) {
            if (!x.entries().containsKey(name)) {
                onlyB.add(name);
            }
        }
        if (!onlyA.isEmpty() || !onlyB.isEmpty()) {
            out.println("only in A: " + onlyA + "; only in B: " + onlyB);
        }
        if (compared == 0) {
            throw new IllegalArgumentException(a + " and " + b + " share no F32 tensor of the same name");
        }
        out.println(firstBad == null ? "all " + compared + " shared tensors within " + threshold
                : "first tensor above " + threshold + ": " + firstBad);
        out.flush();
        return firstBad == null ? 0 : 1;
    }
}
