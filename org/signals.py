"""Events of the organisation app.

- `measures_visibility_changed`: the admin turned "show measures to reps" on or off
  (`ComplianceSettings.show_measures_to_reps`); kwarg `shown`. Sent inside the transaction of
  the settings write, so that the customers app logs every measure for the sync in that same
  transaction: reps' clients then receive the measures as upserts (shown) or deletes (hidden).
"""

from django.dispatch import Signal

measures_visibility_changed = Signal()
