# syntax=docker/dockerfile:1
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
# Private index credentials never land in a layer.
RUN --mount=type=secret,id=pip_conf,target=/etc/pip.conf,required=true \
    --mount=type=cache,target=/root/.cache/pip,id=pip-cache,sharing=shared \
    pip install -r requirements.txt
RUN --mount=type=secret,id=netrc,target=/root/.netrc,mode=0400 \
    --mount=type=ssh,id=github \
    git clone git@github.com:example/private-models.git /opt/private-models
RUN --network=none python -c "import app; print(app.__version__)"
RUN --security=sandbox --network=default echo sandboxed
COPY . .
CMD ["python", "main.py"]
