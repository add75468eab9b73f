"""The contestants of the benchmark, built from one checkpoint so that they share every weight, and the
inputs they all run on.

- ours: `albert` as a user gets it, `from_pretrained(dir)` in eval mode (fast paths on by default);
  `ours-onnx`: our ONNX export (+ ORT's transformer fusions) run by ONNX Runtime.
- peers: `transformers` (SDPA attention) loading the checkpoint we saved, and ONNX Runtime on the
  `transformers` model exported with torch's exporter plus the same transformer fusion pass
  (`albert.runtime.fuse_onnx`) and ORT's graph optimisations.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import torch

import albert
from albert.config import AlbertConfig
from albert.runtime import export_onnx, fuse_onnx, load_onnx, prepare_for_inference

logger = logging.getLogger(__name__)
SPM_MODEL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "spm" / "albert-30k-clean.model"
SST2_DEV = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "glue" / "SST-2" / "dev.tsv"
PAD, CLS, SEP, MASK = 0, 2, 3, 4


def save_checkpoint(directory: Path, preset: str = "albert-base-v2") -> AlbertConfig:
    """Random albert-base weights (seed 0), saved in the HF layout (pretraining heads included)."""
    config = AlbertConfig.from_preset(preset)
    torch.manual_seed(0)
    albert.AlbertForPreTraining(config).save_pretrained(directory)
    return config


def ours(cls: str, directory: Path, device: str, precision: str = "fp32", attn: str = "sdpa"):
    """fp32: what a user gets without flags, `from_pretrained(dir)` in eval mode; else `prepare_for_inference`."""
    model = getattr(albert, cls).from_pretrained(directory, attn_implementation=attn, device=device)
    if precision == "fp32":
        return model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's deprecation notice for its quantised tensors
        return prepare_for_inference(model, precision=precision)


def hf(cls: str, directory: Path, device: str, attn: str, dtype: torch.dtype = torch.float32):
    import transformers

    model = getattr(transformers, cls).from_pretrained(directory, attn_implementation=attn, dtype=dtype)
    return model.to(device).eval()


def hf_onnx(directory: Path, workdir: Path):
    """The `transformers` AlbertModel exported as is and run by ONNX Runtime (the issue's peer)."""
    import onnxruntime as ort

    path = workdir / "hf-albert.onnx"
    model = hf("AlbertModel", directory, "cpu", "eager")
    ids = torch.full((2, 8), 5)
    mask = torch.ones(2, 8, dtype=torch.long)
    mask[0, -2:] = 0
    axes = {0: "batch", 1: "sequence"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (ids, mask, torch.zeros_like(ids)), str(path), dynamo=False, opset_version=17,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state", "pooler_output"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes},
        )  # fmt: skip
    fuse_onnx(path, num_heads=model.config.num_attention_heads, hidden_size=model.config.hidden_size)
    sessions = {}
    for arena in (True, False):
        options = ort.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = arena
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sessions[arena] = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(input_ids: torch.Tensor, attention_mask: torch.Tensor, arena: bool = True) -> torch.Tensor:
        feed = {
            "input_ids": input_ids.numpy(),
            "attention_mask": attention_mask.numpy(),
            "token_type_ids": torch.zeros_like(input_ids).numpy(),
        }
        return torch.from_numpy(sessions[arena].run(["last_hidden_state"], feed)[0])

    run.memory_probe = lambda ids, mask: run(ids, mask, arena=False)
    return run


def ours_onnx(
    directory: Path, workdir: Path, cls: str = "AlbertModel", precision: str = "fp32", arena: bool = True
):
    """Our ONNX export (+ fusions) in ONNX Runtime. arena=False: see `albert.runtime.OnnxModel`."""
    model = getattr(albert, cls).from_pretrained(directory)
    path = workdir / f"ours-{cls}-{precision}.onnx"
    if not path.exists():
        export_onnx(model, path, precision=precision)
    return load_onnx(path, arena=arena)


# ----- inputs -----


def fixed_batch(b: int, t: int, device: str, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, 30000, (b, t), generator=g)
    return ids.to(device), torch.ones(b, t, dtype=torch.long, device=device)


def varlen_batch(n: int, low: int, high: int, device: str, seed: int = 0):
    """n sentences with lengths uniform in [low, high], right-padded to the longest one."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(low, high + 1, (n,), generator=g)
    t = int(lengths.max())
    ids = torch.randint(5, 30000, (n, t), generator=g)
    mask = (torch.arange(t)[None, :] < lengths[:, None]).long()
    return (ids * mask).to(device), mask.to(device), int(lengths.sum())


def fill_mask_batches(n: int, batch_size: int, device: str) -> tuple[list, str]:
    """SST-2 dev sentences (real text, real ALBERT vocabulary), one [MASK] each, sorted by length and
    batched; random ids of 8..64 tokens when the shared data is not beside the repository."""
    rows, source = [], "random ids, 8..64 tokens"
    if SPM_MODEL.is_file() and SST2_DEV.is_file():
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor(model_file=str(SPM_MODEL))
        lines = SST2_DEV.read_text().splitlines()[1 : n + 1]
        for line in lines:
            pieces = sp.encode(line.split("\t")[0].lower())[:126]
            row = [CLS, *pieces, SEP]
            row[len(row) // 2] = MASK
            rows.append(row)
        source = f"{len(rows)} sentences of {SST2_DEV.relative_to(SST2_DEV.parents[3])}"
    else:
        g = torch.Generator().manual_seed(0)
        for _ in range(n):
            row = [
                CLS,
                *torch.randint(5, 30000, (int(torch.randint(6, 63, (1,), generator=g)),)).tolist(),
                SEP,
            ]
            row[len(row) // 2] = MASK
            rows.append(row)
    rows.sort(key=len)  # as the pipelines do: little padding per batch
    batches = []
    for i in range(0, len(rows), batch_size):
        chunk = rows[i : i + batch_size]
        t = max(len(r) for r in chunk)
        ids = torch.full((len(chunk), t), PAD)
        for j, r in enumerate(chunk):
            ids[j, : len(r)] = torch.tensor(r)
        batches.append((ids.to(device), (ids != PAD).long().to(device)))
    return batches, source


def pretraining_batch(b: int, t: int, device: str, seed: int = 0) -> dict[str, torch.Tensor]:
    """Two segments, 15% of the tokens predicted (labels elsewhere -100), random sentence order."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, 30000, (b, t), generator=g)
    types = (torch.arange(t)[None, :] >= t // 2).long().expand(b, t).contiguous()
    picked = torch.rand(b, t, generator=g) < 0.15
    labels = torch.where(picked, ids, torch.full_like(ids, -100))
    ids = torch.where(picked, torch.full_like(ids, MASK), ids)
    batch = dict(
        input_ids=ids,
        attention_mask=torch.ones(b, t, dtype=torch.long),
        token_type_ids=types,
        labels=labels,
        sentence_order_label=torch.randint(0, 2, (b,), generator=g),
    )
    return {k: v.to(device) for k, v in batch.items()}


def flops_per_token(config: AlbertConfig, t: int) -> float:
    """Forward FLOPs per token of the encoder (matrix products only; x3 for a training step)."""
    h, i, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    per_layer = 2 * (4 * h * h + 2 * h * i) + 4 * t * h  # projections + FFN, then QK^T and PV
    return 2 * config.embedding_size * h + layers * per_layer


def set_threads(threads: int) -> None:
    """Intra-op threads of torch. (OMP_NUM_THREADS would have to be set before torch is imported to
    matter; run the script with it set in the environment instead.)"""
    torch.set_num_threads(threads)
