"""The tip key: absolute and private, created atomically, checked at start, rotated."""

from __future__ import annotations

import multiprocessing
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine
from sqlmodel import Session, select

from campaigns.feedback.tips import read_tip_text, reencrypt_tips, submit_tip
from intel.errors import CounterflowError
from intel.models import Tip
from intel.settings import Settings
from intel.tipkeys import TipKeyError
from tests.factories import seed

SECRET = "the recruiter at Uselu junction keeps their passports"


def _key_in_process(
    home: str, barrier: multiprocessing.synchronize.Barrier, out: multiprocessing.Queue
) -> None:  # type: ignore[type-arg]
    settings = Settings(environment="test", home=Path(home))
    barrier.wait()
    out.put(settings.tip_fernet_key())


def test_home_and_key_are_absolute_and_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(environment="test", home=Path("relative-home"))
    assert settings.home == tmp_path / "relative-home" and settings.home.is_absolute()
    monkeypatch.chdir("/")  # a later change of folder does not move the key
    key = settings.tip_fernet_key()
    path = tmp_path / "relative-home" / "tip.key"
    assert path.read_bytes().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in path.parent.iterdir()) == ["tip.key"]  # no temporary file left


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    barrier, out = context.Barrier(4), context.Queue()
    workers = [
        context.Process(target=_key_in_process, args=(str(tmp_path / "h"), barrier, out)) for _ in range(4)
    ]
    for w in workers:
        w.start()
    keys = {out.get(timeout=60) for _ in workers}
    for w in workers:
        w.join(timeout=60)
    assert len(keys) == 1 and (tmp_path / "h" / "tip.key").read_bytes().strip() in keys


def test_a_full_disk_at_the_first_tip_leaves_no_empty_key(tmp_path: Path) -> None:
    home = tmp_path / "h"
    # A real write failure: the file-size limit makes the kernel refuse the key's bytes (EFBIG),
    # as a full disk would (ENOSPC); the child process runs the real code under that limit.
    script = textwrap.dedent(
        f"""
        import resource, signal
        from pathlib import Path
        from intel.settings import Settings
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (10, 10))
        try:
            Settings(environment="test", home=Path({str(home)!r})).tip_fernet_key()
        except OSError as exc:
            print("refused", exc.errno)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("refused"), done.stderr
    assert not (home / "tip.key").exists() and list(home.iterdir()) == []
    settings = Settings(environment="test", home=home)
    key = settings.tip_fernet_key()  # the next tip makes a whole key
    Fernet(key)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "is empty"),
        (b"\n", "is empty"),
        (Fernet.generate_key()[:20], "is not a Fernet key (20 characters"),
    ],
)
def test_an_empty_or_truncated_key_file_is_an_error_never_replaced(
    sqlite_settings: Settings, content: bytes, says: str
) -> None:
    sqlite_settings.home.mkdir(parents=True)
    path = sqlite_settings.home / "tip.key"
    path.write_bytes(content)
    with pytest.raises(TipKeyError) as err:
        sqlite_settings.tip_keys()
    assert says in err.value.problem and str(path) in err.value.problem
    assert "backup" in err.value.fix
    assert path.read_bytes() == content  # left as it was, for the operator to restore


def test_a_malformed_key_in_the_environment_is_refused_at_load(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CounterflowError, match="not a Fernet key"):
        Settings(environment="production", tip_key="not-a-key-at-all-but-long-enough")
    with pytest.raises(CounterflowError, match="not a Fernet key"):
        Settings(environment="development", tip_key="abc")
    with pytest.raises(CounterflowError, match="is a placeholder"):
        Settings(environment="production", tip_key="changeme")
    good = Fernet.generate_key().decode()
    assert Settings(environment="production", tip_key=good).tip_keys() == [good.encode()]


def test_production_reads_a_secret_file_and_never_creates_one(tmp_path: Path) -> None:
    secret = tmp_path / "secrets" / "tip_key"
    with pytest.raises(CounterflowError, match="COUNTERFLOW_TIP_KEY_FILE"):
        Settings(environment="production", home=tmp_path / "h")
    settings = Settings(environment="production", home=tmp_path / "h", tip_key_file=secret)
    with pytest.raises(TipKeyError, match="does not exist"):
        settings.tip_keys()
    assert not secret.exists()
    secret.parent.mkdir()
    key = Fernet.generate_key()
    secret.write_bytes(key + b"\n")
    assert settings.tip_keys() == [key]


def test_rotation_keeps_old_tips_readable_and_reencrypts(
    sqlite_settings: Settings, sqlite_engine: Engine
) -> None:
    from intel import tipkeys

    seed(sqlite_engine)
    with Session(sqlite_engine, expire_on_commit=False) as s:
        old_tip = submit_tip(s, text=SECRET, settings=sqlite_settings)
        s.commit()
    first = sqlite_settings.tip_fernet_key()
    keys = tipkeys.rotate(sqlite_settings.tip_key_path)
    assert keys[1:] == [first] and keys[0] != first
    assert stat.S_IMODE(sqlite_settings.tip_key_path.stat().st_mode) == 0o600
    with Session(sqlite_engine, expire_on_commit=False) as s:
        new_tip = submit_tip(s, text=SECRET + " again", settings=sqlite_settings)
        s.commit()
        assert old_tip.id and new_tip.id
        assert read_tip_text(s, tip_id=old_tip.id, actor="ana", settings=sqlite_settings) == SECRET
        assert read_tip_text(s, tip_id=new_tip.id, actor="ana", settings=sqlite_settings) == SECRET + " again"
        old_row = s.get(Tip, old_tip.id)
        assert old_row is not None
        with pytest.raises(InvalidToken):  # the new key alone cannot read the old tip
            Fernet(keys[0]).decrypt(old_row.text_encrypted)
        assert reencrypt_tips(s, settings=sqlite_settings) == 2
        s.commit()
    with Session(sqlite_engine) as s:
        for tip in s.exec(select(Tip)).all():
            Fernet(keys[0]).decrypt(tip.text_encrypted)  # every tip now under the newest key
    assert sorted(os.listdir(sqlite_settings.home)) == ["tip.key"]  # no temporary file left
