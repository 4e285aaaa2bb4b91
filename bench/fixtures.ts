/** Inputs for the bench: harbor-mirror.yaml files at any scale, and a realistic mix of image references. */
import { stringify } from "yaml";

/** The six upstreams every bench configuration mirrors. */
export const BENCH_UPSTREAMS = ["docker.io", "quay.io", "gcr.io", "k8s.gcr.io", "ghcr.io", "registry.k8s.io"];

/** Servers in the bench fleet; every other node is an agent (an HA control plane, many workers). */
const SERVER_COUNT = 3;

/** `rolling` in batches of 10 (the synth figures), or `servers-first` (docs/rollout.md). */
export type BenchRollout = "rolling" | "servers-first";

const BENCH_ROLLOUTS: Record<BenchRollout, object> = {
  rolling: { strategy: "rolling", batchSize: 10 },
  "servers-first": { strategy: "servers-first" },
};

/**
 * A harbor-mirror.yaml (version 1) like the example one, with six upstreams and `nodeCount`
 * nodes (three servers, the rest agents).
 */
export function benchConfigYaml(nodeCount: number, rollout: BenchRollout = "rolling"): string {
  return stringify({
    version: 1,
    harbor: { url: "https://harbor.kingsd.top" },
    access: "public",
    upstreams: BENCH_UPSTREAMS.map((registry) => ({ registry })),
    rewrites: { "docker.io": [{ match: "^ksd-test/(.*)$", replace: "production/$1" }] },
    distribution: "rke2",
    nodes: Array.from({ length: nodeCount }, (_, index) => benchNode(index)),
    ssh: { privateKeyVar: "ssh_private_key" },
    rollout: BENCH_ROLLOUTS[rollout],
  });
}

/**
 * Addresses come from 10.0.0.0/8 because the documentation ranges hold only 254 hosts each; octets stay
 * within 1..250 so that no address looks like a network or broadcast address.
 */
function benchNode(index: number): { name: string; host: string; role: string } {
  const octet = (position: number) => (Math.floor(index / 250 ** position) % 250) + 1;
  return {
    name: `node-${String(index + 1).padStart(5, "0")}`,
    host: `10.${octet(2)}.${octet(1)}.${octet(0)}`,
    role: index < SERVER_COUNT ? "server" : "agent",
  };
}

/**
 * What a cluster pulls: short Docker Hub names, every mirrored upstream, tags and digests, the rewritten
 * `ksd-test/` namespace, and registries without a mirror (which fall through to their own endpoint).
 */
export const IMAGE_MIX: readonly string[] = [
  "busybox",
  "nginx:1.27",
  "library/alpine:3.20",
  "ksd-test/busybox:1.35",
  "docker.io/rancher/rke2-runtime:v1.30.4-rke2r1",
  "rancher/mirrored-pause:3.6",
  "bitnami/redis@sha256:0a3bb4a3b3a9c1a1d8a1b2f7e5d9c0e3f5a1b2c3d4e5f60718293a4b5c6d7e8f",
  "quay.io/prometheus/node-exporter:v1.8.2",
  "quay.io/jetstack/cert-manager-controller:v1.15.3",
  "gcr.io/distroless/static:nonroot",
  "gcr.io/google-containers/pause:3.2",
  "k8s.gcr.io/pause:3.9",
  "k8s.gcr.io/ingress-nginx/controller:v1.1.1",
  "registry.k8s.io/coredns/coredns:v1.11.3",
  "registry.k8s.io/metrics-server/metrics-server:v0.7.2",
  "ghcr.io/fluxcd/source-controller:v1.4.1",
  "ghcr.io/aquasecurity/trivy:0.56.2",
  "mcr.microsoft.com/dotnet/runtime:8.0",
  "registry.example.com:5000/team/app:2024.11",
  "localhost:5000/dev/tool:latest",
];
