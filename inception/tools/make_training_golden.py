#!/usr/bin/env python3
"""Makes the end-to-end training golden trace: one training step of torchvision's Inception-v3, by PyTorch.

Usage: make_training_golden.py OUT_FILE

Writes OUT_FILE (safetensors, about 1 MB), which TrainingStepGoldenTest checks the model against on
whichever backend the tests run on:

  * the network: torchvision's Inception3 (models/inception.py, read from the installed torchvision),
    10 classes, aux head on, dropout 0, transform_input off, every BasicConv2d's output channels d
    made max(floor(d * WIDTH), 16) (TF-slim's depth multiplier, as InceptionJ's --width), in float64;
  * the weights: every tensor of the state dict (num_batches_tracked aside) drawn from InceptionJ's
    RandomStream, uniform on [lo, hi) with a seed of its own, re-implemented below bit for bit
    (SplitMix64 finalizer over a counter, 24 bits, a + (b - a) * u in float32); convolutions and the
    classifiers He-uniform, batch norm's gamma in [0.5, 1.5), beta in [1, 2) (see init_range), running mean in
    [-0.2, 0.2), running variance in [0.5, 1.5), so that a swapped or dropped tensor shows;
  * the input: N images 3 x SIZE x SIZE, uniform on [-1, 1) from RandomStream, and fixed labels;
  * one step in training mode (batch statistics, running statistics updated with momentum 0.1 and the
    unbiased variance): loss = CE(logits) + 0.4 * CE(aux_logits), each the mean over the batch of the
    label-smoothed cross-entropy with epsilon 0.1 (torch.nn.CrossEntropyLoss(label_smoothing=0.1)),
    which is the paper's loss as InceptionJ's TrainStep computes it; then backward.

Saved, as float32: input_head (the input's first 64 values, to check the RandomStream port), logits, aux_logits, loss (the main term), aux_loss, total_loss, grad.<name> for every
trainable parameter, and running.<name> for every batch-norm running statistic after the step. The
metadata holds the configuration, each tensor's seed and range (init.<name> = "seed lo hi"), the
input's and the labels. The reference is computed in float64 from the float32 weights and input, so
what the test measures is the float32 error of the model under test.

Needs torch, numpy and safetensors. torchvision itself is not imported (its compiled operators need a
matching torch build): only its models/inception.py source is read and run.
"""
import importlib.util
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from safetensors.numpy import save_file

WIDTH = 0.0625          # every convolution's channels: max(floor(d * WIDTH), 16)
SIZE = 299              # the smallest input the aux head takes in training (17 x 17 before it)
N = 4                   # batch; the aux head's last batch norm normalizes over N values
NUM_CLASSES = 10
LABELS = [3, 7, 1, 9]
LABEL_SMOOTHING = 0.1
AUX_WEIGHT = 0.4
INPUT_SEED = 20251205
FIRST_SEED = 1000       # the sorted state-dict names get seeds FIRST_SEED, FIRST_SEED + 1, ...

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def mix(seed, counters):
    """RandomStream.mix(seed, counter) over an array of counters (Java's long arithmetic, wrapping)."""
    z = (np.uint64(seed & MASK) + (counters.astype(np.uint64) + np.uint64(1)) * np.uint64(GOLDEN))
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def uniform(seed, n, lo, hi):
    """RandomStream.sample(UNIFORM, seed, i, lo, hi) for i in [0, n): lo + (hi - lo) * u, in float32."""
    with np.errstate(over="ignore"):
        u = (mix(seed, np.arange(n, dtype=np.uint64)) >> np.uint64(40)).astype(np.float32) * np.float32(2.0 ** -24)
    a, b = np.float32(lo), np.float32(hi)
    return a + (b - a) * u


def torchvision_inception():
    """torchvision's models/inception.py as a module, without importing the torchvision package."""
    spec = importlib.util.find_spec("torchvision")
    path = os.path.join(os.path.dirname(spec.origin), "models", "inception.py")
    src = open(path, encoding="utf-8").read()
    lines = [l for l in src.split("\n") if not (l.startswith("from ..") or l.startswith("from ._"))]
    src = "\n".join(lines)
    src = src[:src.find("class Inception_V3_Weights")].replace("_log_api_usage_once(self)", "pass")
    module = type(sys)("tvinception")
    exec(compile(src, path, "exec"), module.__dict__)
    return module


def build():
    tv = torchvision_inception()

    class BasicConv2d(nn.Module):
        """torchvision's BasicConv2d with its output channels scaled; the input channels are inferred."""
        def __init__(self, in_channels, out_channels, **kwargs):
            super().__init__()
            self.conv = nn.LazyConv2d(max(int(out_channels * WIDTH), 16), bias=False, **kwargs)
            self.bn = nn.BatchNorm2d(max(int(out_channels * WIDTH), 16), eps=0.001)

        def forward(self, x):
            return torch.relu(self.bn(self.conv(x)))

    class Linear(nn.LazyLinear):
        """The classifiers keep their K outputs; their inputs are the scaled channels."""
        def __init__(self, in_features, out_features, *args, **kwargs):
            super().__init__(out_features)

    tv.BasicConv2d = BasicConv2d
    linear = nn.Linear
    nn.Linear = Linear
    try:
        model = tv.Inception3(num_classes=NUM_CLASSES, aux_logits=True, transform_input=False, init_weights=False,
                              dropout=0.0)
    finally:
        nn.Linear = linear
    model.train()
    with torch.no_grad():
        model(torch.zeros(2, 3, SIZE, SIZE))     # materializes the lazy layers (weights are set below)
    return model


def fan_in(t):
    return int(np.prod(t.shape[1:]))


def init_range(name, t):
    if name.endswith("conv.weight"):
        b = float(np.sqrt(6.0 / fan_in(t)))
        return -b, b
    if name.endswith("fc.weight"):
        b = float(np.sqrt(3.0 / fan_in(t)))
        return -b, b
    if name.endswith("fc.bias"):
        return -0.1, 0.1
    if name.endswith("bn.weight"):
        return 0.5, 1.5
    if name.endswith("bn.bias"):
        # Most ReLU inputs positive: few sit near the kink, where float32 and float64 may take different
        # sides. With beta centred on 0 one such flip in an 8 x 8 channel of Mixed_7c moved every
        # gradient upstream of it by about 2%, in PyTorch's own float32 as much as in InceptionJ.
        return 1.0, 2.0
    if name.endswith("running_mean"):
        return -0.2, 0.2
    if name.endswith("running_var"):
        return 0.5, 1.5
    raise ValueError("no initial range for " + name)


def f32(x):
    """The shortest decimal that reads back as this float32 in Java's Float.parseFloat and here."""
    return repr(float(np.float32(x)))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    torch.manual_seed(0)
    model = build().double()
    metadata = {
        "format": "inceptionj training golden trace 1",
        "made_by": "inception/tools/make_training_golden.py with torch " + torch.__version__,
        "width_multiplier": repr(WIDTH),
        "num_classes": str(NUM_CLASSES),
        "aux_logits": "true",
        "count_include_pad": "true",
        "dropout": "0",
        "label_smoothing": repr(LABEL_SMOOTHING),
        "aux_weight": repr(AUX_WEIGHT),
        "input_shape": ",".join(str(d) for d in (N, 3, SIZE, SIZE)),
        "input": "%d %s %s" % (INPUT_SEED, f32(-1.0), f32(1.0)),
        "labels": ",".join(str(l) for l in LABELS),
    }
    state = model.state_dict()
    names = sorted(n for n in state if not n.endswith("num_batches_tracked"))
    with torch.no_grad():
        for k, name in enumerate(names):
            t = state[name]
            lo, hi = init_range(name, t)
            seed = FIRST_SEED + k
            values = uniform(seed, t.numel(), lo, hi).reshape(tuple(t.shape))
            t.copy_(torch.from_numpy(values.astype(np.float64)))
            metadata["init." + name] = "%d %s %s" % (seed, f32(lo), f32(hi))

    x = torch.from_numpy(uniform(INPUT_SEED, N * 3 * SIZE * SIZE, -1.0, 1.0).astype(np.float64)).reshape(N, 3, SIZE, SIZE)
    y = torch.tensor(LABELS)
    model.train()
    logits, aux_logits = model(x)
    ce = nn.CrossEntropyLoss(label_smoothing=LABEL_SMOOTHING)
    loss, aux_loss = ce(logits, y), ce(aux_logits, y)
    total = loss + AUX_WEIGHT * aux_loss
    total.backward()

    tensors = {
        "input_head": x.reshape(-1)[:64].detach(),      # the port of RandomStream is checked on these, exactly
        "logits": logits.detach(),
        "aux_logits": aux_logits.detach(),
        "loss": loss.detach().reshape(1),
        "aux_loss": aux_loss.detach().reshape(1),
        "total_loss": total.detach().reshape(1),
    }
    params = dict(model.named_parameters())
    for name in names:
        if name in params:
            if params[name].grad is None:
                raise RuntimeError(name + " received no gradient")
            tensors["grad." + name] = params[name].grad
        else:
            tensors["running." + name] = model.state_dict()[name]
    arrays = {k: np.ascontiguousarray(v.numpy().astype(np.float32)) for k, v in tensors.items()}
    save_file(arrays, out, metadata=metadata)
    size = os.path.getsize(out)
    print("%s: %d tensors, %d trainable parameters, %d bytes; loss %.6f, aux loss %.6f" % (
        out, len(arrays), sum(p.numel() for p in params.values()), size, loss.item(), aux_loss.item()))


if __name__ == "__main__":
    main()
