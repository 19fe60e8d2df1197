"""Learned site templates kept between runs: in the SQLite table `templates`, or as one JSON
file beside (or inside) a JSONL or folder output."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from scraper.sinks.outfiles import utc_now as _now


@dataclass(frozen=True)
class SiteTemplate:
    """What persists of one site's template: the block counts to merge with, and the rules
    they gave (TOML, for people to read)."""

    site: str
    counts: str  # JSON, see scraper.learn.templates.SiteStats
    rules: str
    pages: int


class TemplateStore(Protocol):
    """Keeps learned site templates between runs."""

    def load_templates(self) -> list[SiteTemplate]: ...
    def save_templates(self, templates: list[SiteTemplate]) -> None: ...


class TemplateFile:
    """Site templates as one JSON file beside (or inside) a JSONL or folder output."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {site: t for site, t in data.items() if {"counts", "rules", "pages"} <= set(t)}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            # Learned templates only help: a damaged file must not stop the batch.
            logging.getLogger(__name__).warning("ignoring unreadable templates file %s: %s", self.path, exc)
            return {}

    def load_templates(self) -> list[SiteTemplate]:
        return [SiteTemplate(site, json.dumps(t["counts"]), t["rules"], int(t["pages"]))
                for site, t in self._read().items()]

    def save_templates(self, templates: list[SiteTemplate]) -> None:
        """Replace the given sites' entries and keep the others, as the SQLite table does."""
        data = self._read()
        data.update({t.site: {"pages": t.pages, "updated_at": _now(), "rules": t.rules, "counts": json.loads(t.counts)}
                     for t in templates})
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)


