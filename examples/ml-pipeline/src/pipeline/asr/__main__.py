import argparse
import json
from pathlib import Path

from pipeline.asr.model import load, transcribe

parser = argparse.ArgumentParser()
parser.add_argument("--device", default="cuda")
parser.add_argument("--model", default="large-v3")
parser.add_argument("--in-dir", type=Path, default=Path("/data/wav"))
args = parser.parse_args()

model = load(args.model, args.device)
for wav in sorted(args.in_dir.glob("*.wav")):
    wav.with_suffix(".asr.json").write_text(json.dumps(transcribe(model, str(wav))))
