"""The per-installation secret key behind the keyed hashes of data subjects.

Distinct subjects (vehicles, devices, persons) are counted over keyed hashes of their
identifiers (:mod:`andon.classify.subjects`). Without the key, a hash of an enumerable
identifier (a phone number, a My Number) could be reversed by trying every value; with it,
sketches and their serialized bytes reveal nothing about the values they counted.

The key is 32 random bytes in a file of mode ``0600`` (by default
``<user config dir>/andon/subjects.key``). It is created on first use, atomically: two
processes starting together end up with the same key. It is passed explicitly to whatever
needs it - there is no global key.

Sketches made with one key can only be merged with sketches made with the same key; keep the
file (or pass ``--key-file``) where scans run on several machines.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

import platformdirs

from andon.core.errors import ConfigError

KEY_BYTES = 32
KEY_FILE_NAME = "subjects.key"


def default_key_path() -> Path:
    """Where the key lives unless configured otherwise: the user's Andon config directory."""
    return Path(platformdirs.user_config_dir("andon")) / KEY_FILE_NAME


def load_or_create_key(path: Path) -> bytes:
    """Return the 32-byte key stored at ``path``, creating it (mode ``0600``) if absent.

    Raises :class:`~andon.core.errors.ConfigError` when the file exists but cannot be read,
    is not a regular file of exactly 32 bytes, or is readable or writable by other users
    (POSIX); and when it does not exist and cannot be created.
    """
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    _create_key(path)
    try:
        return _read_key(path)
    except FileNotFoundError as exc:
        raise ConfigError(f"key file {path} vanished right after it was created") from exc


def _read_key(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ConfigError(
            f"cannot read the subject key file {path}: {exc.strerror or exc}"
        ) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"subject key file {path} is not a regular file")
        if os.name == "posix" and info.st_mode & 0o077:
            raise ConfigError(
                f"subject key file {path} is accessible by other users "
                f"(mode {stat.S_IMODE(info.st_mode):04o}); run: chmod 600 {path}"
            )
        data = _read_all(fd, KEY_BYTES + 1)
    except OSError as exc:
        raise ConfigError(
            f"cannot read the subject key file {path}: {exc.strerror or exc}"
        ) from exc
    finally:
        os.close(fd)
    if len(data) != KEY_BYTES:
        raise ConfigError(
            f"subject key file {path} holds {len(data)} bytes, expected {KEY_BYTES}; "
            "it is damaged or not an Andon key (move it away to create a new one, which "
            "makes earlier sketches unmergeable with new ones)"
        )
    return data


def _read_all(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = os.read(fd, limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _create_key(path: Path) -> None:
    """Write a fresh key next to ``path`` and link it into place without overwriting a key
    another process may have created meanwhile (``link`` fails if the target exists)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the directory for the subject key file {path}: {exc.strerror or exc}"
        ) from exc
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_bytes(KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won the race: its key is the key
        except OSError:
            # file systems without hard links: a plain no-clobber check, then rename
            if not path.exists():
                os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the subject key file {path}: {exc.strerror or exc}"
        ) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
