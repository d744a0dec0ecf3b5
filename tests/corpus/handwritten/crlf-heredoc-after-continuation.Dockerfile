# syntax=docker/dockerfile:1.4
FROM python:3.11-slim
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=bind,source=requirements.txt,target=/tmp/req.txt \
    <<EOF
set -e
pip install -r /tmp/req.txt
python -c "import sys; print(sys.version)"
EOF
COPY <<-CONF /etc/service.conf
	port=8000
	workers=2
	CONF
CMD ["python", "-m", "service"]