"""How much the importer reads from one file, and reading that much and no more.

A model file says how big its parts are before they are read: a zip its members' sizes, a safetensors
header its tensors' offsets, an HDF5 file its datasets' shapes. The importer checks those against the caps
below before reading anything, then reads in bounded chunks that stop at the cap anyway, since a file can lie
(a 2 MB zip can declare, or hold, gigabytes of zeros).

The caps admit any model the page can show with room to spare: textgenrnn's weights are 1.8 MB, and a big
LSTM — 4 layers of 2048 units over a 50,000-word vocabulary, 0.34 G float32 numbers — is 1.4 GB. A model
past 2 GiB is also past what the page can trace at the speed of typing, so nothing the app could use is
refused, and a zip bomb or a lying header costs at most that, never the machine's memory.
"""

from __future__ import annotations

import lzma
import zipfile
import zlib
from pathlib import Path

import numpy as np

from app.importers.errors import ImportRefused

GiB = 1 << 30
MAX_FILE_BYTES = 2 * GiB  # the model file on disk (the card records its SHA-256, so it is read whole once)
MAX_READ_BYTES = 2 * GiB  # the tensors read from one file, summed; and, apart, a zip's members once unzipped
MAX_JSON_BYTES = 100_000_000  # one JSON text: a safetensors header (safetensors' own limit), config.json,
#                               metadata.json, an HDF5 model_config, a vocabulary file
READ_CHUNK = 1 << 20  # bytes read or unzipped at a time
TOO_BIG_HINT = "a model the page can show is far smaller: check that this is the file you meant"
ZIP_ERRORS = (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError)  # ZipFile on a damaged zip
_UNZIP_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, NotImplementedError, OSError)


def size_text(n: int) -> str:
    """1536 -> "1.5 KiB": a byte count as people read it."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}".replace(".0 ", " ")
        n /= 1024
    raise AssertionError("unreachable")


def brief(e: BaseException, limit: int = 200) -> str:
    """A library's error message, cut to `limit` characters (some quote the file's bytes back)."""
    text = str(e)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_file_size(path: Path, cap: int | None = None, what: str = "the file") -> int:
    """The size of `path`; refuse it when it is past `cap` (MAX_FILE_BYTES unless given)."""
    cap = MAX_FILE_BYTES if cap is None else cap
    size = path.stat().st_size
    if size > cap:
        raise ImportRefused(f"{path}: {what} is {size_text(size)}, past the importer's cap of {size_text(cap)}; "
                            f"{TOO_BIG_HINT}")
    return size


class Budget:
    """What one file may still yield: bytes are taken before (or as) they are read, and a take past the cap
    refuses, naming the file, the part and the cap."""

    def __init__(self, source: Path, what: str, cap: int | None = None):
        self.source, self.what = source, what
        self.cap = MAX_READ_BYTES if cap is None else cap
        self.used = 0

    def check(self, n: int, part: str) -> None:
        """Refuse if `n` more bytes, for `part`, would take the total past the cap."""
        if self.used + n > self.cap:
            raise ImportRefused(f"{self.source}: {part} brings {self.what} to {size_text(self.used + n)}, past the "
                                f"importer's cap of {size_text(self.cap)}; {TOO_BIG_HINT}")

    def take(self, n: int, part: str) -> None:
        """Count `n` more bytes, read for `part`; refuse if the total would pass the cap."""
        self.check(n, part)
        self.used += n


def open_zip(path: Path, what: str, hint: str) -> zipfile.ZipFile:
    """The zip at `path` (its central directory read, no member yet); one line when it is damaged."""
    try:
        return zipfile.ZipFile(path)
    except ZIP_ERRORS as e:
        raise ImportRefused(f"{path}: not a readable {what} ({brief(e)}); {hint}") from None


def _member_info(z: zipfile.ZipFile, member: zipfile.ZipInfo | str, path: Path) -> zipfile.ZipInfo:
    """The zip's entry (or the entry named `member`), refused if it is encrypted (zipfile would ask for a password)."""
    info = member if isinstance(member, zipfile.ZipInfo) else z.getinfo(member)
    if info.flag_bits & 0x1:
        raise ImportRefused(f"{path}: member {info.filename} is encrypted; save the model again without a password")
    return info


class MemberReader:
    """One zip member, unzipped a chunk at a time; every byte is counted against the member's own cap and the
    file's budget, whatever size the zip declares (the declared size is checked first as well)."""

    def __init__(self, z: zipfile.ZipFile, member: zipfile.ZipInfo | str, path: Path, budget: Budget,
                 cap: int | None = None):
        info = _member_info(z, member, path)
        self.name, self.path, self.budget = info.filename, path, budget
        self.cap = MAX_READ_BYTES if cap is None else cap
        self.read_so_far = 0
        if info.file_size > self.cap:
            self._refuse_size(f"declares {size_text(info.file_size)} unzipped")
        budget.check(info.file_size, f"member {self.name} ({size_text(info.file_size)} unzipped)")
        try:
            self._member = z.open(info)
        except _UNZIP_ERRORS as e:
            raise self._damaged(e) from None

    def _refuse_size(self, how: str) -> None:
        raise ImportRefused(f"{self.path}: member {self.name} {how}, past the importer's cap of "
                            f"{size_text(self.cap)} for it; {TOO_BIG_HINT}")

    def _damaged(self, e: Exception) -> ImportRefused:
        return ImportRefused(f"{self.path}: member {self.name} cannot be unzipped ({brief(e)}); the file is damaged: "
                             "save or download it again")

    def _chunk(self, n: int) -> bytes:
        """At most `n` (≤ READ_CHUNK) more bytes, counted against the caps; b"" at the member's end."""
        try:
            chunk = self._member.read(min(n, READ_CHUNK))
        except _UNZIP_ERRORS as e:
            raise self._damaged(e) from None
        self.read_so_far += len(chunk)
        if self.read_so_far > self.cap:
            self._refuse_size(f"unzips to more than {size_text(self.cap)}")
        self.budget.take(len(chunk), f"member {self.name}")
        return chunk

    def read(self, n: int = -1) -> bytes:
        """Up to `n` bytes (all that is left when n < 0), fewer only at the member's end."""
        parts = []
        left = self.cap + 1 if n < 0 else n
        while left > 0 and (chunk := self._chunk(left)):
            parts.append(chunk)
            left -= len(chunk)
        return b"".join(parts)

    def read_array(self, nbytes: int, what: str) -> np.ndarray:
        """Exactly `nbytes` as a uint8 array, read in chunks into place; refused if the member ends first."""
        out = np.empty(nbytes, np.uint8)
        pos = 0
        while pos < nbytes:
            chunk = self._chunk(nbytes - pos)
            if not chunk:
                raise ImportRefused(f"{self.path}: member {self.name} ends after {pos} of the {nbytes} bytes of "
                                    f"{what}; the file is truncated or damaged: save it again")
            out[pos : pos + len(chunk)] = np.frombuffer(chunk, np.uint8)
            pos += len(chunk)
        return out

    def copy_to(self, out) -> None:
        """The whole member into the binary file `out`, a chunk at a time."""
        while chunk := self._chunk(READ_CHUNK):
            out.write(chunk)

    def close(self) -> None:
        self._member.close()

    def __enter__(self) -> MemberReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
