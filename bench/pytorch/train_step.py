"""PyTorch timing of the four reference training steps, for `train_step` comparisons on the
same machine in the same minute (the VM this project runs on swings +-20 % between minutes).

Not Zuko itself (no network here to install it): the same computation written from
../../../shared/spec/nsf-and-residual.md with the PyTorch operations Zuko uses - masked
F.linear with W * mask, ReLU/ELU, softmax / cumsum knots, searchsorted bin search, gather,
the rational-quadratic formulas, AdamW. Weights are random: the time does not depend on them.

    python bench/pytorch/train_step.py [--threads 1,2] [--models kin_base,...] [--json out.json]
    python bench/pytorch/train_step.py --check    # reference weights in, golden log p out
    python bench/pytorch/train_step.py --serve --threads 2   # timing on request (npm run bench)

`--check` loads the reference kin and score checkpoints (weights only: no pickle code runs)
and compares log p with ../shared/golden (Zuko's own numbers): the masks are Zuko's and log p
agrees to ~1e-5, so the timed code is Zuko's computation. Needs torch (CPU build);
`npm run bench` runs it in --serve mode when a Python with torch is found (FNF_BENCH_PYTHON).
"""
import argparse
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

BINS, BOUND, SLOPE, BATCH = 20, 5.0, 1e-3, 1024


def made_masks(features, context, per_feature, hidden, order):
    """Zuko's masks for F = 2 (spec 2.5): hidden unit h is in group h % 2; group 0 sees only the
    context, group 1 also the feature that comes first in `order`."""
    first = order.index(0)  # the feature with order 0 sees only the context
    second = 1 - first
    masks = []
    cols = features + context
    m0 = torch.zeros(hidden[0], cols, dtype=torch.bool)
    m0[:, features:] = True
    m0[1::2, first] = True
    masks.append(m0)
    for a, b in zip(hidden[:-1], hidden[1:]):
        m = torch.zeros(b, a, dtype=torch.bool)
        m[1::2, :] = True
        m[0::2, 0::2] = True
        masks.append(m)
    out = torch.zeros(features * per_feature, hidden[-1], dtype=torch.bool)
    out[second * per_feature:(second + 1) * per_feature, :] = True
    out[first * per_feature:(first + 1) * per_feature, 0::2] = True
    masks.append(out)
    return masks


class MaskedMLP(torch.nn.Module):
    def __init__(self, masks, activation):
        super().__init__()
        self.layers = torch.nn.ModuleList(torch.nn.Linear(m.shape[1], m.shape[0]) for m in masks)
        for i, m in enumerate(masks):
            self.register_buffer(f"mask{i}", m.float())
        self.activation = activation

    def forward(self, u):
        for i, layer in enumerate(self.layers):
            u = F.linear(u, layer.weight * getattr(self, f"mask{i}"), layer.bias)
            if i < len(self.layers) - 1:
                u = self.activation(u)
        return u


def rqs_forward(x, raw):
    """Monotonic RQS (spec 3.1-3.3): y and ln|dy/dx| per element; raw [..., 3K-1]."""
    lam = math.log(SLOPE)
    w, h, d = raw[..., :BINS], raw[..., BINS:2 * BINS], raw[..., 2 * BINS:]
    w = w / (1 + (2 * w / lam).abs())
    h = h / (1 + (2 * h / lam).abs())
    d = d / (1 + (d / lam).abs())
    pad = torch.zeros(raw.shape[:-1] + (1,))
    xs = BOUND * (2 * F.pad(torch.softmax(w, -1).cumsum(-1), (1, 0)) - 1)
    ys = BOUND * (2 * F.pad(torch.softmax(h, -1).cumsum(-1), (1, 0)) - 1)
    ds = torch.cat([pad, d, pad], -1).exp()
    k = torch.searchsorted(xs, x[..., None]) - 1
    inside = (k >= 0) & (k < BINS)
    k = k % BINS
    k1 = k + 1
    x0, x1 = xs.gather(-1, k).squeeze(-1), xs.gather(-1, k1).squeeze(-1)
    y0, y1 = ys.gather(-1, k).squeeze(-1), ys.gather(-1, k1).squeeze(-1)
    d0, d1 = ds.gather(-1, k).squeeze(-1), ds.gather(-1, k1).squeeze(-1)
    inside = inside.squeeze(-1)
    s = (y1 - y0) / (x1 - x0)
    z = inside * (x - x0) / (x1 - x0)
    den = s + (d0 + d1 - 2 * s) * z * (1 - z)
    y = y0 + (y1 - y0) * (s * z**2 + d0 * z * (1 - z)) / den
    jac = s**2 * (2 * s * z * (1 - z) + d0 * (1 - z) ** 2 + d1 * z**2) / den**2
    return torch.where(inside, y, x), inside * jac.log()


class NSF(torch.nn.Module):
    def __init__(self, context, transforms, hidden=(128, 128, 128)):
        super().__init__()
        per = 3 * BINS - 1
        self.hypers = torch.nn.ModuleList()
        for t in range(transforms):
            order = [0, 1] if t % 2 == 0 else [1, 0]
            self.hypers.append(MaskedMLP(made_masks(2, context, per, list(hidden), order), F.relu))

    def log_prob(self, x, c):
        ladj = 0
        for hyper in self.hypers:
            raw = hyper(torch.cat([x, c], -1)).view(x.shape[0], 2, -1)
            x, l = rqs_forward(x, raw)
            ladj = ladj + l.sum(-1)
        return -0.5 * (x**2).sum(-1) - 2 * 0.9189385332046727 + ladj


class Residual(torch.nn.Module):
    """One polynomial residual layer (spec 5.1), two nuisances, ELU nets."""

    def __init__(self, context, hidden):
        super().__init__()
        masks = made_masks(2, context, 4, list(hidden), [0, 1])
        self.nets = torch.nn.ModuleList(MaskedMLP(masks, F.elu) for _ in range(2))

    def forward(self, x, c, nu):
        s = t = 0
        for n, net in enumerate(self.nets):
            co = net(torch.cat([x, c], -1)).view(x.shape[0], 2, 4)
            v = nu[:, n:n + 1]
            v2 = (v * v) * 0.01
            s = s + co[..., 0] * v + co[..., 1] * v2
            t = t + co[..., 2] * v + co[..., 3] * v2
        return x * s.exp() + t, s.sum(-1)


class Corrected(torch.nn.Module):
    def __init__(self, base, context, layers, hidden):
        super().__init__()
        self.base = base
        for p in base.parameters():
            p.requires_grad_(False)
        self.layers = torch.nn.ModuleList(Residual(context, hidden) for _ in range(layers))

    def log_prob(self, x, c, nu):
        ladj = 0
        for i, layer in enumerate(self.layers):
            if i > 0:
                x = x.flip(-1)
            x, l = layer(x, c, nu)
            ladj = ladj + l
        if len(self.layers) % 2 == 0:
            x = x.flip(-1)
        return self.base.log_prob(x, c) + ladj


def build(name):
    kin = name.startswith("kin")
    context = 2 if kin else 4
    base = NSF(context, 2 if kin else 3)
    cls = torch.nn.functional.one_hot(torch.randint(0, 2, (BATCH,)), 2).float()
    c = cls if kin else torch.cat([cls, torch.randn(BATCH, 2)], -1)
    x = torch.randn(BATCH, 2)
    if name.endswith("base"):
        return base, lambda: base.log_prob(x, c)
    model = Corrected(base, context, 1 if kin else 2, (128, 128) if kin else (128, 128, 128))
    nu = torch.tensor([[1.0, 0], [-1, 0], [0, 1], [0, -1]]).repeat_interleave(BATCH // 4, 0)
    return model, lambda: model.log_prob(x, c, nu)


def stepper(name):
    """A function running n AdamW steps of model `name` (after 10 untimed warm-up steps)."""
    torch.manual_seed(0)
    model, log_prob = build(name)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)

    def steps(n):
        for _ in range(n):
            opt.zero_grad()
            (-log_prob().mean()).backward()
            opt.step()

    steps(10)
    return steps


def time_step(name, reps=9, steps=10):
    run = stepper(name)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        run(steps)
        times.append((time.perf_counter() - t0) / steps * 1000)
    return sorted(times)[reps // 2]


def serve(threads):
    """Timing on request, for a caller that interleaves its own rounds with ours (bench/pytorch-peer.ts).
    Each stdin line "MODEL N" runs N steps of MODEL and answers one line: ms per step."""
    torch.set_num_threads(threads)
    runs = {}
    print(f"ready torch {torch.__version__}", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        name, n = words[0], int(words[1])
        if name not in runs:
            runs[name] = stepper(name)
        t0 = time.perf_counter()
        runs[name](n)
        print(f"{(time.perf_counter() - t0) / n * 1000:.4f}", flush=True)


def check(shared):
    """The base flows with the reference weights against Zuko's golden log p."""
    for name, file, context, transforms in [("kin", "kin_density", 2, 2), ("score", "score_density", 4, 3)]:
        sd = torch.load(f"{shared}/reference-models/{file}.pt", map_location="cpu", weights_only=True)
        flow = NSF(context, transforms)
        for t, hyper in enumerate(flow.hypers):
            for i, layer in enumerate(hyper.layers):
                key = f"transform.transforms.{t}.hyper.{2 * i}"
                layer.weight.data = sd[f"{key}.weight"].float()
                layer.bias.data = sd[f"{key}.bias"].float()
                if not torch.equal(getattr(hyper, f"mask{i}").bool(), sd[f"{key}.mask"].bool()):
                    raise SystemExit(f"{name}: mask of transform {t} layer {i} differs from the checkpoint")
        with open(f"{shared}/golden/{name}_base.json") as f:
            golden = json.load(f)["forward"]
        inputs = golden["inputs"]
        x = torch.tensor(inputs["y"] if "y" in inputs else inputs["x"], dtype=torch.float32).view(-1, 2)
        c = torch.tensor(inputs["c"] if name == "kin" else inputs["context"], dtype=torch.float32).view(x.shape[0], -1)
        with torch.no_grad():
            diff = (flow.log_prob(x, c) - torch.tensor(golden["f32"]["log_prob"])).abs().max().item()
        print(f"{name} base: masks as in the checkpoint; log p vs Zuko's golden: max |diff| {diff:.2e} ({x.shape[0]} points)")
        if not diff < 1e-4:
            raise SystemExit(f"{name}: log p differs from the golden values by {diff}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--models", default="kin_base,score_base,kin_residual,score_residual")
    ap.add_argument("--json")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--serve", action="store_true", help="answer 'MODEL N' lines on stdin (threads: the first of --threads)")
    args = ap.parse_args()
    if args.check:
        check(args.shared)
        return
    if args.serve:
        serve(int(args.threads.split(",")[0]))
        return
    results = []
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        for name in args.models.split(","):
            ms = time_step(name)
            results.append({"name": f"train_step.{name}", "backend": "pytorch", "threads": threads, "value": round(ms, 3), "unit": "ms"})
            print(f"train_step.{name:16s} pytorch {threads} {ms:8.2f} ms", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
