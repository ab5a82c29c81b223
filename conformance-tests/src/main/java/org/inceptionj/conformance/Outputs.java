package org.inceptionj.conformance;

import java.util.ArrayList;
import java.util.List;

import org.inceptionj.api.Tensor;

/**
 * What one run of an op on a backend produced, for {@link BackendConformance#verify}: named output
 * tensors, each checked against one of the expected results. An output added with
 * {@link #repeat} must in addition carry the same values, bit for bit, as an earlier one (the
 * same computation into a NaN-filled tensor: determinism, and proof that outputs are overwritten
 * rather than accumulated into).
 */
public final class Outputs {
    /** One output: its name, tensor, the index of its expected result, and the output it repeats (or −1). */
    public record Output(String name, Tensor tensor, int expected, int repeats) {
    }

    private final List<Output> list = new ArrayList<>();

    /** An output checked against expected result {@code expected}. */
    public Outputs add(String name, Tensor tensor, int expected) {
        list.add(new Output(name, tensor, expected, -1));
        return this;
    }

    /** An output checked against the next expected result (one past the highest used so far). */
    public Outputs add(String name, Tensor tensor) {
        int next = 0;
        for (Output o : list) {
            next = Math.max(next, o.expected() + 1);
        }
        return add(name, tensor, next);
    }

    /**
     * An output that repeats output {@code of} (index in this list): it must hold the same bits,
     * and it is checked against the same expected result.
     */
    public Outputs repeat(String name, Tensor tensor, int of) {
        list.add(new Output(name, tensor, list.get(of).expected(), of));
        return this;
    }

    public List<Output> list() {
        return list;
    }
}
