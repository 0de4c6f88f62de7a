# kube-netdoctor: the agent image (deploy/base/daemonset.yaml) and the image `netdoctor node/pod` will run.
# Build: docker build -t ghcr.io/kube-netdoctor/kube-netdoctor:0.1.0 .
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY scripts/bundle.mjs ./scripts/
RUN npx tsc -p tsconfig.json --noEmit && node scripts/bundle.mjs && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
# The node tools the collector runs: ip/ss (iproute2), iptables-{legacy,nft}-save, nsenter (util-linux),
# sysctl (procps), ipvsadm, conntrack.
RUN apt-get update \
 && apt-get install -y --no-install-recommends iproute2 iptables util-linux procps ipvsadm conntrack \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/bundle ./dist/bundle
COPY package.json LICENSE ./
COPY bin ./bin
COPY docs ./docs
ENV NODE_ENV=production
ENTRYPOINT ["/app/bin/netdoctor"]
CMD ["agent"]
