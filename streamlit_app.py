"""sitmap desk from a checkout: ``streamlit run streamlit_app.py``.

The app itself is ``geo/desk_app.py`` so that it is installed with the package and
``sitmap desk`` can run it anywhere; this file only runs it (Streamlit re-runs this script,
and so the app, on every interaction)."""

import runpy

from geo.paths import desk_app

runpy.run_path(str(desk_app()), run_name="__main__")
