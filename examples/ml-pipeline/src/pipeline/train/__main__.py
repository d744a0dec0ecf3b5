import argparse

import lightning as L
import yaml

from pipeline.train.module import DiarizationHead

parser = argparse.ArgumentParser()
parser.add_argument("--config", required=True)
args = parser.parse_args()

with open(args.config) as f:
    config = yaml.safe_load(f)

trainer = L.Trainer(max_epochs=config["epochs"], accelerator="gpu", devices=-1)
trainer.fit(DiarizationHead(**config["model"]), ckpt_path=config.get("resume_from"))
