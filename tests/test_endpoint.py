"""xlrm.endpoint keeps the API key on the configured endpoint, against real servers on 127.0.0.1.

The servers here misbehave on purpose: one redirects to a second server that records every
header it is sent; one echoes the Authorization header back in its error bodies, its HTTP
reason phrase, its Location header and its answers. Whatever they do, the key must reach the
configured endpoint only and never an exception, a log record, stdout/stderr, an output file,
the translation cache or a manifest.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from loopback_chat import Loopback, completion, json_answer
from xlrm.config import from_dict
from xlrm.endpoint import (
    MASK,
    Endpoint,
    EndpointConfigError,
    EndpointRedirect,
    EndpointRefused,
    EndpointTimeout,
    EndpointUnavailable,
    check_env_name,
    looks_like_key,
    redact,
    redact_url,
)
from xlrm.errors import ConfigError, XlrmError

ENV = "XLRM_ENDPOINT_TEST_KEY"


@pytest.fixture
def key(monkeypatch) -> str:
    """A fresh key per test, in the environment under ENV."""
    k = "sk-test-" + uuid.uuid4().hex + uuid.uuid4().hex[:8]
    monkeypatch.setenv(ENV, k)
    return k


def fragments(k: str) -> list[str]:
    """The key and pieces of it long enough to matter (a cut-off key is still a leak)."""
    body = k.rsplit("-", 1)[-1]
    return [k, body[:12], body[-12:], body[10:22]]


def assert_no_key(k: str, *texts: str) -> None:
    for text in texts:
        for piece in fragments(k):
            assert piece not in text, f"key material {piece!r} leaked into: {text[:500]!r}"


def endpoint(url: str, **kw) -> Endpoint:
    kw.setdefault("api_key_env", ENV)
    kw.setdefault("backoff_s", 0.01)
    kw.setdefault("timeout_s", 5.0)
    return Endpoint(url, **kw)


BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


# --- redirects ----------------------------------------------------------------------


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_redirect_is_an_error_and_the_target_never_sees_the_key(code, key, caplog):
    caplog.set_level(logging.DEBUG)
    with Loopback(lambda r: json_answer(200, completion("from the target"))) as target:
        location = f"http://127.0.0.1:{target.port}/v1/chat/completions?token=tok-123&sig=abc"

        def redirect(req):
            return code, {"Location": location}, b"", None

        with Loopback(redirect) as origin:
            ep = endpoint(origin.url)
            with pytest.raises(EndpointRedirect) as err:
                ep.chat_completion(BODY)
            assert len(origin.seen) == 1  # a redirect is not retried either
            # the configured host does get the key
            assert origin.seen[0]["headers"]["Authorization"] == f"Bearer {key}"
        assert target.seen == []  # never contacted: neither the key nor the request went there
    msg = str(err.value)
    assert f"HTTP {code}, a redirect to http://127.0.0.1:{target.port}/v1/chat/completions;" in msg
    assert "token" not in msg and "tok-123" not in msg and "sig=" not in msg  # no query
    assert "if 127.0.0.1 is the server you mean to use" not in msg  # same host: the path hint
    assert "set base_url to the path the server redirects to" in msg
    assert err.value.status == code and isinstance(err.value, XlrmError)
    assert_no_key(key, msg, caplog.text)


def test_the_redirect_test_would_catch_a_client_that_follows(key):
    """Control: plain urllib resends Authorization to the redirect target, so the recording
    server above does see a key when a client follows redirects."""
    with Loopback(lambda r: json_answer(200, completion("ok"))) as target:
        with Loopback(
            lambda r: (302, {"Location": f"http://127.0.0.1:{target.port}/x"}, b"", None)
        ) as origin:
            req = urllib.request.Request(
                origin.url, data=b"{}", headers={"Authorization": f"Bearer {key}"}, method="POST"
            )
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with opener.open(req, timeout=5) as resp:
                resp.read()
        assert [r["headers"].get("Authorization") for r in target.seen] == [f"Bearer {key}"]


def test_a_redirect_to_another_host_names_it_and_https_upgrades_get_their_hint(key):
    with Loopback(
        lambda r: (
            307,
            {"Location": "https://user:pw@api.elsewhere.example:8443/v1/chat/completions?k=1"},
            b"",
            None,
        )
    ) as origin:
        with pytest.raises(EndpointRedirect) as err:
            endpoint(origin.url).post_json("chat/completions", BODY)
    msg = str(err.value)
    assert "a redirect to https://api.elsewhere.example:8443/v1/chat/completions;" in msg
    assert "pw" not in msg and "user" not in msg and "k=1" not in msg
    assert "if api.elsewhere.example is the server you mean to use, set base_url to it" in msg

    with Loopback(
        lambda r: (301, {"Location": "https://127.0.0.1/v1/chat/completions"}, b"", None)
    ) as origin:
        with pytest.raises(
            EndpointRedirect, match=r"the server wants HTTPS: set judge\.base_url to https://"
        ):
            endpoint(origin.url, config_prefix="judge.").post_json("chat/completions", BODY)


# --- a server that echoes the key ---------------------------------------------------


def echo_server(status_plan: list[int], *, pad: int = 0):
    """Answers each status of ``status_plan`` in turn (then 200), every answer echoing the
    Authorization header: in the JSON error, the reason phrase, a header, the 200 content.
    ``pad`` puts that many characters before the echo, so a 300-character cut falls inside it."""
    plan = list(status_plan)
    lock = threading.Lock()

    def respond(req):
        auth = req["headers"].get("Authorization", "")
        with lock:
            status = plan.pop(0) if plan else 200
        if status == 200:
            return json_answer(200, completion(f"translated; you sent {auth}"))
        message = "x" * pad + f"invalid credentials: {auth}"
        return json_answer(
            status, {"error": {"message": message, "type": "auth"}}, {"X-Echo": auth}, reason=f"Bad {auth}"
        )

    return respond


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
@pytest.mark.parametrize("pad", [0, 250])
def test_an_echoed_key_is_masked_in_refusals(status, pad, key, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    with Loopback(echo_server([status], pad=pad)) as server:
        ep = endpoint(server.url)
        with pytest.raises(EndpointRefused) as err:
            ep.chat_completion(BODY)
        assert len(server.seen) == 1  # client errors are not retried
    msg = str(err.value)
    assert f"answered HTTP {status}" in msg and err.value.status == status
    if pad == 0:
        assert f"invalid credentials: Bearer {MASK}" in msg  # the message survives, the key does not
    if status in (401, 403):
        assert f"check the API key in ${ENV}" in msg
    if status == 404:
        assert "check base_url" in msg and "'m'" in msg
    out = capsys.readouterr()
    assert_no_key(key, msg, repr(err.value), caplog.text, out.out, out.err)


def test_an_echoed_key_is_masked_in_retry_warnings_final_errors_and_answers(key, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    with Loopback(echo_server([500, 503, 429], pad=250)) as server:
        ep = endpoint(server.url, max_retries=3)
        reply = ep.chat_completion(BODY)
        assert ep.retries == 3 and ep.requests == 4 and len(server.seen) == 4
        # the answer itself echoed the key: it is masked before it can reach any output
        assert reply.content == f"translated; you sent Bearer {MASK}"
        assert_no_key(key, json.dumps(reply.payload))
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert sum("retry" in w for w in warnings) == 3
        assert any("answered text containing the API key" in w for w in warnings)

    with Loopback(echo_server([500] * 10)) as server:
        with pytest.raises(
            EndpointUnavailable, match=r"no answer after 3 attempts \(last: HTTP 500 invalid"
        ) as err:
            endpoint(server.url, max_retries=2).chat_completion(BODY)
    out = capsys.readouterr()
    assert_no_key(key, str(err.value), caplog.text, out.out, out.err)


def test_retry_after_is_honoured_in_seconds_and_as_a_date(key):
    plan = [(429, {"Retry-After": "0.3"}), (503, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})]

    def respond(req):
        if plan:
            status, headers = plan.pop(0)
            return json_answer(status, {"error": "busy"}, headers)
        return json_answer(200, completion("ok"))

    with Loopback(respond) as server:
        ep = endpoint(server.url, backoff_s=5.0)  # a long own backoff: only Retry-After can be short
        started = time.perf_counter()
        assert ep.chat_completion(BODY).content == "ok"
        elapsed = time.perf_counter() - started
    # 0.3 s from the first Retry-After, 0 from the date in the past; 5 s backoff never used
    assert 0.3 <= elapsed < 2.5 and ep.retries == 2


def test_timeouts_are_retried_then_raised_as_timeouts(key):
    release = threading.Event()

    def respond(req):
        release.wait(3)
        return json_answer(200, completion("late"))

    with Loopback(respond) as server:
        ep = endpoint(server.url, timeout_s=0.2, max_retries=1)
        with pytest.raises(
            EndpointTimeout, match=r"no answer after 2 attempts \(last: timed out after 0\.2 s\)"
        ):
            ep.chat_completion(BODY)
        release.set()
    assert isinstance(EndpointTimeout("x"), EndpointUnavailable)


def test_no_key_in_the_environment_sends_no_header_and_says_so_on_401(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    with Loopback(lambda r: json_answer(401, {"error": {"message": "missing key"}})) as server:
        ep = endpoint(server.url)
        with pytest.raises(EndpointRefused, match=rf"no API key was sent: \${ENV} is not set"):
            ep.chat_completion(BODY)
        assert "Authorization" not in server.seen[0]["headers"]
    assert repr(ep) == f"Endpoint({server.url!r}, no key)"


def test_repr_and_redact_never_show_the_key(key):
    ep = endpoint("http://127.0.0.1:9/v1")
    assert key not in repr(ep) and ENV in repr(ep)
    assert (
        ep.redact(f"Authorization: Bearer {key} at https://u:p@h/x")
        == f"Authorization: Bearer {MASK} at https://{MASK}@h/x"
    )


# --- credentials in the wrong place -------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://alice:s3cr3t-pw@api.example.com/v1",
        "https://alice:s3cr/3t-pw@api.example.com/v1",  # a '/' in the password fools urlsplit
        "http://tok-s3cr3t-pw@127.0.0.1:8000/v1",
    ],
)
def test_userinfo_in_base_url_is_refused_and_never_logged(url, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(EndpointConfigError) as err:
        Endpoint(url, config_prefix="openai.")
    msg = str(err.value)
    assert "openai.base_url carries credentials" in msg and "api_key_env" in msg
    host = url.rsplit("@", 1)[1]
    assert f"{MASK}@{host}" in msg
    out = capsys.readouterr()
    for text in (msg, caplog.text, out.out, out.err):
        assert "s3cr" not in text and "alice" not in text

    # the translate config refuses it too, before the URL can reach a manifest
    with pytest.raises(ConfigError, match="openai.base_url carries credentials") as err:
        from_dict(
            _translate_config_type(), {"backend": "openai_compat", "openai": {"base_url": url}}, "run.yaml"
        )
    assert "s3cr" not in str(err.value) and str(err.value).startswith("run.yaml: ")


def test_redact_url_masks_userinfo_anywhere_in_text():
    assert (
        redact_url("GET https://bob:pw@h.example/v1?a=1 failed")
        == f"GET https://{MASK}@h.example/v1?a=1 failed"
    )
    assert redact_url("see http://h/x and ftp://u@h2") == f"see http://h/x and ftp://{MASK}@h2"
    assert redact("a sk-1 b", ["sk-1"]) == f"a {MASK} b" and redact("plain", [None, ""]) == "plain"


@pytest.mark.parametrize(
    "value",
    [
        "sk-proj-Abc123def456ghi789jkl012",
        "hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345",
        "Bearer abcdef",
        "0123456789abcdef0123456789abcdef",
        "AbCdEf0123456789XyZwVu",
    ],
)
def test_a_key_where_the_variable_name_belongs_is_refused_without_echo(value, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    assert looks_like_key(value)
    with pytest.raises(EndpointConfigError) as err:
        Endpoint("http://127.0.0.1:8000/v1", api_key_env=value)
    msg = str(err.value)
    assert "api_key_env must be the name of the environment variable" in msg and "not shown" in msg
    with pytest.raises(ConfigError) as cfg_err:
        from_dict(
            _translate_config_type(),
            {"backend": "openai_compat", "openai": {"api_key_env": value}},
            "run.yaml",
        )
    assert "openai.api_key_env must be the name" in str(cfg_err.value)
    out = capsys.readouterr()
    for text in (msg, str(cfg_err.value), caplog.text, out.out, out.err):
        assert value not in text and value[-10:] not in text


@pytest.mark.parametrize(
    "name", ["OPENAI_API_KEY", "VLLM_API_KEY", "my_key", "AZURE_OPENAI_API_KEY_2024", ""]
)
def test_ordinary_variable_names_are_accepted(name):
    assert not looks_like_key(name)
    check_env_name(name)


def test_other_bad_base_urls_are_refused_with_the_reason():
    for url, reason in [
        ("127.0.0.1:8000/v1", "must start with http:// or https://"),
        ("http:///v1", "has no host"),
        ("http://127.0.0.1:8000/v1?api-version=1", "has a query string"),
        ("http://127.0.0.1:99999/v1", "is not a valid URL"),
        ("sk-proj-Abc123def456ghi789jkl012", "looks like an API key (not shown)"),
    ]:
        with pytest.raises(EndpointConfigError, match=reason.replace("(", r"\(").replace(")", r"\)")) as err:
            Endpoint(url)
        if url.startswith("sk-"):
            assert url not in str(err.value)


# --- a translate run against the echoing server -------------------------------------


def _translate_config_type():
    from xlrm.translate.config import TranslateConfig

    return TranslateConfig


PAIRS = [
    {
        "id": f"e{i}",
        "prompt": [{"role": "user", "content": f"Question number {i} about rivers and mountains?"}],
        "chosen": [{"role": "assistant", "content": f"A careful answer {i} with several facts in it."}],
        "rejected": [{"role": "assistant", "content": f"A lazy answer {i}."}],
        "language": "en",
        "source": "unit",
    }
    for i in range(3)
]


def translating_echo_server():
    """Fails the first two requests with the key echoed (500, then 429), then translates each
    segment and appends the echoed header to the first answer."""
    state = {"n": 0}
    lock = threading.Lock()

    def respond(req):
        auth = req["headers"].get("Authorization", "")
        with lock:
            state["n"] += 1
            n = state["n"]
        if n <= 2:
            return json_answer(500 if n == 1 else 429, {"error": {"message": f"overloaded, key {auth}"}})
        body = json.loads(req["body"])
        text = body["messages"][-1]["content"].split("\n\n", 1)[1]
        out = "[es] " + " ".join(reversed(text.split()))
        if n == 3:
            out += f" {auth}"
        return json_answer(200, completion(out))

    return respond


def _files_text(folder: Path) -> str:
    return "".join(
        p.read_bytes().decode("utf-8", "replace") for p in sorted(folder.rglob("*")) if p.is_file()
    )


def test_a_translate_run_against_an_echoing_server_writes_the_key_nowhere(tmp_path, key, caplog, capsys):
    from xlrm.translate.stage import translate

    caplog.set_level(logging.DEBUG)
    src = tmp_path / "pairs.jsonl"
    src.write_text("".join(json.dumps(p) + "\n" for p in PAIRS), encoding="utf-8")
    with Loopback(translating_echo_server()) as server:
        cfg = from_dict(
            _translate_config_type(),
            {
                "backend": "openai_compat",
                "model": "echo-mt",
                "languages": ["es"],
                "progress": False,
                "checks": {"language": False, "length_ratio": False},
                "openai": {"base_url": server.url, "api_key_env": ENV, "backoff_s": 0.01, "concurrency": 1},
            },
        )
        manifest = translate(src, tmp_path / "out", cfg)
        assert {r["headers"].get("Authorization") for r in server.seen} == {f"Bearer {key}"}
    assert manifest["counts"]["languages"]["es"]["pairs_out"] == 3
    manifest_text = (tmp_path / "out" / "manifest.json").read_text(encoding="utf-8")
    assert ENV in manifest_text  # the variable's name is config; its value is not
    out = capsys.readouterr()
    assert sum("retry" in r.getMessage() for r in caplog.records) == 2
    # the manifest, the Parquet output and the SQLite cache, the logs and the console
    assert_no_key(key, manifest_text, _files_text(tmp_path), caplog.text, out.out, out.err)
    assert MASK in _files_text(tmp_path / "out") or MASK in (
        tmp_path / "out.cache.sqlite"
    ).read_bytes().decode("utf-8", "replace")


def test_a_refusing_echoing_server_stops_the_cli_without_printing_the_key(tmp_path, key, caplog, capsys):
    from xlrm.cli import main

    caplog.set_level(logging.DEBUG)
    src = tmp_path / "pairs.jsonl"
    src.write_text("".join(json.dumps(p) + "\n" for p in PAIRS), encoding="utf-8")
    with Loopback(echo_server([401] * 100, pad=200)) as server:
        rc = main(
            [
                "translate",
                str(src),
                "--out",
                str(tmp_path / "out"),
                "--languages",
                "es",
                "--backend",
                "openai_compat",
                "--openai.base-url",
                server.url,
                "--openai.api-key-env",
                ENV,
                "--checks.language",
                "false",
                "--progress",
                "false",
            ]
        )
    out = capsys.readouterr()
    assert rc == 2 and "answered HTTP 401" in out.err and f"check the API key in ${ENV}" in out.err
    assert not (tmp_path / "out").exists()
    assert_no_key(key, out.out, out.err, caplog.text, _files_text(tmp_path))


def test_the_cli_refuses_a_key_given_as_api_key_env_without_echo(tmp_path, caplog, capsys):
    from xlrm.cli import main

    secret = "sk-proj-" + uuid.uuid4().hex
    src = tmp_path / "pairs.jsonl"
    src.write_text(json.dumps(PAIRS[0]) + "\n", encoding="utf-8")
    rc = main(
        [
            "translate",
            str(src),
            "--out",
            str(tmp_path / "out"),
            "--backend",
            "openai_compat",
            "--openai.api-key-env",
            secret,
        ]
    )
    out = capsys.readouterr()
    assert rc == 2 and "openai.api_key_env must be the name of the environment variable" in out.err
    assert not (tmp_path / "out").exists()
    assert_no_key(secret, out.out, out.err, caplog.text)
