import lightning as L
import torch

from pipeline.train.kernels import fastloss


class DiarizationHead(L.LightningModule):
    def __init__(self, dim: int = 512, speakers: int = 6, lr: float = 1e-4) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.proj = torch.nn.Linear(dim, speakers)

    def training_step(self, batch, batch_idx):
        features, labels = batch
        loss = fastloss.permutation_bce(self.proj(features), labels)
        self.log("train/loss", loss)
        return loss

    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=self.hparams.lr)
