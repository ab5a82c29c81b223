"""Cross-check of `inceptionj export-onnx` against PyTorch, by hand (nothing in the build runs it).

  python check_onnx_export.py make DIR [tf]   writes DIR/weights.safetensors: torchvision's Inception3
                                              (tvinception.py from shared/peers/venv.sh) with random
                                              weights and random BN running statistics (so that folding
                                              them into the convolutions is exercised), and DIR/input.npy
  python check_onnx_export.py check DIR FILE.onnx [tf]
                                              runs FILE.onnx in ONNX Runtime and the same weights in
                                              PyTorch (eval) on DIR/input.npy; prints onnx.checker's verdict
                                              and the relative L2 error of the logits
`tf` builds the TF-slim variant (padding not counted in the branch pools, 1001 classes).
"""
import sys, os
import numpy as np
import torch

sys.path.insert(0, os.getcwd())
from tvinception import Inception3  # noqa: E402


def build(tf):
    torch.manual_seed(0)
    m = Inception3(num_classes=1001 if tf else 1000, aux_logits=True, transform_input=False, init_weights=True)
    if tf:
        import torch.nn.functional as F
        for name in ["Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e", "Mixed_7b", "Mixed_7c"]:
            blk = getattr(m, name)
            orig = blk._forward

            def fwd(x, blk=blk, orig=orig):
                # the same block with the average pool not counting padding
                saved = F.avg_pool2d
                F.avg_pool2d = lambda t, kernel_size, stride, padding: saved(t, kernel_size, stride, padding, count_include_pad=False)
                try:
                    return orig(x)
                finally:
                    F.avg_pool2d = saved
            blk._forward = fwd
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.copy_(torch.randn(mod.num_features, generator=g) * 0.2)
                mod.running_var.copy_(torch.rand(mod.num_features, generator=g) + 0.5)
                mod.weight.copy_(torch.rand(mod.num_features, generator=g) + 0.5)
                mod.bias.copy_(torch.randn(mod.num_features, generator=g) * 0.1)
    return m.eval()


def main():
    mode, d = sys.argv[1], sys.argv[2]
    tf = sys.argv[-1] == "tf"
    m = build(tf)
    if mode == "make":
        from safetensors.torch import save_file
        sd = {k: v.contiguous() for k, v in m.state_dict().items() if not k.endswith("num_batches_tracked")}
        save_file(sd, os.path.join(d, "weights.safetensors"))
        np.save(os.path.join(d, "input.npy"), np.random.default_rng(2).standard_normal((2, 3, 299, 299), dtype=np.float32))
        return
    import onnx
    import onnxruntime as ort
    f = sys.argv[3]
    onnx.checker.check_model(onnx.load(f), full_check=True)
    print("onnx.checker: ok (full_check)")
    x = np.load(os.path.join(d, "input.npy"))
    s = ort.InferenceSession(f, providers=["CPUExecutionProvider"])
    got = s.run(["logits"], {"input": x})[0]
    with torch.no_grad():
        want = m(torch.from_numpy(x)).numpy().astype(np.float64)
    rel = np.linalg.norm(got - want) / np.linalg.norm(want)
    print(f"logits {got.shape}: relative L2 ORT vs PyTorch = {rel:.3e}, max |diff| = {np.abs(got - want).max():.3e}")
    sys.exit(0 if rel <= 1e-4 else 1)


if __name__ == "__main__":
    main()
