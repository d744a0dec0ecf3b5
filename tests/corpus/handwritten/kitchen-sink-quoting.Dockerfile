FROM alpine:3.20 AS quoting
ARG GREETING="hello world"
ARG EMPTY=
ENV ONE=1 TWO="2 two" THREE='3 "three"' FOUR=four\ words
LABEL multi.line="first \
second"
ENV PATH=/usr/local/bin:$PATH \
    LIB="${LIB:+$LIB:}/opt/lib"
RUN --mount=type=cache,target="/var/cache/apk",sharing=locked apk add --update-cache git
RUN --mount=type=cache,"target=/root/.cache",sharing=private echo quoted-in-the-middle
RUN --mount='type=cache,target=/root/.cache/pip' echo single-quoted
RUN --mount=type=cache,target=/a\ b echo escaped-space
RUN --network=host \
    --mount=type=cache,target=/root/.cache/go-build \
    echo flags-on-continuation-lines
COPY --from=quoting --chown=nobody:nobody --chmod=640 /etc/hostname /copied
RUN -- echo "a lone double dash ends the flags"
EXPOSE 8080 8443/tcp
CMD echo "$GREETING"
