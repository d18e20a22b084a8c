"""Where the CJK font that printed publications embed lives.

The machines ship no CJK font, so Noto Sans SC (SIL OFL 1.1) comes from the PyPI wheel
``pylopdf-fonts-zh-cn``, which holds the font files and nothing else we run.
"""

from functools import cache
from importlib.resources import files
from pathlib import Path

CJK_FONT_PACKAGE = "pylopdf_fonts_zh_cn"
CJK_SANS_FILE = "NotoSansSC-Regular.otf"


@cache
def cjk_sans_font() -> Path:
    """The Noto Sans SC Regular font file; raises FileNotFoundError when the wheel is missing."""
    try:
        path = Path(str(files(CJK_FONT_PACKAGE) / CJK_SANS_FILE)).resolve()
    except ModuleNotFoundError as error:
        raise FileNotFoundError(
            f"the CJK font package is not installed: pip install {CJK_FONT_PACKAGE}"
        ) from error
    if not path.is_file():
        raise FileNotFoundError(f"{CJK_SANS_FILE} is missing from {CJK_FONT_PACKAGE}")
    return path
