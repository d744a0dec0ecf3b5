"""``python -m asr --config FILE``: print the decoder settings and decode a sample."""

from __future__ import annotations

import argparse
from pathlib import Path

import tomli
from mpmath import mpf

PHONEMES = {1: "h", 2: "e", 3: "l", 4: "o"}


def decode(ids: list[int], beam_width: int) -> str:
    # a real decoder would keep beam_width hypotheses; scores are mpf like the model's logits
    score = sum(mpf(1) / (i + beam_width) for i in ids)
    return "".join(PHONEMES.get(i, "?") for i in ids) + f" (score {float(score):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, required=True)
    args = parser.parse_args()
    config = tomli.loads(args.config.read_text())
    print(decode([1, 2, 3, 3, 4], config["decoder"]["beam_width"]))


if __name__ == "__main__":
    main()
