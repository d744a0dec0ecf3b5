# syntax=docker/dockerfile:1.4
FROM python:3.11-slim

# Two heredocs in one RUN: the second one is a file written by the first.
RUN <<SETUP cat > /usr/local/bin/healthcheck.py <<'PY'
set -e
python -m pip install --no-cache-dir requests
SETUP
import sys, requests
sys.exit(0 if requests.get("http://127.0.0.1:8000/health", timeout=2).ok else 1)
PY

RUN <<-EOT bash
	set -euo pipefail
	echo "tab-indented script"
	if [ -d /app ]; then
		echo "app exists"
	fi
	EOT

COPY <<"EOF" /etc/app/settings.ini
[app]
home = $HOME
EOF

COPY --chmod=0755 <<EOF1 <<EOF2 /usr/local/bin/
#!/bin/sh
echo one
EOF1
#!/bin/sh
echo two
EOF2

RUN python3 - <<'PYTHON'
import json, os
print(json.dumps(dict(os.environ), indent=2))
PYTHON

CMD ["python", "-m", "http.server", "8000"]
