"""The keys that encrypt tips: parsed, checked, created atomically, rotated.

Keys are Fernet keys. Several may be given (one per line in a key file, or comma-separated in
``COUNTERFLOW_TIP_KEY``): the first encrypts new tips, every one of them decrypts
(``MultiFernet``), so tips written under an older key stay readable after a rotation.

A key file is created only when it does not exist, and atomically: the key is written to a
temporary file (mode 0600) in the same folder, flushed to disk, then linked to its name only if
no other process got there first (``os.link`` fails if the name exists), so two processes that
start at once agree on one key, and a full disk leaves no empty key file behind. A key file that
exists but is empty or malformed is an error that says what to do: it is never replaced, because
tips may already be encrypted under the key it held.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from intel.errors import CommandHint, CounterflowError

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

KEY_FILE_NAME = "tip.key"


class TipKeyError(CounterflowError):
    """A tip key that cannot be used."""


def check_key(value: str, *, where: str, position: int = 1) -> bytes:
    """One Fernet key, checked: 32 random bytes in URL-safe base64 (44 characters)."""
    key = value.strip().encode("ascii", errors="replace")
    try:
        raw = base64.urlsafe_b64decode(key)
    except (binascii.Error, ValueError):
        raw = b""
    if len(key) != 44 or len(raw) != 32:
        shown = f"{len(value.strip())} characters" if value.strip() else "empty"
        raise TipKeyError(
            f"tip key {position} in {where} is not a Fernet key ({shown}; a key is 44 characters "
            "of URL-safe base64)",
            "restore the key from your secret store or backup; a new key cannot read tips already "
            "stored, so generate one only for a store without tips",
            hint=CommandHint("keygen"),
        )
    return key


def parse_keys(text: str, *, where: str) -> list[bytes]:
    """The keys of a key file or of the environment variable, newest first."""
    values = [v for v in text.replace(",", "\n").splitlines() if v.strip()]
    if not values:
        raise TipKeyError(
            f"{where} holds no tip key (it is empty)",
            "restore the key file from your backup; only if no tip was ever stored may it be "
            "deleted, and a new key is then made",
        )
    return [check_key(v, where=where, position=i) for i, v in enumerate(values, 1)]


def _write_new(folder: Path, content: bytes) -> Path:
    """A temporary file in ``folder`` (mode 0600) holding ``content``, flushed to disk."""
    fd, name = tempfile.mkstemp(prefix=".tip.key.", dir=folder)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    os.close(fd)
    return Path(name)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_or_create(path: Path) -> list[bytes]:
    """The keys of ``path``; when the file does not exist, one new key, created atomically."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        from cryptography.fernet import Fernet  # here: 10 ms that reading a store does not need

        tmp = _write_new(path.parent, Fernet.generate_key() + b"\n")
        try:
            os.link(tmp, path)  # fails if another process made the key first: theirs is kept
            _sync_folder(path.parent)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return read(path)


def read(path: Path) -> list[bytes]:
    """The keys of an existing key file (newest first), checked."""
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        raise TipKeyError(
            f"the tip key file {path} does not exist",
            "restore it from your backup, or point the key file setting at the right file",
        ) from None
    return parse_keys(text, where=f"the key file {path}")


def rotate(path: Path) -> list[bytes]:
    """Put a new primary key first in the key file; the older keys stay, to read older tips."""
    keys = read(path)
    from cryptography.fernet import Fernet

    new = [Fernet.generate_key(), *keys]
    tmp = _write_new(path.parent, b"".join(k + b"\n" for k in new))
    os.replace(tmp, path)
    _sync_folder(path.parent)
    return new


def multi(keys: list[bytes]) -> MultiFernet:
    from cryptography.fernet import Fernet, MultiFernet

    return MultiFernet([Fernet(k) for k in keys])
