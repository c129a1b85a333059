"""The per-installation subject key: created once, private, stable, clear errors."""

from __future__ import annotations

import os
import stat
import sys
import threading
from pathlib import Path

import pytest

from andon.classify.keys import KEY_BYTES, default_key_path, load_or_create_key
from andon.core.errors import ConfigError

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def test_creates_a_random_private_key_and_reads_it_back(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "andon" / "subjects.key"
    key = load_or_create_key(path)
    assert len(key) == KEY_BYTES
    assert path.read_bytes() == key
    assert load_or_create_key(path) == key
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["subjects.key"]  # no temp files left


def test_two_installations_get_different_keys(tmp_path: Path) -> None:
    assert load_or_create_key(tmp_path / "a.key") != load_or_create_key(tmp_path / "b.key")


def test_concurrent_creation_yields_one_key(tmp_path: Path) -> None:
    path = tmp_path / "subjects.key"
    keys: list[bytes] = []
    barrier = threading.Barrier(8)

    def run() -> None:
        barrier.wait()
        keys.append(load_or_create_key(path))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 8
    assert len(set(keys)) == 1
    assert keys[0] == path.read_bytes()


@pytest.mark.parametrize("content", [b"", b"short", b"x" * (KEY_BYTES + 1)])
def test_a_damaged_key_is_a_config_error_without_its_content(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "subjects.key"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="expected 32") as info:
        load_or_create_key(path)
    assert str(path) in str(info.value)
    if content:
        assert content.decode() not in str(info.value)


def test_a_directory_in_place_of_the_key_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "subjects.key"
    path.mkdir()
    with pytest.raises(ConfigError):
        load_or_create_key(path)


@posix_only
def test_a_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "subjects.key"
    load_or_create_key(path)
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_or_create_key(path)


def test_an_unreadable_key_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "subjects.key"
    load_or_create_key(path)
    real_open = os.open

    def deny(p: object, flags: int, *args: int) -> int:
        if Path(str(p)) == path:
            raise PermissionError(13, "Permission denied")
        return real_open(p, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", deny)
    with pytest.raises(ConfigError, match=r"cannot read .*Permission denied"):
        load_or_create_key(path)


def test_an_uncreatable_key_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def deny(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "mkdir", deny)
    with pytest.raises(ConfigError, match="cannot create"):
        load_or_create_key(tmp_path / "new" / "subjects.key")


def test_default_path_is_in_the_user_config_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    path = default_key_path()
    assert path.name == "subjects.key"
    assert "andon" in path.parts
    if sys.platform.startswith("linux"):
        assert path == tmp_path / "andon" / "subjects.key"
