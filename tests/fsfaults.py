"""File-system faults made for real, for the store and output tests: a small tmpfs that is
filled up or remounted read-only, and the immutable flag (root ignores file modes, not these).

Each helper skips the test, with the reason, when the machine cannot make the fault (not
root, no ``mount``, a file system without ``chattr``)."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


@contextlib.contextmanager
def tmpfs(where: Path, size: str = "1m") -> Iterator[Path]:
    """A fresh tmpfs of ``size`` mounted on ``where`` (created), unmounted afterwards."""
    if sys.platform != "linux" or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs Linux, root and mount(8)")
    where.mkdir(parents=True, exist_ok=True)
    done = _run("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where))
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        if _run("umount", str(where)).returncode != 0:
            _run("umount", "-l", str(where))


def fill(where: Path) -> Path:
    """Fill the file system holding ``where`` until it refuses a byte (ENOSPC)."""
    filler = where / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for block in (65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * block)
        try:
            os.write(fd, b"\0")
        except OSError as e:
            assert e.errno == errno.ENOSPC, e
        else:
            raise AssertionError(f"{where} still takes bytes after filling")
    finally:
        os.close(fd)
    return filler


def remount_ro(where: Path) -> None:
    done = _run("mount", "-o", "remount,ro", str(where))
    if done.returncode != 0:
        pytest.skip(f"cannot remount {where} read-only: {done.stderr.strip()}")


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[Path]:
    """``chattr +i`` on a file or folder for the duration (even root cannot write it)."""
    chattr = shutil.which("chattr")
    if chattr is None or os.geteuid() != 0:
        pytest.skip("the immutable flag needs chattr(1) and root")
    done = _run(chattr, "+i", str(path))
    if done.returncode != 0:
        pytest.skip(f"this file system has no immutable flag: {done.stderr.strip()}")
    try:
        yield path
    finally:
        _run(chattr, "-i", str(path))
