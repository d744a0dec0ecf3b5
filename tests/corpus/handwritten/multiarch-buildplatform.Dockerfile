# syntax=docker/dockerfile:1
FROM --platform=$BUILDPLATFORM python:3.11-slim AS fetch
ARG TARGETARCH
ARG TARGETOS
RUN echo "fetching wheels for ${TARGETOS}/${TARGETARCH}"
RUN --mount=type=cache,target=/root/.cache/pip,id=pip-${TARGETARCH} \
    pip download --only-binary=:all: --platform "manylinux2014_$(uname -m)" \
        -d /wheels numpy==1.26.4

FROM --platform=${TARGETPLATFORM:-linux/amd64} python:3.11-slim
COPY --from=fetch /wheels /wheels
RUN pip install --no-index /wheels/*.whl
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d \
    https://example.com/tools/tool-linux-amd64 /usr/local/bin/tool
ADD --keep-git-dir=false https://github.com/example/configs.git#v2.1.0 /etc/configs
ADD --chown=1000:1000 --link vendor.tar.gz /opt/vendor/
