#!/usr/bin/python3
"""An independent reference for minibert's BERT, in the manner of llm.c's test_gpt2.c.

Run BY HAND from the project folder (never by the build), with Debian's python3-torch:

    /usr/bin/python3 tools/reference/bert_reference.py [--out DIR]

It builds a small BERT for masked-language modelling from the paper (Devlin et al. 2019, "BERT:
Pre-training of Deep Bidirectional Transformers for Language Understanding", and Vaswani et al. 2017 for
the Transformer encoder it uses) in plain torch.nn / torch.nn.functional, in float64, lets PyTorch's
autograd differentiate it, and writes a fixture that the Java side loads with its own code:

    DIR/config.json              the configuration, in the project's checkpoint format
    DIR/model.safetensors        the weights, F64, Hugging Face names and shapes (decoder tied: stored once)
    DIR/gradients.safetensors    dLoss/dParameter for every parameter, F64, under the parameter's own name
    DIR/fixture.json             versions, the batch, the loss, the logits at the masked rows, and ten
                                 AdamW steps on the same batch (the loss before each update and after the last)

The conventions it shares with minibert (they are BERT's and Hugging Face's, not the Java's):
  * parameter names and shapes of transformers' BertForMaskedLM: weights [out, in], biases and LayerNorm
    parameters as vectors; the MLM decoder is tied to the word embeddings and has its own bias
    `cls.predictions.bias`;
  * LayerNorm with the biased variance and eps inside the square root (torch's layer_norm), eps 1e-12;
  * GELU in its exact form x * Phi(x) (torch's gelu with approximate='none');
  * attention scores Q K^T / sqrt(d), with -10000 added on padded keys before the softmax;
  * position i of every sequence gets position embedding i;
  * loss = mean cross-entropy over the positions whose label is not -100; dropout 0.

Safetensors is written by hand (no safetensors package here): an 8-byte little-endian header length, a
JSON header padded with spaces to a multiple of 8, then the raw little-endian values.
"""

import argparse
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

GENERATOR_VERSION = 1
SEED = 20240611
WEIGHT_STD = 0.3          # far above BERT's 0.02, so that every path carries a clearly non-zero gradient
IGNORE = -100             # the label of positions that are not predicted (Hugging Face's convention)
MASKED_SCORE = -10000.0   # added to the attention scores of padded keys (BERT's additive mask)

# minibert's gradient-check configuration (GradientCheck.smallConfig()): odd sizes so that shape bugs show.
CONFIG = {
    "vocab_size": 29,
    "hidden_size": 12,
    "num_hidden_layers": 2,
    "num_attention_heads": 3,
    "intermediate_size": 17,
    "max_position_embeddings": 7,
    "type_vocab_size": 2,
    "layer_norm_eps": 1e-12,
}

# A batch of 3 sequences of 7 tokens with real lengths 7, 5 and 3 (pad id 0, attention mask 0 on padding).
# Token 11 appears three times, so its row of the word embeddings must collect the sum of three gradients;
# both token types occur; labels (the token to predict) sit at a few real positions only.
INPUT_IDS = [
    [2, 11, 7, 11, 23, 5, 3],
    [2, 17, 11, 3, 28, 0, 0],
    [2, 9, 3, 0, 0, 0, 0],
]
TOKEN_TYPE_IDS = [
    [0, 0, 0, 0, 1, 1, 1],
    [0, 0, 0, 1, 1, 0, 0],
    [0, 0, 1, 0, 0, 0, 0],
]
ATTENTION_MASK = [
    [1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 0, 0],
    [1, 1, 1, 0, 0, 0, 0],
]
LABELS = [
    [IGNORE, 14, IGNORE, IGNORE, 23, IGNORE, 4],
    [IGNORE, IGNORE, 11, IGNORE, 6, IGNORE, IGNORE],
    [IGNORE, 20, IGNORE, IGNORE, IGNORE, IGNORE, IGNORE],
]

ADAMW = {"lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-6, "weight_decay": 0.01, "steps": 10}


# ---------------------------------------------------------------------------------------------------------
# The model. Module attributes are named so that named_parameters() yields Hugging Face's names.
# ---------------------------------------------------------------------------------------------------------

class Embeddings(nn.Module):
    """e_i = E_word[id_i] + E_pos[i] + E_type[type_i], then LayerNorm (paper, section 3, Figure 2)."""

    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, input_ids, token_type_ids):
        b, t = input_ids.shape
        positions = torch.arange(t).unsqueeze(0).expand(b, t)                  # [B, T]
        e = (self.word_embeddings(input_ids) + self.position_embeddings(positions)
             + self.token_type_embeddings(token_type_ids))                     # [B, T, H]
        return self.LayerNorm(e)


class SelfAttentionProjections(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(h, h)
        self.value = nn.Linear(h, h)


class DenseNorm(nn.Module):
    """A dense layer whose output joins a residual sum, then LayerNorm (post-LN, as BERT)."""

    def __init__(self, n_in, h, eps):
        super().__init__()
        self.dense = nn.Linear(n_in, h)
        self.LayerNorm = nn.LayerNorm(h, eps=eps)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class Attention(nn.Module):
    """Multi-head scaled dot-product self-attention (Vaswani et al. 2017, section 3.2)."""

    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.add_module("self", SelfAttentionProjections(h))                  # Hugging Face's name
        self.output = DenseNorm(h, h, c["layer_norm_eps"])

    def forward(self, x, attention_mask):
        b, t, h = x.shape
        a = self.heads
        d = h // a
        proj = getattr(self, "self")

        def split(y):                                                          # [B, T, H] -> [B, A, T, d]
            return y.view(b, t, a, d).transpose(1, 2)

        q, k, v = split(proj.query(x)), split(proj.key(x)), split(proj.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d)                        # [B, A, T, T]
        # BERT's additive mask: padded keys get -10000 before the softmax, real keys 0.
        scores = scores + (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * MASKED_SCORE
        probs = torch.softmax(scores, dim=-1)                                  # [B, A, T, T]
        context = (probs @ v).transpose(1, 2).reshape(b, t, h)                 # [B, T, H]
        return self.output(context, x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return F.gelu(self.dense(x))                                           # exact: x * Phi(x)


class Layer(nn.Module):
    """out = LN2(h + FFN(h)), h = LN1(x + Attention(x))."""

    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseNorm(c["intermediate_size"], c["hidden_size"], c["layer_norm_eps"])

    def forward(self, x, attention_mask):
        h = self.attention(x, attention_mask)
        return self.output(self.intermediate(h), h)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)

    def forward(self, input_ids, token_type_ids, attention_mask):
        x = self.embeddings(input_ids, token_type_ids)
        for layer in self.encoder.layer:
            x = layer(x, attention_mask)
        return x                                                               # [B, T, H]


class Transform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x):
        return self.LayerNorm(F.gelu(self.dense(x)))


class Predictions(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = Transform(c)
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))


class Cls(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = Predictions(c)


class BertForMaskedLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = Bert(c)
        self.cls = Cls(c)

    def forward(self, input_ids, token_type_ids, attention_mask, labels):
        """Returns the loss and the logits at every position [B, T, V]."""
        hidden = self.bert(input_ids, token_type_ids, attention_mask)
        p = self.cls.predictions
        # The decoder is tied: its weight IS the word-embedding matrix [V, H], with its own bias [V].
        logits = F.linear(p.transform(hidden), self.bert.embeddings.word_embeddings.weight, p.bias)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE)
        return loss, logits


def initialise(model, generator):
    """Seeded normal weights, std WEIGHT_STD, biases included; LayerNorm gains 1 + N(0, 0.1^2), shifts N(0, 0.1^2)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=generator, dtype=torch.float64)
            if "LayerNorm" in name:
                p.copy_((1.0 if name.endswith(".weight") else 0.0) + 0.1 * noise)
            else:
                p.copy_(WEIGHT_STD * noise)


# ---------------------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------------------

def write_atomically(path, data):
    """Writes bytes to a temporary file beside path, then renames it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)                                          # mkstemp makes it 0600
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def safetensors_bytes(tensors):
    """tensors: list of (name, float64 tensor), in file order."""
    header = {"__metadata__": {"format": "pt"}}
    chunks = []
    offset = 0
    for name, t in tensors:
        values = t.detach().contiguous().reshape(-1).tolist()
        raw = struct.pack("<%dd" % len(values), *values)                       # little-endian float64
        header[name] = {"dtype": "F64", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)                                            # data starts 8-byte aligned
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def json_text(value, indent=0):
    """JSON with objects indented and every list of numbers (a row of a batch or of logits) on one line.
    Floats are written by repr, which reads back to the same double."""
    pad = "  " * (indent + 1)
    if isinstance(value, dict):
        items = [pad + json.dumps(k) + ": " + json_text(v, indent + 1) for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return "[\n" + ",\n".join(pad + json_text(v, indent + 1) for v in value) + "\n" + "  " * indent + "]"
    return json.dumps(value)


def torch_package():
    """The Debian package that provides torch (its __version__ says only 1.13.0a0), or None."""
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}", "python3-torch"],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        return None


def config_json(c):
    """config.json with the keys and values of the project's Checkpoint.configJson (BertForMaskedLM, float64)."""
    o = {
        "architectures": ["BertForMaskedLM"],
        "model_type": "bert",
        "vocab_size": c["vocab_size"],
        "hidden_size": c["hidden_size"],
        "num_hidden_layers": c["num_hidden_layers"],
        "num_attention_heads": c["num_attention_heads"],
        "intermediate_size": c["intermediate_size"],
        "hidden_act": "gelu",
        "max_position_embeddings": c["max_position_embeddings"],
        "type_vocab_size": c["type_vocab_size"],
        "layer_norm_eps": c["layer_norm_eps"],
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        # The initialiser of a fresh model (GradientCheck.smallConfig()'s value); the fixture's weights are
        # not drawn with it but with WEIGHT_STD above.
        "initializer_range": 0.02,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "torch_dtype": "float64",
    }
    return (json.dumps(o, indent=2) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------------------

def main():
    root = Path(__file__).resolve().parents[2]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=root / "src/test/resources/reference/small")
    args = parser.parse_args()

    torch.set_default_dtype(torch.float64)
    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED)
    model = BertForMaskedLM(CONFIG)
    initialise(model, generator)
    model.train(False)                                                        # no dropout anywhere anyway

    input_ids = torch.tensor(INPUT_IDS)
    token_type_ids = torch.tensor(TOKEN_TYPE_IDS)
    attention_mask = torch.tensor(ATTENTION_MASK)
    labels = torch.tensor(LABELS)
    for row_ids, row_mask, row_labels in zip(INPUT_IDS, ATTENTION_MASK, LABELS):
        for i, m, label in zip(row_ids, row_mask, row_labels):
            assert m == 1 or (i == 0 and label == IGNORE), "padding must have id 0 and no label"

    # The weights exactly as written: the tied decoder appears once, as the word embeddings.
    weights = [(n, p.detach().clone()) for n, p in model.named_parameters()]

    model.zero_grad()
    loss, logits = model(input_ids, token_type_ids, attention_mask, labels)
    loss.backward()
    gradients = [(n, p.grad.detach().clone()) for n, p in model.named_parameters()]
    masked = labels != IGNORE
    masked_logits = logits[masked].detach()                                    # [M, V], row-major positions

    for n, g in gradients:
        largest = g.abs().max().item()
        # The key bias adds q.bk to every score of a query row: the same shift for every key, which the
        # softmax removes (softmax is shift-invariant along keys). Its gradient is exactly zero
        # mathematically; autograd leaves only rounding.
        if n.endswith("attention.self.key.bias"):
            assert largest < 1e-14, f"{n}: |grad| {largest:.3e} should be rounding only"
        else:
            assert largest > 1e-4, f"{n}: largest |grad| {largest:.3e} is too small to pin anything"

    # Ten AdamW steps on the same batch, weight decay on matrices only.
    decay = [n for n, p in model.named_parameters() if p.dim() == 2]
    no_decay = [n for n, p in model.named_parameters() if p.dim() != 2]
    params = dict(model.named_parameters())
    optimizer = torch.optim.AdamW(
        [{"params": [params[n] for n in decay], "weight_decay": ADAMW["weight_decay"]},
         {"params": [params[n] for n in no_decay], "weight_decay": 0.0}],
        lr=ADAMW["lr"], betas=tuple(ADAMW["betas"]), eps=ADAMW["eps"])
    losses = []
    for _ in range(ADAMW["steps"]):
        optimizer.zero_grad()
        step_loss, _ = model(input_ids, token_type_ids, attention_mask, labels)
        losses.append(step_loss.item())
        step_loss.backward()
        optimizer.step()
    with torch.no_grad():
        losses.append(model(input_ids, token_type_ids, attention_mask, labels)[0].item())
    assert losses[-1] < losses[0], "AdamW on one batch should lower its loss"

    fixture = {
        "generator": {"script": "tools/reference/bert_reference.py", "version": GENERATOR_VERSION},
        "torch": torch.__version__,
        "torch_package": torch_package(),
        "python": sys.version.split()[0],
        "seed": SEED,
        "weight_std": WEIGHT_STD,
        "batch": {
            "input_ids": INPUT_IDS,
            "token_type_ids": TOKEN_TYPE_IDS,
            "attention_mask": ATTENTION_MASK,
            "labels": LABELS,
        },
        "loss": loss.item(),
        "masked_positions": [[b, t] for b, t in masked.nonzero().tolist()],
        "masked_logits": masked_logits.tolist(),
        "adamw": {
            "optimizer": "torch.optim.AdamW",
            "lr": ADAMW["lr"],
            "betas": ADAMW["betas"],
            "eps": ADAMW["eps"],
            "weight_decay": ADAMW["weight_decay"],
            "decay": decay,
            "no_decay": no_decay,
            "clipping": None,
            "schedule": None,
            "steps": ADAMW["steps"],
            "losses": losses,
        },
    }

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    write_atomically(out / "config.json", config_json(CONFIG))
    write_atomically(out / "model.safetensors", safetensors_bytes(weights))
    write_atomically(out / "gradients.safetensors", safetensors_bytes(gradients))
    write_atomically(out / "fixture.json", (json_text(fixture) + "\n").encode("utf-8"))

    print(f"torch {torch.__version__}, float64; wrote {out}")
    print(f"loss {loss.item():.15f} over {int(masked.sum())} masked positions")
    for n, g in gradients:
        print(f"  {n:55s} {str(list(g.shape)):10s} max|grad| {g.abs().max().item():.3e}")
    print("AdamW losses: " + " ".join(f"{x:.6f}" for x in losses))


if __name__ == "__main__":
    main()
