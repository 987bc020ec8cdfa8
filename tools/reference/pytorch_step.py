#!/usr/bin/python3
"""Times minibert's float32 training step in PyTorch, for the "Making it fast" chapter to show beside its own.

Run BY HAND from the project folder (never by the build), with Debian's python3-torch:

    /usr/bin/python3 tools/reference/pytorch_step.py [--rounds 4] [--steps 12] [--out FILE]

The step is the one minibert's trainer takes (BertLearner.accumulate and update): the BERT of
configs/model/mini-bert.yaml in float32, batch and length from configs/train/pretrain.yaml (32 x 64), dropout
on as in training, the MLM head run at the masked rows only (15% of the tokens, as the config's
mask_probability), the mean cross-entropy there, backward, global-norm clipping at max_grad_norm, and AdamW
(weight decay on matrices only). The model is written here in plain torch.nn.functional, the same model
bert_reference.py checks minibert against, with the dropout of training added.

Debian's python3-torch calls the BLAS behind libblas.so.3, which on a machine with only libblas3 is the
reference (Netlib) BLAS: about 14 s a step here, far from what PyTorch can do. For a fair comparison install
OpenBLAS (`apt-get install libopenblas0-openmp`, the OpenMP build, so that its threads are torch's); the script
then loads it in its measuring processes through LD_LIBRARY_PATH (--blas, default: the first openblas-openmp,
openblas-pthread or openblas-serial folder found), whatever libblas.so.3 the system's alternatives name, and
records which BLAS library each process had mapped.

Each thread setting (torch.set_num_threads 1 and 2, with OMP_NUM_THREADS and OPENBLAS_NUM_THREADS set to the
same number before torch starts) runs in a process of its own; the settings take turns, round after round, so
that other work on a shared machine slows all of them alike. Every round warms up first (untimed steps), then
times --steps steps; a setting's figure is the median of all its timed steps, with the slowest and fastest.
The result, with its provenance (torch version and package, threads, machine, date, the command), is written
atomically to --out (default src/main/resources/recorded/pytorch-step.json), which the book shows as recorded.
"""

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT_VERSION = 1


def read_yaml_scalars(path):
    """The `key: value` lines of a flat YAML file, comments stripped (the project's configs are flat)."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].rstrip()
        if not line or ":" not in line:
            continue
        key, value = line.split(":", 1)
        out[key.strip()] = value.strip()
    return out


def configs():
    train = read_yaml_scalars(ROOT / "configs/train/pretrain.yaml")
    model = read_yaml_scalars((ROOT / "configs/train" / train["model"]).resolve())
    return model, train


# ---------------------------------------------------------------------------------------------------------
# One measurement process
# ---------------------------------------------------------------------------------------------------------

def measure(threads, warm_up, steps, seed):
    """Runs in a fresh process: returns the seconds of `steps` timed steps after `warm_up` untimed ones."""
    import time
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    m, t = configs()
    V, H, L, A = int(m["vocab_size"]), int(m["hidden_size"]), int(m["num_hidden_layers"]), int(m["num_attention_heads"])
    I, P, eps = int(m["intermediate_size"]), int(m["max_position_embeddings"]), float(m["layer_norm_eps"])
    p_hidden, p_attn, std = float(m["hidden_dropout_prob"]), float(m["attention_probs_dropout_prob"]), float(m["initializer_range"])
    B, T = int(t["batch_size"]), int(t["sequence_length"])
    mask_p, lr, wd = float(t["mask_probability"]), float(t["learning_rate"]), float(t["weight_decay"])
    betas, adam_eps, clip = (float(t["adam_beta1"]), float(t["adam_beta2"])), float(t["adam_epsilon"]), float(t["max_grad_norm"])
    d = H // A
    f32 = torch.float32

    def w(*shape):
        return torch.nn.Parameter(torch.nn.init.trunc_normal_(torch.empty(*shape, dtype=f32), std=std, a=-2 * std, b=2 * std))

    def zeros(n):
        return torch.nn.Parameter(torch.zeros(n, dtype=f32))

    def ones(n):
        return torch.nn.Parameter(torch.ones(n, dtype=f32))

    word, pos, typ = w(V, H), w(P, H), w(2, H)
    params = {"word": word, "pos": pos, "type": typ, "emb_g": ones(H), "emb_b": zeros(H)}
    for l in range(L):
        for n in ("q", "k", "v", "o"):
            params[f"{l}.{n}.w"], params[f"{l}.{n}.b"] = w(H, H), zeros(H)
        params[f"{l}.ln1.g"], params[f"{l}.ln1.b"] = ones(H), zeros(H)
        params[f"{l}.up.w"], params[f"{l}.up.b"] = w(I, H), zeros(I)
        params[f"{l}.down.w"], params[f"{l}.down.b"] = w(H, I), zeros(H)
        params[f"{l}.ln2.g"], params[f"{l}.ln2.b"] = ones(H), zeros(H)
    params.update({"head.w": w(H, H), "head.b": zeros(H), "head.g": ones(H), "head.beta": zeros(H), "dec.b": zeros(V)})
    p = params

    def forward(ids, types, attention, labels):
        x = word[ids] + pos[torch.arange(T)].unsqueeze(0) + typ[types]                  # [B, T, H]
        x = F.dropout(F.layer_norm(x, (H,), p["emb_g"], p["emb_b"], eps), p_hidden, True)
        additive = (1.0 - attention[:, None, None, :].to(f32)) * -10000.0
        for l in range(L):
            def split(y):
                return y.view(B, T, A, d).transpose(1, 2)
            q = split(F.linear(x, p[f"{l}.q.w"], p[f"{l}.q.b"]))
            k = split(F.linear(x, p[f"{l}.k.w"], p[f"{l}.k.b"]))
            v = split(F.linear(x, p[f"{l}.v.w"], p[f"{l}.v.b"]))
            probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + additive, dim=-1)
            ctx = (F.dropout(probs, p_attn, True) @ v).transpose(1, 2).reshape(B, T, H)
            a = F.dropout(F.linear(ctx, p[f"{l}.o.w"], p[f"{l}.o.b"]), p_hidden, True)
            h = F.layer_norm(x + a, (H,), p[f"{l}.ln1.g"], p[f"{l}.ln1.b"], eps)
            f = F.linear(F.gelu(F.linear(h, p[f"{l}.up.w"], p[f"{l}.up.b"])), p[f"{l}.down.w"], p[f"{l}.down.b"])
            x = F.layer_norm(h + F.dropout(f, p_hidden, True), (H,), p[f"{l}.ln2.g"], p[f"{l}.ln2.b"], eps)
        rows = labels.view(-1) != -100                                                   # the masked rows only
        hm = x.reshape(B * T, H)[rows]                                                   # [M, H]
        hm = F.layer_norm(F.gelu(F.linear(hm, p["head.w"], p["head.b"])), (H,), p["head.g"], p["head.beta"], eps)
        logits = F.linear(hm, word, p["dec.b"])                                          # [M, V], tied decoder
        return F.cross_entropy(logits, labels.view(-1)[rows])

    decay = [v for k, v in p.items() if v.dim() == 2]
    no_decay = [v for k, v in p.items() if v.dim() != 2]
    # foreach=True: the multi-tensor AdamW, PyTorch's fastest on the CPU in 1.13
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=lr, betas=betas, eps=adam_eps, foreach=True)
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, V, (B, T), generator=g)
    types = torch.zeros(B, T, dtype=torch.long)
    attention = torch.ones(B, T, dtype=torch.long)
    chosen = torch.rand(B, T, generator=g) < mask_p
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    masked = int(chosen.sum())
    all_params = list(p.values())

    def step():
        optimizer.zero_grad(set_to_none=False)
        loss = forward(ids, types, attention, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(all_params, clip)
        optimizer.step()
        return loss

    for _ in range(warm_up):
        step()
    seconds = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - t0)
    blas = sorted({line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines()
                   if "blas" in line.rsplit("/", 1)[-1] and line.split()[-1].startswith("/")})
    return {"seconds": seconds, "masked": masked, "torch_threads": torch.get_num_threads(), "blas": blas,
            "parallel_info": torch.__config__.parallel_info().splitlines()[:6]}


# ---------------------------------------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------------------------------------

def torch_package():
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}", "python3-torch"],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        return None


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def default_blas():
    """The folder of the first OpenBLAS build of Debian's found, or "system" (whatever libblas.so.3 is)."""
    for flavour in ("openblas-openmp", "openblas-pthread", "openblas-serial"):
        folder = Path("/usr/lib/x86_64-linux-gnu") / flavour
        if (folder / "libblas.so.3").exists():
            return str(folder)
    return "system"


def child(threads, warm_up, steps, seed, blas):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    if blas != "system":
        env["LD_LIBRARY_PATH"] = blas + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    out = subprocess.run([sys.executable, __file__, "--child", str(threads), "--warm-up", str(warm_up), "--steps", str(steps),
                          "--seed", str(seed)], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def write_atomically(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name, suffix=".part")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=4, help="rounds in which every thread setting runs once")
    parser.add_argument("--steps", type=int, default=12, help="timed steps per setting and round")
    parser.add_argument("--warm-up", type=int, default=4, help="untimed steps before each round's timed ones")
    parser.add_argument("--threads", default="1,2", help="thread settings to try, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--blas", default=default_blas(),
                        help="folder holding the libblas.so.3 to load, or 'system' (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=ROOT / "src/main/resources/recorded/pytorch-step.json")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.child, args.warm_up, args.steps, args.seed)))
        return

    settings = [int(x) for x in args.threads.split(",")]
    seconds = {n: [] for n in settings}
    info = {}
    load_before = load_average()
    started = datetime.datetime.now(datetime.timezone.utc)
    for r in range(args.rounds):
        order = settings[r % len(settings):] + settings[:r % len(settings)]      # turns by one each round
        for n in order:
            result = child(n, args.warm_up, args.steps, args.seed, args.blas)
            seconds[n].extend(result["seconds"])
            info[n] = result
            print(f"round {r + 1}/{args.rounds}, {n} thread(s): median {statistics.median(result['seconds']):.3f} s",
                  file=sys.stderr, flush=True)
    import torch
    m, t = configs()
    runs = []
    for n in settings:
        s = sorted(seconds[n])
        runs.append({"threads": n, "torch_threads": info[n]["torch_threads"], "median_seconds": statistics.median(s),
                     "min_seconds": s[0], "max_seconds": s[-1], "timed_steps": len(s)})
    best = min(runs, key=lambda x: x["median_seconds"])
    record = {
        "what": "minibert's float32 training step in PyTorch: forward (MLM head at the masked rows), backward, "
                "global-norm clipping, AdamW",
        "script": "tools/reference/pytorch_step.py",
        "script_version": SCRIPT_VERSION,
        "command": " ".join(["/usr/bin/python3", "tools/reference/pytorch_step.py"] + sys.argv[1:]),
        "date": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "torch": torch.__version__,
        "torch_package": torch_package(),
        "python": sys.version.split()[0],
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "system": platform.platform(),
                    "load_average_before": load_before, "load_average_after": load_average()},
        "blas_setting": args.blas,
        "blas_loaded": info[best["threads"]]["blas"],
        "parallel_info": info[best["threads"]]["parallel_info"],
        "model": {k: m[k] for k in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                                    "intermediate_size", "hidden_dropout_prob", "attention_probs_dropout_prob")},
        "batch": int(t["batch_size"]), "sequence_length": int(t["sequence_length"]),
        "mask_probability": float(t["mask_probability"]), "masked": info[best["threads"]]["masked"],
        "rounds": args.rounds, "warm_up_per_round": args.warm_up, "steps_per_round": args.steps,
        "runs": runs,
        "best": {"threads": best["threads"], "median_seconds": best["median_seconds"]},
    }
    write_atomically(args.out, json.dumps(record, indent=2) + "\n")
    print(f"fastest: {best['threads']} thread(s), median {best['median_seconds']:.3f} s; written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
