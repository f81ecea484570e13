"""Where sitmap reads its own files and writes its caches: the one module that knows.

Package data (templates, the boundary manifest, the seed story) ships inside the ``geo``
package and is read through :mod:`importlib.resources`, so an installed wheel works from any
folder. Caches (boundary downloads, the compiled gazetteer, online geocoder answers) go to
the user's cache directory (``platformdirs.user_cache_dir``: ``~/.cache/sitmap`` on Linux),
never into the source tree or site-packages; ``SITMAP_CACHE`` moves all of them at once. The
default store lives in the user's data directory unless ``--store``/``SITMAP_STORE`` says
otherwise.
"""

from __future__ import annotations

import os
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

CACHE_ENV_VAR = "SITMAP_CACHE"
STORE_ENV_VAR = "SITMAP_STORE"
APP_NAME = "sitmap"
SEED_STORY_ID = "balochistan-2026-02-01"


def package_data(*parts: str) -> Traversable:
    """A file shipped inside the package (``geo/data/...``)."""
    node = resources.files("geo") / "data"
    for part in parts:
        node = node / part
    return node


def template(name: str) -> Traversable:
    """A renderer template shipped in ``geo/templates``."""
    return resources.files("geo") / "templates" / name


def manifest_file() -> Traversable:
    return package_data("districts", "manifest.json")


def stories() -> dict[str, Traversable]:
    """Story files shipped with the package, by story id (the file name without suffix)."""
    folder = package_data("stories")
    return {
        entry.name.removesuffix(".geojson"): entry
        for entry in folder.iterdir()
        if entry.name.endswith(".geojson")
    }


def seed_story() -> Path:
    """The seed story's file (a real path: wheels are installed unpacked)."""
    return Path(str(stories()[SEED_STORY_ID]))


def cache_dir(*parts: str) -> Path:
    """The user's cache folder for sitmap (``$SITMAP_CACHE`` overrides), or a subfolder."""
    env = os.environ.get(CACHE_ENV_VAR)
    if env:
        base = Path(env).expanduser()
    else:
        import platformdirs  # what pooch.os_cache calls, without pooch's 25 ms import

        base = Path(platformdirs.user_cache_dir(APP_NAME))
    return base.joinpath(*parts)


def default_store() -> Path:
    """The store used when neither ``--store`` nor ``$SITMAP_STORE`` names one."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME)) / "sitmap.gpkg"


def desk_app() -> Path:
    """The desk app's Streamlit script, installed with the package (a real path: wheels
    are installed unpacked)."""
    return Path(str(resources.files("geo") / "desk_app.py"))
