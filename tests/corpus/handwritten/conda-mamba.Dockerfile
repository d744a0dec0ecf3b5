FROM mambaorg/micromamba:1.5.8 AS env
COPY --chown=$MAMBA_USER:$MAMBA_USER environment.yml /tmp/environment.yml
RUN micromamba install -y -n base -f /tmp/environment.yml && \
    micromamba clean --all --yes

ARG MAMBA_DOCKERFILE_ACTIVATE=1
RUN python -c "import geopandas, rasterio; print('ok')"

WORKDIR /pipeline
COPY --chown=$MAMBA_USER:$MAMBA_USER pipeline/ pipeline/
ENTRYPOINT ["/usr/local/bin/_entrypoint.sh", "python", "-m", "pipeline"]
