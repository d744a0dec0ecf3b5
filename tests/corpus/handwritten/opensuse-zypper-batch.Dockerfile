FROM opensuse/leap:15.6 AS base
RUN zypper --non-interactive install python311 python311-pip
RUN zypper -n install --no-recommends tar gzip && zypper clean --all
RUN --mount=type=cache,target=/var/cache/zypp zypper -n install libgomp1
RUN zypper -n install curl && rm -rf /var/cache/zypp

FROM base
RUN zypper -n install shadow && zypper clean -a \
    && useradd -r -u 10001 batch
WORKDIR /opt/batch
COPY --chown=batch batch/ ./batch/
USER batch
CMD ["python3.11", "-m", "batch.run"]
