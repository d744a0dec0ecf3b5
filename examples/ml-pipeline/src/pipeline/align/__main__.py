import argparse
import json
from pathlib import Path

import torch
from transformers import Wav2Vec2ForCTC, Wav2Vec2Processor

from pipeline.common.audio import SAMPLE_RATE, load_mono

parser = argparse.ArgumentParser()
parser.add_argument("--model", default="facebook/wav2vec2-base-960h")
parser.add_argument("--in-dir", type=Path, default=Path("/data/wav"))
args = parser.parse_args()

processor = Wav2Vec2Processor.from_pretrained(args.model)
model = Wav2Vec2ForCTC.from_pretrained(args.model).eval()
for wav in sorted(args.in_dir.glob("*.wav")):
    inputs = processor(load_mono(wav), sampling_rate=SAMPLE_RATE, return_tensors="pt")
    with torch.inference_mode():
        emissions = model(inputs.input_values).logits.log_softmax(-1)[0]
    wav.with_suffix(".emissions.json").write_text(json.dumps(emissions.argmax(-1).tolist()))
