FROM rayproject/ray:2.23.0-py311-gpu
USER root
RUN sudo apt-get update && sudo apt-get install -y --no-install-recommends libaio1 \
    && sudo rm -rf /var/lib/apt/lists/*
USER ray
COPY --chown=ray:users requirements.txt /home/ray/requirements.txt
RUN pip install --no-cache-dir -r /home/ray/requirements.txt
COPY --chown=ray:users jobs/ /home/ray/jobs/
ENV RAY_DEDUP_LOGS=0
