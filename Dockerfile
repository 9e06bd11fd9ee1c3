# ricochet-relay on Debian 12, built from this source tree.
#
#   docker build -t ricochet-relay .
#   docker run --rm -p 7777:7777/udp ricochet-relay \
#       --directory redis://REDIS:6379 --advertise PUBLIC_HOST:7777
#
# The build stage installs what .ci/deps lists (the project's one list of
# build packages) and builds the relay; the runtime stage holds the relay
# and the Debian packages of the shared libraries it links. tests/
# test_e2e_deploy checks that list against the binary's NEEDED entries.
# Under Agones (deploy/agones/) the relay asks the SDK sidecar for its
# public address, so --advertise is not needed there.
FROM debian:12-slim AS build
WORKDIR /src
COPY .ci/deps .ci/deps
RUN .ci/deps && rm -rf /var/lib/apt/lists/*
COPY . .
RUN make -j"$(nproc)" build/bin/ricochet-relay

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libenet7 libcjson1 libhiredis0.14 \
      libmicrohttpd12 libsodium23 libssl3 libusrsctp2 libwslay1 libngtcp2-9 \
      libngtcp2-crypto-gnutls2 libgnutls30 libnghttp3-3 libcurl3-gnutls liblua5.4-0 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/bin/ricochet-relay /usr/local/bin/ricochet-relay
USER nobody
EXPOSE 7777/udp
# SIGTERM drains (rooms move to other relays) before the relay exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/ricochet-relay"]
CMD ["--bind", "0.0.0.0", "--port", "7777"]
