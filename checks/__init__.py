"""What *ready* means: rules turning device facts into verdicts, and the concurrent sweep.

Drivers (``devices``) measure; checks judge. A device that did not answer is UNKNOWN,
never OK.
"""

from checks.model import Status, Verdict

__all__ = ["Status", "Verdict"]
