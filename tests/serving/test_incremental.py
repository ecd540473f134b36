"""Incremental tracing: a text traced from a cached prefix, or sent from the step the asker
already holds, gives the same bits as a full trace. References: the engine's own full forward pass
(checked against PyTorch by tests/engine/test_golden.py) and the full /api/trace answer."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess

import httpx
import numpy as np
import pytest

from app.engine.cells import forward as forward_cell
from app.engine.lstm import QUANTITIES, forward
from app.model_store import Model, load_model
from app.resources import resource_dir
from app.serving.app import create_app
from app.serving.config import Settings
from app.serving.digest import ids_digest
from app.serving.service import quantize, run_trace
from app.serving.trace_cache import TraceCache, common_prefix, extend
from tests.servers import serve

SETTINGS = Settings()
TEXT = "Today, due to my current job situation and family conditions, I need to take a loan."
SALT = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"  # a page's salt (static/js/core/digest.js TAB_SALT): the cache's key


@pytest.fixture(scope="module")
def lesson() -> Model:
    return load_model(resource_dir("models") / "lesson.safetensors")


@pytest.fixture(scope="module")
def shakespeare() -> Model:
    return load_model(resource_dir("models") / "shakespeare.safetensors")


def assert_same_bits(trace, full) -> None:
    assert trace.num_steps == full.num_steps
    for a, b in zip(trace.layers, full.layers, strict=True):
        for q in QUANTITIES:
            assert a[q].dtype == b[q].dtype and a[q].shape == b[q].shape
            assert a[q].tobytes() == b[q].tobytes(), q
    assert trace.final.h.tobytes() == full.final.h.tobytes()
    assert trace.final.c.tobytes() == full.final.c.tobytes()


# A person typing, deleting, editing in the middle and pasting: each text follows the one before it.
EDITS = [
    "To be",
    "To be,",
    "To be, or not",
    "To be, or not to be",  # appends
    "To be, or no",  # deletion
    "To be, or not to be, that is the question",
    "To see, or not to be, that is the question",  # an edit near the start
    "To see, or not to be, that is THE question:",  # an edit in the middle, then an append
    "",
    "Whether 'tis nobler in the mind to suffer",  # a new text
]


def test_every_edit_gives_the_bits_of_a_full_trace(shakespeare):
    cache = TraceCache(64 * 2**20)
    for text in EDITS:
        got = run_trace(shakespeare, text, SETTINGS, cache=cache)
        full = forward(shakespeare.compiled, got.ids)
        assert_same_bits(got.trace, full)
    assert cache.hits > 0 and cache.computed < sum(len(t) for t in EDITS)  # the prefixes were reused


def test_appending_computes_only_the_new_steps(lesson):
    cache = TraceCache(64 * 2**20)
    run_trace(lesson, TEXT, SETTINGS, cache=cache)
    before = cache.computed
    run_trace(lesson, TEXT + " Last year", SETTINGS, cache=cache)
    assert cache.computed - before == 2  # "last", "year": the first 18 tokens came from the cache


def test_a_model_switch_never_reuses_another_models_steps(lesson, shakespeare):
    """Both models see the same ids for different meanings; the cache is keyed by model version."""
    cache = TraceCache(64 * 2**20)
    ids = np.arange(1, 30) % 60
    a = extend(lesson.compiled, lesson.version, ids, cache)
    b = extend(shakespeare.compiled, shakespeare.version, ids, cache)
    assert_same_bits(a, forward(lesson.compiled, ids))
    assert_same_bits(b, forward(shakespeare.compiled, ids))
    assert cache.hits == 0


def test_eviction_keeps_the_budget_and_the_bits(shakespeare):
    one = run_trace(shakespeare, "x" * 300, SETTINGS).trace
    from app.serving.trace_cache import trace_bytes

    budget = int(trace_bytes(one) * 2.5)  # room for two 300-step traces
    cache = TraceCache(budget)
    texts = [c * 300 for c in "abcdef"] + ["a" * 300 + "z", "f" * 299 + "q", "b" * 150]
    for text in texts:
        got = run_trace(shakespeare, text, SETTINGS, cache=cache)
        assert_same_bits(got.trace, forward(shakespeare.compiled, got.ids))
        assert cache.nbytes <= budget and len(cache) <= 2
    tiny = TraceCache(10)  # smaller than any trace: nothing is kept, every answer is still right
    got = run_trace(shakespeare, "to be", SETTINGS, cache=tiny)
    assert len(tiny) == 0 and tiny.nbytes == 0
    assert_same_bits(got.trace, forward(shakespeare.compiled, got.ids))


def test_common_prefix():
    assert common_prefix(np.array([1, 2, 3]), np.array([1, 2, 4, 5])) == 2
    assert common_prefix(np.array([1, 2]), np.array([1, 2, 4])) == 2
    assert common_prefix(np.array([], dtype=np.int64), np.array([1])) == 0
    assert common_prefix(np.array([7]), np.array([1])) == 0


def test_quantize_error_is_within_half_a_step():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 8)).astype(np.float32)
    q, lo, hi = quantize(a)
    back = lo + q.astype(np.float64) * (hi - lo) / 255
    assert q.dtype == np.uint8 and q.min() == 0 and q.max() == 255
    assert np.abs(back - a).max() <= (hi - lo) / 510 + 1e-9
    q, lo, hi = quantize(np.full((3, 2), 0.25, np.float32))
    assert (q == 0).all() and lo == hi == 0.25


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run static/js/core/digest.js")
def test_the_browser_digest_equals_the_servers():
    """The same digest of (version, salt, ids) in the page and the server, salted or not; and the page's
    salts are 32 hex digits, which the server's request schema takes."""
    from app.serving.schemas import SALT_PATTERN

    rng = np.random.default_rng(3)
    ids = rng.integers(0, 2**31, 500).tolist()
    cases = [("", [], ""), ("abc123def456", [0], ""), ("0123456789ab", ids, ""), ("", [], SALT),
             ("abc123def456", [0], SALT), ("0123456789ab", ids, SALT), ("0123456789ab", ids, "f" * 32)]
    script = ("import { idsDigest, TAB_SALT, newSalt } from './static/js/core/digest.js';"
              "for (const [v, ids, salt] of JSON.parse(process.argv[1]))"
              "  console.log(idsDigest(v, ids, ids.length, salt));"
              "console.log(TAB_SALT, newSalt());")
    out = subprocess.run(["node", "--input-type=module", "-e", script, json.dumps(cases)], capture_output=True,
                         text=True, check=True, cwd=resource_dir("static").parent).stdout.split()
    *digests, tab_salt, another = out
    assert digests == [ids_digest(v, ids, salt) for v, ids, salt in cases]
    assert len(set(digests)) == len(cases)  # the salt changes every digest
    assert ids_digest("0123456789ab", ids) == ids_digest("0123456789ab", ids, "")  # no salt: as before salts
    assert re.fullmatch(SALT_PATTERN, tab_salt) and re.fullmatch(SALT_PATTERN, another) and tab_salt != another


# ---- Over HTTP: since + prefix ----


@pytest.fixture(scope="module")
def http():
    with serve(create_app(Settings())) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


def decode(spec: dict) -> np.ndarray:
    T, H = map(int, spec["shape"].split(","))
    if spec["dtype"] == "f4":
        return np.frombuffer(base64.b64decode(spec["bdata"]), "<f4").reshape(T, H)
    q = np.frombuffer(base64.b64decode(spec["bdata"]), np.uint8).reshape(T, H)
    return spec["lo"] + q * ((spec["hi"] - spec["lo"]) / 255)


def predictions_of(answer: dict) -> list[list[dict]]:
    """An f4 or u1 answer's typed-array predictions as the json encoding's per-step lists [{token, prob}]."""
    p = answer["predictions"]
    index = decode_typed(p["index"], "<i4")
    prob = decode_typed(p["prob"], "<f8")
    return [[{"token": p["tokens"][i], "prob": x} for i, x in zip(row, probs, strict=True)]
            for row, probs in zip(index.tolist(), prob.tolist(), strict=True)]


def decode_typed(spec: dict, dtype: str) -> np.ndarray:
    T, k = map(int, spec["shape"].split(","))
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype).reshape(T, k)


def ask(http, text: str, **params) -> dict:
    r = http.post("/api/trace", json={"model": "shakespeare", "text": text, "encoding": "f4", **params})
    assert r.status_code == 200, r.text
    return r.json()


def test_the_server_sends_only_the_steps_the_asker_lacks(http, shakespeare):
    old, new = "To be, or not to be", "To be, or not to be, that"
    held = [t["id"] for t in ask(http, old)["tokens"]]
    since = len(held) - 1  # the page keeps all but the last token it held
    part = ask(http, new, since=since, prefix=ids_digest(shakespeare.version, held[:since]), top_k=3)
    whole = ask(http, new, top_k=3)
    T = len(new)
    assert part["start"] == since and part["num_tokens"] == whole["num_tokens"] == T
    assert part["tokens"] == whole["tokens"][since:]
    assert predictions_of(part) == predictions_of(whole)[since:] and len(predictions_of(part)) == T - since
    for q in QUANTITIES:
        assert decode(part["layers"][0][q]).tobytes() == decode(whole["layers"][0][q])[since:].tobytes()


def test_a_prefix_that_does_not_match_gets_everything(http, shakespeare):
    held = [t["id"] for t in ask(http, "To see")["tokens"]]
    answer = ask(http, "To be, or", since=5, prefix=ids_digest(shakespeare.version, held[:5]))
    assert answer["start"] == 0 and len(answer["tokens"]) == 9
    other_version = ids_digest("000000000000", [t["id"] for t in ask(http, "To be")["tokens"]])
    assert ask(http, "To be, or", since=5, prefix=other_version)["start"] == 0  # a model reloaded or switched
    assert ask(http, "To", since=5, prefix=ids_digest(shakespeare.version, held[:5]))["start"] == 0  # text shorter


def test_u1_values_are_within_their_stated_error(http):
    exact = ask(http, TEXT)
    rough = ask(http, TEXT, encoding="u1", quantities="f,c,kept,written")
    for q in ("f", "c", "kept", "written"):
        spec = rough["layers"][0][q]
        a, b = decode(spec), decode(exact["layers"][0][q]) if q in exact["layers"][0] else None
        if b is None:
            b = decode(ask(http, TEXT, quantities=q)["layers"][0][q])
        assert spec["dtype"] == "u1" and a.shape == b.shape
        assert np.abs(a - b).max() <= (spec["hi"] - spec["lo"]) / 510 + 1e-6


def test_one_layer_and_one_unit(http):
    whole = ask(http, "To be, or not", quantities="f,kept")
    L = len(whole["layers"])
    only = ask(http, "To be, or not", quantities="f,kept", layer=L - 1, unit=7)
    assert all(layer == {} for layer in only["layers"][:-1])
    for q in ("f", "kept"):
        assert decode(only["layers"][-1][q]).tobytes() == decode(whole["layers"][-1][q])[:, 7:8].tobytes()


@pytest.mark.parametrize("params, says", [
    ({"prefix": "XYZ"}, "prefix"),
    ({"salt": "XYZ"}, "salt"),
    ({"salt": SALT.upper()}, "salt"),
    ({"salt": SALT + "0"}, "salt"),
    ({"since": -1}, "since"),
    ({"layer": 9}, "layer 9 is out of range"),
    ({"unit": 4096}, "unit 4096 is out of range"),
    ({"encoding": "f2"}, "encoding"),
])
def test_bad_incremental_parameters_are_refused_with_a_reason(http, params, says):
    r = http.post("/api/trace", json={"model": "shakespeare", "text": "To be", **params})
    assert r.status_code == 422 and says in r.text, r.text


def test_a_vanilla_rnn_extends_from_its_cache_with_the_same_bits():
    rnn_model = load_model(resource_dir("models") / "lesson-rnn.safetensors")
    cache = TraceCache(64 * 2**20)
    for text in (TEXT, TEXT + " Last year", TEXT[:30], TEXT.replace("job", "money")):
        got = run_trace(rnn_model, text, SETTINGS, cache=cache)
        full = forward_cell(rnn_model.compiled, got.ids)
        for a, b in zip(got.trace.layers, full.layers, strict=True):
            assert a.h.tobytes() == b.h.tobytes() and a.a.tobytes() == b.a.tobytes()
        assert got.trace.final.h.tobytes() == full.final.h.tobytes()
    assert cache.hits > 0


def test_an_append_is_written_into_spare_rows_once_and_never_over_an_earlier_trace(shakespeare):
    """A pure append to a cached trace claims the spare rows of its buffers (no copy of the steps before);
    a second, different append to the same text finds them taken and copies. No cached trace changes."""
    cache = TraceCache(256 * 2**20)
    a = run_trace(shakespeare, "To be", SETTINGS, cache=cache).trace
    before = {q: a.layers[0][q].copy() for q in QUANTITIES}
    b = run_trace(shakespeare, "To be, or", SETTINGS, cache=cache).trace
    assert np.shares_memory(a.layers[0].c, b.layers[0].c)  # b's steps went into a's spare rows
    c = run_trace(shakespeare, "To beg", SETTINGS, cache=cache).trace  # a's spare rows are b's now
    assert not np.shares_memory(a.layers[0].c, c.layers[0].c)
    d = run_trace(shakespeare, "To be, or not", SETTINGS, cache=cache).trace  # b's own spare rows
    assert np.shares_memory(b.layers[0].c, d.layers[0].c)
    for q in QUANTITIES:
        assert a.layers[0][q].tobytes() == before[q].tobytes(), q
    for text, got in (("To be, or", b), ("To beg", c), ("To be, or not", d)):
        assert_same_bits(got, forward(shakespeare.compiled, run_trace(shakespeare, text, SETTINGS).ids))
    long = run_trace(shakespeare, "x" * 40, SETTINGS, cache=cache).trace
    longer = run_trace(shakespeare, "x" * 200, SETTINGS, cache=cache).trace  # past the spare rows: a copy
    assert not np.shares_memory(long.layers[0].h, longer.layers[0].h)
    assert_same_bits(longer, forward(shakespeare.compiled, run_trace(shakespeare, "x" * 200, SETTINGS).ids))


# ---- A text sent in part: offset + since + prefix ----


def kept_of(old_tokens: list[dict], new_tokens: list[dict]) -> int:
    """How many leading tokens an asker keeps, by the truth: those the old and new texts share, less one."""
    n = 0
    while n < min(len(old_tokens), len(new_tokens)) and old_tokens[n] == new_tokens[n]:
        n += 1
    return max(0, n - 1)


PART_EDITS = {
    "shakespeare": ["To be, or not to be", "To be, or not to be, that", "To be, or not to b", "To be, OR not to be",
                    "To be, OR not to be, that is the question:\nWhether"],
    "lesson": ["Today , due to my current", "Today , due to my current job situation", "Today , due to my job",
               "Today , due to my job situation and family conditions , I need to take a loan ."],
}


@pytest.mark.parametrize("model", ["shakespeare", "lesson"])
def test_a_text_sent_in_part_answers_the_bytes_of_the_whole_text(http, model):
    """The page sends only the text after the tokens it keeps; the server takes those from its cache (under
    the page's salt). Every answer is byte for byte the answer to the whole text with the same since and prefix."""
    version = next(m["version"] for m in http.get("/api/models").json()["models"] if m["id"] == model)
    params = {"model": model, "encoding": "u1", "quantities": "f,c,kept", "top_k": 3, "salt": SALT}
    held = http.post("/api/trace", json={**params, "text": PART_EDITS[model][0]}).json()["tokens"]
    for text in PART_EDITS[model][1:]:
        truth = http.post("/api/trace", json={**params, "text": text}).json()["tokens"]
        since = kept_of(held, truth)
        assert since > 0
        prefix = ids_digest(version, [t["id"] for t in held[:since]], SALT)
        offset = held[since - 1]["end"]
        part = http.get("/api/trace", params={**params, "text": text[offset:], "offset": offset, "since": since,
                                              "prefix": prefix})
        whole = http.get("/api/trace", params={**params, "text": text, "since": since, "prefix": prefix})
        assert part.status_code == whole.status_code == 200, part.text
        assert part.json()["start"] == since and part.content == whole.content
        held = truth


def test_a_part_whose_kept_tokens_the_server_no_longer_holds_is_told_to_send_the_whole_text(shakespeare):
    part = {"model": "shakespeare", "text": "e, or", "offset": 4, "since": 4, "salt": SALT}
    with serve(create_app(Settings())) as base, httpx.Client(base_url=base, timeout=30) as fresh:
        held_ids = [t.id for t in shakespeare.tokenizer.tokenize("To be")]  # never traced by this server
        prefix = ids_digest(shakespeare.version, held_ids[:4], SALT)
        r = fresh.get("/api/trace", params={**part, "prefix": prefix})
        assert r.status_code == 409 and "send the whole text with offset=0" in r.json()["detail"]
        whole = fresh.get("/api/trace", params={**part, "text": "To be, or", "offset": 0, "prefix": prefix})
        assert whole.status_code == 200 and whole.json()["start"] == 4  # the page's fallback: same since and prefix
    with serve(create_app(Settings(trace_cache_mb=0))) as base, httpx.Client(base_url=base, timeout=30) as off:
        assert off.get("/api/trace", params={"model": "shakespeare", "text": "To be", "salt": SALT}).status_code == 200
        r = off.get("/api/trace", params={**part, "prefix": prefix})
        assert r.status_code == 409  # no cache: nothing is held, every text sent in part is refused


def test_a_part_without_a_salt_is_always_told_to_send_the_whole_text(http, shakespeare):
    """Without a salt the cache is neither read nor written: a text sent in part is answered 409 (the whole
    text then, as a page's fallback does), even right after the same client traced it unsalted."""
    ask(http, "To be, or not")
    held = [t.id for t in shakespeare.tokenizer.tokenize("To be, or not")]
    r = http.post("/api/trace", json={"model": "shakespeare", "text": ", or not to be", "offset": 5, "since": 5,
                                      "prefix": ids_digest(shakespeare.version, held[:5])})
    assert r.status_code == 409 and "offset needs a salt" in r.json()["detail"]
    whole = ask(http, "To be, or not to be", since=5, prefix=ids_digest(shakespeare.version, held[:5]))
    assert whole["start"] == 5  # since + prefix without offset need no cache: they still work unsalted


@pytest.mark.parametrize("params, status, says", [
    ({"offset": 3}, 422, "offset needs since and prefix"),
    ({"offset": 2, "since": 3, "prefix": "0123456789abcdef"}, 422, "offset = 2 is less than since = 3"),
    ({"offset": -1}, 422, "offset"),
    ({"offset": 5_000_000, "since": 3, "prefix": "0123456789abcdef"}, 413, "max_chars"),
])
def test_bad_parts_are_refused_with_a_reason(http, params, status, says):
    r = http.post("/api/trace", json={"model": "shakespeare", "text": "be", **params})
    assert r.status_code == status and says in r.text, r.text


def test_one_salts_entries_are_never_another_salts_hit(shakespeare):
    """Entries are stored and found under the salt that made them: another salt (or the in-process "")
    neither finds their prefixes nor their digests, and computes every step itself; salt None reads and
    writes nothing (its steps still counted)."""
    cache = TraceCache(64 * 2**20)
    other = "1" * 32
    ids = np.array([t.id for t in shakespeare.tokenizer.tokenize("To be, or not to be")], np.int64)
    extend(shakespeare.compiled, shakespeare.version, ids, cache, SALT)
    assert cache.longest_prefix(shakespeare.version, ids, other) == (0, None)
    assert cache.longest_prefix(shakespeare.version, ids) == (0, None)
    for salt in (other, ""):
        for digest_salt in (SALT, salt):
            assert cache.held(shakespeare.version, 5, ids_digest(shakespeare.version, ids[:5].tolist(), digest_salt),
                              salt) is None
    assert cache.held(shakespeare.version, 5, ids_digest(shakespeare.version, ids[:5].tolist(), SALT),
                      SALT).tolist() == ids[:5].tolist()
    assert cache.held(shakespeare.version, 5, ids_digest(shakespeare.version, ids[:5].tolist()), SALT) is None
    hits, computed = cache.hits, cache.computed
    got = extend(shakespeare.compiled, shakespeare.version, ids, cache, other)  # the same text, another salt
    assert_same_bits(got, forward(shakespeare.compiled, ids))
    assert cache.hits == hits and cache.computed == computed + len(ids) and len(cache) == 2
    none = extend(shakespeare.compiled, shakespeare.version, ids[:9], cache, None)
    assert_same_bits(none, forward(shakespeare.compiled, ids[:9]))
    assert cache.hits == hits and cache.computed == computed + len(ids) + 9 and len(cache) == 2
    hits = cache.hits
    extend(shakespeare.compiled, shakespeare.version, ids[:12], cache, SALT)  # its own salt: a hit
    assert cache.hits == hits + 12


def test_eviction_is_least_recently_used_across_salts(shakespeare):
    one = extend(shakespeare.compiled, shakespeare.version, np.arange(100) % 60, None)
    from app.serving.trace_cache import trace_bytes

    cache = TraceCache(int(trace_bytes(one) * 3.5))  # room for two entries (buffers carry spare rows)
    texts = {salt: (np.arange(100) + k) % 60 for k, salt in enumerate(["a" * 32, "b" * 32, "c" * 32])}
    for salt, ids in texts.items():
        extend(shakespeare.compiled, shakespeare.version, ids, cache, salt)
    assert len(cache) == 2 and cache.nbytes <= cache.max_bytes
    assert cache.longest_prefix(shakespeare.version, texts["a" * 32], "a" * 32) == (0, None)  # the oldest went
    assert cache.longest_prefix(shakespeare.version, texts["c" * 32], "c" * 32)[0] == 100


def test_the_cache_finds_a_prefix_by_its_digest_in_one_step_per_entry(shakespeare):
    cache = TraceCache(64 * 2**20)
    ids = np.array([t.id for t in shakespeare.tokenizer.tokenize("To be, or not to be")], np.int64)
    extend(shakespeare.compiled, shakespeare.version, ids[:8], cache)
    extend(shakespeare.compiled, shakespeare.version, ids, cache)  # hashes carried on from the first entry
    for n in range(1, len(ids) + 1):
        assert cache.held(shakespeare.version, n, ids_digest(shakespeare.version, ids[:n].tolist())).tolist() \
            == ids[:n].tolist()
    assert cache.held(shakespeare.version, 5, ids_digest(shakespeare.version, [1, 2, 3, 4, 5])) is None
    assert cache.held("0" * 12, 5, ids_digest("0" * 12, ids[:5].tolist())) is None  # another version
    assert cache.held(shakespeare.version, len(ids) + 1, ids_digest(shakespeare.version, ids.tolist())) is None


def test_running_hashes_name_every_prefix_as_ids_digest_does():
    from app.serving.digest import digest_at, running

    rng = np.random.default_rng(5)
    ids = rng.integers(0, 2**31, 300).tolist()
    rows = running("abc123", ids)
    rest = running("abc123", ids[100:], rows[100])
    assert rows.shape == (301, 2) and rest.tolist() == rows[100:].tolist()
    assert [digest_at(rows[n], n) for n in range(301)] == [ids_digest("abc123", ids[:n]) for n in range(301)]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run static/js/core/trace_store.js")
@pytest.mark.parametrize("model", ["lesson", "shakespeare"])
def test_the_pages_kept_tokens_and_tail_tokenize_as_the_whole_text(model, request):
    """The page keeps tokens its edit cannot change (trace_store.js keptTokens) and sends the text after
    them (afterCodePoints); the server tokenizes only that tail. For random edits of texts with numbers,
    apostrophes, combining marks and emoji, kept tokens + the tail's tokens are the whole text's."""
    tokenizer = request.getfixturevalue(model).tokenizer
    pieces = ["1,000", " ", "3.14", "don't", "'s", "'", "1", ",", "5", " ", "café", "e\u0301", "😀", ".", "a",
              "\n", "loan", " "]
    rng = np.random.default_rng(11)
    cases = []
    for _ in range(600):
        old = "".join(rng.choice(pieces, rng.integers(0, 12)))
        at = int(rng.integers(0, len(old) + 1))
        cut = int(rng.integers(0, 3)) if at < len(old) else 0  # deleting a space joins the tokens around it
        new = old[:at] + "".join(rng.choice(pieces, rng.integers(0, 3))) + old[at + cut:]
        if model == "shakespeare":  # a character model: keep to its vocabulary
            old, new = (("".join(ch for ch in t if ch in tokenizer.index)) for t in (old, new))
        tokens = [{"start": t.start, "end": t.end} for t in tokenizer.tokenize(old)]
        cases.append([old, new, tokens])
    script = ("import { readFileSync } from 'node:fs';"
              "import { keptTokens, afterCodePoints } from './static/js/core/trace_store.js';"
              "const out = JSON.parse(readFileSync(0, 'utf8')).map(([o, n, tokens]) => {"
              "  const since = keptTokens(o, n, tokens); const offset = since ? tokens[since - 1].end : 0;"
              "  return [since, offset, afterCodePoints(n, offset)]; });"
              "console.log(JSON.stringify(out));")
    out = subprocess.run(["node", "--input-type=module", "-e", script], input=json.dumps(cases), capture_output=True,
                         text=True, check=True, cwd=resource_dir("static").parent).stdout
    kept_some = 0
    for (old, new, _), (since, offset, tail) in zip(cases, json.loads(out), strict=True):
        whole = tokenizer.tokenize(new)
        assert tail == new[offset:]
        assert tokenizer.tokenize(old)[:since] == whole[:since], (old, new)
        rest = [(t.text, t.start + offset, t.end + offset) for t in tokenizer.tokenize(tail)]
        assert rest == [(t.text, t.start, t.end) for t in whole[since:]], (old, new, since)
        kept_some += since > 0
    assert kept_some > 50


def test_typing_keeps_one_entry_per_text_not_one_per_keystroke(shakespeare):
    """Each append written in place supersedes the entry it extended (the same buffers, counted once), and
    what that entry answered is still answered: its prefix's digest, and its exact ids, with the same bits."""
    cache = TraceCache(256 * 2**20)
    text = "To be, or not to be, that is the question"
    ids = np.array([t.id for t in shakespeare.tokenizer.tokenize(text)], np.int64)
    for n in range(20, len(ids) + 1):
        extend(shakespeare.compiled, shakespeare.version, ids[:n], cache)
    assert len(cache) == 1 and cache.computed == len(ids)
    only = cache.longest_prefix(shakespeare.version, ids)[1]
    assert cache.nbytes == only.size
    assert cache.held(shakespeare.version, 25, ids_digest(shakespeare.version, ids[:25].tolist())).tolist() \
        == ids[:25].tolist()
    again = extend(shakespeare.compiled, shakespeare.version, ids[:30], cache)  # an earlier text, exactly
    assert_same_bits(again, forward(shakespeare.compiled, ids[:30]))
    assert cache.computed == len(ids)  # taken from the longer trace, not computed
