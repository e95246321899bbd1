"""Structured logs: one JSON object per line, with every IIN masked.

(Named `logs`, not `logging`, so that `from service import logs` never shadows the standard
library's module in the importing file.) Anything that looks like an IIN (twelve digits standing
alone, not part of a hex id) is masked with `engine.model.mask_iin` in the message and in every
extra field, so a payload echoed into a log line cannot leak one; the parameters of a failed SQL
statement are never written (the engines also hide them from error messages). Tokens are never
passed to a logger at all.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any

from engine.model import mask_iin

# Twelve digits standing alone: not inside a longer run of digits, letters or `_` (so the
# digits of a hex id such as a trace id or a content digest are left as they are).
IIN = re.compile(r"(?<![0-9A-Za-z_])\d{12}(?![0-9A-Za-z_])")
# The values a failed SQL statement carried, as SQLAlchemy prints them under the statement.
SQL_PARAMETERS = re.compile(r"^\[parameters: .*$", re.MULTILINE)
# PostgreSQL's detail of a failed statement quotes the values (`Key (iin)=(…) already exists.`).
SQL_DETAIL = re.compile(r"^DETAIL: .*$", re.MULTILINE)
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "taskName"}


def mask(text: str) -> str:
    """Every IIN in a text masked."""
    return IIN.sub(lambda m: mask_iin(m.group(0)), text)


def scrub(text: str) -> str:
    """A text fit for a log line: IINs masked and SQL statement parameters left out."""
    return mask(SQL_DETAIL.sub("DETAIL: not logged", SQL_PARAMETERS.sub("[parameters: not logged]", text)))


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return mask(str(value))


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line: time, level, logger, message, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = _masked(value)
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def config(level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` for the service and uvicorn, all in JSON on stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "service.logs.JsonFormatter"}},
        "handlers": {"default": handler},
        "loggers": {
            "familycard": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["default"], "level": "WARNING", "propagate": False},
        },
    }


def configure(level: str = "INFO") -> None:
    """Install the JSON configuration in this process."""
    import logging.config

    logging.config.dictConfig(config(level))
