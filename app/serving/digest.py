"""A short digest of a model version and a run of token ids, computed the same way in the browser.

The page keeps the columns it already holds and asks only for the rest; it names what it holds by
this digest, so the server can check the ids are still the same before sending only the new columns.
The browser cannot use `crypto.subtle` on a plain-http address (a laptop in a classroom), so this is a
plain 64-bit hash built from two 32-bit multiplicative hashes (Math.imul in JavaScript,
static/js/core/digest.js). It is not cryptographic: a collision would only splice a wrong picture into the
asker's own page, and a mismatch simply makes the server send everything.

The digest is seeded with the asker's salt (a random 128-bit hex string each browser tab makes, sent with
every request): the server keeps cached traces only under the salt that made them and looks them up only
under the request's salt (app/serving/trace_cache.py), so knowing a text's digest does not let anyone else
reach, or time, that cache entry. That separation, not the hash, is what keeps one person's texts from
another; the salt in the digest only ties a digest to its salt. No salt ("") gives the unsalted digest.

    h1: FNV-1a over 32-bit words (offset 0x811C9DC5, prime 0x01000193)
    h2: the same words, multiplied by MurmurHash's 0x5BD1E995, then h2 ^= h2 >> 15
    input words: each character code of the version (ASCII hex digits), then each character code of the
        salt (lowercase hex digits; none without a salt), then each id, then the number of ids
    digest: 16 lowercase hex digits, h1 then h2

The server keeps the running hashes of each cached trace's ids (`running`), so the digest of any
prefix of them is one step away (`digest_at`): finding the trace a page names costs no pass over its ids.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

M32 = 0xFFFFFFFF
SEED = (0x811C9DC5, 0x9747B28C)


def _mix(h1: int, h2: int, v: int) -> tuple[int, int]:
    h1 = ((h1 ^ v) * 0x01000193) & M32
    h2 = ((h2 ^ v) * 0x5BD1E995) & M32
    return h1, h2 ^ (h2 >> 15)


def _seed(version: str, salt: str = "") -> tuple[int, int]:
    """The hashes after the version's words and the salt's (their characters: both are ASCII hex digits)."""
    state = SEED
    for ch in version + salt:
        state = _mix(*state, ord(ch))
    return state


def running(version: str, ids: Iterable[int], state: tuple[int, int] | None = None, salt: str = "") -> np.ndarray:
    """(n + 1, 2) uint32: the hashes (h1, h2) before the first of ids and after each of them; from the
    version's and salt's own words when `state` is None, else continuing from `state` (a row of an earlier
    result), so a longer run of ids costs only its new ids. digest_at(rows[n], count) names the first ids."""
    if state is None:
        state = _seed(version, salt)
    h1, h2 = int(state[0]), int(state[1])
    rows = [(h1, h2)]
    for v in ids:
        h1, h2 = _mix(h1, h2, int(v))
        rows.append((h1, h2))
    return np.array(rows, dtype=np.uint32).reshape(-1, 2)


def digest_at(state: np.ndarray | tuple[int, int], count: int) -> str:
    """The digest of `count` ids from the running hashes after them (a row of `running`)."""
    h1, h2 = _mix(int(state[0]), int(state[1]), count)
    return f"{h1:08x}{h2:08x}"


def ids_digest(version: str, ids: Iterable[int], salt: str = "") -> str:
    """16 hex digits naming (version, salt, ids); equal to static/js/core/digest.js idsDigest for the same input."""
    state, n = _seed(version, salt), 0
    for v in ids:
        state = _mix(*state, int(v))
        n += 1
    return digest_at(state, n)
