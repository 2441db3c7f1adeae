"""The AWS partitions this function can answer CloudFormation in, and the DNS suffix of each one's endpoints.

CloudFormation's ResponseURL is a presigned S3 URL of the stack's own partition, so its host ends with that
partition's DNS suffix. Source: botocore's `data/partitions.json` (`outputs.dnsSuffix` of each partition), the data
the AWS SDKs resolve endpoints from; tests/unit/test_partitions.py checks this table against it. A partition that
is not here is refused at Create: a request it could never answer is never accepted.
"""

from __future__ import annotations

DNS_SUFFIXES: dict[str, str] = {
    "aws": "amazonaws.com",
    "aws-cn": "amazonaws.com.cn",
    "aws-us-gov": "amazonaws.com",
    "aws-eusc": "amazonaws.eu",  # AWS European Sovereign Cloud
    "aws-iso": "c2s.ic.gov",
    "aws-iso-b": "sc2s.sgov.gov",
    "aws-iso-e": "cloud.adc-e.uk",
    "aws-iso-f": "csp.hci.ic.gov",
}


def answer_host_suffixes() -> tuple[str, ...]:
    """Every host suffix a ResponseURL may have, with its leading dot, longest first."""
    return tuple(sorted({f".{suffix}" for suffix in DNS_SUFFIXES.values()}, key=len, reverse=True))


def is_known(partition: str) -> bool:
    return partition in DNS_SUFFIXES
