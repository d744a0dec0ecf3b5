from python:3.11-slim as base
arg PIP_INDEX_URL
env PYTHONUNBUFFERED=1
workdir /src
copy requirements.txt .
run pip install -r requirements.txt
Copy . .
Expose 8000
user 1000
entrypoint ["python"]
cmd ["-m", "service"]
