"""The values the reliability suite's secret scan looks for in logs and output, and the scan itself."""

from __future__ import annotations

import re

SIGNATURE = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"  # AnswerEndpoint.url()'s
SECRET_KEY = "rEl1abilitySecret/Key+NotForLogs0123456789"
SESSION_TOKEN = "rEl1abilitySessionToken//NotForLogs+AAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
SECRET_PATTERNS = [
    re.escape(SIGNATURE),
    re.escape(SECRET_KEY),
    re.escape(SESSION_TOKEN),
    r"X-Amz-Signature",
    r"X-Amz-Credential",
    r"AKIAEXAMPLE",
    r"https://127\.0\.0\.1:\d+/",  # the local answer endpoint's URL (its path is the ResponseURL's path)
    r"https://cloudformation-custom-resource-response",  # the events/ files' ResponseURL
]
_SECRETS = re.compile("|".join(SECRET_PATTERNS))


def find_secrets(text: str) -> list[str]:
    """Every leaked value in `text`, with some context, for the failure message."""
    return [text[max(0, m.start() - 80) : m.end() + 40] for m in _SECRETS.finditer(text)]
