"""`manage.py approve SLUG --month YYYY-MM --actor EMAIL`: approve a closed month's payouts, as the web's owner or
admin would (the same rules and messages)."""

from oteapp.management.payouts import PayoutCommand
from oteapp.payouts.services import month_approve


class Command(PayoutCommand):
    help = "Approve a closed month's payouts (SPEC section 12), as an owner or admin of the organization."

    def handle(self, *args, slug: str, month: str, actor: str, **options) -> None:
        organization, first_day, user = self.inputs(slug=slug, month=month, actor=actor)
        approval = self.run(month_approve, organization=organization, actor=user, month=first_day)
        stamp = f"{approval.approved_at:%Y-%m-%d %H:%M} UTC"
        self.stdout.write(f"Approved the payouts of {month} of {slug} as {user.email} at {stamp}.")
