"""The OpenAI-compatible backend against a real HTTP server on 127.0.0.1 started by the test.

The stand-in server speaks chat-completions and "translates" by looking segments up in a
table of real translations (so the language, length and copy checks run for real, with
lingua). It can answer 429/500, stall past the client's timeout, or hang mid-run so that a
subprocess can be killed with SIGKILL; it records every request it answered.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from loopback_chat import Loopback, completion, json_answer
from pair_rows import msg, one_turn_pair
from xlrm.cli import main
from xlrm.config import from_dict
from xlrm.translate.backends import BackendError, make_backend
from xlrm.translate.config import TranslateConfig
from xlrm.translate.stage import translate

ROOT = Path(__file__).resolve().parents[1]
NAMES = {"Spanish": "es", "Korean": "ko", "Italian": "it"}

# Segments as the stage sends them (one line each, inline spans as placeholders) → real translations.
TABLE = {
    "You are a helpful assistant.": {"es": "Eres un asistente útil.", "ko": "당신은 도움이 되는 조수입니다."},
    "How do I list files in a directory?": {
        "es": "¿Cómo puedo listar los archivos de un directorio?",
        "ko": "디렉터리의 파일 목록을 어떻게 볼 수 있나요?",
    },
    "Use the command [[0]] in your terminal.": {
        "es": "Usa el comando [[0]] en tu terminal.",
        "ko": "터미널에서 [[0]] 명령을 사용하세요.",
    },
    "See [[0]] for details.": {
        "es": "Consulta [[0]] para más detalles.",
        "ko": "자세한 내용은 [[0]]을 참조하세요.",
    },
    "I do not know how to do that.": {
        "es": "No sé cómo hacer eso.",
        "ko": "어떻게 해야 하는지 모르겠습니다.",
    },
    "What is the derivative of [[0]]?": {
        "es": "¿Cuál es la derivada de [[0]]?",
        "ko": "[[0]]의 도함수는 무엇인가요?",
    },
    "The derivative of [[0]] is [[1]].": {
        "es": "La derivada de [[0]] es [[1]].",
        "ko": "[[0]]의 도함수는 [[1]]입니다.",
    },
    "Tell me a fun fact about cats.": {
        "es": "Cuéntame un dato curioso sobre los gatos.",
        "ko": "고양이에 대한 재미있는 사실을 알려 주세요.",
    },
    "Cats sleep for about twelve to sixteen hours a day.": {
        "es": "Los gatos duermen entre doce y dieciséis horas al día.",
        "ko": "고양이는 하루에 약 12시간에서 16시간 동안 잠을 잡니다.",
    },
    "Cats are a kind of fish that live in the sea.": {
        "es": "Los gatos son un tipo de pez que vive en el mar.",
        "ko": "고양이는 바다에 사는 물고기의 일종입니다.",
    },
}
CODE = "```bash\nls -la /home\n```"


def simple_pair(pid: str, question: str, chosen: str, rejected: str) -> dict:
    return one_turn_pair(pid, question, chosen, rejected, source="unit")


PAIRS = [
    {
        "id": "p1",
        "prompt": [
            msg("system", "You are a helpful assistant."),
            msg("user", "How do I list files in a directory?"),
        ],
        "chosen": [
            msg(
                "assistant",
                f"Use the command `ls -la` in your terminal.\n\n{CODE}\nSee https://example.com/docs for details.",
            )
        ],
        "rejected": [msg("assistant", "I do not know how to do that.")],
        "language": "en",
        "source": "unit",
    },
    simple_pair(
        "p2",
        "What is the derivative of $x^2$?",
        "The derivative of $x^2$ is $2x$.",
        "The derivative of $x^2$ is $x$.",
    ),
    simple_pair(
        "p3",
        "Tell me a fun fact about cats.",
        "Cats sleep for about twelve to sixteen hours a day.",
        "Cats are a kind of fish that live in the sea.",
    ),
]
EXPECTED_ES_P1 = {
    "prompt": [
        msg("system", "Eres un asistente útil."),
        msg("user", "¿Cómo puedo listar los archivos de un directorio?"),
    ],
    "chosen": [
        msg(
            "assistant",
            f"Usa el comando `ls -la` en tu terminal.\n\n{CODE}\nConsulta https://example.com/docs para más detalles.",
        )
    ],
    "rejected": [msg("assistant", "No sé cómo hacer eso.")],
}


class StandIn(Loopback):
    """A chat-completions server on 127.0.0.1: table lookup, unknown text echoed back (a copy)."""

    def __init__(self, table=TABLE, *, translate=None, retry_table=None):
        super().__init__()
        self.table = table
        self.translate_fn = translate
        self.retry_table = retry_table or {}
        self.failures: list[tuple[int, dict]] = []  # served first, in order: (status, headers)
        self.stall_s = 0.0  # sleep before answering the next request (then reset)
        self.hang_after: int | None = None  # requests beyond this many hang until `release`
        self.release = threading.Event()
        self.received: list[str] = []
        self.answered: list[tuple[str, str, int]] = []  # (text, target, attempt)
        self.auth: list[str | None] = []
        self.bodies: list[dict] = []

    def __exit__(self, *exc):
        self.release.set()
        super().__exit__(*exc)

    def arrived(self, req):  # under the lock
        body = json.loads(req["body"])
        user = body["messages"][-1]["content"]
        req["tgt"] = NAMES[re.search(r" to (\w+)\.", user).group(1)]
        req["text"] = user.split("\n\n", 1)[1]
        self.received.append(req["text"])
        self.auth.append(req["headers"].get("Authorization"))
        self.bodies.append(body)
        req["json"], req["n"] = body, len(self.received)
        req["failure"] = self.failures.pop(0) if self.failures else None
        req["stall"], self.stall_s = self.stall_s, 0.0

    def respond(self, req):
        body, text, tgt = req["json"], req["text"], req["tgt"]
        user, attempt = body["messages"][-1]["content"], int(body.get("seed", 0))
        if req["path"] != "/v1/chat/completions":
            return json_answer(404, {"error": {"message": f"no route {req['path']}"}}, ensure_ascii=False)
        if req["failure"] is not None:
            status, headers = req["failure"]
            return json_answer(status, {"error": {"message": "try again later"}}, headers, ensure_ascii=False)
        if self.hang_after is not None and req["n"] > self.hang_after:
            self.release.wait(30)
            return None  # the client is gone: close without answering
        if req["stall"]:
            time.sleep(req["stall"])
        if attempt and text in self.retry_table:
            out = self.retry_table[text][tgt]
        elif self.translate_fn is not None:
            out = self.translate_fn(text, tgt)
        else:
            out = self.table.get(text, {}).get(tgt, text)
        req["answered"] = (text, tgt, attempt)
        payload = completion(
            out, id=f"chatcmpl-{req['n']}", model=body["model"], prompt_tokens=len(user.split())
        )
        return json_answer(200, payload, ensure_ascii=False)

    def sent(self, req, answer):
        if "answered" in req:
            with self.lock:
                self.answered.append(req["answered"])


def cfg_for(url, **kw) -> TranslateConfig:
    data = {
        "backend": "openai_compat",
        "model": "stand-in-mt",
        "languages": ["es", "ko"],
        "batch_size": 4,
        "progress": False,
        "openai": {"base_url": url, "api_key_env": "XLRM_TEST_KEY", "backoff_s": 0.01, "timeout_s": 5.0},
    }
    for k, v in kw.items():
        if isinstance(v, dict):
            data.setdefault(k, {}).update(v)
        else:
            data[k] = v
    return from_dict(TranslateConfig, data)


def m_counts(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())["counts"]


def write_pairs(path: Path, pairs) -> Path:
    path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs), encoding="utf-8")
    return path


@pytest.fixture
def pairs_file(tmp_path):
    return write_pairs(tmp_path / "pairs.jsonl", PAIRS)


def read(out, lang):
    return pq.read_table(out / f"{lang}.parquet").to_pylist()


def test_real_translations_pass_the_checks_and_keep_code_urls_math(pairs_file, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("XLRM_TEST_KEY", "sk-test-secret-4242")
    caplog.set_level("DEBUG")
    with StandIn() as server:
        m = translate(pairs_file, tmp_path / "out", cfg_for(server.url))
    es = read(tmp_path / "out", "es")
    assert {k: es[0][k] for k in EXPECTED_ES_P1} == EXPECTED_ES_P1
    assert es[1]["chosen"][0]["content"] == "La derivada de $x^2$ es $2x$."
    assert read(tmp_path / "out", "ko")[1]["rejected"][0]["content"] == "$x^2$의 도함수는 $x$입니다."
    for lang in ("es", "ko"):
        c = m["counts"]["languages"][lang]
        assert c["pairs_out"] == 3 and sum(c["checks_failed"].values()) == 0
        assert c["translated"] == c["unique_segments"] == 10 and c["placeholder_fallbacks"] == 0
    assert m["counts"]["protected_by_kind"] == {"code_block": 1, "inline_code": 1, "inline_math": 5, "url": 1}
    # each unique segment once per language, with the key from the environment
    assert Counter((t, g) for t, g, _ in server.answered) == Counter(
        {(t, g): 1 for t in TABLE for g in ("es", "ko")}
    )
    assert set(server.auth) == {"Bearer sk-test-secret-4242"}
    body = server.bodies[0]
    assert (
        body["model"] == "stand-in-mt"
        and body["temperature"] == 0.0
        and body["messages"][0]["role"] == "system"
    )
    # the key is never logged nor written
    manifest_text = (tmp_path / "out" / "manifest.json").read_text()
    assert "sk-test-secret" not in caplog.text and "sk-test-secret" not in manifest_text
    assert "XLRM_TEST_KEY" in manifest_text  # the variable's name is config, not a secret


def test_429_and_500_are_retried_with_backoff(monkeypatch):
    monkeypatch.delenv("XLRM_TEST_KEY", raising=False)
    with StandIn() as server:
        backend = make_backend(cfg_for(server.url, openai={"backoff_s": 0.1}), "stand-in-mt", ["es"])
        server.failures = [(429, {}), (500, {})]
        started = time.perf_counter()
        out = backend.translate(["I do not know how to do that."], "en", "es")
        elapsed = time.perf_counter() - started
        assert out.outputs == ["No sé cómo hacer eso."] and out.tokens == 5
        assert backend.retries == 2 and len(server.received) == 3
        assert elapsed >= 0.05 + 0.1  # at least half of 0.1 then of 0.2 (jitter)
        assert server.auth == [None, None, None]  # no key in the environment: no header

        server.failures = [(429, {"Retry-After": "0.4"})]
        started = time.perf_counter()
        backend.translate(["Tell me a fun fact about cats."], "en", "es")
        assert time.perf_counter() - started >= 0.4  # the server's Retry-After wins

        server.failures = [(503, {})] * 10
        small = make_backend(cfg_for(server.url, openai={"max_retries": 2}), "stand-in-mt", ["es"])
        with pytest.raises(
            BackendError, match=r"no answer after 3 attempts \(last: HTTP 503 try again later\)"
        ):
            small.translate(["x y z"], "en", "es")
        server.failures = [(400, {})]
        n = len(server.received)
        with pytest.raises(BackendError, match="HTTP 400.*check base_url"):
            small.translate(["x y z"], "en", "es")
        assert len(server.received) == n + 1  # client errors are not retried
        backend.close()
        small.close()


def test_timeout_is_retried_then_reported():
    with StandIn() as server:
        backend = make_backend(cfg_for(server.url, openai={"timeout_s": 0.3, "max_retries": 1}), "m", ["es"])
        server.stall_s = 1.0
        out = backend.translate(["See [[0]] for details."], "en", "es")
        assert out.outputs == ["Consulta [[0]] para más detalles."] and backend.retries == 1
        server.hang_after = 0
        with pytest.raises(BackendError, match="no answer after 2 attempts.*timed out"):
            backend.translate(["See [[0]] for details."], "en", "es")
        server.release.set()
        backend.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_refused_connection_is_a_clear_error(pairs_file, tmp_path, capsys):
    url = f"http://127.0.0.1:{free_port()}/v1"
    rc = main(
        [
            "translate",
            str(pairs_file),
            "--out",
            str(tmp_path / "out"),
            "--languages",
            "es",
            "--backend",
            "openai_compat",
            "--openai.base-url",
            url,
            "--openai.max-retries",
            "1",
            "--openai.backoff-s",
            "0.01",
            "--progress",
            "false",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2
    assert f"{url}/chat/completions: no answer after 2 attempts (last: connection refused)" in err
    assert "is the server running" in err
    assert not (tmp_path / "out").exists()


def test_cli_end_to_end_and_unknown_language(pairs_file, tmp_path, capsys):
    cfg = tmp_path / "run.yaml"
    cfg.write_text(
        "translate:\n  backend: openai_compat\n  model: stand-in-mt\n  progress: false\n"
        "  openai:\n    base_url: PLACEHOLDER\n    backoff_s: 0.01\n",
        encoding="utf-8",
    )

    def run(out_name: str, *languages: str) -> int:
        args = ["translate", str(pairs_file), "--out", str(tmp_path / out_name), "--config", str(cfg)]
        return main([*args, "--languages", *languages])

    with StandIn() as server:
        cfg.write_text(cfg.read_text().replace("PLACEHOLDER", server.url), encoding="utf-8")
        rc = run("out", "es", "ko")
        out = capsys.readouterr().out
        assert rc == 0, out
        assert "translate: 3 in, 6 out, 0 dropped" in out
        assert m_counts(tmp_path / "out")["languages"]["es"]["translated"] == 10
        rc = run("out", "es", "ko")
        assert rc == 0 and "(unchanged, skipped)" in capsys.readouterr().out
    rc = run("bad", "es", "kr")
    err = capsys.readouterr().err
    assert rc == 2 and "unknown language code 'kr' (did you mean 'ko'?)" in err
    assert not (tmp_path / "bad").exists()


def test_failed_checks_are_retried_or_dropped_never_kept(tmp_path):
    pairs = [
        *PAIRS,
        # the stand-in does not know this text: it answers a copy of the source
        simple_pair(
            "p4",
            "Please describe the weather in Madrid today.",
            "It is sunny and warm in Madrid today.",
            "I do not know how to do that.",
        ),
        # chosen and rejected are the same text: no preference left
        simple_pair(
            "p5",
            "Tell me a fun fact about cats.",
            "Cats are a kind of fish that live in the sea.",
            "Cats are a kind of fish that live in the sea.",
        ),
        # answered in Italian instead of Spanish
        simple_pair(
            "p6",
            "Tell me a fun fact about cats.",
            "Cats have five toes on their front paws.",
            "Cats are a kind of fish that live in the sea.",
        ),
    ]
    table = {
        **TABLE,
        "Please describe the weather in Madrid today.": {
            "es": "Por favor, describe el tiempo en Madrid hoy."
        },
        "Cats have five toes on their front paws.": {
            "es": "I gatti hanno cinque dita sulle zampe anteriori."
        },
    }
    retry = {
        "It is sunny and warm in Madrid today.": {"es": "Hoy hace sol y calor en Madrid."},
        "Cats have five toes on their front paws.": {
            "es": "Los gatos tienen cinco dedos en las patas delanteras."
        },
    }
    src = write_pairs(tmp_path / "pairs.jsonl", pairs)
    with StandIn(table, retry_table=retry) as server:
        cfg = cfg_for(server.url, languages=["es"], checks={"detector_languages": ["it"]}, on_fail="drop")
        m = translate(src, tmp_path / "drop", cfg)
        c = m["counts"]["languages"]["es"]
        assert [r["id"] for r in read(tmp_path / "drop", "es")] == ["p1-es", "p2-es", "p3-es"]
        assert c["checks_failed"] == {
            "empty": 0,
            "copy": 1,
            "language": 1,
            "length_ratio": 0,
            "chosen_equals_rejected": 1,
        }
        assert c["dropped"] == c["checks_failed"] and c["retried_pairs"] == 0

        cfg = cfg_for(server.url, languages=["es"], checks={"detector_languages": ["it"]}, on_fail="retry")
        m = translate(src, tmp_path / "retry", cfg)
        c = m["counts"]["languages"]["es"]
        rows = {r["id"]: r for r in read(tmp_path / "retry", "es")}
        assert sorted(rows) == ["p1-es", "p2-es", "p3-es", "p4-es", "p6-es"]
        assert rows["p4-es"]["chosen"][0]["content"] == "Hoy hace sol y calor en Madrid."
        assert (
            rows["p6-es"]["chosen"][0]["content"] == "Los gatos tienen cinco dedos en las patas delanteras."
        )
        assert rows["p4-es"]["prompt"][0]["content"] == "Por favor, describe el tiempo en Madrid hoy."
        # identical in the source: not retried, dropped with its reason
        assert c["retried_pairs"] == 2 and c["recovered_by_retry"] == 2
        assert c["dropped"] == {
            "empty": 0,
            "copy": 0,
            "language": 0,
            "length_ratio": 0,
            "chosen_equals_rejected": 1,
        }
        retried = [(t, a) for t, _, a in server.answered if a]
        assert sorted(retried) == [
            ("Cats have five toes on their front paws.", 1),
            ("It is sunny and warm in Madrid today.", 1),
        ]
        assert server.bodies[-1]["temperature"] == 0.7


def test_malformed_rows_are_counted_and_reported(tmp_path):
    bad = [
        {**PAIRS[0], "id": "bad-role", "chosen": [msg("bot", "hi")]},
        {**PAIRS[0], "id": "bad-content", "rejected": [{"role": "assistant", "content": 5}]},
        {**PAIRS[0], "id": "no-chosen", "chosen": []},
        {**PAIRS[0], "id": ""},
        {**PAIRS[0], "id": "not-a-list", "prompt": "hello"},
        {**PAIRS[2], "id": "spanish", "language": "es"},
    ]
    src = write_pairs(tmp_path / "pairs.jsonl", [*PAIRS, *bad])
    with StandIn() as server:
        m = translate(src, tmp_path / "out", cfg_for(server.url, languages=["ko"]))
    assert m["counts"]["in"] == 9 and m["counts"]["pairs"] == 3
    assert m["counts"]["dropped_by_reason"] == {"malformed": 5, "not_source_language": 1}
    reasons = {e["id"]: e["reason"] for e in m["malformed_examples"]}
    assert reasons["bad-role"] == "chosen[0] has role 'bot' (expected one of system, user, assistant)"
    assert reasons["bad-content"] == "rejected[0] content is not a string"
    assert reasons["no-chosen"] == "chosen has no messages"
    assert reasons[""] == "missing or empty id"
    assert reasons["not-a-list"] == "prompt is not a list of messages"
    assert [e["row"] for e in m["malformed_examples"]] == [4, 5, 6, 7, 8]


# --- resume after SIGKILL ------------------------------------------------------


def fake_translation(text: str, tgt: str) -> str:
    return f"[{tgt}] " + " ".join(reversed(text.split()))


def resume_pairs(n: int = 12):
    topics = ["rivers", "mountains", "trains", "bread", "music", "stars"]
    return [
        simple_pair(
            f"r{i}",
            f"Question {i}: what do you know about {topics[i % 6]} number {i}?",
            f"A careful answer {i} about {topics[i % 6]}, with several facts.",
            f"A lazy answer {i}.",
        )
        for i in range(n)
    ]


def test_sigkill_mid_run_then_rerun_gives_the_same_output_and_translates_nothing_twice(tmp_path):
    src = write_pairs(tmp_path / "pairs.jsonl", resume_pairs())
    unique = 36
    yaml = (
        "translate:\n  backend: openai_compat\n  model: stand-in-mt\n  languages: [es]\n  batch_size: 1\n"
        "  progress: false\n  checks: {language: false}\n"
        "  openai: {base_url: URL, concurrency: 1, backoff_s: 0.01, timeout_s: 20}\n"
    )
    # reference: an uninterrupted run
    with StandIn(translate=fake_translation) as server:
        (tmp_path / "ref.yaml").write_text(yaml.replace("URL", server.url))
        assert (
            main(
                [
                    "translate",
                    str(src),
                    "--out",
                    str(tmp_path / "ref"),
                    "--config",
                    str(tmp_path / "ref.yaml"),
                ]
            )
            == 0
        )
    reference = read(tmp_path / "ref", "es")
    assert len(reference) == 12

    out = tmp_path / "out"
    cache = tmp_path / "out.cache.sqlite"
    kill_after = 10
    with StandIn(translate=fake_translation) as server:
        cfg = tmp_path / "run.yaml"
        cfg.write_text(yaml.replace("URL", server.url))
        server.hang_after = kill_after  # request 11 hangs: the run is killed while waiting for it
        env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "xlrm.cli",
                "translate",
                str(src),
                "--out",
                str(out),
                "--config",
                str(cfg),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.time() + 60
            while len(server.received) <= kill_after or cached(cache) < kill_after:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.time() < deadline, "the run did not reach the kill point"
                time.sleep(0.05)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stderr.close()
        server.release.set()
        assert proc.returncode == -signal.SIGKILL
        assert not out.exists()  # nothing that looks finished
        assert list(tmp_path.glob("out.tmp-*"))  # the killed run's work folder
        assert cached(cache) == kill_after
        first = [t for t, _, _ in server.answered]
        assert len(first) == kill_after

        server.hang_after = None
        assert main(["translate", str(src), "--out", str(out), "--config", str(cfg)]) == 0
        manifest = json.loads((out / "manifest.json").read_text())
        c = manifest["counts"]["languages"]["es"]
        assert c["cache_hits"] == kill_after and c["translated"] == unique - kill_after
        answered = Counter(t for t, _, _ in server.answered)
        assert len(answered) == unique and set(answered.values()) == {1}  # every segment exactly once
        assert not list(tmp_path.glob("out.tmp-*"))  # the stale work folder is gone
        assert read(out, "es") == reference

        # and a forced rerun asks the server nothing
        before = len(server.received)
        assert main(["translate", str(src), "--out", str(out), "--config", str(cfg), "--force"]) == 0
        assert len(server.received) == before


def cached(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM translations").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
