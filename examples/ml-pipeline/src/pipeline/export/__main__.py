import argparse
from pathlib import Path

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--checkpoints", type=Path, required=True)
parser.add_argument("--out", type=Path, required=True)
args = parser.parse_args()

args.out.mkdir(parents=True, exist_ok=True)
for ckpt in sorted(args.checkpoints.glob("*.pt")):
    state = torch.load(ckpt, map_location="cpu")["state_dict"]
    weight = state["proj.weight"]
    head = torch.nn.Linear(weight.shape[1], weight.shape[0])
    head.load_state_dict({"weight": weight, "bias": state["proj.bias"]})
    dummy = torch.zeros(1, 200, weight.shape[1])
    torch.onnx.export(head.eval(), dummy, args.out / f"{ckpt.stem}.onnx", opset_version=17)
