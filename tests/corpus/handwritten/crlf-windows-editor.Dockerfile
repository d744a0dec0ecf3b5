FROM python:3.11-slim

# Saved by an editor on Windows: every line ends with CRLF.
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir \
      -r requirements.txt \
    && pip check
RUN <<EOF
echo "heredoc with CRLF"
EOF
COPY . .
CMD ["python", "app.py"]
