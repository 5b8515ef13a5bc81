"""``alstrial manage create_trial PROTOCOL.toml --site CODE [--site CODE ...]``.

Creates the trial declared by a protocol file at existing sites (the text and its SHA-256 are
stored with the trial). A broken protocol lists every problem by key and creates nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from alstrial.domain.protocol import ProtocolError
from alstrial.web.core.models import Site
from alstrial.web.trials.services import create_trial_from_file


class Command(BaseCommand):
    help = "Create a trial from a protocol file (TOML) at one or more sites."

    def add_arguments(self, parser):
        parser.add_argument("protocol", help="Path of the protocol TOML file.")
        parser.add_argument("--site", action="append", required=True, help="Site code.")

    def handle(self, *args, **options):
        codes = options["site"]
        sites = list(Site.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {site.code for site in sites})
        if missing:
            raise CommandError(f"no site {', '.join(missing)}; create it in the admin first")
        try:
            trial = create_trial_from_file(options["protocol"], sites)
        except ProtocolError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"trial {trial.slug} (sha256 {trial.protocol_sha256[:12]}) at {codes}")
