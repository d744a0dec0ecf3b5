# An old-style image kept for a legacy job runner: most of what linters complain about.
FROM ubuntu:20.04 AS fetch
USER root
RUN apt-get update && apt-get install -y wget ca-certificates
RUN cd /tmp && wget -q https://example.com/tool.tar.gz

FROM ubuntu:20.04 AS fetch
RUN apt-get update && apt-get install -y --no-install-recommends curl

FROM ubuntu:20.04
MAINTAINER Data Platform <data-platform@example.com>
ARG APP_DIR=opt/jobs
ENV DEBIAN_FRONTEND=noninteractive
RUN apt update && apt install -y python3 python3-pip
RUN apt-get update && apt-get install python3-venv && rm -rf /var/lib/apt/lists/*
RUN apt-get update && apt-get -q=2 install --no-install-recommends tzdata && rm -rf /var/lib/apt/lists/*
RUN apt-get update && apt-get -o APT::Get::Assume-Yes=true install --no-install-recommends jq \
    && rm -rf /var/lib/apt/lists/*
RUN yes | apt-get install --no-install-recommends less
WORKDIR jobs
WORKDIR $APP_DIR
WORKDIR /opt/jobs
ADD requirements.txt /opt/jobs/
ADD vendor/ /opt/jobs/vendor/
ADD https://example.com/certs/internal-ca.crt /usr/local/share/ca-certificates/
COPY --from=fetch /tmp/tool.tar.gz /tmp/
COPY --from=cache /root/.cache /root/.cache
COPY --from=2 /etc/hostname /tmp/hostname
RUN pip3 install -r requirements.txt
RUN cd vendor && pip3 install .
RUN (cd /opt/jobs/vendor && python3 setup.py build)
RUN sudo chown -R root:root /opt/jobs
ONBUILD RUN apt-get install cron
ONBUILD RUN sudo ls /root
COPY jobs/ /opt/jobs/jobs/
USER root
HEALTHCHECK CMD pgrep -f runner || exit 1
HEALTHCHECK --interval=1m CMD ["pgrep", "-f", "runner"]
ENTRYPOINT python3 -m jobs.runner
ENTRYPOINT ["python3", "-m", "jobs.runner"]
CMD ["--all"]
CMD ["--once"]
