"""The one font every rendering with Chinese uses: Noto Sans SC (SIL OFL), shipped by the
pylopdf-fonts-zh-cn package, so Chinese shows on a machine with no fonts installed and
nothing is downloaded at run time."""

from __future__ import annotations

import importlib.resources
from pathlib import Path


def font_path() -> Path:
    return Path(str(importlib.resources.files("pylopdf_fonts_zh_cn") / "NotoSansSC-Regular.otf"))
