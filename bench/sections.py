"""The sections of `run.py` that are not an encoder contest: attention kernels, pipelines, int8,
torch.compile. Each takes (checkpoint dir, work dir, config, repeats) and returns a JSON-able dict."""

from __future__ import annotations

import contextlib
import copy
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path

import peers
import torch
import torch.nn.functional as F
from common import medians

import albert
from albert.model.unpad import Packing, varlen_attention


def sst2_masked_texts(n: int = 128) -> list[str]:
    """The first `n` sentences of SST-2 dev, the middle word replaced by [MASK]."""
    texts = []
    for line in peers.SST2_DEV.read_text(encoding="utf-8").splitlines()[1 : n + 1]:
        words = line.split("\t")[0].split()
        words[len(words) // 2] = "[MASK]"
        texts.append(" ".join(words))
    return texts


# ----- attention kernels for packed variable-length batches -----


def _per_sequence(qkv: torch.Tensor, lengths: list[int]) -> torch.Tensor:
    """One SDPA call per sequence, in batch order (the kernel before this bench)."""
    n, d, out, start = qkv.shape[2], qkv.shape[3], [], 0
    for length in lengths:
        q, k, v = qkv[start : start + length].permute(1, 2, 0, 3).unsqueeze(1).unbind(0)
        out.append(F.scaled_dot_product_attention(q, k, v)[0].transpose(0, 1).reshape(length, n * d))
        start += length
    return torch.cat(out)


def _padded_groups(qkv: torch.Tensor, groups: list) -> torch.Tensor:
    """Each group of sequences padded to its longest, one SDPA call with a key mask per group."""
    nnz, _, n, d = qkv.shape
    out = qkv.new_empty(nnz, n * d)
    for src, dst, b, t, key_mask in groups:
        full = qkv.new_zeros(b * t, 3, n, d).index_copy_(0, dst, qkv[src])
        q, k, v = full.view(b, t, 3, n, d).permute(2, 0, 3, 1, 4).unbind(0)
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=key_mask)
        out[src] = ctx.transpose(1, 2).reshape(b * t, n * d)[dst]
    return out


def _groups(lengths: list[int], waste: float | None) -> list:
    """Sequences (in packed order) grouped so that padding adds at most `waste` of the group's tokens;
    None: one group, the whole batch."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    starts = [sum(lengths[:i]) for i in range(len(lengths))]
    groups, current = [], []
    for i in order:
        trial = current + [i]
        if (
            waste is not None
            and current
            and lengths[i] * len(trial) > (1 + waste) * sum(lengths[j] for j in trial)
        ):
            groups.append(current)
            trial = [i]
        current = trial
    groups.append(current)
    built = []
    for g in groups:
        t = max(lengths[i] for i in g)
        src = torch.cat([torch.arange(starts[i], starts[i] + lengths[i]) for i in g])
        dst = torch.cat([torch.arange(lengths[i]) + j * t for j, i in enumerate(g)])
        key_mask = (torch.arange(t)[None, :] < torch.tensor([lengths[i] for i in g])[:, None])[
            :, None, None, :
        ]
        built.append((src, dst, len(g), t, key_mask))
    return built


def _nested(qkv: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """Nested (jagged) tensors: one SDPA call over the batch."""
    n, d = qkv.shape[2], qkv.shape[3]
    q, k, v = (
        torch.nested.nested_tensor_from_jagged(qkv[:, i].contiguous(), offsets).transpose(1, 2)
        for i in range(3)
    )
    return F.scaled_dot_product_attention(q, k, v).transpose(1, 2).values().reshape(-1, n * d)


def attention_kernels(lengths: list[int], heads: int, head_size: int, repeats: int) -> dict:
    """One layer's attention over packed sequences of `lengths` (batch order), five ways."""
    g = torch.Generator().manual_seed(0)
    qkv = torch.randn(sum(lengths), 3, heads, head_size, generator=g)
    t = max(lengths)
    mask = torch.arange(t)[None, :] < torch.tensor(lengths)[:, None]
    packing = Packing.from_mask(mask.long())
    # varlen_attention reads the packed matrix in its own (length-sorted) order: src[r] is the
    # batch-order row of its packed row r, and back = argsort(src) undoes the permutation.
    batch_row = torch.full((mask.numel(),), -1, dtype=torch.long)
    batch_row[mask.reshape(-1).nonzero().squeeze(1)] = torch.arange(sum(lengths))
    src = batch_row[packing.indices]
    sorted_qkv, back = qkv[src], torch.argsort(src)
    offsets = torch.tensor([0, *torch.tensor(lengths).cumsum(0).tolist()])
    fns: dict[str, Callable[[], torch.Tensor]] = {
        "per-sequence": partial(_per_sequence, qkv, lengths),
        "runs of equal length (ours)": partial(
            varlen_attention, sorted_qkv, packing, head_mask=None, dropout_p=0.0, training=False
        ),
        "buckets <=10% padding + mask": partial(_padded_groups, qkv, _groups(lengths, 0.10)),
        "whole batch padded + mask": partial(_padded_groups, qkv, _groups(lengths, None)),
        "nested tensors": partial(_nested, qkv, offsets),
    }
    with torch.inference_mode():
        ref = fns["per-sequence"]()
        diffs = {k: float((f() - ref).abs().max()) for k, f in fns.items() if "ours" not in k}
        diffs["runs of equal length (ours)"] = float(
            (fns["runs of equal length (ours)"]()[back] - ref).abs().max()
        )
        times = medians(fns, repeats)
    flops = sum(4 * n * n * heads * head_size for n in lengths)
    return {
        "sequences": len(lengths),
        "tokens": sum(lengths),
        "distinct_lengths": len(set(lengths)),
        "attention_gflop": flops / 1e9,
        "impls": {k: {**times[k], "max_abs_diff": diffs[k]} for k in fns},
    }


def attention_section(d: Path, work: Path, config, repeats: int) -> dict:
    _, mask, _ = peers.varlen_batch(32, 16, 256, "cpu")
    tokenizer = albert.pipeline("fill-mask").tokenizer
    sst2 = sorted(len(tokenizer(t)["input_ids"]) for t in sst2_masked_texts(128))
    n, dh = config.num_attention_heads, config.head_size
    return {
        "heads": n,
        "head_size": dh,
        "cases": {
            "32 x 16..256 (random lengths)": attention_kernels(mask.sum(1).tolist(), n, dh, repeats),
            "SST-2, 4 length-sorted batches of 32": {
                f"batch {i}": attention_kernels(sst2[i * 32 : (i + 1) * 32], n, dh, repeats) for i in range(4)
            },
        },
    }


# ----- pipelines -----


def pipeline_section(d: Path, work: Path, config, repeats: int) -> dict:
    """fill-mask on 128 SST-2 sentences with the built-in model, each library called as its docs show."""
    import transformers

    from albert.pipelines import default_model_dir

    texts = sst2_masked_texts(128)
    model_dir = str(default_model_dir())
    runs = {}
    for label, kwargs in (("default arguments", {}), ("batch_size=32", {"batch_size": 32})):
        ours = albert.pipeline("fill-mask", **kwargs)
        hf = transformers.pipeline("fill-mask", model=model_dir, device="cpu", **kwargs)
        with torch.inference_mode():
            top1 = {k: [r[0]["token"] for r in p(texts)] for k, p in (("ours", ours), ("transformers", hf))}
            times = medians({"ours": partial(ours, texts), "transformers": partial(hf, texts)}, repeats)
        agree = sum(a == b for a, b in zip(top1["ours"], top1["transformers"])) / len(texts)
        runs[label] = {
            "batch_size": {"ours": ours.batch_size, "transformers": hf._batch_size},
            "top1_agreement": agree,
            "impls": {k: {**v, "sentences_per_s": len(texts) / v["median_s"]} for k, v in times.items()},
        }
    return {"sentences": len(texts), "model": "built-in (albert.pipelines.default_model_dir())", "runs": runs}


# ----- int8 -----


def int8_section(d: Path, work: Path, config, repeats: int) -> dict:
    """Speed at albert-base 8x128 (random weights) and fill-mask accuracy on real text (built-in model)."""
    from albert.runtime import quantize_int8

    ids, mask = peers.fixed_batch(8, 128, "cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fp32 = peers.ours("AlbertForMaskedLM", d, "cpu")
        models = {
            "ours fp32": fp32,
            "ours int8": quantize_int8(fp32),
            "hf-sdpa fp32": peers.hf("AlbertForMaskedLM", d, "cpu", "sdpa"),
        }
        onnx_int8 = peers.ours_onnx(d, work, "AlbertForMaskedLM", precision="int8")
    calls = {k: partial(m, ids, mask) for k, m in models.items()} | {
        "ours-onnx int8": partial(onnx_int8, ids, mask)
    }
    with torch.inference_mode():
        times = medians(calls, repeats)
    return {"shape": [8, 128], "speed": times, "accuracy": _int8_accuracy()}


def _int8_accuracy() -> dict:
    from albert.runtime import quantize_int8

    return fill_mask_agreement(quantize_int8)


def fill_mask_agreement(
    convert: Callable[[torch.nn.Module], torch.nn.Module],
    context: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
) -> dict:
    """How often the built-in model, converted by `convert` (fp32 model -> model) and called inside
    `context()`, gives the fill-mask answers of fp32 on 128 SST-2 sentences: top-1, top-5 set, largest
    change of the top-1 probability."""
    texts = sst2_masked_texts(128)
    fp32 = albert.pipeline("fill-mask", batch_size=32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = copy.deepcopy(fp32.model)  # its own weights: `convert` may work in place
        other = albert.pipeline("fill-mask", model=convert(model), tokenizer=fp32.tokenizer, batch_size=32)
    with torch.inference_mode():
        a = fp32(texts, top_k=5)
        with context():
            b = other(texts, top_k=5)
    top1 = sum(x[0]["token"] == y[0]["token"] for x, y in zip(a, b)) / len(texts)
    top5 = sum({r["token"] for r in x} == {r["token"] for r in y} for x, y in zip(a, b)) / len(texts)
    score = max(abs(x[0]["score"] - y[0]["score"]) for x, y in zip(a, b))
    # how close fp32's own first two answers were where the top-1 changed: near ties flip first
    gaps = [x[0]["score"] - x[1]["score"] for x, y in zip(a, b) if x[0]["token"] != y[0]["token"]]
    clear = [(x, y) for x, y in zip(a, b) if x[0]["score"] - x[1]["score"] >= CLEAR_GAP]
    return {
        "model": "built-in",
        "sentences": len(texts),
        "top1_agreement": top1,
        "top5_set_agreement": top5,
        "max_top1_prob_change": score,
        "fp32_top2_gap_where_top1_changed": gaps,
        "clear_gap": CLEAR_GAP,
        "clear_sentences": len(clear),
        "top1_agreement_where_clear": sum(x[0]["token"] == y[0]["token"] for x, y in clear)
        / max(len(clear), 1),
    }


# a sentence whose fp32 top-1 leads its top-2 by at least this probability has a clear answer
CLEAR_GAP = 0.01


# ----- torch.compile -----


def compile_section(d: Path, work: Path, config, repeats: int) -> dict:
    """torch.compile (inductor, CPU) of our default model at 8x128 and on the variable-length batch."""
    ids, mask = peers.fixed_batch(8, 128, "cpu")
    eager = peers.ours("AlbertModel", d, "cpu")
    compiled = torch.compile(peers.ours("AlbertModel", d, "cpu"))
    with torch.inference_mode():
        start = time.perf_counter()
        out = compiled(ids, mask).last_hidden_state
        compile_s = time.perf_counter() - start
        diff = float((out - eager(ids, mask).last_hidden_state).abs().max())
        times = medians(
            {"eager": partial(eager, ids, mask), "compiled": partial(compiled, ids, mask)}, repeats
        )
    return {
        "shape": [8, 128],
        "first_call_s (compilation)": compile_s,
        "max_abs_diff": diff,
        "impls": times,
        "speedup": times["eager"]["median_s"] / times["compiled"]["median_s"],
    }
