"""``python -m app TEMPLATE``: render TEMPLATE with sample figures and a signed download token."""

from __future__ import annotations

import sys
from pathlib import Path

from itsdangerous import URLSafeSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape


def render(template: Path) -> str:
    env = Environment(loader=FileSystemLoader(template.parent), autoescape=select_autoescape())
    token = URLSafeSerializer("not-a-secret", salt="report").dumps({"report": template.stem})
    rows = [("requests", 1200), ("errors", 3), ("p95 ms", 87)]
    return env.get_template(template.name).render(title="Weekly report", rows=rows, token=token)


if __name__ == "__main__":
    print(render(Path(sys.argv[1])))
