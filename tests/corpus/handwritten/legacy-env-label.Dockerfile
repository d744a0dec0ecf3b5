FROM debian:bookworm-slim
# Old "name value" forms and quoting corners.
ENV APP_HOME /opt/legacy app
ENV DEBIAN_FRONTEND noninteractive
ENV QUOTED="with spaces" SINGLE='single quoted' ESCAPED=back\ slash
ENV EMPTY="" NEXT=1
ENV MULTI=one \
    TWO="two words" \
    THREE='three'
LABEL version 1.0.0
LABEL description="A service with a \"quoted\" word" vendor=ACME
LABEL "com.example.quoted-key"="value" 'another.key'='v2'
ARG BUILD_DATE
ARG VCS_REF=unknown
ARG A=1 B=2
LABEL org.label-schema.build-date=$BUILD_DATE org.label-schema.vcs-ref=${VCS_REF}
EXPOSE 80 443 8080/tcp 5353/udp
VOLUME /var/lib/legacy /var/log/legacy
VOLUME ["/etc/legacy"]
WORKDIR $APP_HOME
USER nobody:nogroup
CMD ["/opt/legacy app/bin/start"]
