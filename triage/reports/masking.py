"""Phone numbers hidden in texts that leave the service for people other than the staff of
the report they belong to (broadcast tips, knowledge-base entries, exports)."""

from __future__ import annotations

import re

# Mainland mobiles (138 1234 5678, +86-138-1234-5678) and landlines with an area code
# (027-8765 4321); short service numbers such as 119 and 12345 are left as they are.
_MOBILE = re.compile(r"(?<![\d+])((?:\+?86[-\s]?)?1[3-9]\d)[-\s]?\d{4}[-\s]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<![\d+])(0\d{2,3})[-\s]?\d{3,4}[-\s]?(\d{4})(?!\d)")


def mask_phones(text: str) -> str:
    """138****5678, 027-****4321: enough to recognise a number one knows, not to call it."""
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(2)}", text)
