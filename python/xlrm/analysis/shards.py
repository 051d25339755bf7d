"""Pooled hidden states on disk as safetensors shards, written and read back in row order.

A shard ``<prefix>-00000.safetensors`` holds up to ``shard_rows`` rows of every requested layer
(tensors ``layer_<i>`` with ``i`` the hidden-state index, 0 = embeddings; shape ``(rows, d)``, in the
model's dtype). Writers buffer at most one
shard; readers hand back exactly the rows asked for, crossing shard boundaries.
"""

from __future__ import annotations

from pathlib import Path


class ShardWriter:
    def __init__(self, folder: Path, prefix: str, shard_rows: int):
        self.folder, self.prefix, self.shard_rows = Path(folder), prefix, shard_rows
        self.folder.mkdir(parents=True, exist_ok=True)
        self._buf: dict[str, list] = {}
        self._rows = 0
        self.files: list[str] = []

    def add(self, pooled: dict[int, object]) -> None:
        import torch

        for layer, t in pooled.items():
            self._buf.setdefault(f"layer_{layer}", []).append(t)
        self._rows += next(iter(pooled.values())).shape[0]
        while self._rows >= self.shard_rows:
            whole = {k: torch.cat(v) for k, v in self._buf.items()}
            self._write({k: v[: self.shard_rows] for k, v in whole.items()})
            self._buf = {k: [v[self.shard_rows :]] for k, v in whole.items()}
            self._rows -= self.shard_rows

    def _write(self, tensors: dict) -> None:
        from safetensors.torch import save_file

        name = f"{self.prefix}-{len(self.files):05d}.safetensors"
        save_file({k: v.contiguous() for k, v in tensors.items()}, str(self.folder / name))
        self.files.append(name)

    def close(self) -> list[str]:
        import torch

        if self._rows:
            self._write({k: torch.cat(v) for k, v in self._buf.items()})
            self._buf, self._rows = {}, 0
        return self.files


class ShardReader:
    """Sequential reader: ``take(n)`` returns the next ``n`` rows of every layer."""

    def __init__(self, folder: Path, files: list[str]):
        self.folder, self.files = Path(folder), list(files)
        self._cur: dict | None = None
        self._pos = 0
        self._next = 0

    def _load(self) -> None:
        from safetensors.torch import load_file

        if self._next >= len(self.files):
            raise ValueError("state shards ran out before the model's rows did (probe rows changed?)")
        self._cur = load_file(str(self.folder / self.files[self._next]))
        self._next += 1
        self._pos = 0

    def take(self, n: int) -> dict[str, object]:
        import torch

        parts: dict[str, list] = {}
        while n > 0:
            if self._cur is None or self._pos >= next(iter(self._cur.values())).shape[0]:
                self._load()
            avail = next(iter(self._cur.values())).shape[0] - self._pos
            k = min(n, avail)
            for key, t in self._cur.items():
                parts.setdefault(key, []).append(t[self._pos : self._pos + k])
            self._pos += k
            n -= k
        return {k: torch.cat(v) if len(v) > 1 else v[0] for k, v in parts.items()}
