"""POST /generate {"prompt": ...} -> {"tokens": ..., "text": ...}."""

from __future__ import annotations

import argparse
from typing import Any

from jinja2 import Template
from mlserve_common.config import load_settings
from mlserve_common.http import serve

PROMPT = Template("<|user|>\n{{ prompt }}\n<|assistant|>\n")


def generate(request: dict[str, Any]) -> dict[str, Any]:
    prompt = PROMPT.render(prompt=request.get("prompt", ""))
    # Placeholder: the tokenizer and model come from the mounted model directory.
    return {"tokens": len(prompt.split()), "text": ""}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    settings = load_settings(default_port=9100)
    serve(args.port or settings.port, {"/generate": generate})


if __name__ == "__main__":
    main()
