import argparse
import os
from pathlib import Path

from pyannote.audio import Pipeline

parser = argparse.ArgumentParser()
parser.add_argument("--min-speakers", type=int, default=1)
parser.add_argument("--max-speakers", type=int, default=6)
parser.add_argument("--in-dir", type=Path, default=Path("/data/wav"))
args = parser.parse_args()

pipeline = Pipeline.from_pretrained(
    "pyannote/speaker-diarization-3.1", use_auth_token=os.environ["HF_TOKEN"]
)
for wav in sorted(args.in_dir.glob("*.wav")):
    diarization = pipeline(str(wav), min_speakers=args.min_speakers, max_speakers=args.max_speakers)
    with wav.with_suffix(".rttm").open("w") as out:
        diarization.write_rttm(out)
