"""Durations on the command line: ``7d``, ``36h``, ``90m``, ``45s``, or plain seconds."""

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
MAX_SECONDS = 400 * 86400


def parse_duration(text: str) -> float:
    """Seconds in ``text``; ValueError with the accepted forms when it is not a duration."""
    match = _PATTERN.match(text.lower())
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 7d, 36h, 90m, 45s or seconds)")
    seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if seconds > MAX_SECONDS:
        raise ValueError(f"{text!r} is longer than 400 days")
    return seconds
