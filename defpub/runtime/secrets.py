"""A SECRET_KEY made once per installation, for the embedded default."""

import os
import secrets
from pathlib import Path


def persistent_secret_key(home: Path) -> str:
    path = home / "secret_key"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        draft = home / f".secret_key.{secrets.token_hex(4)}"
        draft.write_text(secrets.token_urlsafe(64), encoding="ascii")
        draft.chmod(0o600)
        try:  # link() is atomic: when processes race, one key wins and all of them read it
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii").strip()
