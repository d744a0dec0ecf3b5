# syntax=docker/dockerfile:1.8
# escape=\
# check=skip=JSONArgsRecommended;error=true
FROM python:3.11-slim
RUN echo "the check directive tunes BuildKit's build checks"
CMD python -m app
