"""Writes the PyTorch side of the side-by-side runner's training step as a TorchScript file, for DJL.

  python make_torchscript_step.py WEIGHTS.safetensors OUT.pt [noaux]

Run from a folder holding tvinception.py (shared/peers/venv.sh: `tvinception DIR`). WEIGHTS is the file the
runner writes (torchvision names, the same weights InceptionJ and ONNX Runtime use; its width must be 1).
OUT.pt's forward(images [N,3,H,W] float, labels [N] int64) makes one training step of the paper's recipe, as
InceptionJ's TrainStep with TrainConfig.paper() and shared/peers/torch_step.py do: training-mode forward,
label-smoothed (0.1) cross-entropy + 0.4 x the aux head's, L2 weight decay 4e-5 on the gradients, global-norm
clipping at 2.0, TF's RMSProp (rho 0.9, momentum 0.9, eps 1.0, mean square initialized to ones, lr 0.045) and
the parameter average (decay 0.9999); it returns the loss. Nothing in the build runs this script.
"""
import sys
import os
from typing import List

import torch
import torch.nn.functional as F

sys.path.insert(0, os.getcwd())
from tvinception import Inception3  # noqa: E402


class Step(torch.nn.Module):
    def __init__(self, net: torch.nn.Module, aux: bool):
        super().__init__()
        self.net = net
        self.aux = aux
        self.params = [p for p in net.parameters() if p.requires_grad]
        self.ms = [torch.ones_like(p) for p in self.params]
        self.mom = [torch.zeros_like(p) for p in self.params]
        self.ema = [p.detach().clone() for p in self.params]

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        # Inception3.forward minus its eager/scripted return switch (which warns on every scripted call)
        logits, aux_logits = self.net._forward(self.net._transform_input(images))
        loss = F.cross_entropy(logits, labels, label_smoothing=0.1)
        if self.aux and aux_logits is not None:
            loss = loss + 0.4 * F.cross_entropy(aux_logits, labels, label_smoothing=0.1)
        grads = torch.autograd.grad([loss], self.params)
        with torch.no_grad():
            gs: List[torch.Tensor] = []
            total = torch.zeros([], dtype=torch.float32)
            for i, g in enumerate(grads):
                assert g is not None
                g2 = g + 4e-5 * self.params[i]
                gs.append(g2)
                total = total + (g2 * g2).sum()
            scale = torch.clamp(2.0 / (torch.sqrt(total) + 1e-12), max=1.0)
            for i, p in enumerate(self.params):
                g = gs[i] * scale
                self.ms[i].mul_(0.9).addcmul_(g, g, value=0.1)
                self.mom[i].mul_(0.9).add_(0.045 * g / torch.sqrt(self.ms[i] + 1.0))
                p.sub_(self.mom[i])
                self.ema[i].mul_(0.9999).add_(p, alpha=0.0001)
        return loss.detach()


def main():
    weights, out = sys.argv[1], sys.argv[2]
    aux = not (len(sys.argv) > 3 and sys.argv[3] == "noaux")
    from safetensors.torch import load_file
    sd = load_file(weights)
    net = Inception3(num_classes=sd["fc.weight"].shape[0], aux_logits=aux, transform_input=False, init_weights=False)
    missing, unexpected = net.load_state_dict({k: v for k, v in sd.items() if aux or not k.startswith("AuxLogits.")},
                                              strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        sys.exit(f"{weights} does not match torchvision's Inception3: missing {missing[:5]}, unexpected {unexpected[:5]}")
    net.train()
    scripted = torch.jit.script(Step(net, aux))
    scripted.save(out)
    print(f"wrote {out} (torch {torch.__version__})")


if __name__ == "__main__":
    main()
