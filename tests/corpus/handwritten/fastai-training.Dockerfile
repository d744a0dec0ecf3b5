FROM pytorch/pytorch:2.3.0-cuda12.1-cudnn8-devel

RUN apt-get update && apt-get install -y git wget unzip && rm -rf /var/lib/apt/lists/*

RUN pip install fastai==2.7.15 timm wandb

WORKDIR /workspace
RUN wget -q https://example.com/datasets/pets.zip && unzip -q pets.zip -d data && rm pets.zip

COPY train_pets.py .
ENV WANDB_MODE=offline
CMD ["python", "train_pets.py", "--epochs", "10", "--arch", "convnext_tiny"]
