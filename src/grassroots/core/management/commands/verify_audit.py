from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from grassroots.core.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the audit hash chain; name the first row edited, inserted or deleted."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = verify_chain()
        if broken is not None:
            raise CommandError(
                f"audit chain broken at {broken} ({checked} rows verified before it)"
            )
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {checked} rows verified"))
