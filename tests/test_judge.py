"""The pairwise judge against a chat-completions server on 127.0.0.1 written here, and a callable.

The server reads answers A and B out of the judge prompt and answers by a policy the test picks:
always [[A]] (a position-biased judge), the longer answer (a judge with a real preference),
malformed text, or an HTTP refusal. It records what it was asked, so the tests check that each
pair is asked in both orders and that the swap is undone.
"""

from __future__ import annotations

import json
import re
import threading

import numpy as np
import pytest

from loopback_chat import ChatServer, completion, user_messages
from pair_rows import one_turn_pair
from xlrm.endpoint import EndpointRefused, EndpointTimeout
from xlrm.errors import ConfigError, InputError, XlrmError
from xlrm.eval.judge import (
    DEFAULT_TEMPLATE,
    RETRY_REMINDER,
    JudgeError,
    JudgeResult,
    PairwiseJudge,
    parse_verdict,
    win_rate,
)

ENV = "XLRM_JUDGE_TEST_KEY"
ANSWERS = re.compile(r"\[Answer A\]\n(.*?)\n\n\[Answer B\]\n(.*?)\n\nReply with", re.DOTALL)


class JudgeServer(ChatServer):
    """Chat completions on 127.0.0.1; ``policy(a, b, body) -> reply`` or ``(status, message)``."""

    def __init__(self, policy, *, jitter_s: float = 0.0):
        def reply(body, req):
            out = policy(*_answers(body), body)
            if isinstance(out, tuple):
                return out
            return completion(out, id="chatcmpl-judge", prompt_tokens=10, completion_tokens=3)

        super().__init__(reply, jitter_s=jitter_s)

    @property
    def asked(self) -> list[dict]:
        """Each request as it arrived: the answers A and B in the prompt, the body, the key sent."""
        out = []
        for req in list(self.seen):
            body = json.loads(req["body"])
            a, b = _answers(body)
            out.append({"a": a, "b": b, "body": body, "auth": req["headers"].get("Authorization")})
        return out


def _answers(body: dict) -> tuple[str | None, str | None]:
    m = ANSWERS.search(user_messages(body)[0])
    return (m.group(1), m.group(2)) if m else (None, None)


def pair(pid, chosen, rejected, question="Which is it?"):
    return one_turn_pair(pid, question, chosen, rejected)


PAIRS = [
    pair("p0", "Paris is the capital of France, on the Seine.", "Lyon."),
    pair("p1", "No.", "Yes, and here is a long, wrong explanation of why."),  # the longer one is rejected
    pair("p2", "Water boils at 100 °C at sea level.", "It boils at 50."),
    pair("p3", "가나다라마바사 아자차카타파하 가나다라", "가나"),  # not English: lengths still compare
]


def judge_for(server, **kw):
    kw.setdefault("http_retries", 0)
    kw.setdefault("backoff_s", 0.01)
    return PairwiseJudge.from_endpoint(server.url, "judge-model", api_key_env=ENV, **kw)


def always_a(a, b, body):
    return "[[A]]"


def longer(a, b, body):
    return "[[A]]" if len(a) > len(b) else "[[B]]"


def test_each_pair_is_asked_in_both_orders_and_a_position_biased_judge_gives_ties(monkeypatch):
    monkeypatch.setenv(ENV, "sk-judge-test-0123456789abcdef")
    with JudgeServer(always_a) as server:
        result = judge_for(server, concurrency=3).judge(PAIRS)
    assert len(server.asked) == 2 * len(PAIRS)
    for p in PAIRS:
        c, r = p["chosen"][0]["content"], p["rejected"][0]["content"]
        seen = [(q["a"], q["b"]) for q in server.asked if {q["a"], q["b"]} == {c, r}]
        assert sorted(seen) == sorted([(c, r), (r, c)])  # once chosen as A, once chosen as B
    # [[A]] means chosen in one order and rejected in the other: undone, that is a tie
    assert [r.verdict for r in result.records] == ["tie"] * 4
    assert all(
        r.chosen_first.verdict == "chosen" and r.chosen_second.verdict == "rejected" for r in result.records
    )
    assert result.counts == {
        "pairs": 4,
        "requests": 8,
        "retried": 0,
        "unparsed": 0,
        "inconsistent": 4,
        "chosen": 0,
        "rejected": 0,
        "tie": 4,
        "undecided": 0,
    }
    assert result.accuracy == 0.5
    assert {q["auth"] for q in server.asked} == {"Bearer sk-judge-test-0123456789abcdef"}
    body = server.asked[0]["body"]
    assert body["model"] == "judge-model" and body["temperature"] == 0.0 and "seed" not in body
    assert body["messages"][0]["role"] == "system" and len(body["messages"]) == 2


def test_a_judge_preferring_the_longer_answer_is_read_right_in_both_orders_and_in_input_order(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    extra = [  # odd i: the chosen answer is the longer one; even i: the rejected one
        pair(f"x{i}", "a" * (i + 2), "b" * (i + 1)) if i % 2 else pair(f"x{i}", "a" * (i + 1), "b" * (i + 3))
        for i in range(40)
    ]
    pairs = PAIRS + extra
    # jitter: with 8 requests in flight the replies arrive out of order; records must not
    with JudgeServer(longer, jitter_s=0.01) as server:
        result = judge_for(server, concurrency=8).judge(pairs)
    expected = [
        "chosen" if len(p["chosen"][0]["content"]) > len(p["rejected"][0]["content"]) else "rejected"
        for p in pairs
    ]
    assert [r.id for r in result.records] == [p["id"] for p in pairs]
    assert [r.verdict for r in result.records] == expected
    assert expected[:4] == ["chosen", "rejected", "chosen", "chosen"]
    p0, p1 = result.records[0], result.records[1]
    assert (p0.chosen_first.label, p0.chosen_second.label) == ("A", "B")  # same answer, both positions
    assert (p1.chosen_first.label, p1.chosen_second.label) == ("B", "A")
    assert p0.chosen_first.replies == ["[[A]]"] and p0.chosen_first.attempts == 1
    assert result.counts["inconsistent"] == 0 and result.counts["tie"] == 0
    assert result.counts["chosen"] == expected.count("chosen") and result.counts["requests"] == 2 * len(pairs)
    d = p1.to_dict()
    assert d["id"] == "p1" and d["verdict"] == "rejected" and d["chosen_first"]["attempts"] == 1
    assert d["chosen_first"]["replies"] == ["[[B]]"] and d["chosen_second"]["chosen_as"] == "B"


def test_malformed_replies_are_retried_with_the_attempt_recorded_then_counted_unparsed(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)

    def policy(a, b, body):
        retry = len(body["messages"]) > 2
        if "Paris" in (a + b):  # p0: never readable
            return "Both are fine, I cannot decide between A and B."
        if "boils" in (a + b) and not retry:  # p2: two tokens first, a clean verdict when reminded
            return "Maybe [[A]], or maybe [[B]]."
        return longer(a, b, body)

    with JudgeServer(policy) as server:
        result = judge_for(server, max_retries=2).judge(PAIRS)
    recs = {r.id: r for r in result.records}
    # p0: both orders asked 1 + 2 times, then given up
    for order in (recs["p0"].chosen_first, recs["p0"].chosen_second):
        assert order.attempts == 3 and order.label is None and order.verdict is None
    assert recs["p0"].verdict == "undecided"
    # p2: recovered on the first retry, in both orders
    assert recs["p2"].chosen_first.attempts == 2 and recs["p2"].chosen_first.label == "A"
    assert recs["p2"].chosen_second.replies == ["Maybe [[A]], or maybe [[B]].", "[[B]]"]
    assert recs["p2"].verdict == "chosen" and recs["p1"].chosen_first.attempts == 1
    c = result.counts
    assert c["unparsed"] == 2 and c["undecided"] == 1 and c["retried"] == 2 * 2 + 2
    assert c["requests"] == 8 + c["retried"] == len(server.asked)
    assert result.accuracy == pytest.approx(2 / 4)  # p2, p3 right; p1 rejected; p0 undecided counts 0
    retries = [q["body"] for q in server.asked if len(q["body"]["messages"]) > 2]
    assert len(retries) == 6
    for body in retries:  # the bad reply is shown back with a reminder; sampling varies per attempt
        assert body["messages"][-1] == {"role": "user", "content": RETRY_REMINDER}
        assert body["messages"][-2]["role"] == "assistant" and body["temperature"] == 0.7
        assert body["seed"] in (1, 2)


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (401, rf"no API key was sent: \${ENV} is not set"),
        (403, rf"no API key was sent: \${ENV} is not set"),
        (404, r"check base_url .* judge\.base_url is the API root"),
    ],
)
def test_a_refusing_endpoint_is_a_clear_error(status, hint, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    with JudgeServer(lambda a, b, body: (status, "go away")) as server:
        with pytest.raises(EndpointRefused, match=rf"answered HTTP {status}: go away .*{hint}") as err:
            judge_for(server, concurrency=1).judge(PAIRS)
        # the run stops at the refusal: nothing is retried, the remaining requests are cancelled
        assert len(server.asked) < 2 * len(PAIRS)
    assert isinstance(err.value, XlrmError) and f"{server.url}/chat/completions" in str(err.value)


def test_a_refusal_with_a_key_names_the_variable_and_never_the_key(monkeypatch):
    key = "sk-judge-secret-" + "f00dfeed" * 4
    monkeypatch.setenv(ENV, key)
    with JudgeServer(lambda a, b, body: (401, f"bad key Bearer {key}")) as server:
        with pytest.raises(EndpointRefused) as err:
            judge_for(server, concurrency=1).judge(PAIRS[:1])
    assert f"check the API key in ${ENV}" in str(err.value) and key not in str(err.value)


def test_a_judge_that_times_out_names_the_endpoint_and_the_knobs(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    release = threading.Event()

    def stall(a, b, body):
        release.wait(3)
        return "[[A]]"

    with JudgeServer(stall) as server:
        with pytest.raises(EndpointTimeout) as err:
            judge_for(server, timeout_s=0.2, http_retries=1, concurrency=1).judge(PAIRS[:1])
        release.set()
    msg = str(err.value)
    assert f"{server.url}/chat/completions: no answer after 2 attempts (last: timed out after 0.2 s)" in msg
    assert "judge.base_url" in msg and "judge.timeout_s" in msg


def test_the_callable_backend_batches_retries_and_checks_what_it_returns():
    calls = []

    def generate(conversations):
        calls.append(len(conversations))
        out = []
        for conv in conversations:
            a, b = ANSWERS.search(conv[-1]["content"] if len(conv) == 2 else conv[1]["content"]).groups()
            if len(conv) == 2 and "boils" in a + b:
                out.append("<think>[[A]] or [[B]]? the first is right</think>no verdict here")
            else:  # a think block quoting tokens is ignored; the verdict after it counts
                out.append("<think>maybe [[B]]</think>[[A]]" if len(a) > len(b) else "[[B]]")
        return out

    judge = PairwiseJudge(generate, batch_size=3, max_retries=1)
    result = judge.judge(PAIRS)
    assert [r.verdict for r in result.records] == ["chosen", "rejected", "chosen", "chosen"]
    assert calls == [3, 3, 2, 2]  # 8 first asks in batches of 3, then the 2 retries
    assert result.counts["retried"] == 2 and result.counts["unparsed"] == 0
    assert result.records[2].chosen_first.attempts == 2

    with pytest.raises(JudgeError, match="given 2 conversations and returned 1 replies"):
        PairwiseJudge(lambda convs: ["[[A]]"]).judge(PAIRS[:1])
    with pytest.raises(JudgeError, match="returned a int for conversation 1; replies must be strings"):
        PairwiseJudge(lambda convs: ["[[A]]", 7]).judge(PAIRS[:1])
    with pytest.raises(JudgeError, match="returned not a list"):
        PairwiseJudge(lambda convs: "[[A]]").judge(PAIRS[:1])


def test_a_template_override_is_used_and_checked():
    seen = []

    def generate(convs):
        seen.extend(convs)
        return ["[[tie]]" if "Q=" in c[-1]["content"] else "??" for c in convs]

    template = 'Q={question}\nA: {answer_a}\nB: {answer_b}\nJSON like {"x": 1} stays. Verdict?'
    result = PairwiseJudge(generate, template=template, system="").judge([pair("t", "yes", "no", "Really?")])
    assert seen[0] == [
        {"role": "user", "content": 'Q=Really?\nA: yes\nB: no\nJSON like {"x": 1} stays. Verdict?'}
    ]
    assert seen[1][0]["content"].startswith("Q=Really?\nA: no\nB: yes")
    assert result.records[0].verdict == "tie" and result.counts["inconsistent"] == 0
    # an answer that contains a field name is not filled in again
    PairwiseJudge(generate, template=template, system="").judge([pair("u", "{answer_b}", "x")])
    assert "A: {answer_b}\nB: x" in seen[2][0]["content"]

    with pytest.raises(ConfigError, match=r"unknown field \{answer\}"):
        PairwiseJudge(generate, template="{conversation} {answer} {answer_a} {answer_b}")
    with pytest.raises(ConfigError, match=r"must contain \{answer_b\}"):
        PairwiseJudge(generate, template="{conversation} {answer_a}")
    assert "{conversation}" in DEFAULT_TEMPLATE and "[[tie]]" in DEFAULT_TEMPLATE


def test_bad_pairs_are_refused_with_where():
    judge = PairwiseJudge(lambda convs: ["[[A]]"] * len(convs))
    with pytest.raises(InputError, match="duplicate id 'p0'"):
        judge.judge([PAIRS[0], PAIRS[0]])
    with pytest.raises(InputError, match="row 1.*field 'id'"):
        judge.judge([PAIRS[0], {**PAIRS[1], "id": ""}])
    with pytest.raises(InputError, match="chosen must be a string or a non-empty list"):
        judge.judge([{**PAIRS[0], "chosen": []}])
    r = judge.judge([{"id": "s", "prompt": "plain?", "chosen": "yes", "rejected": "no"}])
    assert r.counts["pairs"] == 1


@pytest.mark.parametrize(
    ("reply", "label"),
    [
        ("[[A]]", "A"),
        ("  [[B]]\n", "B"),
        ("[[tie]]", "tie"),
        ("[[Tie]]", "tie"),
        ("After comparing, my verdict is [[B]].", "B"),
        ("<think>A or [[B]]?</think>\n[[A]]", "A"),
        ("[[A]] [[A]]", None),  # twice: not exactly one token
        ("[[A]] or [[B]]", None),
        ("A", None),
        ("[A]", None),
        ("[[a]]", None),
        ("[[ A ]]", None),
        ("<think>[[A]]", None),  # an unclosed think block hides everything after it
        ("", None),
    ],
)
def test_parse_verdict_is_strict(reply, label):
    assert parse_verdict(reply) == label


def test_win_rate_counts_ties_as_half_with_a_bootstrap_interval():
    outcomes = ["chosen"] * 60 + ["rejected"] * 30 + ["tie"] * 10
    wr = win_rate(outcomes, seed=1)
    assert wr.rate == pytest.approx(0.65) and (wr.wins, wr.losses, wr.ties, wr.n) == (60, 30, 10, 100)
    assert wr.low < 0.65 < wr.high
    # the normal approximation: sd of the mean of scores in {1, .5, 0}
    scores = np.array([1.0] * 60 + [0.0] * 30 + [0.5] * 10)
    se = scores.std() / np.sqrt(len(scores))
    assert wr.low == pytest.approx(0.65 - 1.96 * se, abs=0.015) and wr.high == pytest.approx(
        0.65 + 1.96 * se, abs=0.015
    )
    # equal to a brute-force bootstrap of resampled prompts, up to Monte-Carlo noise
    rng = np.random.default_rng(3)
    brute = scores[rng.integers(0, 100, size=(10_000, 100))].mean(axis=1)
    assert wr.low == pytest.approx(np.quantile(brute, 0.025), abs=0.01)
    assert wr.high == pytest.approx(np.quantile(brute, 0.975), abs=0.01)
    assert win_rate(outcomes, seed=1) == wr  # seeded: reproducible
    big = win_rate(outcomes * 16, seed=1)
    assert big.high - big.low < (wr.high - wr.low) / 2  # 16x the prompts: a quarter of the width
    assert win_rate(["A", "B", "win", "loss", 1, 0, 0.5, "tie"]).rate == 0.5


def test_win_rate_never_drops_undecided_silently():
    with pytest.raises(InputError, match="outcome 2 is undecided.*undecided='tie'"):
        win_rate(["chosen", "tie", "undecided"])
    assert win_rate(["chosen", None], undecided="tie").rate == 0.75
    dropped = win_rate(["chosen", "undecided"], undecided="drop")
    assert dropped.rate == 1.0 and dropped.n == 1 and dropped.undecided == 1
    with pytest.raises(InputError, match="outcome 0 is 'maybe'"):
        win_rate(["maybe"])
    with pytest.raises(InputError, match="no decided outcomes"):
        win_rate([])
    result = JudgeResult(records=[], counts={"pairs": 0})
    with pytest.raises(InputError):
        win_rate(result)
