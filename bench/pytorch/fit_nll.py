"""PyTorch peer of the fit benchmark `fit.nll_grad.<n>` (issue 16): the flow model's mixture NLL and its
gradient with respect to (mu, nu) over the same events, with the same shipped weights, as a PyTorch user
would write it - nu a leaf with requires_grad, every weight frozen, one log_prob call per class and
model, autograd for the gradient:

    log p_c(e | nu) = log p_kin(x | c, nu) + log p_score(y | [c, x], nu)        c = A = [1, 0], B = [0, 1]
    NLL(mu, nu) = -sum_i log(mu p_A,i + (1 - mu) p_B,i) + 1/2 sum_k (nu_k - nu~_k)^2   (nu~ = 0)

The model code is train_step.py's (Zuko's computation written from the spec: masked F.linear, the
rational-quadratic spline, the polynomial residual layer and reversal). The weights come from the
residual models' safetensors files in models/ (each holds its frozen base under `base_model.`); the
masks are checked against the files' masks, as train_step.py --check does with the reference .pt.

Why a hand-written safetensors reader (read_safetensors): the torch venv of the bench has no
`safetensors` package and the format is an 8-byte header length, a JSON header and raw little-endian
arrays - a dozen lines with torch.frombuffer.

    python bench/pytorch/fit_nll.py --serve --threads 2      # driven by bench/fit.bench.ts
Requests on stdin, one answer line each:
    load EVENTS_FILE N   events: N rows of x (f32, 2 per row) then N rows of y      -> "ok N"
    threads T            torch.set_num_threads(T)                                   -> "ok T"
    nll MU NU_0 NU_1     NLL and gradient (mu, nu_0, nu_1), repr precision         -> "nll g0 g1 g2"
    time R [CHUNK]       R NLL + gradient calls, each at a new nu, the events in     -> wall and CPU ms per call
                         slices of CHUNK rows (default: all at once)
"""
import argparse
import json
import os
import struct
import sys
import time

import torch

from train_step import NSF, Corrected

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "..", "models")
DTYPES = {"F32": torch.float32, "I64": torch.int64, "BOOL": torch.bool}


def read_safetensors(path):
    """name -> tensor, and the file's metadata (architecture as JSON text)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    body = memoryview(data)[8 + n:]
    out = {}
    for name, t in header.items():
        if t["dtype"] not in DTYPES:
            raise SystemExit(f"{path}: tensor {name} has dtype {t['dtype']}, expected one of {list(DTYPES)}")
        lo, hi = t["data_offsets"]
        raw = bytes(body[lo:hi])
        flat = torch.frombuffer(bytearray(raw), dtype=DTYPES[t["dtype"]]) if hi > lo else torch.empty(0)
        out[name] = flat.reshape(t["shape"]).clone()
    return out, meta


def set_mlp(mlp, sd, key_of_layer, where):
    """Weights, biases of a MaskedMLP from the state dict; its masks must equal the file's."""
    for i, layer in enumerate(mlp.layers):
        key = key_of_layer(i)
        layer.weight.data = sd[f"{key}.weight"].float()
        layer.bias.data = sd[f"{key}.bias"].float()
        if not torch.equal(getattr(mlp, f"mask{i}").bool(), sd[f"{key}.mask"].bool()):
            raise SystemExit(f"{where}: mask of {key} differs from the file's")


def load_corrected(file):
    """A residual model (frozen base + residual stack) with the file's weights, every weight frozen."""
    sd, meta = read_safetensors(os.path.join(MODELS, file))
    arch = json.loads(meta["architecture"])
    base_arch = arch["base"]
    base = NSF(base_arch["context"], base_arch["transforms"], tuple(base_arch["hidden_features"]))
    for t, hyper in enumerate(base.hypers):
        set_mlp(hyper, sd, lambda i, t=t: f"base_model.transform.transforms.{t}.hyper.{2 * i}", file)
    layers = arch["num_residual_layers"]
    model = Corrected(base, arch["context_dim"], layers, tuple(arch["hidden_features"]))
    for li, layer in enumerate(model.layers):
        j = 2 * li  # stack index: a reversal sits between residual layers
        for n, net in enumerate(layer.nets):
            set_mlp(net, sd, lambda i, j=j, n=n: f"transforms.{j}.nuisance_nets.{n}.{2 * i}", file)
        for name in ("central_nuisance_values", "nuisance_scales"):
            want = [0.0, 0.0] if name.startswith("central") else [1.0, 1.0]
            if sd[f"transforms.{j}.{name}"].tolist() != want:
                raise SystemExit(f"{file}: transforms.{j}.{name} is not {want} (the peer assumes it)")
    for p in model.parameters():
        p.requires_grad_(False)
    return model


class FlowNLL:
    """The mixture NLL of the fit over one sample, kin and score residual models."""

    def __init__(self, x, y):
        self.kin = load_corrected("kin_density_residuals.safetensors")
        self.score = load_corrected("score_density_residuals.safetensors")
        n = x.shape[0]
        self.x, self.y = x, y
        one_hot = torch.eye(2)
        self.ctx = [one_hot[c].expand(n, 2) for c in (0, 1)]
        self.sctx = [torch.cat([self.ctx[c], x], -1) for c in (0, 1)]

    def __call__(self, mu, nu, chunk=0):
        """NLL and its gradient in (mu, nu): mu, nu leaves with requires_grad. With `chunk`, the events in
        slices of that many rows, each slice's backward accumulating into mu.grad, nu.grad (what a user does
        when the whole sample's autograd graph is too big; faster here too: the graph stays in cache)."""
        n = self.x.shape[0]
        step = chunk if chunk > 0 else n
        nll = 0.5 * (nu.double() ** 2).sum()
        nll.backward()
        total = nll.item()
        for a in range(0, n, step):
            rows = slice(a, min(n, a + step))
            nus = nu.expand(rows.stop - a, 2)
            lp = [self.kin.log_prob(self.x[rows], self.ctx[c][rows], nus)
                  + self.score.log_prob(self.y[rows], self.sctx[c][rows], nus) for c in (0, 1)]
            part = -torch.logaddexp(torch.log(mu) + lp[0], torch.log1p(-mu) + lp[1]).double().sum()
            part.backward()
            total += part.item()
        return total, [mu.grad.item(), *nu.grad.tolist()]


def leaves(mu, nu0, nu1):
    """mu in float64 (its gradient sums every event: in float32 that sum alone is off by ~1e-4 at 100k
    events; the mixture then runs in float64, as ours does); nu in float32, the models' type."""
    return (torch.tensor(mu, dtype=torch.float64, requires_grad=True),
            torch.tensor([nu0, nu1], dtype=torch.float32, requires_grad=True))


def serve(threads):
    torch.set_num_threads(threads)
    print(f"ready torch {torch.__version__}", flush=True)
    fn = None
    calls = 0
    for line in sys.stdin:
        w = line.split()
        if not w:
            continue
        if w[0] == "quit":
            break
        if w[0] == "load":
            n = int(w[2])
            raw = torch.from_file(w[1], size=4 * n, dtype=torch.float32)
            fn = FlowNLL(raw[:2 * n].reshape(n, 2).clone(), raw[2 * n:].reshape(n, 2).clone())
            print(f"ok {n}", flush=True)
        elif w[0] == "threads":
            torch.set_num_threads(int(w[1]))
            print(f"ok {torch.get_num_threads()}", flush=True)
        elif w[0] == "nll":
            nll, g = fn(*leaves(float(w[1]), float(w[2]), float(w[3])))
            print(" ".join(repr(v) for v in [nll, *g]), flush=True)
        elif w[0] == "time":
            r = int(w[1])
            chunk = int(w[2]) if len(w) > 2 else 0
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(r):
                calls += 1  # a new nu each call, as the fit's bench does (nothing cached anywhere)
                fn(*leaves(0.3, 0.4 + 1e-3 * calls, -0.3), chunk)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            print(f"{wall / r * 1000:.4f} {cpu / r * 1000:.4f}", flush=True)
        else:
            print(f"error: unknown request {w[0]!r}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if not args.serve:
        raise SystemExit("fit_nll.py runs as the peer of bench/fit.bench.ts: --serve [--threads N]")
    serve(args.threads)


if __name__ == "__main__":
    main()
