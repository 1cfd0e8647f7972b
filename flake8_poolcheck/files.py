"""Reading source files and writing fixes back, safely: only regular files, of bounded
size, are read; a fix keeps the file what it was (the file a symlink names, its hard
links, owner and mode), is never written through a read-only file, and is never left
half written by an interrupt."""

from __future__ import annotations

import codecs
import io
import os
import stat
import sys
import tempfile
import tokenize
from typing import BinaryIO

from flake8_poolcheck.interrupts import interrupts_held

#: The largest file read, in bytes: a larger one is generated, not written. LibCST's tree
#: takes about 800 bytes of memory per byte of pool code (measured: 788 MiB for 1 MB).
MAX_FILE_SIZE = 2 * 1024 * 1024
_TOO_LARGE = f"larger than {MAX_FILE_SIZE // (1024 * 1024)} MiB"

#: Byte order marks of encodings no Python source can be in (the longer ones first).
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class FileError(Exception):
    """A file cannot be read, decoded or written; the message says why."""


def skip_reason(path: str) -> str | None:
    """Why a file found by walking a directory is not to be read, or None.

    None also when the file cannot be looked at: reading it reports why.
    """
    try:
        return _unfit(os.stat(path))
    except OSError:
        return None


def read_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_SIZE bytes (symlinks followed).

    Nothing else is opened, so a FIFO cannot block the run, nor a device exhaust memory.
    """
    try:
        reason = _unfit(os.stat(path))
        if reason is None:
            # O_NONBLOCK: a file swapped for a FIFO since the stat does not block the open.
            with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC), "rb") as file:
                status = os.fstat(file.fileno())
                reason = _unfit(status)
                if reason is None:
                    return _bounded(file, status.st_size)
    except OSError as error:
        raise FileError(f"cannot read: {error.strerror or error}") from error
    raise FileError(f"cannot read: {reason}")


def read_stdin() -> bytes:
    """The bytes of standard input, of at most MAX_FILE_SIZE bytes."""
    try:
        return _bounded(sys.stdin.buffer)
    except OSError as error:
        raise FileError(f"cannot read: {error.strerror or error}") from error


def decode_source(source: bytes) -> str:
    """The text of a file's bytes, decoded as Python decodes source (BOM, coding cookie)."""
    for bom, encoding in _WIDE_BOMS:
        if source.startswith(bom):
            raise FileError(
                f"cannot decode: {encoding} text (Python source must be UTF-8, or in an "
                "ASCII-compatible encoding its coding comment names)"
            )
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        return source.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as error:
        # SyntaxError: a first line that is not UTF-8, or a coding cookie that is broken
        binary = " (a binary file?)" if b"\0" in source else ""
        raise FileError(f"cannot decode: {error}{binary}") from error


def write_source(path: str, data: bytes) -> None:
    """Replace the contents of the file ``path`` names by ``data``, keeping the file.

    The file a symlink names is written (the symlink stays). A file with a single link
    is replaced atomically by a new file with the same owner and mode, renamed over it;
    one with other hard links, or whose owner a new file cannot have, is written in place,
    with interrupts held off until it is whole. A read-only file is refused, as is one
    the system would not let the user write.
    """
    target = os.path.realpath(path)
    try:
        status = os.stat(target)
        reason = _not_regular(status.st_mode)
        if reason is None and not status.st_mode & 0o222:
            reason = f"the file is read-only ({stat.filemode(status.st_mode)})"
        if reason is not None:
            raise FileError(f"cannot write the fixes: {reason}")
        if not (
            status.st_nlink == 1 and os.access(target, os.W_OK) and _replace(target, data, status)
        ):
            _overwrite(target, data)
    except OSError as error:
        raise FileError(f"cannot write the fixes: {error.strerror or error}") from error


def _unfit(status: os.stat_result) -> str | None:
    """Why a file with this status is not read, or None."""
    return _not_regular(status.st_mode) or (_TOO_LARGE if status.st_size > MAX_FILE_SIZE else None)


def _not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "special")
    return f"not a regular file ({kind})"


def _bounded(file: BinaryIO, size: int = MAX_FILE_SIZE) -> bytes:
    """All of ``file``, of ``size`` bytes as far as is known, reading MAX_FILE_SIZE + 1 at most.

    A buffer of the file's own size, not of the limit, is what a small file costs.
    """
    data = file.read(size + 1)
    if len(data) > size:  # longer than it said (it grows, or is not on a disk): read on
        data += file.read(MAX_FILE_SIZE - size)
    if len(data) > MAX_FILE_SIZE:
        raise FileError(f"cannot read: {_TOO_LARGE}")
    return data


def _replace(target: str, data: bytes, status: os.stat_result) -> bool:
    """Rename a new file with ``data``, ``status``'s owner and mode over ``target``.

    False, with nothing changed, when no such file can be made beside it: a directory the
    user cannot add to, or an owner the user cannot give away.
    """
    directory, name = os.path.split(target)
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    except PermissionError:
        return False
    replaced = False
    try:
        with open(handle, "wb") as file:
            try:
                os.fchown(handle, status.st_uid, status.st_gid)
            except PermissionError:
                return False
            os.fchmod(handle, stat.S_IMODE(status.st_mode))  # after fchown, which clears setuid
            file.write(data)
        os.replace(temporary, target)
        replaced = True
    finally:
        if not replaced:
            os.unlink(temporary)
    return True


def _overwrite(target: str, data: bytes) -> None:
    """Write ``data`` over the file ``target`` in place, keeping its inode.

    What extends the file is written first, so that a full disk leaves it as it was.
    """
    handle = os.open(target, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        size = os.fstat(handle).st_size
        with interrupts_held():
            try:
                _write_at(handle, data[size:], size)
            except OSError:
                os.ftruncate(handle, size)
                raise
            _write_at(handle, data[:size], 0)
            os.ftruncate(handle, len(data))
    finally:
        os.close(handle)


def _write_at(handle: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(handle, view, offset)
        view, offset = view[written:], offset + written
