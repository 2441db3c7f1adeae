"""Every boto3 client here has bounded timeouts and attempts, and knows the longest one call can take."""

from __future__ import annotations

from typing import Any


def bounded_config(
    connect_s: float, read_s: float, attempts: int, retries_configured: tuple[bool, bool] = (False, False)
) -> Any:
    """botocore's standard retries with these timeouts; `retries_configured` says whether AWS_RETRY_MODE and
    AWS_MAX_ATTEMPTS are set (config.Config reads them), which then win."""
    from botocore.config import Config

    mode_set, attempts_set = retries_configured
    retries: dict[str, Any] = {}
    if not mode_set:
        retries["mode"] = "standard"
    if not attempts_set:
        retries["total_max_attempts"] = attempts
    return Config(connect_timeout=connect_s, read_timeout=read_s, retries=retries or None)  # type: ignore[arg-type]


def worst_case_s(connect_s: float, read_s: float, attempts: int) -> float:
    """The longest one call can take, retries included: botocore's standard mode waits at most 1 s, then 2 s, ...
    between attempts (random x 2^n)."""
    return attempts * (connect_s + read_s) + float(sum(2**n for n in range(attempts - 1)))
