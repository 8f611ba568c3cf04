"""The Streamlit dashboard, shipped inside the package: ``jobmarket dashboard`` runs :data:`APP_PATH`."""

from importlib.resources import files
from pathlib import Path

APP_PATH = Path(str(files(__name__).joinpath("app.py")))
