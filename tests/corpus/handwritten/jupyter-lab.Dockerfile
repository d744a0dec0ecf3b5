FROM quay.io/jupyter/scipy-notebook:2024-05-27

USER root
RUN apt-get update --yes && \
    apt-get install --yes --no-install-recommends graphviz && \
    apt-get clean && rm -rf /var/lib/apt/lists/*

USER ${NB_UID}
RUN mamba install --yes \
      'polars' \
      'pyarrow' \
      'jupyterlab-git' && \
    mamba clean --all -f -y && \
    fix-permissions "${CONDA_DIR}" && \
    fix-permissions "/home/${NB_USER}"

COPY --chown=${NB_UID}:${NB_GID} notebooks/ /home/${NB_USER}/work/
WORKDIR /home/${NB_USER}/work
