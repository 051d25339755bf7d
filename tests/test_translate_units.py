"""Unit tests of the translation stage's parts: placeholders, splitting, cache, config, checks, input."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlrm import languages
from xlrm.config import from_dict, load_config
from xlrm.data.pairfile import pair_files, read_pair_rows
from xlrm.errors import ConfigError, InputError
from xlrm.translate import protect, split
from xlrm.translate.backends.base import Backend, Batch, render_prompt
from xlrm.translate.cache import Identity, TranslationCache
from xlrm.translate.checks import LinguaDetector, MessageText, check_pair
from xlrm.translate.config import TranslateConfig
from xlrm.translate.stage import translate
from xlrm.translate.translator import Planner, translate_language

ROOT = Path(__file__).resolve().parents[1]


# --- protect ---------------------------------------------------------------------


def test_blocks_and_inline_spans_are_found():
    counts = Counter()
    text = (
        "Run `ls -la` and read https://example.com/a_(b). Not math: $5 and $10.\n"
        "```python\nprint('a. B')\n```\n"
        "Then $$E = mc^2$$ and \\(y\\) and $x^2$, mail me@example.org, old [[3]] www.foo.com."
    )
    pieces = protect.split_blocks(text, counts)
    assert "".join(p for _, p in pieces) == text
    assert [p for b, p in pieces if b] == ["```python\nprint('a. B')\n```", "$$E = mc^2$$"]
    masked = [protect.mask_inline(p, counts) for b, p in pieces if not b]
    assert masked[0].text.startswith("Run [[0]] and read [[1]]. Not math: $5 and $10.")
    assert masked[0].spans == ["`ls -la`", "https://example.com/a_(b)"]
    assert masked[2].spans == ["\\(y\\)", "$x^2$", "me@example.org", "[[3]]", "www.foo.com"]
    assert counts == Counter(
        code_block=1, math_block=1, inline_code=1, url=2, inline_math=2, email=1, placeholder_literal=1
    )


def test_restore_tolerates_spacing_and_full_width_brackets_but_not_loss():
    spans = ["`a`", "`b`"]
    assert protect.restore("x [[1]] y [[0]]", spans) == "x `b` y `a`"
    assert protect.restore("x [ [1] ] y ［［0］］", spans) == "x `b` y `a`"
    assert protect.restore("x [[1]] y", spans) is None
    assert protect.restore("x [[1]] [[1]] [[0]]", spans) is None
    assert protect.restore("x [[0]] [[1]] [[2]]", spans) is None
    assert protect.localize("a [[3]] b [[7]]", [str(i) for i in range(8)]) == ("a [[0]] b [[1]]", ["3", "7"])


# --- split -----------------------------------------------------------------------


def words(texts):
    return [len(t.split()) + 1 for t in texts]


def test_split_keeps_layout_and_cuts_long_lines_at_sentences():
    text = "# Title\n- item one.  \n  2. First sentence here. Dr. Who came e.g. today! Last one, with a clause.\n"
    stats = {}
    parts = split.split_text(text, 6, words, stats=stats)
    assert "".join(p for _, p in parts) == text
    assert [p for t, p in parts if t] == [
        "Title",
        "item one.",
        "First sentence here.",
        "Dr. Who came e.g. today!",
        "Last one, with a clause.",
    ]
    assert stats == {"long_splits": 1}
    assert [p for t, p in parts if not t][:2] == ["# ", "\n- "]


def test_split_by_paragraph_and_hard_cuts():
    text = "One line\nand its continuation.\n\n\nSecond paragraph."
    parts = split.split_text(text, 50, words, by_line=False)
    assert [p for t, p in parts if t] == ["One line\nand its continuation.", "Second paragraph."]
    long_word = "x" * 40
    parts = split.split_text(long_word, 10, lambda ts: [len(t) for t in ts])
    assert "".join(p for _, p in parts) == long_word
    assert all(len(p) <= 10 for _, p in parts)


fragments = st.sampled_from(
    [
        "Hello world.",
        " ",
        "\n",
        "\n\n",
        "- ",
        "  ",
        "Dr. Smith is here! ",
        "What? ",
        "`code`",
        "$x$",
        "$5 ",
        "https://a.org/x.",
        "```\nfn main() {}\n```\n",
        "$$a+b$$",
        "[[2]]",
        "，中文句子。",
        "e.g. this",
        "1. ",
        "日本語の文です。",
        "tab\there",
        "a" * 30,
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(fragments, max_size=12).map("".join), st.integers(6, 30), st.booleans())
def test_split_round_trips_and_respects_the_limit(text, limit, by_line):
    def count(ts):
        return [len(t) // 2 + 1 for t in ts]

    parts = split.split_text(text, limit, count, by_line=by_line)
    assert "".join(p for _, p in parts) == text
    for translate_it, piece in parts:
        if translate_it:
            assert piece.strip() == piece and split.has_letters(piece)
            assert count([piece])[0] <= limit or len(piece.encode()) + 4 <= limit or len(piece) == 1


class Identity_(Backend):
    """Echoes its input: protect + split + restore must give the message back unchanged."""

    name = "identity"
    model_id = "echo"

    def __init__(self, limit):
        self.segment_limit = limit
        self.seen: list[str] = []

    def settings(self, attempt):
        return {"limit": self.segment_limit, "attempt": attempt}

    def count_tokens(self, texts):
        return [len(t.split()) + 1 for t in texts]

    def translate(self, texts, src, tgt, attempt=0):
        self.seen.extend(texts)
        return Batch(list(texts), 0)


def _pair(content):
    return {
        "id": "x",
        "prompt": [{"role": "user", "content": content}],
        "chosen": [{"role": "assistant", "content": "a"}],
        "rejected": [{"role": "assistant", "content": "b"}],
        "language": "en",
        "source": "t",
    }


def _translate_identity(tmp_path_factory, content: str, limit: int) -> tuple[str, list[str]]:
    cfg = from_dict(
        TranslateConfig,
        {
            "languages": ["ko"],
            "progress": False,
            "max_segment_tokens": limit,
            "checks": {"language": False, "length_ratio": False, "copy": False, "distinct": False},
        },
    )
    backend = Identity_(limit)
    plans, _ = Planner(True).plan([_pair(content)], backend)
    with TranslationCache(tmp_path_factory.mktemp("c") / "c.sqlite") as cache:
        out, _ = translate_language(plans, backend, cache, cfg, "ko", None)
    return out[0]["prompt"][0]["content"], backend.seen


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(fragments, max_size=12).map("".join), st.integers(8, 20))
def test_identity_translation_gives_any_message_back(tmp_path_factory, content, limit):
    assert _translate_identity(tmp_path_factory, content, limit)[0] == content


separated = st.lists(st.tuples(fragments, st.sampled_from([" ", "\n", "\n\n"])), max_size=10).map(
    lambda xs: "".join(f + sep for f, sep in xs)
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(separated, st.integers(8, 20))
def test_code_urls_and_math_never_reach_the_model(tmp_path_factory, content, limit):
    out, seen = _translate_identity(tmp_path_factory, content, limit)
    assert out == content
    for seg in seen:
        assert "`" not in seg and "https://" not in seg and "$$" not in seg and "$x$" not in seg


# --- cache -----------------------------------------------------------------------


def test_cache_is_wal_keyed_by_everything_and_first_write_wins(tmp_path):
    path = tmp_path / "c.sqlite"
    a, b = Identity("hf_seq2seq", "m", "v1"), Identity("hf_seq2seq", "m", "v2")
    with TranslationCache(path) as cache:
        cache.put_many(a, "en", "ko", [("Hello.", "안녕하세요."), ("Bye.", "안녕.")])
        cache.put_many(a, "en", "ko", [("Hello.", "other")])
        assert cache._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with TranslationCache(path) as cache:  # persists across connections
        assert cache.get_many(a, "en", "ko", ["Hello.", "Bye.", "New."]) == {
            "Hello.": "안녕하세요.",
            "Bye.": "안녕.",
        }
        assert cache.get_many(b, "en", "ko", ["Hello."]) == {}
        assert cache.get_many(a, "en", "es", ["Hello."]) == {}
        assert cache.get_many(Identity("openai_compat", "m", "v1"), "en", "ko", ["Hello."]) == {}
        assert cache.count() == 2 and cache.count("ko") == 2


# --- config and languages --------------------------------------------------------


def test_language_codes_and_config_errors(tmp_path):
    assert languages.language("ko").nllb == "kor_Hang" and languages.language("zh").mbart50 == "zh_CN"
    with pytest.raises(ConfigError, match="unknown language code 'kor_Hang' \\(did you mean 'ko'\\?\\)"):
        languages.language("kor_Hang")
    with pytest.raises(ConfigError, match="'KO' \\(codes are lower case: 'ko'\\)"):
        languages.language("KO")
    with pytest.raises(ConfigError, match="unknown language code 'xx'.*ar, cs, de"):
        from_dict(TranslateConfig, {"languages": ["xx"]})
    with pytest.raises(ConfigError, match="source language 'en' cannot be a target"):
        from_dict(TranslateConfig, {"languages": ["en", "ko"]})
    with pytest.raises(ConfigError, match="models: \\['it'\\] are not target languages"):
        from_dict(TranslateConfig, {"languages": ["ko"], "models": {"it": "x"}})
    with pytest.raises(ConfigError, match="must contain \\{text\\}"):
        from_dict(TranslateConfig, {"hf": {"prompt_template": "no text here"}})
    with pytest.raises(ConfigError, match="base_url must start with http"):
        from_dict(TranslateConfig, {"openai": {"base_url": "localhost:8000"}})
    path = tmp_path / "run.yaml"
    path.write_text(
        "translate:\n  languages: [es, ko]\n  checks: {min_length_ratio: 0.5}\n  hf: {num_beams: 4}\n"
    )
    cfg = load_config(TranslateConfig, path, section="translate")
    assert cfg.languages == ["es", "ko"] and cfg.checks.min_length_ratio == 0.5 and cfg.hf.num_beams == 4


def test_prompt_rendering_leaves_other_braces_alone():
    assert (
        render_prompt("{src_name}→{tgt_name} ({tgt}) {json: 1} {text}", "Hi {x}", "en", "ko")
        == "English→Korean (ko) {json: 1} Hi {x}"
    )


# --- checks ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def detector():
    return LinguaDetector(["en", "es", "it", "ko"])


def test_lingua_detector_on_real_sentences(detector):
    texts = [
        "Los gatos duermen entre doce y dieciséis horas al día.",
        "I gatti dormono tra le dodici e le sedici ore al giorno.",
        "고양이는 하루에 약 12시간에서 16시간 동안 잠을 잡니다.",
        "Cats sleep for about twelve to sixteen hours a day.",
    ]
    assert detector.detect(texts) == ["es", "it", "ko", "en"]


def test_check_pair_reasons(detector):
    opts = from_dict(TranslateConfig, {}).checks
    src = "Cats sleep for about twelve to sixteen hours a day."

    def check(out, tgt="es", chosen=("a",), rejected=("b",)):
        m = [MessageText("chosen", 0, src, out)]
        found = dict(zip([out], detector.detect([out]), strict=True))
        return [r for r, _, _ in check_pair(m, list(chosen), list(rejected), tgt, opts, found)]

    assert check("Los gatos duermen entre doce y dieciséis horas al día.") == []
    assert check(src) == ["copy"]
    assert check("I gatti dormono tra le dodici e le sedici ore al giorno.") == ["language"]
    assert check("Los gatos.") == ["length_ratio"]
    assert check("고양이는 하루에 약 12시간에서 16시간 동안 잠을 잡니다.", tgt="ko") == []  # Hangul is dense
    assert check("Los gatos duermen entre doce y dieciséis horas al día.", chosen=["x"], rejected=["x"]) == [
        "chosen_equals_rejected"
    ]


# --- input and stage housekeeping --------------------------------------------------


def read_pairs(path):
    return read_pair_rows(pair_files(path))


def test_input_errors_name_the_file_and_row(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_pairs(tmp_path / "missing.parquet")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="has no manifest.json, so it is not the output of an xlrm stage"):
        read_pairs(tmp_path / "empty")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(_pair("hi")) + "\n{not json\n")
    with pytest.raises(InputError, match="bad.jsonl, row 2: not valid JSON"):
        read_pairs(bad)
    pq.write_table(pa.table({"id": ["a"], "text": ["b"]}), tmp_path / "t.parquet")
    with pytest.raises(InputError, match="field 'prompt': column 'prompt' is missing.*xlrm data"):
        read_pairs(tmp_path / "t.parquet")
    with pytest.raises(InputError, match="unknown input format '.csv'"):
        (tmp_path / "x.csv").write_text("a,b\n")
        read_pairs(tmp_path / "x.csv")


def test_reads_a_data_stage_folder(tmp_path):
    from xlrm.data.config import DataConfig
    from xlrm.data.stage import run_data

    src = tmp_path / "p.jsonl"
    src.write_text(json.dumps(_pair("Hello there.")) + "\n")
    run_data(from_dict(DataConfig, {"out": str(tmp_path / "data")}), [str(src)])
    rows = read_pairs(tmp_path / "data")
    assert rows[0]["prompt"] == [{"role": "user", "content": "Hello there."}]
    assert pair_files(tmp_path / "data") == [tmp_path / "data" / "pairs.parquet"]


def test_stage_with_an_injected_backend_and_detector(tmp_path):
    class Upper(Identity_):
        def translate(self, texts, src, tgt, attempt=0):
            return Batch([t.upper() for t in texts], len(texts))

    class Stub:
        def detect(self, texts):
            return ["ko"] * len(texts)

    src = tmp_path / "p.jsonl"
    src.write_text(json.dumps(_pair("Please explain how rainbows are formed in the sky.")) + "\n")
    cfg = from_dict(TranslateConfig, {"languages": ["ko"], "progress": False, "checks": {"copy": False}})
    m = translate(src, tmp_path / "out", cfg, make_backend=lambda c, mid, langs: Upper(64), detector=Stub())
    row = pq.read_table(tmp_path / "out" / "ko.parquet").to_pylist()[0]
    assert row["prompt"][0]["content"] == "PLEASE EXPLAIN HOW RAINBOWS ARE FORMED IN THE SKY."
    assert row["id"] == "x-ko" and row["language"] == "ko"
    assert m["cache"] == str(tmp_path / "out.cache.sqlite") and "cache" not in m["config"]


def test_translate_stage_imports_no_torch():
    code = (
        "import sys, xlrm.translate.stage, xlrm.translate.translator, xlrm.translate.backends.openai_compat; "
        "print([m for m in ('torch', 'transformers') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT / "python"), "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_no_source_language_rows_loads_no_model(tmp_path):
    src = tmp_path / "p.jsonl"
    src.write_text(json.dumps({**_pair("Hola."), "language": "es"}) + "\n")
    cfg = from_dict(TranslateConfig, {"languages": ["ko", "it"], "progress": False})

    def no_model(*args):
        raise AssertionError("no model should load")

    m = translate(src, tmp_path / "out", cfg, make_backend=no_model, detector=object())
    assert m["counts"]["dropped_by_reason"]["not_source_language"] == 1
    assert pq.read_table(tmp_path / "out" / "it.parquet").num_rows == 0
    assert m["counts"]["languages"]["ko"]["pairs_out"] == 0


def test_language_codes_per_seq2seq_family():
    from xlrm.translate.backends.hf_seq2seq import detect_family, language_token, source_lang_value

    assert [language_token(f, "ko", {}) for f in ("nllb", "m2m100", "mbart50", "none")] == [
        "kor_Hang",
        "__ko__",
        "ko_KR",
        None,
    ]
    assert language_token("marian", "zh", {">>cmn_Hans<<": 7, ">>zho<<": 8}) == ">>cmn_Hans<<"
    assert language_token("marian", "ko", {}) is None
    assert [source_lang_value(f, "en") for f in ("nllb", "m2m100", "mbart50", "marian")] == [
        "eng_Latn",
        "en",
        "en_XX",
        None,
    ]

    class Cfg:
        model_type = "m2m_100"

    assert detect_family(Cfg(), {"eng_Latn": 1}) == "nllb" and detect_family(Cfg(), {"__en__": 1}) == "m2m100"
    assert detect_family(Cfg(), {"en_XX": 1}) == "mbart50" and detect_family(Cfg(), {}) == "none"
    with pytest.raises(ConfigError, match="mBART-50 has no code for Greek"):
        language_token("mbart50", "el", {})
