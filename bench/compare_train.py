#!/usr/bin/env python3
"""Side-by-side DPO training step: prefstream (`bench train`) against the same step in plain PyTorch eager.

Both sides train a random-weight model of the same real shape (prefstream: `--model <shape>`, drawn by libtorch in
the JVM; here: the same architecture built below), B pairs per step, rows of exactly T tokens (responses are the second
half of each row), sigmoid DPO loss with beta 0.1 against a frozen copy of the initial policy (forward under no_grad),
AdamW (lr 1e-5, betas 0.9/0.999, eps 1e-8, no weight decay), global-norm clipping at 1.0, float32, the same number of
threads. Every run is a fresh process; the two sides alternate, round by round, because this machine's speed drifts,
so read each ratio against its own round. Prints one line per run and a summary of tokens/s ratios and peak RSS.

PyTorch side: a straightforward eager implementation in the style of transformers' Llama/Qwen2 (RMSNorm in float32,
rotary embeddings, repeat_kv for grouped-query heads, matmul + causal mask + float32 softmax attention, SwiGLU with
F.silu, log_softmax + gather on the full logits). Debian: `apt-get install -y python3-torch libopenblas0-openmp` (without
OpenBLAS, Debian's torch uses the reference BLAS and every ratio flatters prefstream; this script refuses to run then).

Usage (from the repository root, after `./prefstream --help` has built cli/target/prefstream.jar):
  /usr/bin/python3 bench/compare_train.py --shape llama-19m --pairs 4 --seq 256 --steps 3 --warmup 1 --rounds 2
  /usr/bin/python3 bench/compare_train.py --shape llama-58m --omp-wait-policy both   # each side with both policies
  /usr/bin/python3 bench/compare_train.py --shape llama-58m --malloc retain   # both sides with ./prefstream's malloc env
"""
import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

SHAPES = {
    # name: (family, vocab, hidden, layers, heads, kv_heads, intermediate, tied, qkv_bias, rope_theta, eps)
    "tiny": ("llama", 257, 128, 4, 4, 2, 256, True, False, 10000.0, 1e-5),   # the `tiny` preset (byte vocabulary)
    "llama-19m": ("llama", 32000, 256, 4, 4, 4, 688, False, False, 10000.0, 1e-5),
    "llama-58m": ("llama", 32000, 512, 8, 8, 8, 1376, False, False, 10000.0, 1e-5),
    "qwen2.5-0.5b-shape": ("qwen2", 151936, 896, 24, 14, 2, 4864, True, True, 1000000.0, 1e-6),
    "qwen2.5-1.5b-shape": ("qwen2", 151936, 1536, 28, 12, 2, 8960, True, True, 1000000.0, 1e-6),
}


# ----------------------------------------------------------------------------------------------- PyTorch side
def torch_worker(args):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    blas = [l.split()[-1] for l in open("/proc/self/maps") if "blas" in l]
    torch.ones(8, 8) @ torch.ones(8, 8)
    blas = sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l.lower()})
    if blas and not any("openblas" in b for b in blas):
        sys.exit("PyTorch uses the reference BLAS (%s): apt-get install -y libopenblas0-openmp" % blas)

    family, vocab, hidden, layers, heads, kv_heads, inter, tied, qkv_bias, theta, eps = SHAPES[args.shape]
    head_dim = hidden // heads

    class RMSNorm(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(hidden))

        def forward(self, x):
            dtype = x.dtype
            x = x.float()
            variance = x.pow(2).mean(-1, keepdim=True)
            x = x * torch.rsqrt(variance + eps)
            return self.weight * x.to(dtype)

    def rotate_half(x):
        x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
        return torch.cat((-x2, x1), dim=-1)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.input_layernorm = RMSNorm()
            self.post_attention_layernorm = RMSNorm()
            self.q_proj = nn.Linear(hidden, heads * head_dim, bias=qkv_bias)
            self.k_proj = nn.Linear(hidden, kv_heads * head_dim, bias=qkv_bias)
            self.v_proj = nn.Linear(hidden, kv_heads * head_dim, bias=qkv_bias)
            self.o_proj = nn.Linear(heads * head_dim, hidden, bias=False)
            self.gate_proj = nn.Linear(hidden, inter, bias=False)
            self.up_proj = nn.Linear(hidden, inter, bias=False)
            self.down_proj = nn.Linear(inter, hidden, bias=False)

        def forward(self, x, cos, sin, mask):
            b, t, _ = x.shape
            h = self.input_layernorm(x)
            q = self.q_proj(h).view(b, t, heads, head_dim).transpose(1, 2)
            k = self.k_proj(h).view(b, t, kv_heads, head_dim).transpose(1, 2)
            v = self.v_proj(h).view(b, t, kv_heads, head_dim).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            if kv_heads != heads:
                k = k.repeat_interleave(heads // kv_heads, dim=1)
                v = v.repeat_interleave(heads // kv_heads, dim=1)
            scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(head_dim) + mask
            probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
            a = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, heads * head_dim)
            x = x + self.o_proj(a)
            h = self.post_attention_layernorm(x)
            return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed_tokens = nn.Embedding(vocab, hidden)
            self.layers = nn.ModuleList([Block() for _ in range(layers)])
            self.norm = RMSNorm()
            self.lm_head = None if tied else nn.Linear(hidden, vocab, bias=False)
            inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
            self.register_buffer("inv_freq", inv_freq, persistent=False)

        def forward(self, ids):
            b, t = ids.shape
            pos = torch.arange(t, dtype=torch.float32)
            freqs = torch.outer(pos, self.inv_freq)
            emb = torch.cat((freqs, freqs), dim=-1)
            cos, sin = emb.cos()[None, None], emb.sin()[None, None]
            mask = torch.full((t, t), torch.finfo(torch.float32).min).triu(1)[None, None]
            x = self.embed_tokens(ids)
            for layer in self.layers:
                x = layer(x, cos, sin, mask)
            x = self.norm(x)
            w = self.embed_tokens.weight if tied else self.lm_head.weight
            return F.linear(x, w).float()

    def sequence_logps(logits, ids, loss_mask):
        logp = logits[:, :-1].log_softmax(-1)
        picked = logp.gather(2, ids[:, 1:].unsqueeze(2)).squeeze(2)
        return (picked * loss_mask[:, 1:]).sum(-1)

    torch.manual_seed(args.seed)
    t0 = time.time()
    policy = Model()
    with torch.no_grad():
        for name, p in policy.named_parameters():
            if p.dim() > 1:
                p.normal_(0.0, 0.02)
            elif "norm" in name:
                p.fill_(1.0)
            else:
                p.zero_()
    import copy
    reference = copy.deepcopy(policy)
    for p in reference.parameters():
        p.requires_grad_(False)
    opt = torch.optim.AdamW(policy.parameters(), lr=1e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    setup = time.time() - t0

    b, t = args.pairs, args.seq
    loss_mask = torch.zeros(2 * b, t)
    loss_mask[:, t // 2:] = 1.0
    gen = torch.Generator().manual_seed(1234)
    times = []
    phases = []   # per step: reference, forward (+ loss), backward, optimizer (zero_grad, clipping, AdamW)
    for step in range(args.warmup + args.steps):
        ids = torch.randint(0, 257, (2 * b, t), generator=gen)
        s0 = time.time()
        with torch.no_grad():
            ref = sequence_logps(reference(ids), ids, loss_mask)
        s1 = time.time()
        pol = sequence_logps(policy(ids), ids, loss_mask)
        z = (pol[:b] - ref[:b]) - (pol[b:] - ref[b:])
        loss = -F.logsigmoid(0.1 * z).mean()
        s2 = time.time()
        loss.backward()
        s3 = time.time()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=args.torch_grads == "free")
        s4 = time.time()
        times.append(s4 - s0)
        phases.append((s1 - s0, s2 - s1, s3 - s2, s4 - s3))
    measured = times[args.warmup:]
    mean_phase = [1000 * sum(p[i] for p in phases[args.warmup:]) / len(measured) for i in range(4)]
    tokens = 2 * b * t * len(measured)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps({"side": "pytorch", "torch": torch.__version__, "tokens_per_s": round(tokens / sum(measured), 1),
                      "ms_per_step": round(1000 * sum(measured) / len(measured), 1), "peak_rss_mb": peak,
                      "setup_s": round(setup, 1), "params": sum(p.numel() for p in policy.parameters()),
                      "reference_ms": round(mean_phase[0], 1), "forward_ms": round(mean_phase[1], 1),
                      "backward_ms": round(mean_phase[2], 1), "optimizer_ms": round(mean_phase[3], 1)}))


# ----------------------------------------------------------------------------------------------- driver
# what ./prefstream exports unless PREFSTREAM_MALLOC=default: glibc keeps freed memory for reuse instead of mapping
# (and page-faulting) every large temporary afresh; --malloc retain gives it to BOTH sides
RETAIN = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "17179869184", "MALLOC_TOP_PAD_": "268435456",
          "MALLOC_ARENA_MAX": "1"}


def side_env(args, wait_policy):
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    env.pop("OMP_WAIT_POLICY", None)
    for k in RETAIN:
        env.pop(k, None)
    if wait_policy != "default":
        env["OMP_WAIT_POLICY"] = wait_policy
    if args.malloc == "retain":
        env.update(RETAIN)
    return env


def run_torch(args, wait_policy):
    cmd = [sys.executable, os.path.abspath(__file__), "--torch-worker", "--shape", args.shape, "--pairs", str(args.pairs),
           "--seq", str(args.seq), "--steps", str(args.steps), "--warmup", str(args.warmup),
           "--threads", str(args.threads), "--seed", str(args.seed), "--torch-grads", args.torch_grads]
    env = side_env(args, wait_policy)
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit("pytorch side failed:\n" + out.stderr[-3000:])
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r["side"] = "pytorch" + ("" if wait_policy == "default" else " OMP_WAIT_POLICY=" + wait_policy)
    return r


def run_prefstream(args, wait_policy):
    cmd = ["java"] + args.java_opts.split() + ["-Dai.djl.offline=true", "-jar", args.jar, "bench", "train", "--model", args.shape,
           "--pairs-per-step", str(args.pairs), "--seq", str(args.seq), "--steps", str(args.steps),
           "--warmup", str(args.warmup), "--seed", str(args.seed)]
    if args.gradient_checkpointing:
        cmd.append("--gradient-checkpointing")
    env = side_env(args, wait_policy)
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit("prefstream side failed:\n" + out.stderr[-3000:] + out.stdout[-3000:])
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r["side"] = "prefstream" + ("" if wait_policy == "default" else " OMP_WAIT_POLICY=" + wait_policy)
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", default="llama-19m", choices=sorted(SHAPES))
    ap.add_argument("--pairs", type=int, default=4, help="pairs per step (2x rows)")
    ap.add_argument("--seq", type=int, default=256, help="tokens per row")
    ap.add_argument("--steps", type=int, default=3, help="measured steps per run")
    ap.add_argument("--warmup", type=int, default=1, help="unmeasured steps first")
    ap.add_argument("--rounds", type=int, default=2, help="alternations of the two sides")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="threads on both sides (OMP_NUM_THREADS)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jar", default="cli/target/prefstream.jar")
    ap.add_argument("--gradient-checkpointing", action="store_true", help="prefstream side with checkpointing")
    ap.add_argument("--malloc", choices=["default", "retain"], default="default",
                    help="glibc malloc settings of BOTH sides: its defaults, or what ./prefstream exports (retain)")
    ap.add_argument("--torch-grads", choices=["free", "zero"], default="free",
                    help="PyTorch side: free the gradients after each step (zero_grad(set_to_none=True), the default) or "
                         "zero them in place and keep them, as prefstream must (DJL cannot drop .grad)")
    ap.add_argument("--java-opts", default="", help="JVM options of the prefstream side, e.g. -Xmx3g for the 0.5B shape")
    ap.add_argument("--omp-wait-policy", choices=["default", "PASSIVE", "both"], default="default",
                    help="OMP_WAIT_POLICY of both sides; both = each side once with each per round")
    ap.add_argument("--sides", default="prefstream,pytorch", help="which sides to run (comma list)")
    ap.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.torch_worker:
        torch_worker(args)
        return
    sides = args.sides.split(",")
    policies = ["default", "PASSIVE"] if args.omp_wait_policy == "both" else [args.omp_wait_policy]
    print("# shape %s, %d pairs x %d tokens, %d+%d steps, %d threads, %d rounds, malloc %s" % (
        args.shape, args.pairs, args.seq, args.warmup, args.steps, args.threads, args.rounds, args.malloc), flush=True)
    results = []
    for rnd in range(args.rounds):
        # alternate which side (and which wait policy) goes first, round by round
        runs = [(side, wp) for wp in policies for side in sides]
        if rnd % 2 == 1:
            runs.reverse()
        row = {}
        for side, wp in runs:
            r = run_torch(args, wp) if side == "pytorch" else run_prefstream(args, wp)
            row[r["side"]] = r
            print("round %d %s" % (rnd + 1, json.dumps(r)), flush=True)
        results.append(row)
    print("# summary (ratio = prefstream / pytorch tokens/s, same round, same OMP_WAIT_POLICY)")
    for i, row in enumerate(results):
        parts = ["%s %.1f tok/s, peak RSS %d MB" % (name, r["tokens_per_s"], r["peak_rss_mb"])
                 for name, r in row.items()]
        for wp in policies:
            suffix = "" if wp == "default" else " OMP_WAIT_POLICY=" + wp
            if "prefstream" + suffix in row and "pytorch" + suffix in row:
                parts.append("ratio[%s] %.2f" % (wp, row["prefstream" + suffix]["tokens_per_s"]
                                                 / row["pytorch" + suffix]["tokens_per_s"]))
        print("round %d: %s" % (i + 1, "; ".join(parts)))
    # where the time goes: mean ms per step by phase, and PyTorch's time / prefstream's (> 1: prefstream faster)
    print("# phases (ms per step: reference forward, policy forward + loss, backward, optimizer)")
    for i, row in enumerate(results):
        for name, r in row.items():
            if "forward_ms" in r:
                print("round %d %-30s reference %8.1f  forward %8.1f  backward %8.1f  optimizer %8.1f" % (
                    i + 1, name, r["reference_ms"], r["forward_ms"], r["backward_ms"], r["optimizer_ms"]))
        for wp in policies:
            suffix = "" if wp == "default" else " OMP_WAIT_POLICY=" + wp
            p, t = row.get("prefstream" + suffix), row.get("pytorch" + suffix)
            if p and t and "forward_ms" in p and "forward_ms" in t:
                print("round %d speed ratio by phase [%s]: %s" % (i + 1, wp, "  ".join(
                    "%s %.2f" % (k[:-3], t[k] / p[k]) for k in ("reference_ms", "forward_ms", "backward_ms", "optimizer_ms")
                    if p[k] > 0)))

if __name__ == "__main__":
    main()
