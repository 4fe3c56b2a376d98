"""Chapters inside the audio file, so a phone's player lists the poses and skips between them.

MP3 gets an ID3v2.3 tag with a table of contents (CTOC) and one CHAP frame per step, each with
its title, as the ID3 chapter addendum (id3.org, "ID3v2 Chapter Frame Addendum" 1.0) lays
them out; FLAC gets a Vorbis comment block with CHAPTER001=00:00:00.000 and CHAPTER001NAME
(the "Vorbis chapter" convention players such as VLC and foobar2000 read). Both are written
here from the specifications: the tag libraries that do this are GPL, and we are MIT. Ogg and
Opus keep their chapters in the .cue and .chapters.json beside them.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

MAX_ID3_CHAPTERS = 255  # one table of contents counts its entries in a byte


class Chaptered(Protocol):
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def title(self) -> str: ...


def id3_tag(chapters: Sequence[Chaptered], title: str) -> bytes:
    """An ID3v2.3 tag: the title (TIT2), a top-level ordered table of contents and a CHAP frame
    per chapter (start and end in milliseconds; no byte offsets)."""
    kept = chapters[:MAX_ID3_CHAPTERS]
    ids = [f"ch{n}".encode("ascii") for n in range(len(kept))]
    frames = [_frame(b"TIT2", _text(title))]
    toc = b"toc\x00" + bytes([0x03, len(ids)]) + b"".join(i + b"\x00" for i in ids)
    frames.append(_frame(b"CTOC", toc + _frame(b"TIT2", _text(title))))
    for element, chapter in zip(ids, kept, strict=True):
        times = struct.pack(
            ">IIII", round(chapter.start * 1000), round(chapter.end * 1000), 0xFFFFFFFF, 0xFFFFFFFF
        )
        frames.append(
            _frame(b"CHAP", element + b"\x00" + times + _frame(b"TIT2", _text(chapter.title)))
        )
    body = b"".join(frames)
    return b"ID3\x03\x00\x00" + _syncsafe(len(body)) + body


def vorbis_chapters(chapters: Sequence[Chaptered], title: str) -> list[tuple[str, str]]:
    """The Vorbis comments for the chapters: TITLE, then CHAPTERnnn and CHAPTERnnnNAME."""
    comments = [("TITLE", title)]
    for n, chapter in enumerate(chapters, start=1):
        comments += [
            (f"CHAPTER{n:03d}", _timestamp(chapter.start)),
            (f"CHAPTER{n:03d}NAME", chapter.title),
        ]
    return comments


def add_chapters(path: Path, suffix: str, chapters: Sequence[Chaptered], title: str) -> bool:
    """Put the chapters inside the `suffix` file at `path` (MP3 or FLAC); False for a format
    without a place for them here. The file is rewritten whole (the temporary one, not yet
    moved over the target)."""
    suffix = suffix.lower()
    if suffix not in (".mp3", ".flac"):
        return False
    data = path.read_bytes()
    if suffix == ".mp3":
        path.write_bytes(id3_tag(chapters, title) + _without_id3(data))
    else:
        path.write_bytes(_flac_with_comments(data, vorbis_chapters(chapters, title)))
    return True


def _frame(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack(">I", len(payload)) + b"\x00\x00" + payload


def _text(text: str) -> bytes:
    """A text frame's body: UTF-16 with its byte-order mark (ID3v2.3 has no UTF-8)."""
    return b"\x01" + text.encode("utf-16")


def _syncsafe(size: int) -> bytes:
    return bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])


def _without_id3(data: bytes) -> bytes:
    """The MP3 without an ID3v2 tag the encoder may have put in front."""
    if data[:3] != b"ID3" or len(data) < 10:
        return data
    size = 0
    for byte in data[6:10]:
        size = (size << 7) | (byte & 0x7F)
    footer = 10 if data[5] & 0x10 else 0
    return data[10 + size + footer :]


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _flac_with_comments(data: bytes, comments: list[tuple[str, str]]) -> bytes:
    """The FLAC file with its Vorbis comment block replaced by (or given) these comments."""
    if data[:4] != b"fLaC":
        raise ValueError("not a FLAC stream")
    blocks: list[tuple[int, bytes]] = []
    at, last = 4, False
    while not last:
        header = data[at]
        last, kind = bool(header & 0x80), header & 0x7F
        length = int.from_bytes(data[at + 1 : at + 4], "big")
        blocks.append((kind, data[at + 4 : at + 4 + length]))
        at += 4 + length
    vendor = b"unknot"
    body = struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", len(comments))
    for key, value in comments:
        entry = f"{key}={value}".encode()
        body += struct.pack("<I", len(entry)) + entry
    kept = [b for b in blocks if b[0] != 4]  # 4: VORBIS_COMMENT
    kept.insert(1, (4, body))  # after STREAMINFO, which comes first
    out = bytearray(b"fLaC")
    for n, (kind, block) in enumerate(kept):
        out.append(kind | (0x80 if n == len(kept) - 1 else 0))
        out += len(block).to_bytes(3, "big") + block
    return bytes(out) + data[at:]
