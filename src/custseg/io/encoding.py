"""Text encodings of source files: detection and streaming transcoding to UTF-8.

DuckDB's CSV reader only reads UTF-8 (and UTF-16/Latin-1) without extensions, and the GBK
extension is downloaded at run time, which fails offline. Non-UTF-8 files are therefore
transcoded line by line into a temporary UTF-8 file first, in constant memory. Files that mix
encodings (a GBK export appended to a UTF-8 one) are decoded per line, and lines no encoding
can decode are kept with replacement characters and reported, never dropped.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from charset_normalizer import from_bytes

_CHUNK = 1 << 24
_SAMPLE = 1 << 20
_CJK = {"gb2312", "gbk", "gb18030", "hz", "big5", "big5hkscs", "cp936", "cp950"}


def sha256(path: Path) -> str:
    """Checksum of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as fh:
        try:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def detect_encoding(path: Path) -> str:
    """Name the encoding of a text file: utf-8, utf-8-sig, utf-16 or a CJK/other codec.

    A UTF-16 byte-order mark decides first; then a full UTF-8 check (cheap, and the only safe
    way to know a large file is UTF-8 to its end; a UTF-8 BOM is trusted only if it passes);
    then charset-normalizer on a sample, preferring
    GB18030 (a superset of GBK and GB2312) whenever the sample decodes as it: exports that
    are not UTF-8 are, in this product's world, almost always Chinese Windows exports.
    """
    with open(path, "rb") as fh:
        head = fh.read(_SAMPLE)
    bom = head.startswith(codecs.BOM_UTF8)
    if bom:
        # a BOM only speaks for the start: a GBK export appended to a UTF-8 one keeps it
        head = head[len(codecs.BOM_UTF8):]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    elif len(head) >= 4 and head[1::2].count(0) > len(head) * 0.4:
        return "utf-16-le"
    elif len(head) >= 4 and head[0::2].count(0) > len(head) * 0.4:
        return "utf-16-be"
    if _is_utf8(path):
        return "utf-8-sig" if bom else "utf-8"
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head)
        return "gb18030"
    except UnicodeDecodeError:
        pass
    best = from_bytes(head).best()
    name = (best.encoding if best else "gb18030").lower().replace("-", "_")
    if name in _CJK or name.startswith("gb"):
        return "gb18030"
    name = codecs.lookup(name).name
    # the file failed the UTF-8 check: a UTF-8 guess would read it without reporting the
    # bad lines; transcoding tries UTF-8 per line first anyway
    return "gb18030" if name in ("utf-8", "ascii") else name


@dataclass
class TranscodeReport:
    """What happened while transcoding: lines that needed another encoding or replacement."""

    encoding: str
    fallback_lines: list[int] = field(default_factory=list)
    replaced_lines: list[int] = field(default_factory=list)


def _candidates(primary: str) -> list[str]:
    """Encodings to try per line: strict UTF-8 first (GBK bytes almost never pass it), then
    the detected one, then GB18030."""
    names: list[str] = []
    for enc in ("utf-8", primary, "gb18030"):
        if codecs.lookup(enc).name not in [codecs.lookup(n).name for n in names]:
            names.append(enc)
    return names


def transcode_to_utf8(path: Path, dest: Path, encoding: str) -> TranscodeReport:
    """Write ``path`` as UTF-8 (LF line ends) to ``dest``, decoding line by line.

    Each line is tried as UTF-8, then in ``encoding``, then GB18030; a line that none decode
    is written with U+FFFD replacement characters (in the encoding that needs the fewest) and
    its number reported.
    """
    report = TranscodeReport(encoding)
    if encoding.startswith("utf-16"):
        with open(path, encoding=encoding, errors="replace", newline=None) as src, \
                open(dest, "w", encoding="utf-8", newline="\n") as out:
            for number, line in enumerate(src, start=1):
                if "\ufffd" in line:
                    report.replaced_lines.append(number)
                out.write(line.lstrip("\ufeff") if number == 1 else line)
        return report
    candidates = _candidates(encoding)
    with open(path, "rb") as src, open(dest, "w", encoding="utf-8", newline="\n") as out:
        for number, raw in enumerate(src, start=1):
            body = raw.rstrip(b"\r\n")
            if number == 1 and body.startswith(codecs.BOM_UTF8):
                body = body[len(codecs.BOM_UTF8):]
            text = None
            for enc in candidates:
                try:
                    text = body.decode(enc)
                except UnicodeDecodeError:
                    continue
                if enc != encoding and not body.isascii():
                    report.fallback_lines.append(number)
                break
            if text is None:
                # the reading that needs the fewest replacements keeps the most of the line
                text = min((body.decode(enc, errors="replace") for enc in candidates),
                           key=lambda t: t.count("\ufffd"))
                report.replaced_lines.append(number)
            out.write(text + "\n")
    return report
