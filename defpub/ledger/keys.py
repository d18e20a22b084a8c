"""The ledger's Ed25519 signing key: from DEFPUB_LEDGER_KEY_FILE, or made once under the home.

Rotation (docs/ledger.md): make a new key, point DEFPUB_LEDGER_KEY_FILE at it, and list the
old verifier key in DEFPUB_LEDGER_RETIRED_VKEYS so checkpoints it signed stay checkable.
"""

import os
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from defpub.ledger.checkpoint import (
    generate_private_key,
    load_private_key_pem,
    make_vkey,
    private_key_to_pem,
)


def key_path() -> Path:
    return Path(settings.DEFPUB_LEDGER_KEY_FILE or settings.DEFPUB_HOME / "ledger-key.pem")


@cache
def signing_key() -> Ed25519PrivateKey:
    path = key_path()
    if not path.exists() and not settings.DEFPUB_LEDGER_KEY_FILE:
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        draft.write_bytes(private_key_to_pem(generate_private_key()))
        draft.chmod(0o600)
        try:  # link() is atomic: when processes race, one key wins and all use it
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return load_private_key_pem(path.read_bytes())


def origin() -> str:
    return settings.DEFPUB_LEDGER_ORIGIN


def verifier_key() -> str:
    """The public key in note-verifier form: <origin>+<key id>+<base64 key>."""
    return make_vkey(origin(), signing_key().public_key())


def all_verifier_keys() -> list[str]:
    return [verifier_key(), *settings.DEFPUB_LEDGER_RETIRED_VKEYS]
