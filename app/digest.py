"""A short digest of a model version and a run of token ids, computed the same way in the browser.

The page keeps the columns it already holds and asks only for the rest; it names what it holds by
this digest, so the server can check the ids are still the same before sending only the new columns.
The browser cannot use `crypto.subtle` on a plain-http address (a laptop in a classroom), so this is a
plain 64-bit hash built from two 32-bit multiplicative hashes (Math.imul in JavaScript,
static/js/digest.js). It is not cryptographic: a collision would only splice a wrong picture into the
asker's own page, and a mismatch simply makes the server send everything.

    h1: FNV-1a over 32-bit words (offset 0x811C9DC5, prime 0x01000193)
    h2: the same words, multiplied by MurmurHash's 0x5BD1E995, then h2 ^= h2 >> 15
    input words: each character code of the version (ASCII hex digits), then each id, then the number of ids
    digest: 16 lowercase hex digits, h1 then h2
"""

from __future__ import annotations

from collections.abc import Iterable

M32 = 0xFFFFFFFF


def ids_digest(version: str, ids: Iterable[int]) -> str:
    """16 hex digits naming (version, ids); equal to static/js/digest.js idsDigest for the same input."""
    h1, h2 = 0x811C9DC5, 0x9747B28C
    n = 0

    def words() -> Iterable[int]:
        nonlocal n
        yield from (ord(ch) for ch in version)  # versions are ASCII hex digits
        for v in ids:
            n += 1
            yield int(v)

    for v in words():
        h1 = ((h1 ^ v) * 0x01000193) & M32
        h2 = ((h2 ^ v) * 0x5BD1E995) & M32
        h2 ^= h2 >> 15
    h1 = ((h1 ^ n) * 0x01000193) & M32
    h2 = ((h2 ^ n) * 0x5BD1E995) & M32
    h2 ^= h2 >> 15
    return f"{h1:08x}{h2:08x}"
