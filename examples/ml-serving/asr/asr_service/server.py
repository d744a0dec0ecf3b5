"""POST /transcribe {"audio_path": ...} -> {"text": ..., "seconds": ...}."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import soundfile
from mlserve_common.config import load_settings
from mlserve_common.http import serve


def transcribe(request: dict[str, Any]) -> dict[str, Any]:
    samples, rate = soundfile.read(request["audio_path"], dtype="float32")
    energy = float(np.sqrt(np.mean(np.square(samples)))) if len(samples) else 0.0
    # Placeholder decoder: the model is mounted at run time, not baked into the image.
    return {"text": "", "seconds": len(samples) / rate, "energy": energy}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    settings = load_settings(default_port=9000)
    serve(args.port or settings.port, {"/transcribe": transcribe})


if __name__ == "__main__":
    main()
