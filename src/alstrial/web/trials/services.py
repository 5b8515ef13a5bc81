"""Creating trials from protocol files (one door: the demo, the admin command and tests)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path

from django.db import transaction

from alstrial.domain.errors import FieldError
from alstrial.domain.protocol import ProtocolError, protocol_from_dict, protocols_dir
from alstrial.web.core.models import Site
from alstrial.web.trials.models import Trial, sha256_text


def create_trial(source_text: str, filename: str, sites: Iterable[Site]) -> Trial:
    """Check the protocol text and create its trial at ``sites``.

    Raises :class:`ProtocolError` (every problem, by key) or, when the slug exists with another
    text, a ProtocolError on ``trial.slug``. Creating the same text again returns the trial.
    """
    try:
        data = tomllib.loads(source_text)
    except tomllib.TOMLDecodeError as error:
        raise ProtocolError([FieldError("(file)", f"not valid TOML: {error}")], filename) from None
    protocol = protocol_from_dict(data, source=filename)
    digest = sha256_text(source_text)
    with transaction.atomic():
        existing = Trial.objects.filter(slug=protocol.slug).first()
        if existing is not None:
            if existing.protocol_sha256 != digest:
                raise ProtocolError(
                    [
                        FieldError(
                            "trial.slug",
                            f"trial {protocol.slug!r} exists with a different protocol text "
                            f"(sha256 {existing.protocol_sha256[:12]}); give an amended "
                            "protocol a new slug or version",
                        )
                    ],
                    filename,
                )
            existing.sites.add(*sites)
            return existing
        trial = Trial.objects.create(
            slug=protocol.slug,
            title=protocol.title,
            reference=protocol.reference,
            protocol_version=protocol.version,
            protocol_filename=Path(filename).name,
            protocol_source=source_text,
            protocol_sha256=digest,
        )
        trial.sites.add(*sites)
    return trial


def create_trial_from_file(path: str | Path, sites: Iterable[Site]) -> Trial:
    """Read a protocol TOML file and create its trial."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ProtocolError([FieldError("(file)", f"cannot read: {error}")], str(path)) from None
    return create_trial(text, str(path), sites)


def create_bundled_trial(slug: str, sites: Iterable[Site]) -> Trial:
    """Create the trial of a protocol shipped in ``protocols/`` (``kim2009``, ``mazzini2003``)."""
    return create_trial_from_file(protocols_dir() / f"{slug}.toml", sites)
