"""The one language detector (``xlrm.data.langid``): what the data stage tags pairs with and what
translate's ``language`` check trusts."""

from __future__ import annotations

import pytest

from xlrm.config import from_dict
from xlrm.data import langid
from xlrm.languages import LANGUAGES, MRB_CONFIGS
from xlrm.translate import checks
from xlrm.translate.checks import MessageText, check_pair
from xlrm.translate.config import TranslateConfig

ZH_HANT = "貓每天大約睡十二到十六個小時，這是因為牠們是天生的獵人，需要保存體力。"
ES = "Los gatos duermen entre doce y dieciséis horas al día porque son cazadores."


def test_default_languages_are_the_language_table():
    # English and the benchmark's languages; lingua has one Chinese, so zh-Hant is zh
    assert set(langid.DEFAULT_LANGUAGES) == set(LANGUAGES) - {"zh-Hant"}
    assert len(langid.DEFAULT_LANGUAGES) == len(MRB_CONFIGS) == 23
    assert list(langid.DEFAULT_LANGUAGES) == sorted(langid.DEFAULT_LANGUAGES)
    # every one of them is a language lingua can build a detector for
    assert langid.LinguaDetector().codes == langid.DEFAULT_LANGUAGES


def test_translate_checks_use_the_same_detector():
    assert checks.LinguaDetector is langid.LinguaDetector
    a = langid.LinguaDetector(["ko", "en", "es"])
    b = checks.LinguaDetector(["es", "ko", "en", "en"])
    assert a.codes == b.codes == ("en", "es", "ko")
    assert a._detector is b._detector  # built once per language set and mode
    assert langid.LinguaDetector(["en", "es", "ko"], low_accuracy=True)._detector is not a._detector


def test_one_language_gets_a_contrast():
    # lingua refuses a set of one; the stage may well translate into a single language
    assert langid.LinguaDetector(["ko"]).codes == ("en", "ko")
    assert langid.LinguaDetector(["en", "en"]).codes == ("en", "es")
    assert langid.LinguaDetector(["en"]).detect([ES]) == ["es"]


def test_traditional_chinese_is_detected_and_passes_the_language_check():
    det = langid.LinguaDetector(["en", "zh-Hant"])
    assert det.codes == ("en", "zh")
    found = det.detect([ZH_HANT])
    assert found == ["zh"]
    opts = from_dict(TranslateConfig, {}).checks
    src = "Cats sleep for about twelve to sixteen hours a day, because they are born hunters."
    msgs = [MessageText("chosen", 0, src, ZH_HANT)]
    fails = check_pair(msgs, ["a"], ["b"], "zh-Hant", opts, {ZH_HANT: found[0]})
    assert [r for r, _, _ in fails if r == "language"] == []
    # and a Spanish output for a zh-Hant target still fails it
    fails = check_pair([MessageText("chosen", 0, src, ES)], ["a"], ["b"], "zh-Hant", opts, {ES: "es"})
    assert ("language", "chosen", 0) in fails


def test_unsupported_language_is_named():
    with pytest.raises(ValueError, match="'xx' is not supported by the lingua detector"):
        langid.LinguaDetector(["en", "xx"])


def test_data_stage_detect_reads_only_the_leading_characters():
    english = (
        "Most domestic cats spend the greater part of every day asleep, and this habit is older than "
        "the house they live in. Their wild ancestors hunted small prey at dawn and dusk, bursts of "
        "effort that burn a great deal of energy, so the rest of the day was spent resting in a safe "
        "and quiet place. A sleeping cat is rarely deeply asleep: most of that time is light dozing, "
        "with the ears still turning towards every new sound in the room."
    )
    text = ES + " " + english
    assert langid.detect([text], ("en", "es"), sample_chars=len(ES)) == ["es"]
    assert langid.detect([text], ("en", "es"), sample_chars=len(text)) == ["en"]
    assert langid.detect([], ("en", "xx")) == []  # nothing to detect: no detector is built
