"""What accounts announces, for other apps to act on: accounts itself knows nothing of them."""

from django.dispatch import Signal

# A new organization exists: sent by accounts.services.organization_create inside its transaction, with the
# organization in context, as `organization=`. Receivers create what every organization needs (oteapp: its
# settings and sales roles); an error in one rolls the creation back.
organization_created = Signal()
