package org.inceptionj.bench.peers;

import java.nio.file.Path;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import org.inceptionj.bench.Turns;

/**
 * PyTorch's training step through DJL (engine {@code PyTorch}, libtorch from the offline
 * {@code pytorch-native-cpu} jar): the TorchScript module written by
 * {@code benchmarks/tools/make_torchscript_step.py}, whose {@code forward(images, labels)} makes one
 * whole step (forward, loss, backward, clipping, RMSProp, average) and returns the loss. Threads are
 * set before the engine starts, through DJL's {@code ai.djl.pytorch.num_threads} and
 * {@code ai.djl.pytorch.num_interop_threads}.
 */
final class TorchStep {
    private TorchStep() {
    }

    /**
     * Seconds per step of {@code ours} and of PyTorch's step, medians timed in turns ({@link Turns}), with
     * PyTorch's module loaded for the while.
     */
    static double[] medians(org.inceptionj.bench.SideBySideOptions o, float[] images, int[] labels, Turns.Call ours)
            throws Exception {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(o.threads()));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        // DJL's TorchScript graph optimizer (the profiling executor) is left as DJL sets it (on) unless the caller
        // sets -Dai.djl.pytorch.graph_optimizer: it moves this step's speed by a large factor (in training mode at
        // 75x75, batch 8, 2 threads, one run each on a loaded machine: 21.2 images/s on, 0.59 off), so the
        // setting is printed with the result.
        Path file = o.torchscript().toAbsolutePath();
        try (Model model = Model.newInstance("step", "PyTorch")) {
            // trainParam: keep requires_grad on the parameters (DJL turns it off by default, for inference).
            model.load(file.getParent(), file.getFileName().toString().replaceFirst("\\.pt$", ""),
                    java.util.Map.of("trainParam", "true"));
            // DJL loads a module in evaluation mode but its block believes it is training, so forward(…, true)
            // would not switch: set training mode (batch statistics, dropout, the aux head) explicitly.
            ai.djl.pytorch.jni.JniUtils.enableTrainingMode((ai.djl.pytorch.engine.PtSymbolBlock) model.getBlock());
            NDManager mgr = model.getNDManager();
            long[] y = new long[labels.length];
            for (int i = 0; i < y.length; i++) {
                y[i] = labels[i];
            }
            ParameterStore ps = new ParameterStore(mgr, false);
            ai.djl.ndarray.types.Shape shape = new ai.djl.ndarray.types.Shape(labels.length, 3,
                    (long) Math.sqrt(images.length / (3.0 * labels.length)), (long) Math.sqrt(images.length / (3.0 * labels.length)));
            try (NDManager scope = mgr.newSubManager()) {
                NDArray x = scope.create(images, shape);
                NDArray t = scope.create(y);
                float first = step(model, ps, x, t);
                if (!Float.isFinite(first)) {
                    throw new IllegalStateException("PyTorch step: loss " + first);
                }
                System.out.printf("PyTorch (DJL, libtorch %s, graph optimizer " + System.getProperty("ai.djl.pytorch.graph_optimizer", "on (DJL's default)")
                        + ", %s): first step's loss %.4f (cross-entropy, + 0.4 x aux when the file has the aux head)%n", ai.djl.engine.Engine.getEngine("PyTorch").getVersion(),
                        o.torchscript(), first);
                return Turns.medians(o.warmup(), o.steps(), ours, () -> step(model, ps, x, t));
            }
        }
    }

    private static float step(Model model, ParameterStore ps, NDArray x, NDArray y) {
        // DJL runs modules with autograd off unless told (libtorch's grad mode is per thread): the step's
        // torch.autograd.grad needs it on.
        ai.djl.pytorch.jni.JniUtils.setGradMode(true);
        try (NDManager tmp = x.getManager().newSubManager()) {
            NDList out = model.getBlock().forward(ps, new NDList(x, y), true);
            out.attach(tmp);
            return out.singletonOrThrow().getFloat();
        }
    }
}
